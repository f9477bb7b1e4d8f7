/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "paths.h"
#include "vm-files.h"

void vm_owned_paths(const char *vm, VmOwnedPaths *ret) {
        assert(vm && ret);
        _cleanup_free_ char *log = vm_serial_log_path(vm);

        *ret = (VmOwnedPaths) {};
        strv_consume(&ret->files, vm_nvram_path(vm));           /* qemu-vm-prepare, from the template */
        strv_consume(&ret->files, vm_seed_path(vm));            /* qemu-vm-prepare-root --cloud-init-seed */
        strv_push(&ret->files, log);                            /* qemu-vm-serial-log */
        strv_consume(&ret->files, serial_log_rotated_path(log));
        strv_consume(&ret->whole_dirs, vm_tpm_state_dir(vm));  /* swtpm@NAME's StateDirectory= */
        strv_consume(&ret->root_trees, vm_snapshot_dir(vm));    /* qemu-vmctl snapshot */
        strv_consume(&ret->dirs, vm_state_dir(vm));             /* qemu-vm@NAME's StateDirectory= */
        strv_consume(&ret->dirs, vm_log_dir(vm));               /* its LogsDirectory= */
}

void vm_owned_paths_clear(VmOwnedPaths *p) {
        strv_clear(&p->files);
        strv_clear(&p->whole_dirs);
        strv_clear(&p->root_trees);
        strv_clear(&p->dirs);
}
