/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* qemu-img create, for qemu-vm-prepare: the disks it makes in the VM's state directory (as the VM's
 * user) and those it makes as root elsewhere (disk-outside.c), where qemu-img still runs as that user. */

#include <sys/types.h>

typedef struct DiskRequest {
        const char *path;
        const char *format;     /* NULL: the disk must already exist */
        const char *size;       /* bytes, or NULL to take the backing file's size */
        const char *backing;
        const char *backing_format;
} DiskRequest;

/* The user qemu-img runs as when the caller is root; NULL: as the caller. */
typedef struct RunAs {
        uid_t uid;
        gid_t gid;
} RunAs;

/* Runs qemu-img create for D into TARGET (a temporary name, or /proc/self/fd/N). Returns 0, or a
 * negative errno with qemu-img's last line of error output in *ret_error. */
int qemu_img_create(const DiskRequest *d, const char *target, const RunAs *as, char **ret_error);
