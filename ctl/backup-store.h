/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A VM's backups in a directory of root's, DIR/NAME/ID/, ID the UTC time it began (20261207T231500Z, so
 * that names sort as times do). Each holds manifest.json; disks/DISK.qcow2, an incremental's backed by
 * its parent's through a relative path (../../PARENT/disks/DISK.qcow2), so DIR may move; config/, every
 * file the VM's configuration was read from under its own path (config/etc/qemu/vms/NAME.conf, its
 * drop-ins); nvram.fd and tpm/ (ctl/vm-state-copy.h). A backup is made as a draft
 * (ctl/record-dir.h): one cut short by a full disk, a killed process or a stopped VM is never listed. */

#include <json-c/json.h>
#include <stdbool.h>
#include <sys/types.h>

#include "config.h"
#include "record-dir.h"
#include "strv.h"

/* The manifest's keys. */
#define BACKUP_KEY_VM "vm"
#define BACKUP_KEY_ID "id"
#define BACKUP_KEY_CREATED "created"            /* seconds since the epoch */
#define BACKUP_KEY_KIND "kind"                  /* BACKUP_KIND_* */
#define BACKUP_KEY_PARENT "parent"              /* an incremental's parent ID; null for a full one */
#define BACKUP_KEY_CONSISTENCY "consistency"    /* in words: what state of the guest the disks hold */
#define BACKUP_KEY_FREEZE_MS "freeze_ms"        /* how long the guest's file systems were frozen */
#define BACKUP_KEY_DISKS "disks"                /* [{ "id", "path", "file", "virtual_size" }] */
#define BACKUP_KEY_FILES "files"                /* { FILE: { "size", "sha256" } }: every file but the manifest */

#define BACKUP_KIND_FULL "full"
#define BACKUP_KIND_INCREMENTAL "incremental"

#define BACKUP_DISKS_DIR "disks"
#define BACKUP_CONFIG_DIR "config"

/* "20261207T231500Z" */
#define BACKUP_ID_MAX 16

/* DIR/NAME, made (mode 0700) when absent. DIR must exist and be a directory of root's: it holds what
 * root copies out of every VM. Logs failures. */
int backup_vm_dir(const char *to, const char *vm, char **ret);

/* Starts a backup in VM_DIR under an ID neither there nor in TAKEN (the IDs of backups elsewhere whose
 * bitmaps the disks hold), with its disks/ and config/ directories. */
int backup_draft_begin(const char *vm_dir, const Strv *taken, char id[BACKUP_ID_MAX + 1], RecordDraft *ret);

/* Copies every file the VM's configuration was read from (c->files) into the draft's config/. */
int backup_save_config(const RecordDraft *d, const VmConfig *c);

/* Records every file of the draft, its size and SHA-256, in the manifest (BACKUP_KEY_FILES). */
int backup_record_files(const RecordDraft *d, json_object *manifest);

/* The string under KEY of a manifest (or of one of its objects, a disk's); NULL when there is none. */
const char *backup_manifest_string(json_object *m, const char *key);

/* Whether NAME has the form of a backup's ID. */
bool backup_id_is_valid(const char *name);

/* The manifest of the complete backup in DIR (VM_DIR/ID), checked: -ENOENT when there is none, -EBADMSG
 * for a broken one. */
int backup_load(const char *dir, json_object **ret);

/* Opens DIR/NAME, a file of a backup in DIR, for reading: NAME below DIR (from a manifest, so checked),
 * no link on the way, a regular file of root's with one name. Logs why not. */
int backup_file_open(const char *dir, const char *name, int *ret_fd);

/* Whether DIR/NAME is the file the manifest's ENTRY ({ "size", "sha256" }) records. Logs why not. */
int backup_file_check(const char *dir, const char *name, json_object *entry);

/* Whether every directory from / down to PATH (canonical) is root's and only root may change what it
 * holds (or, like /tmp, it is sticky and the next one down is root's): no other user can swap a
 * directory of the way for a link while root writes or reads there. Logs why not: -EPERM. */
int backup_path_is_roots(const char *path);

/* The complete backups in VM_DIR, their manifests oldest first (an empty array when there are none). */
int backup_list(const char *vm_dir, json_object **ret);

/* The file a disk's backup is in, relative to the backup: disks/ID.qcow2. */
char *backup_disk_file(const char *disk_id);
