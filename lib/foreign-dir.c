/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>

#include "atomic-file.h"
#include "foreign-dir.h"
#include "path-util.h"
#include "util.h"

int foreign_dir_open(const char *path, int *ret_fd, struct stat *ret_st) {
        assert(path && ret_fd && ret_st);
        int fd = open_no_symlinks(path, O_RDONLY | O_DIRECTORY);
        if (fd < 0)
                return fd;
        if (fstat(fd, ret_st) < 0) {
                int r = -errno;
                close(fd);
                return r;
        }
        *ret_fd = fd;
        return 0;
}

int foreign_file_open(int dir_fd, const struct stat *dir_st, const char *name, int *ret_fd) {
        assert(dir_fd >= 0 && dir_st && name && ret_fd);
        struct stat st;
        /* O_NONBLOCK: a FIFO planted under the name must not hold root up. */
        int fd = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        if (fd < 0)
                return errno == ELOOP ? -EPERM : -errno;
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1 || st.st_uid != dir_st->st_uid) {
                close(fd);
                return -EPERM;
        }
        *ret_fd = fd;
        return 0;
}

int foreign_file_replace(int dir_fd, const struct stat *dir_st, const char *name, int from_fd) {
        assert(dir_fd >= 0 && dir_st && name && from_fd >= 0);
        _cleanup_free_ char *tmp = NULL;
        _cleanup_close_ int fd = -1;
        int r;

        for (unsigned attempt = 0; fd < 0 && attempt < 100; attempt++) {
                free(tmp);
                tmp = xasprintf(".%s.qemu-vm-%d-%u", name, (int) getpid(), attempt);
                fd = openat(dir_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0600);
                if (fd < 0 && errno != EEXIST)
                        return -errno;
        }
        if (fd < 0)
                return -EEXIST;
        r = fchown(fd, dir_st->st_uid, dir_st->st_gid) < 0 ? -errno : 0;
        if (r >= 0 && lseek(from_fd, 0, SEEK_SET) < 0)
                r = -errno;
        if (r >= 0)
                r = fd_copy(from_fd, fd);
        if (r >= 0 && fsync(fd) < 0)
                r = -errno;
        if (r >= 0 && renameat(dir_fd, tmp, dir_fd, name) < 0)
                r = -errno;
        if (r < 0) {
                (void) unlinkat(dir_fd, tmp, 0);
                return r;
        }
        return fsync(dir_fd) < 0 ? -errno : 0;
}

int foreign_file_remove(int dir_fd, const char *name) {
        assert(dir_fd >= 0 && name);
        return unlinkat(dir_fd, name, 0) < 0 && errno != ENOENT ? -errno : 0;
}
