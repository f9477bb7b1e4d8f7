/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The complete QEMU command line of a resolved VmConfig: what ExecStart= runs and what
 * `qemu-vmctl show` prints. Values from the config are escaped for QEMU here (commas doubled);
 * escaping for the unit file is the generator's job. */

#include "config.h"
#include "strv.h"

void qemu_argv_build(const VmConfig *c, Strv *ret);

/* QEMU's names for a disk: its block node ("disk-ID": -drive id=, blockdev-add node-name) and its device
 * ("dev-disk-ID"). qemu-vmctl attach-disk gives a hot-plugged disk the same, so that IDs never clash. */
char *qemu_disk_node_name(const char *disk_id);
char *qemu_disk_device_id(const char *disk_id);

/* The IDs of the empty PCIe root ports on q35: hotplug0, hotplug1, ... (qemu-vmctl attach-disk). */
#define QEMU_VM_HOTPLUG_PORT_PREFIX "hotplug"
