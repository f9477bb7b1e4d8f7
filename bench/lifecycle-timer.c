/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The stopwatch of bench/vm-lifecycle.sh, run inside the benchmark's container. Prints one number,
 * the elapsed microseconds, so that no shell, date(1) or polling loop sits inside a measurement.
 *
 *   lifecycle-timer start QMP_SOCKET -- COMMAND...
 *           runs COMMAND (systemctl start, qemu-system-x86_64 -daemonize); once it has exited 0,
 *           connects to QMP_SOCKET and negotiates: "the VM runs and QMP answers". With QMP_SOCKET "-",
 *           COMMAND's return is the end (virsh start: libvirt has negotiated QMP itself by then).
 *   lifecycle-timer stop PID[,PID...] -- COMMAND...
 *           runs COMMAND (systemctl stop, virsh shutdown and wait), then waits until every process
 *           PID (QEMU) is gone, each watched through a pidfd opened before the clock starts.
 *   lifecycle-timer stop PID --qmp QMP_SOCKET
 *           the floor of a graceful stop: a bare QMP client in this process presses the power
 *           button once and waits until PID is gone.
 */

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "parse-value.h"
#include "peer-socket.h"
#include "qmp.h"

#define QMP_TIMEOUT_MS 60000
#define MAX_PIDS 64

static long long now_us(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int run_command(char **argv) {
        pid_t pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                execvp(argv[0], argv);
                fprintf(stderr, "lifecycle-timer: cannot run '%s': %m\n", argv[0]);
                _exit(127);
        }
        int status;
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return -errno;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                fprintf(stderr, "lifecycle-timer: '%s' failed (status 0x%x)\n", argv[0], (unsigned) status);
                return -EIO;
        }
        return 0;
}

/* QEMU may have left -daemonize's parent before the socket accepts: retry until it answers. */
static int qmp_answers(const char *socket_path) {
        long long deadline = qmp_now_ms() + QMP_TIMEOUT_MS;
        for (;;) {
                QmpClient q = QMP_CLIENT_INIT;
                int r = unix_connect(socket_path);
                if (r >= 0)
                        r = qmp_connect(&q, r, QMP_TIMEOUT_MS);
                qmp_close(&q);
                if (r == 0)
                        return 0;
                if (qmp_now_ms() >= deadline) {
                        fprintf(stderr, "lifecycle-timer: QMP at '%s' does not answer: %s\n", socket_path,
                                strerror(-r));
                        return r;
                }
                usleep(1000);
        }
}

static int press_power_button(const char *socket_path) {
        QmpClient q = QMP_CLIENT_INIT;
        int r = unix_connect(socket_path);
        if (r >= 0)
                r = qmp_connect(&q, r, QMP_TIMEOUT_MS);
        if (r == 0)
                r = qmp_command(&q, "system_powerdown", NULL, QMP_TIMEOUT_MS, NULL, NULL);
        qmp_close(&q);
        if (r < 0)
                fprintf(stderr, "lifecycle-timer: system_powerdown on '%s' failed: %s\n", socket_path,
                        strerror(-r));
        return r;
}

/* Waits until every pidfd has reported its process gone. */
static int wait_until_gone(const int *pidfds, size_t n) {
        for (size_t i = 0; i < n; i++) {
                struct pollfd p = { .fd = pidfds[i], .events = POLLIN };
                int r;
                while ((r = poll(&p, 1, QMP_TIMEOUT_MS)) < 0 && errno == EINTR)
                        ;
                if (r <= 0) {
                        fprintf(stderr, "lifecycle-timer: a process is still there after %d s\n",
                                QMP_TIMEOUT_MS / 1000);
                        return -ETIMEDOUT;
                }
        }
        return 0;
}

/* "PID[,PID...]" into pidfds, opened now so that the processes cannot go unseen. */
static int open_pidfds(const char *list, int *pidfds, size_t *n) {
        char *copy = strdup(list), *save = NULL;
        if (!copy)
                return -ENOMEM;
        int r = 0;
        *n = 0;
        for (char *word = strtok_r(copy, ",", &save); word; word = strtok_r(NULL, ",", &save)) {
                uint64_t pid;
                if (*n == MAX_PIDS || parse_uint_range(word, 2, INT32_MAX, &pid) < 0) {
                        r = -EINVAL;
                        break;
                }
                pidfds[*n] = (int) syscall(SYS_pidfd_open, (pid_t) pid, 0);
                if (pidfds[*n] < 0) {
                        fprintf(stderr, "lifecycle-timer: no process %s: %m\n", word);
                        r = -ESRCH;
                        break;
                }
                (*n)++;
        }
        free(copy);
        return *n == 0 ? -EINVAL : r;
}

static int usage(void) {
        fprintf(stderr, "Usage: lifecycle-timer start QMP_SOCKET -- COMMAND...\n"
                        "       lifecycle-timer stop PID[,PID...] -- COMMAND...\n"
                        "       lifecycle-timer stop PID --qmp QMP_SOCKET\n");
        return 2;
}

int main(int argc, char *argv[]) {
        long long t0;
        int r;

        if (argc >= 5 && strcmp(argv[1], "start") == 0 && strcmp(argv[3], "--") == 0) {
                t0 = now_us();
                r = run_command(argv + 4);
                if (r == 0 && strcmp(argv[2], "-") != 0)
                        r = qmp_answers(argv[2]);
        } else if (argc >= 5 && strcmp(argv[1], "stop") == 0) {
                int pidfds[MAX_PIDS];
                size_t n;
                r = open_pidfds(argv[2], pidfds, &n);
                if (r == -EINVAL)
                        return usage();
                if (r < 0)
                        return 1;
                t0 = now_us();
                if (strcmp(argv[3], "--") == 0)
                        r = run_command(argv + 4);
                else if (argc == 5 && n == 1 && strcmp(argv[3], "--qmp") == 0)
                        r = press_power_button(argv[4]);
                else
                        return usage();
                if (r == 0)
                        r = wait_until_gone(pidfds, n);
        } else
                return usage();

        if (r < 0)
                return 1;
        printf("%lld\n", now_us() - t0);
        return 0;
}
