/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "log.h"
#include "unit-file.h"
#include "util.h"

/* The output directory, opened once: every file is made relative to it, so the kernel walks one
 * component per file, not the whole path (bench/generator.sh writes 9000 files for 1000 VMs). */
static int output_dir_fd(const char *dir) {
        static char *opened;
        static int fd = -EBADF;

        if (fd >= 0 && streq(opened, dir))
                return fd;
        if (fd >= 0)
                close(fd);
        free(opened);
        opened = xstrdup(dir);
        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                fd = log_error_errno(-errno, "Failed to open '%s': %m", dir);
        return fd;
}

/* Creates RELPATH's directory. LAST_MADE remembers the one made last, so that the many links in one
 * .wants/ directory make it once. */
static int mkdir_parent(int dir_fd, const char *dir, const char *relpath, char **last_made) {
        const char *slash = strrchr(relpath, '/');
        if (!slash)
                return 0;
        _cleanup_free_ char *sub = xstrndup(relpath, slash - relpath);
        if (streq_ptr(sub, *last_made))
                return 0;
        if (mkdirat(dir_fd, sub, 0755) < 0 && errno != EEXIST)
                return log_error_errno(-errno, "Failed to create '%s/%s': %m", dir, sub);
        free(*last_made);
        *last_made = TAKE_PTR(sub);
        return 0;
}

/* The output directory's descriptor, once RELPATH's directory exists in it. */
static int output_parent(const char *dir, const char *relpath, char **last_made) {
        int dir_fd = output_dir_fd(dir);
        if (dir_fd < 0)
                return dir_fd;
        int r = mkdir_parent(dir_fd, dir, relpath, last_made);
        return r < 0 ? r : dir_fd;
}

int unit_file_write(const char *dir, const char *relpath, const char *content, FILE *dry_run) {
        static char *last_made;
        int r;

        if (dry_run) {
                fprintf(dry_run, "# %s/%s\n%s\n", dir, relpath, content);
                return 0;
        }

        int dir_fd = output_parent(dir, relpath, &last_made);
        if (dir_fd < 0)
                return dir_fd;

        /* Written in place: the output directory is ours alone and systemd reads it only after the
         * generator has exited (systemd.generator(7)). A file that cannot be written whole is removed,
         * so a unit never gets half a drop-in, only none. */
        _cleanup_close_ int fd = openat(dir_fd, relpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0)
                return log_error_errno(-errno, "Failed to create '%s/%s': %m", dir, relpath);

        size_t n = strlen(content);
        ssize_t written = write(fd, content, n);
        if (written != (ssize_t) n) {
                r = written < 0 ? -errno : -ENOSPC;
                (void) unlinkat(dir_fd, relpath, 0);
                return log_error_errno(r, "Failed to write '%s/%s': %m", dir, relpath);
        }
        return 0;
}

int unit_file_add_wants(const char *dir, const char *target, const char *unit, const char *template_path,
                        FILE *dry_run) {
        static char *last_made;
        _cleanup_free_ char *relpath = xasprintf("%s.wants/%s", target, unit);

        if (dry_run) {
                fprintf(dry_run, "# %s/%s -> %s\n\n", dir, relpath, template_path);
                return 0;
        }

        int dir_fd = output_parent(dir, relpath, &last_made);
        if (dir_fd < 0)
                return dir_fd;
        if (symlinkat(template_path, dir_fd, relpath) < 0 && errno != EEXIST)
                return log_error_errno(-errno, "Failed to create link '%s/%s': %m", dir, relpath);
        return 0;
}
