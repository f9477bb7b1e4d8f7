/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>

#include "path-util.h"
#include "peer-socket.h"
#include "util.h"

/* An O_PATH descriptor of the socket: connect() through /proc/self/fd/N reaches exactly that inode, with
 * no second look-up of the name that a swap could race. */
static int open_socket_inode(const char *dir, const char *name) {
        _cleanup_close_ int dfd = open_no_symlinks(dir, O_PATH | O_DIRECTORY);
        if (dfd < 0)
                return dfd == -ENOTDIR ? -ELOOP : dfd;
        int fd = openat(dfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        struct stat st;
        if (fstat(fd, &st) < 0) {
                int r = -errno;
                close(fd);
                return r;
        }
        if (!S_ISSOCK(st.st_mode)) {
                close(fd);
                return S_ISLNK(st.st_mode) ? -ELOOP : -ENOTSOCK;
        }
        return fd;
}

/* A listener whose backlog is full makes connect() wait; SO_SNDTIMEO bounds that (and every send). */
static int socket_with_timeout(void) {
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        struct timeval tv = { .tv_sec = PEER_SOCKET_TIMEOUT_S };
        if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) < 0) {
                int r = -errno;
                close(fd);
                return r;
        }
        return fd;
}

int peer_socket_connect(const char *dir, const char *name, pid_t peer_pid) {
        assert(dir);
        assert(name);

        _cleanup_close_ int inode = open_socket_inode(dir, name);
        if (inode < 0)
                return inode;

        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        snprintf(sa.sun_path, sizeof sa.sun_path, "/proc/self/fd/%d", inode);
        _cleanup_close_ int fd = socket_with_timeout();
        if (fd < 0)
                return fd;
        if (connect(fd, (struct sockaddr *) &sa, sizeof sa) < 0)
                return errno == EAGAIN ? -ETIMEDOUT : -errno;

        struct ucred peer;
        socklen_t len = sizeof peer;
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &len) < 0)
                return -errno;
        if (peer.pid != peer_pid)
                return -EPERM;
        return TAKE_FD(fd);
}

int unix_connect(const char *path) {
        assert(path);
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        if (strlen(path) >= sizeof sa.sun_path)
                return -ENAMETOOLONG;
        strcpy(sa.sun_path, path);
        _cleanup_close_ int fd = socket_with_timeout();
        if (fd < 0)
                return fd;
        if (connect(fd, (struct sockaddr *) &sa, sizeof sa) < 0)
                return errno == EAGAIN ? -ETIMEDOUT : -errno;
        return TAKE_FD(fd);
}

int peer_socket_connect_path(const char *path, pid_t peer_pid) {
        assert(path);
        _cleanup_free_ char *dir = xstrdup(path);
        char *slash = strrchr(dir, '/');
        if (!slash || slash == dir)
                return -EINVAL;
        *slash = '\0';
        return peer_socket_connect(dir, slash + 1, peer_pid);
}
