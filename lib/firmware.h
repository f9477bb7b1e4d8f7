/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Finding UEFI firmware the way QEMU's own tools do: through the firmware descriptors
 * (docs/interop/firmware.json in QEMU), with the distribution's well-known paths as the fallback. */

#include "config.h"

/* Descriptor directories, later entries overridden by earlier ones of the same file name, as QEMU
 * specifies. QEMU_VM_FIRMWARE_DIR, when set, is used alone (tests). */
#define FIRMWARE_DESCRIPTOR_DIRS "/etc/qemu/firmware", "/usr/share/qemu/firmware"

/* For FIRMWARE_UEFI or FIRMWARE_UEFI_SECURE on an x86_64 machine type, returns the code image and
 * the NVRAM template. Returns -ENOENT when nothing fits. */
int firmware_find(Firmware firmware, const char *machine, char **ret_code, char **ret_vars);
