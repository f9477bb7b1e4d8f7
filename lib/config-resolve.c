/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <sys/socket.h>

#include "cloud-init-config.h"
#include "config-resolve.h"
#include "escape.h"
#include "firmware.h"
#include "parse-value.h"
#include "paths.h"
#include "vm-ids.h"

/* An AHCI controller has six ports; our sata disks and cdroms share one controller. */
#define SATA_PORTS 6
/* Bounds that keep the generated ExecStart= far below systemd's 1 MiB line limit, and within what a
 * guest and QEMU accept: x86 Linux takes a 2048-byte command line, q35 has 32 PCI slots per bus. */
#define CMDLINE_MAX 2047
#define EXTRA_ARGS_MAX 65536
#define DEVICES_MAX 64

static Origin file_origin(const VmConfig *c) {
        return (Origin) { .file = c->source_path, .line = 0 };
}

static void resolve_firmware(VmConfig *c, ConfigErrors *errors) {
        Origin at = c->firmware_origin.file ? c->firmware_origin : file_origin(c);

        if (c->firmware == FIRMWARE_BIOS) {
                if (c->firmware_code || c->firmware_vars)
                        config_errors_add_at(errors, at,
                                             "firmware_code and firmware_vars need firmware = uefi or uefi-secure");
                return;
        }
        if (c->firmware == FIRMWARE_UEFI_SECURE && !machine_is_q35(c->machine))
                config_errors_add_at(errors, at, "firmware = uefi-secure needs machine = q35 (secure boot needs SMM)");
        if (!!c->firmware_code != !!c->firmware_vars) {
                config_errors_add_at(errors, at, "firmware_code and firmware_vars must be set together");
                return;
        }
        if (c->firmware_code)
                return;
        if (firmware_find(c->firmware, c->machine, &c->firmware_code, &c->firmware_vars) < 0)
                config_errors_add_at(
                        errors, at,
                        "no %s firmware found for machine '%s' (install ovmf, or set firmware_code and firmware_vars)",
                        firmware_table[c->firmware], c->machine);
}

/* self: the disk or cdrom that has this boot index, which must be the only one. */
static void check_boot_index(const VmConfig *c, const void *self, unsigned boot, Origin at, const char *what,
                             ConfigErrors *errors) {
        if (boot == 0)
                return;
        bool duplicate = false;
        for (size_t i = 0; i < c->n_disks; i++)
                duplicate = duplicate || (c->disks[i].boot == boot && &c->disks[i] != self);
        for (size_t i = 0; i < c->n_cdroms; i++)
                duplicate = duplicate || (c->cdroms[i].boot == boot && &c->cdroms[i] != self);
        if (duplicate)
                config_errors_add_at(errors, at, "%s: boot = %u is used by another disk or cdrom", what, boot);
}

static void resolve_disks(VmConfig *c, ConfigErrors *errors) {
        _cleanup_free_ char *state_dir = vm_state_path(c->name, "");
        unsigned sata = 0;

        for (size_t i = 0; i < c->n_disks; i++) {
                DiskConfig *d = &c->disks[i];

                if (!d->path) {
                        if (d->size == 0 && !d->backing)
                                config_errors_add_at(
                                        errors, d->origin,
                                        "[disk.%s] needs 'size' (or 'path' of an existing image, or 'backing')", d->id);
                        _cleanup_free_ char *file =
                                xasprintf("%s.%s", d->id, d->format == DISK_FORMAT_RAW ? "img" : "qcow2");
                        d->path = vm_state_path(c->name, file);
                        d->path_origin = d->origin;
                }
                if (!d->readonly && !unit_path_list_item_ok(d->path) && !startswith(d->path, state_dir))
                        config_errors_add_at(errors, d->path_origin,
                                             "[disk.%s]: a writable disk outside %s cannot have "
                                             "spaces, quotes or backslashes in its path (the sandbox's ReadWritePaths= "
                                             "cannot hold them)",
                                             d->id, state_dir);
                if (d->shareable && d->format != DISK_FORMAT_RAW)
                        config_errors_add_at(errors, d->origin, "[disk.%s]: shareable = yes needs format = raw "
                                             "(two VMs writing qcow2 metadata corrupt it)", d->id);
                if (d->backing && d->format != DISK_FORMAT_QCOW2)
                        config_errors_add_at(errors, d->origin, "[disk.%s]: 'backing' needs format = qcow2", d->id);
                if (d->backing && streq(d->backing, d->path))
                        config_errors_add_at(errors, d->origin, "[disk.%s]: 'backing' is the disk itself", d->id);
                for (size_t j = 0; j < i; j++)
                        if (streq(c->disks[j].path, d->path))
                                config_errors_add_at(errors, d->path_origin,
                                                     "[disk.%s] uses the same path as [disk.%s]: %s",
                                                     d->id, c->disks[j].id, d->path);
                if (d->bus == DISK_BUS_SATA)
                        sata++;
                _cleanup_free_ char *what = xasprintf("[disk.%s]", d->id);
                check_boot_index(c, d, d->boot, d->origin, what, errors);
        }

        for (size_t i = 0; i < c->n_cdroms; i++) {
                CdromConfig *cd = &c->cdroms[i];
                _cleanup_free_ char *what = xasprintf("[cdrom.%s]", cd->id);

                if (!cd->path)
                        config_errors_add_at(errors, cd->origin, "%s needs 'path'", what);
                else
                        for (size_t j = 0; j < c->n_disks; j++)
                                if (streq(c->disks[j].path, cd->path))
                                        config_errors_add_at(errors, cd->origin, "%s uses the same path as [disk.%s]",
                                                             what, c->disks[j].id);
                if (cd->bus == CDROM_BUS_SATA)
                        sata++;
                check_boot_index(c, cd, cd->boot, cd->origin, what, errors);
        }
        if (sata > SATA_PORTS)
                config_errors_add_at(errors, file_origin(c), "%u sata disks and cdroms, but a controller has %d ports",
                                     sata, SATA_PORTS);
}

/* Two forwards of one VM on the same host port cannot both work: QEMU would refuse to start. */
static void check_forwards_within(const VmConfig *c, ConfigErrors *errors) {
        typedef struct { const NetConfig *net; const PortForward *f; } Seen;
        _cleanup_free_ Seen *seen = NULL;
        size_t n_seen = 0;

        for (size_t i = 0; i < c->n_nets; i++)
                for (size_t k = 0; k < c->nets[i].forwards.n; k++) {
                        const NetConfig *n = &c->nets[i];
                        Seen this = { .net = n, .f = &n->forwards.items[k] };
                        for (size_t j = 0; j < n_seen; j++)
                                if (port_forwards_clash(this.f, seen[j].f)) {
                                        _cleanup_free_ char *text = port_forward_format(this.f),
                                                            *other = port_forward_format(seen[j].f);
                                        config_errors_add_at(
                                                errors, n->forwards_origin,
                                                "[net.%s]: forward '%s' wants the host port of [net.%s]'s '%s'", n->id,
                                                text, seen[j].net->id, other);
                                }
                        seen = xrealloc(seen, (n_seen + 1) * sizeof(Seen));
                        seen[n_seen++] = this;
                }
}

/* 'mac = from-address': the NIC's first IPv4 address after a locally administered prefix. */
static void resolve_mac_from_address(NetConfig *n, ConfigErrors *errors) {
        for (size_t i = 0; i < n->addresses.n; i++) {
                if (n->addresses.items[i].family == AF_INET) {
                        vm_mac_from_ipv4(n->addresses.items[i].bytes, &n->mac.address);
                        n->mac.mode = MAC_MODE_SET;
                        return;
                }
        }
        config_errors_add_at(errors, n->mac_origin, "[net.%s]: mac = from-address needs an IPv4 'address'", n->id);
}

static void resolve_nets(VmConfig *c, ConfigErrors *errors) {
        for (size_t i = 0; i < c->n_nets; i++) {
                NetConfig *n = &c->nets[i];

                if (n->mode == NET_MODE_BRIDGE && !n->bridge)
                        config_errors_add_at(errors, n->mode_origin, "[net.%s]: mode = bridge needs 'bridge'", n->id);
                if (n->mode != NET_MODE_BRIDGE && n->bridge)
                        config_errors_add_at(errors, n->origin, "[net.%s]: 'bridge' needs mode = bridge", n->id);
                if (n->mode != NET_MODE_BRIDGE && n->vhost)
                        config_errors_add_at(errors, n->origin, "[net.%s]: 'vhost' needs mode = bridge", n->id);
                if (n->mode != NET_MODE_USER && n->forwards.n > 0)
                        config_errors_add_at(errors, n->forwards_origin, "[net.%s]: 'forward' needs mode = user",
                                             n->id);
                if (n->mode == NET_MODE_NONE)
                        continue;
                if (n->mode == NET_MODE_BRIDGE) {
                        char ifname[TAP_IFNAME_MAX];
                        vm_tap_ifname(c->name, (unsigned) i, ifname);
                        n->ifname = xstrdup(ifname);
                }
                if (n->mac.mode == MAC_MODE_FROM_ADDRESS)
                        resolve_mac_from_address(n, errors);
                if (n->mac.mode == MAC_MODE_AUTO) {
                        int r = vm_mac_derive(c->name, n->id, &n->mac.address);
                        if (r < 0) {
                                errno = -r;
                                config_errors_add_at(
                                        errors, n->origin,
                                        "[net.%s]: cannot derive a MAC address without a machine ID (%m); set 'mac'",
                                        n->id);
                                continue;
                        }
                        n->mac.mode = MAC_MODE_SET;
                        n->mac_origin = n->origin;
                }
                for (size_t j = 0; j < i && n->mac.mode == MAC_MODE_SET; j++)
                        if (c->nets[j].mac.mode == MAC_MODE_SET &&
                            mac_address_equal(&c->nets[j].mac.address, &n->mac.address))
                                config_errors_add_at(errors, n->mac_origin, "[net.%s] has the same MAC as [net.%s]: %s",
                                                     n->id, c->nets[j].id, MAC_TO_STRING(&n->mac.address));
        }
        check_forwards_within(c, errors);
}

static void check_bounds(const VmConfig *c, ConfigErrors *errors) {
        size_t extra = 0;

        if (c->cmdline && strlen(c->cmdline) > CMDLINE_MAX)
                config_errors_add_at(errors, c->cmdline_origin, "'cmdline' is %zu bytes, at most %d",
                                     strlen(c->cmdline), CMDLINE_MAX);
        for (size_t i = 0; i < c->extra_args.n; i++)
                extra += strlen(c->extra_args.items[i]) + 1;
        if (extra > EXTRA_ARGS_MAX)
                config_errors_add_at(errors, c->extra_args_origin, "'extra_args' is %zu bytes, at most %d", extra,
                                     EXTRA_ARGS_MAX);
        if (c->n_disks + c->n_cdroms > DEVICES_MAX || c->n_nets > DEVICES_MAX)
                config_errors_add_at(errors, file_origin(c), "%zu disks and cdroms and %zu NICs; at most %d of each",
                                     c->n_disks + c->n_cdroms, c->n_nets, DEVICES_MAX);
}

void vm_config_resolve(VmConfig *c, ConfigErrors *errors) {
        check_bounds(c, errors);
        if ((c->initrd || c->cmdline) && !c->kernel)
                config_errors_add_at(errors, c->cmdline_origin.file ? c->cmdline_origin : file_origin(c),
                                     "'initrd' and 'cmdline' need 'kernel'");
        resolve_firmware(c, errors);
        resolve_disks(c, errors);
        resolve_nets(c, errors);
        cloud_init_resolve(c, errors);
        if (c->ready == READY_AGENT && !c->agent.enabled)
                config_errors_add_at(errors, c->ready_origin, "'ready = agent' needs the [agent] section");
        /* The agent's way down comes second: the power button first, for half the time by default. */
        if (c->agent.enabled && c->agent.shutdown_after == 0 && c->shutdown_timeout < 2)
                config_errors_add_at(errors, file_origin(c),
                                     "[agent] needs shutdown_timeout of at least 2 s: the agent is asked after the "
                                     "power button, before the timeout");
        else if (c->agent.enabled && c->agent.shutdown_after == 0)
                c->agent.shutdown_after = c->shutdown_timeout / 2;
        else if (c->agent.enabled && c->agent.shutdown_after >= c->shutdown_timeout)
                config_errors_add_at(errors, c->agent.shutdown_after_origin,
                                     "'shutdown_after' (%u s) must be less than shutdown_timeout (%u s)",
                                     c->agent.shutdown_after, c->shutdown_timeout);
        /* tpm-crb is what a TPM 2.0 on a PC looks like today; it needs q35's memory map. */
        if (c->tpm.model == _TPM_MODEL_INVALID)
                c->tpm.model = machine_is_q35(c->machine) ? TPM_MODEL_CRB : TPM_MODEL_TIS;
        if (!c->uuid) {
                char uuid[UUID_STRING_MAX];
                vm_uuid_from_name(c->name, uuid);
                c->uuid = xstrdup(uuid);
        }
}
