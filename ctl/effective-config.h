/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A resolved VmConfig as data: every section and key of the schema (lib/config-schema.c) after
 * defaults and drop-ins, each written by its key's formatter. `qemu-vmctl show` prints it as INI (a file
 * that gives the same VM) or as JSON. */

#include <json-c/json.h>
#include <stdio.h>

#include "config.h"

/* { "vm": { "memory": "2G", ... }, "disk.root": { ... }, ... }: every key of the schema, booleans,
 * numbers and strings as JSON types (log_max in bytes), unset optional keys and the keys of a section
 * that is off as null, repeated keys (extra_args, forward) as arrays. */
json_object *effective_config_build(const VmConfig *c);

/* The same as INI: unset keys left out, lists as one line per element. */
void effective_config_print_ini(const VmConfig *c, FILE *f);
