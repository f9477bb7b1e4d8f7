/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A resolved VmConfig as data: every section and key after defaults and drop-ins, in the order
 * qemu-vm.conf(5) lists them. `qemu-vmctl show` prints it as INI (a file that would give the same VM)
 * or as JSON. */

#include <json-c/json.h>
#include <stdio.h>

#include "config.h"

/* { "vm": { "memory": "2G", ... }, "disk.root": { ... }, ... }: booleans, numbers and strings as JSON
 * types, unset optional keys as null, repeated keys (extra_args, forward) as arrays. */
json_object *effective_config_build(const VmConfig *c);

/* The same as INI: null keys left out, arrays as one line per element. */
void effective_config_print_ini(json_object *sections, FILE *f);
