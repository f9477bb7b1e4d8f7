/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The files and directories of one VM that qemu-vm makes, besides the disks its file names (lib/paths.h
 * says where each is): what `qemu-vmctl destroy` removes. Whatever the VM's file says now: a seed or an
 * NVRAM made while it had [cloud-init] or UEFI is the VM's all the same. */

#include "strv.h"

typedef struct VmOwnedPaths {
        Strv files;             /* single files: NVRAM, cloud-init seed, serial log and its rotated copy */
        Strv whole_dirs;        /* directories owned with all they hold, files only: the TPM state */
        Strv root_trees;        /* root's own, with all they hold at any depth: the snapshots */
        Strv dirs;              /* removed once empty, after the rest: the state and log directories */
} VmOwnedPaths;

void vm_owned_paths(const char *vm, VmOwnedPaths *ret);
void vm_owned_paths_clear(VmOwnedPaths *p);
