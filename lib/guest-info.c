/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>

#include "escape.h"
#include "guest-info.h"
#include "util.h"

/* A string member of an object, at most max bytes of it, printable; or NULL. */
static char *member_string(json_object *o, const char *key, size_t max) {
        json_object *v;
        if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
                return NULL;
        _cleanup_free_ char *cut = xasprintf("%.*s", (int) max, json_object_get_string(v));
        return string_printable(cut);
}

/* Runs COMMAND; the "return" value on success (the caller puts it), NULL when the agent answered with an
 * error. A broken connection is *r. */
static json_object *ask(QmpClient *q, const char *command, int timeout_ms, int *r) {
        json_object *reply = NULL;
        int k = qmp_command(q, command, NULL, timeout_ms, &reply, NULL);
        if (k < 0 && k != -EIO)
                *r = k;
        return k < 0 ? NULL : reply;
}

static void interface_from_json(json_object *o, GuestInterface *i) {
        json_object *list;

        i->name = member_string(o, "name", GUEST_NAME_MAX);
        i->mac = member_string(o, "hardware-address", GUEST_ADDRESS_MAX);
        if (!json_object_object_get_ex(o, "ip-addresses", &list) || !json_object_is_type(list, json_type_array))
                return;
        size_t n = json_object_array_length(list);
        i->addresses = xcalloc(n < GUEST_ADDRESSES_MAX ? n : GUEST_ADDRESSES_MAX, sizeof(GuestAddress));
        for (size_t k = 0; k < n && i->n_addresses < GUEST_ADDRESSES_MAX; k++) {
                json_object *a = json_object_array_get_idx(list, k), *prefix;
                _cleanup_free_ char *type = member_string(a, "ip-address-type", GUEST_ADDRESS_MAX);
                char *address = member_string(a, "ip-address", GUEST_ADDRESS_MAX);
                if (!address)
                        continue;
                GuestAddress *g = &i->addresses[i->n_addresses++];
                g->address = address;
                g->ipv6 = type && streq(type, "ipv6");
                if (json_object_object_get_ex(a, "prefix", &prefix) && json_object_is_type(prefix, json_type_int)) {
                        int64_t p = json_object_get_int64(prefix);
                        g->prefix = p >= 0 && p <= 128 ? (unsigned) p : 0;
                }
        }
}

/* What is left of the time until deadline, for the next command. */
static int left(long long deadline) {
        long long l = deadline - qmp_now_ms();
        return l > 0 ? (int) l : 0;
}

int guest_info_get(QmpClient *q, int timeout_ms, GuestInfo *ret) {
        long long deadline = qmp_now_ms() + timeout_ms;
        json_object *o;
        int r = 0;

        *ret = (GuestInfo) {};
        if ((o = ask(q, "guest-info", left(deadline), &r))) {
                ret->agent_version = member_string(o, "version", GUEST_NAME_MAX);
                json_object_put(o);
        }
        if (r == 0 && (o = ask(q, "guest-get-host-name", left(deadline), &r))) {
                ret->host_name = member_string(o, "host-name", GUEST_NAME_MAX);
                json_object_put(o);
        }
        if (r == 0 && (o = ask(q, "guest-get-osinfo", left(deadline), &r))) {
                ret->os = member_string(o, "pretty-name", GUEST_NAME_MAX);
                json_object_put(o);
        }
        if (r == 0 && (o = ask(q, "guest-network-get-interfaces", left(deadline), &r))) {
                if (json_object_is_type(o, json_type_array)) {
                        size_t n = json_object_array_length(o);
                        ret->interfaces = xcalloc(n < GUEST_INTERFACES_MAX ? n : GUEST_INTERFACES_MAX,
                                                  sizeof(GuestInterface));
                        for (size_t k = 0; k < n && ret->n_interfaces < GUEST_INTERFACES_MAX; k++)
                                interface_from_json(json_object_array_get_idx(o, k),
                                                    &ret->interfaces[ret->n_interfaces++]);
                }
                json_object_put(o);
        }
        return r;
}

void guest_info_clear(GuestInfo *info) {
        free(info->host_name);
        free(info->os);
        free(info->agent_version);
        for (size_t i = 0; i < info->n_interfaces; i++) {
                GuestInterface *g = &info->interfaces[i];
                free(g->name);
                free(g->mac);
                for (size_t k = 0; k < g->n_addresses; k++)
                        free(g->addresses[k].address);
                free(g->addresses);
        }
        free(info->interfaces);
        *info = (GuestInfo) {};
}
