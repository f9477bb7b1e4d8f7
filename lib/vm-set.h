/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Every VM of a configuration directory, loaded together: some rules span VMs (console ports, and
 * anything else that must be unique on the host), so no VM is final until all have been read. */

#include "config.h"

typedef struct VmEntry {
        VmConfig config;        /* name and source_path are always set */
        ConfigErrors errors;    /* the VM is usable only when this is empty */
        bool valid_alone;       /* no errors in its own files: it takes part in the rules between VMs */
} VmEntry;

typedef struct VmSet {
        VmEntry *items;         /* sorted by name, byte by byte */
        size_t n;
} VmSet;

/* Reads and resolves one VM from PATH (its drop-ins from DIR/NAME.conf.d). With check_name, NAME must
 * be a valid VM name. Returns 0 when usable, -EINVAL when errors were added. */
int vm_load(VmConfig *c, const char *dir, const char *name, const char *path, bool check_name,
            const char *defaults_file, ConfigErrors *errors);

/* Loads DIR/ *.conf, each VM on its own, then applies the rules between VMs. A missing DIR is an empty
 * set. Returns -errno when DIR cannot be read. */
int vm_set_load(VmSet *set, const char *dir, const char *defaults_file);

/* The rules between VMs, over entries already loaded (vm_set_load() ends with it): assigns console
 * ports and adds an error to each VM that claims what another one does or uses another's disk. */
void vm_set_check_between(VmSet *set);

void vm_set_free(VmSet *set);
#define _cleanup_vm_set_ _cleanup_(vm_set_free)
