/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <json-c/json.h>

#include "firmware.h"
#include "strv.h"

static bool json_array_has_string(json_object *array, const char *s) {
        size_t n = json_object_is_type(array, json_type_array) ? json_object_array_length(array) : 0;

        for (size_t i = 0; i < n; i++) {
                const char *v = json_object_get_string(json_object_array_get_idx(array, i));
                if (v && streq(v, s))
                        return true;
        }
        return false;
}

static json_object *json_path(json_object *o, const char *a, const char *b) {
        json_object *x = NULL, *y = NULL;

        if (!json_object_object_get_ex(o, a, &x))
                return NULL;
        if (!b)
                return x;
        return json_object_object_get_ex(x, b, &y) ? y : NULL;
}

/* "q35" and "pc" are aliases of versioned types; descriptors list globs of the versioned names. */
static bool machine_matches(json_object *targets, const char *machine) {
        const char *versioned = streq(machine, "q35") ? "pc-q35-latest" :
                                streq(machine, "pc") ? "pc-i440fx-latest" : machine;
        size_t n = json_object_is_type(targets, json_type_array) ? json_object_array_length(targets) : 0;

        for (size_t i = 0; i < n; i++) {
                json_object *t = json_object_array_get_idx(targets, i);
                const char *arch = json_object_get_string(json_path(t, "architecture", NULL));
                json_object *machines = json_path(t, "machines", NULL);
                if (!arch || !streq(arch, "x86_64") || !machines)
                        continue;
                for (size_t j = 0; j < json_object_array_length(machines); j++) {
                        const char *glob = json_object_get_string(json_object_array_get_idx(machines, j));
                        if (glob && fnmatch(glob, versioned, 0) == 0)
                                return true;
                }
        }
        return false;
}

static bool descriptor_fits(json_object *d, Firmware firmware, const char *machine) {
        json_object *features = json_path(d, "features", NULL);
        const char *device = json_object_get_string(json_path(d, "mapping", "device"));
        bool secure = json_array_has_string(features, "secure-boot");
        bool smm = json_array_has_string(features, "requires-smm");

        /* We hand QEMU raw pflash images; some distributions also describe qcow2 builds. */
        const char *code_format =
                json_object_get_string(json_path(json_path(d, "mapping", "executable"), "format", NULL));
        const char *vars_format =
                json_object_get_string(json_path(json_path(d, "mapping", "nvram-template"), "format", NULL));

        if (!json_array_has_string(json_path(d, "interface-types", NULL), "uefi") ||
            !device || !streq(device, "flash") || !machine_matches(json_path(d, "targets", NULL), machine) ||
            (code_format && !streq(code_format, "raw")) || (vars_format && !streq(vars_format, "raw")))
                return false;
        /* Confidential-computing builds need a matching host and machine setup. */
        if (json_array_has_string(features, "amd-sev-es") || json_array_has_string(features, "intel-tdx"))
                return false;
        if (firmware == FIRMWARE_UEFI_SECURE)
                return secure && smm;
        return !secure && !smm;
}

static int descriptor_files(Strv *ret) {
        const char *override = getenv("QEMU_VM_FIRMWARE_DIR");
        const char *const defaults[] = { FIRMWARE_DESCRIPTOR_DIRS };
        const char *const *dirs = override ? &override : defaults;
        size_t n_dirs = override ? 1 : ELEMENTSOF(defaults);
        Strv names = {};

        for (size_t i = 0; i < n_dirs; i++) {
                struct dirent **entries;
                int n = scandir(dirs[i], &entries, NULL, alphasort);
                for (int j = 0; j < n; j++) {
                        const char *name = entries[j]->d_name;
                        if (endswith(name, ".json") && name[0] != '.' && !strv_contains(&names, name)) {
                                strv_push(&names, name);
                                strv_pushf(ret, "%s/%s", dirs[i], name);
                        }
                        free(entries[j]);
                }
                if (n >= 0)
                        free(entries);
        }
        /* Priority is by file name across all directories. */
        for (size_t i = 1; i < ret->n; i++)
                for (size_t j = i; j > 0; j--) {
                        const char *a = strrchr(ret->items[j - 1], '/'), *b = strrchr(ret->items[j], '/');
                        if (strcmp(a, b) <= 0)
                                break;
                        char *t = ret->items[j - 1];
                        ret->items[j - 1] = ret->items[j];
                        ret->items[j] = t;
                }
        strv_clear(&names);
        return 0;
}

static int firmware_from_descriptors(Firmware firmware, const char *machine, char **ret_code, char **ret_vars) {
        Strv files = {};
        int r = -ENOENT;

        descriptor_files(&files);
        for (size_t i = 0; i < files.n && r < 0; i++) {
                json_object *d = json_object_from_file(files.items[i]);
                if (!d)
                        continue;
                const char *code =
                        json_object_get_string(json_path(json_path(d, "mapping", "executable"), "filename", NULL));
                const char *vars =
                        json_object_get_string(json_path(json_path(d, "mapping", "nvram-template"), "filename", NULL));
                if (descriptor_fits(d, firmware, machine) && code && vars &&
                    access(code, R_OK) == 0 && access(vars, R_OK) == 0) {
                        *ret_code = xstrdup(code);
                        *ret_vars = xstrdup(vars);
                        r = 0;
                }
                json_object_put(d);
        }
        strv_clear(&files);
        return r;
}

static int firmware_find_uncached(Firmware firmware, const char *machine, char **ret_code, char **ret_vars) {
        static const struct {
                Firmware firmware;
                const char *code, *vars;
        } well_known[] = {
                { FIRMWARE_UEFI, "/usr/share/OVMF/OVMF_CODE_4M.fd", "/usr/share/OVMF/OVMF_VARS_4M.fd" },
                { FIRMWARE_UEFI_SECURE, "/usr/share/OVMF/OVMF_CODE_4M.secboot.fd",
                  "/usr/share/OVMF/OVMF_VARS_4M.ms.fd" },
        };

        if (firmware_from_descriptors(firmware, machine, ret_code, ret_vars) == 0)
                return 0;
        if (getenv("QEMU_VM_FIRMWARE_DIR"))
                return -ENOENT;
        for (size_t i = 0; i < ELEMENTSOF(well_known); i++)
                if (well_known[i].firmware == firmware &&
                    access(well_known[i].code, R_OK) == 0 && access(well_known[i].vars, R_OK) == 0) {
                        *ret_code = xstrdup(well_known[i].code);
                        *ret_vars = xstrdup(well_known[i].vars);
                        return 0;
                }
        return -ENOENT;
}

/* The generator asks once per VM; most VMs ask the same question, and parsing every descriptor each
 * time would dominate its run time. */
int firmware_find(Firmware firmware, const char *machine, char **ret_code, char **ret_vars) {
        static struct {
                Firmware firmware;
                char *machine, *code, *vars;
                int r;
        } cache[8];
        static size_t n_cache;

        for (size_t i = 0; i < n_cache; i++)
                if (cache[i].firmware == firmware && streq(cache[i].machine, machine)) {
                        if (cache[i].r < 0)
                                return cache[i].r;
                        *ret_code = xstrdup(cache[i].code);
                        *ret_vars = xstrdup(cache[i].vars);
                        return 0;
                }

        int r = firmware_find_uncached(firmware, machine, ret_code, ret_vars);
        if (n_cache < ELEMENTSOF(cache)) {
                cache[n_cache++] = (typeof(cache[0])) {
                        .firmware = firmware, .machine = xstrdup(machine), .r = r,
                        .code = r >= 0 ? xstrdup(*ret_code) : NULL, .vars = r >= 0 ? xstrdup(*ret_vars) : NULL,
                };
        }
        return r;
}
