/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-vm-serial-log: ExecStart= of qemu-vm-serial-log@NAME.service, the VM's serial log, bounded.
 * QEMU writes everything the guest prints into a FIFO (the serial chardev's logfile=); this appends it
 * to the log, renaming LOG to LOG.1 (replacing the older one) whenever it reaches --max bytes, so a
 * guest that prints without end takes at most two files of that size.
 *
 * A unit of its own, not a process beside QEMU: systemd restarts a killed QEMU only when nothing else
 * of its unit is left to kill. It starts before QEMU (Type=notify: ready once the FIFO is open), runs
 * as the VM's user, and ends when QEMU closes the FIFO. */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>

#include "log.h"
#include "parse-value.h"
#include "paths.h"
#include "util.h"

/* The smallest --max: [serial] log_max is at least 64K (lib/config.h); tests may go lower. */
#define LOG_MAX_MIN 4096

typedef struct Log {
        const char *path;
        int fd;                 /* -1 while it cannot be opened: bytes are dropped, never held back */
        uint64_t size;
        uint64_t max;
} Log;

/* A regular file only: non-blocking, so that a FIFO planted there cannot hold the start. */
static void log_open(Log *l) {
        struct stat st;

        l->fd = open(l->path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0640);
        if (l->fd < 0) {
                log_error("Cannot open '%s': %m", l->path);
                return;
        }
        if (fstat(l->fd, &st) < 0 || !S_ISREG(st.st_mode)) {
                log_error("'%s' is not a regular file: the serial log is not written.", l->path);
                close(l->fd);
                l->fd = -1;
                return;
        }
        l->size = (uint64_t) st.st_size;
}

/* LOG becomes LOG.1 (the older LOG.1 goes) and a new LOG is begun. */
static void log_rotate(Log *l) {
        _cleanup_free_ char *older = serial_log_rotated_path(l->path);

        if (l->fd >= 0)
                close(l->fd);
        l->fd = -1;
        if (rename(l->path, older) < 0 && errno != ENOENT)
                log_error("Cannot rename '%s' to '%s': %m", l->path, older);
        log_open(l);
}

/* Writes what fits before LOG reaches its size, rotates, and goes on. A write that fails (a full disk)
 * loses those bytes: the guest's console must not stall for want of a log. */
static void log_append(Log *l, const char *buf, size_t n) {
        while (n > 0) {
                if (l->fd < 0 || l->size >= l->max) {
                        log_rotate(l);
                        /* Rotation failed (say, serial.log.1 is a directory): the bytes go, the bound holds. */
                        if (l->fd < 0 || l->size >= l->max)
                                return;
                }
                size_t room = l->max - l->size < n ? (size_t) (l->max - l->size) : n;
                ssize_t w = write(l->fd, buf, room);
                if (w <= 0)
                        return;
                buf += w;
                n -= (size_t) w;
                l->size += (uint64_t) w;
        }
}

/* A FIFO of an earlier start, made anew: QEMU is not running, so no one holds it. Non-blocking, so
 * that opening it does not wait for QEMU. */
static int fifo_open(const char *path) {
        if (unlink(path) < 0 && errno != ENOENT)
                return log_error_errno(-errno, "Cannot remove '%s': %m", path);
        if (mkfifo(path, 0600) < 0)
                return log_error_errno(-errno, "Cannot make the FIFO '%s': %m", path);
        int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
                return log_error_errno(-errno, "Cannot open '%s': %m", path);
        return fd;
}

/* Until QEMU closes its end, or systemd stops the unit: then what QEMU wrote is written out first. */
static int run(int fifo, int signals, Log *l) {
        static char buf[65536];
        bool stopping = false;

        for (;;) {
                /* poll() first: before QEMU has opened its end, a read would see end of file. POLLHUP
                 * (and a read of 0) comes only once QEMU has closed it. */
                struct pollfd p[2] = { { .fd = fifo, .events = POLLIN }, { .fd = signals, .events = POLLIN } };
                if (!stopping && poll(p, 2, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        return log_error_errno(-errno, "poll: %m");
                }
                if (p[1].revents & POLLIN)
                        stopping = true;
                ssize_t k = read(fifo, buf, sizeof buf);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0 && errno == EAGAIN) {
                        if (stopping)
                                return 0;
                        continue;
                }
                if (k < 0)
                        return log_error_errno(-errno, "Cannot read the FIFO: %m");
                if (k == 0)
                        return 0;
                log_append(l, buf, (size_t) k);
        }
}

static void help(void) {
        printf("Usage: qemu-vm-serial-log --fifo FIFO --log LOG --max BYTES\n\n"
               "Makes FIFO, tells systemd it is ready, and appends what QEMU writes there to LOG,\n"
               "renaming LOG to LOG.1 whenever it reaches BYTES. Ends when QEMU closes FIFO.\n");
}

int main(int argc, char *argv[]) {
        enum { ARG_FIFO = 0x100, ARG_LOG, ARG_MAX };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "fifo", required_argument, NULL, ARG_FIFO },
                { "log", required_argument, NULL, ARG_LOG },
                { "max", required_argument, NULL, ARG_MAX },
                {}
        };
        const char *fifo_path = NULL;
        Log l = { .fd = -1 };
        int c;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h': help(); return 0;
                case ARG_FIFO: fifo_path = optarg; break;
                case ARG_LOG: l.path = optarg; break;
                case ARG_MAX:
                        if (parse_uint_range(optarg, LOG_MAX_MIN, UINT64_MAX, &l.max) < 0) {
                                log_error("Invalid --max '%s'.", optarg);
                                return 2;
                        }
                        break;
                default: help(); return 2;
                }
        if (optind != argc || !fifo_path || !l.path || l.max == 0) {
                help();
                return 2;
        }

        /* Not dumpable: QEMU runs as the same user, and must not reach into this process. */
        (void) prctl(PR_SET_DUMPABLE, 0);

        sigset_t mask;
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return 1;
        _cleanup_close_ int signals = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
        if (signals < 0) {
                log_error("signalfd: %m");
                return 1;
        }
        _cleanup_close_ int fifo = fifo_open(fifo_path);
        if (fifo < 0)
                return 1;
        log_open(&l);
        (void) sd_notify(0, "READY=1");
        int r = run(fifo, signals, &l);
        if (l.fd >= 0)
                close(l.fd);
        return r < 0 ? 1 : 0;
}
