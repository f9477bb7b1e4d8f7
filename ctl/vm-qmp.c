/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>

#include "log.h"
#include "paths.h"
#include "vm-qmp.h"

/* QEMU serves one client per QMP socket: a timeout usually means someone else holds it. */
static char *connect_error(int r) {
        return xasprintf("%s%s", strerror(-r), r == -ETIMEDOUT ? " (is another QMP client connected to qmp.sock?)" : "");
}

int vm_qmp_connect(const char *vm, QmpClient *q) {
        _cleanup_free_ char *sock = vm_runtime_path(vm, VM_QMP_SOCKET);
        int r = qmp_connect(q, sock, VM_QMP_TIMEOUT_MS);
        if (r < 0) {
                _cleanup_free_ char *why = connect_error(r);
                log_error("Cannot talk to QEMU of VM %s over %s: %s", vm, sock, why);
                qmp_close(q);
        }
        return r;
}

int vm_qemu_status(const char *vm, char **ret_status, char **ret_error) {
        _cleanup_free_ char *sock = vm_runtime_path(vm, VM_QMP_SOCKET);
        QmpClient q = QMP_CLIENT_INIT;
        json_object *reply = NULL, *v;
        int r;

        r = qmp_connect(&q, sock, VM_QMP_TIMEOUT_MS);
        if (r < 0) {
                *ret_error = connect_error(r);
                goto finish;
        }
        r = qmp_command(&q, "query-status", NULL, VM_QMP_TIMEOUT_MS, &reply, ret_error);
        if (r == -EIO)
                goto finish;
        if (r >= 0 && !json_object_object_get_ex(reply, "status", &v))
                r = -EBADMSG;
        if (r < 0)
                *ret_error = xstrdup(strerror(-r));
        else
                *ret_status = xstrdup(json_object_get_string(v));
finish:
        json_object_put(reply);
        qmp_close(&q);
        return r;
}
