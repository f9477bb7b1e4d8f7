/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>

#include "escape.h"
#include "log.h"
#include "paths.h"
#include "peer-socket.h"
#include "systemd-bus.h"
#include "vm-qmp.h"

/* QEMU serves one client per QMP socket: a timeout usually means someone else holds it. */
char *vm_socket_error(const char *vm, const char *file, int r) {
        if (r == -EPERM)
                return xasprintf("the process listening on %s is not QEMU of VM %s (the unit's main process)", file,
                                 vm);
        if (r == -ELOOP || r == -ENOTSOCK)
                return xasprintf("%s is not a socket (refusing to follow a link QEMU's user may have planted)", file);
        errno = -r;
        return xasprintf("%m%s", r == -ETIMEDOUT ? " (is another QMP client connected to qmp.sock?)" : "");
}

/* QEMU's PID as systemd knows it (MainPID of qemu-vm@NAME): the only process whose sockets root
 * trusts. -ENOENT when the VM is not running. */
static int vm_main_pid(const char *vm, pid_t *ret) {
        _cleanup_free_ char *unit = vm_unit_name(vm);
        _cleanup_bus_ sd_bus *bus = NULL;
        UnitState s = {};
        int r = sd_bus_open_system(&bus);
        if (r >= 0)
                r = unit_state_get(bus, unit, &s);
        if (r < 0)
                return r;
        *ret = (pid_t) s.main_pid;
        unit_state_clear(&s);
        return *ret > 0 ? 0 : -ENOENT;
}

static int socket_connect_to(const char *vm, const char *file, pid_t main_pid) {
        _cleanup_free_ char *dir = vm_runtime_dir(vm);
        if (main_pid <= 0)
                return -ENOENT;
        return peer_socket_connect(dir, file, main_pid);
}

int vm_socket_connect(const char *vm, const char *file) {
        pid_t pid;
        int r = vm_main_pid(vm, &pid);
        return r < 0 ? r : socket_connect_to(vm, file, pid);
}

static int vm_qmp_open(const char *vm, pid_t main_pid, QmpClient *q) {
        int fd = socket_connect_to(vm, VM_QMP_SOCKET, main_pid);
        if (fd < 0)
                return fd;
        return qmp_connect(q, fd, VM_QMP_TIMEOUT_MS);
}

int vm_qmp_connect(const char *vm, QmpClient *q) {
        pid_t pid;
        int r = vm_main_pid(vm, &pid);
        if (r >= 0)
                r = vm_qmp_open(vm, pid, q);
        if (r < 0) {
                _cleanup_free_ char *sock = vm_runtime_path(vm, VM_QMP_SOCKET),
                                    *why = vm_socket_error(vm, VM_QMP_SOCKET, r);
                log_error("Cannot talk to QEMU of VM %s over %s: %s", vm, sock, why);
                qmp_close(q);
        }
        return r;
}

int vm_qemu_status(const char *vm, uint32_t main_pid, char **ret_status, char **ret_error) {
        QmpClient q = QMP_CLIENT_INIT;
        json_object *reply = NULL, *v;
        int r;

        r = vm_qmp_open(vm, (pid_t) main_pid, &q);
        if (r < 0) {
                *ret_error = vm_socket_error(vm, VM_QMP_SOCKET, r);
                goto finish;
        }
        r = qmp_command(&q, "query-status", NULL, VM_QMP_TIMEOUT_MS, &reply, ret_error);
        if (r == -EIO)
                goto finish;
        if (r >= 0 && (!json_object_object_get_ex(reply, "status", &v) || !json_object_is_type(v, json_type_string)))
                r = -EBADMSG;
        if (r < 0) {
                errno = -r;
                *ret_error = xasprintf("%m");
        } else
                *ret_status = string_printable(json_object_get_string(v));
finish:
        json_object_put(reply);
        qmp_close(&q);
        return r;
}

int vm_qmp_run(QmpClient *q, const char *vm, const char *command, json_object *args, int timeout_ms,
               json_object **ret) {
        char *error = NULL;
        int r = qmp_command(q, command, args, timeout_ms, ret, &error);
        if (r < 0) {
                _cleanup_free_ char *why = qmp_failure_text(r, error);
                log_error("VM %s: QMP %s failed: %s", vm, command, why);
        }
        return r;
}
