/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Making a snapshot: the disks' part (ctl/snapshot-disks.h) and the NVRAM and TPM state (root's record,
 * ctl/snapshot-store.h), all or nothing. A stopped VM through qemu-img as its own user; a running one
 * through its QEMU: disks and memory (snapshot-save, the guest paused meanwhile), or with disk_only its
 * disks alone in one transaction, paused for an instant and its file systems frozen by its guest agent
 * when one answers. */

#include <json-c/json.h>

#include "config.h"
#include "snapshot-disks.h"
#include "vm-lock.h"

/* Makes snapshot SNAP of the VM, which the caller holds (ctl/vm-lock.h) in state HOLD, of DISKS.
 * Returns 0 with its manifest in *ret; or, having logged why and left nothing of it, a negative errno:
 * -EEXIST when the name is taken (by qemu-vmctl's record or a disk). */
int snapshot_create(const VmConfig *c, const char *snap, bool disk_only, VmHold hold, SnapshotDisks *disks,
                    json_object **ret);
