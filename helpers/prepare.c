/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-vm-prepare: ExecStart= of qemu-vm@.service. Creates missing disks with qemu-img, the UEFI
 * variable store from its template, and the directory of the VNC socket, then replaces itself with
 * QEMU (the command after "--"). Never overwrites, truncates or
 * resizes an existing file: each new file is made under a temporary name, synced, and renamed into place
 * only if nothing is there yet.
 * With --cloud-init-seed (a second ExecStartPre=, as root) it builds the VM's cloud-init seed instead,
 * the one file it replaces: only when its content changed, atomically, and not at all when an input is
 * bad. It reads no configuration; the generator passes everything as arguments. */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <glob.h>
#include <grp.h>
#include <inttypes.h>
#include <libgen.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <uuid/uuid.h>

#include "config-schema.h"
#include "console-token.h"
#include "disk-outside.h"
#include "log.h"
#include "meson-config.h"
#include "names.h"
#include "parse-value.h"
#include "paths.h"
#include "qemu-img.h"
#include "seed-content.h"
#include "seed-iso.h"
#include "strv.h"

static char *dir_of(const char *path) {
        _cleanup_free_ char *copy = xstrdup(path);
        return xstrdup(dirname(copy));
}

static int fsync_dir_of(const char *path) {
        _cleanup_free_ char *dir = dir_of(path);
        _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0 || fsync(fd) < 0)
                return -errno;
        return 0;
}

/* Temporary files of an earlier run that was killed half-way (the unit's start timed out, the host lost
 * power). systemd never runs two starts of one VM at once, so any that exist are stale. */
static void remove_stale_temps(const char *path) {
        _cleanup_free_ char *copy = xstrdup(path), *dir = dir_of(path);
        _cleanup_free_ char *pattern = xasprintf("%s/.%s.tmp-??????", dir, basename(copy));
        glob_t g;

        if (glob(pattern, GLOB_NOSORT, NULL, &g) != 0)
                return;
        for (size_t i = 0; i < g.gl_pathc; i++)
                if (unlink(g.gl_pathv[i]) == 0)
                        log_info("Removed %s, left over from an interrupted start.", g.gl_pathv[i]);
        globfree(&g);
}

/* A unique temporary name in the same directory, so the final rename cannot cross filesystems. */
static int make_temp(const char *path, char **ret_tmp, int *ret_fd) {
        _cleanup_free_ char *copy = xstrdup(path), *dir = dir_of(path);
        char *tmp = xasprintf("%s/.%s.tmp-XXXXXX", dir, basename(copy));

        remove_stale_temps(path);
        int fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0) {
                int r = -errno;
                free(tmp);
                return r;
        }
        *ret_tmp = tmp;
        *ret_fd = fd;
        return 0;
}

/* The rename is done; a failed directory sync only weakens durability, so it is a warning. */
static void sync_dir_after_commit(const char *path) {
        int r = fsync_dir_of(path);
        if (r < 0) {
                errno = -r;
                log_warning("Created '%s', but syncing its directory failed: %m", path);
        }
}

/* Moves tmp to path unless path exists. Returns -EEXIST then, leaving path alone. */
static int commit_temp(const char *tmp, const char *path) {
        if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) == 0) {
                sync_dir_after_commit(path);
                return 0;
        }
        if (errno != EINVAL && errno != ENOSYS)
                return -errno;
        /* Filesystems without RENAME_NOREPLACE: link() refuses to replace as well. */
        if (link(tmp, path) < 0)
                return -errno;
        (void) unlink(tmp);
        sync_dir_after_commit(path);
        return 0;
}

/* 1 when something is at path (a dangling symbolic link is an error, not "missing"), 0 when nothing
 * is, or a negative errno (logged). */
static int check_existing(const char *path, const char *what) {
        struct stat st;

        if (stat(path, &st) == 0) {
                log_info("%s %s exists, kept.", what, path);
                return 1;
        }
        if (errno != ENOENT)
                return log_error_errno(-errno, "Cannot access %s '%s': %m", what, path);
        if (lstat(path, &st) == 0) {
                log_error("%s '%s' is a symbolic link to a missing file.", what, path);
                return -ENOENT;
        }
        return 0;
}

/* Readable by the owner alone, and on disk before it is renamed into place. */
static int make_private_and_sync(int fd) {
        if (fchmod(fd, 0600) < 0 || fsync(fd) < 0)
                return -errno;
        return 0;
}

static int sync_and_commit(const char *tmp, int fd, const char *path) {
        int r = make_private_and_sync(fd);
        return r < 0 ? r : commit_temp(tmp, path);
}

static int write_all(int fd, const void *data, size_t size) {
        for (size_t done = 0; done < size;) {
                ssize_t k = write(fd, (const uint8_t *) data + done, size - done);
                if (k < 0)
                        return -errno;
                done += (size_t) k;
        }
        return 0;
}

static int copy_fd(int from, int to) {
        char buf[65536];

        for (;;) {
                ssize_t n = read(from, buf, sizeof buf);
                if (n < 0)
                        return -errno;
                if (n == 0)
                        return 0;
                int r = write_all(to, buf, (size_t) n);
                if (r < 0)
                        return r;
        }
}

static int ensure_nvram(const char *path, const char *template) {
        _cleanup_free_ char *tmp = NULL;
        _cleanup_close_ int fd = -1, in = -1;
        int r;

        r = check_existing(path, "NVRAM");
        if (r != 0)
                return r < 0 ? r : 0;
        in = open(template, O_RDONLY | O_CLOEXEC);
        if (in < 0)
                return log_error_errno(-errno, "Cannot create NVRAM '%s': cannot open template '%s': %m", path,
                                       template);
        r = make_temp(path, &tmp, &fd);
        if (r < 0)
                return log_error_errno(r, "Cannot create NVRAM '%s': %m", path);

        r = copy_fd(in, fd);
        if (r >= 0)
                r = sync_and_commit(tmp, fd, path);
        if (r < 0) {
                (void) unlink(tmp);
                if (r == -EEXIST) {
                        log_info("NVRAM %s appeared meanwhile, kept.", path);
                        return 0;
                }
                return log_error_errno(r, "Cannot create NVRAM '%s': %m", path);
        }
        log_info("Created NVRAM %s from %s.", path, template);
        return 0;
}

static int ensure_disk(const DiskRequest *d) {
        _cleanup_free_ char *tmp = NULL, *error = NULL;
        _cleanup_close_ int fd = -1;
        int r;

        r = check_existing(d->path, "Disk");
        if (r != 0)
                return r < 0 ? r : 0;
        if (!d->format) {
                log_error("Disk '%s' does not exist (give it a size to have it created).", d->path);
                return -ENOENT;
        }
        if (d->backing && access(d->backing, R_OK) < 0)
                return log_error_errno(-errno, "Cannot create disk '%s': backing image '%s': %m", d->path, d->backing);

        r = make_temp(d->path, &tmp, &fd);
        if (r < 0)
                return log_error_errno(r, "Cannot create disk '%s': %m", d->path);

        r = qemu_img_create(d, tmp, NULL, &error);
        if (r < 0) {
                (void) unlink(tmp);
                log_error("Cannot create disk '%s': %s", d->path, error);
                return r;
        }
        r = sync_and_commit(tmp, fd, d->path);
        if (r < 0) {
                (void) unlink(tmp);
                if (r == -EEXIST) {
                        log_info("Disk %s appeared meanwhile, kept.", d->path);
                        return 0;
                }
                return log_error_errno(r, "Cannot create disk '%s': %m", d->path);
        }
        log_info("Created disk %s (%s%s%s%s%s).", d->path, d->format,
                 d->size ? ", " : "", d->size ? d->size : "", d->size ? " bytes" : "",
                 d->backing ? ", on a backing image" : "");
        return 0;
}

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
        _cleanup_free_ char *tmp = NULL, *dir = dir_of(path);
        _cleanup_close_ int fd = -1;
        struct stat st;
        int r;

        if (stat(dir, &st) < 0)
                return -errno;
        r = make_temp(path, &tmp, &fd);
        if (r < 0)
                return r;
        r = write_all(fd, image, size);
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

static int require_file(const char *path) {
        if (access(path, R_OK) < 0)
                return log_error_errno(-errno, "Cannot read '%s': %m", path);
        return 0;
}

/* The directory QEMU puts vnc.sock in: group qemu-vm-console, which may enter it (ExecStartPost= then
 * gives the socket to the group): websockify (novnc@NAME) reaches it, and no one else. The rest of the
 * runtime directory stays closed to the group. Not set-group-ID: the sandbox forbids that bit
 * (RestrictSUIDSGID=). */
static int ensure_console_dir(const char *path) {
        struct group *g = getgrnam(QEMU_VM_CONSOLE_GROUP);
        if (!g)
                return log_error_errno(-ENOENT, "Cannot prepare the console: group '%s' does not exist "
                                       "(run systemd-sysusers).", QEMU_VM_CONSOLE_GROUP);
        if (mkdir(path, 0700) < 0 && errno != EEXIST)
                return log_error_errno(-errno, "Cannot create '%s': %m", path);
        if (chown(path, (uid_t) -1, g->gr_gid) < 0 || chmod(path, 0750) < 0)
                return log_error_errno(-errno, "Cannot give '%s' to group '%s': %m", path, QEMU_VM_CONSOLE_GROUP);
        return 0;
}

static void help(void) {
        printf("Usage: qemu-vm-prepare [--nvram PATH --nvram-template PATH]\n"
               "                       [--disk PATH [--format FMT [--size BYTES]\n"
               "                                    [--backing PATH [--backing-format FMT]]]]...\n"
               "                       [--require PATH]... [--console-dir PATH] [-- COMMAND [ARG]...]\n"
               "       qemu-vm-prepare [--owner USER --disk PATH [--format FMT [--size BYTES]\n"
               "                                    [--backing PATH [--backing-format FMT]]]...]\n"
               "                       [--console-token PATH --console-socket PATH]\n"
               "       qemu-vm-prepare --cloud-init-seed PATH --instance-namespace UUID --hostname NAME [--fqdn NAME]\n"
               "                       [--ssh-keys-file PATH]... [--user-data-file PATH] [--network-config-file PATH]\n"
               "                       [--user NAME [--shell PATH] [--sudo] [--ssh-keys-file PATH]... "
               "[--password-hash-at FILE:LINE]]...\n"
               "                       [--nic ID --mac MAC [--address CIDR]... [--gateway IP]... [--dns IP]...]...\n\n"
               "Creates missing disks and the UEFI NVRAM of a VM; never touches existing ones.\n"
               "Creates the directory of its VNC socket, open to group %s.\n"
               "Then, if all is in place, replaces itself with COMMAND (QEMU).\n"
               "With --owner (as root): creates missing disks outside the state directory, owned by USER.\n"
               "Or builds its cloud-init seed (NoCloud, volume cidata), replacing it only when the content changed.\n"
               "--ssh-keys-file before any --user is for the image's default user.\n",
               QEMU_VM_CONSOLE_GROUP);
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

/* machinectl poweroff and reboot signal the machine's leader, QEMU: SIGRTMIN+4 would end it at once
 * (the default action), SIGINT makes it quit; either way the guest is not told. Ignored and blocked
 * (both kept across exec and QEMU's fork), they do nothing; machinectl stop stops the unit gracefully. */
static void shield_from_machinectl(void) {
        sigset_t block;

        signal(SIGRTMIN + 4, SIG_IGN);
        sigemptyset(&block);
        sigaddset(&block, SIGINT);
        sigprocmask(SIG_BLOCK, &block, NULL);
}

int main(int argc, char *argv[]) {
        enum { ARG_NVRAM = 0x100, ARG_NVRAM_TEMPLATE, ARG_DISK, ARG_FORMAT, ARG_SIZE, ARG_BACKING,
               ARG_BACKING_FORMAT, ARG_REQUIRE, ARG_CONSOLE_DIR, ARG_OWNER, ARG_CONSOLE_TOKEN, ARG_CONSOLE_SOCKET };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "nvram", required_argument, NULL, ARG_NVRAM },
                { "nvram-template", required_argument, NULL, ARG_NVRAM_TEMPLATE },
                { "disk", required_argument, NULL, ARG_DISK },
                { "format", required_argument, NULL, ARG_FORMAT },
                { "size", required_argument, NULL, ARG_SIZE },
                { "backing", required_argument, NULL, ARG_BACKING },
                { "backing-format", required_argument, NULL, ARG_BACKING_FORMAT },
                { "require", required_argument, NULL, ARG_REQUIRE },
                { "console-dir", required_argument, NULL, ARG_CONSOLE_DIR },
                { "owner", required_argument, NULL, ARG_OWNER },
                { "console-token", required_argument, NULL, ARG_CONSOLE_TOKEN },
                { "console-socket", required_argument, NULL, ARG_CONSOLE_SOCKET },
                SEED_OPTIONS,
                {}
        };
        const char *nvram = NULL, *nvram_template = NULL, *console_dir = NULL, *seed = NULL, *owner = NULL;
        const char *console_token = NULL, *console_socket = NULL;
        SeedSpec spec = {};
        int option_index = 0;
        _cleanup_free_ DiskRequest *disks = xcalloc((size_t) argc, sizeof(DiskRequest));
        Strv required = {};
        size_t n_disks = 0;
        int c, r = 0;

        log_setup("qemu-vm-prepare", false);
        umask(0077);
        /* '+': options end at the first non-option, so QEMU's own arguments after "--" stay as they are. */
        while ((c = getopt_long(argc, argv, "+h", options, &option_index)) >= 0) {
                DiskRequest *last = n_disks > 0 ? &disks[n_disks - 1] : NULL;
                uint64_t size;

                if (!last && c >= ARG_FORMAT && c <= ARG_BACKING_FORMAT) {
                        log_error("--%s must follow --disk.", options[c - ARG_NVRAM + 1].name);
                        return 2;
                }
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_NVRAM: nvram = optarg; break;
                case ARG_NVRAM_TEMPLATE: nvram_template = optarg; break;
                case ARG_DISK: disks[n_disks++].path = optarg; break;
                case ARG_FORMAT: last->format = optarg; break;
                case ARG_SIZE:
                        if (parse_uint_range(optarg, 1, UINT64_MAX, &size) < 0) {
                                log_error("Invalid --size '%s'.", optarg);
                                return 2;
                        }
                        last->size = optarg;
                        break;
                case ARG_BACKING: last->backing = optarg; break;
                case ARG_BACKING_FORMAT: last->backing_format = optarg; break;
                case ARG_REQUIRE: strv_push(&required, optarg); break;
                case ARG_CONSOLE_DIR: console_dir = optarg; break;
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
        /* What runs once everything is in place: "-- COMMAND..." (QEMU, in the drop-in). */
        char **command = optind < argc && streq(argv[optind - 1], "--") ? argv + optind : NULL;
        if ((optind != argc && !command) || !!nvram != !!nvram_template) {
                help();
                return 2;
        }
        if (seed) {
                if (nvram || n_disks > 0 || required.n > 0 || console_dir || command) {
                        log_error("--cloud-init-seed is a run of its own (it runs as root).");
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
        if (!!console_token != !!console_socket) {
                help();
                return 2;
        }
        if (owner || console_token) {
                if (nvram || required.n > 0 || console_dir || command || (!owner && n_disks > 0)) {
                        log_error("--owner and --console-token are a run of their own (as root), with disks only.");
                        return 2;
                }
                if (owner && ensure_disks_outside(disks, n_disks, owner) < 0)
                        r = -1;
                if (console_token && console_token_write(console_token, console_socket) < 0)
                        r = -1;
                return r < 0 ? 1 : 0;
        }

        for (size_t i = 0; i < required.n; i++)
                if (require_file(required.items[i]) < 0)
                        r = -1;
        if (nvram && ensure_nvram(nvram, nvram_template) < 0)
                r = -1;
        for (size_t i = 0; i < n_disks; i++)
                if (ensure_disk(&disks[i]) < 0)
                        r = -1;
        if (console_dir && ensure_console_dir(console_dir) < 0)
                r = -1;
        strv_clear(&required);
        if (r < 0)
                return 1;
        if (command) {
                shield_from_machinectl();
                execv(command[0], command);
                log_error("Cannot run '%s': %m", command[0]);
                return 1;
        }
        return 0;
}
