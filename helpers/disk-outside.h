/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Disks outside the VM's state directory, for qemu-vm-prepare-root --owner (ExecStartPre=+): the VM's
 * user may not write their directory (the unit names the file alone in ReadWritePaths=), so root makes a
 * missing one, owned by that user, with qemu-img run as that user. Root follows no link on the way. */

#include <pwd.h>

#include "qemu-img.h"

/* Makes D if it is missing (never touches an existing file but to re-own it, below) and gives it to PW.
 * A disk still owned by LEGACY_UID (the one user all VMs shared before they had a user each; -1: none)
 * is re-owned to PW once. Returns 0 or a negative errno, logged. */
int disk_outside_ensure(const DiskRequest *d, const struct passwd *pw, uid_t legacy_uid);
