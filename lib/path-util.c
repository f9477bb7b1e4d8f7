/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
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

int open_no_symlinks(const char *path, int flags) {
        struct open_how how = {
                .flags = (uint64_t) flags | O_CLOEXEC,
                .resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
        };
        int fd = (int) syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof how);
        return fd < 0 ? -errno : fd;
}
