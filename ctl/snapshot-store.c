/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>

#include "atomic-file.h"
#include "foreign-dir.h"
#include "log.h"
#include "names.h"
#include "paths.h"
#include "snapshot-store.h"
#include "util.h"
#include "vm-ids.h"

#define MANIFEST_FILE "manifest.json"
#define NVRAM_COPY VM_NVRAM_FILE
#define TPM_COPY_DIR "tpm"
/* No NVRAM comes near this (OVMF's is 4 MiB at most), nor TPM state; a bigger file (or one that
 * grows while it is copied) was made to fill root's disk. */
#define NVRAM_MAX (16u * 1024 * 1024)
#define TPM_FILE_MAX (4u * 1024 * 1024)
#define MANIFEST_MAX (1024 * 1024)

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        (void) st, (void) flag, (void) ftw;
        return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

/* Root's own tree: nothing in it is another user's. */
static int remove_tree(const char *path) {
        if (nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS) < 0 && errno != ENOENT)
                return -errno;
        return 0;
}

/* /var/lib/qemu-vm-snapshots/NAME/SNAP */
static char *snapshot_dir(const char *vm, const char *snap) {
        _cleanup_free_ char *vm_dir = vm_snapshot_dir(vm);
        return strjoin(vm_dir, "/", snap);
}

static int mkdir_private(const char *path) {
        return mkdir(path, 0700) < 0 && errno != EEXIST ? -errno : 0;
}

int snapshot_draft_begin(const char *vm, const char *snap, SnapshotDraft *ret) {
        assert(vm && snap && ret);
        _cleanup_free_ char *vm_dir = vm_snapshot_dir(vm);
        struct stat st;
        int r;

        if ((r = mkdir_private(QEMU_VM_SNAPSHOT_DIR)) < 0)
                return log_error_errno(r, "Cannot create %s: %m", QEMU_VM_SNAPSHOT_DIR);
        if ((r = mkdir_private(vm_dir)) < 0)
                return log_error_errno(r, "Cannot create %s: %m", vm_dir);
        *ret = (SnapshotDraft) {
                .dir = strjoin(vm_dir, "/.", snap, ".partial"),
                .final_dir = snapshot_dir(vm, snap),
        };
        if (lstat(ret->final_dir, &st) == 0)
                return -EEXIST;
        /* Left by a snapshot that was cut short (killed, the host lost power): never a snapshot. */
        if ((r = remove_tree(ret->dir)) < 0)
                return log_error_errno(r, "Cannot remove %s: %m", ret->dir);
        if (mkdir(ret->dir, 0700) < 0)
                return log_error_errno(-errno, "Cannot create %s: %m", ret->dir);
        return 0;
}

/* Copies NAME of the foreign directory into DEST_DIR/NAME. -ENOENT when the VM has no such file. */
static int copy_in(int dir_fd, const struct stat *dir_st, const char *dir, const char *name, uint64_t max,
                   const char *dest_dir) {
        _cleanup_free_ char *dest = strjoin(dest_dir, "/", name), *source = strjoin(dir, "/", name);
        _cleanup_close_ int from = -1, to = -1;

        int r = foreign_file_open(dir_fd, dir_st, name, &from);
        if (r == -ENOENT)
                return r;
        if (r == -EPERM)
                return log_error_errno(r, "%s is not a regular file of its directory's owner with one name "
                                       "(refusing to follow a link or read another user's file).", source);
        if (r >= 0 && (to = open(dest, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)) < 0)
                r = -errno;
        if (r >= 0)
                r = fd_copy_max(from, to, max);
        if (r == -EFBIG)
                return log_error_errno(r, "%s is larger than %" PRIu64 " MiB, which no NVRAM or TPM state is.", source,
                                       max >> 20);
        if (r >= 0 && fsync(to) < 0)
                r = -errno;
        if (r < 0)
                return log_error_errno(r, "Cannot copy %s to %s: %m", source, dest);
        return 0;
}

static int save_nvram(SnapshotDraft *d, const char *vm, json_object *manifest) {
        _cleanup_free_ char *dir = vm_state_dir(vm);
        _cleanup_close_ int dir_fd = -1;
        struct stat dir_st;

        int r = foreign_dir_open(dir, &dir_fd, &dir_st);
        if (r < 0 && r != -ENOENT)
                return log_error_errno(r, "Cannot open %s: %m", dir);
        if (r >= 0)
                r = copy_in(dir_fd, &dir_st, dir, VM_NVRAM_FILE, NVRAM_MAX, d->dir);
        if (r < 0 && r != -ENOENT)
                return r;
        json_object_object_add(manifest, SNAPSHOT_KEY_NVRAM, json_object_new_boolean(r >= 0));
        return 0;
}

/* The TPM state's files, swtpm's names for them (its lock file, .lock, is no state): these alone are
 * copied, each bounded, so swtpm's user cannot fill root's disk with files of its own. */
static const char *const tpm_state_files[] = {
        "tpm2-00.permall",              /* the permanent state: keys, NV indices, hierarchies */
        "tpm2-00.volatilestate",        /* saved at a suspend or migration */
        "tpm2-00.savestate",
};

static bool is_tpm_state_file(const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(tpm_state_files); i++)
                if (streq(name, tpm_state_files[i]))
                        return true;
        return false;
}

static int save_tpm(SnapshotDraft *d, const char *vm, json_object *manifest) {
        _cleanup_free_ char *dir = vm_tpm_state_dir(vm), *copies = strjoin(d->dir, "/", TPM_COPY_DIR);
        _cleanup_close_ int dir_fd = -1;
        struct stat dir_st;

        int r = foreign_dir_open(dir, &dir_fd, &dir_st);
        if (r == -ENOENT) {
                json_object_object_add(manifest, SNAPSHOT_KEY_TPM, NULL);
                return 0;
        }
        if (r < 0)
                return log_error_errno(r, "Cannot open %s: %m", dir);
        if (mkdir(copies, 0700) < 0)
                return log_error_errno(-errno, "Cannot create %s: %m", copies);

        json_object *files = json_object_new_array();
        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(tpm_state_files); i++) {
                r = copy_in(dir_fd, &dir_st, dir, tpm_state_files[i], TPM_FILE_MAX, copies);
                if (r >= 0)
                        json_object_array_add(files, json_object_new_string(tpm_state_files[i]));
                else if (r == -ENOENT)
                        r = 0;
        }
        json_object_object_add(manifest, SNAPSHOT_KEY_TPM, files);
        return r;
}

int snapshot_draft_save_vm_files(SnapshotDraft *d, const char *vm, json_object *manifest) {
        assert(d && d->dir && vm && manifest);
        int r = save_nvram(d, vm, manifest);
        return r < 0 ? r : save_tpm(d, vm, manifest);
}

int snapshot_draft_commit(SnapshotDraft *d, json_object *manifest) {
        assert(d && d->dir && manifest);
        _cleanup_free_ char *path = strjoin(d->dir, "/", MANIFEST_FILE);
        const char *text = json_object_to_json_string_ext(manifest, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                                            JSON_C_TO_STRING_NOSLASHESCAPE);
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        int r = fd < 0 ? -errno : fd_write_all(fd, text, strlen(text));
        if (r >= 0)
                r = fd_write_all(fd, "\n", 1);
        if (r >= 0 && fsync(fd) < 0)
                r = -errno;
        if (r >= 0)
                r = fsync_dir_of(path);
        if (r >= 0 && renameat2(AT_FDCWD, d->dir, AT_FDCWD, d->final_dir, RENAME_NOREPLACE) < 0)
                r = -errno;
        if (r < 0)
                return log_error_errno(r, "Cannot record the snapshot in %s: %m", d->final_dir);
        sync_dir_after_commit(d->final_dir);
        free(d->dir);
        d->dir = NULL;
        return 0;
}

void snapshot_draft_done(SnapshotDraft *d) {
        if (d->dir && remove_tree(d->dir) < 0)
                log_warning("Cannot remove %s: %m", d->dir);
        free(d->dir);
        free(d->final_dir);
        *d = (SnapshotDraft) {};
}

static bool manifest_valid(json_object *m, const char *snap) {
        json_object *v, *disks, *tpm;

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
        if (json_object_object_get_ex(m, SNAPSHOT_KEY_TPM, &tpm) && tpm) {
                if (!json_object_is_type(tpm, json_type_array))
                        return false;
                for (size_t i = 0; i < json_object_array_length(tpm); i++) {
                        const char *f = json_object_get_string(json_object_array_get_idx(tpm, i));
                        if (!f || !is_tpm_state_file(f))
                                return false;
                }
        }
        return true;
}

int snapshot_store_load(const char *vm, const char *snap, json_object **ret) {
        assert(vm && snap && ret);
        _cleanup_free_ char *dir = snapshot_dir(vm, snap), *path = strjoin(dir, "/", MANIFEST_FILE), *text = NULL;

        if (!snapshot_name_is_valid(snap))
                return -ENOENT;
        int r = read_text_file(path, MANIFEST_MAX, &text);
        if (r < 0)
                return r;
        json_object *m = json_tokener_parse(text);
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
                                    vm, dir, e->d_name, MANIFEST_FILE);
                else
                        json_object_array_add(list, m);
        }
        if (d)
                closedir(d);
        json_object_array_sort(list, by_created);
        *ret = list;
        return 0;
}

/* Replaces NAME in the foreign directory with the snapshot's copy at SOURCE. */
static int restore_file(int dir_fd, const struct stat *dir_st, const char *dir, const char *name, const char *source) {
        _cleanup_close_ int from = open(source, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        int r = from < 0 ? -errno : foreign_file_replace(dir_fd, dir_st, name, from);
        if (r < 0)
                return log_error_errno(r, "Cannot restore %s/%s from %s: %m", dir, name, source);
        return 0;
}

static int restore_nvram(const char *vm, const char *snap_dir) {
        _cleanup_free_ char *dir = vm_state_dir(vm), *source = strjoin(snap_dir, "/", NVRAM_COPY);
        _cleanup_close_ int dir_fd = -1;
        struct stat dir_st;
        int r = foreign_dir_open(dir, &dir_fd, &dir_st);
        if (r < 0)
                return log_error_errno(r, "Cannot open %s: %m", dir);
        return restore_file(dir_fd, &dir_st, dir, VM_NVRAM_FILE, source);
}

/* swtpm@NAME makes its state directory (StateDirectory=) at its start; a VM whose TPM state was
 * removed since the snapshot gets it back as its TPM user (tpm-NAME) would have made it. */
static int tpm_dir_open(const char *vm, const char *dir, int *ret_fd, struct stat *ret_st) {
        int r = foreign_dir_open(dir, ret_fd, ret_st);
        if (r != -ENOENT)
                return r;
        char tpm_user[VM_USER_NAME_MAX];
        vm_tpm_user_name(vm, tpm_user);
        struct passwd *pw = getpwnam(tpm_user);
        if (!pw)
                return -ESRCH;
        /* In root's /var/lib/swtpm: no one else can put anything under the name meanwhile. */
        if (mkdir(dir, 0700) < 0)
                return -errno;
        if ((r = foreign_dir_open(dir, ret_fd, ret_st)) < 0)
                return r;
        if (fchown(*ret_fd, pw->pw_uid, pw->pw_gid) < 0 || fstat(*ret_fd, ret_st) < 0) {
                r = -errno;
                close(*ret_fd);
                return r;
        }
        return 0;
}

static int restore_tpm(const char *vm, const char *snap_dir, json_object *files) {
        _cleanup_free_ char *dir = vm_tpm_state_dir(vm);
        _cleanup_close_ int dir_fd = -1;
        struct stat dir_st;
        _cleanup_strv_ Strv present = {};
        int r = tpm_dir_open(vm, dir, &dir_fd, &dir_st);
        if (r < 0)
                return log_error_errno(r, "Cannot open %s: %m", dir);

        for (size_t i = 0; r >= 0 && i < json_object_array_length(files); i++) {
                const char *name = json_object_get_string(json_object_array_get_idx(files, i));
                _cleanup_free_ char *source = strjoin(snap_dir, "/", TPM_COPY_DIR, "/", name);
                r = restore_file(dir_fd, &dir_st, dir, name, source);
                strv_push(&present, name);
        }
        /* State swtpm wrote since (a saved volatile state, say) would be loaded with the old one. */
        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(tpm_state_files); i++)
                if (!strv_contains(&present, tpm_state_files[i]) &&
                    (r = foreign_file_remove(dir_fd, tpm_state_files[i])) < 0)
                        log_error_errno(r, "Cannot remove %s/%s: %m", dir, tpm_state_files[i]);
        return r;
}

static int check_copy(const char *path) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return log_error_errno(-errno, "The snapshot's copy %s cannot be read: %m", path);
        return 0;
}

int snapshot_store_check_restorable(const char *vm, const char *snap, json_object *manifest) {
        assert(vm && snap && manifest);
        _cleanup_free_ char *snap_dir = snapshot_dir(vm, snap);
        json_object *nvram = NULL, *tpm = NULL;
        struct stat st;
        int r = 0;

        json_object_object_get_ex(manifest, SNAPSHOT_KEY_NVRAM, &nvram);
        json_object_object_get_ex(manifest, SNAPSHOT_KEY_TPM, &tpm);
        if (json_object_get_boolean(nvram)) {
                _cleanup_free_ char *copy = strjoin(snap_dir, "/", NVRAM_COPY), *dir = vm_state_dir(vm);
                _cleanup_close_ int dir_fd = -1;
                r = check_copy(copy);
                if (r >= 0 && (r = foreign_dir_open(dir, &dir_fd, &st)) < 0)
                        log_error_errno(r, "Cannot open %s: %m", dir);
        }
        for (size_t i = 0; r >= 0 && tpm && i < json_object_array_length(tpm); i++) {
                _cleanup_free_ char *copy = strjoin(snap_dir, "/", TPM_COPY_DIR, "/",
                                                    json_object_get_string(json_object_array_get_idx(tpm, i)));
                r = check_copy(copy);
        }
        if (r >= 0 && tpm && stat(QEMU_VM_SWTPM_STATE_DIR, &st) < 0)
                r = log_error_errno(-errno, "Cannot put the TPM state back: %s: %m", QEMU_VM_SWTPM_STATE_DIR);
        return r;
}

int snapshot_store_restore_vm_files(const char *vm, const char *snap, json_object *manifest, Strv *kept) {
        assert(vm && snap && manifest && kept);
        _cleanup_free_ char *snap_dir = snapshot_dir(vm, snap);
        json_object *nvram = NULL, *tpm = NULL;
        int r = 0;

        json_object_object_get_ex(manifest, SNAPSHOT_KEY_NVRAM, &nvram);
        json_object_object_get_ex(manifest, SNAPSHOT_KEY_TPM, &tpm);
        if (json_object_get_boolean(nvram))
                r = restore_nvram(vm, snap_dir);
        else
                strv_push(kept, "NVRAM (the snapshot has none)");
        if (r >= 0 && tpm)
                r = restore_tpm(vm, snap_dir, tpm);
        else if (r >= 0)
                strv_push(kept, "TPM state (the snapshot has none)");
        return r;
}

int snapshot_store_remove(const char *vm, const char *snap) {
        assert(vm && snap);
        _cleanup_free_ char *path = snapshot_dir(vm, snap);
        if (!snapshot_name_is_valid(snap))
                return -EINVAL;
        int r = remove_tree(path);
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
