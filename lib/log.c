/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>

#include "log.h"

static const char *log_program = "qemu-vm";
static int kmsg_fd = -1;
static int stderr_is_journal = -1;
static int max_level = LOG_LEVEL_INFO;

void log_setup(const char *program, bool to_kmsg) {
        log_program = program;
        if (to_kmsg && kmsg_fd < 0)
                kmsg_fd = open("/dev/kmsg", O_WRONLY | O_NOCTTY | O_CLOEXEC);
}

void log_set_max_level(int level) {
        max_level = level;
}

void log_full(int level, const char *fmt, ...) {
        int saved_errno = errno;
        char buf[2048];
        va_list ap;

        if (level > max_level)
                return;

        va_start(ap, fmt);
        vsnprintf(buf, sizeof buf, fmt, ap);
        va_end(ap);

        /* "<N>" lets journald pick the priority when stderr is a journal stream (SyslogLevelPrefix=). */
        if (stderr_is_journal < 0)
                stderr_is_journal = !!getenv("JOURNAL_STREAM");
        if (stderr_is_journal)
                fprintf(stderr, "<%d>%s\n", level, buf);
        else
                fprintf(stderr, "%s\n", buf);
        if (kmsg_fd >= 0) {
                /* One write() per record; dprintf() cannot be used: glibc gives up on /dev/kmsg's lseek(). */
                char record[sizeof buf + 64];
                int n = snprintf(record, sizeof record, "<%d>%s: %s\n", level, log_program, buf);
                if (n > 0)
                        (void) !write(kmsg_fd, record, (size_t) n < sizeof record ? (size_t) n : sizeof record - 1);
        }
        errno = saved_errno;
}
