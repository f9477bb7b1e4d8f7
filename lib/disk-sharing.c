/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <sys/stat.h>

#include "disk-sharing.h"
#include "paths.h"

typedef struct ImageUse {
        const char *path;
        /* An existing file is known by its device and inode, whatever the path's spelling or links
         * (a file that does not exist yet, by its normalised path). */
        bool exists;
        dev_t dev;
        ino_t ino;
        char *what;             /* "[disk.data]", "[cdrom.install]", "the backing file of [disk.root]" */
        bool writes;
        bool shareable;
        size_t vm;
        Origin origin;
} ImageUse;

static int file_compare(const ImageUse *x, const ImageUse *y) {
        if (x->exists != y->exists)
                return x->exists ? -1 : 1;
        if (!x->exists)
                return strcmp(x->path, y->path);
        if (x->dev != y->dev)
                return x->dev < y->dev ? -1 : 1;
        return x->ino < y->ino ? -1 : x->ino > y->ino;
}

static int use_compare(const void *a, const void *b) {
        const ImageUse *x = a, *y = b;
        int r = file_compare(x, y);
        if (r != 0)
                return r;
        return x->vm < y->vm ? -1 : x->vm > y->vm;
}

static bool compatible(const ImageUse *x, const ImageUse *y) {
        return x->vm == y->vm ||                /* within one VM, config-resolve.c reports it */
               (!x->writes && !y->writes) || (x->shareable && y->shareable);
}

static void add_use(ImageUse **uses, size_t *n, ImageUse use) {
        struct stat st;
        /* A link in a state directory is QEMU's user's to plant: followed, it would make another VM's
         * disk look like this one's and get that VM refused. Such a path is known by its name. */
        bool follow = !startswith(use.path, QEMU_VM_STATE_DIR "/");
        if ((follow ? stat(use.path, &st) : lstat(use.path, &st)) >= 0 && !S_ISLNK(st.st_mode)) {
                use.exists = true;
                use.dev = st.st_dev;
                use.ino = st.st_ino;
        }
        *uses = xrealloc(*uses, (*n + 1) * sizeof(ImageUse));
        (*uses)[(*n)++] = use;
}

static void collect(const VmConfig *c, size_t vm, ImageUse **uses, size_t *n) {
        for (size_t i = 0; i < c->n_disks; i++) {
                const DiskConfig *d = &c->disks[i];
                add_use(uses, n, (ImageUse) {
                        .path = d->path, .what = xasprintf("[disk.%s]", d->id), .writes = !d->readonly,
                        .shareable = d->shareable, .vm = vm, .origin = d->path_origin,
                });
                if (d->backing)
                        add_use(uses, n, (ImageUse) {
                                .path = d->backing, .what = xasprintf("the backing file of [disk.%s]", d->id),
                                .vm = vm, .origin = d->origin,
                        });
        }
        for (size_t i = 0; i < c->n_cdroms; i++)
                add_use(uses, n, (ImageUse) {
                        .path = c->cdroms[i].path, .what = xasprintf("[cdrom.%s]", c->cdroms[i].id), .vm = vm,
                        .origin = c->cdroms[i].origin,
                });
}

/* The VM in whose state directory PATH lies, or SIZE_MAX. */
static size_t state_dir_owner(const VmSet *set, const ImageUse *group, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (vm_path_in_state_dir(set->items[group[i].vm].config.name, group[i].path))
                        return group[i].vm;
        return SIZE_MAX;
}

/* One file's uses, sorted by VM: the keeper's first, then each use that agrees with every use kept
 * so far is kept too, and each other one refused. */
static void check_group(VmSet *set, ImageUse *group, size_t n) {
        size_t owner = state_dir_owner(set, group, n);
        _cleanup_free_ const ImageUse **kept = xcalloc(n, sizeof(ImageUse *));
        size_t n_kept = 0;

        for (size_t i = 0; i < n; i++)
                if (group[i].vm == owner)
                        kept[n_kept++] = &group[i];
        for (size_t i = 0; i < n; i++) {
                const ImageUse *u = &group[i], *against = NULL;
                if (u->vm == owner)
                        continue;
                for (size_t k = 0; k < n_kept && !against; k++)
                        if (!compatible(u, kept[k]))
                                against = kept[k];
                if (!against) {
                        kept[n_kept++] = u;
                        continue;
                }
                /* The same file by another name (a link): say which. */
                _cleanup_free_ char *as = streq(u->path, against->path) ? xstrdup("") : xasprintf(" %s", against->path);
                config_errors_add_at(&set->items[u->vm].errors, u->origin,
                                     "%s: %s is also %s%s of VM %s (%s:%u), which %s; several VMs may use one "
                                     "image only when none writes it or all have shareable = yes",
                                     u->what, u->path, against->what, as, set->items[against->vm].config.name,
                                     against->origin.file, against->origin.line,
                                     against->writes ? "writes it" : "does not share it with writers");
        }
}

void disk_sharing_check(VmSet *set) {
        ImageUse *uses = NULL;
        size_t n = 0;

        for (size_t vm = 0; vm < set->n; vm++)
                if (set->items[vm].valid_alone)
                        collect(&set->items[vm].config, vm, &uses, &n);
        if (n == 0)
                return;         /* qsort() must not see the NULL */
        qsort(uses, n, sizeof(ImageUse), use_compare);
        for (size_t start = 0; start < n;) {
                size_t end = start + 1;
                while (end < n && file_compare(&uses[start], &uses[end]) == 0)
                        end++;
                if (uses[start].vm != uses[end - 1].vm)
                        check_group(set, uses + start, end - start);
                start = end;
        }
        for (size_t i = 0; i < n; i++)
                free(uses[i].what);
        free(uses);
}
