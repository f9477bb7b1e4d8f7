/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <pwd.h>

#include "escape.h"
#include "log.h"
#include "meson-config.h"
#include "qmp-job.h"
#include "snapshot-disks.h"
#include "util.h"
#include "vm-ids.h"
#include "vm-qmp.h"
#include "vms.h"

/* qemu-img on a stopped VM's disk: metadata only, so it ends in seconds; a hung one is killed. */
#define QEMU_IMG_TIMEOUT_MS (5 * 60 * 1000)

char *disk_image_spec(const char *path) {
        json_object *spec = json_object_new_object(), *file = json_object_new_object();
        json_object_object_add(file, "driver", json_object_new_string("file"));
        json_object_object_add(file, "filename", json_object_new_string(path));
        json_object_object_add(spec, "driver", json_object_new_string("qcow2"));
        json_object_object_add(spec, "backing", NULL);
        json_object_object_add(spec, "file", file);
        char *text = strjoin("json:", json_object_to_json_string_ext(spec, JSON_C_TO_STRING_PLAIN |
                                                                                JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(spec);
        return text;
}

int disk_snapshot_offline(const char *path, DiskSnapshotOp op, const char *snap, const RunAs *as, char **ret_error) {
        static const char *const flags[] = {
                [DISK_SNAPSHOT_CREATE] = "-c",
                [DISK_SNAPSHOT_APPLY] = "-a",
                [DISK_SNAPSHOT_DELETE] = "-d",
        };
        _cleanup_free_ char *image = disk_image_spec(path);
        char *argv[] = { (char *) QEMU_VM_QEMU_IMG, (char *) "snapshot", (char *) "-q", (char *) flags[op],
                         (char *) snap, image, NULL };
        return run_program(argv, as, QEMU_IMG_TIMEOUT_MS, NULL, ret_error);
}

static void snapshot_names(json_object *snapshots, Strv *ret) {
        for (size_t i = 0; i < qmp_array_length(snapshots); i++) {
                json_object *snapshot = json_object_array_get_idx(snapshots, i), *name;
                if (json_object_object_get_ex(snapshot, "name", &name) && qmp_string(name))
                        strv_push(ret, qmp_string(name));
        }
}

int disk_snapshot_names_offline(const char *path, const RunAs *as, Strv *ret, char **ret_error) {
        _cleanup_free_ char *image = disk_image_spec(path), *output = NULL;
        char *argv[] = { (char *) QEMU_VM_QEMU_IMG, (char *) "info", (char *) "--output=json", image, NULL };
        json_object *info, *snapshots = NULL;

        *ret = (Strv) {};
        int r = run_program(argv, as, QEMU_IMG_TIMEOUT_MS, &output, ret_error);
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

        char *error = NULL;
        int r = qmp_command(q, "query-block", NULL, 5000, &reply, &error);
        if (r < 0) {
                *ret_error = qmp_failure_text(r, error);
                return r;
        }
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

int qmp_snapshot_job(QmpClient *q, const char *command, const char *snap, const char *vmstate_node, const Strv *nodes,
                     int timeout_ms, char **ret_error) {
        /* Unique: a job of an earlier qemu-vmctl that gave up waiting may still be there. */
        _cleanup_free_ char *job_id = xasprintf("qemu-vmctl-%s-%d-%lld", command, (int) getpid(), qmp_now_ms());
        json_object *args = json_object_new_object();
        json_object_object_add(args, "job-id", json_object_new_string(job_id));
        json_object_object_add(args, "tag", json_object_new_string(snap));
        if (vmstate_node)
                json_object_object_add(args, "vmstate", json_object_new_string(vmstate_node));
        json_object_object_add(args, "devices", strv_json(nodes));

        char *error = NULL;
        int r = qmp_command(q, command, args, 5000, NULL, &error);
        if (r < 0) {
                *ret_error = qmp_failure_text(r, error);
                return r;
        }
        _cleanup_strv_ Strv ids = {};
        strv_push(&ids, job_id);
        r = qmp_jobs_wait(q, &ids, timeout_ms, ret_error);
        if (r != -ETIMEDOUT && r != -ECONNRESET)        /* still running, or QEMU gone: nothing to dismiss */
                qmp_jobs_dismiss(q, &ids);
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
        char *error = NULL;
        int r = qmp_command(q, "transaction", args, 60000, NULL, &error);
        if (r < 0)
                *ret_error = qmp_failure_text(r, error);
        return r;
}

void snapshot_disks_clear(SnapshotDisks *d) {
        for (size_t i = 0; d->snapshots && i < d->ids.n; i++)
                strv_clear(&d->snapshots[i]);
        free(d->snapshots);
        strv_clear(&d->ids);
        strv_clear(&d->paths);
        d->snapshots = NULL;
}

/* Room for what each disk holds, empty: read anew. */
static void snapshots_reset(SnapshotDisks *d) {
        for (size_t i = 0; d->snapshots && i < d->ids.n; i++)
                strv_clear(&d->snapshots[i]);
        if (!d->snapshots)
                d->snapshots = xcalloc(d->ids.n + 1, sizeof(Strv));
}

/* Why each kind of disk is refused, per purpose. */
static const struct {
        const char *format, *shared, *none;
} refusals[] = {
        [DISKS_FOR_SNAPSHOT] = {
                "only qcow2 disks hold snapshots",
                "a snapshot of it would change what another VM sees",
                "to take a snapshot of",
        },
        [DISKS_FOR_BACKUP] = {
                "only qcow2 disks keep the record of changes incremental backups need",
                "what another VM writes to it would not be consistent with this VM's backup",
                "to back up",
        },
};

int snapshot_disks_of(const VmSet *set, const VmConfig *c, DisksPurpose purpose, bool quiet, SnapshotDisks *ret) {
        *ret = (SnapshotDisks) {};
        for (size_t i = 0; i < c->n_disks; i++) {
                const DiskConfig *d = &c->disks[i];
                const char *user = vm_file_user(set, c, d->path);
                if (d->readonly)
                        continue;
                if (d->format != DISK_FORMAT_QCOW2) {
                        if (!quiet)
                                log_error("VM %s: disk '%s' (%s) is %s: %s. Nothing was changed.", c->name, d->id,
                                          d->path, disk_format_table[d->format], refusals[purpose].format);
                        return CTL_EXIT_REFUSED;
                }
                if (d->shareable || user) {
                        if (!quiet)
                                log_error("VM %s: disk '%s' (%s) is shared with %s%s: %s. Nothing was changed.",
                                          c->name, d->id, d->path, user ? "VM " : "other VMs (shareable = yes)",
                                          user ?: "", refusals[purpose].shared);
                        return CTL_EXIT_REFUSED;
                }
                strv_push(&ret->ids, d->id);
                strv_push(&ret->paths, d->path);
        }
        if (ret->ids.n == 0) {
                if (!quiet)
                        log_error("VM %s has no writable disk %s.", c->name, refusals[purpose].none);
                return CTL_EXIT_REFUSED;
        }
        return CTL_EXIT_OK;
}

int vm_run_as(const char *vm, RunAs *ret) {
        char user[VM_USER_NAME_MAX];
        vm_user_name(vm, user);
        struct passwd *pw = getpwnam(user);
        if (!pw)
                return log_error_errno(-ESRCH, "VM %s has no user %s yet (it has never started): it has no disks to "
                                       "take a snapshot of.", vm, user);
        *ret = (RunAs) { pw->pw_uid, pw->pw_gid };
        return 0;
}

int snapshot_disks_nodes(QmpClient *q, const char *vm, SnapshotDisks *disks, Strv *ret_nodes) {
        *ret_nodes = (Strv) {};
        snapshots_reset(disks);
        for (size_t i = 0; i < disks->ids.n; i++) {
                _cleanup_free_ char *node = NULL, *error = NULL;
                int r = qmp_disk_node(q, disks->ids.items[i], &node, &disks->snapshots[i], &error);
                if (r < 0)
                        return log_error_errno(r, "VM %s: disk '%s': %s", vm, disks->ids.items[i], error);
                strv_push(ret_nodes, node);
        }
        return 0;
}

int snapshot_disks_names(const char *vm, VmHold hold, SnapshotDisks *disks) {
        _cleanup_qmp_ QmpClient q = QMP_CLIENT_INIT;
        RunAs as;
        int r = hold == VM_HOLD_RUNNING ? vm_qmp_connect(vm, &q) : vm_run_as(vm, &as);

        snapshots_reset(disks);
        for (size_t i = 0; r >= 0 && i < disks->ids.n; i++) {
                _cleanup_free_ char *node = NULL, *error = NULL;
                if (hold == VM_HOLD_RUNNING)
                        r = qmp_disk_node(&q, disks->ids.items[i], &node, &disks->snapshots[i], &error);
                else
                        r = disk_snapshot_names_offline(disks->paths.items[i], &as, &disks->snapshots[i], &error);
                if (r < 0)
                        log_error("VM %s: cannot read the snapshots of disk '%s': %s", vm, disks->ids.items[i], error);
        }
        return r;
}
