/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Holding a VM still while qemu-vmctl works on its files: the lock every start of qemu-vm@NAME takes
 * first (lib/paths.h, vm_lock_path()), and the unit's state read once it is held. */

#include <stdbool.h>

typedef enum VmHold {
        VM_HOLD_STOPPED,        /* inactive or failed: no start gets past its first step until released */
        VM_HOLD_RUNNING,        /* active: QEMU runs and answers on its sockets */
} VmHold;

/* Takes the lock (waiting for a start that holds it to pass it) and reads the unit's state. Returns the
 * lock's descriptor (close it to release) with *ret saying which; or, having logged why, -EBUSY for a
 * VM starting, stopping or restarting, or another negative errno. */
int vm_hold(const char *vm, VmHold *ret);
