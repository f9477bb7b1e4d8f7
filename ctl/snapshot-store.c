/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <sys/stat.h>
#include <time.h>

#include "log.h"
#include "names.h"
#include "paths.h"
#include "snapshot-store.h"
#include "util.h"
#include "vm-state-copy.h"

/* /var/lib/qemu-vm-snapshots/NAME/SNAP */
static char *snapshot_dir(const char *vm, const char *snap) {
        _cleanup_free_ char *vm_dir = vm_snapshot_dir(vm);
        return strjoin(vm_dir, "/", snap);
}

static int mkdir_private(const char *path) {
        return mkdir(path, 0700) < 0 && errno != EEXIST ? -errno : 0;
}

int snapshot_draft_begin(const char *vm, const char *snap, RecordDraft *ret) {
        assert(vm && snap && ret);
        _cleanup_free_ char *vm_dir = vm_snapshot_dir(vm);
        int r;

        if ((r = mkdir_private(QEMU_VM_SNAPSHOT_DIR)) < 0)
                return log_error_errno(r, "Cannot create %s: %m", QEMU_VM_SNAPSHOT_DIR);
        if ((r = mkdir_private(vm_dir)) < 0)
                return log_error_errno(r, "Cannot create %s: %m", vm_dir);
        return record_draft_begin(vm_dir, snap, ret);
}

static bool manifest_valid(json_object *m, const char *snap) {
        json_object *v, *disks;

        if (!json_object_is_type(m, json_type_object) || !json_object_object_get_ex(m, SNAPSHOT_KEY_NAME, &v) ||
            !streq_ptr(json_object_get_string(v), snap) ||
            !json_object_object_get_ex(m, SNAPSHOT_KEY_DISKS, &disks) || !json_object_is_type(disks, json_type_array))
                return false;
        for (size_t i = 0; i < json_object_array_length(disks); i++) {
                json_object *disk = json_object_array_get_idx(disks, i), *id, *path;
                if (!json_object_object_get_ex(disk, "id", &id) || !json_object_is_type(id, json_type_string) ||
                    !json_object_object_get_ex(disk, "path", &path) || !json_object_is_type(path, json_type_string))
                        return false;
        }
        return vm_state_copy_names_valid(m);
}

int snapshot_store_load(const char *vm, const char *snap, json_object **ret) {
        assert(vm && snap && ret);
        _cleanup_free_ char *dir = snapshot_dir(vm, snap);
        json_object *m = NULL;

        if (!snapshot_name_is_valid(snap))
                return -ENOENT;
        int r = record_manifest_read(dir, &m);
        if (r < 0)
                return r;
        if (!manifest_valid(m, snap)) {
                json_object_put(m);
                return -EBADMSG;
        }
        *ret = m;
        return 0;
}

static int by_created(const void *a, const void *b) {
        json_object *x = *(json_object *const *) a, *y = *(json_object *const *) b, *cx = NULL, *cy = NULL;
        json_object_object_get_ex(x, SNAPSHOT_KEY_CREATED, &cx);
        json_object_object_get_ex(y, SNAPSHOT_KEY_CREATED, &cy);
        int64_t tx = json_object_get_int64(cx), ty = json_object_get_int64(cy);
        if (tx != ty)
                return tx < ty ? -1 : 1;
        json_object *nx = NULL, *ny = NULL;
        json_object_object_get_ex(x, SNAPSHOT_KEY_NAME, &nx);
        json_object_object_get_ex(y, SNAPSHOT_KEY_NAME, &ny);
        return strcmp(json_object_get_string(nx), json_object_get_string(ny));
}

int snapshot_store_list(const char *vm, json_object **ret) {
        assert(vm && ret);
        _cleanup_free_ char *dir = vm_snapshot_dir(vm);
        json_object *list = json_object_new_array();
        DIR *d = opendir(dir);

        if (!d && errno != ENOENT) {
                int r = -errno;
                json_object_put(list);
                return log_error_errno(r, "Cannot read %s: %m", dir);
        }
        for (struct dirent *e; d && (e = readdir(d));) {
                json_object *m;
                if (!snapshot_name_is_valid(e->d_name))
                        continue;       /* ".", "..", and snapshots not finished */
                int r = snapshot_store_load(vm, e->d_name, &m);
                if (r < 0)
                        log_warning("Snapshot %s of VM %s has no readable manifest (%s/%s/%s): skipped.", e->d_name,
                                    vm, dir, e->d_name, RECORD_MANIFEST_FILE);
                else
                        json_object_array_add(list, m);
        }
        if (d)
                closedir(d);
        json_object_array_sort(list, by_created);
        *ret = list;
        return 0;
}

int snapshot_store_check_restorable(const char *vm, const char *snap, json_object *manifest) {
        _cleanup_free_ char *dir = snapshot_dir(vm, snap);
        return vm_state_copy_check(vm, dir, manifest);
}

int snapshot_store_restore_vm_files(const char *vm, const char *snap, json_object *manifest, Strv *kept) {
        _cleanup_free_ char *dir = snapshot_dir(vm, snap);
        return vm_state_copy_restore(vm, dir, manifest, kept);
}

int snapshot_store_remove(const char *vm, const char *snap) {
        assert(vm && snap);
        _cleanup_free_ char *path = snapshot_dir(vm, snap);
        if (!snapshot_name_is_valid(snap))
                return -EINVAL;
        int r = record_tree_remove(path);
        return r < 0 ? log_error_errno(r, "Cannot remove %s: %m", path) : 0;
}

void snapshot_manifest_disk_ids(json_object *manifest, Strv *ret) {
        json_object *disks = NULL;
        *ret = (Strv) {};
        json_object_object_get_ex(manifest, SNAPSHOT_KEY_DISKS, &disks);
        for (size_t i = 0; i < json_object_array_length(disks); i++) {
                json_object *id = NULL;
                json_object_object_get_ex(json_object_array_get_idx(disks, i), "id", &id);
                strv_push(ret, json_object_get_string(id));
        }
}

/* Which file a disk is, "DEVICE:INODE": the same path may be a new disk since (a VM destroyed and made
 * again under its name), and then the snapshot is not its. NULL when there is no file. */
static char *disk_identity(const char *path) {
        struct stat st;
        if (stat(path, &st) < 0)
                return NULL;
        return xasprintf("%ju:%ju", (uintmax_t) st.st_dev, (uintmax_t) st.st_ino);
}

bool snapshot_manifest_disk_is(json_object *m, size_t i, const char *id, const char *path) {
        json_object *disks = NULL, *v;
        _cleanup_free_ char *identity = disk_identity(path);
        json_object_object_get_ex(m, SNAPSHOT_KEY_DISKS, &disks);
        json_object *d = json_object_array_get_idx(disks, i);
        return identity && json_object_object_get_ex(d, "id", &v) && streq_ptr(json_object_get_string(v), id) &&
               json_object_object_get_ex(d, "path", &v) && streq_ptr(json_object_get_string(v), path) &&
               json_object_object_get_ex(d, "file", &v) && streq_ptr(json_object_get_string(v), identity);
}

json_object *snapshot_manifest_new(const char *snap, const Strv *ids, const Strv *paths) {
        json_object *m = json_object_new_object(), *list = json_object_new_array();
        json_object_object_add(m, SNAPSHOT_KEY_NAME, json_object_new_string(snap));
        json_object_object_add(m, SNAPSHOT_KEY_CREATED, json_object_new_int64((int64_t) time(NULL)));
        for (size_t i = 0; i < ids->n; i++) {
                json_object *d = json_object_new_object();
                json_object_object_add(d, "id", json_object_new_string(ids->items[i]));
                json_object_object_add(d, "path", json_object_new_string(paths->items[i]));
                _cleanup_free_ char *identity = disk_identity(paths->items[i]);
                json_object_object_add(d, "file", identity ? json_object_new_string(identity) : NULL);
                json_object_array_add(list, d);
        }
        json_object_object_add(m, SNAPSHOT_KEY_DISKS, list);
        return m;
}

void snapshot_manifest_set(json_object *m, const char *kind, const char *consistency) {
        json_object_object_add(m, SNAPSHOT_KEY_KIND, json_object_new_string(kind));
        json_object_object_add(m, SNAPSHOT_KEY_CONSISTENCY, json_object_new_string(consistency));
}
