/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-vm-prepare: ExecStart= of qemu-vm@.service, as the VM's own user. Creates missing disks in the
 * state directory with qemu-img, the UEFI variable store from its template, and the directory of the VNC
 * socket, then replaces itself with QEMU (the command after "--"). Never overwrites, truncates or resizes
 * an existing file: each new file is made under a temporary name, synced, and renamed into place only if
 * nothing is there yet (lib/atomic-file.h). What root prepares is qemu-vm-prepare-root's. */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>

#include "atomic-file.h"
#include "log.h"
#include "meson-config.h"
#include "qemu-img.h"
#include "strv.h"

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
        r = atomic_temp_open(path, &tmp, &fd);
        if (r < 0)
                return log_error_errno(r, "Cannot create NVRAM '%s': %m", path);

        r = fd_copy(in, fd);
        if (r >= 0)
                r = atomic_commit_new(tmp, fd, path);
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

        r = atomic_temp_open(d->path, &tmp, &fd);
        if (r < 0)
                return log_error_errno(r, "Cannot create disk '%s': %m", d->path);

        r = qemu_img_create(d, tmp, NULL, &error);
        if (r < 0) {
                (void) unlink(tmp);
                log_error("Cannot create disk '%s': %s", d->path, error);
                return r;
        }
        r = atomic_commit_new(tmp, fd, d->path);
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
               "                       [--require PATH]... [--console-dir PATH] [-- COMMAND [ARG]...]\n\n"
               "Creates missing disks and the UEFI NVRAM of a VM; never touches existing ones.\n"
               "Creates the directory of its VNC socket, open to group %s.\n"
               "Then, if all is in place, replaces itself with COMMAND (QEMU).\n"
               "What root prepares is qemu-vm-prepare-root's.\n",
               QEMU_VM_CONSOLE_GROUP);
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
        enum { ARG_NVRAM = 0x100, ARG_NVRAM_TEMPLATE, ARG_REQUIRE, ARG_CONSOLE_DIR };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "nvram", required_argument, NULL, ARG_NVRAM },
                { "nvram-template", required_argument, NULL, ARG_NVRAM_TEMPLATE },
                DISK_REQUEST_OPTIONS,
                { "require", required_argument, NULL, ARG_REQUIRE },
                { "console-dir", required_argument, NULL, ARG_CONSOLE_DIR },
                {}
        };
        const char *nvram = NULL, *nvram_template = NULL, *console_dir = NULL;
        _cleanup_free_ DiskRequest *disks = xcalloc((size_t) argc, sizeof(DiskRequest));
        Strv required = {};
        size_t n_disks = 0;
        int c, r = 0;

        log_setup("qemu-vm-prepare", false);
        umask(0077);
        /* '+': options end at the first non-option, so QEMU's own arguments after "--" stay as they are. */
        while ((c = getopt_long(argc, argv, "+h", options, NULL)) >= 0) {
                if (IS_DISK_OPTION(c)) {
                        if (disk_request_option(c, optarg, disks, &n_disks) < 0)
                                return 2;
                        continue;
                }
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_NVRAM: nvram = optarg; break;
                case ARG_NVRAM_TEMPLATE: nvram_template = optarg; break;
                case ARG_REQUIRE: strv_push(&required, optarg); break;
                case ARG_CONSOLE_DIR: console_dir = optarg; break;
                default:
                        return 2;
                }
        }
        /* What runs once everything is in place: "-- COMMAND..." (QEMU, in the drop-in). */
        char **command = optind < argc && streq(argv[optind - 1], "--") ? argv + optind : NULL;
        if ((optind != argc && !command) || !!nvram != !!nvram_template) {
                help();
                return 2;
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
