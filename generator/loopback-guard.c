/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "loopback-guard.h"
#include "meson-config.h"
#include "util.h"

void loopback_guard_argv(const VmConfig *c, const char *user, Strv *v) {
        _cleanup_free_ char *table = xasprintf("inet qemu-vm-%s", c->name);
        _cleanup_free_ char *match = xasprintf("meta skuid \"%s\" ct state new fib daddr type local", user);

        strv_push(v, QEMU_VM_NFT);
        /* One transaction: the table made (or emptied) and filled, or nothing changed. */
        strv_pushf(v, "add table %s; flush table %s; "
                      "add chain %s output { type filter hook output priority filter; policy accept; }; "
                      "add rule %s output %s udp dport 53 accept; "
                      "add rule %s output %s tcp dport 53 accept; "
                      "add rule %s output %s meta l4proto tcp reject with tcp reset; "
                      "add rule %s output %s reject",
                   table, table, table, table, match, table, match, table, match, table, match);
}
