/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-vmctl attach-disk NAME PATH [--id ID] [--readonly] [--format qcow2|raw] and detach-disk NAME ID:
 * hot-plug over QMP, for the running VM only (the file stays the truth for the next start).
 *
 * attach: qemu-vmctl opens PATH itself, following no symlink, and hands QEMU the descriptor (add-fd), so
 * QEMU, which runs unprivileged, needs no access to the path; a block device only with --block-device;
 * then blockdev-add (node "disk-ID") and device_add (virtio-blk-pci "dev-disk-ID", the names configured
 * disks have too), on a free hot-plug root port on q35. Any failure undoes the steps before it.
 * detach: device_del, wait for DEVICE_DELETED (the guest must let go), then blockdev-del and remove-fd. */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sys/stat.h>

#include "ctl.h"
#include "log.h"
#include "names.h"
#include "parse-value.h"
#include "path-util.h"
#include "qemu-argv.h"
#include "vm-qmp.h"
#include "vms.h"

#define FDSET_OPAQUE_PREFIX "qemu-vmctl:disk-"
#define DETACH_TIMEOUT_DEFAULT_S 30

typedef struct DiskOptions {
        const char *id;
        const char *format;     /* NULL: from the file name */
        bool readonly;
        bool block_device;      /* a block device may be attached only when asked for by name */
        uint64_t timeout_s;
} DiskOptions;

static int handle_option(int c, const char *arg, void *userdata) {
        DiskOptions *o = userdata;
        switch (c) {
        case 'i':
                o->id = arg;
                return 0;
        case 'r':
                o->readonly = true;
                return 0;
        case 'b':
                o->block_device = true;
                return 0;
        case 'f':
                o->format = arg;
                return streq(arg, "qcow2") || streq(arg, "raw") ? 0 : -EINVAL;
        case 't':
                return parse_uint_range(arg, 1, 3600, &o->timeout_s);
        default:
                return -EINVAL;
        }
}

/* Runs a command and logs QEMU's error; the reply goes to *ret when asked for. */
static int command(QmpClient *q, const char *vm, const char *cmd, json_object *args, json_object **ret) {
        _cleanup_free_ char *error = NULL;
        int r = qmp_command(q, cmd, args, VM_QMP_TIMEOUT_MS, ret, &error);
        if (r == -EIO)
                log_error("VM %s: %s failed: %s", vm, cmd, error);
        else if (r < 0)
                log_error_errno(r, "VM %s: %s failed: %m", vm, cmd);
        return r;
}

/* What QEMU has under a disk's three names, read once per command: device IDs (-device id=...,
 * device_add id=...: the children of /machine/peripheral), block node names ("disk-ID" for hot-plugged
 * disks) and the fd sets attach-disk made (opaque "qemu-vmctl:disk-ID"). The last two outlive a device
 * the guest released after detach-disk gave up waiting. */
typedef struct DiskNames {
        Strv devices;
        Strv nodes;
        Strv fdset_opaques;
        int64_t *fdset_ids;     /* parallel to fdset_opaques */
} DiskNames;

static void disk_names_clear(DiskNames *n) {
        strv_clear(&n->devices);
        strv_clear(&n->nodes);
        strv_clear(&n->fdset_opaques);
        free(n->fdset_ids);
        *n = (DiskNames) {};
}
#define _cleanup_disk_names_ _cleanup_(disk_names_clear)

static int disk_names_load(QmpClient *q, const char *vm, DiskNames *ret) {
        _cleanup_disk_names_ DiskNames n = {};
        json_object *args, *reply = NULL, *v;

        args = json_object_new_object();
        json_object_object_add(args, "path", json_object_new_string("/machine/peripheral"));
        if (command(q, vm, "qom-list", args, &reply) < 0)
                return -EIO;
        for (size_t i = 0; i < qmp_array_length(reply); i++) {
                json_object *p = json_object_array_get_idx(reply, i), *type;
                if (json_object_object_get_ex(p, "name", &v) && json_object_object_get_ex(p, "type", &type) &&
                    qmp_string(v) && qmp_string(type) && startswith(qmp_string(type), "child<"))
                        strv_push(&n.devices, qmp_string(v));
        }
        json_object_put(reply);

        args = json_object_new_object();
        json_object_object_add(args, "flat", json_object_new_boolean(true));
        if (command(q, vm, "query-named-block-nodes", args, &reply) < 0)
                return -EIO;
        for (size_t i = 0; i < qmp_array_length(reply); i++)
                if (json_object_object_get_ex(json_object_array_get_idx(reply, i), "node-name", &v) && qmp_string(v))
                        strv_push(&n.nodes, qmp_string(v));
        json_object_put(reply);

        if (command(q, vm, "query-fdsets", NULL, &reply) < 0)
                return -EIO;
        for (size_t i = 0; i < qmp_array_length(reply); i++) {
                json_object *set = json_object_array_get_idx(reply, i), *fds, *setid;
                if (!json_object_object_get_ex(set, "fds", &fds) || !json_object_object_get_ex(set, "fdset-id", &setid))
                        continue;
                for (size_t k = 0; k < qmp_array_length(fds); k++)
                        if (json_object_object_get_ex(json_object_array_get_idx(fds, k), "opaque", &v) &&
                            qmp_string(v)) {
                                n.fdset_ids = xrealloc(n.fdset_ids, (n.fdset_opaques.n + 1) * sizeof(int64_t));
                                n.fdset_ids[n.fdset_opaques.n] = json_object_get_int64(setid);
                                strv_push(&n.fdset_opaques, qmp_string(v));
                        }
        }
        json_object_put(reply);
        *ret = n;
        n = (DiskNames) {};
        return 0;
}

/* The fd set attach-disk made for disk ID, or -1. */
static int64_t disk_names_fdset(const DiskNames *n, const char *id) {
        _cleanup_free_ char *opaque = xasprintf(FDSET_OPAQUE_PREFIX "%s", id);
        for (size_t i = 0; i < n->fdset_opaques.n; i++)
                if (streq(n->fdset_opaques.items[i], opaque))
                        return n->fdset_ids[i];
        return -1;
}

static bool disk_names_has_device(const DiskNames *n, const char *id) {
        _cleanup_free_ char *dev_id = qemu_disk_device_id(id);
        return strv_contains(&n->devices, dev_id);
}

static bool disk_names_has_node(const DiskNames *n, const char *id) {
        _cleanup_free_ char *node = qemu_disk_node_name(id);
        return strv_contains(&n->nodes, node);
}

/* Whether disk ID is taken under any of its names. */
static bool disk_names_in_use(const DiskNames *n, const char *id) {
        return disk_names_has_device(n, id) || disk_names_has_node(n, id) || disk_names_fdset(n, id) >= 0;
}

/* Exactly the names qemu-argv.c gives hot-plug ports, "hotplug" and digits: QEMU's reply is printed. */
static bool is_hotplug_port(const char *id) {
        if (!id || !startswith(id, QEMU_VM_HOTPLUG_PORT_PREFIX))
                return false;
        const char *digits = id + strlen(QEMU_VM_HOTPLUG_PORT_PREFIX);
        return *digits && strspn(digits, "0123456789") == strlen(digits);
}

/* The first empty hot-plug root port ("hotplug0", ...): query-pci lists what sits behind each bridge.
 * *ret stays NULL when the VM has none (i440fx takes devices on its own bus). */
static int free_hotplug_port(QmpClient *q, const char *vm, char **ret, bool *ret_has_ports) {
        json_object *reply = NULL;
        int r = command(q, vm, "query-pci", NULL, &reply);
        if (r < 0)
                return r;
        *ret = NULL;
        *ret_has_ports = false;
        for (size_t b = 0; b < qmp_array_length(reply) && !*ret; b++) {
                json_object *bus = json_object_array_get_idx(reply, b), *devices;
                if (!json_object_object_get_ex(bus, "devices", &devices))
                        continue;
                for (size_t i = 0; i < qmp_array_length(devices) && !*ret; i++) {
                        json_object *dev = json_object_array_get_idx(devices, i), *id, *bridge, *bbus, *behind;
                        if (!json_object_object_get_ex(dev, "qdev_id", &id) || !is_hotplug_port(qmp_string(id)))
                                continue;
                        *ret_has_ports = true;
                        if (json_object_object_get_ex(dev, "pci_bridge", &bridge) &&
                            json_object_object_get_ex(bridge, "bus", &bbus) &&
                            json_object_object_get_ex(bridge, "devices", &behind) && qmp_array_length(behind) > 0)
                                continue;
                        (void) bbus;
                        *ret = xstrdup(qmp_string(id));
                }
        }
        json_object_put(reply);
        return 0;
}

static const char *format_from_name(const char *path) {
        return endswith(path, ".qcow2") ? "qcow2" : "raw";
}

/* Opens the VM's QMP; a VM that is not running is CTL_EXIT_NOT_RUNNING, with a message. */
static int connect_running(const char *vm, QmpClient *q) {
        int r = vm_qmp_connect(vm, q);
        if (r == -ENOENT || r == -ECONNREFUSED) {
                log_error("VM %s is not running: disks are hot-plugged into a running VM only.", vm);
                return CTL_EXIT_NOT_RUNNING;
        }
        return r < 0 ? CTL_EXIT_FAILED : CTL_EXIT_OK;
}

static void report(const Ctl *ctl, const char *vm, const char *action, const char *id, const char *path,
                   const char *format, bool readonly, const char *port) {
        if (!ctl->json) {
                if (streq(action, "attached"))
                        printf("Attached %s to VM %s as disk '%s' (virtio, %s%s%s).\n", path, vm, id, format,
                               readonly ? ", read-only" : "", port ? port : "");
                else
                        printf("Detached disk '%s' from VM %s.\n", id, vm);
                return;
        }
        json_object *doc = json_object_new_object();
        json_object_object_add(doc, "name", json_object_new_string(vm));
        json_object_object_add(doc, "action", json_object_new_string(action));
        json_object_object_add(doc, "id", json_object_new_string(id));
        if (path) {
                json_object_object_add(doc, "path", json_object_new_string(path));
                json_object_object_add(doc, "format", json_object_new_string(format));
                json_object_object_add(doc, "readonly", json_object_new_boolean(readonly));
        }
        ctl_print_json(doc);
}

/* Opens the image as root for QEMU, which gets only the descriptor. The path may run through
 * directories QEMU's user owns (its state directory): a symlink planted there would hand the guest any
 * host file, so no link is followed, and the type is checked on what was opened. Logs why not. */
static int open_image(const char *path, const DiskOptions *o, struct stat *ret_st) {
        _cleanup_close_ int inode = open_no_symlinks(path, O_PATH);
        if (inode == -ELOOP) {
                log_error("Cannot attach %s: the path runs through a symbolic link, which qemu-vmctl does not follow "
                          "(QEMU's user may have planted it). Give the path it leads to.", path);
                return -ELOOP;
        }
        if (inode < 0) {
                errno = -inode;
                log_error("Cannot attach %s: %m", path);
                return inode;
        }
        if (fstat(inode, ret_st) < 0)
                return log_error_errno(-errno, "Cannot attach %s: %m", path);
        /* A hard link in a directory QEMU's user owns may be another file of root's (where the kernel
         * lets it link files it cannot read: fs.protected_hardlinks=0). */
        if (S_ISREG(ret_st->st_mode) && ret_st->st_nlink > 1) {
                log_error(
                        "Cannot attach %s: the file has %ju names (hard links); qemu-vmctl attaches a file that has "
                        "one.",
                        path, (uintmax_t) ret_st->st_nlink);
                return -EMLINK;
        }
        if (S_ISBLK(ret_st->st_mode) && !o->block_device) {
                log_error(
                        "Cannot attach %s: it is a block device. Pass --block-device to give the guest the whole "
                        "device.",
                        path);
                return -EPERM;
        }
        if (!S_ISREG(ret_st->st_mode) && !S_ISBLK(ret_st->st_mode)) {
                log_error("Cannot attach %s: not a regular file or block device.", path);
                return -EBADF;
        }
        /* Reopened through the descriptor, not the name: the file checked is the file opened. */
        _cleanup_free_ char *self = xasprintf("/proc/self/fd/%d", inode);
        int fd = open(self, (o->readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return log_error_errno(-errno, "Cannot open %s: %m", path);
        return fd;
}

/* Releases a block node that attach-disk added. */
static int blockdev_del(QmpClient *q, const char *vm, const char *node) {
        json_object *args = json_object_new_object();
        json_object_object_add(args, "node-name", json_object_new_string(node));
        return command(q, vm, "blockdev-del", args, NULL);
}

/* Closes the fd set that holds an attached image's descriptor. */
static int remove_fd(QmpClient *q, const char *vm, int64_t fdset) {
        json_object *args = json_object_new_object();
        json_object_object_add(args, "fdset-id", json_object_new_int64(fdset));
        return command(q, vm, "remove-fd", args, NULL);
}

/* What an attach has added to QEMU so far. */
typedef struct Attached {
        int64_t fdset;          /* the fd set holding the image's descriptor, or -1 */
        char *node;             /* the block node, once blockdev-add succeeded */
} Attached;

/* Takes back what a failed attach added, so that it changes nothing. */
static void attached_undo(QmpClient *q, const char *vm, const Attached *a) {
        if (a->node)
                (void) blockdev_del(q, vm, a->node);
        if (a->fdset >= 0)
                (void) remove_fd(q, vm, a->fdset);
}

/* The QMP steps of an attach, recording in MADE what each added. Returns an exit code. */
static int attach_to_qemu(const Ctl *ctl, QmpClient *q, const char *vm, const char *path, int fd,
                          const struct stat *st, const DiskOptions *o, Attached *made) {
        _cleanup_disk_names_ DiskNames names = {};
        _cleanup_free_ char *id = NULL, *port = NULL, *dev_id = NULL, *node = NULL, *opaque = NULL, *error = NULL,
                            *fdset_path = NULL, *where = NULL;
        const char *format = o->format ?: format_from_name(path);
        json_object *reply = NULL, *args, *file, *v;
        bool has_ports = false;

        if (disk_names_load(q, vm, &names) < 0)
                return CTL_EXIT_FAILED;
        if (o->id) {
                id = xstrdup(o->id);
                if (disk_names_in_use(&names, id)) {
                        log_error("VM %s already has a disk '%s'; choose another --id.", vm, id);
                        return CTL_EXIT_FAILED;
                }
        } else
                for (unsigned n = 0; !id; n++) {
                        _cleanup_free_ char *candidate = xasprintf("hot%u", n);
                        if (!disk_names_in_use(&names, candidate))
                                id = TAKE_PTR(candidate);
                }
        dev_id = qemu_disk_device_id(id);
        if (free_hotplug_port(q, vm, &port, &has_ports) < 0)
                return CTL_EXIT_FAILED;
        if (has_ports && !port) {
                log_error("VM %s has no free hot-plug slot: every one holds a device. "
                          "Raise hotplug_slots in its [vm] section; it applies at the next start.", vm);
                return CTL_EXIT_FAILED;
        }

        /* The descriptor, in an fd set QEMU's file driver opens as /dev/fdset/N. */
        opaque = xasprintf(FDSET_OPAQUE_PREFIX "%s", id);
        args = json_object_new_object();
        json_object_object_add(args, "opaque", json_object_new_string(opaque));
        int r = qmp_command_with_fd(q, "add-fd", args, fd, VM_QMP_TIMEOUT_MS, &reply, &error);
        if (r < 0) {
                errno = -r;
                if (error)
                        log_error("VM %s: add-fd failed: %s", vm, error);
                else
                        log_error("VM %s: add-fd failed: %m", vm);
                return CTL_EXIT_FAILED;
        }
        if (json_object_object_get_ex(reply, "fdset-id", &v))
                made->fdset = json_object_get_int64(v);
        json_object_put(reply);

        node = qemu_disk_node_name(id);
        fdset_path = xasprintf("/dev/fdset/%" PRId64, made->fdset);
        args = json_object_new_object();
        file = json_object_new_object();
        json_object_object_add(file, "driver", json_object_new_string(S_ISBLK(st->st_mode) ? "host_device" : "file"));
        json_object_object_add(file, "filename", json_object_new_string(fdset_path));
        json_object_object_add(args, "driver", json_object_new_string(format));
        json_object_object_add(args, "node-name", json_object_new_string(node));
        json_object_object_add(args, "read-only", json_object_new_boolean(o->readonly));
        json_object_object_add(args, "discard", json_object_new_string("unmap"));
        json_object_object_add(args, "file", file);
        if (command(q, vm, "blockdev-add", args, NULL) < 0)
                return CTL_EXIT_FAILED;
        made->node = xstrdup(node);

        args = json_object_new_object();
        json_object_object_add(args, "driver", json_object_new_string("virtio-blk-pci"));
        json_object_object_add(args, "id", json_object_new_string(dev_id));
        json_object_object_add(args, "drive", json_object_new_string(node));
        if (port)
                json_object_object_add(args, "bus", json_object_new_string(port));
        if (command(q, vm, "device_add", args, NULL) < 0)
                return CTL_EXIT_FAILED;

        where = port ? xasprintf(", slot %s", port) : NULL;
        report(ctl, vm, "attached", id, path, format, o->readonly, where);
        return CTL_EXIT_OK;
}

static int attach(const Ctl *ctl, const char *vm, const char *path, const DiskOptions *o) {
        _cleanup_qmp_ QmpClient q = QMP_CLIENT_INIT;
        Attached made = { .fdset = -1 };
        struct stat st;

        /* Everything that can be checked before QEMU is touched. */
        if (o->id && !device_id_is_valid(o->id)) {
                log_error("Invalid disk ID '%s' (letters, digits, '_' and '-', at most %d).", o->id, DEVICE_ID_MAX);
                return CTL_EXIT_USAGE;
        }
        _cleanup_close_ int fd = open_image(path, o, &st);
        if (fd < 0)
                return CTL_EXIT_FAILED;
        int r = connect_running(vm, &q);
        if (r != CTL_EXIT_OK)
                return r;
        r = attach_to_qemu(ctl, &q, vm, path, fd, &st, o, &made);
        if (r != CTL_EXIT_OK)
                attached_undo(&q, vm, &made);
        free(made.node);
        return r;
}

/* Until DEVICE_DELETED names the device (QEMU also sends one for its virtio backend, without "device"). */
static int wait_device_deleted(QmpClient *q, const char *dev_id, long long deadline) {
        for (;;) {
                json_object *event = NULL, *v, *data;
                long long left = deadline - qmp_now_ms();
                int r = qmp_next_event(q, left > 0 ? (int) left : 0, &event);
                if (r < 0)
                        return r;
                bool match = json_object_object_get_ex(event, "event", &v) &&
                        streq_ptr(qmp_string(v), "DEVICE_DELETED") && json_object_object_get_ex(event, "data", &data) &&
                        json_object_object_get_ex(data, "device", &v) && streq_ptr(qmp_string(v), dev_id);
                json_object_put(event);
                if (match)
                        return 0;
        }
}

static int detach(const Ctl *ctl, const char *vm, const char *id, const DiskOptions *o) {
        _cleanup_free_ char *dev_id = qemu_disk_device_id(id), *node = qemu_disk_node_name(id);
        _cleanup_qmp_ QmpClient q = QMP_CLIENT_INIT;
        _cleanup_disk_names_ DiskNames names = {};
        json_object *args;
        int r;

        r = connect_running(vm, &q);
        if (r != CTL_EXIT_OK)
                return r;
        if (disk_names_load(&q, vm, &names) < 0)
                return CTL_EXIT_FAILED;
        bool has_device = disk_names_has_device(&names, id), has_node = disk_names_has_node(&names, id);
        int64_t fdset = disk_names_fdset(&names, id);
        if (!has_device && !has_node && fdset < 0) {
                log_error("VM %s has no disk '%s'.", vm, id);
                return CTL_EXIT_FAILED;
        }
        /* The device may be gone already: an earlier detach-disk gave up waiting and the guest let go
         * later. Then only its block node and file are left to release. */
        if (has_device) {
                args = json_object_new_object();
                json_object_object_add(args, "id", json_object_new_string(dev_id));
                if (command(&q, vm, "device_del", args, NULL) < 0)
                        return CTL_EXIT_FAILED;
                uint64_t timeout_s = o->timeout_s ?: DETACH_TIMEOUT_DEFAULT_S;
                r = wait_device_deleted(&q, dev_id, qmp_now_ms() + (long long) timeout_s * 1000);
                if (r == -ETIMEDOUT) {
                        log_error("The guest of VM %s did not release disk '%s' within %" PRIu64 " s. The "
                                  "request stays pending in QEMU: once the guest lets go, run detach-disk again "
                                  "to release the image.",
                                  vm, id, timeout_s);
                        return CTL_EXIT_TIMEOUT;
                }
                if (r < 0) {
                        log_error_errno(r, "VM %s: lost QMP while waiting for the disk to go: %m", vm);
                        return CTL_EXIT_FAILED;
                }
        }
        /* A disk from the file (-drive) takes its block node along; a hot-plugged one needs blockdev-del. */
        if (has_node && blockdev_del(&q, vm, node) < 0)
                return CTL_EXIT_FAILED;
        if (fdset >= 0 && remove_fd(&q, vm, fdset) < 0)
                return CTL_EXIT_FAILED;
        report(ctl, vm, "detached", id, NULL, NULL, false, NULL);
        return CTL_EXIT_OK;
}

typedef int (*DiskAction)(const Ctl *ctl, const char *vm, const char *arg, const DiskOptions *o);

/* Both commands: options, then NAME (a configured VM) and one more argument for the action. */
static int disk_command(Ctl *ctl, int argc, char *argv[], const struct option *options, const char *usage,
                        DiskAction action) {
        DiskOptions o = {};
        VmEntry *e;
        VmSet set;
        int r, exit_code;

        r = ctl_parse_options(ctl, argc, argv, options, usage, handle_option, &o, 2, &exit_code);
        if (r < 0)
                return exit_code;
        exit_code = vms_load_one(ctl, argv[r], &set, &e);
        if (exit_code != CTL_EXIT_OK)
                return exit_code;
        _cleanup_free_ char *vm = xstrdup(e->config.name);
        vm_set_free(&set);
        return action(ctl, vm, argv[r + 1], &o);
}

int cmd_attach_disk(Ctl *ctl, int argc, char *argv[]) {
        static const struct option options[] = {
                { "id", required_argument, NULL, 'i' },
                { "readonly", no_argument, NULL, 'r' },
                { "format", required_argument, NULL, 'f' },
                { "block-device", no_argument, NULL, 'b' },
                {}
        };
        return disk_command(
                ctl, argc, argv, options,
                "attach-disk NAME PATH [--id ID] [--readonly] [--format qcow2|raw] [--block-device] [--json]", attach);
}

int cmd_detach_disk(Ctl *ctl, int argc, char *argv[]) {
        static const struct option options[] = { { "timeout", required_argument, NULL, 't' }, {} };
        return disk_command(ctl, argc, argv, options, "detach-disk NAME ID [--timeout SECONDS] [--json]", detach);
}
