/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What must be unique among all VMs on the host: NIC MAC addresses, tap device names, console ports
 * (whatever their address), and the host ports of user-mode forwards, also against console ports. A
 * clash is an error in each VM involved, naming the other's file and line, so the outcome does not
 * depend on which file came first. Only VMs whose own files have no errors take part. Sorting keeps
 * this O(n log n) in the number of claims. Runs after console_ports_assign(). */

#include "vm-set.h"

void host_claims_check(VmSet *set);
