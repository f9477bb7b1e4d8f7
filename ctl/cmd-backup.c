/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-vmctl backup NAME --to DIR [--full]: a backup of every writable disk of the VM with its NVRAM,
 * TPM state and configuration, incremental after the first (ctl/backup-make.h), into DIR/NAME/ID
 * (ctl/backup-store.h). The VM is held meanwhile (ctl/vm-lock.h): a stopped one is not started under
 * the backup's hands, a running one is backed up with no downtime.
 * qemu-vmctl backup-list DIR: the complete backups in DIR, every VM's.
 * qemu-vmctl restore BACKUP [--as NEWNAME]: a new VM from a backup (ctl/backup-restore.h). */

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>

#include "backup-make.h"
#include "backup-restore.h"
#include "backup-store.h"
#include "ctl.h"
#include "escape.h"
#include "format.h"
#include "log.h"
#include "names.h"
#include "table.h"
#include "vm-state-copy.h"
#include "vms.h"

typedef struct BackupOptions {
        const char *to;
        bool full;
} BackupOptions;

static int handle_option(int c, const char *arg, void *userdata) {
        BackupOptions *o = userdata;
        if (c == 't')
                o->to = arg;
        else if (c == 'f')
                o->full = true;
        else
                return -EINVAL;
        return 0;
}

/* The bytes of the backup's files (BACKUP_KEY_FILES) whose name starts with PREFIX. */
static uint64_t files_size(json_object *m, const char *prefix) {
        json_object *files = NULL, *size;
        uint64_t total = 0;
        json_object_object_get_ex(m, BACKUP_KEY_FILES, &files);
        json_object_object_foreach(files, name, f)
                if (startswith(name, prefix) && json_object_object_get_ex(f, "size", &size))
                        total += (uint64_t) json_object_get_int64(size);
        return total;
}

/* A manifest's string as a table cell: DIR may hold what another wrote, so nothing reaches the terminal
 * as control characters. */
static void table_add_printable(Table *t, const char *s) {
        table_consume(t, s ? string_printable(s) : NULL);
}

static void report(const Ctl *ctl, json_object *m) {
        json_object *v = NULL;
        if (ctl->json) {
                ctl_print_json(json_object_get(m));
                return;
        }
        const char *parent = backup_manifest_string(m, BACKUP_KEY_PARENT);
        _cleanup_free_ char *disks = format_mib(files_size(m, BACKUP_DISKS_DIR "/"));
        printf("Backup %s of VM %s: %s%s%s, in %s.\n", backup_manifest_string(m, BACKUP_KEY_ID),
               backup_manifest_string(m, BACKUP_KEY_VM), backup_manifest_string(m, BACKUP_KEY_KIND),
               parent ? " after " : "", parent ?: "", backup_manifest_string(m, "dir"));
        json_object *nvram = NULL, *tpm = NULL;
        json_object_object_get_ex(m, VM_STATE_KEY_NVRAM, &nvram);
        json_object_object_get_ex(m, VM_STATE_KEY_TPM, &tpm);
        printf("  Disks: %s written; %s%sconfiguration.\n", disks, json_object_get_boolean(nvram) ? "NVRAM; " : "",
               tpm ? "TPM state; " : "");
        printf("  What it holds: %s", backup_manifest_string(m, BACKUP_KEY_CONSISTENCY));
        if (json_object_object_get_ex(m, BACKUP_KEY_FREEZE_MS, &v))
                printf(" (frozen for %" PRId64 " ms)", json_object_get_int64(v));
        printf(".\n");
}

static int backup_cmd(const Ctl *ctl, const VmSet *set, const VmConfig *c, const BackupOptions *o) {
        /* Released last: another qemu-vmctl waiting for the lock finds everything of this one done. */
        _cleanup_close_ int lock = -1;
        _cleanup_(snapshot_disks_clear) SnapshotDisks disks = {};
        json_object *m = NULL;
        VmHold hold;

        int r = snapshot_disks_of(set, c, DISKS_FOR_BACKUP, false, &disks);
        if (r != CTL_EXIT_OK)
                return r;
        lock = vm_hold(c->name, &hold);
        if (lock < 0)
                return lock == -EBUSY ? CTL_EXIT_REFUSED : CTL_EXIT_FAILED;
        r = backup_make(c, hold, &disks, o->to, o->full, &m);
        if (r < 0)
                return r == -EPERM ? CTL_EXIT_REFUSED : CTL_EXIT_FAILED;
        report(ctl, m);
        json_object_put(m);
        return CTL_EXIT_OK;
}

int cmd_backup(Ctl *ctl, int argc, char *argv[]) {
        static const struct option options[] = {
                { "to", required_argument, NULL, 't' },
                { "full", no_argument, NULL, 'f' },
                {}
        };
        static const char usage[] = "backup NAME --to DIR [--full] [--json]";
        BackupOptions o = {};
        _cleanup_vm_set_ VmSet set = {};
        VmEntry *e;
        int r, ret;

        r = ctl_parse_options(ctl, argc, argv, options, usage, handle_option, &o, 1, &ret);
        if (r < 0)
                return ret;
        if (!o.to) {
                fprintf(stderr, "Usage: qemu-vmctl %s\n", usage);
                return CTL_EXIT_USAGE;
        }
        ret = vms_load_one_whole(ctl, argv[r], &set, &e);
        if (ret != CTL_EXIT_OK)
                return ret;
        return backup_cmd(ctl, &set, &e->config, &o);
}

static int compare_strings(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

int cmd_backup_list(Ctl *ctl, int argc, char *argv[]) {
        static const char usage[] = "backup-list DIR [--json]";
        static const char *const header[] = { "VM", "BACKUP", "KIND", "AFTER", "DISKS", "HOLDS" };
        json_object *all = json_object_new_array();
        Table t;
        int r, ret;

        r = ctl_parse_options(ctl, argc, argv, NULL, usage, NULL, NULL, 1, &ret);
        if (r < 0) {
                json_object_put(all);
                return ret;
        }
        const char *to = argv[r];
        DIR *d = opendir(to);
        if (!d) {
                json_object_put(all);
                log_error("Cannot read %s: %m", to);
                return CTL_EXIT_FAILED;
        }
        _cleanup_strv_ Strv vms = {};
        for (struct dirent *e; (e = readdir(d));)
                if (vm_name_is_valid(e->d_name))
                        strv_push(&vms, e->d_name);
        closedir(d);
        if (vms.n > 0)
                qsort(vms.items, vms.n, sizeof(char *), compare_strings);
        for (size_t i = 0; i < vms.n; i++) {
                _cleanup_free_ char *vm_dir = strjoin(to, "/", vms.items[i]);
                json_object *list = NULL;
                if (backup_list(vm_dir, &list) < 0)
                        continue;
                for (size_t k = 0; k < json_object_array_length(list); k++)
                        json_object_array_add(all, json_object_get(json_object_array_get_idx(list, k)));
                json_object_put(list);
        }
        if (ctl->json) {
                ctl_print_json(all);
                return CTL_EXIT_OK;
        }
        table_init(&t, header, ELEMENTSOF(header));
        for (size_t i = 0; i < json_object_array_length(all); i++) {
                json_object *m = json_object_array_get_idx(all, i);
                table_add_printable(&t, backup_manifest_string(m, BACKUP_KEY_VM));
                table_add_printable(&t, backup_manifest_string(m, BACKUP_KEY_ID));
                table_add_printable(&t, backup_manifest_string(m, BACKUP_KEY_KIND));
                table_add_printable(&t, backup_manifest_string(m, BACKUP_KEY_PARENT));
                table_consume(&t, format_mib(files_size(m, BACKUP_DISKS_DIR "/")));
                table_add_printable(&t, backup_manifest_string(m, BACKUP_KEY_CONSISTENCY));
        }
        table_print(&t, stdout);
        table_clear(&t);
        json_object_put(all);
        return CTL_EXIT_OK;
}

static int handle_restore_option(int c, const char *arg, void *userdata) {
        const char **as = userdata;
        if (c != 'a')
                return -EINVAL;
        *as = arg;
        return 0;
}

int cmd_restore(Ctl *ctl, int argc, char *argv[]) {
        static const struct option options[] = {
                { "as", required_argument, NULL, 'a' },
                {}
        };
        static const char usage[] = "restore BACKUP [--as NEWNAME] [--json]";
        const char *as = NULL;
        json_object *report = NULL, *v = NULL;
        int r, ret;

        r = ctl_parse_options(ctl, argc, argv, options, usage, handle_restore_option, &as, 1, &ret);
        if (r < 0)
                return ret;
        if (as && !vm_name_is_valid(as)) {
                log_error("Invalid VM name '%s'.", as);
                return CTL_EXIT_USAGE;
        }
        r = backup_restore(ctl, argv[r], as, &report);
        if (r < 0)
                return r == -EEXIST ? CTL_EXIT_REFUSED : CTL_EXIT_FAILED;
        if (ctl->json) {
                ctl_print_json(report);
                return CTL_EXIT_OK;
        }
        const char *name = backup_manifest_string(report, "vm");
        _cleanup_strv_ Strv chain = {}, disks = {};
        json_object_object_get_ex(report, "chain", &v);
        for (size_t i = 0; i < json_object_array_length(v); i++)
                strv_push(&chain, json_object_get_string(json_object_array_get_idx(v, i)));
        json_object_object_get_ex(report, BACKUP_KEY_DISKS, &v);
        for (size_t i = 0; i < json_object_array_length(v); i++)
                strv_push(&disks, backup_manifest_string(json_object_array_get_idx(v, i), "id"));
        _cleanup_free_ char *chain_text = strv_join(&chain, ", then "), *disk_text = strv_join(&disks, ", ");
        json_object *nvram = NULL, *tpm = NULL;
        json_object_object_get_ex(report, VM_STATE_KEY_NVRAM, &nvram);
        json_object_object_get_ex(report, VM_STATE_KEY_TPM, &tpm);
        printf("VM %s restored from VM %s's backup %s: disks %s%s%s.\n", name, backup_manifest_string(report, "from"),
               chain_text, disk_text, json_object_get_boolean(nvram) ? "; NVRAM" : "", tpm ? "; TPM state" : "");
        printf("  Start it: systemctl start qemu-vm@%s\n", name);
        json_object_put(report);
        return CTL_EXIT_OK;
}
