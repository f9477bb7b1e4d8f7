/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A guest on a user-mode NIC reaches the host's own addresses through 10.0.2.2: QEMU connects to them
 * for it, as the VM's user. libslirp's host-loopback switch is not exposed by QEMU 7.2, and
 * IPAddressDeny= would also cut the forwards, whose host clients come from 127.0.0.1. So root loads
 * a table of nftables rules for the VM's user: no new connection of that user to an address of the
 * host, but for DNS (QEMU's resolver for the guest may be the host's own); replies of the forwards
 * are not new connections and pass. The uid is the VM's alone, so the rules touch no other process;
 * the table stays until reboot (each start loads it anew), matching the uid that stays too. */

#include "config.h"
#include "strv.h"

/* The nft command line that loads the table for VM C's USER. */
void loopback_guard_argv(const VmConfig *c, const char *user, Strv *v);
