/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "path-util.h"
#include "tap.h"
#include "util.h"

static void normalize(const char *in, const char *want) {
        char *got = NULL;
        int r = path_normalize(in, &got);
        check(r == 0 && got && strcmp(got, want) == 0, "'%s' is '%s' (got '%s')", in, want, got ? got : "(error)");
        free(got);
}

static void refused(const char *in, int want) {
        char *got = NULL;
        int r = path_normalize(in, &got);
        check(r == want && !got, "'%s' refused with %d (got %d)", in, want, r);
        free(got);
}

/* Both ways of opening: openat2() and the walk. */
static void opens(int (*open_fn)(const char *, int), const char *what, const char *dir) {
        _cleanup_free_ char *file = xasprintf("%s/real/file", dir), *link = xasprintf("%s/link", dir),
                            *through = xasprintf("%s/dirlink/file", dir), *slash = xasprintf("%s/real/", dir);
        int fd = open_fn(file, O_RDONLY);
        check(fd >= 0, "%s: a path without links opens (%d)", what, fd);
        if (fd >= 0)
                close(fd);
        fd = open_fn(slash, O_PATH | O_DIRECTORY);
        check(fd >= 0, "%s: a directory with a trailing slash opens (%d)", what, fd);
        if (fd >= 0)
                close(fd);
        fd = open_fn(link, O_RDONLY);
        check(fd == -ELOOP, "%s: a link as the last component is refused (%d)", what, fd);
        fd = open_fn(link, O_PATH);
        check(fd == -ELOOP, "%s: also with O_PATH (%d)", what, fd);
        fd = open_fn(through, O_RDONLY);
        check(fd == -ELOOP, "%s: a link as a directory is refused (%d)", what, fd);
}

int main(void) {
        normalize("/srv//vms/./a.qcow2/", "/srv/vms/a.qcow2");
        normalize("/", "/");
        normalize("///", "/");
        normalize("/./.", "/");
        normalize("/a/..b/...", "/a/..b/...");
        refused("/a/b/..", -ELOOP);
        refused("/..", -ELOOP);
        refused("relative/path", -EINVAL);

        char dir[] = "/tmp/test-path-util-XXXXXX";
        if (!mkdtemp(dir))
                abort();
        _cleanup_free_ char *real = xasprintf("%s/real", dir), *file = xasprintf("%s/real/file", dir),
                            *link = xasprintf("%s/link", dir), *dirlink = xasprintf("%s/dirlink", dir);
        if (mkdir(real, 0700) < 0 || close(open(file, O_CREAT | O_WRONLY, 0600)) < 0 || symlink(file, link) < 0 ||
            symlink(real, dirlink) < 0)
                abort();
        opens(open_no_symlinks, "openat2", dir);
        opens(open_no_symlinks_walk, "walk", dir);
        unlink(link);
        unlink(dirlink);
        unlink(file);
        rmdir(real);
        rmdir(dir);
        return tap_done();
}
