/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-vm-prepare-root: what root prepares before a VM starts, in ExecStartPre=+ lines of
 * qemu-vm@NAME.service, beside the unprivileged qemu-vm-prepare. With --owner it makes the missing disks
 * outside the VM's state directory, owned by the VM's user (disk-outside.c); with --console-token it
 * draws the browser console's token (console-token.c); with --cloud-init-seed it builds the VM's
 * cloud-init seed, the one file qemu-vm replaces: only when its content changed, atomically, and not at
 * all when an input is bad. It reads no configuration; the generator passes everything as arguments. */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <sys/stat.h>
#include <uuid/uuid.h>

#include "atomic-file.h"
#include "config-schema.h"
#include "console-token.h"
#include "disk-outside.h"
#include "log.h"
#include "names.h"
#include "parse-value.h"
#include "paths.h"
#include "qemu-img.h"
#include "seed-content.h"
#include "seed-iso.h"
#include "strv.h"

/* Whether the seed at path holds exactly these bytes. A symbolic link there is never current: the
 * rename replaces the link, not what it points to. */
static bool seed_is_current(const char *path, const void *image, size_t size) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
        struct stat st;

        if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t) st.st_size != size)
                return false;
        _cleanup_free_ uint8_t *old = xmalloc(size ?: 1);
        size_t done = 0;
        while (done < size) {
                ssize_t k = read(fd, old + done, size - done);
                if (k <= 0)
                        return false;
                done += (size_t) k;
        }
        return memcmp(old, image, size) == 0;
}

/* Writes the new seed beside the old one and renames it over it: QEMU (not running yet) sees the old
 * seed or the new one, never a mix. Owned by the owner of its directory (the VM's StateDirectory=). */
static int replace_seed(const char *path, const void *image, size_t size) {
        _cleanup_free_ char *tmp = NULL, *dir = path_dirname(path);
        _cleanup_close_ int fd = -1;
        struct stat st;
        int r;

        if (stat(dir, &st) < 0)
                return -errno;
        r = atomic_temp_open(path, &tmp, &fd);
        if (r < 0)
                return r;
        r = fd_write_all(fd, image, size);
        if (r >= 0 && fchown(fd, st.st_uid, st.st_gid) < 0)
                r = -errno;
        if (r >= 0)
                r = make_private_and_sync(fd);
        if (r >= 0 && rename(tmp, path) < 0)
                r = -errno;
        if (r < 0) {
                (void) unlink(tmp);
                return r;
        }
        sync_dir_after_commit(path);
        return 0;
}

static int ensure_seed(const char *path, const SeedSpec *spec) {
        _cleanup_free_ void *image = NULL;
        _cleanup_free_ char *error = NULL;
        SeedFiles files = {};
        size_t size = 0;
        int r;

        r = seed_files_make(spec, &files);
        if (r < 0) {
                log_error("Cloud-init seed '%s' not made: the VM does not start until the problems above are fixed.",
                          path);
                return r;
        }
        const SeedEntry entries[] = {
                { "meta-data", files.meta_data },
                { "user-data", files.user_data },
                { "network-config", files.network_config },
        };
        r = seed_iso_render(entries, ELEMENTSOF(entries), &image, &size, &error);
        if (r < 0)
                log_error("Cannot make cloud-init seed '%s': %s", path, error);
        else if (seed_is_current(path, image, size))
                log_info("Cloud-init seed %s is up to date (%s), kept.", path, files.instance_id);
        else {
                r = replace_seed(path, image, size);
                if (r < 0)
                        log_error_errno(r, "Cannot write cloud-init seed '%s': %m", path);
                else
                        log_info("Made cloud-init seed %s (%s).", path, files.instance_id);
        }
        seed_files_free(&files);
        return r;
}

/* --owner USER: as root, the disks outside the state directory (disk-outside.h). */
static int ensure_disks_outside(const DiskRequest *disks, size_t n, const char *owner) {
        struct passwd *pw = getpwnam(owner);
        if (!pw)
                return log_error_errno(-ENOENT, "User '%s' does not exist (qemu-vm-account@ makes it).", owner);
        struct passwd copy = *pw;
        copy.pw_name = xstrdup(pw->pw_name);
        struct passwd *legacy = getpwnam(QEMU_VM_LEGACY_USER);
        uid_t legacy_uid = legacy ? legacy->pw_uid : (uid_t) -1;
        int r = 0;

        for (size_t i = 0; i < n; i++)
                if (disk_outside_ensure(&disks[i], &copy, legacy_uid) < 0)
                        r = -1;
        free(copy.pw_name);
        return r;
}

static void help(void) {
        printf("Usage: qemu-vm-prepare-root [--owner USER --disk PATH [--format FMT [--size BYTES]\n"
               "                                         [--backing PATH [--backing-format FMT]]]...]\n"
               "                            [--console-token PATH --console-socket PATH]\n"
               "       qemu-vm-prepare-root --cloud-init-seed PATH --instance-namespace UUID --hostname NAME\n"
               "                            [--fqdn NAME] [--ssh-keys-file PATH]... [--user-data-file PATH]\n"
               "                            [--network-config-file PATH]\n"
               "                            [--user NAME [--shell PATH] [--sudo] [--ssh-keys-file PATH]...\n"
               "                                        [--password-hash-at FILE:LINE]]...\n"
               "                            [--nic ID --mac MAC [--address CIDR]... [--gateway IP]...\n"
               "                                       [--dns IP]...]...\n\n"
               "What root prepares before a VM starts (ExecStartPre=+ of qemu-vm@NAME.service):\n"
               "with --owner, the missing disks outside the state directory, owned by USER;\n"
               "with --console-token, the browser console's token for the VNC socket;\n"
               "with --cloud-init-seed, the cloud-init seed (NoCloud, volume cidata), replaced only when its\n"
               "content changed. --ssh-keys-file before any --user is for the image's default user.\n");
}

typedef enum SeedOption {
        SEED_PATH = 0x200, SEED_NAMESPACE, SEED_HOSTNAME, SEED_FQDN, SEED_KEYS, SEED_USER_DATA, SEED_NETWORK_CONFIG,
        SEED_USER, SEED_SHELL, SEED_SUDO, SEED_PASSWORD_AT, SEED_NIC, SEED_MAC, SEED_ADDRESS, SEED_GATEWAY, SEED_DNS,
} SeedOption;

#define SEED_OPTIONS \
        { "cloud-init-seed", required_argument, NULL, SEED_PATH }, \
        { "instance-namespace", required_argument, NULL, SEED_NAMESPACE }, \
        { "hostname", required_argument, NULL, SEED_HOSTNAME }, \
        { "fqdn", required_argument, NULL, SEED_FQDN }, \
        { "ssh-keys-file", required_argument, NULL, SEED_KEYS }, \
        { "user-data-file", required_argument, NULL, SEED_USER_DATA }, \
        { "network-config-file", required_argument, NULL, SEED_NETWORK_CONFIG }, \
        { "user", required_argument, NULL, SEED_USER }, \
        { "shell", required_argument, NULL, SEED_SHELL }, \
        { "sudo", no_argument, NULL, SEED_SUDO }, \
        { "password-hash-at", required_argument, NULL, SEED_PASSWORD_AT }, \
        { "nic", required_argument, NULL, SEED_NIC }, \
        { "mac", required_argument, NULL, SEED_MAC }, \
        { "address", required_argument, NULL, SEED_ADDRESS }, \
        { "gateway", required_argument, NULL, SEED_GATEWAY }, \
        { "dns", required_argument, NULL, SEED_DNS }

/* One seed option into spec. The values come from the generator, which checked them; they are checked
 * again because they end up in YAML. Returns 0, or -EINVAL with the problem logged. */
static int invalid_option(const char *name, const char *value) {
        log_error("Invalid --%s '%s'.", name, value);
        return -EINVAL;
}

static int seed_option(SeedSpec *spec, int option, const char *name, const char *value) {
        SeedUser *user = spec->n_users > 0 ? &spec->users[spec->n_users - 1] : NULL;
        SeedNic *nic = spec->n_nics > 0 ? &spec->nics[spec->n_nics - 1] : NULL;
        IpAddress a;
        uint8_t mac[6];
        uuid_t namespace;

        if ((option == SEED_SHELL || option == SEED_SUDO || option == SEED_PASSWORD_AT) && !user) {
                log_error("--%s must follow --user.", name);
                return -EINVAL;
        }
        if ((option == SEED_MAC || option == SEED_ADDRESS || option == SEED_GATEWAY || option == SEED_DNS) && !nic) {
                log_error("--%s must follow --nic.", name);
                return -EINVAL;
        }
        switch (option) {
        case SEED_NAMESPACE:
                if (strlen(value) != 36 || uuid_parse(value, namespace) < 0)
                        return invalid_option(name, value);
                spec->instance_namespace = value;
                break;
        case SEED_HOSTNAME:
                if (!hostname_is_valid(value))
                        return invalid_option(name, value);
                spec->hostname = value;
                break;
        case SEED_FQDN:
                if (!fqdn_is_valid(value))
                        return invalid_option(name, value);
                spec->fqdn = value;
                break;
        case SEED_KEYS: strv_push(user ? &user->key_files : &spec->default_user_key_files, value); break;
        case SEED_USER_DATA: spec->user_data_file = value; break;
        case SEED_NETWORK_CONFIG: spec->network_config_file = value; break;
        case SEED_USER:
                if (!user_name_is_valid(value))
                        return invalid_option(name, value);
                spec->users = xrealloc(spec->users, (spec->n_users + 1) * sizeof(SeedUser));
                spec->users[spec->n_users++] = (SeedUser) {
                        .name = value, .shell = config_key_default(SECTION_USER, "shell"),
                };
                break;
        case SEED_SHELL: user->shell = value; break;
        case SEED_SUDO: user->sudo = true; break;
        case SEED_PASSWORD_AT: user->password_at = value; break;
        case SEED_NIC:
                spec->nics = xrealloc(spec->nics, (spec->n_nics + 1) * sizeof(SeedNic));
                spec->nics[spec->n_nics++] = (SeedNic) { .id = value };
                break;
        case SEED_MAC:
                if (parse_mac_address(value, mac) < 0)
                        return invalid_option(name, value);
                nic->mac = value;
                break;
        case SEED_ADDRESS:
                if (parse_ip_prefix(value, &a) < 0)
                        return invalid_option(name, value);
                strv_push(&nic->addresses, value);
                break;
        case SEED_GATEWAY:
        case SEED_DNS:
                if (parse_ip_address(value, &a) < 0)
                        return invalid_option(name, value);
                strv_push(option == SEED_GATEWAY ? &nic->gateways : &nic->dns, value);
                break;
        }
        return 0;
}

static int seed_spec_complete(const SeedSpec *spec) {
        if (!spec->hostname || !spec->instance_namespace) {
                log_error("--cloud-init-seed needs --hostname and --instance-namespace.");
                return -EINVAL;
        }
        for (size_t i = 0; i < spec->n_nics; i++)
                if (!spec->nics[i].mac) {
                        log_error("--nic %s needs --mac.", spec->nics[i].id);
                        return -EINVAL;
                }
        return 0;
}

int main(int argc, char *argv[]) {
        enum { ARG_OWNER = 0x100, ARG_CONSOLE_TOKEN, ARG_CONSOLE_SOCKET };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                DISK_REQUEST_OPTIONS,
                { "owner", required_argument, NULL, ARG_OWNER },
                { "console-token", required_argument, NULL, ARG_CONSOLE_TOKEN },
                { "console-socket", required_argument, NULL, ARG_CONSOLE_SOCKET },
                SEED_OPTIONS,
                {}
        };
        const char *seed = NULL, *owner = NULL, *console_token = NULL, *console_socket = NULL;
        SeedSpec spec = {};
        int option_index = 0;
        _cleanup_free_ DiskRequest *disks = xcalloc((size_t) argc, sizeof(DiskRequest));
        size_t n_disks = 0;
        int c, r = 0;

        log_setup("qemu-vm-prepare-root", false);
        umask(0077);
        while ((c = getopt_long(argc, argv, "h", options, &option_index)) >= 0) {
                if (IS_DISK_OPTION(c)) {
                        if (disk_request_option(c, optarg, disks, &n_disks) < 0) {
                                seed_spec_free(&spec);
                                return 2;
                        }
                        continue;
                }
                switch (c) {
                case 'h':
                        help();
                        seed_spec_free(&spec);
                        return 0;
                case ARG_OWNER: owner = optarg; break;
                case ARG_CONSOLE_TOKEN: console_token = optarg; break;
                case ARG_CONSOLE_SOCKET: console_socket = optarg; break;
                case SEED_PATH: seed = optarg; break;
                default:
                        if (c < SEED_PATH || seed_option(&spec, c, options[option_index].name, optarg) < 0) {
                                seed_spec_free(&spec);
                                return 2;
                        }
                }
        }
        if (optind != argc || !!console_token != !!console_socket) {
                help();
                seed_spec_free(&spec);
                return 2;
        }
        if (seed) {
                if (n_disks > 0 || owner || console_token) {
                        log_error("--cloud-init-seed is a run of its own (it runs as root).");
                        seed_spec_free(&spec);
                        return 2;
                }
                r = seed_spec_complete(&spec) < 0 ? 2 : ensure_seed(seed, &spec) < 0 ? 1 : 0;
                seed_spec_free(&spec);
                return r;
        }
        if (spec.hostname || spec.n_users > 0 || spec.n_nics > 0) {
                log_error("Cloud-init options need --cloud-init-seed.");
                seed_spec_free(&spec);
                return 2;
        }
        if (!owner && (n_disks > 0 || !console_token)) {
                help();
                return 2;       /* spec is empty here: seed options without --cloud-init-seed are refused above */
        }
        if (owner && ensure_disks_outside(disks, n_disks, owner) < 0)
                r = -1;
        if (console_token && console_token_write(console_token, console_socket) < 0)
                r = -1;
        return r < 0 ? 1 : 0;
}
