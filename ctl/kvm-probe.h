/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Whether KVM can really boot a guest here. /dev/kvm can exist and QEMU can start while every guest
 * hangs or dies (this project's own build machines are such hosts, docs/DESIGN-NOTES.md), so the probe boots
 * firmware under -accel kvm and watches it print: OVMF (64-bit, paging, the way a real guest boots)
 * when there is one, else SeaBIOS. */

#include <stdbool.h>

typedef struct KvmProbe {
        bool booted;
        char *detail;   /* what was seen: "OVMF reached its boot manager in 1.2 s", or why not */
} KvmProbe;

/* Runs qemu for at most timeout_ms. ovmf_code/ovmf_vars may be NULL (SeaBIOS then). */
void kvm_probe_run(const char *qemu, const char *ovmf_code, const char *ovmf_vars, int timeout_ms, KvmProbe *ret);
