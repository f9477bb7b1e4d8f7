/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <strings.h>

#include "escape.h"
#include "strv.h"
#include "paths.h"
#include "vm-agent.h"
#include "vm-qmp.h"

int vm_agent_connect(const char *vm, int timeout_ms, QmpClient *q) {
        int fd = vm_socket_connect(vm, VM_AGENT_SOCKET);
        if (fd < 0)
                return fd;
        return qmp_agent_connect(q, fd, timeout_ms);
}

char *vm_agent_error(const char *vm, int r) {
        if (r == -ETIMEDOUT)
                return xasprintf("the guest agent of VM %s does not answer (is qemu-guest-agent running in the guest?)",
                                 vm);
        if (r == -ENOENT)
                return xasprintf("VM %s is not running", vm);
        return vm_socket_error(vm, VM_AGENT_SOCKET, r);
}

/* The VM's NIC with this MAC: the agent's interface names are the guest's, the NIC IDs the file's. */
/* Whether the MAC a guest reports (any text) is the NIC's. */
static bool guest_mac_is(const char *guest_mac, const NicMac *mac) {
        MacAddress m;
        return guest_mac && mac->mode == MAC_MODE_SET && parse_mac_address(guest_mac, m.bytes) == 0 &&
               mac_address_equal(&m, &mac->address);
}

static const char *nic_of(const VmConfig *c, const char *guest_mac) {
        for (size_t i = 0; i < c->n_nets; i++)
                if (guest_mac_is(guest_mac, &c->nets[i].mac))
                        return c->nets[i].id;
        return NULL;
}

static json_object *string_or_null(const char *s) {
        return s ? json_object_new_string(s) : NULL;
}

json_object *guest_info_json(const VmConfig *c, const GuestInfo *g) {
        json_object *doc = json_object_new_object(), *ifaces = json_object_new_array();

        json_object_object_add(doc, "host_name", string_or_null(g->host_name));
        json_object_object_add(doc, "os", string_or_null(g->os));
        json_object_object_add(doc, "agent_version", string_or_null(g->agent_version));
        for (size_t i = 0; i < g->n_interfaces; i++) {
                const GuestInterface *gi = &g->interfaces[i];
                json_object *o = json_object_new_object(), *addrs = json_object_new_array();
                json_object_object_add(o, "name", string_or_null(gi->name));
                json_object_object_add(o, "mac", string_or_null(gi->mac));
                json_object_object_add(o, "nic", string_or_null(nic_of(c, gi->mac)));
                for (size_t k = 0; k < gi->n_addresses; k++) {
                        _cleanup_free_ char *a = xasprintf("%s/%u", gi->addresses[k].address, gi->addresses[k].prefix);
                        json_object_array_add(addrs, json_object_new_string(a));
                }
                json_object_object_add(o, "addresses", addrs);
                json_object_array_add(ifaces, o);
        }
        json_object_object_add(doc, "interfaces", ifaces);
        return doc;
}

void guest_info_print(const VmConfig *c, const GuestInfo *g) {
        printf(" Host name: %s\n", g->host_name ?: "(not reported)");
        printf("        OS: %s\n", g->os ?: "(not reported)");
        printf("     Agent: %s\n", g->agent_version ?: "(not reported)");
        for (size_t i = 0; i < g->n_interfaces; i++) {
                const GuestInterface *gi = &g->interfaces[i];
                const char *nic = nic_of(c, gi->mac);
                if (gi->n_addresses == 0 || (gi->name && streq(gi->name, "lo")))
                        continue;
                printf("       NIC: %s%s%s %s", nic ? "[net." : "", nic ?: "", nic ? "]" : "(none of the file's)",
                       gi->name ?: "?");
                if (gi->mac)
                        printf(" %s", gi->mac);
                for (size_t k = 0; k < gi->n_addresses; k++)
                        printf(" %s/%u", gi->addresses[k].address, gi->addresses[k].prefix);
                putchar('\n');
        }
}

int vm_guest_info(const char *vm, int timeout_ms, GuestInfo *ret, char **ret_error) {
        _cleanup_qmp_ QmpClient q = QMP_CLIENT_INIT;
        long long deadline = qmp_now_ms() + timeout_ms;
        int r = vm_agent_connect(vm, timeout_ms, &q);
        *ret = (GuestInfo) {};
        /* One budget for the whole call: a slow guest holds list and status no longer than promised. */
        if (r >= 0)
                r = guest_info_get(&q, deadline > qmp_now_ms() ? (int) (deadline - qmp_now_ms()) : 0, ret);
        if (r < 0) {
                guest_info_clear(ret);
                *ret_error = vm_agent_error(vm, r);
        }
        return r;
}

char *guest_addresses_of(const GuestInfo *g, const NicMac *mac) {
        Strv found = {};
        for (size_t i = 0; i < g->n_interfaces; i++) {
                const GuestInterface *gi = &g->interfaces[i];
                if (!guest_mac_is(gi->mac, mac))
                        continue;
                for (size_t k = 0; k < gi->n_addresses; k++)
                        if (strncasecmp(gi->addresses[k].address, "fe80:", 5) != 0)
                                strv_consume(&found, xasprintf("%s/%u", gi->addresses[k].address,
                                                               gi->addresses[k].prefix));
        }
        char *s = strv_join(&found, ",");
        strv_clear(&found);
        return s;
}
