/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <sys/stat.h>

#include "log.h"
#include "vms.h"

int vms_load(const Ctl *ctl, VmSet *ret) {
        int r = vm_set_load(ret, ctl->config_dir, ctl->defaults_file);
        if (r < 0)
                return log_error_errno(r, "Cannot read '%s': %m", ctl->config_dir);
        return 0;
}

int vms_load_one(const Ctl *ctl, const char *name, VmSet *set, VmEntry **ret) {
        if (vms_load(ctl, set) < 0)
                return CTL_EXIT_FAILED;
        for (size_t i = 0; i < set->n; i++)
                if (streq(set->items[i].config.name, name)) {
                        *ret = &set->items[i];
                        return CTL_EXIT_OK;
                }
        log_error("No VM '%s': there is no %s.conf in the configuration directory.", name, name);
        vm_set_free(set);
        return CTL_EXIT_NO_SUCH_VM;
}

int vms_load_one_whole(const Ctl *ctl, const char *name, VmSet *set, VmEntry **ret) {
        int r = vms_load_one(ctl, name, set, ret);
        if (r != CTL_EXIT_OK || (*ret)->valid_alone)
                return r;
        vm_entry_log_errors(*ret);
        log_error("VM %s: its file has errors, so its disks are unknown. Fix the file first.", name);
        return CTL_EXIT_REFUSED;
}

char *vm_entry_first_error(const VmEntry *e) {
        return e->errors.n > 0 ? config_error_format(&e->errors.items[0]) : NULL;
}

void vm_entry_log_errors(const VmEntry *e) {
        for (size_t i = 0; i < e->errors.n; i++) {
                _cleanup_free_ char *text = config_error_format(&e->errors.items[i]);
                log_error("%s", text);
        }
}

const char *vm_file_user(const VmSet *set, const VmConfig *self, const char *path) {
        struct stat st, other;

        if (stat(path, &st) < 0)
                return NULL;
        for (size_t i = 0; i < set->n; i++) {
                const VmConfig *c = &set->items[i].config;
                if (c == self)
                        continue;
                for (size_t k = 0; k < c->n_disks; k++)
                        for (int b = 0; b < 2; b++) {
                                const char *f = b ? c->disks[k].backing : c->disks[k].path;
                                if (f && stat(f, &other) == 0 && other.st_dev == st.st_dev && other.st_ino == st.st_ino)
                                        return c->name;
                        }
                for (size_t k = 0; k < c->n_cdroms; k++)
                        if (c->cdroms[k].path && stat(c->cdroms[k].path, &other) == 0 && other.st_dev == st.st_dev &&
                            other.st_ino == st.st_ino)
                                return c->name;
        }
        return NULL;
}
