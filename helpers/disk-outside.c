/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <sys/stat.h>

#include "disk-outside.h"
#include "log.h"
#include "path-util.h"
#include "util.h"

/* Creates the temporary file beside the disk, exclusively: a name no one else holds. */
static int create_temp(int dfd, const char *base, char **ret_name) {
        for (unsigned attempt = 0; attempt < 100; attempt++) {
                char *name = xasprintf(".%s.tmp-%d-%u", base, (int) getpid(), attempt);
                /* No O_CLOEXEC: qemu-img writes the image through /proc/self/fd/N. */
                int fd = openat(dfd, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_NOCTTY, 0600);
                if (fd >= 0) {
                        *ret_name = name;
                        return fd;
                }
                free(name);
                if (errno != EEXIST)
                        return -errno;
        }
        return -EEXIST;
}

static int create_disk(int dfd, const char *base, const DiskRequest *d, const struct passwd *pw) {
        _cleanup_free_ char *tmp = NULL, *error = NULL, *target = NULL;
        int r;

        _cleanup_close_ int fd = create_temp(dfd, base, &tmp);
        if (fd < 0)
                return log_error_errno(fd, "Cannot create disk '%s': %m", d->path);
        if (fchown(fd, pw->pw_uid, pw->pw_gid) < 0) {
                r = log_error_errno(-errno, "Cannot give disk '%s' to user '%s': %m", d->path, pw->pw_name);
                goto fail;
        }
        target = xasprintf("/proc/self/fd/%d", fd);
        r = qemu_img_create(d, target, &(RunAs) { pw->pw_uid, pw->pw_gid }, &error);
        if (r < 0) {
                log_error("Cannot create disk '%s': %s", d->path, error);
                goto fail;
        }
        if (fsync(fd) < 0) {
                r = log_error_errno(-errno, "Cannot create disk '%s': %m", d->path);
                goto fail;
        }
        if (renameat2(dfd, tmp, dfd, base, RENAME_NOREPLACE) < 0) {
                r = -errno;
                (void) unlinkat(dfd, tmp, 0);
                if (r == -EEXIST) {
                        log_info("Disk %s appeared meanwhile, kept.", d->path);
                        return 0;
                }
                return log_error_errno(r, "Cannot create disk '%s': %m", d->path);
        }
        if (fsync(dfd) < 0)
                log_warning("Created '%s', but syncing its directory failed: %m", d->path);
        log_info("Created disk %s (%s%s%s%s%s), owned by %s.", d->path, d->format, d->size ? ", " : "",
                 d->size ? d->size : "", d->size ? " bytes" : "", d->backing ? ", on a backing image" : "",
                 pw->pw_name);
        return 0;
fail:
        (void) unlinkat(dfd, tmp, 0);
        return r;
}

int disk_outside_ensure(const DiskRequest *d, const struct passwd *pw, uid_t legacy_uid) {
        _cleanup_free_ char *dir_copy = xstrdup(d->path), *base_copy = xstrdup(d->path);
        const char *dir = dirname(dir_copy), *base = basename(base_copy);
        struct stat st;

        /* O_PATH is enough for the *at() calls, and a descriptor of a directory in which a link would
         * be followed cannot be had. */
        _cleanup_close_ int dfd = open_no_symlinks(dir, O_PATH | O_DIRECTORY);
        if (dfd == -ELOOP)
                return log_error_errno(dfd,
                                       "Disk '%s': its directory runs through a symbolic link, which "
                                       "qemu-vm-prepare-root does not follow as root. Give the path it leads to.",
                                       d->path);
        if (dfd < 0)
                return log_error_errno(dfd, "Cannot %s disk '%s': %m", d->format ? "create" : "access", d->path);

        if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0) {
                if (S_ISLNK(st.st_mode))
                        return log_error_errno(-ELOOP,
                                               "Disk '%s' is a symbolic link, which qemu-vm-prepare-root does not "
                                               "follow as root. Give the path it leads to.",
                                               d->path);
                if (S_ISREG(st.st_mode) && legacy_uid != (uid_t) -1 && st.st_uid == legacy_uid) {
                        /* Through a descriptor of the file itself (O_NOFOLLOW), and private to the VM's
                         * user as every disk qemu-vm makes: other VMs' QEMU see this directory too. */
                        _cleanup_close_ int fd =
                                openat(dfd, base, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
                        if (fd < 0 || fchown(fd, pw->pw_uid, pw->pw_gid) < 0 || fchmod(fd, 0600) < 0)
                                return log_error_errno(-errno, "Cannot give disk '%s' to user '%s': %m", d->path,
                                                       pw->pw_name);
                        log_info("Disk %s re-owned to %s: every VM has a user of its own now.", d->path, pw->pw_name);
                        return 0;
                }
                if (S_ISREG(st.st_mode) && (st.st_mode & 0044))
                        log_warning(
                                "Disk %s is readable by users other than its owner (mode %04o): other VMs' QEMU may "
                                "read it. Make it 0600 (chmod go-rw).",
                                d->path, (unsigned) (st.st_mode & 07777));
                else
                        log_info("Disk %s exists, kept.", d->path);
                return 0;
        }
        if (errno != ENOENT)
                return log_error_errno(-errno, "Cannot access disk '%s': %m", d->path);
        if (!d->format) {
                log_error("Disk '%s' does not exist (give it a size to have it created).", d->path);
                return -ENOENT;
        }
        return create_disk(dfd, base, d, pw);
}
