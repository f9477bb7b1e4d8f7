/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* qemu-vmctl's side of a running VM's QMP: /run/qemu-vm/NAME/qmp.sock. (qemu-vm-shutdown has a socket
 * of its own, so a qemu-vmctl session can never get in the way of a graceful stop.) */

#include "qmp.h"

#define VM_QMP_TIMEOUT_MS 5000

/* Connects to FILE (VM_QMP_SOCKET, VM_SERIAL_SOCKET) in the VM's runtime directory, only if QEMU (the
 * unit's main process) listens on it, without following links (lib/peer-socket.h). Returns the
 * descriptor, -ENOENT when the VM is not running, or another negative errno. */
int vm_socket_connect(const char *vm, const char *file);

/* Why vm_socket_connect() or a QMP connection failed, in words. */
char *vm_socket_error(const char *vm, const char *file, int r);

/* Connects; on failure logs why (naming the VM) and returns a negative errno. */
int vm_qmp_connect(const char *vm, QmpClient *q);

/* Runs a QMP command (qmp_command(): ARGS taken, *RET the caller's) within timeout_ms; on failure logs
 * "VM NAME: QMP COMMAND failed: why" and returns the negative errno. */
int vm_qmp_run(QmpClient *q, const char *vm, const char *command, json_object *args, int timeout_ms,
               json_object **ret);

/* QMP query-status of the QEMU whose PID is MAIN_PID, the unit's MainPID the caller has from systemd
 * (0: not running). "running", "paused", "guest-panicked", "shutdown", ... On failure *ret_error says
 * why (also when QEMU answered with an error). Both are printable. Logs nothing. */
int vm_qemu_status(const char *vm, uint32_t main_pid, char **ret_status, char **ret_error);
