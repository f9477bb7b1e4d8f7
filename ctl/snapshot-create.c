/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>

#include "guest-freeze.h"
#include "log.h"
#include "snapshot-create.h"
#include "snapshot-store.h"
#include "vm-qmp.h"
#include "vm-state-copy.h"

/* Whether any disk already holds a snapshot of that name (made by hand: qemu-vmctl's record has none),
 * once disks->snapshots is read. */
static int check_name_free(const char *vm, const char *snap, const SnapshotDisks *disks) {
        for (size_t i = 0; i < disks->ids.n; i++)
                if (strv_contains(&disks->snapshots[i], snap)) {
                        log_error("VM %s: disk '%s' already holds a snapshot named '%s' that qemu-vmctl did not "
                                  "record. Choose another name. Nothing was changed.", vm, disks->ids.items[i], snap);
                        return -EEXIST;
                }
        return 0;
}

/* A stopped VM: each disk in turn, and those done undone when one fails. */
static int create_offline(const char *vm, const char *snap, SnapshotDisks *disks, const RunAs *as) {
        size_t done = 0;
        int r = snapshot_disks_names(vm, VM_HOLD_STOPPED, disks);

        if (r >= 0)
                r = check_name_free(vm, snap, disks);
        for (; r >= 0 && done < disks->ids.n; done++) {
                _cleanup_free_ char *error = NULL;
                r = disk_snapshot_offline(disks->paths.items[done], DISK_SNAPSHOT_CREATE, snap, as, &error);
                if (r < 0) {
                        log_error("VM %s: snapshot of disk '%s' (%s) failed: %s", vm, disks->ids.items[done],
                                  disks->paths.items[done], error);
                        break;
                }
        }
        /* The disks before the one that failed. */
        for (size_t i = 0; r < 0 && i < done; i++) {
                _cleanup_free_ char *error = NULL;
                if (disk_snapshot_offline(disks->paths.items[i], DISK_SNAPSHOT_DELETE, snap, as, &error) < 0)
                        log_error("VM %s: cannot remove the partial snapshot from disk '%s': %s", vm,
                                  disks->ids.items[i], error);
        }
        return r;
}

/* The running VM's block nodes for the disks, each checked to hold no snapshot of that name yet. */
static int online_nodes(QmpClient *q, const char *vm, const char *snap, SnapshotDisks *disks, Strv *ret) {
        int r = snapshot_disks_nodes(q, vm, disks, ret);
        return r < 0 ? r : check_name_free(vm, snap, disks);
}

/* Pauses the guest ("stop"), or resumes it ("cont"). */
static int vcpus(QmpClient *q, const char *vm, const char *command) {
        return vm_qmp_run(q, vm, command, NULL, 5000, NULL);
}

/* Whether the guest runs (rather than being paused already); a negative errno when QEMU does not say. */
static int guest_running(QmpClient *q, const char *vm) {
        json_object *reply = NULL, *v;
        char *error = NULL;
        int r = qmp_command(q, "query-status", NULL, 5000, &reply, &error);
        if (r < 0) {
                _cleanup_free_ char *why = qmp_failure_text(r, error);
                log_error("VM %s: QMP query-status failed: %s", vm, why);
        } else
                r = json_object_object_get_ex(reply, "status", &v) && streq_ptr(qmp_string(v), "running");
        json_object_put(reply);
        return r;
}

/* Resumes a guest this command paused. A guest left paused is the one failure worse than no snapshot. */
static int resume(QmpClient *q, const char *vm) {
        int r = vcpus(q, vm, "cont");
        if (r < 0)
                log_error("VM %s is still paused: resume it with QMP 'cont' (its qmp.sock), or restart it.", vm);
        return r;
}

/* Whether the disks hold the snapshot (or may, after a failed snapshot-save): to undo when a later step
 * fails. */
typedef struct Made {
        bool on_disks;
} Made;

/* Disks and memory: QEMU's snapshot-save, the NVRAM and TPM state copied while the guest is paused. */
static int create_with_memory(QmpClient *q, const char *vm, const char *snap, const Strv *nodes, RecordDraft *draft,
                              json_object *m, Made *made) {
        _cleanup_free_ char *error = NULL;
        int running = guest_running(q, vm), r;

        snapshot_manifest_set(m, SNAPSHOT_KIND_DISKS_RAM, "disks, memory and devices of the running VM");
        if (running < 0)
                return running;
        if ((r = vcpus(q, vm, "stop")) < 0)
                return r;
        r = vm_state_copy_save(vm, draft->dir, m);
        if (r >= 0) {
                r = qmp_snapshot_job(q, "snapshot-save", snap, nodes->items[0], nodes, SNAPSHOT_JOB_TIMEOUT_MS,
                                     &error);
                /* Timed out, QEMU still writes it: nothing is undone under its hands. */
                made->on_disks = r != -ETIMEDOUT;
                if (r < 0)
                        log_error("VM %s: snapshot-save failed: %s", vm, error);
        }
        /* After a time-out too: QEMU runs the command once the save is done. */
        if (running && resume(q, vm) < 0 && r >= 0)
                r = -EIO;
        return r;
}

/* Disks alone, in one transaction, the guest paused meanwhile, and its file systems frozen by its agent
 * when it has one that answers. */
static int create_disk_only(QmpClient *q, const VmConfig *c, const char *snap, const Strv *nodes, RecordDraft *draft,
                            json_object *m, Made *made) {
        GuestFreeze freeze = GUEST_FREEZE_INIT;
        int r = 0;

        guest_freeze(c, &freeze, "the snapshot");
        int running = guest_running(q, c->name);
        bool paused = false;
        if (running < 0)
                r = running;
        if (r >= 0 && (r = vcpus(q, c->name, "stop")) >= 0)
                paused = running;
        if (r >= 0) {
                _cleanup_free_ char *error = NULL;
                r = qmp_snapshot_disks(q, snap, nodes, &error);
                made->on_disks = r >= 0;
                if (r < 0)
                        log_error("VM %s: snapshot of the disks failed: %s", c->name, error);
        }
        if (r >= 0)
                r = vm_state_copy_save(c->name, draft->dir, m);
        if (paused && resume(q, c->name) < 0 && r >= 0)
                r = -EIO;
        if (guest_thaw(c, &freeze) < 0 && r >= 0)
                r = -EIO;
        if (freeze.frozen)
                json_object_object_add(m, SNAPSHOT_KEY_FREEZE_MS, json_object_new_int64(freeze.frozen_ms));
        snapshot_manifest_set(m, SNAPSHOT_KIND_DISKS, guest_freeze_consistency(&freeze));
        return r;
}

/* Takes a snapshot the disks hold (or may hold) off them again, after a later step failed. */
static void undo_on_disks(QmpClient *q, const char *vm, const char *snap, const SnapshotDisks *disks,
                          const Strv *nodes, const RunAs *as) {
        if (nodes) {
                _cleanup_free_ char *error = NULL;
                if (qmp_snapshot_job(q, "snapshot-delete", snap, NULL, nodes, SNAPSHOT_JOB_TIMEOUT_MS, &error) < 0)
                        log_error("VM %s: cannot remove what was made of snapshot %s from its disks: %s", vm, snap,
                                  error);
                return;
        }
        for (size_t i = 0; i < disks->ids.n; i++) {
                _cleanup_free_ char *error = NULL;
                if (disk_snapshot_offline(disks->paths.items[i], DISK_SNAPSHOT_DELETE, snap, as, &error) < 0)
                        log_error("VM %s: cannot remove snapshot %s from disk '%s': %s", vm, snap, disks->ids.items[i],
                                  error);
        }
}

int snapshot_create(const VmConfig *c, const char *snap, bool disk_only, VmHold hold, SnapshotDisks *disks,
                    json_object **ret) {
        _cleanup_(record_draft_done) RecordDraft draft = {};
        _cleanup_qmp_ QmpClient q = QMP_CLIENT_INIT;
        _cleanup_strv_ Strv nodes = {};
        Made made = {};
        RunAs as;

        int r = snapshot_draft_begin(c->name, snap, &draft);
        if (r == -EEXIST)
                log_error("VM %s already has a snapshot named '%s'. Nothing was changed.", c->name, snap);
        if (r < 0)
                return r;
        json_object *m = snapshot_manifest_new(snap, &disks->ids, &disks->paths);

        if (hold == VM_HOLD_STOPPED) {
                snapshot_manifest_set(m, SNAPSHOT_KIND_DISKS, "disks of the stopped VM");
                r = vm_run_as(c->name, &as);
                if (r >= 0)
                        r = create_offline(c->name, snap, disks, &as);
                made.on_disks = r >= 0;
                if (r >= 0)
                        r = vm_state_copy_save(c->name, draft.dir, m);
        } else {
                r = vm_qmp_connect(c->name, &q);
                if (r >= 0)
                        r = online_nodes(&q, c->name, snap, disks, &nodes);
                if (r >= 0)
                        r = disk_only ? create_disk_only(&q, c, snap, &nodes, &draft, m, &made)
                                      : create_with_memory(&q, c->name, snap, &nodes, &draft, m, &made);
        }
        if (r >= 0)
                r = record_draft_commit(&draft, m, "the snapshot");
        if (r < 0 && made.on_disks)
                undo_on_disks(&q, c->name, snap, disks, hold == VM_HOLD_RUNNING ? &nodes : NULL, &as);
        if (r == -ETIMEDOUT)
                log_error("VM %s: QEMU is still making snapshot %s; it is not recorded. Delete it from the disks "
                          "once it is done ('qemu-img snapshot -d' on the stopped VM).", c->name, snap);
        if (r < 0) {
                json_object_put(m);
                log_error("No snapshot of VM %s was made.", c->name);
                return r;
        }
        *ret = m;
        return 0;
}
