/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* qemu-vmctl's side of a running VM's QMP: /run/qemu-vm/NAME/qmp.sock. (qemu-vm-shutdown has a socket
 * of its own, so a qemu-vmctl session can never get in the way of a graceful stop.) */

#include "qmp.h"

#define VM_QMP_TIMEOUT_MS 5000

/* Connects; on failure logs why (naming the VM) and returns a negative errno. */
int vm_qmp_connect(const char *vm, QmpClient *q);

/* QMP query-status: "running", "paused", "guest-panicked", "shutdown", ... On failure *ret_error says
 * why (also when QEMU answered with an error). Logs nothing. */
int vm_qemu_status(const char *vm, char **ret_status, char **ret_error);
