/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-vmctl: the admin's command beside systemctl. Talks to systemd over D-Bus (sd-bus) and to QEMU
 * over QMP; reads VM files with the generator's own code (lib/). See man/qemu-vmctl.1. */

#include <getopt.h>
#include <json-c/json.h>

#include "ctl.h"
#include "log.h"
#include "paths.h"
#include "util.h"

static const struct {
        const char *name;
        int (*run)(Ctl *ctl, int argc, char *argv[]);
        const char *synopsis;
} commands[] = {
        { "list", cmd_list, "list                                   every configured VM" },
        { "status", cmd_status, "status NAME                            unit state, QEMU state, uptime, journal" },
        { "show", cmd_show, "show NAME                              effective configuration and QEMU command line" },
        { "keys", cmd_keys,
          "keys                                   every section and key of a VM file, with defaults" },
        { "start", cmd_start, "start NAME [--wait] [--timeout S]      start through systemd" },
        { "stop", cmd_stop, "stop NAME [--wait] [--timeout S]       power down through systemd" },
        { "restart", cmd_restart, "restart NAME [--wait] [--timeout S]    stop (waiting), then start" },
        { "console", cmd_console, "console NAME                           serial console; Ctrl+] detaches" },
        { "destroy", cmd_destroy, "destroy NAME --force [--remove-disks ID,...]  stop and delete the VM" },
        { "attach-disk", cmd_attach_disk, "attach-disk NAME PATH [--id ID] [--readonly] [--format F]  hot-plug" },
        { "detach-disk", cmd_detach_disk, "detach-disk NAME ID                    hot-unplug" },
        { "snapshot", cmd_snapshot,
          "snapshot NAME create [SNAP] [--disk-only] | list | revert SNAP | delete SNAP   disks, NVRAM, TPM state" },
        { "backup", cmd_backup, "backup NAME --to DIR [--full]          live, incremental backup into DIR/NAME/" },
        { "backup-list", cmd_backup_list, "backup-list DIR                        the complete backups in DIR" },
        { "restore", cmd_restore, "restore BACKUP [--as NEWNAME]          a new VM from a backup" },
        { "agent", cmd_agent, "agent NAME ping|info|fsfreeze|fsthaw|fsfreeze-status   the guest agent ([agent])" },
        { "check-host", cmd_check_host, "check-host                             can this host run VMs?" },
};

static void help(void) {
        printf("Usage: qemu-vmctl [--json] COMMAND [ARGS...]\n\n");
        for (size_t i = 0; i < ELEMENTSOF(commands); i++)
                printf("  %s\n", commands[i].synopsis);
        printf("\nOptions of every command:\n"
               "  --json      print one JSON document instead of text\n"
               "  -h --help   show help\n\n"
               "Exit codes: 0 ok, 1 failed, 2 usage, 3 not running, 4 no such VM, 5 refused, 6 timed out,\n"
               "7 check-host warnings. See qemu-vmctl(1).\n");
}

void ctl_print_json(json_object *doc) {
        puts(json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                         JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(doc);
}

static int usage_error(const char *usage, int *ret_exit) {
        fprintf(stderr, "Usage: qemu-vmctl %s\n", usage);
        *ret_exit = CTL_EXIT_USAGE;
        return -1;
}

int ctl_parse_options(Ctl *ctl, int argc, char *argv[], const struct option *extra, const char *usage,
                      int (*handle)(int c, const char *arg, void *userdata), void *userdata, int n_args,
                      int *ret_exit) {
        return ctl_parse_options_range(ctl, argc, argv, extra, usage, handle, userdata, n_args, n_args, ret_exit);
}

int ctl_parse_options_range(Ctl *ctl, int argc, char *argv[], const struct option *extra, const char *usage,
                            int (*handle)(int c, const char *arg, void *userdata), void *userdata, int min_args,
                            int max_args, int *ret_exit) {
        enum { ARG_JSON = 0x1000 };
        struct option options[16] = {
                { "help", no_argument, NULL, 'h' },
                { "json", no_argument, NULL, ARG_JSON },
        };
        size_t n = 2;

        for (const struct option *o = extra; o && o->name; o++) {
                if (n + 1 >= ELEMENTSOF(options))
                        abort();
                options[n++] = *o;
        }
        optind = 0;     /* glibc: 0 re-initialises getopt for a new argv */
        int c;
        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        printf("Usage: qemu-vmctl %s\n", usage);
                        *ret_exit = CTL_EXIT_OK;
                        return -1;
                case ARG_JSON:
                        ctl->json = true;
                        break;
                default:
                        if (c == '?' || !handle || handle(c, optarg, userdata) < 0)
                                return usage_error(usage, ret_exit);
                }
        if (argc - optind >= min_args && argc - optind <= max_args)
                return optind;
        return usage_error(usage, ret_exit);
}


int main(int argc, char *argv[]) {
        Ctl ctl = {
                .config_dir = getenv("QEMU_VM_CONFIG_DIR") ?: QEMU_VM_CONFIG_DIR,
        };
        const char *defaults = getenv("QEMU_VM_DEFAULTS") ?: QEMU_VM_DEFAULTS_FILE;
        int i;

        log_setup("qemu-vmctl", false);
        if (access(defaults, F_OK) == 0)
                ctl.defaults_file = defaults;

        /* Options before the command: --json, --help, --version. */
        for (i = 1; i < argc && argv[i][0] == '-'; i++) {
                if (streq(argv[i], "--json"))
                        ctl.json = true;
                else if (streq(argv[i], "-h") || streq(argv[i], "--help")) {
                        help();
                        return CTL_EXIT_OK;
                } else if (streq(argv[i], "--version")) {
                        printf("qemu-vmctl %s\n", QEMU_VM_VERSION);
                        return CTL_EXIT_OK;
                } else {
                        log_error("Unknown option '%s'. See 'qemu-vmctl --help'.", argv[i]);
                        return CTL_EXIT_USAGE;
                }
        }
        if (i >= argc) {
                help();
                return CTL_EXIT_USAGE;
        }
        for (size_t k = 0; k < ELEMENTSOF(commands); k++)
                if (streq(argv[i], commands[k].name))
                        return commands[k].run(&ctl, argc - i, argv + i);

        log_error("Unknown command '%s'. See 'qemu-vmctl --help'.", argv[i]);
        return CTL_EXIT_USAGE;
}
