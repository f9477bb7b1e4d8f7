/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* systemd over D-Bus (sd-bus): unit states, jobs, reload, for qemu-vmctl (which never runs systemctl)
 * and qemu-vm-register. */

#include <stdint.h>
#include <systemd/sd-bus.h>

#include "vm-units.h"

/* sd-bus objects released when they go out of scope (sd-bus.h defines the *p functions). */
#define _cleanup_bus_ _cleanup_(sd_bus_flush_close_unrefp)
#define _cleanup_bus_message_ _cleanup_(sd_bus_message_unrefp)
#define _cleanup_bus_slot_ _cleanup_(sd_bus_slot_unrefp)
#define _cleanup_bus_error_ _cleanup_(sd_bus_error_free)

typedef struct UnitState {
        char *load_state;       /* loaded, not-found, ... */
        char *active_state;     /* active, inactive, failed, activating, deactivating, ... */
        char *sub_state;        /* running, dead, auto-restart, ... */
        char *result;           /* the service's last result: success, exit-code, timeout, ... */
        uint32_t main_pid;      /* 0: none */
        uint64_t active_enter_usec;     /* CLOCK_REALTIME when it last became active, 0: never */
        uint64_t timeout_stop_usec;
} UnitState;

/* The system bus; logs and returns a negative errno when there is none. */
int bus_open_system(sd_bus **ret);

/* MainPID of a loaded UNIT: 0 when it has none (not running). Logs failures. */
int unit_main_pid(sd_bus *bus, const char *unit, uint32_t *ret);

int unit_state_get(sd_bus *bus, const char *unit, UnitState *ret);
void unit_state_clear(UnitState *s);
bool unit_state_is_running(const UnitState *s);

/* Enqueues a job ("StartUnit", "StopUnit", "RestartUnit", "ResetFailedUnit" has none) in "replace" mode.
 * With wait, waits until it finishes or deadline_ms (qmp_now_ms() clock; 0: no deadline) passes: then
 * *ret_result is systemd's job result ("done", "failed", "timeout", "canceled", ...). Returns -ETIMEDOUT
 * when the deadline passed first, 0 otherwise (also when the job did not succeed). */
int unit_job(sd_bus *bus, const char *method, const char *unit, bool wait, long long deadline_ms, char **ret_result);

/* Clears a failed unit's state (systemctl reset-failed); a unit that is not failed is left alone. */
int unit_reset_failed(sd_bus *bus, const char *unit);

/* Reloads systemd's configuration (systemctl daemon-reload): generators run again. */
int manager_reload(sd_bus *bus);
