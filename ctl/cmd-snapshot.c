/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-vmctl snapshot NAME create [SNAP] [--disk-only] | list | revert SNAP | delete SNAP: snapshots of
 * every writable disk of the VM with its NVRAM and TPM state, all or nothing. The disks hold their part
 * as qcow2 internal snapshots (ctl/snapshot-disks.h); root's record holds the rest (ctl/snapshot-store.h).
 * Each command holds the VM (ctl/vm-lock.h): a stopped one is worked on with qemu-img as its own user,
 * its start held off meanwhile; a running one by its QEMU. Making one: ctl/snapshot-create.h. Revert
 * works on a stopped VM only. */

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <time.h>

#include "backup-make.h"
#include "ctl.h"
#include "log.h"
#include "names.h"
#include "snapshot-create.h"
#include "snapshot-disks.h"
#include "snapshot-store.h"
#include "vm-qmp.h"
#include "vms.h"

typedef struct SnapshotOptions {
        bool disk_only;
} SnapshotOptions;

/* "disks root, data; NVRAM; TPM state": what the snapshot holds. */
static void print_covered(json_object *m) {
        _cleanup_strv_ Strv ids = {};
        json_object *nvram = NULL, *tpm = NULL;
        snapshot_manifest_disk_ids(m, &ids);
        _cleanup_free_ char *list = strv_join(&ids, ", ");
        json_object_object_get_ex(m, SNAPSHOT_KEY_NVRAM, &nvram);
        json_object_object_get_ex(m, SNAPSHOT_KEY_TPM, &tpm);
        printf("disks %s%s%s", list, json_object_get_boolean(nvram) ? "; NVRAM" : "", tpm ? "; TPM state" : "");
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
        int r = snapshot_disks_of(set, c, DISKS_FOR_SNAPSHOT, false, disks);
        return r != CTL_EXIT_OK ? r : hold_vm(c->name, hold, ret_lock);
}

static int snapshot_create_cmd(const Ctl *ctl, const VmSet *set, const VmConfig *c, const char *snap,
                               bool disk_only) {
        /* Released last: another qemu-vmctl waiting for the lock finds everything of this one done. */
        _cleanup_close_ int lock = -1;
        _cleanup_(snapshot_disks_clear) SnapshotDisks disks = {};
        json_object *m = NULL;
        VmHold hold;
        int r;

        if ((r = hold_vm_with_disks(set, c, &disks, &hold, &lock)) != CTL_EXIT_OK)
                return r;
        r = snapshot_create(c, snap, disk_only, hold, &disks, &m);
        if (r < 0)
                return r == -EEXIST ? CTL_EXIT_REFUSED : CTL_EXIT_FAILED;
        report_created(ctl, c->name, m);
        json_object_put(m);
        return CTL_EXIT_OK;
}

/* Which of the snapshot's disks lack it, comma-separated, once disks->snapshots is read; NULL when none
 * does. */
static char *disks_lacking(json_object *m, const SnapshotDisks *disks) {
        _cleanup_strv_ Strv ids = {}, lacking = {};
        json_object *name = NULL;

        json_object_object_get_ex(m, SNAPSHOT_KEY_NAME, &name);
        snapshot_manifest_disk_ids(m, &ids);
        for (size_t i = 0; i < ids.n; i++) {
                bool has = false;
                for (size_t k = 0; k < disks->ids.n; k++)
                        has = has || (streq(disks->ids.items[k], ids.items[i]) &&
                                      strv_contains(&disks->snapshots[k], json_object_get_string(name)));
                if (!has)
                        strv_push(&lacking, ids.items[i]);
        }
        return lacking.n > 0 ? strv_join(&lacking, ",") : NULL;
}

static int snapshot_list(const Ctl *ctl, const VmSet *set, const VmConfig *c) {
        _cleanup_(snapshot_disks_clear) SnapshotDisks disks = {};
        json_object *list = NULL;
        VmHold hold;

        if (snapshot_store_list(c->name, &list) < 0)
                return CTL_EXIT_FAILED;
        /* The disks a snapshot may be on; with one that holds none (raw, shared), none is checked. */
        bool checkable = snapshot_disks_of(set, c, DISKS_FOR_SNAPSHOT, true, &disks) == CTL_EXIT_OK;
        _cleanup_close_ int lock = checkable && json_object_array_length(list) > 0 ? vm_hold(c->name, &hold) : -ENOENT;
        bool checked = lock >= 0 && snapshot_disks_names(c->name, hold, &disks) >= 0;

        if (!ctl->json && json_object_array_length(list) == 0)
                printf("VM %s has no snapshots.\n", c->name);
        else if (!ctl->json)
                printf("%-24s %-20s %-10s %-16s %-6s %-4s %s\n", "SNAPSHOT", "CREATED", "KIND", "DISKS", "NVRAM", "TPM",
                       "STATE");
        for (size_t i = 0; i < json_object_array_length(list); i++) {
                json_object *m = json_object_array_get_idx(list, i), *name, *created, *kind, *nvram, *tpm;
                _cleanup_free_ char *lacking = checked ? disks_lacking(m, &disks) : NULL;
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
                _cleanup_free_ char *disk_list = strv_join(&ids, ",");
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
                same = snapshot_manifest_disk_is(m, i, disks.ids.items[i], disks.paths.items[i]);
        if (!same) {
                log_error("VM %s: its writable disks are not those snapshot %s was made of (added, removed, moved "
                          "or made anew): reverting would leave them from different times. Nothing was changed.",
                          c->name, snap);
                json_object_put(m);
                return CTL_EXIT_REFUSED;
        }
        /* What goes back besides the disks is there and can be put in place, before any disk changes. */
        if (snapshot_store_check_restorable(c->name, snap, m) < 0) {
                json_object_put(m);
                return CTL_EXIT_FAILED;
        }
        /* Every disk holds it, or none is touched. */
        r = vm_run_as(c->name, &as);
        if (r >= 0)
                r = snapshot_disks_names(c->name, hold, &disks);
        _cleanup_free_ char *lacking = r >= 0 ? disks_lacking(m, &disks) : NULL;
        if (r >= 0 && lacking) {
                log_error("VM %s: disk %s no longer holds snapshot %s. Nothing was changed.", c->name, lacking, snap);
                r = -ENOENT;
        }
        /* A backup's bitmaps would miss what the revert changes: the next backup is a full one. */
        if (r >= 0 && (r = backup_forget_changes(c->name, &disks, &as)) < 0)
                log_error("VM %s: the disks' records of changes for incremental backups cannot be removed. Nothing "
                          "else was changed.", c->name);
        for (size_t i = 0; r >= 0 && i < disks.ids.n; i++) {
                _cleanup_free_ char *error = NULL;
                r = disk_snapshot_offline(disks.paths.items[i], DISK_SNAPSHOT_APPLY, snap, &as, &error);
                if (r < 0)
                        log_error("VM %s: reverting disk '%s' failed: %s%s", c->name, disks.ids.items[i], error,
                                  i > 0 ? " (the disks before it are reverted already)" : "");
        }
        if (r >= 0 && (r = snapshot_store_restore_vm_files(c->name, snap, m, &kept)) < 0)
                log_error("VM %s: its disks are reverted to snapshot %s, its NVRAM or TPM state not: revert again "
                          "once the cause above is fixed.", c->name, snap);
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
        for (size_t i = 0; i < ids.n; i++)
                for (size_t k = 0; k < c->n_disks; k++)
                        if (c->disks[k].format == DISK_FORMAT_QCOW2 &&
                            snapshot_manifest_disk_is(m, i, c->disks[k].id, c->disks[k].path)) {
                                strv_push(&disks.ids, c->disks[k].id);
                                strv_push(&disks.paths, c->disks[k].path);
                        }
        if (hold == VM_HOLD_RUNNING && disks.ids.n > 0) {
                _cleanup_strv_ Strv nodes = {};
                _cleanup_free_ char *error = NULL;
                r = vm_qmp_connect(c->name, &q);
                if (r >= 0)
                        r = snapshot_disks_nodes(&q, c->name, &disks, &nodes);
                /* QEMU deletes it from the nodes that hold it, by name: no other snapshot is touched. */
                if (r >= 0) {
                        r = qmp_snapshot_job(&q, "snapshot-delete", snap, NULL, &nodes, SNAPSHOT_JOB_TIMEOUT_MS,
                                             &error);
                        if (r < 0)
                                log_error("VM %s: snapshot-delete failed: %s", c->name, error);
                }
        } else if (hold == VM_HOLD_STOPPED) {
                r = vm_run_as(c->name, &as);
                if (r >= 0)
                        r = snapshot_disks_names(c->name, hold, &disks);
        }
        for (size_t i = 0; r >= 0 && hold == VM_HOLD_STOPPED && i < disks.ids.n; i++) {
                _cleanup_free_ char *error = NULL;
                if (!strv_contains(&disks.snapshots[i], snap))
                        continue;
                r = disk_snapshot_offline(disks.paths.items[i], DISK_SNAPSHOT_DELETE, snap, &as, &error);
                if (r < 0)
                        log_error("VM %s: deleting snapshot %s from disk '%s' failed: %s", c->name, snap,
                                  disks.ids.items[i], error);
        }
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
        ret = vms_load_one_whole(ctl, argv[r], &set, &e);
        if (ret != CTL_EXIT_OK)
                return ret;
        if (create)
                return snapshot_create_cmd(ctl, &set, &e->config, snap, o.disk_only);
        if (list)
                return snapshot_list(ctl, &set, &e->config);
        if (streq(action, "revert"))
                return snapshot_revert(ctl, &set, &e->config, snap);
        return snapshot_delete(ctl, &e->config, snap);
}
