/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-vmctl show NAME: the effective configuration after defaults and drop-ins, and the exact QEMU
 * command line, both from the code the generator runs. */

#include "ctl.h"
#include "effective-config.h"
#include "log.h"
#include "qemu-argv.h"
#include "vm-units.h"
#include "vms.h"

/* Quotes an argument for a POSIX shell when it needs it, so the printed command can be pasted. */
static void print_shell_word(const char *s, FILE *f) {
        if (*s && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789,._+:@%/=-") == strlen(s)) {
                fputs(s, f);
                return;
        }
        fputc('\'', f);
        for (; *s; s++)
                if (*s == '\'')
                        fputs("'\\''", f);
                else
                        fputc(*s, f);
        fputc('\'', f);
}

int cmd_show(Ctl *ctl, int argc, char *argv[]) {
        VmEntry *e;
        _cleanup_vm_set_ VmSet set = {};
        int r, exit_code;

        r = ctl_parse_options(ctl, argc, argv, NULL, "show NAME [--json]", NULL, NULL, 1, &exit_code);
        if (r < 0)
                return exit_code;
        exit_code = vms_load_one(ctl, argv[r], &set, &e);
        if (exit_code != CTL_EXIT_OK)
                return exit_code;
        if (e->errors.n > 0) {
                vm_entry_log_errors(e);
                log_error("%s has errors: the generator ignores this VM until they are fixed.", e->config.source_path);
                return CTL_EXIT_REFUSED;
        }

        const VmConfig *c = &e->config;
        _cleanup_strv_ Strv qemu = {};
        qemu_argv_build(c, &qemu);

        if (ctl->json) {
                json_object *doc = json_object_new_object(), *files = json_object_new_array(),
                            *args = json_object_new_array();
                for (size_t i = 0; i < c->files.n; i++)
                        json_object_array_add(files, json_object_new_string(c->files.items[i]));
                for (size_t i = 0; i < qemu.n; i++)
                        json_object_array_add(args, json_object_new_string(qemu.items[i]));
                json_object_object_add(doc, "name", json_object_new_string(c->name));
                json_object_object_add(doc, "files", files);
                json_object_object_add(doc, "config", effective_config_build(c));
                json_object_object_add(doc, "qemu_argv", args);
                ctl_print_json(doc);
        } else {
                printf("# VM %s, from:\n", c->name);
                for (size_t i = 0; i < c->files.n; i++)
                        printf("#   %s\n", c->files.items[i]);
                printf("# Every key after defaults and drop-ins:\n\n");
                effective_config_print_ini(c, stdout);
                _cleanup_free_ char *unit = vm_unit_name(c->name);
                printf("\n# QEMU command line (ExecStart= of %s):\n", unit);
                for (size_t i = 0; i < qemu.n; i++) {
                        print_shell_word(qemu.items[i], stdout);
                        /* An option and its value on one line. */
                        bool option = qemu.items[i][0] == '-' && i + 1 < qemu.n && qemu.items[i + 1][0] != '-';
                        fputs(i + 1 == qemu.n ? "\n" : option ? " " : " \\\n    ", stdout);
                }
        }
        return CTL_EXIT_OK;
}
