/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Restoring a backup (ctl/backup-store.h) as a VM of its own, which must not exist yet: its file and
 * drop-ins in the configuration directory, each disk flattened from the backup's chain (full, then each
 * incremental) into the VM's state directory, its NVRAM and TPM state. Every file of the chain is first
 * checked against its manifest's checksum. Nothing existing is ever overwritten: a name whose file,
 * state or TPM directory exists is refused, and a failure removes what the restore made.
 *
 * What the backup's disk images hold is what a VM's QEMU wrote: root copies them byte for byte into the
 * new VM's directory, and qemu-img reads them as the new VM's user, on a backing chain built from the
 * manifests, never from the images' headers. */

#include <json-c/json.h>

#include "ctl.h"

/* Restores the backup in DIR as VM NEW_NAME (NULL: the backed-up VM's name). Returns 0 with a report in
 * *ret (the new VM's name, the backups of the chain, what was restored); or, having logged why,
 * -EEXIST (the VM exists), -EBADMSG (the backup is damaged) or another negative errno. */
int backup_restore(const Ctl *ctl, const char *dir, const char *new_name, json_object **ret);
