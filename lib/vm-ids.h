/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Stable identities for a VM that no file spells out: its SMBIOS UUID and its NICs' MAC addresses. */

#define UUID_STRING_MAX 37
#define MAC_STRING_MAX 18

/* A name-based (SHA-1) UUID of the VM's name in this project's namespace: the same on every host and
 * across reinstalls, so guests that license or inventory by UUID keep theirs. */
void vm_uuid_from_name(const char *vm_name, char ret[UUID_STRING_MAX]);

/* A locally administered, unicast MAC, stable for this host, VM and NIC: derived from /etc/machine-id
 * through sd_id128_get_machine_app_specific(), as systemd-nspawn does. QEMU_VM_MACHINE_ID (32 hex
 * digits) replaces the host's ID, for tests and for previewing another host's output.
 * Returns 0 or a negative errno (no machine ID). */
int vm_mac_derive(const char *vm_name, const char *nic_id, char ret[MAC_STRING_MAX]);
