/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Root's record of a VM's snapshots: /var/lib/qemu-vm-snapshots/NAME/SNAP/ (lib/paths.h) holds
 * manifest.json, what the snapshot covers, and copies of the VM's NVRAM (nvram.fd) and TPM state
 * (tpm/), which no qcow2 disk can hold. The disks hold their part themselves (internal snapshots).
 * A snapshot is made as a draft (ctl/record-dir.h): one cut short is never listed. */

#include <json-c/json.h>

#include "record-dir.h"
#include "strv.h"
#include "vm-state-copy.h"

/* The manifest's keys. */
#define SNAPSHOT_KEY_NAME "name"
#define SNAPSHOT_KEY_CREATED "created"          /* seconds since the epoch */
#define SNAPSHOT_KEY_KIND "kind"                /* SNAPSHOT_KIND_* */
#define SNAPSHOT_KEY_CONSISTENCY "consistency"  /* in words: what state of the guest the disks hold */
#define SNAPSHOT_KEY_FREEZE_MS "freeze_ms"      /* how long the guest's file systems were frozen */
#define SNAPSHOT_KEY_DISKS "disks"              /* [{ "id", "path", "file": "DEVICE:INODE" }] */
#define SNAPSHOT_KEY_NVRAM VM_STATE_KEY_NVRAM   /* ctl/vm-state-copy.h */
#define SNAPSHOT_KEY_TPM VM_STATE_KEY_TPM

/* What a snapshot holds. */
#define SNAPSHOT_KIND_DISKS "disks"             /* the disks' contents */
#define SNAPSHOT_KIND_DISKS_RAM "disks+ram"     /* and the running VM's memory and devices (snapshot-save) */

/* Starts snapshot SNAP of VM (ctl/record-dir.h): -EEXIST when it exists. Logs failures. The NVRAM and
 * TPM state are copied into draft->dir (ctl/vm-state-copy.h). */
int snapshot_draft_begin(const char *vm, const char *snap, RecordDraft *ret);

/* The manifest of snapshot SNAP, checked: -ENOENT when there is none, -EBADMSG for a broken one. */
int snapshot_store_load(const char *vm, const char *snap, json_object **ret);

/* The manifests of every snapshot of the VM, oldest first (an empty array when it has none). */
int snapshot_store_list(const char *vm, json_object **ret);

/* Whether the snapshot's NVRAM and TPM state can be put back: its copies are there, and so are the
 * VM's directories (or, for the TPM state, the place to make one). Logs what is missing. */
int snapshot_store_check_restorable(const char *vm, const char *snap, json_object *manifest);

/* Puts the snapshot's NVRAM and TPM state back in place of the VM's. What the snapshot has no copy of
 * (a VM that had no TPM then) is kept as it is, and named in *kept. Logs failures. */
int snapshot_store_restore_vm_files(const char *vm, const char *snap, json_object *manifest, Strv *kept);

/* Removes the snapshot's record. */
int snapshot_store_remove(const char *vm, const char *snap);

/* A new manifest of snapshot SNAP of the disks ids (at paths), made now; kind and consistency follow. */
json_object *snapshot_manifest_new(const char *snap, const Strv *ids, const Strv *paths);
void snapshot_manifest_set(json_object *m, const char *kind, const char *consistency);

/* Whether disk i of the manifest is the VM's disk ID at PATH, the very file (the same device and inode
 * as when the snapshot was made). */
bool snapshot_manifest_disk_is(json_object *m, size_t i, const char *id, const char *path);

/* The manifest's disk IDs, in order. */
void snapshot_manifest_disk_ids(json_object *manifest, Strv *ret);
