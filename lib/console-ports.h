/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Ports of the browser consoles (novnc@NAME), one per VM with [vnc], unique on the host.
 *
 * Explicit ports are taken as given; host-unique.c then reports two VMs with the same one (or a
 * forward on it), in both VMs. Auto ports also avoid the TCP host ports of user-mode forwards.
 * "port = auto" picks from CONSOLE_PORT_AUTO_FIRST..CONSOLE_PORT_AUTO_LAST: first every auto VM, in
 * name order, tries its own port, FIRST + (FNV-1a hash of the name) mod the range's size; then those
 * whose port was taken or blocked by browsers take the next free port upwards (wrapping around), again
 * in name order. Only VMs whose own files have no errors take part. The result depends only on the set
 * of files, never on the order they are read in or on the locale; man/qemu-vm.conf.5 says when a port
 * can change. */

#include "vm-set.h"

#define CONSOLE_PORT_AUTO_FIRST 6080
#define CONSOLE_PORT_AUTO_LAST 7079

/* The port a VM named NAME tries first with "port = auto". */
unsigned console_port_preferred(const char *name);

/* An address as it goes into a URL or the socket's ListenStream=: IPv6 in brackets. */
char *console_host_for_url(const char *address);

/* Whether [vnc] listen is 0.0.0.0 or ::, every address of the host. */
bool console_listens_everywhere(const VmConfig *c);

/* The browser console's address, "http://127.0.0.1:6080/vnc.html?autoconnect=true"; "HOST" stands for
 * the host's name when the console listens on every address. NULL without [vnc]. */
char *console_url(const VmConfig *c);

/* Sets vnc.port of every usable VM with [vnc]; adds errors to those that clash. */
void console_ports_assign(VmSet *set);
