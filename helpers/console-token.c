/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <sys/random.h>
#include <sys/stat.h>

#include "console-token.h"
#include "log.h"
#include "meson-config.h"
#include "util.h"

#define TOKEN_BYTES 32

static int random_hex(char out[2 * TOKEN_BYTES + 1]) {
        uint8_t raw[TOKEN_BYTES];
        if (getrandom(raw, sizeof raw, 0) != (ssize_t) sizeof raw)
                return -EIO;
        for (size_t i = 0; i < sizeof raw; i++)
                snprintf(out + 2 * i, 3, "%02x", raw[i]);
        return 0;
}

int console_token_write(const char *path, const char *socket) {
        struct group *g = getgrnam(QEMU_VM_CONSOLE_GROUP);
        if (!g)
                return log_error_errno(-ENOENT, "Group '%s' does not exist (run systemd-sysusers).",
                                       QEMU_VM_CONSOLE_GROUP);
        gid_t gid = g->gr_gid;

        /* Its directory is root's (tmpfiles.d makes it too): no one else may place a file or link there. */
        _cleanup_free_ char *copy = xstrdup(path);
        const char *dir = dirname(copy);
        if (mkdir(dir, 0750) < 0 && errno != EEXIST)
                return log_error_errno(-errno, "Cannot create '%s': %m", dir);
        if (chown(dir, 0, gid) < 0 || chmod(dir, 0750) < 0)
                return log_error_errno(-errno, "Cannot give '%s' to root and group %s: %m", dir, QEMU_VM_CONSOLE_GROUP);

        char token[2 * TOKEN_BYTES + 1];
        if (random_hex(token) < 0)
                return log_error_errno(-EIO, "Cannot draw a console token.");
        _cleanup_free_ char *tmp = xasprintf("%s.tmp", path), *text = xasprintf("%s: unix_socket:%s\n", token, socket);
        (void) unlink(tmp);
        _cleanup_close_ int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
                return log_error_errno(-errno, "Cannot write '%s': %m", tmp);
        size_t n = strlen(text);
        if (write(fd, text, n) != (ssize_t) n || fchown(fd, 0, gid) < 0 || fchmod(fd, 0640) < 0 || fsync(fd) < 0 ||
            rename(tmp, path) < 0) {
                int r = -errno ?: -EIO;
                (void) unlink(tmp);
                return log_error_errno(r, "Cannot write the console token '%s': %m", path);
        }
        return 0;
}
