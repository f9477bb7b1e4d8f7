/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <libgen.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic-file.h"
#include "log.h"

char *path_dirname(const char *path) {
        assert(path);
        _cleanup_free_ char *copy = xstrdup(path);
        return xstrdup(dirname(copy));
}

int fsync_dir_of(const char *path) {
        assert(path);
        _cleanup_free_ char *dir = path_dirname(path);
        _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0 || fsync(fd) < 0)
                return -errno;
        return 0;
}

/* Temporary files of an earlier run that was killed half-way (the unit's start timed out, the host lost
 * power). systemd never runs two starts of one VM at once, so any that exist are stale. */
static void remove_stale_temps(const char *path) {
        _cleanup_free_ char *copy = xstrdup(path), *dir = path_dirname(path);
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
int atomic_temp_open(const char *path, char **ret_tmp, int *ret_fd) {
        assert(path && ret_tmp && ret_fd);
        _cleanup_free_ char *copy = xstrdup(path), *dir = path_dirname(path);
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
void sync_dir_after_commit(const char *path) {
        assert(path);
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

/* Readable by the owner alone, and on disk before it is renamed into place. */
int make_private_and_sync(int fd) {
        if (fchmod(fd, 0600) < 0 || fsync(fd) < 0)
                return -errno;
        return 0;
}

int atomic_commit_new(const char *tmp, int fd, const char *path) {
        assert(tmp && path);
        int r = make_private_and_sync(fd);
        return r < 0 ? r : commit_temp(tmp, path);
}

int fd_write_all(int fd, const void *data, size_t size) {
        assert(data || size == 0);
        for (size_t done = 0; done < size;) {
                ssize_t k = write(fd, (const uint8_t *) data + done, size - done);
                if (k < 0)
                        return -errno;
                done += (size_t) k;
        }
        return 0;
}

int fd_copy(int from, int to) {
        return fd_copy_max(from, to, UINT64_MAX);
}

int fd_copy_max(int from, int to, uint64_t max) {
        char buf[65536];
        uint64_t done = 0;

        for (;;) {
                ssize_t n = read(from, buf, sizeof buf);
                if (n < 0)
                        return -errno;
                if (n == 0)
                        return 0;
                done += (uint64_t) n;
                if (done > max)
                        return -EFBIG;
                int r = fd_write_all(to, buf, (size_t) n);
                if (r < 0)
                        return r;
        }
}
