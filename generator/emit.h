/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the generator writes for one VM: the qemu-vm@NAME.service drop-in, and the machines.target
 * link when autostart is on. */

#include <stdio.h>

#include "config.h"
#include "vm-set.h"

#define VM_DROPIN_NAME "50-qemu-vm.conf"

/* What the generator writes for one loaded VM: emit_vm() when it has no errors, else logs them and,
 * when its name can be a unit instance name, emit_broken_vm(). Returns -EINVAL for a VM with errors. */
int emit_vm_entry(const char *dir, const VmEntry *e, FILE *dry_run);

/* For a resolved, error-free VM. */
int emit_vm(const char *dir, const VmConfig *c, FILE *dry_run);

/* For a VM whose files have errors: a drop-in whose start fails at once and prints them, so that
 * `systemctl start` and `systemctl status` show the problem rather than "Unit not found". */
int emit_broken_vm(const char *dir, const char *name, const char *source_path, const ConfigErrors *errors,
                   FILE *dry_run);
