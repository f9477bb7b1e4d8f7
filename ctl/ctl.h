/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What every qemu-vmctl command shares: the options given before the command, the exit codes
 * (man/qemu-vmctl.1 documents them), and the commands themselves, one file each. */

#include <json-c/json.h>
#include <stdbool.h>

/* Exit codes. Scripts and the Ansible role act on them; never renumber. */
enum {
        CTL_EXIT_OK = 0,
        CTL_EXIT_FAILED = 1,            /* the operation failed; check-host: some check failed */
        CTL_EXIT_USAGE = 2,             /* bad command line */
        CTL_EXIT_NOT_RUNNING = 3,       /* the VM is not running (status, console, attach-disk, ...) */
        CTL_EXIT_NO_SUCH_VM = 4,        /* no /etc/qemu/vms/NAME.conf */
        CTL_EXIT_REFUSED = 5,           /* destroy without --force or of a protected VM; a broken file */
        CTL_EXIT_TIMEOUT = 6,           /* --timeout passed before the VM was running or gone */
        CTL_EXIT_WARNING = 7,           /* check-host: no check failed, some warned */
};

typedef struct Ctl {
        bool json;              /* --json: one JSON document on stdout instead of text */
        const char *config_dir; /* /etc/qemu/vms, or $QEMU_VM_CONFIG_DIR */
        const char *defaults_file;      /* NULL when there is none */
} Ctl;

int cmd_list(Ctl *ctl, int argc, char *argv[]);
int cmd_status(Ctl *ctl, int argc, char *argv[]);
int cmd_show(Ctl *ctl, int argc, char *argv[]);
int cmd_keys(Ctl *ctl, int argc, char *argv[]);
int cmd_start(Ctl *ctl, int argc, char *argv[]);
int cmd_stop(Ctl *ctl, int argc, char *argv[]);
int cmd_restart(Ctl *ctl, int argc, char *argv[]);
int cmd_console(Ctl *ctl, int argc, char *argv[]);
int cmd_destroy(Ctl *ctl, int argc, char *argv[]);
int cmd_attach_disk(Ctl *ctl, int argc, char *argv[]);
int cmd_detach_disk(Ctl *ctl, int argc, char *argv[]);
int cmd_check_host(Ctl *ctl, int argc, char *argv[]);
int cmd_agent(Ctl *ctl, int argc, char *argv[]);
int cmd_snapshot(Ctl *ctl, int argc, char *argv[]);
int cmd_backup(Ctl *ctl, int argc, char *argv[]);
int cmd_backup_list(Ctl *ctl, int argc, char *argv[]);
int cmd_restore(Ctl *ctl, int argc, char *argv[]);

/* Parses a command's options: --json and -h are common to all; the others, in extra, go to
 * handle(c, optarg, userdata). Exactly n_args positional arguments must follow. Returns the index of the
 * first one; or -1 once the command is done, with *ret_exit set: CTL_EXIT_OK after --help,
 * CTL_EXIT_USAGE after printing usage for a bad command line. */
struct option;
int ctl_parse_options(Ctl *ctl, int argc, char *argv[], const struct option *extra, const char *usage,
                      int (*handle)(int c, const char *arg, void *userdata), void *userdata, int n_args,
                      int *ret_exit);
/* The same for commands that take between min_args and max_args positional arguments. */
int ctl_parse_options_range(Ctl *ctl, int argc, char *argv[], const struct option *extra, const char *usage,
                            int (*handle)(int c, const char *arg, void *userdata), void *userdata, int min_args,
                            int max_args, int *ret_exit);

/* Prints a JSON document to stdout and puts it. */
void ctl_print_json(json_object *doc);
