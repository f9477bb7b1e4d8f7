/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-vmctl snapshot NAME create [SNAP] [--disk-only] | list | revert SNAP | delete SNAP: snapshots of
 * every writable disk of the VM with its NVRAM and TPM state, all or nothing. The disks hold their part
 * as qcow2 internal snapshots (ctl/snapshot-disks.h); root's record holds the rest (ctl/snapshot-store.h).
 * A stopped VM is worked on with qemu-img as its own user while its start is held off (ctl/vm-lock.h);
 * a running one by its QEMU: disks and memory (snapshot-save), or with --disk-only its disks alone, the
 * guest's file systems frozen by its agent when one answers. Revert works on a stopped VM only. */

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pwd.h>
#include <time.h>

#include "ctl.h"
#include "log.h"
#include "names.h"
#include "snapshot-disks.h"
#include "snapshot-store.h"
#include "vm-agent.h"
#include "vm-ids.h"
#include "vm-lock.h"
#include "vm-qmp.h"
#include "vms.h"

/* Saving a guest's memory writes all of it into the first disk. */
#define SNAPSHOT_SAVE_TIMEOUT_MS (30 * 60 * 1000)
#define FSFREEZE_TIMEOUT_MS 60000

typedef struct SnapshotOptions {
        bool disk_only;
} SnapshotOptions;

/* What a snapshot covers: the VM's writable disks, in the order of its file. */
typedef struct SnapshotDisks {
        Strv ids, paths;
} SnapshotDisks;

static void snapshot_disks_clear(SnapshotDisks *d) {
        strv_clear(&d->ids);
        strv_clear(&d->paths);
}

/* The writable disks. Returns CTL_EXIT_OK, or CTL_EXIT_REFUSED having said which disk cannot hold an
 * internal snapshot and why. */
static int snapshot_disks_of(const VmSet *set, const VmConfig *c, SnapshotDisks *ret) {
        *ret = (SnapshotDisks) {};
        for (size_t i = 0; i < c->n_disks; i++) {
                const DiskConfig *d = &c->disks[i];
                const char *user = vm_file_user(set, c, d->path);
                if (d->readonly)
                        continue;
                if (d->format != DISK_FORMAT_QCOW2) {
                        log_error("VM %s: disk '%s' (%s) is %s: only qcow2 disks hold snapshots. Nothing was changed.",
                                  c->name, d->id, d->path, disk_format_table[d->format]);
                        return CTL_EXIT_REFUSED;
                }
                if (d->shareable || user) {
                        log_error("VM %s: disk '%s' (%s) is shared with %s%s: a snapshot of it would change what "
                                  "another VM sees. Nothing was changed.", c->name, d->id, d->path,
                                  user ? "VM " : "other VMs (shareable = yes)", user ?: "");
                        return CTL_EXIT_REFUSED;
                }
                strv_push(&ret->ids, d->id);
                strv_push(&ret->paths, d->path);
        }
        if (ret->ids.n == 0) {
                log_error("VM %s has no writable disk to take a snapshot of.", c->name);
                return CTL_EXIT_REFUSED;
        }
        return CTL_EXIT_OK;
}

/* qemu-img runs as the VM's own user: its rights on the disks are QEMU's, no more. */
static int vm_run_as(const char *vm, RunAs *ret) {
        char user[VM_USER_NAME_MAX];
        vm_user_name(vm, user);
        struct passwd *pw = getpwnam(user);
        if (!pw)
                return log_error_errno(-ESRCH, "VM %s has no user %s yet (it has never started): it has no disks to "
                                       "take a snapshot of.", vm, user);
        *ret = (RunAs) { pw->pw_uid, pw->pw_gid };
        return 0;
}

static json_object *manifest_new(const char *snap, const SnapshotDisks *disks) {
        json_object *m = json_object_new_object(), *list = json_object_new_array();
        json_object_object_add(m, SNAPSHOT_KEY_NAME, json_object_new_string(snap));
        json_object_object_add(m, SNAPSHOT_KEY_CREATED, json_object_new_int64((int64_t) time(NULL)));
        for (size_t i = 0; i < disks->ids.n; i++) {
                json_object *d = json_object_new_object();
                json_object_object_add(d, "id", json_object_new_string(disks->ids.items[i]));
                json_object_object_add(d, "path", json_object_new_string(disks->paths.items[i]));
                json_object_array_add(list, d);
        }
        json_object_object_add(m, SNAPSHOT_KEY_DISKS, list);
        return m;
}

static void manifest_set(json_object *m, const char *kind, const char *consistency) {
        json_object_object_add(m, SNAPSHOT_KEY_KIND, json_object_new_string(kind));
        json_object_object_add(m, SNAPSHOT_KEY_CONSISTENCY, json_object_new_string(consistency));
}

/* Whether any disk already holds a snapshot of that name (made by hand: qemu-vmctl's record has none). */
static int check_name_free(const char *vm, const char *snap, const char *disk_id, const Strv *names) {
        if (!strv_contains(names, snap))
                return 0;
        log_error("VM %s: disk '%s' already holds a snapshot named '%s' that qemu-vmctl did not record. "
                  "Choose another name. Nothing was changed.", vm, disk_id, snap);
        return -EEXIST;
}

/* A stopped VM: each disk in turn, and those done undone when one fails. */
static int create_offline(const char *vm, const char *snap, const SnapshotDisks *disks, const RunAs *as) {
        size_t done = 0;
        int r = 0;

        for (size_t i = 0; r >= 0 && i < disks->ids.n; i++) {
                _cleanup_strv_ Strv names = {};
                _cleanup_free_ char *error = NULL;
                r = disk_snapshot_names_offline(disks->paths.items[i], as, &names, &error);
                if (r < 0)
                        log_error("VM %s: cannot read disk '%s' (%s): %s", vm, disks->ids.items[i],
                                  disks->paths.items[i], error);
                else
                        r = check_name_free(vm, snap, disks->ids.items[i], &names);
        }
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
static int online_nodes(QmpClient *q, const char *vm, const char *snap, const SnapshotDisks *disks, Strv *ret) {
        *ret = (Strv) {};
        for (size_t i = 0; i < disks->ids.n; i++) {
                _cleanup_free_ char *node = NULL, *error = NULL;
                _cleanup_strv_ Strv names = {};
                int r = qmp_disk_node(q, disks->ids.items[i], &node, &names, &error);
                if (r < 0)
                        return log_error_errno(r, "VM %s: disk '%s': %s", vm, disks->ids.items[i], error);
                if (snap && (r = check_name_free(vm, snap, disks->ids.items[i], &names)) < 0)
                        return r;
                strv_push(ret, node);
        }
        return 0;
}

/* Pauses the guest ("stop"), or resumes it ("cont"). */
static int vcpus(QmpClient *q, const char *vm, const char *command) {
        _cleanup_free_ char *error = NULL;
        int r = qmp_command(q, command, NULL, 5000, NULL, &error);
        if (r == -EIO)
                log_error("VM %s: QMP %s failed: %s", vm, command, error);
        else if (r < 0)
                log_error_errno(r, "VM %s: QMP %s failed: %m", vm, command);
        return r;
}

static bool guest_running(QmpClient *q) {
        json_object *reply = NULL, *v;
        _cleanup_free_ char *error = NULL;
        bool running = qmp_command(q, "query-status", NULL, 5000, &reply, &error) >= 0 &&
                       json_object_object_get_ex(reply, "status", &v) && streq_ptr(qmp_string(v), "running");
        json_object_put(reply);
        return running;
}

/* Disks and memory: QEMU's snapshot-save, the NVRAM and TPM state copied while the guest is paused. */
static int create_with_memory(QmpClient *q, const char *vm, const char *snap, const Strv *nodes, SnapshotDraft *draft,
                              json_object *m) {
        _cleanup_free_ char *error = NULL;
        bool was_running = guest_running(q);
        int r = vcpus(q, vm, "stop");
        if (r >= 0)
                r = snapshot_draft_save_vm_files(draft, vm, m);
        if (r >= 0) {
                r = qmp_snapshot_job(q, "snapshot-save", snap, nodes->items[0], nodes, SNAPSHOT_SAVE_TIMEOUT_MS,
                                     &error);
                if (r < 0) {
                        log_error("VM %s: snapshot-save failed: %s", vm, error);
                        _cleanup_free_ char *undo_error = NULL;
                        /* Disks it reached before failing keep nothing of it. */
                        if (qmp_snapshot_job(q, "snapshot-delete", snap, NULL, nodes, SNAPSHOT_SAVE_TIMEOUT_MS,
                                             &undo_error) < 0)
                                log_error("VM %s: cannot remove what snapshot-save left: %s", vm, undo_error);
                }
        }
        if (was_running)
                (void) vcpus(q, vm, "cont");
        manifest_set(m, SNAPSHOT_KIND_DISKS_RAM, "disks, memory and devices of the running VM");
        return r;
}

/* Disks alone, in one transaction, the guest paused meanwhile and its file systems frozen by its agent
 * when it has one that answers. */
static int create_disk_only(QmpClient *q, const VmConfig *c, const char *snap, const Strv *nodes, SnapshotDraft *draft,
                            json_object *m) {
        _cleanup_qmp_ QmpClient agent = QMP_CLIENT_INIT;
        _cleanup_free_ char *error = NULL, *freeze_error = NULL;
        bool frozen = false;
        long long frozen_at = 0;
        int r;

        if (c->agent.enabled && vm_agent_connect(c->name, GUEST_AGENT_TIMEOUT_MS, &agent) >= 0) {
                frozen = qmp_command(&agent, "guest-fsfreeze-freeze", NULL, FSFREEZE_TIMEOUT_MS, NULL,
                                     &freeze_error) >= 0;
                frozen_at = qmp_now_ms();
                if (!frozen)
                        log_warning("VM %s: the guest agent did not freeze the file systems (%s): the snapshot is "
                                    "crash-consistent.", c->name, freeze_error ?: "no answer");
        }
        bool was_running = guest_running(q);
        r = vcpus(q, c->name, "stop");
        if (r >= 0 && (r = qmp_snapshot_disks(q, snap, nodes, &error)) < 0)
                log_error("VM %s: snapshot of the disks failed: %s", c->name, error);
        if (r >= 0)
                r = snapshot_draft_save_vm_files(draft, c->name, m);
        if (r < 0 && !error) {
                _cleanup_free_ char *undo_error = NULL;
                if (qmp_snapshot_job(q, "snapshot-delete", snap, NULL, nodes, SNAPSHOT_SAVE_TIMEOUT_MS,
                                     &undo_error) < 0)
                        log_error("VM %s: cannot remove the disks' snapshot: %s", c->name, undo_error);
        }
        if (was_running)
                (void) vcpus(q, c->name, "cont");
        if (frozen) {
                _cleanup_free_ char *thaw_error = NULL;
                if (qmp_command(&agent, "guest-fsfreeze-thaw", NULL, FSFREEZE_TIMEOUT_MS, NULL, &thaw_error) < 0) {
                        log_error("VM %s: the guest agent did not thaw the file systems: %s. Run 'qemu-vmctl agent %s "
                                  "fsthaw'.", c->name, thaw_error ?: "no answer", c->name);
                        r = r < 0 ? r : -EIO;
                }
                json_object_object_add(m, SNAPSHOT_KEY_FREEZE_MS, json_object_new_int64(qmp_now_ms() - frozen_at));
        }
        manifest_set(m, SNAPSHOT_KIND_DISKS,
                     frozen ? "disks of the running VM, its file systems frozen by the guest agent"
                            : "disks of the running VM, crash-consistent (no guest agent froze its file systems)");
        return r;
}

/* "disks root, data; NVRAM; TPM state": what the snapshot holds. */
static void print_covered(json_object *m) {
        _cleanup_strv_ Strv ids = {};
        json_object *v = NULL;
        snapshot_manifest_disk_ids(m, &ids);
        printf("disks ");
        for (size_t i = 0; i < ids.n; i++)
                printf("%s%s", i ? ", " : "", ids.items[i]);
        json_object_object_get_ex(m, SNAPSHOT_KEY_NVRAM, &v);
        printf("%s", json_object_get_boolean(v) ? "; NVRAM" : "");
        v = NULL;
        json_object_object_get_ex(m, SNAPSHOT_KEY_TPM, &v);
        printf("%s", v ? "; TPM state" : "");
}

static void report_created(const Ctl *ctl, const char *vm, json_object *m) {
        json_object *v = NULL;
        if (ctl->json) {
                json_object_object_add(m, "vm", json_object_new_string(vm));
                ctl_print_json(json_object_get(m));
                return;
        }
        json_object_object_get_ex(m, SNAPSHOT_KEY_NAME, &v);
        printf("Snapshot %s of VM %s: ", json_object_get_string(v), vm);
        print_covered(m);
        printf(".\n");
        json_object_object_get_ex(m, SNAPSHOT_KEY_CONSISTENCY, &v);
        printf("  What it holds: %s", json_object_get_string(v));
        if (json_object_object_get_ex(m, SNAPSHOT_KEY_FREEZE_MS, &v))
                printf(" (frozen for %" PRId64 " ms)", json_object_get_int64(v));
        printf(".\n");
}

/* Takes the lock of the VM (ctl/vm-lock.h) into *ret_lock. Returns CTL_EXIT_OK, or the exit code once
 * it logged why not. */
static int hold_vm(const char *vm, VmHold *hold, int *ret_lock) {
        *ret_lock = vm_hold(vm, hold);
        return *ret_lock >= 0 ? CTL_EXIT_OK : *ret_lock == -EBUSY ? CTL_EXIT_REFUSED : CTL_EXIT_FAILED;
}

/* What create and revert start with: the disks a snapshot covers, and the VM held. */
static int hold_vm_with_disks(const VmSet *set, const VmConfig *c, SnapshotDisks *disks, VmHold *hold, int *ret_lock) {
        int r = snapshot_disks_of(set, c, disks);
        return r != CTL_EXIT_OK ? r : hold_vm(c->name, hold, ret_lock);
}

static int snapshot_create(const Ctl *ctl, const VmSet *set, const VmConfig *c, const char *snap, bool disk_only) {
        _cleanup_(snapshot_disks_clear) SnapshotDisks disks = {};
        _cleanup_(snapshot_draft_done) SnapshotDraft draft = {};
        _cleanup_qmp_ QmpClient q = QMP_CLIENT_INIT;
        _cleanup_strv_ Strv nodes = {};
        _cleanup_close_ int lock = -1;
        VmHold hold;
        RunAs as;
        int r;

        if ((r = hold_vm_with_disks(set, c, &disks, &hold, &lock)) != CTL_EXIT_OK)
                return r;
        r = snapshot_draft_begin(c->name, snap, &draft);
        if (r == -EEXIST) {
                log_error("VM %s already has a snapshot named '%s'. Nothing was changed.", c->name, snap);
                return CTL_EXIT_REFUSED;
        }
        if (r < 0)
                return CTL_EXIT_FAILED;
        json_object *m = manifest_new(snap, &disks);

        if (hold == VM_HOLD_STOPPED) {
                r = vm_run_as(c->name, &as);
                if (r >= 0)
                        r = create_offline(c->name, snap, &disks, &as);
                if (r >= 0 && (r = snapshot_draft_save_vm_files(&draft, c->name, m)) < 0) {
                        /* The disks' snapshots without the rest would be no snapshot. */
                        for (size_t i = 0; i < disks.ids.n; i++) {
                                _cleanup_free_ char *error = NULL;
                                (void) disk_snapshot_offline(disks.paths.items[i], DISK_SNAPSHOT_DELETE, snap, &as,
                                                             &error);
                        }
                }
                manifest_set(m, SNAPSHOT_KIND_DISKS, "disks of the stopped VM");
        } else {
                r = vm_qmp_connect(c->name, &q);
                if (r >= 0)
                        r = online_nodes(&q, c->name, snap, &disks, &nodes);
                if (r >= 0)
                        r = disk_only ? create_disk_only(&q, c, snap, &nodes, &draft, m)
                                      : create_with_memory(&q, c->name, snap, &nodes, &draft, m);
        }
        if (r >= 0)
                r = snapshot_draft_commit(&draft, m);
        if (r < 0) {
                json_object_put(m);
                log_error("No snapshot of VM %s was made.", c->name);
                return r == -EEXIST ? CTL_EXIT_REFUSED : CTL_EXIT_FAILED;
        }
        report_created(ctl, c->name, m);
        json_object_put(m);
        return CTL_EXIT_OK;
}

/* The snapshots each disk holds, as QEMU (running) or qemu-img (stopped) reads them. */
static int disks_snapshot_names(const char *vm, VmHold hold, const SnapshotDisks *disks, Strv *names_of_disk) {
        _cleanup_qmp_ QmpClient q = QMP_CLIENT_INIT;
        RunAs as;
        int r = hold == VM_HOLD_RUNNING ? vm_qmp_connect(vm, &q) : vm_run_as(vm, &as);

        for (size_t i = 0; r >= 0 && i < disks->ids.n; i++) {
                _cleanup_free_ char *node = NULL, *error = NULL;
                if (hold == VM_HOLD_RUNNING)
                        r = qmp_disk_node(&q, disks->ids.items[i], &node, &names_of_disk[i], &error);
                else
                        r = disk_snapshot_names_offline(disks->paths.items[i], &as, &names_of_disk[i], &error);
                if (r < 0)
                        log_error("VM %s: cannot read the snapshots of disk '%s': %s", vm, disks->ids.items[i], error);
        }
        return r;
}

/* Which of the snapshot's disks lack it, comma-separated; NULL when none does. */
static char *disks_lacking(json_object *m, const SnapshotDisks *disks, const Strv *names_of_disk) {
        _cleanup_strv_ Strv ids = {};
        json_object *name = NULL;
        char *lacking = NULL;

        json_object_object_get_ex(m, SNAPSHOT_KEY_NAME, &name);
        snapshot_manifest_disk_ids(m, &ids);
        for (size_t i = 0; i < ids.n; i++) {
                bool has = false;
                for (size_t k = 0; k < disks->ids.n; k++)
                        has = has || (streq(disks->ids.items[k], ids.items[i]) &&
                                      strv_contains(&names_of_disk[k], json_object_get_string(name)));
                if (!has) {
                        char *more = lacking ? strjoin(lacking, ",", ids.items[i]) : xstrdup(ids.items[i]);
                        free(lacking);
                        lacking = more;
                }
        }
        return lacking;
}

static int snapshot_list(const Ctl *ctl, const VmConfig *c) {
        _cleanup_(snapshot_disks_clear) SnapshotDisks disks = {};
        json_object *list = NULL;
        VmHold hold;

        if (snapshot_store_list(c->name, &list) < 0)
                return CTL_EXIT_FAILED;
        /* Every disk of the VM, writable ones, raw or not: a snapshot is whole if they all hold it. */
        for (size_t i = 0; i < c->n_disks; i++)
                if (!c->disks[i].readonly && c->disks[i].format == DISK_FORMAT_QCOW2) {
                        strv_push(&disks.ids, c->disks[i].id);
                        strv_push(&disks.paths, c->disks[i].path);
                }
        Strv *names = xcalloc(disks.ids.n + 1, sizeof(Strv));
        _cleanup_close_ int lock = json_object_array_length(list) > 0 ? vm_hold(c->name, &hold) : -ENOENT;
        bool checked = lock >= 0 && disks_snapshot_names(c->name, hold, &disks, names) >= 0;

        if (!ctl->json && json_object_array_length(list) == 0)
                printf("VM %s has no snapshots.\n", c->name);
        else if (!ctl->json)
                printf("%-24s %-20s %-10s %-16s %-6s %-4s %s\n", "SNAPSHOT", "CREATED", "KIND", "DISKS", "NVRAM", "TPM",
                       "STATE");
        for (size_t i = 0; i < json_object_array_length(list); i++) {
                json_object *m = json_object_array_get_idx(list, i), *name, *created, *kind, *nvram, *tpm;
                _cleanup_free_ char *lacking = checked ? disks_lacking(m, &disks, names) : NULL;
                _cleanup_free_ char *state = !checked ? xstrdup("unchecked")
                                             : lacking ? strjoin("incomplete: disk ", lacking, " lacks it")
                                                       : xstrdup("complete");
                if (ctl->json) {
                        json_object_object_add(m, "state", json_object_new_string(state));
                        continue;
                }
                json_object_object_get_ex(m, SNAPSHOT_KEY_NAME, &name);
                json_object_object_get_ex(m, SNAPSHOT_KEY_CREATED, &created);
                json_object_object_get_ex(m, SNAPSHOT_KEY_KIND, &kind);
                json_object_object_get_ex(m, SNAPSHOT_KEY_NVRAM, &nvram);
                json_object_object_get_ex(m, SNAPSHOT_KEY_TPM, &tpm);
                time_t t = (time_t) json_object_get_int64(created);
                char when[32];
                strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", localtime(&t));
                _cleanup_strv_ Strv ids = {};
                snapshot_manifest_disk_ids(m, &ids);
                _cleanup_free_ char *disk_list = xstrdup("");
                for (size_t k = 0; k < ids.n; k++) {
                        char *more = strjoin(disk_list, k ? "," : "", ids.items[k]);
                        free(disk_list);
                        disk_list = more;
                }
                printf("%-24s %-20s %-10s %-16s %-6s %-4s %s\n", json_object_get_string(name), when,
                       json_object_get_string(kind), disk_list, json_object_get_boolean(nvram) ? "yes" : "no",
                       tpm ? "yes" : "no", state);
        }
        if (ctl->json) {
                json_object *doc = json_object_new_object();
                json_object_object_add(doc, "vm", json_object_new_string(c->name));
                json_object_object_add(doc, "snapshots", list);
                ctl_print_json(doc);
        } else
                json_object_put(list);
        for (size_t i = 0; i < disks.ids.n; i++)
                strv_clear(&names[i]);
        free(names);
        return CTL_EXIT_OK;
}

static int load_manifest(const char *vm, const char *snap, json_object **ret) {
        int r = snapshot_store_load(vm, snap, ret);
        if (r == -ENOENT)
                log_error("VM %s has no snapshot named '%s' ('qemu-vmctl snapshot %s list' lists them).", vm, snap, vm);
        else if (r < 0)
                log_error_errno(r, "The record of snapshot %s of VM %s cannot be read: %m", snap, vm);
        return r;
}

static int snapshot_revert(const Ctl *ctl, const VmSet *set, const VmConfig *c, const char *snap) {
        _cleanup_(snapshot_disks_clear) SnapshotDisks disks = {};
        _cleanup_strv_ Strv ids = {}, kept = {};
        _cleanup_close_ int lock = -1;
        json_object *m = NULL;
        VmHold hold;
        RunAs as;
        int r;

        if ((r = hold_vm_with_disks(set, c, &disks, &hold, &lock)) != CTL_EXIT_OK)
                return r;
        if (hold != VM_HOLD_STOPPED) {
                log_error("VM %s is running: revert works on a stopped VM only (systemctl stop qemu-vm@%s). "
                          "Nothing was changed.", c->name, c->name);
                return CTL_EXIT_REFUSED;
        }
        if (load_manifest(c->name, snap, &m) < 0)
                return CTL_EXIT_FAILED;
        snapshot_manifest_disk_ids(m, &ids);
        bool same = ids.n == disks.ids.n;
        for (size_t i = 0; same && i < ids.n; i++)
                same = streq(ids.items[i], disks.ids.items[i]);
        if (!same) {
                log_error("VM %s: its writable disks changed since snapshot %s was made: reverting would leave them "
                          "from different times. Nothing was changed.", c->name, snap);
                json_object_put(m);
                return CTL_EXIT_REFUSED;
        }
        /* Every disk holds it, or none is touched. */
        Strv *names = xcalloc(disks.ids.n, sizeof(Strv));
        r = vm_run_as(c->name, &as);
        if (r >= 0)
                r = disks_snapshot_names(c->name, hold, &disks, names);
        _cleanup_free_ char *lacking = r >= 0 ? disks_lacking(m, &disks, names) : NULL;
        for (size_t i = 0; i < disks.ids.n; i++)
                strv_clear(&names[i]);
        free(names);
        if (r >= 0 && lacking) {
                log_error("VM %s: disk %s no longer holds snapshot %s. Nothing was changed.", c->name, lacking, snap);
                r = -ENOENT;
        }
        for (size_t i = 0; r >= 0 && i < disks.ids.n; i++) {
                _cleanup_free_ char *error = NULL;
                r = disk_snapshot_offline(disks.paths.items[i], DISK_SNAPSHOT_APPLY, snap, &as, &error);
                if (r < 0)
                        log_error("VM %s: reverting disk '%s' failed: %s%s", c->name, disks.ids.items[i], error,
                                  i > 0 ? " (the disks before it are reverted already)" : "");
        }
        if (r >= 0)
                r = snapshot_store_restore_vm_files(c->name, snap, m, &kept);
        if (r < 0) {
                json_object_put(m);
                return CTL_EXIT_FAILED;
        }
        json_object *kind = NULL;
        json_object_object_get_ex(m, SNAPSHOT_KEY_KIND, &kind);
        bool had_memory = streq_ptr(json_object_get_string(kind), SNAPSHOT_KIND_DISKS_RAM);
        if (ctl->json) {
                json_object *doc = json_object_new_object(), *k = json_object_new_array();
                json_object_object_add(doc, "vm", json_object_new_string(c->name));
                json_object_object_add(doc, "reverted", json_object_get(m));
                for (size_t i = 0; i < kept.n; i++)
                        json_object_array_add(k, json_object_new_string(kept.items[i]));
                json_object_object_add(doc, "kept", k);
                ctl_print_json(doc);
        } else {
                printf("VM %s reverted to snapshot %s: ", c->name, snap);
                print_covered(m);
                printf(".\n");
                for (size_t i = 0; i < kept.n; i++)
                        printf("  kept as it is: %s\n", kept.items[i]);
                if (had_memory)
                        printf("  The snapshot's memory is not resumed: the guest boots from the disks as they "
                               "were.\n");
        }
        json_object_put(m);
        return CTL_EXIT_OK;
}

static int snapshot_delete(const Ctl *ctl, const VmConfig *c, const char *snap) {
        _cleanup_(snapshot_disks_clear) SnapshotDisks disks = {};
        _cleanup_qmp_ QmpClient q = QMP_CLIENT_INIT;
        json_object *m = NULL;
        VmHold hold;
        RunAs as;
        int r;

        _cleanup_close_ int lock = -1;
        if ((r = hold_vm(c->name, &hold, &lock)) != CTL_EXIT_OK)
                return r;
        if (load_manifest(c->name, snap, &m) < 0)
                return CTL_EXIT_FAILED;
        /* The disks the snapshot was made of, where they are now: those the VM still has. */
        _cleanup_strv_ Strv ids = {};
        snapshot_manifest_disk_ids(m, &ids);
        for (size_t i = 0; i < c->n_disks; i++)
                if (strv_contains(&ids, c->disks[i].id) && c->disks[i].format == DISK_FORMAT_QCOW2) {
                        strv_push(&disks.ids, c->disks[i].id);
                        strv_push(&disks.paths, c->disks[i].path);
                }
        Strv *names = xcalloc(disks.ids.n + 1, sizeof(Strv));
        if (hold == VM_HOLD_RUNNING) {
                _cleanup_strv_ Strv nodes = {};
                _cleanup_free_ char *error = NULL;
                r = vm_qmp_connect(c->name, &q);
                if (r >= 0)
                        r = online_nodes(&q, c->name, NULL, &disks, &nodes);
                /* QEMU deletes it from the nodes that hold it, by name: no other snapshot is touched. */
                if (r >= 0 && (r = qmp_snapshot_job(&q, "snapshot-delete", snap, NULL, &nodes, SNAPSHOT_SAVE_TIMEOUT_MS,
                                                    &error)) < 0)
                        log_error("VM %s: snapshot-delete failed: %s", c->name, error);
        } else {
                r = vm_run_as(c->name, &as);
                if (r >= 0)
                        r = disks_snapshot_names(c->name, hold, &disks, names);
        }
        for (size_t i = 0; r >= 0 && hold == VM_HOLD_STOPPED && i < disks.ids.n; i++) {
                _cleanup_free_ char *error = NULL;
                if (!strv_contains(&names[i], snap))
                        continue;
                r = disk_snapshot_offline(disks.paths.items[i], DISK_SNAPSHOT_DELETE, snap, &as, &error);
                if (r < 0)
                        log_error("VM %s: deleting snapshot %s from disk '%s' failed: %s", c->name, snap,
                                  disks.ids.items[i], error);
        }
        for (size_t i = 0; i < disks.ids.n; i++)
                strv_clear(&names[i]);
        free(names);
        json_object_put(m);
        /* The record goes last: a snapshot half deleted is still listed, as incomplete. */
        if (r < 0 || snapshot_store_remove(c->name, snap) < 0)
                return CTL_EXIT_FAILED;
        if (ctl->json) {
                json_object *doc = json_object_new_object();
                json_object_object_add(doc, "vm", json_object_new_string(c->name));
                json_object_object_add(doc, "deleted", json_object_new_string(snap));
                ctl_print_json(doc);
        } else
                printf("Snapshot %s of VM %s deleted.\n", snap, c->name);
        return CTL_EXIT_OK;
}

static int handle_option(int c, const char *arg, void *userdata) {
        SnapshotOptions *o = userdata;
        (void) arg;
        if (c != 'd')
                return -EINVAL;
        o->disk_only = true;
        return 0;
}

/* A name from the clock for a snapshot made without one: "snap-20261207-190512". */
static void default_name(char ret[SNAPSHOT_NAME_MAX + 1]) {
        time_t now = time(NULL);
        strftime(ret, SNAPSHOT_NAME_MAX + 1, "snap-%Y%m%d-%H%M%S", localtime(&now));
}

int cmd_snapshot(Ctl *ctl, int argc, char *argv[]) {
        static const struct option options[] = {
                { "disk-only", no_argument, NULL, 'd' },
                {}
        };
        static const char usage[] =
                "snapshot NAME create [SNAP] [--disk-only] | list | revert SNAP | delete SNAP [--json]";
        SnapshotOptions o = {};
        _cleanup_vm_set_ VmSet set = {};
        char name[SNAPSHOT_NAME_MAX + 1];
        VmEntry *e;
        int r, ret;

        r = ctl_parse_options_range(ctl, argc, argv, options, usage, handle_option, &o, 2, 3, &ret);
        if (r < 0)
                return ret;
        const char *action = argv[r + 1], *snap = r + 2 < argc ? argv[r + 2] : NULL;
        bool create = streq(action, "create"), list = streq(action, "list");
        if (!create && !list && !streq(action, "revert") && !streq(action, "delete")) {
                log_error("Unknown snapshot action '%s'. Usage: qemu-vmctl %s", action, usage);
                return CTL_EXIT_USAGE;
        }
        if ((list && snap) || (!create && !list && !snap) || (o.disk_only && !create)) {
                fprintf(stderr, "Usage: qemu-vmctl %s\n", usage);
                return CTL_EXIT_USAGE;
        }
        if (create && !snap) {
                default_name(name);
                snap = name;
        }
        if (snap && !snapshot_name_is_valid(snap)) {
                log_error("Invalid snapshot name '%s': a lowercase letter, then up to %d lowercase letters, digits, "
                          "'-', '_' or '.'.", snap, SNAPSHOT_NAME_MAX - 1);
                return CTL_EXIT_USAGE;
        }
        ret = vms_load_one(ctl, argv[r], &set, &e);
        if (ret != CTL_EXIT_OK)
                return ret;
        if (!e->valid_alone) {
                vm_entry_log_errors(e);
                log_error("VM %s: its file has errors, so its disks are unknown. Fix the file first.", e->config.name);
                return CTL_EXIT_REFUSED;
        }
        if (create)
                return snapshot_create(ctl, &set, &e->config, snap, o.disk_only);
        if (list)
                return snapshot_list(ctl, &e->config);
        if (streq(action, "revert"))
                return snapshot_revert(ctl, &set, &e->config, snap);
        return snapshot_delete(ctl, &e->config, snap);
}
