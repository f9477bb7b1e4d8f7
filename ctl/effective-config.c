/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "effective-config.h"
#include "format.h"
#include "util.h"

static void add_string(json_object *o, const char *key, const char *value) {
        json_object_object_add(o, key, value ? json_object_new_string(value) : NULL);
}

static void add_size(json_object *o, const char *key, uint64_t bytes) {
        _cleanup_free_ char *s = format_size(bytes);
        add_string(o, key, s);
}

static void add_strv(json_object *o, const char *key, const Strv *v) {
        json_object *a = json_object_new_array();
        for (size_t i = 0; i < v->n; i++)
                json_object_array_add(a, json_object_new_string(v->items[i]));
        json_object_object_add(o, key, a);
}

static json_object *vm_section(const VmConfig *c) {
        json_object *o = json_object_new_object();

        add_size(o, "memory", c->memory);
        json_object_object_add(o, "cpus", json_object_new_int((int) c->cpus));
        add_string(o, "machine", c->machine);
        add_string(o, "accel", accel_table[c->accel]);
        add_string(o, "cpu", c->cpu);
        add_string(o, "firmware", firmware_table[c->firmware]);
        add_string(o, "firmware_code", c->firmware_code);
        add_string(o, "firmware_vars", c->firmware_vars);
        json_object_object_add(o, "autostart", json_object_new_boolean(c->autostart));
        json_object_object_add(o, "protect", json_object_new_boolean(c->protect));
        json_object_object_add(o, "shutdown_timeout", json_object_new_int((int) c->shutdown_timeout));
        json_object_object_add(o, "ready", json_object_new_string(ready_table[c->ready]));
        json_object_object_add(o, "ready_timeout", json_object_new_int((int) c->ready_timeout));
        json_object_object_add(o, "hotplug_slots", json_object_new_int((int) c->hotplug_slots));
        add_string(o, "uuid", c->uuid);
        add_strv(o, "extra_args", &c->extra_args);
        add_string(o, "kernel", c->kernel);
        add_string(o, "initrd", c->initrd);
        add_string(o, "cmdline", c->cmdline);
        return o;
}

static json_object *disk_section(const DiskConfig *d) {
        json_object *o = json_object_new_object();

        add_string(o, "path", d->path);
        if (d->size > 0)
                add_size(o, "size", d->size);
        else
                json_object_object_add(o, "size", NULL);
        add_string(o, "format", disk_format_table[d->format]);
        add_string(o, "backing", d->backing);
        add_string(o, "backing_format", d->backing ? disk_format_table[d->backing_format] : NULL);
        add_string(o, "bus", disk_bus_table[d->bus]);
        add_string(o, "cache", disk_cache_table[d->cache]);
        add_string(o, "discard", disk_discard_table[d->discard]);
        json_object_object_add(o, "readonly", json_object_new_boolean(d->readonly));
        json_object_object_add(o, "boot", d->boot ? json_object_new_int((int) d->boot) : NULL);
        return o;
}

static json_object *cdrom_section(const CdromConfig *d) {
        json_object *o = json_object_new_object();

        add_string(o, "path", d->path);
        add_string(o, "bus", cdrom_bus_table[d->bus]);
        json_object_object_add(o, "boot", d->boot ? json_object_new_int((int) d->boot) : NULL);
        return o;
}

static json_object *net_section(const NetConfig *n) {
        json_object *o = json_object_new_object();

        add_string(o, "mode", net_mode_table[n->mode]);
        add_string(o, "bridge", n->bridge);
        add_string(o, "mac", n->mac);
        add_string(o, "model", n->model);
        if (n->mode == NET_MODE_USER)
                add_strv(o, "forward", &n->forwards);
        if (n->mode == NET_MODE_BRIDGE)
                json_object_object_add(o, "vhost", json_object_new_boolean(n->vhost));
        add_strv(o, "address", &n->addresses);
        add_strv(o, "gateway", &n->gateways);
        add_strv(o, "dns", &n->dns);
        return o;
}

static json_object *cloud_init_section(const CloudInitConfig *ci) {
        json_object *o = json_object_new_object();

        json_object_object_add(o, "enabled", json_object_new_boolean(ci->enabled));
        add_string(o, "hostname", ci->hostname);
        add_string(o, "fqdn", ci->fqdn);
        add_strv(o, "ssh_authorized_keys_file", &ci->ssh_keys);
        add_string(o, "user_data_file", ci->user_data_file);
        add_string(o, "network_config_file", ci->network_config_file);
        return o;
}

/* The password hash is shown as set or not: show's output may be pasted anywhere. */
static json_object *user_section(const UserConfig *u) {
        json_object *o = json_object_new_object();

        add_strv(o, "ssh_authorized_keys_file", &u->ssh_keys);
        add_string(o, "password_hash", u->password_hash ? "(set)" : NULL);
        json_object_object_add(o, "sudo", json_object_new_boolean(u->sudo));
        add_string(o, "shell", u->shell);
        return o;
}

json_object *effective_config_build(const VmConfig *c) {
        json_object *sections = json_object_new_object(), *o;

        json_object_object_add(sections, "vm", vm_section(c));

        o = json_object_new_object();
        json_object_object_add(o, "enabled", json_object_new_boolean(c->serial));
        json_object_object_add(o, "log", json_object_new_boolean(c->serial_log));
        json_object_object_add(o, "log_max", json_object_new_int64((int64_t) c->serial_log_max));
        json_object_object_add(sections, "serial", o);

        o = json_object_new_object();
        json_object_object_add(o, "enabled", json_object_new_boolean(c->tpm.enabled));
        add_string(o, "model", c->tpm.enabled ? tpm_model_table[c->tpm.model] : NULL);
        json_object_object_add(sections, "tpm", o);

        o = json_object_new_object();
        json_object_object_add(o, "enabled", json_object_new_boolean(c->agent.enabled));
        json_object_object_add(o, "shutdown_after", c->agent.enabled ? json_object_new_int((int) c->agent.shutdown_after) : NULL);
        json_object_object_add(sections, "agent", o);

        o = json_object_new_object();
        json_object_object_add(o, "enabled", json_object_new_boolean(c->vnc.enabled));
        add_string(o, "listen", c->vnc.listen);
        json_object_object_add(o, "port", c->vnc.enabled ? json_object_new_int((int) c->vnc.port) : NULL);
        json_object_object_add(o, "idle_timeout", json_object_new_int((int) c->vnc.idle_timeout));
        json_object_object_add(sections, "vnc", o);

        json_object_object_add(sections, "cloud-init", cloud_init_section(&c->cloud_init));
        for (size_t i = 0; i < c->n_users; i++) {
                _cleanup_free_ char *name = xasprintf("user.%s", c->users[i].name);
                json_object_object_add(sections, name, user_section(&c->users[i]));
        }
        for (size_t i = 0; i < c->n_disks; i++) {
                _cleanup_free_ char *name = xasprintf("disk.%s", c->disks[i].id);
                json_object_object_add(sections, name, disk_section(&c->disks[i]));
        }
        for (size_t i = 0; i < c->n_cdroms; i++) {
                _cleanup_free_ char *name = xasprintf("cdrom.%s", c->cdroms[i].id);
                json_object_object_add(sections, name, cdrom_section(&c->cdroms[i]));
        }
        for (size_t i = 0; i < c->n_nets; i++) {
                _cleanup_free_ char *name = xasprintf("net.%s", c->nets[i].id);
                json_object_object_add(sections, name, net_section(&c->nets[i]));
        }
        return sections;
}

static void print_value(FILE *f, const char *key, json_object *v) {
        switch (json_object_get_type(v)) {
        case json_type_null:
                break;
        case json_type_boolean:
                fprintf(f, "%s = %s\n", key, json_object_get_boolean(v) ? "yes" : "no");
                break;
        case json_type_array:
                for (size_t i = 0; i < json_object_array_length(v); i++)
                        print_value(f, key, json_object_array_get_idx(v, i));
                break;
        default:
                fprintf(f, "%s = %s\n", key, json_object_get_string(v));
        }
}

void effective_config_print_ini(json_object *sections, FILE *f) {
        bool first = true;

        json_object_object_foreach(sections, section, keys) {
                fprintf(f, "%s[%s]\n", first ? "" : "\n", section);
                first = false;
                json_object_object_foreach(keys, key, value)
                        print_value(f, key, value);
        }
}
