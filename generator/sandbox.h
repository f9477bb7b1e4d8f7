/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The VM's own part of the sandbox of units/qemu-vm@.service: what the template cannot know. Writable
 * disks outside the state directory (ReadWritePaths=), images under /home or /tmp (which the template
 * hides), and no IP sockets for a VM without a user-mode NIC. config-resolve.c refuses writable disk
 * paths that a path list cannot hold. */

#include "config.h"
#include "text-buffer.h"

/* Writes the [Service] lines; nothing for a VM the template fits as it is. */
void sandbox_write(TextBuffer *b, const VmConfig *c);
