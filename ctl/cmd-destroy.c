/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-vmctl destroy NAME --force [--remove-disks ID,...]: stops the VM and its companion units, then
 * deletes its config file and drop-ins, everything in its state dir that qemu-vm made (disks, NVRAM,
 * cloud-init seed), its TPM state and its serial log (lib/vm-files.h), and reloads systemd. Disks outside
 * the state dir are the user's and are kept unless --remove-disks names them. Without --force it only
 * lists what it would do; a VM with protect = yes is refused either way. Every path it deletes is listed. */

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <sys/stat.h>

#include "ctl.h"
#include "log.h"
#include "paths.h"
#include "systemd-bus.h"
#include "vm-files.h"
#include "vm-units.h"
#include "vms.h"

typedef struct DestroyOptions {
        bool force;
        Strv remove_disks;      /* disk IDs outside the state dir to delete as well */
} DestroyOptions;

typedef struct Plan {
        Strv units;     /* to stop, the VM first */
        Strv files;     /* to delete, in order */
        Strv dirs;      /* to remove once empty, after the files */
        Strv kept;      /* "PATH: why", what stays */
} Plan;

static void destroy_options_clear(DestroyOptions *o) {
        strv_clear(&o->remove_disks);
}

static int handle_option(int c, const char *arg, void *userdata) {
        DestroyOptions *o = userdata;
        switch (c) {
        case 'f':
                o->force = true;
                return 0;
        case 'r': {
                _cleanup_free_ char *copy = xstrdup(arg);
                char *save = NULL;
                for (char *id = strtok_r(copy, ",", &save); id; id = strtok_r(NULL, ",", &save))
                        strv_push(&o->remove_disks, id);
                return 0;
        }
        default:
                return -EINVAL;
        }
}

static bool exists(const char *path) {
        struct stat st;
        return lstat(path, &st) == 0;
}

/* Whether path (which exists) lies inside dir, after resolving symbolic links and "..". */
static bool path_is_inside(const char *path, const char *dir) {
        _cleanup_free_ char *real_path = realpath(path, NULL), *real_dir = realpath(dir, NULL);
        if (!real_path || !real_dir)
                return false;
        size_t n = strlen(real_dir);
        return strncmp(real_path, real_dir, n) == 0 && real_path[n] == '/';
}

static void plan_file(Plan *p, const char *path) {
        if (exists(path) && !strv_contains(&p->files, path))
                strv_push(&p->files, path);
}

/* Every entry of a directory qemu-vm owns whole (the TPM state), then the directory. Its entries only:
 * a subdirectory of swtpm's user could be swapped for a link before the deletion. With DEPTH, root's
 * own tree (the snapshots), subdirectories first: no one else can change it. */
static void plan_whole_dir(Plan *p, const char *dir, bool depth) {
        struct dirent **entries = NULL;
        int n = scandir(dir, &entries, NULL, alphasort);

        for (int i = 0; i < n; i++) {
                if (!streq(entries[i]->d_name, ".") && !streq(entries[i]->d_name, "..")) {
                        _cleanup_free_ char *path = xasprintf("%s/%s", dir, entries[i]->d_name);
                        struct stat st;
                        if (depth && lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
                                plan_whole_dir(p, path, depth);
                        else
                                plan_file(p, path);
                }
                free(entries[i]);
        }
        free(entries);
        if (n >= 0)
                strv_push(&p->dirs, dir);
}

static int plan_build(const Ctl *ctl, const VmSet *set, const VmConfig *c, const DestroyOptions *o, Plan *p) {
        _cleanup_free_ char *state_dir = vm_state_dir(c->name),
                            *dropin_dir = xasprintf("%s/%s.conf.d", ctl->config_dir, c->name);

        for (size_t i = 0; i < o->remove_disks.n; i++) {
                bool found = false;
                for (size_t k = 0; k < c->n_disks; k++)
                        found = found || streq(c->disks[k].id, o->remove_disks.items[i]);
                if (!found) {
                        log_error("VM %s has no disk '%s' (--remove-disks takes the IDs of [disk.ID] sections).",
                                  c->name, o->remove_disks.items[i]);
                        return -EINVAL;
                }
        }

        /* The VM first (the list's last), then its companions the other way round from how they start. */
        VmUnits units;
        vm_units_list(c, &units);
        for (size_t i = units.n; i > 0; i--)
                if (!units.items[i - 1].stops_with_vm_only)
                        strv_push(&p->units, units.items[i - 1].name);
        vm_units_clear(&units);

        /* The configuration first: once it is gone, nothing starts the VM again. A drop-in directory that
         * is a symbolic link (shared between VMs, say) loses the link, never the files behind it. */
        plan_file(p, c->source_path);
        struct stat st;
        bool has_dropins = lstat(dropin_dir, &st) == 0;
        if (has_dropins && S_ISLNK(st.st_mode))
                plan_file(p, dropin_dir);
        else if (has_dropins) {
                for (size_t i = 0; i < c->files.n; i++)
                        if (startswith(c->files.items[i], dropin_dir) && c->files.items[i][strlen(dropin_dir)] == '/')
                                plan_file(p, c->files.items[i]);
                strv_push(&p->dirs, dropin_dir);
        }

        for (size_t i = 0; i < c->n_disks; i++) {
                const DiskConfig *d = &c->disks[i];
                const char *user;
                if (!exists(d->path))
                        continue;
                if ((user = vm_file_user(set, c, d->path)))
                        strv_consume(&p->kept, xasprintf("%s: disk '%s' is also used by VM %s", d->path, d->id, user));
                else if (path_is_inside(d->path, state_dir) || strv_contains(&o->remove_disks, d->id))
                        plan_file(p, d->path);
                else
                        strv_consume(&p->kept, xasprintf("%s: disk '%s' is outside %s (--remove-disks %s deletes it)",
                                                         d->path, d->id, state_dir, d->id));
        }
        /* What the units and helpers made for the VM (lib/vm-files.c). */
        VmOwnedPaths owned;
        vm_owned_paths(c->name, &owned);
        for (size_t i = 0; i < owned.files.n; i++) {
                const char *path = owned.files.items[i], *user = vm_file_user(set, c, path);
                if (user)
                        strv_consume(&p->kept, xasprintf("%s: also used by VM %s", path, user));
                else
                        plan_file(p, path);
        }
        for (size_t i = 0; i < owned.whole_dirs.n; i++)
                if (exists(owned.whole_dirs.items[i]))
                        plan_whole_dir(p, owned.whole_dirs.items[i], false);
        for (size_t i = 0; i < owned.root_trees.n; i++)
                if (exists(owned.root_trees.items[i]))
                        plan_whole_dir(p, owned.root_trees.items[i], true);
        for (size_t i = 0; i < owned.dirs.n; i++)
                if (exists(owned.dirs.items[i]))
                        strv_push(&p->dirs, owned.dirs.items[i]);
        vm_owned_paths_clear(&owned);
        return 0;
}

static void plan_clear(Plan *p) {
        strv_clear(&p->units);
        strv_clear(&p->files);
        strv_clear(&p->dirs);
        strv_clear(&p->kept);
}

static json_object *strv_to_json(const Strv *v) {
        json_object *a = json_object_new_array();
        for (size_t i = 0; i < v->n; i++)
                json_object_array_add(a, json_object_new_string(v->items[i]));
        return a;
}

/* The plan before (done false: what it would do) or after (what it did; destroyed: without failures). */
static void report_plan(const Ctl *ctl, const Plan *p, const char *name, bool done, bool destroyed) {
        if (ctl->json) {
                json_object *doc = json_object_new_object();
                json_object_object_add(doc, "name", json_object_new_string(name));
                json_object_object_add(doc, "destroyed", json_object_new_boolean(destroyed));
                json_object_object_add(doc, done ? "stopped" : "would_stop", strv_to_json(&p->units));
                json_object_object_add(doc, done ? "removed" : "would_remove", strv_to_json(&p->files));
                json_object_object_add(doc, done ? "removed_dirs" : "would_remove_dirs", strv_to_json(&p->dirs));
                json_object_object_add(doc, "kept", strv_to_json(&p->kept));
                ctl_print_json(doc);
                return;
        }
        printf(done ? "Destroyed VM %s:\n" : "VM %s: destroy would do this (add --force to do it):\n", name);
        for (size_t i = 0; i < p->units.n; i++)
                printf("  %s %s\n", done ? "stopped" : "stop   ", p->units.items[i]);
        for (size_t i = 0; i < p->files.n; i++)
                printf("  %s %s\n", done ? "removed" : "remove ", p->files.items[i]);
        for (size_t i = 0; i < p->dirs.n; i++)
                printf("  %s %s/\n", done ? "removed" : "remove ", p->dirs.items[i]);
        for (size_t i = 0; i < p->kept.n; i++)
                printf("  kept    %s\n", p->kept.items[i]);
}

/* Stops every unit of the plan, the VM first (gracefully, as systemctl stop does), then the companions
 * (their BindsTo=/PartOf= usually stopped them already). */
static int stop_units(sd_bus *bus, const Plan *p) {
        for (size_t i = 0; i < p->units.n; i++) {
                _cleanup_free_ char *result = NULL;
                if (unit_job(bus, "StopUnit", p->units.items[i], true, 0, &result) < 0)
                        return -EIO;
                if (!streq(result, "done")) {
                        log_error("Stopping %s failed (job %s); nothing was deleted.", p->units.items[i], result);
                        return -EIO;
                }
        }
        return 0;
}

/* Deletes the files, then the directories that are now empty; afterwards p->files and p->dirs hold
 * only what was deleted. A directory with files qemu-vm does not know of is kept, and so are they.
 * Returns the number of failures. */
static unsigned delete_all(Plan *p) {
        Strv removed_files = {}, removed_dirs = {};
        unsigned failures = 0;

        for (size_t i = 0; i < p->files.n; i++)
                if (unlink(p->files.items[i]) == 0 || errno == ENOENT)
                        strv_push(&removed_files, p->files.items[i]);
                else {
                        log_error("Cannot remove %s: %m", p->files.items[i]);
                        failures++;
                }
        for (size_t i = 0; i < p->dirs.n; i++) {
                if (rmdir(p->dirs.items[i]) == 0 || errno == ENOENT)
                        strv_push(&removed_dirs, p->dirs.items[i]);
                else if (errno == ENOTEMPTY || errno == EEXIST)
                        strv_consume(&p->kept, xasprintf("%s/: holds files qemu-vm did not make", p->dirs.items[i]));
                else {
                        log_error("Cannot remove %s: %m", p->dirs.items[i]);
                        failures++;
                }
        }
        strv_clear(&p->files);
        strv_clear(&p->dirs);
        p->files = removed_files;
        p->dirs = removed_dirs;
        return failures;
}

int cmd_destroy(Ctl *ctl, int argc, char *argv[]) {
        static const struct option options[] = {
                { "force", no_argument, NULL, 'f' },
                { "remove-disks", required_argument, NULL, 'r' },
                {}
        };
        _cleanup_(destroy_options_clear) DestroyOptions o = {};
        _cleanup_bus_ sd_bus *bus = NULL;
        _cleanup_(plan_clear) Plan p = {};
        _cleanup_vm_set_ VmSet set = {};
        VmEntry *e;
        int r, ret;

        r = ctl_parse_options(ctl, argc, argv, options, "destroy NAME --force [--remove-disks ID,...] [--json]",
                              handle_option, &o, 1, &ret);
        if (r < 0)
                return ret;
        ret = vms_load_one(ctl, argv[r], &set, &e);
        if (ret != CTL_EXIT_OK)
                return ret;
        const VmConfig *c = &e->config;
        /* Without a readable file there is no telling whether the VM is protected, nor where its disks are.
         * A clash with another VM (same MAC, say) is no such problem: removing one of the two is its fix. */
        if (!e->valid_alone) {
                vm_entry_log_errors(e);
                log_error("Not destroying VM %s: its file has errors, so its disks and 'protect' are unknown. "
                          "Fix the file, or remove the VM by hand.", c->name);
                return CTL_EXIT_REFUSED;
        }
        if (c->protect) {
                log_error("Not destroying VM %s: it has protect = yes (%s). Set protect = no first.", c->name,
                          c->source_path);
                return CTL_EXIT_REFUSED;
        }
        if (plan_build(ctl, &set, c, &o, &p) < 0)
                return CTL_EXIT_USAGE;
        if (!o.force) {
                report_plan(ctl, &p, c->name, false, false);
                log_error("Refusing to destroy VM %s without --force; nothing was changed.", c->name);
                return CTL_EXIT_REFUSED;
        }

        if (bus_open_system(&bus) < 0 || stop_units(bus, &p) < 0)
                return CTL_EXIT_FAILED;
        unsigned failures = delete_all(&p);
        /* The generator no longer sees the file: the VM's drop-ins and its companions' vanish. */
        if (manager_reload(bus) < 0)
                failures++;
        for (size_t i = 0; i < p.units.n; i++)
                (void) unit_reset_failed(bus, p.units.items[i]);

        report_plan(ctl, &p, c->name, true, failures == 0);
        return failures ? CTL_EXIT_FAILED : CTL_EXIT_OK;
}
