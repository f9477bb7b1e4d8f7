/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The disks' part of a snapshot: qcow2 internal snapshots, made, applied, deleted and listed by
 * qemu-img as the VM's own user while the VM is stopped, and by QEMU itself over QMP while it runs.
 * Errors come back in words (printable), for the caller to name the disk. */

#include "config.h"
#include "qmp.h"
#include "run-program.h"
#include "strv.h"
#include "vm-lock.h"
#include "vm-set.h"

/* Saving a guest's memory writes all of it into the first disk; deleting a snapshot frees its clusters. */
#define SNAPSHOT_JOB_TIMEOUT_MS (30 * 60 * 1000)

/* What a snapshot covers: the VM's writable disks, in the order of its file. */
typedef struct SnapshotDisks {
        Strv ids, paths;
        Strv *snapshots;        /* per disk, the snapshots it holds, once read; NULL before */
} SnapshotDisks;

void snapshot_disks_clear(SnapshotDisks *d);

/* What the disks are taken for: the words of a refusal. */
typedef enum DisksPurpose {
        DISKS_FOR_SNAPSHOT,
        DISKS_FOR_BACKUP,
} DisksPurpose;

/* The writable disks. Returns CTL_EXIT_OK, or CTL_EXIT_REFUSED having said (unless quiet) which disk
 * cannot hold an internal snapshot and why: raw, shared with another VM, or none at all. */
int snapshot_disks_of(const VmSet *set, const VmConfig *c, DisksPurpose purpose, bool quiet, SnapshotDisks *ret);

/* The image at PATH as qemu-img opens it, "json:{...}": qcow2, never probed, a plain file (no protocol
 * prefix in the path), and without the backing file its header names: snapshots and changes live in the
 * image itself, and the header is the VM's QEMU's to write. */
char *disk_image_spec(const char *path);

/* qemu-img runs as the VM's own user: its rights on the disks are QEMU's, no more. Logs failures. */
int vm_run_as(const char *vm, RunAs *ret);

/* The running VM's block nodes for the disks, and the snapshots each holds (disks->snapshots). Logs
 * failures. */
int snapshot_disks_nodes(QmpClient *q, const char *vm, SnapshotDisks *disks, Strv *ret_nodes);

/* Reads the snapshots each disk holds into disks->snapshots, as QEMU (running) or qemu-img (stopped)
 * reads them. Logs failures. */
int snapshot_disks_names(const char *vm, VmHold hold, SnapshotDisks *disks);

typedef enum DiskSnapshotOp {
        DISK_SNAPSHOT_CREATE,
        DISK_SNAPSHOT_APPLY,
        DISK_SNAPSHOT_DELETE,
} DiskSnapshotOp;

/* qemu-img snapshot -c|-a|-d SNAP on the stopped VM's qcow2 disk at PATH, as the user AS. */
int disk_snapshot_offline(const char *path, DiskSnapshotOp op, const char *snap, const RunAs *as, char **ret_error);

/* The names of the internal snapshots the qcow2 disk at PATH holds (qemu-img info, as AS). */
int disk_snapshot_names_offline(const char *path, const RunAs *as, Strv *ret, char **ret_error);

/* A running VM's disk [disk.ID] as QEMU has it: its block node, and the names of the snapshots in it. */
int qmp_disk_node(QmpClient *q, const char *disk_id, char **ret_node, Strv *ret_snapshots, char **ret_error);

/* snapshot-save (disks and the VM's memory and devices; the VM pauses meanwhile) or snapshot-delete of
 * SNAP on the block NODES, as a QEMU job, waited for within timeout_ms. vmstate_node: where the memory
 * goes (snapshot-save only). */
int qmp_snapshot_job(QmpClient *q, const char *command, const char *snap, const char *vmstate_node, const Strv *nodes,
                     int timeout_ms, char **ret_error);

/* Internal snapshot SNAP of every node at once (a transaction: all or none). */
int qmp_snapshot_disks(QmpClient *q, const char *snap, const Strv *nodes, char **ret_error);
