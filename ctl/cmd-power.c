/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-vmctl start|stop|restart NAME [--wait] [--timeout S]: jobs of qemu-vm@NAME.service, through
 * systemd. Without --wait the job is queued and the command returns (start and stop); --wait returns
 * once the VM is running (its QMP answers) or gone. restart always waits for the stop, and does not
 * start the VM again when it did not stop in time. */

#include <errno.h>
#include <getopt.h>

#include "ctl.h"
#include "log.h"
#include "parse-value.h"
#include "systemd-bus.h"
#include "vm-qmp.h"
#include "vms.h"

/* How long --wait waits for QMP to answer after a successful start job when no --timeout is given. */
#define QMP_READY_DEFAULT_MS 60000

typedef enum Action { ACTION_START, ACTION_STOP, ACTION_RESTART } Action;

typedef struct PowerOptions {
        bool wait;
        uint64_t timeout_s;     /* 0: none of our own; systemd's job timeouts still apply */
} PowerOptions;

static int handle_option(int c, const char *arg, void *userdata) {
        PowerOptions *o = userdata;
        switch (c) {
        case 'w':
                o->wait = true;
                return 0;
        case 't':
                return parse_uint_range(arg, 1, 86400 * 7, &o->timeout_s);
        default:
                return -EINVAL;
        }
}

/* What the command achieved: "running" (or QEMU's other status), "stopped", "queued". ctl NULL: quiet. */
static int report(const Ctl *ctl, const char *name, const char *state) {
        if (!ctl)
                return CTL_EXIT_OK;
        if (ctl->json) {
                json_object *doc = json_object_new_object();
                json_object_object_add(doc, "name", json_object_new_string(name));
                json_object_object_add(doc, "state", json_object_new_string(state));
                ctl_print_json(doc);
        } else if (!streq(state, "queued"))
                printf("VM %s is %s.\n", name, state);
        return CTL_EXIT_OK;
}

static int timed_out(const char *name, const char *what, uint64_t timeout_s) {
        log_error("VM %s was not %s within %" PRIu64 " s (--timeout); systemd's job goes on. "
                  "See 'qemu-vmctl status %s'.", name, what, timeout_s, name);
        return CTL_EXIT_TIMEOUT;
}

static int job_failed(const char *name, const char *what, const char *result) {
        log_error("%s VM %s failed (job %s). See 'qemu-vmctl status %s'.", what, name, result, name);
        return CTL_EXIT_FAILED;
}

/* After a successful start job: until QEMU answers on QMP, or the unit is no longer active. */
static int wait_until_running(const Ctl *ctl, sd_bus *bus, const char *name, const char *unit, long long deadline,
                              uint64_t timeout_s) {
        if (deadline == 0)
                deadline = qmp_now_ms() + QMP_READY_DEFAULT_MS;
        for (;;) {
                _cleanup_free_ char *status = NULL, *error = NULL;
                UnitState s = {};

                /* The unit's state first: its MainPID is the only QEMU whose socket is trusted. */
                if (unit_state_get(bus, unit, &s) < 0)
                        return CTL_EXIT_FAILED;
                bool active = unit_state_is_running(&s);
                uint32_t main_pid = s.main_pid;
                unit_state_clear(&s);
                if (active && vm_qemu_status(name, main_pid, &status, &error) >= 0)
                        return report(ctl, name, status);
                if (!active) {
                        log_error("VM %s stopped again right after it started. See 'qemu-vmctl status %s'.", name,
                                  name);
                        return CTL_EXIT_FAILED;
                }
                if (qmp_now_ms() >= deadline)
                        return timeout_s
                                ? timed_out(name, "running", timeout_s)
                                : (log_error("QEMU of VM %s does not answer on QMP: %s", name, error), CTL_EXIT_FAILED);
                usleep(100 * 1000);
        }
}

static int run_start(const Ctl *ctl, sd_bus *bus, const char *name, const char *unit, const PowerOptions *o,
                     long long deadline) {
        _cleanup_free_ char *result = NULL;
        int r = unit_job(bus, "StartUnit", unit, o->wait, deadline, &result);
        if (r == -ETIMEDOUT)
                return timed_out(name, "running", o->timeout_s);
        if (r < 0)
                return CTL_EXIT_FAILED;
        if (!o->wait)
                return report(ctl, name, "queued");
        if (!streq(result, "done"))
                return job_failed(name, "Starting", result);
        return wait_until_running(ctl, bus, name, unit, deadline, o->timeout_s);
}

static int run_stop(const Ctl *ctl, sd_bus *bus, const char *name, const char *unit, bool wait, uint64_t timeout_s,
                    long long deadline) {
        _cleanup_free_ char *result = NULL;
        int r = unit_job(bus, "StopUnit", unit, wait, deadline, &result);
        if (r == -ETIMEDOUT)
                return timed_out(name, "stopped", timeout_s);
        if (r < 0)
                return CTL_EXIT_FAILED;
        if (!wait)
                return report(ctl, name, "queued");
        if (!streq(result, "done"))
                return job_failed(name, "Stopping", result);
        return report(ctl, name, "stopped");
}

static int power(Ctl *ctl, int argc, char *argv[], Action action) {
        static const struct option options[] = {
                { "wait", no_argument, NULL, 'w' },
                { "timeout", required_argument, NULL, 't' },
                {}
        };
        static const char *const usages[] = {
                [ACTION_START] = "start NAME [--wait] [--timeout SECONDS]",
                [ACTION_STOP] = "stop NAME [--wait] [--timeout SECONDS]",
                [ACTION_RESTART] = "restart NAME [--wait] [--timeout SECONDS]",
        };
        PowerOptions o = {};
        _cleanup_bus_ sd_bus *bus = NULL;
        _cleanup_vm_set_ VmSet set = {};
        VmEntry *e;
        int r, exit_code, ret = CTL_EXIT_FAILED;

        r = ctl_parse_options(ctl, argc, argv, options, usages[action], handle_option, &o, 1, &exit_code);
        if (r < 0)
                return exit_code;
        exit_code = vms_load_one(ctl, argv[r], &set, &e);
        if (exit_code != CTL_EXIT_OK)
                return exit_code;
        const char *name = e->config.name;
        _cleanup_free_ char *unit = vm_unit_name(name);
        /* Stopping must work whatever the file says now; starting a broken VM would only fail later. */
        if (action != ACTION_STOP && e->errors.n > 0) {
                vm_entry_log_errors(e);
                log_error("Not starting VM %s: its file has errors.", name);
                return CTL_EXIT_REFUSED;
        }
        if (bus_open_system(&bus) < 0)
                return CTL_EXIT_FAILED;

        long long deadline = o.timeout_s ? qmp_now_ms() + (long long) o.timeout_s * 1000 : 0;
        switch (action) {
        case ACTION_START:
                ret = run_start(ctl, bus, name, unit, &o, deadline);
                break;
        case ACTION_STOP:
                ret = run_stop(ctl, bus, name, unit, o.wait, o.timeout_s, deadline);
                break;
        case ACTION_RESTART:
                /* Quietly: one report, of the start. */
                ret = run_stop(NULL, bus, name, unit, true, o.timeout_s, deadline);
                if (ret == CTL_EXIT_TIMEOUT)
                        log_error("Not starting VM %s again: it did not stop in time.", name);
                if (ret == CTL_EXIT_OK)
                        ret = run_start(ctl, bus, name, unit, &o, deadline);
                break;
        }
        return ret;
}

int cmd_start(Ctl *ctl, int argc, char *argv[]) {
        return power(ctl, argc, argv, ACTION_START);
}

int cmd_stop(Ctl *ctl, int argc, char *argv[]) {
        return power(ctl, argc, argv, ACTION_STOP);
}

int cmd_restart(Ctl *ctl, int argc, char *argv[]) {
        return power(ctl, argc, argv, ACTION_RESTART);
}
