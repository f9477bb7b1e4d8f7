/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "log.h"
#include "unit-file.h"
#include "util.h"

static int mkdir_parent(const char *dir, const char *relpath) {
        /* Every autostart VM shares machines.target.wants/: remember the last directory made. */
        static char *last_made;
        const char *slash = strrchr(relpath, '/');
        if (!slash)
                return 0;
        _cleanup_free_ char *sub = xasprintf("%s/%.*s", dir, (int) (slash - relpath), relpath);
        if (streq_ptr(sub, last_made))
                return 0;
        if (mkdir(sub, 0755) < 0 && errno != EEXIST)
                return log_error_errno(-errno, "Failed to create '%s': %m", sub);
        free(last_made);
        last_made = TAKE_PTR(sub);
        return 0;
}

int unit_file_write(const char *dir, const char *relpath, const char *content, FILE *dry_run) {
        int r;

        if (dry_run) {
                fprintf(dry_run, "# %s/%s\n%s\n", dir, relpath, content);
                return 0;
        }

        r = mkdir_parent(dir, relpath);
        if (r < 0)
                return r;

        /* The output directory is ours alone (systemd.generator(7)), so a fixed temporary name is safe. */
        _cleanup_free_ char *path = xasprintf("%s/%s", dir, relpath);
        _cleanup_free_ char *tmp = xasprintf("%s.tmp", path);
        _cleanup_close_ int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0)
                return log_error_errno(-errno, "Failed to create '%s': %m", tmp);

        size_t n = strlen(content);
        if (write(fd, content, n) != (ssize_t) n || rename(tmp, path) < 0) {
                r = -errno;
                (void) unlink(tmp);
                return log_error_errno(r, "Failed to write '%s': %m", path);
        }
        return 0;
}

int unit_file_add_wants(const char *dir, const char *target, const char *unit, const char *template_path,
                        FILE *dry_run) {
        _cleanup_free_ char *relpath = xasprintf("%s.wants/%s", target, unit);

        if (dry_run) {
                fprintf(dry_run, "# %s/%s -> %s\n\n", dir, relpath, template_path);
                return 0;
        }

        int r = mkdir_parent(dir, relpath);
        if (r < 0)
                return r;
        _cleanup_free_ char *path = xasprintf("%s/%s", dir, relpath);
        if (symlink(template_path, path) < 0 && errno != EEXIST)
                return log_error_errno(-errno, "Failed to create link '%s': %m", path);
        return 0;
}
