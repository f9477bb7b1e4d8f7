/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* qemu-img create, for both prepare programs: the disks qemu-vm-prepare makes in the VM's state directory
 * (as the VM's user) and those qemu-vm-prepare-root makes elsewhere (disk-outside.c), where qemu-img still
 * runs as that user. */

#include "run-program.h"

typedef struct DiskRequest {
        const char *path;
        const char *format;     /* NULL: the disk must already exist */
        const char *size;       /* bytes, or NULL to take the backing file's size */
        const char *backing;
        const char *backing_format;
} DiskRequest;

/* The options that describe disks, as both qemu-vm-prepare and qemu-vm-prepare-root take them: --disk
 * PATH, then --format, --size, --backing and --backing-format for the last --disk. */
enum {
        DISK_OPTION_DISK = 0x300, DISK_OPTION_FORMAT, DISK_OPTION_SIZE, DISK_OPTION_BACKING, DISK_OPTION_BACKING_FORMAT
};
#define DISK_REQUEST_OPTIONS                                                                                           \
        { "disk", required_argument, NULL, DISK_OPTION_DISK },                                                         \
        { "format", required_argument, NULL, DISK_OPTION_FORMAT },                                                     \
        { "size", required_argument, NULL, DISK_OPTION_SIZE },                                                         \
        { "backing", required_argument, NULL, DISK_OPTION_BACKING },                                                   \
        { "backing-format", required_argument, NULL, DISK_OPTION_BACKING_FORMAT }
#define IS_DISK_OPTION(c) ((c) >= DISK_OPTION_DISK && (c) <= DISK_OPTION_BACKING_FORMAT)

/* Takes one of those options into disks, which has room for one per argument. Logs and returns -EINVAL
 * for an option before the first --disk or a --size that is not a number of bytes from 1. */
int disk_request_option(int option, const char *value, DiskRequest *disks, size_t *n_disks);

/* Runs qemu-img create for D into TARGET (a temporary name, or /proc/self/fd/N). Returns 0, or a
 * negative errno with qemu-img's last line of error output in *ret_error. */
int qemu_img_create(const DiskRequest *d, const char *target, const RunAs *as, char **ret_error);
