/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Completing and checking what goes into a VM's cloud-init seed: [cloud-init], [user.NAME] and the
 * static addresses of its [net.ID] sections. The files these name (keys, user-data) are read only by
 * qemu-vm-prepare-root, at each start: at boot the generator runs before most filesystems are mounted. */

#include "config.h"

/* The seed's cdrom in QEMU ("cdrom-cidata"); no [cdrom.cidata] may take it. */
#define CLOUD_INIT_CDROM_ID "cidata"

/* Appends every problem to errors. Runs after the NICs are resolved. */
void cloud_init_resolve(VmConfig *c, ConfigErrors *errors);
