/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fuzz target: the generator's whole path from file text to unit text, in memory. The input is up to
 * four files separated by NUL bytes: the main files of VMs "vm-a" and "vm-b", then a drop-in of each.
 * Every file is parsed, each VM resolved, the rules between VMs applied, and the drop-ins of every VM
 * (or the error drop-in of a broken one) written to /dev/null. Built for libFuzzer with -Dfuzz=true;
 * fuzz-standalone.c runs it over files in the fast suite. */

#include <stdint.h>

#include "config-parse.h"
#include "config-resolve.h"
#include "emit.h"
#include "log.h"
#include "vm-set.h"

#define FUZZ_FILES_MAX 4

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        (void) argc;
        (void) argv;
        /* What the fixtures use: no /etc/machine-id read per input, firmware from tests/firmware. */
        setenv("QEMU_VM_MACHINE_ID", "0123456789abcdef0123456789abcdef", 0);
        setenv("QEMU_VM_FIRMWARE_DIR", FUZZ_FIRMWARE_DIR, 0);
        log_set_max_level(-1);
        return 0;
}

/* Splits data at NUL bytes into at most FUZZ_FILES_MAX strings; the last one takes the rest. */
static size_t split_files(const uint8_t *data, size_t size, char *files[FUZZ_FILES_MAX]) {
        size_t n = 0, start = 0;

        for (size_t i = 0; i <= size && n < FUZZ_FILES_MAX; i++)
                if (i == size || (data[i] == '\0' && n < FUZZ_FILES_MAX - 1)) {
                        files[n++] = xstrndup((const char *) data + start, i - start);
                        start = i + 1;
                }
        return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static const char *const names[] = { "vm-a", "vm-b" };
        char *files[FUZZ_FILES_MAX] = {};
        VmEntry entries[2] = {};
        VmSet set = { .items = entries };
        size_t n_files;

        if (size > 64 * 1024)   /* CONFIG_FILE_MAX applies to each file, long inputs only slow the fuzzer */
                return 0;
        n_files = split_files(data, size, files);
        set.n = n_files > 1 ? 2 : 1;

        for (size_t i = 0; i < set.n; i++) {
                _cleanup_free_ char *path = xasprintf("/etc/qemu/vms/%s.conf", names[i]);
                vm_config_init(&entries[i].config, names[i], path);
        }
        for (size_t k = 0; k < n_files; k++) {
                VmEntry *e = &entries[k % 2];
                _cleanup_free_ char *path = k < 2 ? xstrdup(e->config.source_path)
                                                  : xasprintf("/etc/qemu/vms/%s.conf.d/50-fuzz.conf", e->config.name);
                vm_config_parse_text(&e->config, path, files[k], false, &e->errors);
        }
        for (size_t i = 0; i < set.n; i++) {
                VmEntry *e = &entries[i];
                if (e->errors.n == 0 && !e->config.has_vm_section)
                        config_errors_add(&e->errors, e->config.source_path, 0, "no [vm] section");
                if (e->errors.n == 0)
                        vm_config_resolve(&e->config, &e->errors);
                e->valid_alone = e->errors.n == 0;
        }
        vm_set_check_between(&set);

        FILE *sink = fopen("/dev/null", "we");
        if (!sink)
                abort();
        for (size_t i = 0; i < set.n; i++)
                (void) emit_vm_entry("/run/systemd/generator", &entries[i], sink);
        fclose(sink);

        for (size_t i = 0; i < set.n; i++) {
                vm_config_free(&entries[i].config);
                config_errors_clear(&entries[i].errors);
        }
        for (size_t k = 0; k < n_files; k++)
                free(files[k]);
        return 0;
}
