/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The configured VMs as the generator sees them: every file loaded and resolved together (console
 * ports and host-wide rules span VMs), so what qemu-vmctl shows is what the generator wrote. */

#include "ctl.h"
#include "vm-set.h"

/* Loads every VM; logs and returns a negative errno when the directory cannot be read. */
int vms_load(const Ctl *ctl, VmSet *ret);

/* Loads every VM and finds NAME among them. Returns CTL_EXIT_OK with *ret pointing into *set (the caller
 * frees the set), or, having logged why and freed the set, CTL_EXIT_FAILED or CTL_EXIT_NO_SUCH_VM. */
int vms_load_one(const Ctl *ctl, const char *name, VmSet *set, VmEntry **ret);

/* The same, for a command that works on the VM's disks: a VM whose file has errors is refused
 * (CTL_EXIT_REFUSED, its errors logged). */
int vms_load_one_whole(const Ctl *ctl, const char *name, VmSet *set, VmEntry **ret);

/* The first problem in a broken VM's files, formatted "FILE:LINE: message" (caller frees). */
char *vm_entry_first_error(const VmEntry *e);

/* Writes each error of a broken VM to stderr, "FILE:LINE: message". */
void vm_entry_log_errors(const VmEntry *e);

/* The other VM whose disks, backing files or cdroms include the file at path, or NULL. Compared by
 * device and inode, so no symbolic link or ".." hides a shared image. */
const char *vm_file_user(const VmSet *set, const VmConfig *self, const char *path);
