/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>

#include "cloud-init-config.h"
#include "escape.h"
#include "paths.h"
#include "qemu-argv.h"

/* Appends "-OPTION VALUE" where VALUE is built with printf. */
#define push_option(v, option, ...)                     \
        do {                                            \
                strv_push((v), (option));               \
                strv_pushf((v), __VA_ARGS__);           \
        } while (0)

typedef struct Controllers {
        bool scsi;              /* virtio-scsi-pci "scsi0" added */
        bool sata;              /* ahci "sata0" added */
        unsigned sata_port;
        unsigned scsi_lun;
} Controllers;

static void push_machine(const VmConfig *c, Strv *v) {
        push_option(v, "-machine", "%s%s", c->machine, c->firmware == FIRMWARE_UEFI_SECURE ? ",smm=on" : "");
        if (c->accel == ACCEL_KVM || c->accel == ACCEL_KVM_TCG)
                push_option(v, "-accel", "kvm");
        if (c->accel == ACCEL_TCG || c->accel == ACCEL_KVM_TCG)
                push_option(v, "-accel", "tcg");
        push_option(v, "-cpu", "%s", c->cpu);
        push_option(v, "-smp", "%u", c->cpus);
        push_option(v, "-m", "%" PRIu64 "M", c->memory >> 20);
}

/* QMP for the shutdown helper and qemu-vmctl; -daemonize makes QEMU's parent exit only once every
 * socket exists, so Type=forking "active" means ready. */
static void push_control(const VmConfig *c, Strv *v) {
        _cleanup_free_ char *pid = vm_runtime_path(c->name, VM_PID_FILE);
        _cleanup_free_ char *qmp = vm_runtime_path(c->name, VM_QMP_SOCKET);
        _cleanup_free_ char *qmp_escaped = qemu_option_escape(qmp);
        _cleanup_free_ char *stop = vm_runtime_path(c->name, VM_SHUTDOWN_QMP_SOCKET);
        _cleanup_free_ char *stop_escaped = qemu_option_escape(stop);

        push_option(v, "-display", "none");
        strv_push(v, "-daemonize");
        push_option(v, "-pidfile", "%s", pid);
        push_option(v, "-chardev", "socket,id=qmp,path=%s,server=on,wait=off", qmp_escaped);
        push_option(v, "-mon", "chardev=qmp,mode=control");
        push_option(v, "-chardev", "socket,id=qmp-shutdown,path=%s,server=on,wait=off", stop_escaped);
        push_option(v, "-mon", "chardev=qmp-shutdown,mode=control");
}

static void push_serial(const VmConfig *c, Strv *v) {
        if (!c->serial)
                return;

        _cleanup_free_ char *sock = vm_runtime_path(c->name, VM_SERIAL_SOCKET);
        _cleanup_free_ char *sock_escaped = qemu_option_escape(sock);
        _cleanup_free_ char *log = vm_serial_log_fifo_path(c->name);
        _cleanup_free_ char *log_escaped = qemu_option_escape(log);

        if (vm_has_serial_log(c))
                push_option(v, "-chardev", "socket,id=serial0,path=%s,server=on,wait=off,logfile=%s,logappend=on",
                            sock_escaped, log_escaped);
        else
                push_option(v, "-chardev", "socket,id=serial0,path=%s,server=on,wait=off", sock_escaped);
        push_option(v, "-serial", "chardev:serial0");
}

/* swtpm@NAME.socket listens; swtpm starts when QEMU connects (units/swtpm@.service). */
static void push_tpm(const VmConfig *c, Strv *v) {
        if (!c->tpm.enabled)
                return;

        _cleanup_free_ char *sock = vm_tpm_socket_path(c->name);
        _cleanup_free_ char *sock_escaped = qemu_option_escape(sock);

        push_option(v, "-chardev", "socket,id=tpm0-chr,path=%s", sock_escaped);
        push_option(v, "-tpmdev", "emulator,id=tpm0,chardev=tpm0-chr");
        push_option(v, "-device", "%s,tpmdev=tpm0", c->tpm.model == TPM_MODEL_CRB ? "tpm-crb" : "tpm-tis");
}

/* The guest agent listens on the virtio-serial port org.qemu.guest_agent.0 (the name its package's udev
 * rule and unit wait for); QEMU serves the host's end on a socket that root's qemu-vmctl connects to. */
static void push_agent(const VmConfig *c, Strv *v) {
        if (!c->agent.enabled)
                return;

        _cleanup_free_ char *sock = vm_runtime_path(c->name, VM_AGENT_SOCKET);
        _cleanup_free_ char *sock_escaped = qemu_option_escape(sock);

        push_option(v, "-chardev", "socket,id=agent,path=%s,server=on,wait=off", sock_escaped);
        push_option(v, "-device", "virtio-serial-pci,id=agent-serial");
        push_option(v, "-device", "virtserialport,bus=agent-serial.0,chardev=agent,name=org.qemu.guest_agent.0");
}

/* VNC on a unix socket only: "-vnc unix:...,websocket=on" would also open TCP 5700 on every address
 * (docs/DESIGN-NOTES.md). The tablet gives the browser's pointer absolute coordinates. */
static void push_vnc(const VmConfig *c, Strv *v) {
        if (!c->vnc.enabled)
                return;

        _cleanup_free_ char *sock = vm_runtime_path(c->name, VM_VNC_SOCKET);
        _cleanup_free_ char *sock_escaped = qemu_option_escape(sock);

        push_option(v, "-vnc", "unix:%s", sock_escaped);
        push_option(v, "-device", "VGA,id=video0");
        push_option(v, "-device", "qemu-xhci,id=usb0");
        push_option(v, "-device", "usb-tablet,bus=usb0.0,id=tablet0");
}

static void push_firmware(const VmConfig *c, Strv *v) {
        if (c->firmware == FIRMWARE_BIOS)
                return;

        _cleanup_free_ char *code = qemu_option_escape(c->firmware_code);
        _cleanup_free_ char *nvram = vm_nvram_path(c->name);
        _cleanup_free_ char *nvram_escaped = qemu_option_escape(nvram);

        if (c->firmware == FIRMWARE_UEFI_SECURE)
                push_option(v, "-global", "driver=cfi.pflash01,property=secure,value=on");
        push_option(v, "-drive", "if=pflash,format=raw,unit=0,readonly=on,file=%s", code);
        push_option(v, "-drive", "if=pflash,format=raw,unit=1,file=%s", nvram_escaped);
}

static char *bootindex(unsigned boot) {
        return boot > 0 ? xasprintf(",bootindex=%u", boot) : xstrdup("");
}

static void need_scsi(Controllers *ctl, Strv *v) {
        if (!ctl->scsi)
                push_option(v, "-device", "virtio-scsi-pci,id=scsi0");
        ctl->scsi = true;
}

static void need_sata(Controllers *ctl, Strv *v) {
        if (!ctl->sata)
                push_option(v, "-device", "ahci,id=sata0");
        ctl->sata = true;
}

char *qemu_disk_node_name(const char *disk_id) {
        return xasprintf("disk-%s", disk_id);
}

char *qemu_disk_device_id(const char *disk_id) {
        return xasprintf("dev-disk-%s", disk_id);
}

static void push_disk(const DiskConfig *d, Controllers *ctl, Strv *v) {
        _cleanup_free_ char *path = qemu_option_escape(d->path);
        _cleanup_free_ char *boot = bootindex(d->boot);
        _cleanup_free_ char *node = qemu_disk_node_name(d->id), *dev = qemu_disk_device_id(d->id);
        /* The device's last properties; share-rw: other VMs may write a shareable disk too. */
        _cleanup_free_ char *props = xasprintf("%s%s", d->shareable ? ",share-rw=on" : "", boot);

        push_option(v, "-drive", "file=%s,if=none,id=%s,format=%s,cache=%s,discard=%s%s",
                    path, node, disk_format_table[d->format], disk_cache_table[d->cache],
                    disk_discard_table[d->discard], d->readonly ? ",readonly=on" : "");

        switch (d->bus) {
        case DISK_BUS_VIRTIO:
                push_option(v, "-device", "virtio-blk-pci,drive=%s,id=%s%s", node, dev, props);
                break;
        case DISK_BUS_SCSI:
                need_scsi(ctl, v);
                push_option(v, "-device", "scsi-hd,bus=scsi0.0,lun=%u,drive=%s,id=%s%s", ctl->scsi_lun++, node, dev,
                            props);
                break;
        case DISK_BUS_SATA:
                need_sata(ctl, v);
                push_option(v, "-device", "ide-hd,bus=sata0.%u,drive=%s,id=%s%s", ctl->sata_port++, node, dev, props);
                break;
        case DISK_BUS_NVME:
                push_option(v, "-device", "nvme,drive=%s,serial=%s,id=%s%s", node, d->id, dev, props);
                break;
        default:
                abort();
        }
}

static void push_cdrom(const CdromConfig *cd, Controllers *ctl, Strv *v) {
        _cleanup_free_ char *path = qemu_option_escape(cd->path);
        _cleanup_free_ char *boot = bootindex(cd->boot);

        push_option(v, "-drive", "file=%s,if=none,id=cdrom-%s,media=cdrom,readonly=on,format=raw", path, cd->id);
        if (cd->bus == CDROM_BUS_SCSI) {
                need_scsi(ctl, v);
                push_option(v, "-device", "scsi-cd,bus=scsi0.0,lun=%u,drive=cdrom-%s,id=dev-cdrom-%s%s",
                            ctl->scsi_lun++, cd->id, cd->id, boot);
        } else {
                need_sata(ctl, v);
                push_option(v, "-device", "ide-cd,bus=sata0.%u,drive=cdrom-%s,id=dev-cdrom-%s%s",
                            ctl->sata_port++, cd->id, cd->id, boot);
        }
}

/* qemu-vm-prepare-root builds the seed before each start; a read-only cdrom that never boots. On virtio-scsi:
 * Debian's cloud kernel has no AHCI (# CONFIG_SATA_AHCI is not set), a sata cdrom it would never see. */
static void push_cloud_init_seed(const VmConfig *c, Controllers *ctl, Strv *v) {
        if (!c->cloud_init.enabled)
                return;
        _cleanup_free_ char *seed = vm_seed_path(c->name);
        CdromConfig cd = { .id = (char *) CLOUD_INIT_CDROM_ID, .path = seed, .bus = CDROM_BUS_SCSI };
        push_cdrom(&cd, ctl, v);
}

/* A bridged NIC opens the tap that qemu-vm-tap@IFNAME.service made for the qemu-vm user: QEMU needs
 * no privileges and runs no scripts. */
static void push_net(const NetConfig *n, Strv *v) {
        switch (n->mode) {
        case NET_MODE_NONE:
                return;
        case NET_MODE_USER: {
                Strv opts = {};
                strv_pushf(&opts, "user,id=net-%s", n->id);
                for (size_t i = 0; i < n->forwards.n; i++) {
                        _cleanup_free_ char *rule = port_forward_format(&n->forwards.items[i]);
                        strv_pushf(&opts, "hostfwd=%s", rule);
                }
                strv_push(v, "-netdev");
                strv_consume(v, strv_join(&opts, ","));
                strv_clear(&opts);
                break;
        }
        case NET_MODE_BRIDGE:
                push_option(v, "-netdev", "tap,id=net-%s,ifname=%s,script=no,downscript=no%s",
                            n->id, n->ifname, n->vhost ? ",vhost=on" : "");
                break;
        default:
                abort();
        }
        push_option(v, "-device", "%s,netdev=net-%s,mac=%s,id=nic-%s", n->model, n->id, MAC_TO_STRING(&n->mac.address),
                    n->id);
}

static void push_kernel(const VmConfig *c, Strv *v) {
        if (!c->kernel)
                return;
        push_option(v, "-kernel", "%s", c->kernel);
        if (c->initrd)
                push_option(v, "-initrd", "%s", c->initrd);
        if (c->cmdline)
                push_option(v, "-append", "%s", c->cmdline);
}

/* On q35 a device can be hot-plugged only behind a PCIe root port, so empty ones are made for
 * qemu-vmctl attach-disk. They come after every other device, so adding or removing them never moves
 * a configured device to another PCI address. i440fx (pc) takes hot-plugged devices on its own bus. */
static void push_hotplug_slots(const VmConfig *c, Strv *v) {
        if (!machine_is_q35(c->machine))
                return;
        for (unsigned i = 0; i < c->hotplug_slots; i++)
                push_option(v, "-device", "pcie-root-port,id=" QEMU_VM_HOTPLUG_PORT_PREFIX "%u,chassis=%u", i, i + 1);
}

void qemu_argv_build(const VmConfig *c, Strv *v) {
        Controllers ctl = {};

        strv_push(v, QEMU_VM_QEMU_BINARY);
        push_option(v, "-name", "%s,debug-threads=on", c->name);
        push_option(v, "-uuid", "%s", c->uuid);
        strv_push(v, "-no-user-config");
        strv_push(v, "-nodefaults");
        push_machine(c, v);
        push_control(c, v);
        push_serial(c, v);
        push_vnc(c, v);
        push_tpm(c, v);
        push_agent(c, v);
        push_firmware(c, v);
        for (size_t i = 0; i < c->n_disks; i++)
                push_disk(&c->disks[i], &ctl, v);
        for (size_t i = 0; i < c->n_cdroms; i++)
                push_cdrom(&c->cdroms[i], &ctl, v);
        push_cloud_init_seed(c, &ctl, v);
        for (size_t i = 0; i < c->n_nets; i++)
                push_net(&c->nets[i], v);
        push_hotplug_slots(c, v);
        push_kernel(c, v);
        for (size_t i = 0; i < c->extra_args.n; i++)
                strv_push(v, c->extra_args.items[i]);
}
