/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "net-unique.h"
#include "parse-value.h"

typedef enum ClaimKind { CLAIM_MAC, CLAIM_IFNAME, CLAIM_FORWARD } ClaimKind;

/* Something one NIC holds that no NIC of another VM may hold. */
typedef struct Claim {
        ClaimKind kind;
        const char *value;      /* the MAC, the interface name, or the forward as written */
        uint32_t forward_key;   /* forwards: protocol and host port; they clash per port, not per text */
        uint32_t host_addr;
        size_t vm;
        const NetConfig *nic;
        Origin origin;
} Claim;

static int claim_compare(const void *a, const void *b) {
        const Claim *x = a, *y = b;

        if (x->kind != y->kind)
                return x->kind < y->kind ? -1 : 1;
        if (x->kind == CLAIM_FORWARD) {
                if (x->forward_key != y->forward_key)
                        return x->forward_key < y->forward_key ? -1 : 1;
        } else {
                int r = strcmp(x->value, y->value);
                if (r != 0)
                        return r;
        }
        return x->vm < y->vm ? -1 : x->vm > y->vm;
}

static bool same_group(const Claim *x, const Claim *y) {
        if (x->kind != y->kind)
                return false;
        return x->kind == CLAIM_FORWARD ? x->forward_key == y->forward_key : streq(x->value, y->value);
}

static bool clash(const Claim *x, const Claim *y) {
        if (x->vm == y->vm)
                return false;   /* within one VM, config-resolve.c reports it */
        if (x->kind == CLAIM_FORWARD)
                return x->host_addr == y->host_addr || x->host_addr == 0 || y->host_addr == 0;
        return true;
}

static void report(VmSet *set, const Claim *x, const Claim *other) {
        ConfigErrors *errors = &set->items[x->vm].errors;
        const char *file = other->origin.file;
        unsigned line = other->origin.line;

        switch (x->kind) {
        case CLAIM_MAC:
                config_errors_add_at(errors, x->origin, "[net.%s]: MAC address %s is also the MAC of [net.%s] in %s:%u",
                                     x->nic->id, x->value, other->nic->id, file, line);
                break;
        case CLAIM_IFNAME:
                config_errors_add_at(errors, x->origin,
                                     "[net.%s]: tap device %s is also the tap of [net.%s] in %s:%u "
                                     "(two long VM names share a hash; rename one)",
                                     x->nic->id, x->value, other->nic->id, file, line);
                break;
        case CLAIM_FORWARD:
                config_errors_add_at(errors, x->origin,
                                     "[net.%s]: forward '%s' wants the host port of '%s' in %s:%u",
                                     x->nic->id, x->value, other->value, file, line);
                break;
        }
}

static void collect(const VmSet *set, size_t vm, Claim **claims, size_t *n) {
        const VmConfig *c = &set->items[vm].config;

        for (size_t i = 0; i < c->n_nets; i++) {
                const NetConfig *nic = &c->nets[i];
                size_t need = 2 + nic->forwards.n;

                if (nic->mode == NET_MODE_NONE)
                        continue;
                *claims = xrealloc(*claims, (*n + need) * sizeof(Claim));
                (*claims)[(*n)++] = (Claim) { CLAIM_MAC, nic->mac, .vm = vm, .nic = nic, .origin = nic->mac_origin };
                if (nic->ifname)
                        (*claims)[(*n)++] = (Claim) { CLAIM_IFNAME, nic->ifname, .vm = vm, .nic = nic, .origin = nic->origin };
                for (size_t k = 0; k < nic->forwards.n; k++) {
                        PortForward f;
                        (void) parse_port_forward(nic->forwards.items[k], &f);     /* checked by the parser */
                        (*claims)[(*n)++] = (Claim) {
                                CLAIM_FORWARD, nic->forwards.items[k],
                                .forward_key = (uint32_t) f.udp << 16 | f.host_port, .host_addr = f.host_addr,
                                .vm = vm, .nic = nic, .origin = nic->forwards_origin,
                        };
                }
        }
}

void nics_check_unique(VmSet *set) {
        _cleanup_free_ Claim *claims = NULL;
        size_t n = 0;

        for (size_t vm = 0; vm < set->n; vm++)
                if (set->items[vm].valid_alone)
                        collect(set, vm, &claims, &n);
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
