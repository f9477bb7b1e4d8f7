/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>

#include "log.h"
#include "qmp.h"
#include "systemd-bus.h"
#include "util.h"

#define SYSTEMD "org.freedesktop.systemd1"
#define MANAGER_PATH "/org/freedesktop/systemd1"
#define MANAGER_IFACE "org.freedesktop.systemd1.Manager"
#define UNIT_IFACE "org.freedesktop.systemd1.Unit"
#define SERVICE_IFACE "org.freedesktop.systemd1.Service"
/* A daemon-reload re-runs every generator; on a busy host that takes a while. */
#define RELOAD_TIMEOUT_USEC (120ULL * 1000 * 1000)

int bus_open_system(sd_bus **ret) {
        int r = sd_bus_open_system(ret);
        if (r < 0)
                return log_error_errno(r, "Cannot connect to systemd over D-Bus: %m");
        return 0;
}

static int unit_path(sd_bus *bus, const char *unit, char **ret) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_bus_message_ sd_bus_message *reply = NULL;
        const char *path;
        int r;

        /* LoadUnit, unlike GetUnit, also answers for a unit that is not loaded (inactive, not found). */
        r = sd_bus_call_method(bus, SYSTEMD, MANAGER_PATH, MANAGER_IFACE, "LoadUnit", &error, &reply, "s", unit);
        if (r >= 0)
                r = sd_bus_message_read(reply, "o", &path);
        if (r < 0) {
                log_error("Cannot look up %s: %s", unit, error.message ?: strerror(-r));
                return r;
        }
        *ret = xstrdup(path);
        return 0;
}

static int get_string(sd_bus *bus, const char *path, const char *iface, const char *name, char **ret) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        int r = sd_bus_get_property_string(bus, SYSTEMD, path, iface, name, &error, ret);
        if (r < 0)
                log_error("Cannot read %s of %s: %s", name, path, error.message ?: strerror(-r));
        return r;
}

static int get_trivial(sd_bus *bus, const char *path, const char *iface, const char *name, char type, void *ret) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        int r = sd_bus_get_property_trivial(bus, SYSTEMD, path, iface, name, &error, type, ret);
        if (r < 0)
                log_error("Cannot read %s of %s: %s", name, path, error.message ?: strerror(-r));
        return r;
}

int unit_main_pid(sd_bus *bus, const char *unit, uint32_t *ret) {
        _cleanup_free_ char *path = NULL;
        int r = sd_bus_path_encode("/org/freedesktop/systemd1/unit", unit, &path);
        if (r < 0)
                return r;
        return get_trivial(bus, path, SERVICE_IFACE, "MainPID", 'u', ret);
}

int unit_state_get(sd_bus *bus, const char *unit, UnitState *ret) {
        _cleanup_free_ char *path = NULL;
        UnitState s = {};
        int r;

        r = unit_path(bus, unit, &path);
        if (r < 0)
                return r;
        if ((r = get_string(bus, path, UNIT_IFACE, "LoadState", &s.load_state)) < 0 ||
            (r = get_string(bus, path, UNIT_IFACE, "ActiveState", &s.active_state)) < 0 ||
            (r = get_string(bus, path, UNIT_IFACE, "SubState", &s.sub_state)) < 0 ||
            (r = get_trivial(bus, path, UNIT_IFACE, "ActiveEnterTimestamp", 't', &s.active_enter_usec)) < 0)
                goto fail;
        /* A unit that was never loaded has no Service interface. */
        if (streq(s.load_state, "loaded") &&
            ((r = get_string(bus, path, SERVICE_IFACE, "Result", &s.result)) < 0 ||
             (r = get_trivial(bus, path, SERVICE_IFACE, "MainPID", 'u', &s.main_pid)) < 0 ||
             (r = get_trivial(bus, path, SERVICE_IFACE, "TimeoutStopUSec", 't', &s.timeout_stop_usec)) < 0))
                goto fail;
        *ret = s;
        return 0;
fail:
        unit_state_clear(&s);
        return r;
}

void unit_state_clear(UnitState *s) {
        free(s->load_state);
        free(s->active_state);
        free(s->sub_state);
        free(s->result);
        *s = (UnitState) {};
}

bool unit_state_is_running(const UnitState *s) {
        return s->active_state && (streq(s->active_state, "active") || streq(s->active_state, "reloading"));
}

typedef struct JobWait {
        const char *job;        /* the object path of our job */
        char *result;           /* set once JobRemoved names it */
} JobWait;

static int on_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *error _unused_) {
        JobWait *w = userdata;
        const char *path, *unit, *result;
        uint32_t id;

        if (sd_bus_message_read(m, "uoss", &id, &path, &unit, &result) >= 0 && w->job && streq(path, w->job))
                w->result = xstrdup(result);
        return 0;
}

int unit_job(sd_bus *bus, const char *method, const char *unit, bool wait, long long deadline_ms, char **ret_result) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_bus_message_ sd_bus_message *reply = NULL;
        _cleanup_bus_slot_ sd_bus_slot *slot = NULL;
        JobWait w = {};
        const char *job;
        int r;

        /* Subscribed before the job exists: it may finish before StartUnit's reply arrives. */
        if (wait) {
                r = sd_bus_match_signal(bus, &slot, SYSTEMD, MANAGER_PATH, MANAGER_IFACE, "JobRemoved", on_job_removed,
                                        &w);
                if (r < 0)
                        return log_error_errno(r, "Cannot watch systemd's jobs: %m");
        }
        r = sd_bus_call_method(bus, SYSTEMD, MANAGER_PATH, MANAGER_IFACE, method, &error, &reply, "ss", unit,
                               "replace");
        if (r >= 0)
                r = sd_bus_message_read(reply, "o", &job);
        if (r < 0) {
                log_error("%s %s failed: %s", method, unit, error.message ?: strerror(-r));
                goto finish;
        }
        if (!wait)
                goto finish;
        w.job = job;
        while (!w.result) {
                long long now = qmp_now_ms();
                if (deadline_ms > 0 && now >= deadline_ms) {
                        r = -ETIMEDOUT;
                        goto finish;
                }
                r = sd_bus_process(bus, NULL);
                if (r < 0) {
                        log_error_errno(r, "Lost the connection to systemd: %m");
                        goto finish;
                }
                if (r > 0)
                        continue;
                r = sd_bus_wait(bus, deadline_ms > 0 ? (uint64_t) (deadline_ms - now) * 1000 : UINT64_MAX);
                if (r < 0) {
                        log_error_errno(r, "Lost the connection to systemd: %m");
                        goto finish;
                }
        }
        r = 0;
        if (ret_result)
                *ret_result = TAKE_PTR(w.result);
finish:
        free(w.result);
        return r;
}

int unit_reset_failed(sd_bus *bus, const char *unit) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        int r = sd_bus_call_method(bus, SYSTEMD, MANAGER_PATH, MANAGER_IFACE, "ResetFailedUnit", &error, NULL, "s",
                                   unit);
        /* A unit that is not loaded has nothing to reset. */
        if (r < 0 && !sd_bus_error_has_name(&error, "org.freedesktop.systemd1.NoSuchUnit"))
                log_warning("Cannot reset the failed state of %s: %s", unit, error.message ?: strerror(-r));
        return r < 0 ? r : 0;
}

int manager_reload(sd_bus *bus) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_bus_message_ sd_bus_message *m = NULL;
        int r;

        r = sd_bus_message_new_method_call(bus, &m, SYSTEMD, MANAGER_PATH, MANAGER_IFACE, "Reload");
        if (r >= 0)
                r = sd_bus_call(bus, m, RELOAD_TIMEOUT_USEC, &error, NULL);
        if (r < 0)
                log_error("Reloading systemd failed: %s", error.message ?: strerror(-r));
        return r;
}
