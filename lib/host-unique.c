/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>

#include "host-unique.h"
#include "parse-value.h"

typedef enum ClaimKind { CLAIM_MAC, CLAIM_IFNAME, CLAIM_PORT, CLAIM_ADDRESS } ClaimKind;

/* Something a VM holds on the host that no other VM may hold. */
typedef struct Claim {
        ClaimKind kind;
        const char *value;      /* the interface name */
        const MacAddress *mac;
        const IpAddress *address;       /* a static address */
        const PortForward *forward;     /* NULL for the console */
        uint32_t port_key;      /* ports: protocol and host port; they clash per port, not per text */
        uint32_t host_addr;     /* ports: IPv4, network byte order; 0: every address */
        bool ipv6_only;         /* a console on an IPv6 address other than "::": no IPv4 forward meets it */
        size_t vm;
        const NetConfig *nic;   /* NULL for the console */
        Origin origin;
} Claim;

/* Static addresses are the same whatever their prefix length. */
static int value_compare(const Claim *x, const Claim *y) {
        if (x->kind == CLAIM_MAC)
                return memcmp(x->mac->bytes, y->mac->bytes, sizeof x->mac->bytes);
        if (x->kind == CLAIM_ADDRESS) {
                if (x->address->family != y->address->family)
                        return x->address->family < y->address->family ? -1 : 1;
                return memcmp(x->address->bytes, y->address->bytes, sizeof x->address->bytes);
        }
        return strcmp(x->value, y->value);
}

static int claim_compare(const void *a, const void *b) {
        const Claim *x = a, *y = b;

        if (x->kind != y->kind)
                return x->kind < y->kind ? -1 : 1;
        if (x->kind == CLAIM_PORT) {
                if (x->port_key != y->port_key)
                        return x->port_key < y->port_key ? -1 : 1;
        } else {
                int r = value_compare(x, y);
                if (r != 0)
                        return r;
        }
        return x->vm < y->vm ? -1 : x->vm > y->vm;
}

static bool same_group(const Claim *x, const Claim *y) {
        if (x->kind != y->kind)
                return false;
        return x->kind == CLAIM_PORT ? x->port_key == y->port_key : value_compare(x, y) == 0;
}

static bool clash(const Claim *x, const Claim *y) {
        if (x->kind != CLAIM_PORT)
                return x->vm != y->vm;  /* within one VM, config-resolve.c reports it */
        /* Console ports are unique on the host whatever the address (a VM has one console). */
        if (!x->nic && !y->nic)
                return x->vm != y->vm;
        /* Two forwards of one VM are config-resolve.c's; a console and a forward clash even within one VM. */
        if (x->nic && y->nic && x->vm == y->vm)
                return false;
        if (x->ipv6_only || y->ipv6_only)
                return false;
        return x->host_addr == y->host_addr || x->host_addr == 0 || y->host_addr == 0;
}

static void report(VmSet *set, const Claim *x, const Claim *other) {
        ConfigErrors *errors = &set->items[x->vm].errors;
        const char *file = other->origin.file;
        unsigned line = other->origin.line;

        switch (x->kind) {
        case CLAIM_MAC:
                config_errors_add_at(errors, x->origin, "[net.%s]: MAC address %s is also the MAC of [net.%s] in %s:%u",
                                     x->nic->id, MAC_TO_STRING(x->mac), other->nic->id, file, line);
                break;
        case CLAIM_IFNAME:
                config_errors_add_at(errors, x->origin,
                                     "[net.%s]: tap device %s is also the tap of [net.%s] in %s:%u "
                                     "(two long VM names share a hash; rename one)",
                                     x->nic->id, x->value, other->nic->id, file, line);
                break;
        case CLAIM_ADDRESS: {
                _cleanup_free_ char *address = ip_address_format(x->address, true);
                config_errors_add_at(errors, x->origin, "[net.%s]: address %s is also the address of [net.%s] in %s:%u",
                                     x->nic->id, address, other->nic->id, file, line);
                break;
        }
        case CLAIM_PORT: {
                _cleanup_free_ char *forward = x->forward ? port_forward_format(x->forward) : NULL,
                                    *other_forward = other->forward ? port_forward_format(other->forward) : NULL;
                if (!x->nic && !other->nic)
                        config_errors_add_at(errors, x->origin, "[vnc] port %u is also the console port of %s:%u",
                                             x->port_key, file, line);
                else if (!x->nic)
                        config_errors_add_at(errors, x->origin, "[vnc] console port %u is also the host port of "
                                             "forward '%s' in %s:%u", x->port_key, other_forward, file, line);
                else if (!other->nic)
                        config_errors_add_at(errors, x->origin, "[net.%s]: forward '%s' wants console port %u "
                                             "of %s:%u", x->nic->id, forward, other->port_key, file, line);
                else
                        config_errors_add_at(errors, x->origin,
                                             "[net.%s]: forward '%s' wants the host port of '%s' in %s:%u",
                                             x->nic->id, forward, other_forward, file, line);
                break;
        }
        }
}

/* The console's TCP port. "::" also takes IPv4 on Linux's default dual-stack sockets, so it counts
 * as every address. */
static void collect_console(const VmConfig *c, size_t vm, Claim **claims, size_t *n) {
        struct in_addr a = {};
        bool ipv6_only = false;

        if (!c->vnc.enabled || c->vnc.port == 0)
                return;
        if (!streq(c->vnc.listen, "::") && inet_pton(AF_INET, c->vnc.listen, &a) != 1)
                ipv6_only = true;
        *claims = xrealloc(*claims, (*n + 1) * sizeof(Claim));
        (*claims)[(*n)++] = (Claim) {
                CLAIM_PORT, .port_key = c->vnc.port, .host_addr = a.s_addr, .ipv6_only = ipv6_only,
                .vm = vm, .origin = c->vnc.port_origin.file ? c->vnc.port_origin : c->vnc.origin,
        };
}

static void collect(const VmSet *set, size_t vm, Claim **claims, size_t *n) {
        const VmConfig *c = &set->items[vm].config;

        for (size_t i = 0; i < c->n_nets; i++) {
                const NetConfig *nic = &c->nets[i];
                size_t need = 2 + nic->forwards.n + nic->addresses.n;

                if (nic->mode == NET_MODE_NONE)
                        continue;
                *claims = xrealloc(*claims, (*n + need) * sizeof(Claim));
                (*claims)[(*n)++] = (Claim) {
                        CLAIM_MAC, .mac = &nic->mac.address, .vm = vm, .nic = nic, .origin = nic->mac_origin,
                };
                if (nic->ifname)
                        (*claims)[(*n)++] =
                                (Claim){ CLAIM_IFNAME, nic->ifname, .vm = vm, .nic = nic, .origin = nic->origin };
                /* A user-mode NIC's network is the VM's own: the same address elsewhere does no harm. */
                for (size_t k = 0; nic->mode == NET_MODE_BRIDGE && k < nic->addresses.n; k++)
                        (*claims)[(*n)++] = (Claim) {
                                CLAIM_ADDRESS, .address = &nic->addresses.items[k], .vm = vm, .nic = nic,
                                .origin = nic->addresses_origin,
                        };
                for (size_t k = 0; k < nic->forwards.n; k++) {
                        const PortForward *f = &nic->forwards.items[k];
                        (*claims)[(*n)++] = (Claim) {
                                CLAIM_PORT, .forward = f, .port_key = (uint32_t) f->udp << 16 | f->host_port,
                                .host_addr = f->host_addr, .vm = vm, .nic = nic, .origin = nic->forwards_origin,
                        };
                }
        }
}

void host_claims_check(VmSet *set) {
        _cleanup_free_ Claim *claims = NULL;
        size_t n = 0;

        for (size_t vm = 0; vm < set->n; vm++)
                if (set->items[vm].valid_alone) {
                        collect(set, vm, &claims, &n);
                        collect_console(&set->items[vm].config, vm, &claims, &n);
                }
        if (n == 0)
                return;
        qsort(claims, n, sizeof(Claim), claim_compare);

        /* Each claim is reported once, naming the first claim of another VM it clashes with. */
        for (size_t start = 0; start < n;) {
                size_t end = start + 1;
                while (end < n && same_group(&claims[start], &claims[end]))
                        end++;
                for (size_t i = start; end - start > 1 && i < end; i++)
                        for (size_t j = start; j < end; j++)
                                if (clash(&claims[i], &claims[j])) {
                                        report(set, &claims[i], &claims[j]);
                                        break;
                                }
                start = end;
        }
}
