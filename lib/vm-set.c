/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>

#include "config-parse.h"
#include "config-resolve.h"
#include "console-ports.h"
#include "disk-sharing.h"
#include "names.h"
#include "host-unique.h"
#include "vm-set.h"

int vm_load(VmConfig *c, const char *dir, const char *name, const char *path, bool check_name,
            const char *defaults_file, ConfigErrors *errors) {
        vm_config_init(c, name, path);
        if (check_name && !vm_name_is_valid(name))
                config_errors_add(errors, path, 0,
                                  "invalid VM name '%s': use lowercase letters, digits, '-' and '_', at most %d, "
                                  "starting with a letter or digit", name, VM_NAME_MAX);
        if (vm_config_load(c, dir, defaults_file, errors) >= 0 && errors->n == 0)
                vm_config_resolve(c, errors);
        return errors->n > 0 ? -EINVAL : 0;
}

static int conf_filter(const struct dirent *d) {
        return d->d_name[0] != '.' && endswith(d->d_name, ".conf") && strlen(d->d_name) > strlen(".conf");
}

/* strcmp(), not the locale's collation: the order decides console ports, which must not depend on
 * who runs the generator with which LANG. */
static int name_order(const struct dirent **a, const struct dirent **b) {
        return strcmp((*a)->d_name, (*b)->d_name);
}

int vm_set_load(VmSet *set, const char *dir, const char *defaults_file) {
        assert(set && dir);
        struct dirent **entries;
        int n;

        *set = (VmSet) {};
        n = scandir(dir, &entries, conf_filter, name_order);
        if (n < 0)
                return errno == ENOENT ? 0 : -errno;

        set->items = xcalloc((size_t) n, sizeof(VmEntry));
        for (int i = 0; i < n; i++) {
                VmEntry *e = &set->items[set->n++];
                _cleanup_free_ char *name = xstrndup(entries[i]->d_name, strlen(entries[i]->d_name) - strlen(".conf"));
                _cleanup_free_ char *path = xasprintf("%s/%s", dir, entries[i]->d_name);

                e->valid_alone = vm_load(&e->config, dir, name, path, true, defaults_file, &e->errors) >= 0;
                free(entries[i]);
        }
        free(entries);

        vm_set_check_between(set);
        return 0;
}

void vm_set_check_between(VmSet *set) {
        console_ports_assign(set);
        host_claims_check(set);
        disk_sharing_check(set);
}

void vm_set_free(VmSet *set) {
        for (size_t i = 0; i < set->n; i++) {
                vm_config_free(&set->items[i].config);
                config_errors_clear(&set->items[i].errors);
        }
        free(set->items);
        *set = (VmSet) {};
}
