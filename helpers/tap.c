/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-vm-tap: ExecStart= and ExecStop= of qemu-vm-tap@IFNAME.service, run as a
 * dynamic user with CAP_NET_ADMIN alone.
 *
 *   qemu-vm-tap create IFNAME --bridge BRIDGE --owner USER --mac MAC
 *   qemu-vm-tap delete IFNAME
 *
 * create makes a persistent tap device owned by USER (so QEMU, running as USER without privileges,
 * can open it), gives it the bridge's MTU and the MAC, attaches it to the bridge and brings it up. A
 * tap of that name left behind by a crash is taken over and set up the same way. Nothing is created
 * when the bridge is missing. delete removes the tap; a tap already gone is no error.
 * It reads no configuration; the generator passes everything as arguments. */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <pwd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "log.h"
#include "names.h"
#include "parse-value.h"

static int sysfs_exists(const char *ifname, const char *what) {
        _cleanup_free_ char *path = xasprintf("/sys/class/net/%s/%s", ifname, what);
        return access(path, F_OK) == 0;
}

/* The bridge a device is attached to, or NULL. */
static char *master_of(const char *ifname) {
        _cleanup_free_ char *path = xasprintf("/sys/class/net/%s/master", ifname);
        char target[PATH_MAX];
        ssize_t n = readlink(path, target, sizeof target - 1);

        if (n < 0)
                return NULL;
        target[n] = 0;
        return xstrdup(basename(target));
}

static void ifreq_name(struct ifreq *ifr, const char *ifname) {
        *ifr = (struct ifreq) {};
        strncpy(ifr->ifr_name, ifname, IFNAMSIZ - 1);
}

/* Opens the tap IFNAME on /dev/net/tun, creating it when missing. */
static int tap_attach(const char *ifname, int *ret_fd) {
        _cleanup_close_ int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
        struct ifreq ifr;

        if (fd < 0)
                return log_error_errno(-errno, "Cannot open /dev/net/tun: %m");
        ifreq_name(&ifr, ifname);
        ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
        if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
                if (errno == EBUSY)
                        return log_error_errno(-errno, "Tap %s is in use by another process (a QEMU still running?).",
                                               ifname);
                if (errno == EINVAL && if_nametoindex(ifname) > 0)
                        return log_error_errno(-errno, "Interface %s exists and is not a tap device.", ifname);
                return log_error_errno(-errno, "Cannot create tap %s: %m", ifname);
        }
        *ret_fd = fd;
        fd = -1;
        return 0;
}

static int set_flags(int sock, const char *ifname, short set, short clear) {
        struct ifreq ifr;

        ifreq_name(&ifr, ifname);
        if (ioctl(sock, SIOCGIFFLAGS, &ifr) < 0)
                return -errno;
        ifr.ifr_flags = (short) ((ifr.ifr_flags | set) & ~clear);
        return ioctl(sock, SIOCSIFFLAGS, &ifr) < 0 ? -errno : 0;
}

/* MTU, MAC, bridge, up: each step names what failed. */
static int tap_configure(const char *ifname, const char *bridge, const uint8_t mac[6]) {
        _cleanup_close_ int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        _cleanup_free_ char *master = master_of(ifname);
        struct ifreq ifr;
        int r;

        if (sock < 0)
                return log_error_errno(-errno, "Cannot open a socket: %m");

        /* A taken-over tap may be up and on some bridge: start from a clean state. */
        r = set_flags(sock, ifname, 0, IFF_UP);
        if (r < 0)
                return log_error_errno(r, "Cannot take %s down: %m", ifname);
        if (master) {
                ifreq_name(&ifr, master);
                ifr.ifr_ifindex = (int) if_nametoindex(ifname);
                if (ioctl(sock, SIOCBRDELIF, &ifr) < 0)
                        return log_error_errno(-errno, "Cannot detach %s from %s: %m", ifname, master);
        }

        ifreq_name(&ifr, bridge);
        if (ioctl(sock, SIOCGIFMTU, &ifr) < 0)
                return log_error_errno(-errno, "Cannot read the MTU of bridge '%s': %m", bridge);
        int mtu = ifr.ifr_mtu;
        ifreq_name(&ifr, ifname);
        ifr.ifr_mtu = mtu;
        if (ioctl(sock, SIOCSIFMTU, &ifr) < 0)
                return log_error_errno(-errno, "Cannot set the MTU of %s to %d: %m", ifname, mtu);

        ifreq_name(&ifr, ifname);
        ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
        memcpy(ifr.ifr_hwaddr.sa_data, mac, 6);
        if (ioctl(sock, SIOCSIFHWADDR, &ifr) < 0)
                return log_error_errno(-errno, "Cannot set the MAC address of %s: %m", ifname);

        ifreq_name(&ifr, bridge);
        ifr.ifr_ifindex = (int) if_nametoindex(ifname);
        if (ioctl(sock, SIOCBRADDIF, &ifr) < 0)
                return log_error_errno(-errno, "Cannot attach %s to bridge '%s': %m", ifname, bridge);

        r = set_flags(sock, ifname, IFF_UP, 0);
        if (r < 0)
                return log_error_errno(r, "Cannot bring %s up: %m", ifname);
        return 0;
}

/* Drops the persistent flag; the kernel removes the tap once no one has it open. */
static int tap_unpersist(const char *ifname) {
        int fd = -1, r;

        r = tap_attach(ifname, &fd);
        if (r < 0)
                return r;
        r = ioctl(fd, TUNSETPERSIST, 0UL) < 0 ? -errno : 0;
        close(fd);
        return r < 0 ? log_error_errno(r, "Cannot delete tap %s: %m", ifname) : 0;
}

static int tap_create(const char *ifname, const char *bridge, const char *owner, const char *mac_text) {
        uint8_t mac[6];
        struct passwd *pw;
        int fd = -1, r;

        if (parse_mac_address(mac_text, mac) < 0)
                return log_error_errno(-EINVAL, "Invalid MAC address '%s'.", mac_text);
        /* Checked first: a missing bridge leaves nothing behind. */
        if (!sysfs_exists(bridge, ""))
                return log_error_errno(-ENODEV, "Cannot create tap %s: bridge '%s' does not exist.", ifname, bridge);
        if (!sysfs_exists(bridge, "bridge"))
                return log_error_errno(-ENODEV, "Cannot create tap %s: '%s' is not a bridge.", ifname, bridge);
        errno = 0;
        pw = getpwnam(owner);
        if (!pw)
                return log_error_errno(-ENOENT, "Cannot create tap %s: user '%s' does not exist.", ifname, owner);

        bool existed = if_nametoindex(ifname) > 0;
        r = tap_attach(ifname, &fd);
        if (r < 0)
                return r;
        if (ioctl(fd, TUNSETOWNER, (unsigned long) pw->pw_uid) < 0 || ioctl(fd, TUNSETPERSIST, 1UL) < 0) {
                r = log_error_errno(-errno, "Cannot make tap %s persistent for user '%s': %m", ifname, owner);
                (void) ioctl(fd, TUNSETPERSIST, 0UL);
                close(fd);
                return r;
        }
        close(fd);

        r = tap_configure(ifname, bridge, mac);
        if (r < 0) {
                (void) tap_unpersist(ifname);   /* leave nothing half made behind */
                return r;
        }
        log_info("Tap %s %s: owner %s, MAC %s, on bridge %s.", ifname, existed ? "taken over" : "created",
                 owner, mac_text, bridge);
        return 0;
}

static int tap_delete(const char *ifname) {
        if (if_nametoindex(ifname) == 0) {
                log_info("Tap %s is already gone.", ifname);
                return 0;
        }
        int r = tap_unpersist(ifname);
        if (r < 0)
                return r;
        log_info("Tap %s deleted.", ifname);
        return 0;
}

static void help(void) {
        printf("Usage: qemu-vm-tap create IFNAME --bridge BRIDGE --owner USER --mac MAC\n"
               "       qemu-vm-tap delete IFNAME\n\n"
               "Creates (or takes over) a persistent tap device for a VM's bridged NIC, or deletes it.\n");
}

int main(int argc, char *argv[]) {
        enum { ARG_BRIDGE = 0x100, ARG_OWNER, ARG_MAC };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "bridge", required_argument, NULL, ARG_BRIDGE },
                { "owner", required_argument, NULL, ARG_OWNER },
                { "mac", required_argument, NULL, ARG_MAC },
                {}
        };
        const char *bridge = NULL, *owner = NULL, *mac = NULL;
        int c;

        log_setup("qemu-vm-tap", false);
        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_BRIDGE: bridge = optarg; break;
                case ARG_OWNER: owner = optarg; break;
                case ARG_MAC: mac = optarg; break;
                default: return 2;
                }
        if (argc - optind != 2 || !ifname_is_valid(argv[optind + 1])) {
                help();
                return 2;
        }
        const char *verb = argv[optind], *ifname = argv[optind + 1];

        if (streq(verb, "create")) {
                if (!bridge || !owner || !mac || !ifname_is_valid(bridge)) {
                        help();
                        return 2;
                }
                return tap_create(ifname, bridge, owner, mac) < 0 ? 1 : 0;
        }
        if (streq(verb, "delete"))
                return tap_delete(ifname) < 0 ? 1 : 0;
        help();
        return 2;
}
