/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Completing a parsed VmConfig: defaults that depend on other keys (disk paths, MACs, UUID, firmware)
 * and the checks that need the whole VM (duplicates, combinations). */

#include "config.h"

/* Appends every problem to errors; the VM is usable only when none was added. */
void vm_config_resolve(VmConfig *c, ConfigErrors *errors);
