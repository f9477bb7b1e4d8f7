/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-vm-wait-agent: ExecStartPost= of a VM with [vm] ready = agent. Returns once the guest's QEMU
 * guest agent answers (guest-sync-delimited), so that the unit is active, and units ordered after it
 * start, only when the guest is up; fails after --timeout seconds, which fails the start (systemd then
 * stops the VM the graceful way, ExecStop=). It runs as the VM's user, in its sandbox, and talks only
 * to a socket QEMU itself ($MAINPID) listens on. */

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>

#include "log.h"
#include "parse-value.h"
#include "peer-socket.h"
#include "qmp.h"
#include "util.h"

/* One attempt: a guest whose agent is not up yet leaves the sync unanswered this long. */
#define ATTEMPT_MS 5000
#define RETRY_MS 1000

static int agent_answers(const char *path, pid_t pid, int timeout_ms) {
        _cleanup_qmp_ QmpClient q = QMP_CLIENT_INIT;
        int r = peer_socket_connect_path(path, pid);
        if (r >= 0)
                r = qmp_agent_connect(&q, r, timeout_ms);
        return r;
}

static void help(void) {
        printf("Usage: qemu-vm-wait-agent --agent SOCKET --timeout SECONDS\n\n"
               "Waits until the guest agent behind SOCKET answers; QEMU's PID is $MAINPID.\n");
}

int main(int argc, char *argv[]) {
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "agent", required_argument, NULL, 'a' },
                { "timeout", required_argument, NULL, 't' },
                {}
        };
        const char *path = NULL;
        uint64_t timeout = 0, pid = 0;
        int c;

        log_setup("qemu-vm-wait-agent", false);
        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h': help(); return 0;
                case 'a': path = optarg; break;
                case 't':
                        if (parse_uint_range(optarg, 1, 86400, &timeout) < 0) {
                                log_error("Invalid --timeout '%s'.", optarg);
                                return 2;
                        }
                        break;
                default: return 2;
                }
        if (!path || timeout == 0 || optind != argc) {
                help();
                return 2;
        }
        const char *mainpid = getenv("MAINPID");
        if (!mainpid || parse_uint_range(mainpid, 2, INT32_MAX, &pid) < 0) {
                log_error("$MAINPID is not set: systemd knows of no QEMU to wait for.");
                return 1;
        }
        const char *slash = strrchr(path, '/');
        if (!slash || slash == path) {
                help();
                return 2;
        }
        signal(SIGPIPE, SIG_IGN);

        long long start = qmp_now_ms(), deadline = start + (long long) timeout * 1000;
        int r;
        for (;;) {
                long long left = deadline - qmp_now_ms();
                r = agent_answers(path, (pid_t) pid, (int) (left < ATTEMPT_MS ? (left > 0 ? left : 0) : ATTEMPT_MS));
                if (r >= 0) {
                        log_info("The guest agent answered %.1f s after QEMU started: the guest is up.",
                                 (double) (qmp_now_ms() - start) / 1000);
                        return 0;
                }
                /* QEMU gone, or an impostor on the socket: waiting longer changes nothing. */
                if (r == -EPERM || r == -ELOOP || r == -ENOTSOCK || kill((pid_t) pid, 0) < 0) {
                        log_error_errno(r, "Cannot wait for the guest agent on '%s': %m", path);
                        return 1;
                }
                if (qmp_now_ms() + RETRY_MS >= deadline)
                        break;
                usleep(RETRY_MS * 1000);
        }
        log_error("The guest agent did not answer within %" PRIu64 " s ([vm] ready = agent): is qemu-guest-agent "
                  "installed and enabled in the guest? Failing the start.", timeout);
        return 1;
}
