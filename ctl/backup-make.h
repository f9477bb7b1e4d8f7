/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Making a backup (ctl/backup-store.h) of a VM the caller holds (ctl/vm-lock.h).
 *
 * A running VM, with no downtime, through its QEMU: one transaction starts a blockdev-backup job per disk
 * (copy-before-write: each copies its disk as it was at that instant) and adds to each disk a persistent
 * dirty bitmap, qemu-vm-backup-ID, which records every later write, in the qcow2 file, across stops and
 * reboots. The next backup copies only what the bitmap of the latest backup marks (sync=bitmap) into a
 * qcow2 backed by that backup's; without such a bitmap on every disk, it is a full one and says why.
 * The guest agent, when one answers, freezes the file systems around the transaction. The targets are
 * root's files, handed to QEMU as descriptors (add-fd): QEMU's sandbox reaches no backup directory.
 *
 * A stopped VM through qemu-img convert, run as the VM's own user and writing to a descriptor root
 * opened: whole disks (qemu-img copies no bitmap's changes alone); the bitmaps are then set so that the
 * next live backup is incremental again.
 *
 * What QEMU and qemu-img write into a backup is the VM's to choose: root opens a backup image only as
 * plain qcow2 without its backing file, and never follows what its header names. */

#include <json-c/json.h>
#include <stdbool.h>

#include "config.h"
#include "snapshot-disks.h"
#include "vm-lock.h"

/* Backs up DISKS (ctl/snapshot-disks.h, DISKS_FOR_BACKUP) of the VM, held in state HOLD, into
 * TO/NAME/ID; incremental unless FULL or impossible. Returns 0 with the manifest in *ret; or, having
 * logged why and left no backup (the VM runs on unharmed), a negative errno. */
int backup_make(const VmConfig *c, VmHold hold, SnapshotDisks *disks, const char *to, bool full,
                json_object **ret);

/* Removes the record of changes (our bitmaps) from the stopped VM's disks, as the user AS, before their
 * contents change behind the bitmaps' back (a snapshot's revert): the next backup is then a full one.
 * Logs failures. */
int backup_forget_changes(const char *vm, const SnapshotDisks *disks, const RunAs *as);
