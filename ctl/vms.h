/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The configured VMs as the generator sees them: every file loaded and resolved together (console
 * ports and host-wide rules span VMs), so what qemu-vmctl shows is what the generator wrote. */

#include "ctl.h"
#include "vm-set.h"

/* Loads every VM; logs and returns a negative errno when the directory cannot be read. */
int vms_load(const Ctl *ctl, VmSet *ret);

/* Finds NAME in the set; logs "No VM 'NAME'" and returns NULL when it is not configured. */
VmEntry *vms_find(VmSet *set, const char *name);

/* The first problem in a broken VM's files, formatted "FILE:LINE: message" (caller frees). */
char *vm_entry_first_error(const VmEntry *e);

/* Writes each error of a broken VM to stderr, "FILE:LINE: message". */
void vm_entry_log_errors(const VmEntry *e);
