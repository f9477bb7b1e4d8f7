/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-vmctl status NAME: the unit's state, what QEMU itself reports over QMP, uptime, and the last
 * lines of the VM's journal. Exits 3 when the VM is not running, as `systemctl status` does. */

#include <errno.h>
#include <getopt.h>
#include <systemd/sd-journal.h>
#include <time.h>

#include "console-ports.h"
#include "ctl.h"
#include "format.h"
#include "log.h"
#include "parse-value.h"
#include "console-url.h"
#include "escape.h"
#include "paths.h"
#include "systemd-bus.h"
#include "vm-agent.h"
#include "vm-qmp.h"
#include "vms.h"

/* status asks the agent only briefly: a guest without one must not hold the command up. */
#define STATUS_AGENT_TIMEOUT_MS 2000

/* The last n lines the VM's service logged, and systemd's own lines about it, oldest first. */
static json_object *journal_tail(const char *unit, unsigned n) {
        json_object *lines = json_object_new_array();
        _cleanup_free_ char *m1 = xasprintf("_SYSTEMD_UNIT=%s", unit), *m2 = xasprintf("UNIT=%s", unit);
        sd_journal *j = NULL;
        unsigned k = 0;

        if (n == 0 || sd_journal_open(&j, SD_JOURNAL_LOCAL_ONLY | SD_JOURNAL_SYSTEM) < 0)
                return lines;
        /* As journalctl -u: UNIT= only from systemd itself, or any local user could log lines "about"
         * the VM. */
        if (sd_journal_add_match(j, m1, 0) < 0 || sd_journal_add_disjunction(j) < 0 ||
            sd_journal_add_match(j, m2, 0) < 0 || sd_journal_add_match(j, "_PID=1", 0) < 0 ||
            sd_journal_seek_tail(j) < 0)
                goto finish;
        while (k < n && sd_journal_previous(j) > 0)
                k++;
        for (int first = 1; k > 0; k--, first = 0) {
                const void *data;
                size_t len;
                uint64_t usec = 0;

                if (!first && sd_journal_next(j) <= 0)
                        break;
                if (sd_journal_get_data(j, "MESSAGE", &data, &len) < 0)
                        continue;
                (void) sd_journal_get_realtime_usec(j, &usec);
                json_object *line = json_object_new_object();
                json_object_object_add(line, "time_usec", json_object_new_int64((int64_t) usec));
                json_object_object_add(line, "message",
                                       json_object_new_string_len((const char *) data + 8, (int) len - 8));
                json_object_array_add(lines, line);
        }
finish:
        sd_journal_close(j);
        return lines;
}

static char *format_time(uint64_t usec) {
        char buf[64];
        time_t t = (time_t) (usec / 1000000);
        struct tm tm;

        strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S %Z", localtime_r(&t, &tm));
        return xstrdup(buf);
}

static int handle_option(int c, const char *arg, void *userdata) {
        uint64_t v;
        if (c != 'n' || parse_uint_range(arg, 0, 10000, &v) < 0)
                return -EINVAL;
        *(unsigned *) userdata = (unsigned) v;
        return 0;
}

/* Prints what is known of the VM; CTL_EXIT_NOT_RUNNING unless it runs. */
static int show_status(const Ctl *ctl, const VmEntry *e, const char *unit, const UnitState *s, unsigned lines) {
        const char *name = e->config.name;
        bool running = unit_state_is_running(s);
        bool has_token = false;
        _cleanup_free_ char *qstatus = NULL, *qerror = NULL,
                            *url = e->errors.n == 0 ? console_url_with_token(&e->config, &has_token) : NULL;
        if (running)
                (void) vm_qemu_status(name, s->main_pid, &qstatus, &qerror);
        /* With [agent]: what the guest says of itself, if its agent answers soon. */
        GuestInfo guest = {};
        _cleanup_free_ char *guest_error = NULL;
        if (running && e->errors.n == 0 && e->config.agent.enabled)
                (void) vm_guest_info(name, STATUS_AGENT_TIMEOUT_MS, &guest, &guest_error);
        bool guest_answered = running && e->errors.n == 0 && e->config.agent.enabled && !guest_error;
        uint64_t now = (uint64_t) time(NULL) * 1000000, since = running ? s->active_enter_usec : 0;
        uint64_t uptime = since && now > since ? (now - since) / 1000000 : 0;
        json_object *journal = journal_tail(unit, lines);

        if (ctl->json) {
                json_object *doc = json_object_new_object(), *errors = json_object_new_array();
                for (size_t i = 0; i < e->errors.n; i++) {
                        _cleanup_free_ char *text = config_error_format(&e->errors.items[i]);
                        json_object_array_add(errors, json_object_new_string(text));
                }
                json_object_object_add(doc, "name", json_object_new_string(name));
                json_object_object_add(doc, "unit", json_object_new_string(unit));
                json_object_object_add(doc, "load_state", json_object_new_string(s->load_state));
                json_object_object_add(doc, "active_state", json_object_new_string(s->active_state));
                json_object_object_add(doc, "sub_state", json_object_new_string(s->sub_state));
                json_object_object_add(doc, "result", s->result ? json_object_new_string(s->result) : NULL);
                json_object_object_add(doc, "main_pid", s->main_pid ? json_object_new_int64(s->main_pid) : NULL);
                json_object_object_add(doc, "active_since_usec", since ? json_object_new_int64((int64_t) since) : NULL);
                json_object_object_add(doc, "uptime_seconds", since ? json_object_new_int64((int64_t) uptime) : NULL);
                json_object_object_add(doc, "qemu_status", qstatus ? json_object_new_string(qstatus) : NULL);
                json_object_object_add(doc, "qemu_error", qerror ? json_object_new_string(qerror) : NULL);
                json_object_object_add(doc, "console_url", url ? json_object_new_string(url) : NULL);
                json_object_object_add(doc, "guest", guest_answered ? guest_info_json(&e->config, &guest) : NULL);
                json_object_object_add(doc, "guest_error", guest_error ? json_object_new_string(guest_error) : NULL);
                json_object_object_add(doc, "errors", errors);
                json_object_object_add(doc, "journal", journal);
                ctl_print_json(doc);
        } else {
                printf("%s - %s\n", name, unit);
                printf("      Unit: %s (%s)", s->active_state, s->sub_state);
                if (since) {
                        _cleanup_free_ char *when = format_time(since), *ago = format_duration(uptime);
                        printf(" since %s; up %s", when, ago);
                }
                printf("\n");
                if (s->main_pid)
                        printf("  Main PID: %u\n", s->main_pid);
                if (running)
                        printf("      QEMU: %s\n", qstatus ?: qerror ?: "no answer");
                if (guest_answered)
                        guest_info_print(&e->config, &guest);
                else if (guest_error)
                        printf("     Guest: %s\n", guest_error);
                printf("    Config: %s%s\n", e->config.source_path, e->errors.n ? " (broken)" : "");
                for (size_t i = 0; i < e->errors.n; i++) {
                        _cleanup_free_ char *text = config_error_format(&e->errors.items[i]);
                        printf("            %s\n", text);
                }
                if (url)
                        printf("   Console: %s%s\n", url,
                               has_token || !running
                                       ? ""
                                       : " (its token is root's and group qemu-vm-console's: run as root)");
                if (json_object_array_length(journal) > 0)
                        printf("\n");
                for (size_t i = 0; i < json_object_array_length(journal); i++) {
                        json_object *line = json_object_array_get_idx(journal, i), *v;
                        json_object_object_get_ex(line, "time_usec", &v);
                        _cleanup_free_ char *when = format_time((uint64_t) json_object_get_int64(v));
                        json_object_object_get_ex(line, "message", &v);
                        /* QEMU and the helpers wrote it, maybe at a guest's or an attacker's bidding. */
                        _cleanup_free_ char *text = string_printable(json_object_get_string(v));
                        printf("%s %s\n", when, text);
                }
                json_object_put(journal);
        }
        guest_info_clear(&guest);
        return running ? CTL_EXIT_OK : CTL_EXIT_NOT_RUNNING;
}

int cmd_status(Ctl *ctl, int argc, char *argv[]) {
        static const struct option options[] = { { "lines", required_argument, NULL, 'n' }, {} };
        unsigned lines = 10;
        _cleanup_bus_ sd_bus *bus = NULL;
        _cleanup_(unit_state_clear) UnitState s = {};
        _cleanup_vm_set_ VmSet set = {};
        VmEntry *e;
        int r, exit_code;

        r = ctl_parse_options(ctl, argc, argv, options, "status NAME [--lines N] [--json]", handle_option, &lines, 1,
                              &exit_code);
        if (r < 0)
                return exit_code;
        exit_code = vms_load_one(ctl, argv[r], &set, &e);
        if (exit_code != CTL_EXIT_OK)
                return exit_code;
        const char *name = e->config.name;
        _cleanup_free_ char *unit = vm_unit_name(name);
        if (bus_open_system(&bus) < 0 || unit_state_get(bus, unit, &s) < 0)
                return CTL_EXIT_FAILED;
        return show_status(ctl, e, unit, &s, lines);
}
