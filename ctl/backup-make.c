/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "backup-make.h"
#include "backup-store.h"
#include "guest-freeze.h"
#include "log.h"
#include "meson-config.h"
#include "qmp-job.h"
#include "run-program.h"
#include "util.h"
#include "vm-qmp.h"
#include "vm-state-copy.h"

/* The bitmaps qemu-vmctl keeps in a disk: qemu-vm-backup-ID records the writes since backup ID. */
#define BITMAP_PREFIX "qemu-vm-backup-"
/* Copying a disk of terabytes takes hours; a job that has not ended by then is cancelled. */
#define BACKUP_JOB_TIMEOUT_MS (24 * 3600 * 1000)
/* qemu-img create, info and bitmap: metadata only. */
#define QEMU_IMG_QUICK_TIMEOUT_MS (5 * 60 * 1000)

/* What a disk holds now, as QEMU or qemu-img reads it. */
typedef struct DiskState {
        int64_t virtual_size;
        Strv bitmaps;           /* ours (BITMAP_PREFIX), every one */
        Strv usable;            /* ours that record every write and are consistent */
} DiskState;

/* A disk's backup file, and what of it QEMU holds. */
typedef struct Target {
        char *path;
        int fd;
        int64_t fdset;          /* -1: not handed to QEMU */
        char *node;             /* NULL: not a block node of QEMU's */
} Target;

typedef struct Backup {
        const VmConfig *c;
        SnapshotDisks *disks;
        char id[BACKUP_ID_MAX + 1];
        char *bitmap;           /* BITMAP_PREFIX + id */
        RecordDraft draft;
        DiskState *state;       /* per disk */
        Target *targets;        /* per disk */
        char *parent;           /* the ID of the backup an incremental one builds on; NULL: a full one */
        char *full_reason;      /* why a full one, when there was a backup to build on */
        json_object *manifest;
} Backup;

static void backup_free(Backup *b) {
        for (size_t i = 0; i < b->disks->ids.n; i++) {
                strv_clear(&b->state[i].bitmaps);
                strv_clear(&b->state[i].usable);
                free(b->targets[i].path);
                free(b->targets[i].node);
                if (b->targets[i].fd >= 0)
                        close(b->targets[i].fd);
        }
        free(b->state);
        free(b->targets);
        free(b->bitmap);
        free(b->parent);
        free(b->full_reason);
        json_object_put(b->manifest);
        record_draft_done(&b->draft);
}

static const DiskConfig *disk_config(const VmConfig *c, const char *id) {
        for (size_t i = 0; i < c->n_disks; i++)
                if (streq(c->disks[i].id, id))
                        return &c->disks[i];
        return NULL;
}

/* The manifest of the latest complete backup in VM_DIR (the caller puts it), or NULL. */
static json_object *latest_backup(const char *vm_dir) {
        json_object *list = NULL, *latest = NULL;
        if (backup_list(vm_dir, &list) >= 0 && qmp_array_length(list) > 0)
                latest = json_object_get(json_object_array_get_idx(list, json_object_array_length(list) - 1));
        json_object_put(list);
        return latest;
}

/* Decides what to build on, unless FULL: the latest complete backup, when it has the same disks of the
 * same sizes and each disk has its bitmap, recording since. */
static void choose_parent(Backup *b, const char *vm_dir, bool full) {
        json_object *latest = full ? NULL : latest_backup(vm_dir), *disks = NULL, *v = NULL;
        if (!latest)
                return;         /* asked for, or the first backup: nothing to explain */
        json_object_object_get_ex(latest, BACKUP_KEY_ID, &v);
        const char *latest_id = json_object_get_string(v);
        _cleanup_free_ char *wanted = strjoin(BITMAP_PREFIX, latest_id);
        json_object_object_get_ex(latest, BACKUP_KEY_DISKS, &disks);

        if (json_object_array_length(disks) != b->disks->ids.n)
                b->full_reason = xasprintf("backup %s has other disks", latest_id);
        for (size_t i = 0; !b->full_reason && i < b->disks->ids.n; i++) {
                json_object *d = json_object_array_get_idx(disks, i), *id = NULL, *size = NULL;
                json_object_object_get_ex(d, "id", &id);
                json_object_object_get_ex(d, "virtual_size", &size);
                const char *disk = b->disks->ids.items[i];
                if (!streq_ptr(json_object_get_string(id), disk))
                        b->full_reason = xasprintf("backup %s has other disks", latest_id);
                else if (json_object_get_int64(size) != b->state[i].virtual_size)
                        b->full_reason = xasprintf("disk '%s' was resized since backup %s", disk, latest_id);
                else if (!strv_contains(&b->state[i].usable, wanted))
                        b->full_reason = xasprintf("disk '%s' has no record of its changes since backup %s (bitmap %s "
                                                   "%s)", disk, latest_id, wanted,
                                                   strv_contains(&b->state[i].bitmaps, wanted) ? "inconsistent"
                                                                                               : "missing");
        }
        if (!b->full_reason)
                b->parent = xstrdup(latest_id);
        json_object_put(latest);
}

/* Makes the empty qcow2 the disk's backup goes to, as root in root's draft; an incremental one names its
 * parent's file as its backing file, relative, unopened (-u): that file is what QEMU wrote. */
static int create_target(Backup *b, size_t i) {
        Target *t = &b->targets[i];
        _cleanup_free_ char *file = backup_disk_file(b->disks->ids.items[i]), *error = NULL;
        _cleanup_free_ char *size = xasprintf("%" PRId64, b->state[i].virtual_size);
        _cleanup_strv_ Strv argv = {};

        t->path = strjoin(b->draft.dir, "/", file);
        strv_push(&argv, QEMU_VM_QEMU_IMG);
        strv_push(&argv, "create");
        strv_push(&argv, "-q");
        strv_push(&argv, "-f");
        strv_push(&argv, "qcow2");
        if (b->parent) {
                strv_push(&argv, "-u");
                strv_push(&argv, "-F");
                strv_push(&argv, "qcow2");
                strv_push(&argv, "-b");
                strv_consume(&argv, strjoin("../../", b->parent, "/", file));
        }
        strv_push(&argv, t->path);
        strv_push(&argv, size);
        int r = run_program(argv.items, NULL, QEMU_IMG_QUICK_TIMEOUT_MS, NULL, &error);
        if (r < 0)
                return log_error_errno(r, "Cannot create %s: %s", t->path, error);
        t->fd = open(t->path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
        if (t->fd < 0 || fchmod(t->fd, 0600) < 0)
                return log_error_errno(-errno, "Cannot open %s: %m", t->path);
        return 0;
}

/* A QMP command whose failure is logged, in words (ctl/vm-qmp.h). */
static int command(QmpClient *q, const char *vm, const char *name, json_object *args, json_object **ret) {
        return vm_qmp_run(q, vm, name, args, 60000, ret);
}

/* A flag of a bitmap QEMU describes (BlockDirtyInfo); absent is false. */
static bool bitmap_flag(json_object *bitmap, const char *flag) {
        json_object *v;
        return json_object_object_get_ex(bitmap, flag, &v) && json_object_get_boolean(v);
}

/* The disk's size and our bitmaps, as its QEMU has them (query-block). */
static int live_state(QmpClient *q, const char *vm, const char *disk_id, DiskState *ret) {
        _cleanup_free_ char *device = strjoin("disk-", disk_id);
        json_object *reply = NULL;
        int r = command(q, vm, "query-block", NULL, &reply);

        for (size_t i = 0; r >= 0 && i < qmp_array_length(reply); i++) {
                json_object *blk = json_object_array_get_idx(reply, i), *v, *inserted, *image, *bitmaps = NULL;
                if (!json_object_object_get_ex(blk, "device", &v) || !streq_ptr(qmp_string(v), device) ||
                    !json_object_object_get_ex(blk, "inserted", &inserted))
                        continue;
                if (json_object_object_get_ex(inserted, "image", &image) &&
                    json_object_object_get_ex(image, "virtual-size", &v) && json_object_is_type(v, json_type_int))
                        ret->virtual_size = json_object_get_int64(v);
                json_object_object_get_ex(inserted, "dirty-bitmaps", &bitmaps);
                for (size_t k = 0; k < qmp_array_length(bitmaps); k++) {
                        json_object *bm = json_object_array_get_idx(bitmaps, k), *name;
                        const char *n = json_object_object_get_ex(bm, "name", &name) ? qmp_string(name) : NULL;
                        if (!n || !startswith(n, BITMAP_PREFIX))
                                continue;
                        strv_push(&ret->bitmaps, n);
                        bool usable = bitmap_flag(bm, "recording") && bitmap_flag(bm, "persistent") &&
                                      !bitmap_flag(bm, "inconsistent") && !bitmap_flag(bm, "busy");
                        if (usable)
                                strv_push(&ret->usable, n);
                }
        }
        json_object_put(reply);
        if (r >= 0 && ret->virtual_size <= 0)
                r = log_error_errno(-ENODEV, "VM %s: QEMU reports no size for disk '%s'.", vm, disk_id);
        return r;
}

/* Hands the target to QEMU: its descriptor in an fd set, opened as a qcow2 node without a backing file
 * (the backup job writes it; it never reads through). */
static int attach_target(QmpClient *q, Backup *b, size_t i) {
        Target *t = &b->targets[i];
        const char *vm = b->c->name;
        json_object *args = json_object_new_object(), *reply = NULL, *v;

        json_object_object_add(args, "opaque", json_object_new_string("qemu-vmctl backup"));
        char *error = NULL;
        int r = qmp_command_with_fd(q, "add-fd", args, t->fd, 60000, &reply, &error);
        if (r < 0) {
                _cleanup_free_ char *why = qmp_failure_text(r, error);
                return log_error_errno(r, "VM %s: QMP add-fd failed: %s", vm, why);
        }
        if (json_object_object_get_ex(reply, "fdset-id", &v) && json_object_is_type(v, json_type_int))
                t->fdset = json_object_get_int64(v);
        json_object_put(reply);
        if (t->fdset < 0)
                return log_error_errno(-EIO, "VM %s: QMP add-fd gave no fd set.", vm);

        /* Unique: a node an earlier qemu-vmctl could not take back may still be there. */
        _cleanup_free_ char *node = xasprintf("qemu-vmctl-bk-%d-%zu", (int) getpid(), i),
                            *fdset_path = xasprintf("/dev/fdset/%" PRId64, t->fdset);
        json_object *file = json_object_new_object();
        json_object_object_add(file, "driver", json_object_new_string("file"));
        json_object_object_add(file, "filename", json_object_new_string(fdset_path));
        args = json_object_new_object();
        json_object_object_add(args, "driver", json_object_new_string("qcow2"));
        json_object_object_add(args, "node-name", json_object_new_string(node));
        json_object_object_add(args, "backing", NULL);
        json_object_object_add(args, "file", file);
        if ((r = command(q, vm, "blockdev-add", args, NULL)) >= 0)
                t->node = TAKE_PTR(node);
        return r;
}

/* Takes the targets back from QEMU, whatever became of the backup. */
static void detach_targets(QmpClient *q, Backup *b) {
        for (size_t i = 0; i < b->disks->ids.n; i++) {
                Target *t = &b->targets[i];
                if (t->node) {
                        json_object *args = json_object_new_object();
                        json_object_object_add(args, "node-name", json_object_new_string(t->node));
                        (void) command(q, b->c->name, "blockdev-del", args, NULL);
                }
                if (t->fdset >= 0) {
                        json_object *args = json_object_new_object();
                        json_object_object_add(args, "fdset-id", json_object_new_int64(t->fdset));
                        (void) command(q, b->c->name, "remove-fd", args, NULL);
                }
        }
}

static void add_action(json_object *actions, const char *type, json_object *data) {
        json_object *action = json_object_new_object();
        json_object_object_add(action, "type", json_object_new_string(type));
        json_object_object_add(action, "data", data);
        json_object_array_add(actions, action);
}

/* One transaction: on every disk at once, the new bitmap starts recording and the backup job starts
 * copying the disk as it is at this instant (all of it, or what the parent's bitmap marks). (QEMU
 * groups no jobs with a bitmap's making: a job that fails leaves the others to end on their own.) */
static int start_jobs(QmpClient *q, Backup *b, const Strv *nodes, const Strv *jobs) {
        json_object *actions = json_object_new_array();
        _cleanup_free_ char *parent_bitmap = b->parent ? strjoin(BITMAP_PREFIX, b->parent) : NULL;

        for (size_t i = 0; i < nodes->n; i++) {
                json_object *add = json_object_new_object(), *backup = json_object_new_object();
                json_object_object_add(add, "node", json_object_new_string(nodes->items[i]));
                json_object_object_add(add, "name", json_object_new_string(b->bitmap));
                json_object_object_add(add, "persistent", json_object_new_boolean(true));
                add_action(actions, "block-dirty-bitmap-add", add);

                json_object_object_add(backup, "job-id", json_object_new_string(jobs->items[i]));
                json_object_object_add(backup, "device", json_object_new_string(nodes->items[i]));
                json_object_object_add(backup, "target", json_object_new_string(b->targets[i].node));
                json_object_object_add(backup, "sync", json_object_new_string(b->parent ? "bitmap" : "full"));
                if (b->parent) {
                        /* The parent's bitmap stays as it is until this backup is complete. */
                        json_object_object_add(backup, "bitmap", json_object_new_string(parent_bitmap));
                        json_object_object_add(backup, "bitmap-mode", json_object_new_string("never"));
                }
                json_object_object_add(backup, "auto-dismiss", json_object_new_boolean(false));
                add_action(actions, "blockdev-backup", backup);
        }
        json_object *args = json_object_new_object();
        json_object_object_add(args, "actions", actions);
        return command(q, b->c->name, "transaction", args, NULL);
}

static void cancel_jobs(QmpClient *q, Backup *b, const Strv *jobs) {
        for (size_t i = 0; i < jobs->n; i++) {
                json_object *args = json_object_new_object();
                json_object_object_add(args, "id", json_object_new_string(jobs->items[i]));
                (void) command(q, b->c->name, "job-cancel", args, NULL);
        }
}

/* A backup job whose target fails (a full file system) fails the guest's writes it was to copy first,
 * and QEMU pauses a guest on a write error: once the jobs are gone, the writes go through again. */
static void resume_after_io_error(QmpClient *q, Backup *b) {
        json_object *reply = NULL, *status;
        if (command(q, b->c->name, "query-status", NULL, &reply) >= 0 &&
            json_object_object_get_ex(reply, "status", &status) && streq_ptr(qmp_string(status), "io-error")) {
                if (command(q, b->c->name, "cont", NULL, NULL) >= 0)
                        log_warning("VM %s was paused by a write the failed backup could not copy first: resumed.",
                                    b->c->name);
                else
                        log_error("VM %s is paused after the failed backup: resume it with QMP 'cont', or restart "
                                  "it.", b->c->name);
        }
        json_object_put(reply);
}

/* Waits for the jobs; ones that outlive their time are cancelled. */
static int wait_jobs(QmpClient *q, Backup *b, const Strv *jobs) {
        _cleanup_free_ char *error = NULL;
        int r = qmp_jobs_wait(q, jobs, BACKUP_JOB_TIMEOUT_MS, &error);
        if (r == -ETIMEDOUT) {
                cancel_jobs(q, b, jobs);
                free(error);
                error = NULL;
                (void) qmp_jobs_wait(q, jobs, 60000, &error);
                log_error("VM %s: the backup did not end within %d hours: cancelled.", b->c->name,
                          BACKUP_JOB_TIMEOUT_MS / 3600000);
        } else if (r < 0)
                log_error("VM %s: the backup failed: %s", b->c->name, error);
        if (r != -ECONNRESET)
                qmp_jobs_dismiss(q, jobs);
        return r;
}

/* qemu-img bitmap --add|--remove NAME on the stopped VM's disk I, as the VM's user. */
static int disk_bitmap(const char *vm, const SnapshotDisks *disks, size_t i, const RunAs *as, const char *op,
                       const char *name) {
        _cleanup_free_ char *image = disk_image_spec(disks->paths.items[i]), *error = NULL;
        char *argv[] = { (char *) QEMU_VM_QEMU_IMG, (char *) "bitmap", (char *) op, image, (char *) name, NULL };
        int r = run_program(argv, as, QEMU_IMG_QUICK_TIMEOUT_MS, NULL, &error);
        if (r < 0)
                log_warning("VM %s: qemu-img bitmap %s %s on disk '%s' failed: %s", vm, op, name,
                            disks->ids.items[i], error);
        return r;
}

static int offline_bitmap(Backup *b, size_t i, const RunAs *as, const char *op, const char *name) {
        return disk_bitmap(b->c->name, b->disks, i, as, op, name);
}

/* Removes bitmap NAME from the running VM's disk NODE, or else the stopped VM's disk I. */
static int remove_bitmap(QmpClient *q, Backup *b, const char *node, size_t i, const RunAs *as, const char *name) {
        if (!node)
                return offline_bitmap(b, i, as, "--remove", name);
        json_object *args = json_object_new_object();
        json_object_object_add(args, "node", json_object_new_string(node));
        json_object_object_add(args, "name", json_object_new_string(name));
        return command(q, b->c->name, "block-dirty-bitmap-remove", args, NULL);
}

/* After a complete backup: the older bitmaps go (only the new one is built on). After a failed one whose
 * transaction ran: the new bitmap goes, and the parent's stays to build on. */
static void settle_bitmaps(QmpClient *q, Backup *b, const Strv *nodes, const RunAs *as, bool complete) {
        for (size_t i = 0; i < b->disks->ids.n; i++) {
                const Strv *names = &b->state[i].bitmaps;
                const char *node = nodes ? nodes->items[i] : NULL;
                if (!complete)
                        (void) remove_bitmap(q, b, node, i, as, b->bitmap);
                for (size_t k = 0; complete && k < names->n; k++)
                        if (!streq(names->items[k], b->bitmap))
                                (void) remove_bitmap(q, b, node, i, as, names->items[k]);
        }
}

/* The most a disk's backup file may take: the disk's size, and qcow2's tables (a few bytes per 64 KiB
 * cluster) with room to spare. QEMU or qemu-img, which wrote it, could have made it grow without end. */
static uint64_t target_max(int64_t virtual_size) {
        return (uint64_t) virtual_size + (uint64_t) virtual_size / 64 + 64 * 1024 * 1024;
}

/* Takes the disk's backup file back from whoever wrote it: root's alone, mode 0600, no ACL, and no larger
 * than the disk could make it. */
static int take_back(Backup *b, size_t i) {
        Target *t = &b->targets[i];
        struct stat st;
        if (fchown(t->fd, 0, 0) < 0 || fchmod(t->fd, 0600) < 0 ||
            (fremovexattr(t->fd, "system.posix_acl_access") < 0 && errno != ENODATA && errno != EOPNOTSUPP) ||
            fstat(t->fd, &st) < 0)
                return log_error_errno(-errno, "Cannot take %s back: %m", t->path);
        uint64_t max = target_max(b->state[i].virtual_size);
        if ((uint64_t) st.st_size > max || (uint64_t) st.st_blocks * 512 > max)
                return log_error_errno(-EFBIG, "VM %s: the backup of disk '%s' grew past what the disk holds "
                                       "(%" PRIu64 " bytes for a disk of %" PRId64 "): refused.", b->c->name,
                                       b->disks->ids.items[i], (uint64_t) st.st_size, b->state[i].virtual_size);
        return 0;
}

/* Starts the draft, once the disks' bitmaps are known: its ID names the bitmap this backup adds, so it
 * must be no other backup's, here or in another directory. */
static int begin(Backup *b, const char *vm_dir) {
        _cleanup_strv_ Strv taken = {};
        for (size_t i = 0; i < b->disks->ids.n; i++)
                for (size_t k = 0; k < b->state[i].bitmaps.n; k++)
                        strv_push(&taken, b->state[i].bitmaps.items[k] + strlen(BITMAP_PREFIX));
        int r = backup_draft_begin(vm_dir, &taken, b->id, &b->draft);
        if (r < 0)
                return r;
        b->bitmap = strjoin(BITMAP_PREFIX, b->id);
        json_object_object_add(b->manifest, BACKUP_KEY_VM, json_object_new_string(b->c->name));
        json_object_object_add(b->manifest, BACKUP_KEY_ID, json_object_new_string(b->id));
        json_object_object_add(b->manifest, BACKUP_KEY_CREATED, json_object_new_int64((int64_t) time(NULL)));
        /* First: a configuration that cannot be copied fails the backup before hours of copying. */
        return backup_save_config(&b->draft, b->c);
}

/* Completes the draft: the VM's configuration, every file's size and checksum, the manifest, written
 * last. */
static int finish(Backup *b) {
        json_object *m = b->manifest, *disks = json_object_new_array();
        int r = 0;

        json_object_object_add(m, BACKUP_KEY_KIND,
                               json_object_new_string(b->parent ? BACKUP_KIND_INCREMENTAL : BACKUP_KIND_FULL));
        json_object_object_add(m, BACKUP_KEY_PARENT, b->parent ? json_object_new_string(b->parent) : NULL);
        for (size_t i = 0; i < b->disks->ids.n; i++) {
                json_object *d = json_object_new_object();
                json_object_object_add(d, "id", json_object_new_string(b->disks->ids.items[i]));
                json_object_object_add(d, "path", json_object_new_string(b->disks->paths.items[i]));
                _cleanup_free_ char *file = backup_disk_file(b->disks->ids.items[i]);
                json_object_object_add(d, "file", json_object_new_string(file));
                json_object_object_add(d, "virtual_size", json_object_new_int64(b->state[i].virtual_size));
                json_object_array_add(disks, d);
        }
        json_object_object_add(m, BACKUP_KEY_DISKS, disks);
        for (size_t i = 0; r >= 0 && i < b->disks->ids.n; i++)
                if (fsync(b->targets[i].fd) < 0)
                        r = log_error_errno(-errno, "Cannot write %s: %m", b->targets[i].path);
        if (r >= 0)
                r = backup_record_files(&b->draft, m);
        if (r >= 0)
                r = record_draft_commit(&b->draft, m, "the backup");
        return r;
}

/* The running VM: no downtime. */
static int backup_live(Backup *b, const char *vm_dir, bool full) {
        bool started = false;
        _cleanup_qmp_ QmpClient q = QMP_CLIENT_INIT;
        _cleanup_strv_ Strv nodes = {}, jobs = {};
        GuestFreeze freeze = GUEST_FREEZE_INIT;
        int r = vm_qmp_connect(b->c->name, &q);

        if (r >= 0)
                r = snapshot_disks_nodes(&q, b->c->name, b->disks, &nodes);
        for (size_t i = 0; r >= 0 && i < nodes.n; i++)
                r = live_state(&q, b->c->name, b->disks->ids.items[i], &b->state[i]);
        if (r >= 0)
                r = begin(b, vm_dir);
        if (r < 0)
                return r;
        choose_parent(b, vm_dir, full);
        for (size_t i = 0; r >= 0 && i < nodes.n; i++) {
                strv_pushf(&jobs, "qemu-vmctl-backup-%d-%zu", (int) getpid(), i);
                r = create_target(b, i);
                if (r >= 0)
                        r = attach_target(&q, b, i);
        }
        if (r >= 0) {
                guest_freeze(b->c, &freeze, "the backup");
                r = start_jobs(&q, b, &nodes, &jobs);
                /* Timed out, QEMU may still have run the transaction: its jobs are waited for. */
                started = r >= 0 || r == -ETIMEDOUT;
                /* The NVRAM and TPM state as they are with the disks' instant, the guest still frozen. */
                if (r >= 0)
                        r = vm_state_copy_save(b->c->name, b->draft.dir, b->manifest);
                if (guest_thaw(b->c, &freeze) < 0 && r >= 0)
                        r = -EIO;
                if (freeze.frozen)
                        json_object_object_add(b->manifest, BACKUP_KEY_FREEZE_MS,
                                               json_object_new_int64(freeze.frozen_ms));
                json_object_object_add(b->manifest, BACKUP_KEY_CONSISTENCY,
                                       json_object_new_string(guest_freeze_consistency(&freeze)));
                if (started && r < 0)
                        cancel_jobs(&q, b, &jobs);
                if (started) {
                        int k = wait_jobs(&q, b, &jobs);
                        r = r < 0 ? r : k;
                }
        }
        detach_targets(&q, b);
        if (r < 0 && started)
                resume_after_io_error(&q, b);
        for (size_t i = 0; r >= 0 && i < nodes.n; i++)
                r = take_back(b, i);
        if (r >= 0)
                r = finish(b);
        if (started)
                settle_bitmaps(&q, b, &nodes, NULL, r >= 0);
        return r;
}

/* The image as the VM's QEMU opens it: qcow2, with the backing file its configuration names (an admin's
 * base image), never the one its header names. */
static char *source_spec(const DiskConfig *d) {
        json_object *spec = json_object_new_object(), *file = json_object_new_object();
        json_object_object_add(file, "driver", json_object_new_string("file"));
        json_object_object_add(file, "filename", json_object_new_string(d->path));
        json_object_object_add(spec, "driver", json_object_new_string("qcow2"));
        json_object_object_add(spec, "file", file);
        if (d->backing) {
                json_object *backing = json_object_new_object(), *backing_file = json_object_new_object();
                json_object_object_add(backing_file, "driver", json_object_new_string("file"));
                json_object_object_add(backing_file, "filename", json_object_new_string(d->backing));
                json_object_object_add(backing, "driver",
                                       json_object_new_string(disk_format_table[d->backing_format]));
                json_object_object_add(backing, "file", backing_file);
                json_object_object_add(spec, "backing", backing);
        } else
                json_object_object_add(spec, "backing", NULL);
        char *text = strjoin("json:", json_object_to_json_string_ext(spec, JSON_C_TO_STRING_PLAIN |
                                                                                JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(spec);
        return text;
}

/* The stopped disk I's size and our bitmaps (qemu-img info, as the VM's user). */
static int disk_state(const char *vm, const SnapshotDisks *disks, size_t i, const RunAs *as, DiskState *ret) {
        _cleanup_free_ char *image = disk_image_spec(disks->paths.items[i]), *output = NULL, *error = NULL;
        char *argv[] = { (char *) QEMU_VM_QEMU_IMG, (char *) "info", (char *) "--output=json", image, NULL };
        int r = run_program(argv, as, QEMU_IMG_QUICK_TIMEOUT_MS, &output, &error);
        if (r < 0)
                return log_error_errno(r, "VM %s: cannot read disk '%s': %s", vm, disks->ids.items[i], error);
        json_object *info = json_tokener_parse(output), *v, *specific, *data, *bitmaps = NULL;
        if (json_object_object_get_ex(info, "virtual-size", &v) && json_object_is_type(v, json_type_int))
                ret->virtual_size = json_object_get_int64(v);
        if (json_object_object_get_ex(info, "format-specific", &specific) &&
            json_object_object_get_ex(specific, "data", &data))
                json_object_object_get_ex(data, "bitmaps", &bitmaps);
        for (size_t k = 0; k < qmp_array_length(bitmaps); k++) {
                json_object *name;
                const char *n = json_object_object_get_ex(json_object_array_get_idx(bitmaps, k), "name", &name)
                                        ? qmp_string(name) : NULL;
                if (n && startswith(n, BITMAP_PREFIX))
                        strv_push(&ret->bitmaps, n);
        }
        json_object_put(info);
        if (ret->virtual_size <= 0)
                return log_error_errno(-EBADMSG, "VM %s: qemu-img gives no size for disk '%s'.", vm,
                                       disks->ids.items[i]);
        return 0;
}

int backup_forget_changes(const char *vm, const SnapshotDisks *disks, const RunAs *as) {
        int r = 0;
        for (size_t i = 0; r >= 0 && i < disks->ids.n; i++) {
                DiskState state = {};
                r = disk_state(vm, disks, i, as, &state);
                for (size_t k = 0; r >= 0 && k < state.bitmaps.n; k++)
                        r = disk_bitmap(vm, disks, i, as, "--remove", state.bitmaps.items[k]);
                strv_clear(&state.bitmaps);
        }
        return r;
}

/* qemu-img convert as the VM's user, onto the target root made and opened: the user gets the one
 * descriptor (/dev/fd/N), the target is its own meanwhile and root's again after. */
static int copy_offline(Backup *b, size_t i, const RunAs *as) {
        const DiskConfig *d = disk_config(b->c, b->disks->ids.items[i]);
        Target *t = &b->targets[i];
        int r = create_target(b, i);
        if (r < 0)
                return r;
        _cleanup_free_ char *source = source_spec(d), *target = xasprintf("/dev/fd/%d", t->fd), *error = NULL;
        char *argv[] = { (char *) QEMU_VM_QEMU_IMG, (char *) "convert", (char *) "-q", (char *) "-n",
                         (char *) "--target-is-zero", (char *) "-O", (char *) "qcow2", source, target, NULL };
        if (fchown(t->fd, as->uid, as->gid) < 0 || fcntl(t->fd, F_SETFD, 0) < 0)
                return log_error_errno(-errno, "Cannot hand %s to VM %s's user: %m", t->path, b->c->name);
        r = run_program(argv, as, BACKUP_JOB_TIMEOUT_MS, NULL, &error);
        if (fcntl(t->fd, F_SETFD, FD_CLOEXEC) < 0 && r >= 0)
                r = -errno;
        if (r < 0)
                return log_error_errno(r, "VM %s: the backup of disk '%s' failed: %s", b->c->name,
                                       b->disks->ids.items[i], error ?: "cannot take the file back");
        return take_back(b, i);
}

/* The stopped VM: whole disks, then the bitmaps the next live backup builds on. */
static int backup_offline(Backup *b, const char *vm_dir, bool full) {
        RunAs as;
        int r = vm_run_as(b->c->name, &as);

        for (size_t i = 0; r >= 0 && i < b->disks->ids.n; i++)
                r = disk_state(b->c->name, b->disks, i, &as, &b->state[i]);
        if (r >= 0)
                r = begin(b, vm_dir);
        if (r < 0)
                return r;
        json_object *latest = full ? NULL : latest_backup(vm_dir);
        if (latest)     /* qemu-img copies no bitmap's changes alone */
                b->full_reason = xstrdup("the VM is stopped: qemu-img copies whole disks");
        json_object_put(latest);
        json_object_object_add(b->manifest, BACKUP_KEY_CONSISTENCY, json_object_new_string("disks of the stopped VM"));
        for (size_t i = 0; r >= 0 && i < b->disks->ids.n; i++)
                r = copy_offline(b, i, &as);
        if (r >= 0)
                r = vm_state_copy_save(b->c->name, b->draft.dir, b->manifest);
        if (r >= 0)
                r = finish(b);
        if (r < 0)
                return r;
        for (size_t i = 0; i < b->disks->ids.n; i++)
                if (offline_bitmap(b, i, &as, "--add", b->bitmap) < 0)
                        log_warning("VM %s: the next backup of disk '%s' will be a full one.", b->c->name,
                                    b->disks->ids.items[i]);
        settle_bitmaps(NULL, b, NULL, &as, true);
        return 0;
}

int backup_make(const VmConfig *c, VmHold hold, SnapshotDisks *disks, const char *to, bool full,
                json_object **ret) {
        _cleanup_free_ char *vm_dir = NULL;
        Backup b = {
                .c = c,
                .disks = disks,
                .state = xcalloc(disks->ids.n + 1, sizeof(DiskState)),
                .targets = xcalloc(disks->ids.n + 1, sizeof(Target)),
                .manifest = json_object_new_object(),
        };
        for (size_t i = 0; i < disks->ids.n; i++)
                b.targets[i] = (Target) { .fd = -1, .fdset = -1 };

        int r = backup_vm_dir(to, c->name, &vm_dir);
        if (r >= 0)
                r = hold == VM_HOLD_RUNNING ? backup_live(&b, vm_dir, full) : backup_offline(&b, vm_dir, full);
        if (r < 0) {
                log_error("No backup of VM %s was made.", c->name);
                backup_free(&b);
                return r;
        }
        if (b.full_reason)
                log_warning("VM %s: a full backup: %s.", c->name, b.full_reason);
        json_object_object_add(b.manifest, "dir", json_object_new_string(b.draft.final_dir));
        *ret = TAKE_PTR(b.manifest);
        backup_free(&b);
        return 0;
}
