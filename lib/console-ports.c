/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdint.h>

#include "console-ports.h"
#include "parse-value.h"

#define AUTO_PORTS (CONSOLE_PORT_AUTO_LAST - CONSOLE_PORT_AUTO_FIRST + 1)

/* Ports in the auto range that Chromium and Firefox refuse to open ("unsafe ports"): a console there
 * could not be reached from a browser. */
static bool port_blocked_by_browsers(unsigned port) {
        return port == 6566 || (port >= 6665 && port <= 6669) || port == 6697;
}

char *console_host_for_url(const char *address) {
        return strchr(address, ':') ? xasprintf("[%s]", address) : xstrdup(address);
}

bool console_listens_everywhere(const VmConfig *c) {
        return streq(c->vnc.listen, "0.0.0.0") || streq(c->vnc.listen, "::");
}

char *console_url(const VmConfig *c) {
        if (!c->vnc.enabled)
                return NULL;
        _cleanup_free_ char *host =
                console_listens_everywhere(c) ? xstrdup("HOST") : console_host_for_url(c->vnc.listen);
        return xasprintf("http://%s:%u/vnc.html?autoconnect=true", host, c->vnc.port);
}

unsigned console_port_preferred(const char *name) {
        return CONSOLE_PORT_AUTO_FIRST + string_hash_fnv1a(name) % AUTO_PORTS;
}

/* Explicit ports are taken as given (host-unique.c reports clashes). They stay reserved even when they
 * clash, so that the auto ports of the others do not move while the clash is being fixed. */
static void reserve_explicit(const VmSet *set, const bool *part, bool taken[AUTO_PORTS]) {
        for (size_t i = 0; i < set->n; i++) {
                unsigned port = set->items[i].config.vnc.port;
                if (part[i] && port >= CONSOLE_PORT_AUTO_FIRST && port <= CONSOLE_PORT_AUTO_LAST)
                        taken[port - CONSOLE_PORT_AUTO_FIRST] = true;
        }
}

/* Auto ports stay clear of every TCP port a user-mode forward takes on the host, whatever its
 * address; host-unique.c reports an explicit console port that meets a forward. */
static void reserve_forwards(const VmSet *set, bool taken[AUTO_PORTS]) {
        for (size_t i = 0; i < set->n; i++) {
                const VmConfig *c = &set->items[i].config;
                if (!set->items[i].valid_alone)
                        continue;
                for (size_t k = 0; k < c->n_nets; k++)
                        for (size_t l = 0; l < c->nets[k].forwards.n; l++) {
                                const PortForward *f = &c->nets[k].forwards.items[l];
                                if (!f->udp && f->host_port >= CONSOLE_PORT_AUTO_FIRST &&
                                    f->host_port <= CONSOLE_PORT_AUTO_LAST)
                                        taken[f->host_port - CONSOLE_PORT_AUTO_FIRST] = true;
                        }
        }
}

static bool port_free(const bool taken[AUTO_PORTS], unsigned port) {
        return !taken[port - CONSOLE_PORT_AUTO_FIRST] && !port_blocked_by_browsers(port);
}

void console_ports_assign(VmSet *set) {
        bool taken[AUTO_PORTS] = {};
        _cleanup_free_ bool *part = xcalloc(set->n + 1, sizeof(bool));

        for (size_t i = 0; i < set->n; i++)
                part[i] = set->items[i].valid_alone && set->items[i].config.vnc.enabled;
        reserve_explicit(set, part, taken);
        reserve_forwards(set, taken);

        /* set->items is in name order (vm_set_load()). */
        for (size_t i = 0; i < set->n; i++) {
                VncConfig *vnc = &set->items[i].config.vnc;
                if (!part[i] || vnc->port != 0)
                        continue;
                unsigned port = console_port_preferred(set->items[i].config.name);
                vnc->port_auto = true;
                if (port_free(taken, port)) {
                        vnc->port = port;
                        taken[port - CONSOLE_PORT_AUTO_FIRST] = true;
                }
        }

        for (size_t i = 0; i < set->n; i++) {
                VncConfig *vnc = &set->items[i].config.vnc;
                if (!part[i] || vnc->port != 0 || !vnc->port_auto)
                        continue;
                unsigned first = console_port_preferred(set->items[i].config.name);
                for (unsigned k = 1; k < AUTO_PORTS && vnc->port == 0; k++) {
                        unsigned port = CONSOLE_PORT_AUTO_FIRST + (first - CONSOLE_PORT_AUTO_FIRST + k) % AUTO_PORTS;
                        if (port_free(taken, port)) {
                                vnc->port = port;
                                taken[port - CONSOLE_PORT_AUTO_FIRST] = true;
                        }
                }
                if (vnc->port == 0)
                        config_errors_add_at(&set->items[i].errors, vnc->origin,
                                             "[vnc] port = auto: every port from %d to %d is taken; set 'port'",
                                             CONSOLE_PORT_AUTO_FIRST, CONSOLE_PORT_AUTO_LAST);
        }
}
