/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "atomic-file.h"
#include "backup-store.h"
#include "foreign-dir.h"
#include "log.h"
#include "names.h"
#include "run-program.h"
#include "util.h"
#include "vm-state-copy.h"

#define SHA256SUM "/usr/bin/sha256sum"
/* Reading a disk's backup of terabytes takes hours. */
#define SHA256_TIMEOUT_MS (24 * 3600 * 1000)
/* A VM's file and each drop-in: an admin's INI text. */
#define CONFIG_FILE_MAX (1024 * 1024)

int backup_path_is_roots(const char *path) {
        _cleanup_free_ char *prefix = xstrdup(path);
        for (char *p = prefix;; p++) {
                if (*p != '/' && *p != '\0')
                        continue;
                char saved = *p;
                *p = '\0';
                struct stat st;
                if (lstat(prefix[0] ? prefix : "/", &st) < 0)
                        return -errno;
                if (!S_ISDIR(st.st_mode) || st.st_uid != 0 || ((st.st_mode & 0022) && !(st.st_mode & S_ISVTX)))
                        return log_error_errno(-EPERM, "%s is not a directory only root may change: backups hold "
                                               "every VM's disks, and root writes them there.",
                                               prefix[0] ? prefix : "/");
                *p = saved;
                if (!saved)
                        return 0;
        }
}

int backup_vm_dir(const char *to, const char *vm, char **ret) {
        _cleanup_free_ char *canonical = realpath(to, NULL);
        struct stat st;

        if (!canonical)
                return log_error_errno(-errno, "Cannot use the backup directory %s: %m", to);
        int r = backup_path_is_roots(canonical);
        if (r < 0)
                return r;
        char *dir = strjoin(canonical, "/", vm);
        if (mkdir(dir, 0700) < 0 && errno != EEXIST)
                r = log_error_errno(-errno, "Cannot create %s: %m", dir);
        else if (lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != 0 || (st.st_mode & 0077))
                r = log_error_errno(-EPERM, "%s is not a directory of root's alone (mode 0700).", dir);
        if (r < 0) {
                free(dir);
                return r;
        }
        *ret = dir;
        return 0;
}

/* Drafts left by backups cut short (killed, the host lost power): the VM is held, so none is being made. */
static void remove_stale_drafts(const char *vm_dir) {
        DIR *d = opendir(vm_dir);
        for (struct dirent *e; d && (e = readdir(d));)
                if (e->d_name[0] == '.' && endswith(e->d_name, ".partial")) {
                        _cleanup_free_ char *path = strjoin(vm_dir, "/", e->d_name);
                        if (record_tree_remove(path) < 0)
                                log_warning("Cannot remove %s: %m", path);
                }
        if (d)
                closedir(d);
}

int backup_draft_begin(const char *vm_dir, const Strv *taken, char id[BACKUP_ID_MAX + 1], RecordDraft *ret) {
        remove_stale_drafts(vm_dir);
        for (int attempt = 0;; attempt++) {
                time_t now = time(NULL);
                struct tm tm;
                strftime(id, BACKUP_ID_MAX + 1, "%Y%m%dT%H%M%SZ", gmtime_r(&now, &tm));
                int r = strv_contains(taken, id) ? -EEXIST : record_draft_begin(vm_dir, id, ret);
                if (r != -EEXIST || attempt == 2) {
                        if (r == -EEXIST)
                                log_error("Backup %s/%s exists already.", vm_dir, id);
                        if (r < 0)
                                return r;
                        break;
                }
                record_draft_done(ret);
                sleep(1);       /* a backup began this second: the next second's ID */
        }
        _cleanup_free_ char *disks = strjoin(ret->dir, "/" BACKUP_DISKS_DIR),
                            *config = strjoin(ret->dir, "/" BACKUP_CONFIG_DIR);
        if (mkdir(disks, 0700) < 0 || mkdir(config, 0700) < 0)
                return log_error_errno(-errno, "Cannot create the backup's directories in %s: %m", ret->dir);
        return 0;
}

/* Copies the admin's file at SOURCE (root's /etc; a drop-in may be a link the admin made) to DEST. */
static int copy_config_file(const char *source, const char *dest) {
        _cleanup_close_ int from = open(source, O_RDONLY | O_NONBLOCK | O_CLOEXEC), to = -1;
        struct stat st;
        int r = from < 0 || fstat(from, &st) < 0 ? -errno : S_ISREG(st.st_mode) ? 0 : -EPERM;
        if (r >= 0 && (to = open(dest, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)) < 0)
                r = -errno;
        if (r >= 0)
                r = fd_copy_max(from, to, CONFIG_FILE_MAX);
        if (r < 0)
                return log_error_errno(r, "Cannot copy %s to %s: %m", source, dest);
        return 0;
}

/* Makes the directories of PATH below the draft's config/, as root's alone. */
static int mkdir_parents(const char *path, size_t below) {
        _cleanup_free_ char *p = xstrdup(path);
        for (char *slash = strchr(p + below, '/'); slash; slash = strchr(slash + 1, '/')) {
                *slash = '\0';
                if (mkdir(p, 0700) < 0 && errno != EEXIST)
                        return log_error_errno(-errno, "Cannot create %s: %m", p);
                *slash = '/';
        }
        return 0;
}

int backup_save_config(const RecordDraft *d, const VmConfig *c) {
        _cleanup_free_ char *config = strjoin(d->dir, "/" BACKUP_CONFIG_DIR);
        int r = 0;
        /* Every file the VM's configuration was read from (lib/config-parse.h), under its own path. */
        for (size_t i = 0; r >= 0 && i < c->files.n; i++) {
                _cleanup_free_ char *dest = strjoin(config, c->files.items[i][0] == '/' ? "" : "/",
                                                    c->files.items[i]);
                r = mkdir_parents(dest, strlen(config) + 1);
                if (r >= 0)
                        r = copy_config_file(c->files.items[i], dest);
        }
        return r;
}

/* The SHA-256 of root's own file at PATH, in hex. */
static int sha256_of(const char *path, char **ret) {
        char *argv[] = { (char *) SHA256SUM, (char *) "--", (char *) path, NULL };
        _cleanup_free_ char *output = NULL, *error = NULL;
        int r = run_program(argv, NULL, SHA256_TIMEOUT_MS, &output, &error);
        if (r < 0)
                return log_error_errno(r, "Cannot checksum %s: %s", path, error);
        if (strspn(output, "0123456789abcdef") != 64)
                return log_error_errno(-EBADMSG, "Cannot checksum %s: sha256sum printed no checksum.", path);
        *ret = xstrndup(output, 64);
        return 0;
}

/* Whether NAME is a path below a backup: no empty, "." or ".." component, nothing absolute. */
static bool relative_name_is_safe(const char *name) {
        if (!name[0] || name[0] == '/')
                return false;
        for (const char *p = name; p;) {
                const char *slash = strchr(p, '/');
                size_t len = slash ? (size_t) (slash - p) : strlen(p);
                if (len == 0 || (len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.'))
                        return false;
                p = slash ? slash + 1 : NULL;
        }
        return true;
}

int backup_file_open(const char *dir, const char *name, int *ret_fd) {
        if (!relative_name_is_safe(name))
                return log_error_errno(-EBADMSG, "The backup in %s names a file '%s' outside it.", dir, name);
        _cleanup_free_ char *path = strjoin(dir, "/", name);
        char *slash = strrchr(path, '/');
        *slash = '\0';
        _cleanup_close_ int dir_fd = -1;
        struct stat dir_st;
        int r = foreign_dir_open(path, &dir_fd, &dir_st);
        if (r >= 0 && dir_st.st_uid != 0)
                r = -EPERM;
        if (r >= 0)
                r = foreign_file_open(dir_fd, &dir_st, slash + 1, ret_fd);
        if (r < 0)
                return log_error_errno(r, "Cannot open %s/%s as a file of root's, with no link on the way: %m", path,
                                       slash + 1);
        return 0;
}

int backup_file_check(const char *dir, const char *name, json_object *entry) {
        _cleanup_free_ char *path = strjoin(dir, "/", name), *sha = NULL;
        json_object *size = NULL, *want = NULL;
        _cleanup_close_ int fd = -1;
        struct stat st;
        if (backup_file_open(dir, name, &fd) < 0 || fstat(fd, &st) < 0)
                return -EBADMSG;
        json_object_object_get_ex(entry, "size", &size);
        json_object_object_get_ex(entry, "sha256", &want);
        if (!S_ISREG(st.st_mode) || st.st_size != json_object_get_int64(size))
                return log_error_errno(-EBADMSG, "%s is not the file the backup's manifest records (its size "
                                       "differs).", path);
        int r = sha256_of(path, &sha);
        if (r < 0)
                return r;
        if (!streq_ptr(sha, json_object_get_string(want)))
                return log_error_errno(-EBADMSG, "%s does not match its checksum in the backup's manifest.", path);
        return 0;
}

/* Records the files under DIR/REL (REL "" for DIR itself). */
static int record_dir(const char *dir, const char *rel, json_object *files) {
        _cleanup_free_ char *path = rel[0] ? strjoin(dir, "/", rel) : xstrdup(dir);
        DIR *d = opendir(path);
        int r = d ? 0 : log_error_errno(-errno, "Cannot read %s: %m", path);

        for (struct dirent *e; r >= 0 && d && (e = readdir(d));) {
                if (streq(e->d_name, ".") || streq(e->d_name, "..") ||
                    (!rel[0] && streq(e->d_name, RECORD_MANIFEST_FILE)))
                        continue;
                _cleanup_free_ char *name = rel[0] ? strjoin(rel, "/", e->d_name) : xstrdup(e->d_name),
                                    *full = strjoin(dir, "/", name), *sha = NULL;
                struct stat st;
                if (lstat(full, &st) < 0)
                        r = log_error_errno(-errno, "Cannot read %s: %m", full);
                else if (S_ISDIR(st.st_mode))
                        r = record_dir(dir, name, files);
                else if ((r = sha256_of(full, &sha)) >= 0) {
                        json_object *f = json_object_new_object();
                        json_object_object_add(f, "size", json_object_new_int64(st.st_size));
                        json_object_object_add(f, "sha256", json_object_new_string(sha));
                        json_object_object_add(files, name, f);
                }
        }
        if (d)
                closedir(d);
        return r;
}

int backup_record_files(const RecordDraft *d, json_object *manifest) {
        json_object *files = json_object_new_object();
        json_object_object_add(manifest, BACKUP_KEY_FILES, files);
        return record_dir(d->dir, "", files);
}

const char *backup_manifest_string(json_object *m, const char *key) {
        json_object *v = NULL;
        return json_object_object_get_ex(m, key, &v) ? json_object_get_string(v) : NULL;
}

bool backup_id_is_valid(const char *name) {
        return strlen(name) == BACKUP_ID_MAX && strspn(name, "0123456789") == 8 && name[8] == 'T' &&
               strspn(name + 9, "0123456789") == 6 && name[15] == 'Z';
}

static bool manifest_valid(json_object *m, const char *id) {
        json_object *vm;
        json_object *v, *disks, *files;
        if (!json_object_is_type(m, json_type_object) || !json_object_object_get_ex(m, BACKUP_KEY_ID, &v) ||
            !streq_ptr(json_object_get_string(v), id) || !json_object_object_get_ex(m, BACKUP_KEY_KIND, &v) ||
            !json_object_is_type(v, json_type_string) || !json_object_object_get_ex(m, BACKUP_KEY_DISKS, &disks) ||
            !json_object_is_type(disks, json_type_array) || !json_object_object_get_ex(m, BACKUP_KEY_FILES, &files) ||
            !json_object_is_type(files, json_type_object) || !json_object_object_get_ex(m, BACKUP_KEY_VM, &vm) ||
            !vm_name_is_valid(json_object_get_string(vm)) || !vm_state_copy_names_valid(m))
                return false;
        json_object *parent;
        if (json_object_object_get_ex(m, BACKUP_KEY_PARENT, &parent) && parent &&
            !backup_id_is_valid(json_object_get_string(parent)))
                return false;
        for (size_t i = 0; i < json_object_array_length(disks); i++) {
                json_object *disk = json_object_array_get_idx(disks, i), *x;
                if (!json_object_object_get_ex(disk, "id", &x) || !device_id_is_valid(json_object_get_string(x)) ||
                    !json_object_object_get_ex(disk, "virtual_size", &x) || !json_object_is_type(x, json_type_int))
                        return false;
        }
        return true;
}

static int by_id(const void *a, const void *b) {
        json_object *x = *(json_object *const *) a, *y = *(json_object *const *) b, *ix = NULL, *iy = NULL;
        json_object_object_get_ex(x, BACKUP_KEY_ID, &ix);
        json_object_object_get_ex(y, BACKUP_KEY_ID, &iy);
        return strcmp(json_object_get_string(ix), json_object_get_string(iy));
}

int backup_load(const char *dir, json_object **ret) {
        const char *id = strrchr(dir, '/') ? strrchr(dir, '/') + 1 : dir;
        json_object *m = NULL;
        int r = backup_id_is_valid(id) ? record_manifest_read(dir, &m) : -ENOENT;
        if (r >= 0 && !manifest_valid(m, id)) {
                json_object_put(m);
                r = -EBADMSG;
        }
        if (r < 0)
                return r;
        *ret = m;
        return 0;
}

int backup_list(const char *vm_dir, json_object **ret) {
        json_object *list = json_object_new_array();
        DIR *d = opendir(vm_dir);

        if (!d && errno != ENOENT) {
                int r = -errno;
                json_object_put(list);
                return log_error_errno(r, "Cannot read %s: %m", vm_dir);
        }
        for (struct dirent *e; d && (e = readdir(d));) {
                if (!backup_id_is_valid(e->d_name))
                        continue;       /* ".", "..", and drafts */
                _cleanup_free_ char *dir = strjoin(vm_dir, "/", e->d_name);
                json_object *m = NULL;
                if (backup_load(dir, &m) < 0)
                        log_warning("%s has no readable manifest: skipped.", dir);
                else
                        json_object_array_add(list, m);
        }
        if (d)
                closedir(d);
        json_object_array_sort(list, by_id);
        *ret = list;
        return 0;
}

char *backup_disk_file(const char *disk_id) {
        return strjoin(BACKUP_DISKS_DIR "/", disk_id, ".qcow2");
}
