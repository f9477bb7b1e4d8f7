/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The serial console's log, bounded: QEMU writes it into a FIFO (its logfile=), and a child that
 * qemu-vm-prepare forks before it becomes QEMU appends what arrives to the log file, renaming it to
 * LOG.1 (replacing the older one) whenever it reaches max bytes. A guest that prints without end
 * takes at most two files of max bytes. The child runs as the VM's user in the VM's unit and sandbox,
 * and ends when QEMU closes the FIFO (QEMU's end). */

#include <stdint.h>

/* Makes the FIFO anew and forks the logger. Returns 0 or a negative errno, logged. */
int serial_log_start(const char *fifo, const char *log, uint64_t max);
