/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Image files used by several VMs: disks, cdroms and backing files. QEMU locks images, so a second
 * VM on another's writable disk would fail at start; worse, without the lock (another host over
 * NFS) two writers corrupt it. Several VMs may use one file when none of them writes it, or when
 * every one of them has it shareable = yes (a raw image for a cluster file system). Otherwise one VM
 * keeps the file: the VM in whose state directory it lies, else the one whose name sorts first. The
 * others are refused, each naming the keeper's file and line. Only VMs whose own files have no
 * errors take part. */

#include "vm-set.h"

void disk_sharing_check(VmSet *set);
