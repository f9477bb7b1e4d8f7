/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "atomic-file.h"
#include "log.h"
#include "unit-file.h"
#include "util.h"

/* The output directory, opened once: every file is made relative to it, so the kernel walks one
 * component per file, not the whole path (bench/generator.sh writes 9000 files for 1000 VMs). It also
 * remembers the .wants/ directory made last, so that the many links in one are made with one mkdir. */
static struct {
        char *path;
        int fd;
        char *wants_made;
} output = { .fd = -EBADF };

static int output_open(const char *dir) {
        if (output.fd >= 0 && streq(output.path, dir))
                return output.fd;
        if (output.fd >= 0)
                close(output.fd);
        free(output.path);
        free(output.wants_made);
        output.path = xstrdup(dir);
        output.wants_made = NULL;
        output.fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (output.fd < 0)
                output.fd = log_error_errno(-errno, "Failed to open '%s': %m", dir);
        return output.fd;
}

/* Opens DIR and creates RELPATH's directory in it; returns DIR's descriptor. */
static int output_parent(const char *dir, const char *relpath) {
        int fd = output_open(dir);
        if (fd < 0)
                return fd;
        const char *slash = strrchr(relpath, '/');
        if (!slash)
                return fd;
        _cleanup_free_ char *sub = xstrndup(relpath, slash - relpath);
        if (streq_ptr(sub, output.wants_made))
                return fd;
        if (mkdirat(fd, sub, 0755) < 0 && errno != EEXIST)
                return log_error_errno(-errno, "Failed to create '%s/%s': %m", dir, sub);
        if (endswith(sub, ".wants")) {
                free(output.wants_made);
                output.wants_made = TAKE_PTR(sub);
        }
        return fd;
}

int unit_file_write(const char *dir, const char *relpath, const char *content, FILE *dry_run) {
        if (dry_run) {
                fprintf(dry_run, "# %s/%s\n%s\n", dir, relpath, content);
                return 0;
        }

        int dir_fd = output_parent(dir, relpath);
        if (dir_fd < 0)
                return dir_fd;

        /* Written in place: the output directory is ours alone and systemd reads it only after the
         * generator has exited (systemd.generator(7)). A file that cannot be written whole is removed,
         * so a unit never gets half a drop-in, only none. */
        _cleanup_close_ int fd = openat(dir_fd, relpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0)
                return log_error_errno(-errno, "Failed to create '%s/%s': %m", dir, relpath);
        int r = fd_write_all(fd, content, strlen(content));
        if (r < 0) {
                (void) unlinkat(dir_fd, relpath, 0);
                return log_error_errno(r, "Failed to write '%s/%s': %m", dir, relpath);
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

        int dir_fd = output_parent(dir, relpath);
        if (dir_fd < 0)
                return dir_fd;
        if (symlinkat(template_path, dir_fd, relpath) < 0 && errno != EEXIST)
                return log_error_errno(-errno, "Failed to create link '%s/%s': %m", dir, relpath);
        return 0;
}
