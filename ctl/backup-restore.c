/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pwd.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic-file.h"
#include "backup-restore.h"
#include "backup-store.h"
#include "log.h"
#include "qmp.h"
#include "meson-config.h"
#include "names.h"
#include "paths.h"
#include "record-dir.h"
#include "run-program.h"
#include "systemd-bus.h"
#include "text-buffer.h"
#include "util.h"
#include "vm-ids.h"
#include "vm-state-copy.h"
#include "vms.h"

/* A chain is a full backup and its incrementals; a longer one is a loop or a forgery. */
#define CHAIN_MAX 100
/* Flattening a disk of terabytes takes hours. */
#define QEMU_IMG_CONVERT_TIMEOUT_MS (24 * 3600 * 1000)
/* The drop-in that moves every restored disk into the new VM's state directory. */
#define RESTORED_DROPIN "90-restored-disks.conf"
/* A VM's file or drop-in: an admin's INI text. */
#define CONFIG_FILE_MAX (1024 * 1024)

typedef struct Restore {
        const Ctl *ctl;
        char *vm_dir;           /* DIR/NAME: the chain's backups */
        json_object *chain;     /* manifests, the restored backup first, its full ancestor last */
        const char *old_name, *name;
        Strv made;              /* root's paths the restore made, to remove when it fails */
        Strv made_foreign;      /* directories it made for the new VM's users: their entries are theirs */
} Restore;

static json_object *chain_at(const Restore *x, size_t i) {
        return json_object_array_get_idx(x->chain, i);
}

/* The backup and its ancestors, each checked against its manifest: every file of the restored backup,
 * every disk file of the ancestors. */
static int load_chain(Restore *x, const char *dir) {
        _cleanup_free_ char *path = xstrdup(dir);
        x->chain = json_object_new_array();
        for (size_t n = 0;; n++) {
                json_object *m = NULL;
                int r = backup_load(path, &m);
                if (r < 0)
                        return log_error_errno(r == -ENOENT ? r : -EBADMSG, "%s is no complete backup%s.", path,
                                               n > 0 ? " (the parent of the one to restore)" : "");
                json_object_array_add(x->chain, m);
                json_object *files = NULL;
                json_object_object_get_ex(m, BACKUP_KEY_FILES, &files);
                json_object_object_foreach(files, name, entry) {
                        if (n > 0 && !startswith(name, BACKUP_DISKS_DIR "/"))
                                continue;
                        if ((r = backup_file_check(path, name, entry)) < 0)
                                return r;
                }
                const char *parent = backup_manifest_string(m, BACKUP_KEY_PARENT),
                           *id = backup_manifest_string(m, BACKUP_KEY_ID);
                if (!parent)
                        return 0;
                if (n + 1 >= CHAIN_MAX || strcmp(parent, id) >= 0)
                        return log_error_errno(-EBADMSG, "Backup %s names parent %s, which is no earlier backup.", id,
                                               parent);
                free(path);
                path = strjoin(x->vm_dir, "/", parent);
        }
}

/* A backup's directories are root's alone (as qemu-vmctl backup makes them): no one else can have put
 * anything in them. */
static int check_roots_alone(const char *dir) {
        struct stat st;
        if (lstat(dir, &st) < 0)
                return log_error_errno(-errno, "Cannot use %s: %m", dir);
        if (!S_ISDIR(st.st_mode) || st.st_uid != 0 || (st.st_mode & 0022))
                return log_error_errno(-EPERM, "%s is not a directory only root may change.", dir);
        return 0;
}

/* Refuses a VM that exists, in any of its places. */
static int check_new(const Restore *x) {
        _cleanup_free_ char *conf = xasprintf("%s/%s.conf", x->ctl->config_dir, x->name),
                            *dropins = strjoin(conf, ".d"), *state = vm_state_dir(x->name),
                            *tpm_dir = vm_tpm_state_dir(x->name), *snapshots = vm_snapshot_dir(x->name);
        const char *paths[] = { conf, dropins, state, tpm_dir, snapshots };
        struct stat st;
        for (size_t i = 0; i < ELEMENTSOF(paths); i++)
                if (paths[i] && lstat(paths[i], &st) == 0) {
                        log_error("VM %s exists already (%s): a restore overwrites nothing. Destroy it first, or "
                                  "restore with --as NEWNAME.", x->name, paths[i]);
                        return -EEXIST;
                }
        return 0;
}

/* Copies the backup's file NAME (root's, no link on the way) to DEST, made anew, mode 0600 (a VM's file
 * may hold password hashes). */
static int copy_config(Restore *x, const char *backup_dir, const char *name, const char *dest) {
        _cleanup_close_ int from = -1, to = -1;
        int r = backup_file_open(backup_dir, name, &from);
        if (r < 0)
                return r;
        if ((to = open(dest, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)) < 0)
                return log_error_errno(-errno, "Cannot create %s: %m", dest);
        strv_push(&x->made, dest);
        r = fd_copy_max(from, to, CONFIG_FILE_MAX);
        if (r >= 0 && fsync(to) < 0)
                r = -errno;
        if (r < 0)
                return log_error_errno(r, "Cannot copy %s/%s to %s: %m", backup_dir, name, dest);
        return 0;
}

/* The VM's file and drop-ins from the backup, under the new name, and a drop-in that puts every disk
 * into the new VM's state directory. */
static int restore_config(Restore *x) {
        json_object *m = chain_at(x, 0), *files = NULL, *disks = NULL;
        _cleanup_free_ char *old_conf = xasprintf("/%s.conf", x->old_name), *old_dropin = strjoin(old_conf, ".d/"),
                            *conf = xasprintf("%s/%s.conf", x->ctl->config_dir, x->name),
                            *dropins = strjoin(conf, ".d"), *backup_dir = NULL;
        const char *id = backup_manifest_string(m, BACKUP_KEY_ID);
        int r = -ENOENT;

        backup_dir = strjoin(x->vm_dir, "/", id);
        json_object_object_get_ex(m, BACKUP_KEY_FILES, &files);
        json_object_object_foreach(files, name, entry) {
                (void) entry;
                if (!startswith(name, BACKUP_CONFIG_DIR "/") || !endswith(name, old_conf))
                        continue;
                if ((r = copy_config(x, backup_dir, name, conf)) < 0)
                        return r;
        }
        if (r < 0)
                return log_error_errno(r, "Backup %s holds no %s.conf.", id, x->old_name);
        if (mkdir(dropins, 0755) < 0)
                return log_error_errno(-errno, "Cannot create %s: %m", dropins);
        strv_push(&x->made, dropins);
        json_object_object_foreach(files, dname, dentry) {
                (void) dentry;
                const char *in = strstr(dname, old_dropin);
                /* An earlier restore's disk drop-in is written anew below. */
                if (!startswith(dname, BACKUP_CONFIG_DIR "/") || !in || strchr(in + strlen(old_dropin), '/') ||
                    streq(in + strlen(old_dropin), RESTORED_DROPIN))
                        continue;
                _cleanup_free_ char *dest = strjoin(dropins, "/", in + strlen(old_dropin));
                if (!endswith(dest, ".conf"))
                        continue;
                if ((r = copy_config(x, backup_dir, dname, dest)) < 0)
                        return r;
        }

        TextBuffer b = {};
        text_buffer_printf(&b, "# Written by 'qemu-vmctl restore' from backup %s of VM %s: the disks were restored "
                           "here.\n", id, x->old_name);
        json_object_object_get_ex(m, BACKUP_KEY_DISKS, &disks);
        for (size_t i = 0; i < json_object_array_length(disks); i++) {
                const char *disk = backup_manifest_string(json_object_array_get_idx(disks, i), "id");
                if (!disk || !device_id_is_valid(disk)) {
                        free(text_buffer_take(&b));
                        return log_error_errno(-EBADMSG, "Backup %s names a disk no VM may have.", id);
                }
                _cleanup_free_ char *file = strjoin(disk, ".qcow2"), *path = vm_state_path(x->name, file);
                text_buffer_printf(&b, "\n[disk.%s]\npath = %s\nformat = qcow2\n", disk, path);
        }
        _cleanup_free_ char *text = text_buffer_take(&b), *override = strjoin(dropins, "/" RESTORED_DROPIN);
        _cleanup_close_ int fd = open(override, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        r = fd < 0 ? -errno : fd_write_all(fd, text, strlen(text));
        if (r >= 0 && fsync(fd) < 0)
                r = -errno;
        if (fd >= 0)
                strv_push(&x->made, override);
        if (r < 0)
                return log_error_errno(r, "Cannot write %s: %m", override);
        return 0;
}

/* Whether the restored files, as the generator reads them, make a VM that can run beside the others, with
 * every disk of the backup where the restore writes it: a drop-in of the backup's sorting after the
 * restore's could point one at another VM's disk. */
static int check_disk_paths(Restore *x, json_object *disks) {
        _cleanup_vm_set_ VmSet set = {};
        VmEntry *e;
        int r = vms_load_one(x->ctl, x->name, &set, &e);
        if (r != CTL_EXIT_OK)
                return log_error_errno(-EBADMSG, "VM %s: the restored files do not make a VM.", x->name);
        if (e->errors.n > 0) {
                /* Its own file's errors, or a clash with another VM (the same MAC or address, say). */
                vm_entry_log_errors(e);
                return log_error_errno(-EBADMSG, "VM %s: the restored files do not make a VM that can run beside "
                                       "the others (above). Destroy the VM the backup is of first, or restore it "
                                       "under its own name.", x->name);
        }
        for (size_t i = 0; i < json_object_array_length(disks); i++) {
                const char *id = backup_manifest_string(json_object_array_get_idx(disks, i), "id");
                _cleanup_free_ char *file = strjoin(id, ".qcow2"), *want = vm_state_path(x->name, file);
                const DiskConfig *d = NULL;
                for (size_t k = 0; k < e->config.n_disks; k++)
                        if (streq(e->config.disks[k].id, id))
                                d = &e->config.disks[k];
                if (!d || !streq(d->path, want) || d->format != DISK_FORMAT_QCOW2 || d->readonly || d->shareable)
                        return log_error_errno(-EBADMSG, "VM %s: its restored files put disk '%s' elsewhere than %s "
                                               "(a drop-in of the backup overrides " RESTORED_DROPIN ").", x->name, id,
                                               want);
        }
        return 0;
}

/* The new VM's users (qemu-vm-account@NAME, which the generator now knows of) and its state directory,
 * as its start would make it. */
static int make_vm_home(Restore *x, RunAs *ret) {
        _cleanup_bus_ sd_bus *bus = NULL;
        _cleanup_free_ char *account = vm_unit_name_of(VM_UNIT_ACCOUNT, x->name), *result = NULL,
                            *state = vm_state_dir(x->name);
        char user[VM_USER_NAME_MAX];
        int r = bus_open_system(&bus);
        if (r >= 0)
                r = manager_reload(bus);
        if (r >= 0)
                r = unit_job(bus, "StartUnit", account, true, qmp_now_ms() + 60000, &result);
        if (r < 0 || !streq_ptr(result, "done"))
                return log_error_errno(r < 0 ? r : -EIO, "VM %s: %s did not make its users (%s).", x->name, account,
                                       result ?: "no job");
        vm_user_name(x->name, user);
        struct passwd *pw = getpwnam(user);
        if (!pw)
                return log_error_errno(-ESRCH, "VM %s has no user %s.", x->name, user);
        *ret = (RunAs) { pw->pw_uid, pw->pw_gid };
        if (mkdir(state, 0750) < 0)
                return log_error_errno(-errno, "Cannot create %s: %m", state);
        strv_push(&x->made_foreign, state);
        if (chown(state, pw->pw_uid, pw->pw_gid) < 0)
                return log_error_errno(-errno, "Cannot give %s to %s: %m", state, user);
        return 0;
}

/* The new VM's TPM state directory, as swtpm@NAME would make it, for the backup's state to go into. */
static int make_tpm_dir(Restore *x) {
        _cleanup_free_ char *dir = vm_tpm_state_dir(x->name);
        char user[VM_USER_NAME_MAX];
        vm_tpm_user_name(x->name, user);
        struct passwd *pw = getpwnam(user);
        if (!pw)
                return log_error_errno(-ESRCH, "VM %s has no TPM user %s: its restored file has no [tpm].", x->name,
                                       user);
        if (mkdir(dir, 0700) < 0)
                return log_error_errno(-errno, "Cannot create %s: %m", dir);
        strv_push(&x->made_foreign, dir);
        if (chown(dir, pw->pw_uid, pw->pw_gid) < 0)
                return log_error_errno(-errno, "Cannot give %s to %s: %m", dir, user);
        return 0;
}

/* Whether the backup's NVRAM and TPM state are among its files, checked: a manifest names them apart. */
static int check_state_listed(json_object *m, json_object *tpm) {
        json_object *files = NULL, *nvram = NULL, *entry;
        json_object_object_get_ex(m, BACKUP_KEY_FILES, &files);
        json_object_object_get_ex(m, VM_STATE_KEY_NVRAM, &nvram);
        bool listed = !json_object_get_boolean(nvram) || json_object_object_get_ex(files, "nvram.fd", &entry);
        for (size_t i = 0; listed && i < qmp_array_length(tpm); i++) {
                _cleanup_free_ char *name = strjoin("tpm/", json_object_get_string(json_object_array_get_idx(tpm, i)));
                listed = json_object_object_get_ex(files, name, &entry);
        }
        return listed ? 0 : log_error_errno(-EBADMSG, "The backup's manifest names NVRAM or TPM state it holds no "
                                            "checked file of.");
}

/* Copies the backup's file DIR/NAME (root's) to DEST in the new VM's directory, its user's: qemu-img reads
 * it there as that user. At most SIZE bytes, what the manifest recorded and the check found. */
static int copy_for_user(const char *dir, const char *name, const char *dest, uint64_t size, const RunAs *as) {
        _cleanup_close_ int from = -1, to = -1;
        int r = backup_file_open(dir, name, &from);
        if (r < 0)
                return r;
        if ((to = open(dest, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)) < 0)
                r = -errno;
        if (r >= 0 && fchown(to, as->uid, as->gid) < 0)
                r = -errno;
        if (r >= 0)
                r = fd_copy_max(from, to, size);
        if (r < 0)
                return log_error_errno(r, "Cannot copy %s/%s to %s: %m", dir, name, dest);
        return 0;
}

/* The image qemu-img reads: FILES[0] backed by FILES[1] and so on, the last one backed by nothing,
 * whatever their headers say. */
static char *chain_spec(const Strv *files) {
        json_object *node = NULL;
        for (size_t i = files->n; i > 0; i--) {
                json_object *o = json_object_new_object(), *file = json_object_new_object();
                json_object_object_add(file, "driver", json_object_new_string("file"));
                json_object_object_add(file, "filename", json_object_new_string(files->items[i - 1]));
                json_object_object_add(o, "driver", json_object_new_string("qcow2"));
                json_object_object_add(o, "file", file);
                json_object_object_add(o, "backing", node);
                node = o;
        }
        char *text = strjoin("json:", json_object_to_json_string_ext(node, JSON_C_TO_STRING_PLAIN |
                                                                                JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(node);
        return text;
}

/* The size the manifest M records for its file NAME; -1 when it records none. */
static int64_t recorded_size(json_object *m, const char *name) {
        json_object *files = NULL, *entry = NULL, *size = NULL;
        json_object_object_get_ex(m, BACKUP_KEY_FILES, &files);
        if (!json_object_object_get_ex(files, name, &entry) || !json_object_object_get_ex(entry, "size", &size))
                return -1;
        return json_object_get_int64(size);
}

/* Disk DISK flattened from every backup of the chain into the new VM's DISK.qcow2. */
static int restore_disk(Restore *x, const char *disk, const RunAs *as) {
        _cleanup_free_ char *file = backup_disk_file(disk), *name = strjoin(disk, ".qcow2"),
                            *dest = vm_state_path(x->name, name), *error = NULL;
        _cleanup_strv_ Strv copies = {};
        int r = 0;

        for (size_t k = 0; r >= 0 && k < json_object_array_length(x->chain); k++) {
                json_object *m = chain_at(x, k);
                const char *id = backup_manifest_string(m, BACKUP_KEY_ID);
                int64_t size = recorded_size(m, file);
                if (size < 0)
                        return log_error_errno(-EBADMSG, "Backup %s holds no %s.", id, file);
                _cleanup_free_ char *dir = strjoin(x->vm_dir, "/", id), *copy = xasprintf("%s.restore-%zu", dest, k);
                r = copy_for_user(dir, file, copy, (uint64_t) size, as);
                strv_push(&copies, copy);
        }
        _cleanup_free_ char *spec = chain_spec(&copies);
        char *argv[] = { (char *) QEMU_VM_QEMU_IMG, (char *) "convert", (char *) "-q", (char *) "-O", (char *) "qcow2",
                         spec, dest, NULL };
        if (r >= 0 && (r = run_program(argv, as, QEMU_IMG_CONVERT_TIMEOUT_MS, NULL, &error)) < 0)
                log_error("VM %s: restoring disk '%s' failed: %s", x->name, disk, error);
        for (size_t k = 0; k < copies.n; k++)
                (void) unlink(copies.items[k]);
        return r;
}

/* Removes the entries of DIR, which another user owns, by name in it (a subdirectory swapped for a link
 * is no way out of it: none is descended into), then DIR. */
static void remove_flat(const char *dir) {
        int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
        if (!d && fd >= 0)
                close(fd);
        for (struct dirent *e; d && (e = readdir(d));)
                if (!streq(e->d_name, ".") && !streq(e->d_name, "..") && unlinkat(fd, e->d_name, 0) < 0 &&
                    unlinkat(fd, e->d_name, AT_REMOVEDIR) < 0)
                        log_warning("Cannot remove %s/%s: %m", dir, e->d_name);
        if (d)
                closedir(d);
        if (rmdir(dir) < 0 && errno != ENOENT)
                log_warning("Cannot remove %s: %m", dir);
}

/* Removes what the restore made, the newest first, and lets systemd forget the VM again. */
static void undo(Restore *x) {
        for (size_t i = x->made_foreign.n; i > 0; i--)
                remove_flat(x->made_foreign.items[i - 1]);
        for (size_t i = x->made.n; i > 0; i--)
                if (record_tree_remove(x->made.items[i - 1]) < 0)
                        log_warning("Cannot remove %s: %m", x->made.items[i - 1]);
        _cleanup_bus_ sd_bus *bus = NULL;
        if (x->made.n > 0 && bus_open_system(&bus) >= 0)
                (void) manager_reload(bus);
}

int backup_restore(const Ctl *ctl, const char *dir, const char *new_name, json_object **ret) {
        Restore x = { .ctl = ctl };
        _cleanup_free_ char *canonical = realpath(dir, NULL), *backup_dir = NULL;
        _cleanup_strv_ Strv kept = {};
        json_object *m = NULL, *disks = NULL, *tpm = NULL;
        RunAs as;

        int r = canonical ? backup_path_is_roots(canonical) : log_error_errno(-errno, "Cannot use %s: %m", dir);
        if (r >= 0) {
                _cleanup_free_ char *copy = xstrdup(canonical);
                x.vm_dir = xstrdup(dirname(copy));
                r = check_roots_alone(x.vm_dir);
        }
        if (r >= 0)
                r = check_roots_alone(canonical);
        if (r >= 0)
                r = load_chain(&x, canonical);
        if (r >= 0) {
                m = chain_at(&x, 0);
                x.old_name = backup_manifest_string(m, BACKUP_KEY_VM);
                x.name = new_name ?: x.old_name;
                backup_dir = strjoin(x.vm_dir, "/", backup_manifest_string(m, BACKUP_KEY_ID));
                json_object_object_get_ex(m, BACKUP_KEY_DISKS, &disks);
                json_object_object_get_ex(m, VM_STATE_KEY_TPM, &tpm);
                r = check_state_listed(m, tpm);
        }
        if (r >= 0)
                r = check_new(&x);
        if (r >= 0)
                r = restore_config(&x);
        if (r >= 0)
                r = check_disk_paths(&x, disks);
        if (r >= 0)
                r = make_vm_home(&x, &as);
        for (size_t i = 0; r >= 0 && i < json_object_array_length(disks); i++)
                r = restore_disk(&x, backup_manifest_string(json_object_array_get_idx(disks, i), "id"), &as);
        if (r >= 0 && tpm)
                r = make_tpm_dir(&x);
        if (r >= 0)
                r = vm_state_copy_restore(x.name, backup_dir, m, &kept);
        if (r < 0) {
                undo(&x);
                log_error("Nothing of backup %s was restored.", dir);
        } else {
                json_object *report = json_object_new_object(), *chain = json_object_new_array();
                json_object_object_add(report, "vm", json_object_new_string(x.name));
                json_object_object_add(report, "from", json_object_new_string(x.old_name));
                for (size_t k = json_object_array_length(x.chain); k > 0; k--)
                        json_object_array_add(chain, json_object_new_string(backup_manifest_string(chain_at(&x, k - 1),
                                                                                             BACKUP_KEY_ID)));
                json_object_object_add(report, "chain", chain);
                json_object_object_add(report, BACKUP_KEY_DISKS, json_object_get(disks));
                json_object_object_add(report, VM_STATE_KEY_NVRAM,
                                       json_object_get(json_object_object_get(m, VM_STATE_KEY_NVRAM)));
                json_object_object_add(report, VM_STATE_KEY_TPM, json_object_get(tpm));
                *ret = report;
        }
        json_object_put(x.chain);
        free(x.vm_dir);
        strv_clear(&x.made);
        strv_clear(&x.made_foreign);
        return r;
}
