/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pwd.h>
#include <sys/stat.h>

#include "atomic-file.h"
#include "foreign-dir.h"
#include "log.h"
#include "paths.h"
#include "util.h"
#include "vm-ids.h"
#include "vm-state-copy.h"

#define NVRAM_COPY VM_NVRAM_FILE
#define TPM_COPY_DIR "tpm"
/* No NVRAM comes near this (OVMF's is 4 MiB at most), nor TPM state; a bigger file (or one that
 * grows while it is copied) was made to fill root's disk. */
#define NVRAM_MAX (16u * 1024 * 1024)
#define TPM_FILE_MAX (4u * 1024 * 1024)

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

static int save_nvram(const char *vm, const char *dest_dir, json_object *manifest) {
        _cleanup_free_ char *dir = vm_state_dir(vm);
        _cleanup_close_ int dir_fd = -1;
        struct stat dir_st;

        int r = foreign_dir_open(dir, &dir_fd, &dir_st);
        if (r < 0 && r != -ENOENT)
                return log_error_errno(r, "Cannot open %s: %m", dir);
        if (r >= 0)
                r = copy_in(dir_fd, &dir_st, dir, VM_NVRAM_FILE, NVRAM_MAX, dest_dir);
        if (r < 0 && r != -ENOENT)
                return r;
        json_object_object_add(manifest, VM_STATE_KEY_NVRAM, json_object_new_boolean(r >= 0));
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

static int save_tpm(const char *vm, const char *dest_dir, json_object *manifest) {
        _cleanup_free_ char *dir = vm_tpm_state_dir(vm), *copies = strjoin(dest_dir, "/", TPM_COPY_DIR);
        _cleanup_close_ int dir_fd = -1;
        struct stat dir_st;

        int r = foreign_dir_open(dir, &dir_fd, &dir_st);
        if (r == -ENOENT) {
                json_object_object_add(manifest, VM_STATE_KEY_TPM, NULL);
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
        json_object_object_add(manifest, VM_STATE_KEY_TPM, files);
        return r;
}

int vm_state_copy_save(const char *vm, const char *dest_dir, json_object *manifest) {
        assert(vm && dest_dir && manifest);
        int r = save_nvram(vm, dest_dir, manifest);
        return r < 0 ? r : save_tpm(vm, dest_dir, manifest);
}

bool vm_state_copy_names_valid(json_object *manifest) {
        json_object *tpm;
        if (!json_object_object_get_ex(manifest, VM_STATE_KEY_TPM, &tpm) || !tpm)
                return true;
        if (!json_object_is_type(tpm, json_type_array))
                return false;
        for (size_t i = 0; i < json_object_array_length(tpm); i++) {
                const char *f = json_object_get_string(json_object_array_get_idx(tpm, i));
                if (!f || !is_tpm_state_file(f))
                        return false;
        }
        return true;
}

/* Replaces NAME in the foreign directory with the copy at SOURCE. */
static int restore_file(int dir_fd, const struct stat *dir_st, const char *dir, const char *name, const char *source) {
        _cleanup_close_ int from = open(source, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        int r = from < 0 ? -errno : foreign_file_replace(dir_fd, dir_st, name, from);
        if (r < 0)
                return log_error_errno(r, "Cannot restore %s/%s from %s: %m", dir, name, source);
        return 0;
}

static int restore_nvram(const char *vm, const char *copy_dir) {
        _cleanup_free_ char *dir = vm_state_dir(vm), *source = strjoin(copy_dir, "/", NVRAM_COPY);
        _cleanup_close_ int dir_fd = -1;
        struct stat dir_st;
        int r = foreign_dir_open(dir, &dir_fd, &dir_st);
        if (r < 0)
                return log_error_errno(r, "Cannot open %s: %m", dir);
        return restore_file(dir_fd, &dir_st, dir, VM_NVRAM_FILE, source);
}

/* swtpm@NAME makes its state directory (StateDirectory=) at its start; a VM whose TPM state was
 * removed since the copy gets it back as its TPM user (tpm-NAME) would have made it. */
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

static int restore_tpm(const char *vm, const char *copy_dir, json_object *files) {
        _cleanup_free_ char *dir = vm_tpm_state_dir(vm);
        _cleanup_close_ int dir_fd = -1;
        struct stat dir_st;
        _cleanup_strv_ Strv present = {};
        int r = tpm_dir_open(vm, dir, &dir_fd, &dir_st);
        if (r < 0)
                return log_error_errno(r, "Cannot open %s: %m", dir);

        for (size_t i = 0; r >= 0 && i < json_object_array_length(files); i++) {
                const char *name = json_object_get_string(json_object_array_get_idx(files, i));
                _cleanup_free_ char *source = strjoin(copy_dir, "/", TPM_COPY_DIR, "/", name);
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
                return log_error_errno(-errno, "The copy %s cannot be read: %m", path);
        return 0;
}

int vm_state_copy_check(const char *vm, const char *copy_dir, json_object *manifest) {
        assert(vm && copy_dir && manifest);
        json_object *nvram = NULL, *tpm = NULL;
        struct stat st;
        int r = 0;

        json_object_object_get_ex(manifest, VM_STATE_KEY_NVRAM, &nvram);
        json_object_object_get_ex(manifest, VM_STATE_KEY_TPM, &tpm);
        if (json_object_get_boolean(nvram)) {
                _cleanup_free_ char *copy = strjoin(copy_dir, "/", NVRAM_COPY), *dir = vm_state_dir(vm);
                _cleanup_close_ int dir_fd = -1;
                r = check_copy(copy);
                if (r >= 0 && (r = foreign_dir_open(dir, &dir_fd, &st)) < 0)
                        log_error_errno(r, "Cannot open %s: %m", dir);
        }
        for (size_t i = 0; r >= 0 && tpm && i < json_object_array_length(tpm); i++) {
                _cleanup_free_ char *copy = strjoin(copy_dir, "/", TPM_COPY_DIR, "/",
                                                    json_object_get_string(json_object_array_get_idx(tpm, i)));
                r = check_copy(copy);
        }
        if (r >= 0 && tpm && stat(QEMU_VM_SWTPM_STATE_DIR, &st) < 0)
                r = log_error_errno(-errno, "Cannot put the TPM state back: %s: %m", QEMU_VM_SWTPM_STATE_DIR);
        return r;
}

int vm_state_copy_restore(const char *vm, const char *copy_dir, json_object *manifest, Strv *kept) {
        assert(vm && copy_dir && manifest && kept);
        json_object *nvram = NULL, *tpm = NULL;
        int r = 0;

        json_object_object_get_ex(manifest, VM_STATE_KEY_NVRAM, &nvram);
        json_object_object_get_ex(manifest, VM_STATE_KEY_TPM, &tpm);
        if (json_object_get_boolean(nvram))
                r = restore_nvram(vm, copy_dir);
        else
                strv_push(kept, "NVRAM (the copy has none)");
        if (r >= 0 && tpm)
                r = restore_tpm(vm, copy_dir, tpm);
        else if (r >= 0)
                strv_push(kept, "TPM state (the copy has none)");
        return r;
}
