/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>

#include "log.h"
#include "serial-log.h"
#include "util.h"

static int open_log(const char *log, uint64_t *ret_size) {
        int fd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0640);
        struct stat st;
        if (fd < 0)
                return -errno;
        *ret_size = fstat(fd, &st) == 0 ? (uint64_t) st.st_size : 0;
        return fd;
}

/* LOG becomes LOG.1 (the older LOG.1 goes) and a new LOG is begun. */
static int rotate(const char *log, int *fd, uint64_t *size) {
        _cleanup_free_ char *older = xasprintf("%s.1", log);
        close(*fd);
        *fd = -1;
        if (rename(log, older) < 0 && errno != ENOENT)
                return -errno;
        *fd = open_log(log, size);
        return *fd < 0 ? *fd : 0;
}

/* Until QEMU closes its end. A write that fails (the disk is full) loses those bytes, never blocks
 * QEMU: the guest's console must not stall for want of a log. */
static _Noreturn void run_logger(int fifo_fd, const char *log, uint64_t max) {
        uint64_t size = 0;
        int fd = open_log(log, &size);
        char buf[65536];

        for (;;) {
                /* poll() first: before QEMU has opened its end, a read would see end of file. Then
                 * POLLHUP (and a read of 0) comes only once QEMU has closed it. */
                struct pollfd p = { .fd = fifo_fd, .events = POLLIN };
                if (poll(&p, 1, -1) < 0 && errno != EINTR)
                        _exit(1);
                ssize_t k = read(fifo_fd, buf, sizeof buf);
                if (k < 0 && (errno == EINTR || errno == EAGAIN))
                        continue;
                if (k <= 0)
                        _exit(0);
                for (ssize_t done = 0; done < k;) {
                        if (fd < 0 || size >= max) {
                                if (rotate(log, &fd, &size) < 0) {
                                        if (fd >= 0)
                                                close(fd);
                                        fd = open_log(log, &size);
                                        break;  /* these bytes are lost */
                                }
                        }
                        size_t room = (size_t) (max - size < (uint64_t) (k - done) ? max - size : (uint64_t) (k - done));
                        ssize_t w = write(fd, buf + done, room);
                        if (w <= 0)
                                break;
                        done += w;
                        size += (uint64_t) w;
                }
        }
}

int serial_log_start(const char *fifo, const char *log, uint64_t max) {
        assert(fifo);
        assert(log);

        /* A FIFO of an earlier start; QEMU is not running, so no one holds it. */
        if (unlink(fifo) < 0 && errno != ENOENT)
                return log_error_errno(-errno, "Cannot remove '%s': %m", fifo);
        if (mkfifo(fifo, 0600) < 0)
                return log_error_errno(-errno, "Cannot make the serial log's FIFO '%s': %m", fifo);
        /* Non-blocking, so this open does not wait for QEMU; the reads wait for it in poll(). */
        int fifo_fd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        if (fifo_fd < 0)
                return log_error_errno(-errno, "Cannot open '%s': %m", fifo);

        pid_t pid = fork();
        if (pid < 0) {
                int r = -errno;
                close(fifo_fd);
                return log_error_errno(r, "Cannot start the serial logger: %m");
        }
        if (pid == 0) {
                /* QEMU's signal shields (shield_from_machinectl()) are not the logger's business; the
                 * unit's final SIGKILL is. */
                signal(SIGINT, SIG_DFL);
                run_logger(fifo_fd, log, max);
        }
        close(fifo_fd);
        return 0;
}
