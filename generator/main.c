/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-vm-generator: turns /etc/qemu/vms/NAME.conf into qemu-vm@NAME.service drop-ins.
 * See systemd.generator(7) and man/qemu-vm-generator.8. */

#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <sys/stat.h>

#include "emit.h"
#include "log.h"
#include "paths.h"
#include "vm-set.h"

static const char *config_dir(void) {
        return getenv("QEMU_VM_CONFIG_DIR") ?: QEMU_VM_CONFIG_DIR;
}

/* The site defaults file, or NULL when there is none; looked up once, not once per VM. */
static const char *defaults_file(void) {
        static int exists = -1;
        const char *path = getenv("QEMU_VM_DEFAULTS") ?: QEMU_VM_DEFAULTS_FILE;

        if (exists < 0)
                exists = access(path, F_OK) == 0;
        return exists ? path : NULL;
}

static int run(const char *out_dir, FILE *dry_run) {
        const char *dir = config_dir();
        VmSet set;
        int r;

        r = vm_set_load(&set, dir, defaults_file());
        if (r < 0)
                return log_error_errno(r, "Failed to read '%s': %m", dir);
        for (size_t i = 0; i < set.n; i++) {
                vm_config_warn_readable_secrets(&set.items[i].config);
                int k = emit_vm_entry(out_dir, &set.items[i], dry_run);
                if (k < 0 && r == 0)
                        r = k;
        }
        vm_set_free(&set);
        return r;
}

/* --check FILE...: what Ansible's validate: calls on a temporary file. A file whose name does not
 * end in ".conf" is checked without the name rule. Each file is checked on its own: clashes with
 * other VMs (console ports) show at the next daemon-reload. */
static int check_files(char **files, int n) {
        int r = 0;

        for (int i = 0; i < n; i++) {
                _cleanup_free_ char *copy = xstrdup(files[i]), *copy2 = xstrdup(files[i]);
                const char *base = basename(copy), *dir = dirname(copy2);
                bool is_conf = endswith(base, ".conf") && strlen(base) > strlen(".conf");
                _cleanup_free_ char *name = is_conf ? xstrndup(base, strlen(base) - strlen(".conf")) : xstrdup("check");
                ConfigErrors errors = {};
                VmConfig c;

                if (vm_load(&c, dir, name, files[i], is_conf, defaults_file(), &errors) < 0) {
                        config_errors_log(&errors, "");
                        r = -EINVAL;
                } else
                        vm_config_warn_readable_secrets(&c);
                config_errors_clear(&errors);
                vm_config_free(&c);
        }
        return r;
}

static void help(void) {
        printf("Usage: qemu-vm-generator NORMAL_DIR [EARLY_DIR LATE_DIR]\n"
               "       qemu-vm-generator --dry-run\n"
               "       qemu-vm-generator --check FILE...\n\n"
               "Turns %s/NAME.conf into qemu-vm@NAME.service drop-ins.\n\n"
               "  --dry-run     print every file it would write, write nothing\n"
               "  --check       validate the given files, print only errors\n"
               "  -h --help     show this help\n\n"
               "Environment: QEMU_VM_CONFIG_DIR, QEMU_VM_DEFAULTS, QEMU_VM_FIRMWARE_DIR, QEMU_VM_MACHINE_ID.\n",
               QEMU_VM_CONFIG_DIR);
}

int main(int argc, char *argv[]) {
        enum { ARG_DRY_RUN = 0x100, ARG_CHECK };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "dry-run", no_argument, NULL, ARG_DRY_RUN },
                { "check", no_argument, NULL, ARG_CHECK },
                {}
        };
        bool dry_run = false, check = false;
        int c, r;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_DRY_RUN:
                        dry_run = true;
                        break;
                case ARG_CHECK:
                        check = true;
                        break;
                default:
                        return 2;
                }

        umask(0022);
        if (check) {
                log_setup("qemu-vm-generator", false);
                if (optind >= argc) {
                        log_error("--check needs at least one file");
                        return 2;
                }
                return check_files(argv + optind, argc - optind) < 0 ? 1 : 0;
        }
        if (dry_run) {
                log_setup("qemu-vm-generator", false);
                return run("/run/systemd/generator", stdout) < 0 ? 1 : 0;
        }

        int n_dirs = argc - optind;
        if (n_dirs != 1 && n_dirs != 3) {
                log_error("Expected one or three output directories, got %d.", n_dirs);
                return 2;
        }
        /* systemd passes three directories; then nobody reads stderr during boot, so use the kernel log too. */
        log_setup("qemu-vm-generator", n_dirs == 3);
        r = run(argv[optind], NULL);
        return r < 0 ? 1 : 0;
}
