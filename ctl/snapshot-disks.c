/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>

#include "escape.h"
#include "meson-config.h"
#include "snapshot-disks.h"
#include "util.h"

/* The image as qemu-img opens it: qcow2, never probed, a plain file (no protocol prefix in the path). */
static char *image_opts(const char *path) {
        _cleanup_free_ char *escaped = qemu_option_escape(path);
        return strjoin("driver=qcow2,file.driver=file,file.filename=", escaped);
}

int disk_snapshot_offline(const char *path, DiskSnapshotOp op, const char *snap, const RunAs *as, char **ret_error) {
        static const char *const flags[] = {
                [DISK_SNAPSHOT_CREATE] = "-c",
                [DISK_SNAPSHOT_APPLY] = "-a",
                [DISK_SNAPSHOT_DELETE] = "-d",
        };
        _cleanup_free_ char *opts = image_opts(path);
        char *argv[] = { (char *) QEMU_VM_QEMU_IMG, (char *) "snapshot", (char *) "-q", (char *) "--image-opts",
                         (char *) flags[op], (char *) snap, opts, NULL };
        return run_program(argv, as, NULL, ret_error);
}

static void snapshot_names(json_object *snapshots, Strv *ret) {
        for (size_t i = 0; i < qmp_array_length(snapshots); i++) {
                json_object *snapshot = json_object_array_get_idx(snapshots, i), *name;
                if (json_object_object_get_ex(snapshot, "name", &name) && qmp_string(name))
                        strv_push(ret, qmp_string(name));
        }
}

int disk_snapshot_names_offline(const char *path, const RunAs *as, Strv *ret, char **ret_error) {
        _cleanup_free_ char *opts = image_opts(path), *output = NULL;
        char *argv[] = { (char *) QEMU_VM_QEMU_IMG, (char *) "info", (char *) "--output=json", (char *) "--image-opts",
                         opts, NULL };
        json_object *info, *snapshots = NULL;

        *ret = (Strv) {};
        int r = run_program(argv, as, &output, ret_error);
        if (r < 0)
                return r;
        info = json_tokener_parse(output);
        if (!json_object_is_type(info, json_type_object)) {
                json_object_put(info);
                *ret_error = xstrdup("qemu-img info printed no JSON object");
                return -EBADMSG;
        }
        json_object_object_get_ex(info, "snapshots", &snapshots);
        snapshot_names(snapshots, ret);
        json_object_put(info);
        return 0;
}

int qmp_disk_node(QmpClient *q, const char *disk_id, char **ret_node, Strv *ret_snapshots, char **ret_error) {
        _cleanup_free_ char *device = strjoin("disk-", disk_id);
        json_object *reply = NULL;

        int r = qmp_command(q, "query-block", NULL, 5000, &reply, ret_error);
        if (r < 0)
                return r;
        r = -ENODEV;
        for (size_t i = 0; r < 0 && i < qmp_array_length(reply); i++) {
                json_object *b = json_object_array_get_idx(reply, i), *v, *inserted, *node, *image, *snapshots = NULL;
                if (!json_object_object_get_ex(b, "device", &v) || !streq_ptr(qmp_string(v), device) ||
                    !json_object_object_get_ex(b, "inserted", &inserted) ||
                    !json_object_object_get_ex(inserted, "node-name", &node) || !qmp_string(node))
                        continue;
                *ret_node = xstrdup(qmp_string(node));
                *ret_snapshots = (Strv) {};
                if (json_object_object_get_ex(inserted, "image", &image))
                        json_object_object_get_ex(image, "snapshots", &snapshots);
                snapshot_names(snapshots, ret_snapshots);
                r = 0;
        }
        json_object_put(reply);
        if (r < 0)
                *ret_error = xasprintf("QEMU has no disk %s", device);
        return r;
}

static json_object *strv_json(const Strv *v) {
        json_object *a = json_object_new_array();
        for (size_t i = 0; i < v->n; i++)
                json_object_array_add(a, json_object_new_string(v->items[i]));
        return a;
}

#define SNAPSHOT_JOB_ID "qemu-vmctl-snapshot"

/* The job's error once it has concluded, or NULL when it succeeded. */
static int job_wait(QmpClient *q, int timeout_ms, char **ret_error) {
        long long deadline = qmp_now_ms() + timeout_ms;
        json_object *jobs = NULL;
        int r;

        for (;;) {
                /* Polled: the job's events may have come and gone before the command's reply. */
                r = qmp_command(q, "query-jobs", NULL, 5000, &jobs, ret_error);
                if (r < 0)
                        return r;
                json_object *job = NULL, *v;
                for (size_t i = 0; i < qmp_array_length(jobs); i++)
                        if (json_object_object_get_ex(json_object_array_get_idx(jobs, i), "id", &v) &&
                            streq_ptr(qmp_string(v), SNAPSHOT_JOB_ID))
                                job = json_object_array_get_idx(jobs, i);
                if (!job) {
                        json_object_put(jobs);
                        *ret_error = xstrdup("the job vanished");
                        return -EIO;
                }
                bool concluded = json_object_object_get_ex(job, "status", &v) && streq_ptr(qmp_string(v), "concluded");
                if (concluded) {
                        if (json_object_object_get_ex(job, "error", &v) && qmp_string(v)) {
                                *ret_error = string_printable(qmp_string(v));
                                r = -EIO;
                        }
                        json_object_put(jobs);
                        return r;
                }
                json_object_put(jobs);
                long long left = deadline - qmp_now_ms();
                if (left <= 0) {
                        *ret_error = xstrdup("the job did not end in time");
                        return -ETIMEDOUT;
                }
                json_object *event = NULL;
                /* Wakes at the next event (JOB_STATUS_CHANGE), or after 200 ms. */
                if (qmp_next_event(q, left < 200 ? (int) left : 200, &event) == -ECONNRESET) {
                        *ret_error = xstrdup("QEMU closed the connection");
                        return -ECONNRESET;
                }
                json_object_put(event);
        }
}

int qmp_snapshot_job(QmpClient *q, const char *command, const char *snap, const char *vmstate_node, const Strv *nodes,
                     int timeout_ms, char **ret_error) {
        json_object *args = json_object_new_object();
        json_object_object_add(args, "job-id", json_object_new_string(SNAPSHOT_JOB_ID));
        json_object_object_add(args, "tag", json_object_new_string(snap));
        if (vmstate_node)
                json_object_object_add(args, "vmstate", json_object_new_string(vmstate_node));
        json_object_object_add(args, "devices", strv_json(nodes));

        int r = qmp_command(q, command, args, 5000, NULL, ret_error);
        if (r < 0)
                return r;
        r = job_wait(q, timeout_ms, ret_error);
        json_object *dismiss = json_object_new_object();
        json_object_object_add(dismiss, "id", json_object_new_string(SNAPSHOT_JOB_ID));
        _cleanup_free_ char *dismiss_error = NULL;
        (void) qmp_command(q, "job-dismiss", dismiss, 5000, NULL, &dismiss_error);
        return r;
}

int qmp_snapshot_disks(QmpClient *q, const char *snap, const Strv *nodes, char **ret_error) {
        json_object *actions = json_object_new_array();
        for (size_t i = 0; i < nodes->n; i++) {
                json_object *action = json_object_new_object(), *data = json_object_new_object();
                json_object_object_add(data, "device", json_object_new_string(nodes->items[i]));
                json_object_object_add(data, "name", json_object_new_string(snap));
                json_object_object_add(action, "type", json_object_new_string("blockdev-snapshot-internal-sync"));
                json_object_object_add(action, "data", data);
                json_object_array_add(actions, action);
        }
        json_object *args = json_object_new_object();
        json_object_object_add(args, "actions", actions);
        return qmp_command(q, "transaction", args, 60000, NULL, ret_error);
}
