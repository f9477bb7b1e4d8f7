/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-vm-shutdown: ExecStop= of qemu-vm@.service. Presses the guest's ACPI power button over QMP,
 * again every few seconds (a guest still booting drops a press for good, docs/DESIGN-NOTES.md), and waits for the
 * guest to power off, up to --timeout seconds. Then asks QEMU to quit, which flushes its caches:
 * SIGTERM would pull the plug without telling the guest. systemd's TimeoutStopSec= is the last resort.
 * With --agent, a guest that ignored the button for --agent-after seconds is asked once through its
 * QEMU guest agent (guest-shutdown): a second graceful way down, for guests without an ACPI listener.
 * QEMU's PID comes from $MAINPID, which systemd sets for ExecStop=. */

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>

#include "escape.h"
#include "log.h"
#include "parse-value.h"
#include "peer-socket.h"
#include "qmp.h"

#define CONNECT_TIMEOUT_MS 5000
#define COMMAND_TIMEOUT_MS 5000
#define PRESS_INTERVAL_MS 5000
#define EXIT_WAIT_MS 20000
#define AGENT_TIMEOUT_MS 5000

typedef enum Outcome { OUTCOME_RUNNING, OUTCOME_GUEST_SHUTDOWN, OUTCOME_QEMU_GONE } Outcome;

/* The guest agent's socket, served by QEMU, and when to ask it. */
typedef struct Agent {
        const char *path;       /* NULL: the VM has no [agent] */
        unsigned after_s;
} Agent;

/* QEMU's process: systemd passes its PID as $MAINPID to ExecStop=. A pidfd sees its exit even though
 * it is not our child; without pidfds (old kernels, seccomp) we poll kill(pid, 0). */
typedef struct Qemu {
        pid_t pid;              /* 0: systemd knows of no main process, QEMU is gone */
        int pidfd;              /* -1 when pidfds are unavailable */
} Qemu;

static Qemu find_qemu(void) {
        const char *s = getenv("MAINPID");
        uint64_t pid;
        Qemu q = { .pid = 0, .pidfd = -1 };

        if (!s || parse_uint_range(s, 2, INT32_MAX, &pid) < 0)
                return q;
        q.pid = (pid_t) pid;
        q.pidfd = (int) syscall(SYS_pidfd_open, q.pid, 0);
        if (q.pidfd < 0 && errno == ESRCH)
                q.pid = 0;
        return q;
}

static bool qemu_gone(const Qemu *q) {
        return q->pid == 0 || (kill(q->pid, 0) < 0 && errno == ESRCH);
}

static bool wait_for_exit(const Qemu *q, int timeout_ms) {
        if (q->pidfd >= 0) {
                struct pollfd p = { .fd = q->pidfd, .events = POLLIN };
                return poll(&p, 1, timeout_ms) > 0;
        }
        for (long long deadline = qmp_now_ms() + timeout_ms;; usleep(50 * 1000)) {
                if (qemu_gone(q))
                        return true;
                if (qmp_now_ms() >= deadline)
                        return false;
        }
}

static void press_power_button(QmpClient *q) {
        _cleanup_free_ char *error = NULL;
        int r = qmp_command(q, "system_powerdown", NULL, COMMAND_TIMEOUT_MS, NULL, &error);
        if (r == -EIO)
                log_warning("system_powerdown failed: %s", error);
        else if (r < 0 && r != -ECONNRESET) {
                errno = -r;
                log_warning("system_powerdown failed: %m");
        }
}

/* Asks the guest agent to power the guest off. It answers nothing when it obeys (the guest goes
 * down), so only an error reply or no agent at all is a failure; the SHUTDOWN event tells the rest. */
static void ask_agent(const Agent *agent, pid_t pid) {
        _cleanup_qmp_ QmpClient q = QMP_CLIENT_INIT;
        _cleanup_free_ char *error = NULL;
        int r = peer_socket_connect_path(agent->path, pid);
        if (r >= 0)
                r = qmp_agent_connect(&q, r, AGENT_TIMEOUT_MS);
        if (r >= 0) {
                json_object *args = json_object_new_object();
                json_object_object_add(args, "mode", json_object_new_string("powerdown"));
                r = qmp_command(&q, "guest-shutdown", args, AGENT_TIMEOUT_MS, NULL, &error);
                if (r == -ETIMEDOUT || r == -ECONNRESET || r == 0)
                        r = 0;
        }
        if (r == -EIO)
                log_warning("The guest agent refused guest-shutdown: %s", error);
        else if (r < 0) {
                errno = -r;
                log_warning("The guest agent did not take guest-shutdown (%m); pressing on.");
        }
}

/* Waits for SHUTDOWN or for QEMU to close QMP, pressing the button again every PRESS_INTERVAL_MS, and
 * asking the agent once when its time has come. */
static Outcome wait_for_guest(QmpClient *q, unsigned timeout_s, const Agent *agent, pid_t pid) {
        long long start = qmp_now_ms();
        long long deadline = start + (long long) timeout_s * 1000;
        long long next_press = start + PRESS_INTERVAL_MS;
        long long agent_at = agent->path ? start + (long long) agent->after_s * 1000 : deadline;
        unsigned presses = 1;

        for (;;) {
                long long now = qmp_now_ms();
                if (now >= deadline)
                        return OUTCOME_RUNNING;
                if (now >= agent_at && agent_at < deadline) {
                        log_info("Guest ignored the power button for %u s; asking its guest agent to power it off.",
                                 agent->after_s);
                        ask_agent(agent, pid);
                        agent_at = deadline;
                        continue;
                }
                if (now >= next_press) {
                        presses++;
                        log_info("Guest still running; pressing the power button again (%u).", presses);
                        press_power_button(q);
                        next_press = qmp_now_ms() + PRESS_INTERVAL_MS;
                }

                long long until = next_press < deadline ? next_press : deadline;
                if (agent_at < until)
                        until = agent_at;
                json_object *event, *v;
                int r = qmp_next_event(q, (int) (until - qmp_now_ms() > 0 ? until - qmp_now_ms() : 0), &event);
                if (r == -ETIMEDOUT)
                        continue;
                if (r < 0)
                        return OUTCOME_QEMU_GONE;

                const char *name = json_object_object_get_ex(event, "event", &v) ? json_object_get_string(v) : NULL;
                if (!name)
                        name = "";
                if (streq(name, "SHUTDOWN")) {
                        json_object *data = NULL, *guest = NULL, *reason = NULL;
                        json_object_object_get_ex(event, "data", &data);
                        json_object_object_get_ex(data, "guest", &guest);
                        json_object_object_get_ex(data, "reason", &reason);
                        /* QEMU's text: made printable, or a newline in it would forge a journal line. */
                        _cleanup_free_ char *why = string_printable(reason && json_object_get_string(reason)
                                                                    ? json_object_get_string(reason) : "unknown");
                        log_info("Guest powered off (SHUTDOWN event: guest=%s, reason=%s).",
                                 guest && json_object_get_boolean(guest) ? "true" : "false", why);
                        json_object_put(event);
                        return OUTCOME_GUEST_SHUTDOWN;
                }
                json_object_put(event);
        }
}

static int run(const char *qmp_path, unsigned timeout_s, const Agent *agent) {
        _cleanup_qmp_ QmpClient q = QMP_CLIENT_INIT;
        Qemu qemu = find_qemu();
        _cleanup_close_ _unused_ int pidfd = qemu.pidfd;  /* closes qemu.pidfd on return */
        int r;

        if (qemu.pid == 0) {
                log_info("QEMU is not running; nothing to stop.");
                return 0;
        }

        /* Only if QEMU itself listens: a name in QEMU's runtime directory is QEMU's to replace. */
        r = peer_socket_connect_path(qmp_path, qemu.pid);
        if (r >= 0)
                r = qmp_connect(&q, r, CONNECT_TIMEOUT_MS);
        if (r < 0) {
                if (wait_for_exit(&qemu, 0)) {
                        log_info("QEMU has exited.");
                        return 0;
                }
                return log_error_errno(r, "Cannot talk to QEMU over '%s': %m. systemd will terminate it.", qmp_path);
        }

        log_info("Pressing the guest's power button; waiting up to %u s for it to power off.", timeout_s);
        press_power_button(&q);
        Outcome outcome = wait_for_guest(&q, timeout_s, agent, qemu.pid);

        if (outcome == OUTCOME_RUNNING) {
                log_warning("Guest did not power off within %u s; asking QEMU to quit.", timeout_s);
                _cleanup_free_ char *error = NULL;
                r = qmp_command(&q, "quit", NULL, COMMAND_TIMEOUT_MS, NULL, &error);
                if (r == -EIO)
                        log_warning("quit failed: %s", error);
        }
        qmp_close(&q);          /* done with QMP: QEMU's socket is let go before the wait for its exit */

        if (!wait_for_exit(&qemu, EXIT_WAIT_MS)) {
                log_error("QEMU did not exit within %d s; systemd will terminate it.", EXIT_WAIT_MS / 1000);
                return -ETIMEDOUT;
        }
        log_info("QEMU has exited.");
        return 0;
}

static void help(void) {
        printf("Usage: qemu-vm-shutdown --qmp SOCKET [--timeout SECONDS] [--agent SOCKET --agent-after SECONDS]\n\n"
               "Powers a QEMU guest down over QMP; the QEMU process is $MAINPID. With --agent, a guest\n"
               "still running after --agent-after seconds is asked through its guest agent too.\n");
}

int main(int argc, char *argv[]) {
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "qmp", required_argument, NULL, 'q' },
                { "timeout", required_argument, NULL, 't' },
                { "agent", required_argument, NULL, 'a' },
                { "agent-after", required_argument, NULL, 'A' },
                {}
        };
        const char *qmp_path = NULL;
        uint64_t timeout = 120, agent_after = 0;
        Agent agent = {};
        int c;

        log_setup("qemu-vm-shutdown", false);
        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case 'q':
                        qmp_path = optarg;
                        break;
                case 't':
                        if (parse_uint_range(optarg, 1, 86400, &timeout) < 0) {
                                log_error("Invalid --timeout '%s'.", optarg);
                                return 2;
                        }
                        break;
                case 'a':
                        agent.path = optarg;
                        break;
                case 'A':
                        if (parse_uint_range(optarg, 1, 86400, &agent_after) < 0) {
                                log_error("Invalid --agent-after '%s'.", optarg);
                                return 2;
                        }
                        break;
                default:
                        return 2;
                }
        agent.after_s = (unsigned) agent_after;
        if (!qmp_path || optind != argc || !!agent.path != (agent_after > 0)) {
                help();
                return 2;
        }
        signal(SIGPIPE, SIG_IGN);
        return run(qmp_path, (unsigned) timeout, &agent) < 0 ? 1 : 0;
}
