/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Stable identities for a VM that no file spells out: its SMBIOS UUID and its NICs' MAC addresses. */

#include <stdint.h>

#include "parse-value.h"

#define UUID_STRING_MAX 37
#define TAP_IFNAME_MAX 16
/* sysusers.d(5) takes user names of at most 31 characters. */
#define VM_USER_NAME_MAX 32

/* A name-based (SHA-1) UUID of the VM's name in this project's namespace: the same on every host and
 * across reinstalls, so guests that license or inventory by UUID keep theirs. */
void vm_uuid_from_name(const char *vm_name, char ret[UUID_STRING_MAX]);

/* A locally administered, unicast MAC, stable for this host, VM and NIC: derived from /etc/machine-id
 * through sd_id128_get_machine_app_specific(), as systemd-nspawn does. QEMU_VM_MACHINE_ID (32 hex
 * digits) replaces the host's ID, for tests and for previewing another host's output.
 * Returns 0 or a negative errno (no machine ID). */
int vm_mac_derive(const char *vm_name, const char *nic_id, MacAddress *ret);

/* 02:00 followed by the four bytes of an IPv4 address (OpenNebula's scheme): locally administered,
 * unicast, and the same wherever the address is. */
void vm_mac_from_ipv4(const uint8_t ip[4], MacAddress *ret);

/* The host's tap device for the VM's NIC at position INDEX (below 100; a VM has at most 64 NICs):
 * "vm-NAME-INDEX" when that fits in 15 bytes, else "vm" + 8 hex digits of the name's FNV-1a hash +
 * "-INDEX". Stable, and unique on the host unless two long names share a hash, which the generator
 * reports (host-unique.c). */
void vm_tap_ifname(const char *vm_name, unsigned index, char ret[TAP_IFNAME_MAX]);

/* The user and group the VM's QEMU and unprivileged helpers run as, made by qemu-vm-account@NAME:
 * "vm-NAME" when that fits in 31 characters, else "vm-" + the name's first 19 characters + "-" + 8 hex
 * digits of its FNV-1a hash. One per VM, so that no VM can open another's files, sockets or taps. */
void vm_user_name(const char *vm_name, char ret[VM_USER_NAME_MAX]);

/* The user and group of the VM's TPM emulator (swtpm@NAME), also made by qemu-vm-account@NAME when the VM
 * has [tpm]: "tpm-NAME", or "tpm-" + the first 18 characters + "-" + the hash. One per VM, apart from the
 * VM's own: no swtpm reads another VM's TPM state, and a compromised QEMU does not read its own. */
void vm_tpm_user_name(const char *vm_name, char ret[VM_USER_NAME_MAX]);

/* The tap's own MAC: the guest's with the first byte fe (fa when the guest's starts with fe), as
 * libvirt does: never the guest's own, which the bridge would then deliver to the host, and high, so
 * that a bridge (which takes the lowest MAC of its ports as its address) never takes a tap's. */
void tap_mac_from_guest(const MacAddress *guest_mac, MacAddress *ret);
