/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* qemu-vmctl's side of a running VM's QEMU guest agent ([agent]): /run/qemu-vm/NAME/agent.sock, which
 * QEMU serves and the guest answers through. One connection per call, no daemon. What the agent says
 * is read by lib/guest-info.h, untrusted. */

#include <json-c/json.h>

#include "config.h"
#include "guest-info.h"

/* Connects and synchronises within timeout_ms. -ENOENT: the VM is not running; -ETIMEDOUT: no agent
 * answers; another negative errno otherwise. Logs nothing. */
int vm_agent_connect(const char *vm, int timeout_ms, QmpClient *q);

/* Why vm_agent_connect() failed, in words. */
char *vm_agent_error(const char *vm, int r);

/* Connects, synchronises and asks (guest_info_get()), all within timeout_ms. On failure returns a
 * negative errno with *ret_error saying why (printable); *ret is then empty. */
int vm_guest_info(const char *vm, int timeout_ms, GuestInfo *ret, char **ret_error);

/* What the agent said, as JSON: host_name, os, agent_version, interfaces (name, mac, addresses, and
 * nic: the [net.ID] whose MAC the interface has, or null). */
json_object *guest_info_json(const VmConfig *c, const GuestInfo *g);

/* The guest's addresses with their prefix lengths on the VM's NIC with this MAC, comma-separated (""
 * when none, or the NIC has no MAC), link-local ones left out: "10.77.0.40/24,fd00::28/64". */
char *guest_addresses_of(const GuestInfo *g, const NicMac *mac);

/* The same as text, labels right-aligned in 10 columns as in `qemu-vmctl status`. Interfaces without
 * an address, and lo, are left out. */
void guest_info_print(const VmConfig *c, const GuestInfo *g);
