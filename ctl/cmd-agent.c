/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-vmctl agent NAME ping|info|fsfreeze|fsthaw|fsfreeze-status: the QEMU guest agent of a running VM
 * with [agent] (ctl/vm-agent.h). What the guest answers is shown printable, never trusted. */

#include <errno.h>
#include <inttypes.h>

#include "ctl.h"
#include "escape.h"
#include "log.h"
#include "vm-agent.h"
#include "vms.h"

/* Freezing waits for every file system's writes to reach the disk. */
#define FSFREEZE_TIMEOUT_MS 60000

typedef enum AgentAction {
        AGENT_PING, AGENT_INFO, AGENT_FSFREEZE, AGENT_FSTHAW, AGENT_FSFREEZE_STATUS, _AGENT_ACTION_MAX,
} AgentAction;

static const struct {
        const char *name;
        const char *command;    /* the agent's, for the simple ones */
        int timeout_ms;
} actions[_AGENT_ACTION_MAX] = {
        [AGENT_PING] = { "ping", "guest-ping", GUEST_AGENT_TIMEOUT_MS },
        [AGENT_INFO] = { "info", NULL, GUEST_AGENT_TIMEOUT_MS },
        [AGENT_FSFREEZE] = { "fsfreeze", "guest-fsfreeze-freeze", FSFREEZE_TIMEOUT_MS },
        [AGENT_FSTHAW] = { "fsthaw", "guest-fsfreeze-thaw", FSFREEZE_TIMEOUT_MS },
        [AGENT_FSFREEZE_STATUS] = { "fsfreeze-status", "guest-fsfreeze-status", GUEST_AGENT_TIMEOUT_MS },
};

/* The simple commands: what the agent returned, in words or as JSON. */
static int run_simple(const Ctl *ctl, const char *vm, AgentAction a, QmpClient *q) {
        json_object *ret = NULL;
        _cleanup_free_ char *error = NULL;
        int r = qmp_command(q, actions[a].command, NULL, actions[a].timeout_ms, &ret, &error);
        if (r == -EIO) {
                log_error("The guest agent of VM %s refused %s: %s", vm, actions[a].command, error);
                return CTL_EXIT_FAILED;
        }
        if (r < 0) {
                _cleanup_free_ char *why = vm_agent_error(vm, r);
                log_error("%s: %s", actions[a].command, why);
                return r == -ETIMEDOUT ? CTL_EXIT_TIMEOUT : CTL_EXIT_FAILED;
        }

        json_object *doc = json_object_new_object();
        json_object_object_add(doc, "name", json_object_new_string(vm));
        _cleanup_free_ char *status = NULL;
        int64_t count = json_object_is_type(ret, json_type_int) ? json_object_get_int64(ret) : -1;
        switch (a) {
        case AGENT_PING:
                json_object_object_add(doc, "answers", json_object_new_boolean(true));
                if (!ctl->json)
                        printf("The guest agent of VM %s answers.\n", vm);
                break;
        case AGENT_FSFREEZE:
        case AGENT_FSTHAW:
                json_object_object_add(doc, a == AGENT_FSFREEZE ? "frozen" : "thawed", json_object_new_int64(count));
                if (!ctl->json)
                        printf("%s %" PRId64 " file systems of VM %s.\n", a == AGENT_FSFREEZE ? "Froze" : "Thawed",
                               count, vm);
                break;
        default:
                status = string_printable(json_object_is_type(ret, json_type_string) ? json_object_get_string(ret)
                                                                                     : "unknown");
                json_object_object_add(doc, "status", json_object_new_string(status));
                if (!ctl->json)
                        printf("%s\n", status);
        }
        json_object_put(ret);
        if (ctl->json)
                ctl_print_json(doc);
        else
                json_object_put(doc);
        return CTL_EXIT_OK;
}

int cmd_agent(Ctl *ctl, int argc, char *argv[]) {
        VmEntry *e;
        _cleanup_vm_set_ VmSet set = {};
        _cleanup_qmp_ QmpClient q = QMP_CLIENT_INIT;
        int r, exit_code;

        r = ctl_parse_options(ctl, argc, argv, NULL, "agent NAME ping|info|fsfreeze|fsthaw|fsfreeze-status [--json]",
                              NULL, NULL, 2, &exit_code);
        if (r < 0)
                return exit_code;
        const char *what = argv[r + 1];
        AgentAction a = 0;
        while (a < _AGENT_ACTION_MAX && !streq(actions[a].name, what))
                a++;
        if (a == _AGENT_ACTION_MAX) {
                log_error("Unknown agent command '%s' (ping, info, fsfreeze, fsthaw, fsfreeze-status).", what);
                return CTL_EXIT_USAGE;
        }
        exit_code = vms_load_one(ctl, argv[r], &set, &e);
        if (exit_code != CTL_EXIT_OK)
                return exit_code;
        _cleanup_free_ char *vm = xstrdup(e->config.name);
        if (e->errors.n > 0 || !e->config.agent.enabled) {
                log_error("VM %s has no guest agent channel ([agent] in its file, then a restart).", vm);
                return CTL_EXIT_FAILED;
        }

        r = vm_agent_connect(vm, GUEST_AGENT_TIMEOUT_MS, &q);
        if (r < 0) {
                _cleanup_free_ char *why = vm_agent_error(vm, r);
                log_error("Cannot talk to the guest agent of VM %s: %s", vm, why);
                return r == -ENOENT ? CTL_EXIT_NOT_RUNNING : r == -ETIMEDOUT ? CTL_EXIT_TIMEOUT : CTL_EXIT_FAILED;
        }
        if (a != AGENT_INFO)
                return run_simple(ctl, vm, a, &q);

        GuestInfo g;
        r = guest_info_get(&q, GUEST_AGENT_TIMEOUT_MS, &g);
        qmp_close(&q);
        if (r < 0) {
                _cleanup_free_ char *why = vm_agent_error(vm, r);
                log_error("The guest agent of VM %s: %s", vm, why);
                exit_code = r == -ETIMEDOUT ? CTL_EXIT_TIMEOUT : CTL_EXIT_FAILED;
        } else if (ctl->json) {
                json_object *doc = guest_info_json(&e->config, &g);
                json_object_object_add(doc, "name", json_object_new_string(vm));
                ctl_print_json(doc);
        } else {
                printf("        VM: %s\n", vm);
                guest_info_print(&e->config, &g);
        }
        guest_info_clear(&g);
        return exit_code;
}
