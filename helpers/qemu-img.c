/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>

#include "config-schema.h"
#include "log.h"
#include "meson-config.h"
#include "parse-value.h"
#include "qemu-img.h"
#include "strv.h"
#include "util.h"

int qemu_img_create(const DiskRequest *d, const char *target, const RunAs *as, char **ret_error) {
        Strv argv = {};

        strv_push(&argv, QEMU_VM_QEMU_IMG);
        strv_push(&argv, "create");
        strv_push(&argv, "-q");
        strv_push(&argv, "-f");
        strv_push(&argv, d->format);
        if (d->backing) {
                strv_push(&argv, "-b");
                strv_push(&argv, d->backing);
                strv_push(&argv, "-F");
                strv_push(&argv, d->backing_format ?: config_key_default(SECTION_DISK, "backing_format"));
        }
        strv_push(&argv, target);
        if (d->size)
                strv_push(&argv, d->size);

        /* Root made the file; the image in it is made with the VM user's rights alone, so a backing file
         * that user cannot read is refused as it would be in QEMU. */
        int r = run_program(argv.items, as, 0, NULL, ret_error);
        strv_clear(&argv);
        return r;
}

int disk_request_option(int option, const char *value, DiskRequest *disks, size_t *n_disks) {
        static const char *const names[] = { "disk", "format", "size", "backing", "backing-format" };
        DiskRequest *last = *n_disks > 0 ? &disks[*n_disks - 1] : NULL;
        uint64_t size;

        if (option == DISK_OPTION_DISK) {
                disks[(*n_disks)++].path = value;
                return 0;
        }
        if (!last) {
                log_error("--%s must follow --disk.", names[option - DISK_OPTION_DISK]);
                return -EINVAL;
        }
        switch (option) {
        case DISK_OPTION_FORMAT: last->format = value; break;
        case DISK_OPTION_SIZE:
                if (parse_uint_range(value, 1, UINT64_MAX, &size) < 0) {
                        log_error("Invalid --size '%s'.", value);
                        return -EINVAL;
                }
                last->size = value;
                break;
        case DISK_OPTION_BACKING: last->backing = value; break;
        default: last->backing_format = value; break;
        }
        return 0;
}
