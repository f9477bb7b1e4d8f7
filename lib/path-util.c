/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "path-util.h"
#include "util.h"

int path_normalize(const char *path, char **ret) {
        assert(path);
        assert(ret);

        if (path[0] != '/')
                return -EINVAL;
        size_t n = strlen(path);
        char *out = xmalloc(n + 2), *o = out;
        for (const char *p = path; *p;) {
                p += strspn(p, "/");
                size_t k = strcspn(p, "/");
                if (k == 0)
                        break;
                if (k == 1 && p[0] == '.') {
                        p += k;
                        continue;
                }
                if (k == 2 && p[0] == '.' && p[1] == '.') {
                        free(out);
                        return -ELOOP;
                }
                *o++ = '/';
                memcpy(o, p, k);
                o += k;
                p += k;
        }
        if (o == out)
                *o++ = '/';
        *o = '\0';
        *ret = out;
        return 0;
}

/* O_NOFOLLOW at every step: where openat2() is not to be had (old kernels; seccomp filters that do
 * not know it, as systemd 252's @system-service, which answer ENOSYS). */
int open_no_symlinks_walk(const char *path, int flags) {
        _cleanup_free_ char *copy = xstrdup(path);
        _cleanup_close_ int dfd = open(path[0] == '/' ? "/" : ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
        char *p = copy;
        struct stat st;

        if (dfd < 0)
                return -errno;
        for (;;) {
                p += strspn(p, "/");
                size_t k = strcspn(p, "/");
                bool last = p[k + strspn(p + k, "/")] == '\0';
                if (k == 0)     /* "/" itself */
                        return last ? openat(dfd, ".", flags | O_CLOEXEC) : -EINVAL;
                p[k] = '\0';
                int fd = openat(dfd, p, (last ? flags : O_PATH) | O_NOFOLLOW | O_CLOEXEC);
                if (fd < 0)
                        return -errno;
                /* With O_PATH, O_NOFOLLOW opens a link itself rather than failing. */
                int r = fstat(fd, &st) < 0              ? -errno
                        : S_ISLNK(st.st_mode)           ? -ELOOP
                        : !last && !S_ISDIR(st.st_mode) ? -ENOTDIR
                                                        : 0;
                if (r < 0) {
                        close(fd);
                        return r;
                }
                if (last)
                        return fd;
                close(dfd);
                dfd = fd;
                p += k + 1;
        }
}

int open_no_symlinks(const char *path, int flags) {
        struct open_how how = {
                .flags = (uint64_t) flags | O_CLOEXEC,
                .resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
        };
        int fd = (int) syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof how);
        if (fd < 0 && (errno == ENOSYS || errno == EPERM))
                return open_no_symlinks_walk(path, flags);
        return fd < 0 ? -errno : fd;
}
