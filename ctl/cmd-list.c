/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-vmctl list: every configured VM, one row each, also those that are stopped or broken. */

#include <errno.h>
#include <json-c/json.h>

#include "console-ports.h"
#include "ctl.h"
#include "format.h"
#include "log.h"
#include "parse-value.h"
#include "systemd-bus.h"
#include "table.h"
#include "vm-agent.h"
#include "vms.h"

/* list asks each running VM's agent very briefly: one that does not answer holds the list up no
 * longer than this. */
#define LIST_AGENT_TIMEOUT_MS 1000

/* "lan=bridge/br0/52:54:00:12:34:56" */
static char *nic_summary(const NetConfig *n) {
        switch (n->mode) {
        case NET_MODE_BRIDGE:
                return xasprintf("%s=bridge/%s/%s", n->id, n->bridge, MAC_TO_STRING(&n->mac.address));
        case NET_MODE_USER:
                return xasprintf("%s=user/%s", n->id, MAC_TO_STRING(&n->mac.address));
        default:
                return xasprintf("%s=none", n->id);
        }
}

/* The guest agent's view, for a running VM with [agent]: *asked says whether it was asked. */
static int guest_of(const VmEntry *e, const UnitState *s, GuestInfo *g, char **error, bool *asked) {
        *g = (GuestInfo) {};
        *asked = e->errors.n == 0 && e->config.agent.enabled && unit_state_is_running(s);
        return *asked ? vm_guest_info(e->config.name, LIST_AGENT_TIMEOUT_MS, g, error) : 0;
}

static json_object *vm_json(const VmEntry *e, const UnitState *s) {
        const VmConfig *c = &e->config;
        json_object *o = json_object_new_object();
        _cleanup_free_ char *unit = vm_unit_name(c->name);

        json_object_object_add(o, "name", json_object_new_string(c->name));
        json_object_object_add(o, "file", json_object_new_string(c->source_path));
        json_object_object_add(o, "unit", json_object_new_string(unit));
        json_object_object_add(o, "active_state", s->active_state ? json_object_new_string(s->active_state) : NULL);
        json_object_object_add(o, "sub_state", s->sub_state ? json_object_new_string(s->sub_state) : NULL);
        json_object_object_add(o, "valid", json_object_new_boolean(e->errors.n == 0));

        json_object *errors = json_object_new_array();
        for (size_t i = 0; i < e->errors.n; i++) {
                _cleanup_free_ char *text = config_error_format(&e->errors.items[i]);
                json_object_array_add(errors, json_object_new_string(text));
        }
        json_object_object_add(o, "errors", errors);
        if (e->errors.n > 0)
                return o;

        _cleanup_free_ char *memory = format_size(c->memory), *url = console_url(c), *guest_error = NULL;
        GuestInfo guest;
        bool asked;
        bool guest_answered = guest_of(e, s, &guest, &guest_error, &asked) >= 0 && asked;
        json_object_object_add(o, "autostart", json_object_new_boolean(c->autostart));
        json_object_object_add(o, "cpus", json_object_new_int((int) c->cpus));
        json_object_object_add(o, "memory", json_object_new_string(memory));
        json_object_object_add(o, "memory_bytes", json_object_new_int64((int64_t) c->memory));

        json_object *disks = json_object_new_array();
        for (size_t i = 0; i < c->n_disks; i++) {
                json_object *d = json_object_new_object();
                json_object_object_add(d, "id", json_object_new_string(c->disks[i].id));
                json_object_object_add(d, "path", json_object_new_string(c->disks[i].path));
                json_object_object_add(d, "format", json_object_new_string(disk_format_table[c->disks[i].format]));
                json_object_object_add(d, "size_bytes",
                                       c->disks[i].size ? json_object_new_int64((int64_t) c->disks[i].size) : NULL);
                json_object_array_add(disks, d);
        }
        json_object_object_add(o, "disks", disks);

        json_object *nics = json_object_new_array();
        for (size_t i = 0; i < c->n_nets; i++) {
                const NetConfig *n = &c->nets[i];
                json_object *d = json_object_new_object();
                json_object_object_add(d, "id", json_object_new_string(n->id));
                json_object_object_add(d, "mode", json_object_new_string(net_mode_table[n->mode]));
                json_object_object_add(d, "bridge", n->bridge ? json_object_new_string(n->bridge) : NULL);
                json_object_object_add(
                        d, "mac",
                        n->mac.mode == MAC_MODE_SET ? json_object_new_string(MAC_TO_STRING(&n->mac.address)) : NULL);
                json_object_object_add(d, "tap", n->ifname ? json_object_new_string(n->ifname) : NULL);
                if (guest_answered) {
                        _cleanup_free_ char *addresses = guest_addresses_of(&guest, &n->mac);
                        json_object_object_add(d, "guest_addresses", json_object_new_string(addresses));
                }
                json_object_array_add(nics, d);
        }
        json_object_object_add(o, "nics", nics);
        json_object_object_add(o, "console_url", url ? json_object_new_string(url) : NULL);
        json_object_object_add(o, "guest", guest_answered ? guest_info_json(c, &guest) : NULL);
        json_object_object_add(o, "guest_error", guest_error ? json_object_new_string(guest_error) : NULL);
        guest_info_clear(&guest);
        return o;
}

/* "cloud1 10.77.0.40/24,fd00::28/64": the guest's host name and its NICs' addresses, from its agent. */
static char *guest_summary(const VmEntry *e, const UnitState *s) {
        _cleanup_free_ char *error = NULL;
        GuestInfo g;
        bool asked;
        if (guest_of(e, s, &g, &error, &asked) < 0)
                return xstrdup("(agent silent)");
        if (!asked)
                return xstrdup("-");
        Strv parts = {};
        strv_push(&parts, g.host_name ?: "?");
        for (size_t i = 0; i < e->config.n_nets; i++) {
                char *addresses = guest_addresses_of(&g, &e->config.nets[i].mac);
                if (addresses[0])
                        strv_consume(&parts, addresses);
                else
                        free(addresses);
        }
        char *summary = strv_join(&parts, " ");
        strv_clear(&parts);
        guest_info_clear(&g);
        return summary;
}

static void vm_row(Table *t, const VmEntry *e, const UnitState *s) {
        const VmConfig *c = &e->config;

        table_add(t, c->name);
        table_add(t, s->active_state ?: "unknown");
        if (e->errors.n > 0) {
                _cleanup_free_ char *error = vm_entry_first_error(e);
                for (int i = 0; i < 6; i++)
                        table_add(t, NULL);
                table_consume(t,
                              xasprintf("broken: %s%s", error, e->errors.n > 1 ? " (and more: qemu-vmctl show)" : ""));
                return;
        }
        _cleanup_free_ char *memory = format_size(c->memory), *url = console_url(c);
        Strv disks = {}, nics = {};
        for (size_t i = 0; i < c->n_disks; i++)
                strv_push(&disks, c->disks[i].id);
        for (size_t i = 0; i < c->n_nets; i++)
                strv_consume(&nics, nic_summary(&c->nets[i]));
        _cleanup_free_ char *disks_s = strv_join(&disks, ","), *nics_s = strv_join(&nics, ",");

        table_add(t, c->autostart ? "yes" : "no");
        table_consume(t, xasprintf("%u", c->cpus));
        table_add(t, memory);
        table_add(t, disks.n ? disks_s : NULL);
        table_add(t, nics.n ? nics_s : NULL);
        table_add(t, url);
        table_consume(t, guest_summary(e, s));
        strv_clear(&disks);
        strv_clear(&nics);
}

int cmd_list(Ctl *ctl, int argc, char *argv[]) {
        static const char *const header[] = { "NAME",  "STATE", "AUTOSTART", "CPUS", "MEMORY",
                                              "DISKS", "NICS",  "CONSOLE",   "GUEST" };
        _cleanup_bus_ sd_bus *bus = NULL;
        _cleanup_vm_set_ VmSet set = {};
        Table t;
        int r, exit_code;

        if (ctl_parse_options(ctl, argc, argv, NULL, "list [--json]", NULL, NULL, 0, &exit_code) < 0)
                return exit_code;
        if (vms_load(ctl, &set) < 0)
                return CTL_EXIT_FAILED;
        /* Without systemd (a chroot, a build host) the configuration is still worth showing. */
        r = sd_bus_open_system(&bus);
        if (r < 0) {
                errno = -r;
                log_warning("Cannot reach systemd (%m): states are shown as unknown.");
        }

        json_object *doc = json_object_new_array();
        table_init(&t, header, ELEMENTSOF(header));
        for (size_t i = 0; i < set.n; i++) {
                const VmEntry *e = &set.items[i];
                _cleanup_free_ char *unit = vm_unit_name(e->config.name);
                UnitState s = {};

                if (bus)
                        (void) unit_state_get(bus, unit, &s);
                if (ctl->json)
                        json_object_array_add(doc, vm_json(e, &s));
                else
                        vm_row(&t, e, &s);
                unit_state_clear(&s);
        }
        if (ctl->json)
                ctl_print_json(doc);
        else {
                json_object_put(doc);
                table_print(&t, stdout);
        }
        table_clear(&t);
        return CTL_EXIT_OK;
}
