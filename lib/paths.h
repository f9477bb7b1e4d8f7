/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Where things live (docs/DESIGN-NOTES.md, "Paths"). The directories come from the build (meson-config.h). */

#include "meson-config.h"
#include "util.h"

/* /var/lib/qemu-vm/NAME/FILE: StateDirectory=qemu-vm/%i, disks created by default, NVRAM, seed. */
static inline char *vm_state_path(const char *vm, const char *file) {
        return strjoin(QEMU_VM_STATE_DIR, "/", vm, "/", file);
}

/* /var/lib/qemu-vm/NAME, no slash at the end. */
static inline char *vm_state_dir(const char *vm) {
        return strjoin(QEMU_VM_STATE_DIR, "/", vm);
}

/* Whether PATH (normalised, as the parser keeps paths) lies in the VM's state directory, which the VM's
 * user owns: there it makes its disks itself; elsewhere root makes them for it (ExecStartPre=+). */
static inline bool vm_path_in_state_dir(const char *vm, const char *path) {
        _cleanup_free_ char *dir = vm_state_path(vm, "");
        return startswith(path, dir);
}

/* /run/qemu-vm/NAME, no slash at the end: RuntimeDirectory=qemu-vm/%i. */
static inline char *vm_runtime_dir(const char *vm) {
        return strjoin(QEMU_VM_RUNTIME_DIR, "/", vm);
}

/* /run/qemu-vm-lock/NAME.lock: root's. Every start of qemu-vm@NAME takes it first
 * (ExecStartPre=+flock in units/qemu-vm@.service), so whoever holds it (qemu-vmctl snapshot on a
 * stopped VM) holds off the start until it is done. */
#define QEMU_VM_LOCK_DIR "/run/qemu-vm-lock"
static inline char *vm_lock_path(const char *vm) {
        return strjoin(QEMU_VM_LOCK_DIR, "/", vm, ".lock");
}

/* /var/lib/qemu-vm-snapshots/NAME: root's record of the VM's snapshots, one directory each. */
static inline char *vm_snapshot_dir(const char *vm) {
        return strjoin(QEMU_VM_SNAPSHOT_DIR, "/", vm);
}

/* /run/qemu-vm/NAME/FILE: sockets and the pid file. */
static inline char *vm_runtime_path(const char *vm, const char *file) {
        return strjoin(QEMU_VM_RUNTIME_DIR, "/", vm, "/", file);
}

/* /var/log/qemu-vm/NAME: LogsDirectory=qemu-vm/%i, the VM's own (no VM reaches another's log). */
static inline char *vm_log_dir(const char *vm) {
        return strjoin(QEMU_VM_LOG_DIR, "/", vm);
}

/* /var/log/qemu-vm/NAME/serial.log: the serial console's log. */
static inline char *vm_serial_log_path(const char *vm) {
        return strjoin(QEMU_VM_LOG_DIR, "/", vm, "/serial.log");
}

/* /run/qemu-vm-serial/NAME/serial.fifo: QEMU writes the serial log into it (logfile=), and
 * qemu-vm-serial-log@NAME, which made it (RuntimeDirectory=qemu-vm-serial/%i), writes the log files,
 * rotated at [serial] log_max (helpers/serial-log.c). */
static inline char *vm_serial_log_fifo_path(const char *vm) {
        return strjoin(QEMU_VM_SERIAL_FIFO_DIR, "/", vm, "/serial.fifo");
}

/* /run/qemu-vm-console/NAME.token: the browser console's secret (helpers/console-token.h), root's and
 * group qemu-vm-console's. */
static inline char *vm_console_token_path(const char *vm) {
        return strjoin(QEMU_VM_CONSOLE_TOKEN_DIR, "/", vm, ".token");
}

/* /run/swtpm/NAME/swtpm.sock: ListenStream= of swtpm@NAME.socket. */
static inline char *vm_tpm_socket_path(const char *vm) {
        return strjoin(QEMU_VM_SWTPM_RUNTIME_DIR, "/", vm, "/swtpm.sock");
}

/* /var/lib/swtpm/NAME: StateDirectory= of swtpm@NAME.service, the TPM's persistent state. */
static inline char *vm_tpm_state_dir(const char *vm) {
        return strjoin(QEMU_VM_SWTPM_STATE_DIR, "/", vm);
}

/* The user every VM's QEMU ran as before each VM had a user of its own (lib/vm-ids.h, vm_user_name()):
 * files it still owns are re-owned to the VM's user once (units/qemu-vm.sysusers keeps it). */
#define QEMU_VM_LEGACY_USER "qemu-vm"

#define VM_NVRAM_FILE "nvram.fd"
/* The NoCloud seed qemu-vm-prepare-root builds from [cloud-init] (volume "cidata"). */
#define VM_CLOUD_INIT_SEED_FILE "cloud-init.iso"

/* /var/lib/qemu-vm/NAME/nvram.fd: the UEFI variables, copied from the template at the first start. */
static inline char *vm_nvram_path(const char *vm) {
        return vm_state_path(vm, VM_NVRAM_FILE);
}

/* /var/lib/qemu-vm/NAME/cloud-init.iso */
static inline char *vm_seed_path(const char *vm) {
        return vm_state_path(vm, VM_CLOUD_INIT_SEED_FILE);
}

/* LOG.1: the serial log rotated aside, replaced at each rotation. */
static inline char *serial_log_rotated_path(const char *log) {
        return strjoin(log, ".1");
}
#define VM_QMP_SOCKET "qmp.sock"
/* QEMU serves one client per QMP socket: qemu-vm-shutdown has its own, so that an admin's session on
 * qmp.sock can never turn a graceful stop into a pulled plug. */
#define VM_SHUTDOWN_QMP_SOCKET "qmp-shutdown.sock"
#define VM_SERIAL_SOCKET "serial.sock"
/* The guest agent's channel ([agent]): QEMU listens, qemu-vmctl connects as root (lib/peer-socket.h). */
#define VM_AGENT_SOCKET "agent.sock"
#define VM_PID_FILE "qemu.pid"
/* The VNC socket has a directory of its own, group qemu-vm-console: websockify (novnc@NAME) may reach
 * it, and nothing else of the VM (units/novnc@.service). */
#define VM_CONSOLE_DIR "console"
#define VM_VNC_SOCKET VM_CONSOLE_DIR "/vnc.sock"
