/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The browser console's secret: a new random token at each start of the VM, in a file of root's
 * (group qemu-vm-console, mode 0640) that websockify's TokenFile plugin reads, mapping the token to
 * the VM's VNC socket. Without it, a connection to the console's port (from a local user, or from a
 * guest) gets nothing of the VM's screen or keyboard. qemu-vm-prepare-root --console-token. */

/* Writes PATH ("TOKEN: unix_socket:SOCKET") anew, atomically. Returns 0 or a negative errno, logged. */
int console_token_write(const char *path, const char *socket);
