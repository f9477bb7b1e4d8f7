/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "escape.h"
#include "paths.h"
#include "sandbox.h"

static bool under(const char *path, const char *dir) {
        size_t n = strlen(dir);
        return strncmp(path, dir, n) == 0 && path[n] == '/';
}

/* Every file QEMU or qemu-vm-prepare opens that the config names. */
static void collect_images(const VmConfig *c, Strv *paths) {
        for (size_t i = 0; i < c->n_disks; i++) {
                strv_push(paths, c->disks[i].path);
                if (c->disks[i].backing)
                        strv_push(paths, c->disks[i].backing);
        }
        for (size_t i = 0; i < c->n_cdroms; i++)
                strv_push(paths, c->cdroms[i].path);
        const char *others[] = { c->kernel, c->initrd, c->firmware_code, c->firmware_vars };
        for (size_t i = 0; i < ELEMENTSOF(others); i++)
                if (others[i])
                        strv_push(paths, others[i]);
}

static bool any_under(const Strv *paths, const char *const *dirs) {
        for (size_t i = 0; i < paths->n; i++)
                for (const char *const *d = dirs; *d; d++)
                        if (under(paths->items[i], *d))
                                return true;
        return false;
}

void sandbox_write(TextBuffer *b, const VmConfig *c) {
        static const char *const home_dirs[] = { "/home", "/root", "/run/user", NULL };
        static const char *const tmp_dirs[] = { "/tmp", "/var/tmp", NULL };
        Strv images = {};

        collect_images(c, &images);
        for (size_t i = 0; i < c->n_disks; i++) {
                const DiskConfig *d = &c->disks[i];
                if (d->readonly || vm_path_in_state_dir(c->name, d->path))
                        continue;
                /* The file alone, never its directory, which other VMs' disks may share: a missing disk
                 * is made by root before (ExecStartPre=+qemu-vm-prepare-root --owner). '-': a missing path is
                 * not systemd's "226/NAMESPACE" but qemu-vm-prepare's clear error. */
                _cleanup_free_ char *escaped = unit_specifier_escape(d->path);
                text_buffer_printf(b, "ReadWritePaths=-%s\n", escaped);
        }
        if (any_under(&images, home_dirs))
                text_buffer_puts(b, "ProtectHome=read-only\n");
        if (any_under(&images, tmp_dirs))
                text_buffer_puts(b, "PrivateTmp=no\n");
        if (!vm_has_user_nic(c)) {
                /* QEMU opens taps through /dev/net/tun: local sockets are all it needs. */
                text_buffer_puts(b, "RestrictAddressFamilies=\nRestrictAddressFamilies=AF_UNIX\nIPAddressDeny=any\n");
        }
        strv_clear(&images);
}
