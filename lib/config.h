/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The model of one VM's configuration: what /etc/qemu/vms/NAME.conf and its drop-ins say, after
 * defaults. Read by config-parse.c, checked and completed by config-resolve.c, turned into a QEMU
 * command line by qemu-argv.c. */

#include <stdbool.h>
#include <stdint.h>

#include "parse-value.h"
#include "strv.h"

/* The serial log's size before it is rotated ([serial] log_max): a guest can print without end, and
 * two files of this size are all it may take of /var. */
#define SERIAL_LOG_MAX_MIN (64ULL * 1024)
#define SERIAL_LOG_MAX_MAX (1024ULL * 1024 * 1024 * 1024)

/* Where a value came from, for messages of the form "FILE:LINE: ...". */
typedef struct Origin {
        const char *file;       /* points into VmConfig.files */
        unsigned line;
} Origin;

typedef enum Accel { ACCEL_KVM, ACCEL_TCG, ACCEL_KVM_TCG, _ACCEL_MAX, _ACCEL_INVALID = -1 } Accel;
typedef enum Firmware {
        FIRMWARE_UEFI,
        FIRMWARE_UEFI_SECURE,
        FIRMWARE_BIOS,
        _FIRMWARE_MAX,
        _FIRMWARE_INVALID = -1
} Firmware;
typedef enum DiskFormat { DISK_FORMAT_QCOW2, DISK_FORMAT_RAW, _DISK_FORMAT_MAX, _DISK_FORMAT_INVALID = -1 } DiskFormat;
typedef enum DiskBus {
        DISK_BUS_VIRTIO,
        DISK_BUS_SCSI,
        DISK_BUS_SATA,
        DISK_BUS_NVME,
        _DISK_BUS_MAX,
        _DISK_BUS_INVALID = -1
} DiskBus;
typedef enum DiskCache {
        DISK_CACHE_NONE, DISK_CACHE_WRITEBACK, DISK_CACHE_WRITETHROUGH, DISK_CACHE_DIRECTSYNC, DISK_CACHE_UNSAFE,
        _DISK_CACHE_MAX, _DISK_CACHE_INVALID = -1
} DiskCache;
typedef enum DiskDiscard {
        DISK_DISCARD_IGNORE,
        DISK_DISCARD_UNMAP,
        _DISK_DISCARD_MAX,
        _DISK_DISCARD_INVALID = -1
} DiskDiscard;
typedef enum CdromBus { CDROM_BUS_SATA, CDROM_BUS_SCSI, _CDROM_BUS_MAX, _CDROM_BUS_INVALID = -1 } CdromBus;
typedef enum NetMode { NET_MODE_USER, NET_MODE_BRIDGE, NET_MODE_NONE, _NET_MODE_MAX, _NET_MODE_INVALID = -1 } NetMode;
/* _TPM_MODEL_INVALID until resolved: tpm-crb on q35, tpm-tis elsewhere. */
typedef enum TpmModel { TPM_MODEL_CRB, TPM_MODEL_TIS, _TPM_MODEL_MAX, _TPM_MODEL_INVALID = -1 } TpmModel;
/* When `systemctl start` is done: QEMU runs (qmp), or the guest's agent answers too (agent). */
typedef enum ReadyMode { READY_QMP, READY_AGENT, _READY_MAX, _READY_INVALID = -1 } ReadyMode;

extern const char *const accel_table[_ACCEL_MAX];
extern const char *const firmware_table[_FIRMWARE_MAX];
extern const char *const disk_format_table[_DISK_FORMAT_MAX];
extern const char *const disk_bus_table[_DISK_BUS_MAX];
extern const char *const disk_cache_table[_DISK_CACHE_MAX];
extern const char *const disk_discard_table[_DISK_DISCARD_MAX];
extern const char *const cdrom_bus_table[_CDROM_BUS_MAX];
extern const char *const net_mode_table[_NET_MODE_MAX];
extern const char *const tpm_model_table[_TPM_MODEL_MAX];
extern const char *const ready_table[_READY_MAX];

typedef struct DiskConfig {
        char *id;
        Origin origin;          /* the first [disk.ID] header */
        char *path;             /* default: STATE_DIR/NAME/ID.FORMAT */
        Origin path_origin;
        uint64_t size;          /* 0: not given; the disk must then exist or come from a backing file */
        Origin size_origin;
        DiskFormat format;
        char *backing;
        DiskFormat backing_format;
        DiskBus bus;
        DiskCache cache;
        DiskDiscard discard;
        bool readonly;
        bool shareable;         /* other VMs may write it at the same time (share-rw=on) */
        unsigned boot;          /* bootindex; 0: none */
} DiskConfig;

typedef struct CdromConfig {
        char *id;
        Origin origin;
        char *path;
        CdromBus bus;
        unsigned boot;
} CdromConfig;

/* Where a NIC's MAC comes from: derived (auto) or its IPv4 address (from-address) until resolved, then
 * MAC_MODE_SET, as when the file gives one. */
typedef enum MacMode { MAC_MODE_AUTO, MAC_MODE_FROM_ADDRESS, MAC_MODE_SET } MacMode;

typedef struct NicMac {
        MacMode mode;
        MacAddress address;     /* with MAC_MODE_SET */
} NicMac;

typedef struct NetConfig {
        char *id;
        Origin origin;
        NetMode mode;
        Origin mode_origin;
        char *bridge;
        NicMac mac;
        Origin mac_origin;
        char *model;
        PortForwards forwards;  /* user mode: QEMU hostfwd rules */
        Origin forwards_origin;
        bool vhost;
        char *ifname;           /* bridge mode: the tap device, once resolved */
        /* Static configuration for cloud-init: addresses with their prefix, gateways and name servers
         * without. */
        IpAddresses addresses;
        Origin addresses_origin;
        IpAddresses gateways;
        Origin gateways_origin;
        IpAddresses dns;
        Origin dns_origin;
} NetConfig;

/* Whether cloud-init gets static configuration for this NIC: address, gateway or dns. */
bool net_has_static_config(const NetConfig *n);

/* 'mac = from-address' until resolved: 02:00 and the NIC's first IPv4 address. */
#define MAC_FROM_ADDRESS "from-address"

/* [user.NAME]: an account cloud-init creates in the guest. */
typedef struct UserConfig {
        char *name;
        Origin origin;
        Strv ssh_keys;          /* authorized_keys files, read at each start */
        char *password_hash;    /* crypt(3); never written to a unit: qemu-vm-prepare-root reads it from its line */
        Origin password_hash_origin;
        bool sudo;
        char *shell;
} UserConfig;

/* [cloud-init]: a NoCloud seed (volume "cidata") built at each start and attached as a cdrom. */
typedef struct CloudInitConfig {
        bool enabled;           /* the section is there, unless 'enabled = no' */
        Origin origin;
        char *hostname;         /* default: the VM's name, or fqdn's first label */
        Origin hostname_origin;
        char *fqdn;
        Origin fqdn_origin;
        Strv ssh_keys;          /* authorized_keys files of the image's own default user */
        char *user_data_file;
        Origin user_data_origin;
        char *network_config_file;
        Origin network_config_origin;
} CloudInitConfig;

/* [tpm]: a TPM 2.0 from swtpm@NAME (units/swtpm@.service). */
typedef struct TpmConfig {
        bool enabled;           /* the section is there, unless 'enabled = no' */
        TpmModel model;
} TpmConfig;

/* [agent]: a virtio-serial channel to the QEMU guest agent in the guest (qemu-guest-agent), on a socket in
 * the VM's runtime directory; qemu-vmctl connects to it per call. */
typedef struct AgentConfig {
        bool enabled;           /* the section is there, unless 'enabled = no' */
        /* Seconds of pressing the power button before qemu-vm-shutdown asks the agent to power the
         * guest off; 0 until resolved (half of shutdown_timeout), always below shutdown_timeout. */
        unsigned shutdown_after;
        Origin shutdown_after_origin;
} AgentConfig;

/* [vnc]: QEMU's VNC server on a unix socket, served to browsers by novnc@NAME (websockify). */
typedef struct VncConfig {
        bool enabled;
        Origin origin;          /* the [vnc] header */
        char *listen;           /* an IPv4 or IPv6 address */
        unsigned port;          /* 0: auto, until console_ports_assign() picks one */
        bool port_auto;         /* the port was picked, not given */
        Origin port_origin;
        unsigned idle_timeout;  /* seconds websockify stays without a browser connected; 0: until the VM stops */
} VncConfig;

typedef struct VmConfig {
        char *name;
        char *source_path;      /* NAME.conf itself */
        Strv files;             /* every file read, in order; Origin.file points at these */
        bool has_vm_section;    /* some file of the VM itself (not the defaults) has [vm] */

        uint64_t memory;        /* bytes */
        Origin memory_origin;
        unsigned cpus;
        char *machine;
        Accel accel;
        char *cpu;
        Firmware firmware;
        Origin firmware_origin;
        char *firmware_code;    /* explicit, or resolved from the firmware descriptors */
        char *firmware_vars;    /* the NVRAM template */
        bool autostart;
        bool protect;           /* qemu-vmctl destroy refuses, even with --force */
        unsigned shutdown_timeout;      /* seconds */
        ReadyMode ready;
        Origin ready_origin;
        unsigned ready_timeout;         /* seconds; with ready = agent */
        unsigned hotplug_slots; /* q35: empty PCIe root ports for qemu-vmctl attach-disk */
        char *uuid;             /* explicit, or name-based once resolved */
        Strv extra_args;
        Origin extra_args_origin;
        char *kernel;
        char *initrd;
        char *cmdline;
        Origin cmdline_origin;
        bool serial;
        bool serial_log;
        uint64_t serial_log_max;        /* bytes per file: serial.log, then serial.log.1 */
        TpmConfig tpm;
        AgentConfig agent;
        VncConfig vnc;
        CloudInitConfig cloud_init;

        DiskConfig *disks;
        size_t n_disks;
        CdromConfig *cdroms;
        size_t n_cdroms;
        NetConfig *nets;
        size_t n_nets;
        UserConfig *users;
        size_t n_users;
} VmConfig;

/* One problem found in a VM's files. */
typedef struct ConfigError {
        char *file;             /* may be NULL when the problem is not in one file */
        unsigned line;          /* 0: the whole file */
        char *message;
} ConfigError;

typedef struct ConfigErrors {
        ConfigError *items;
        size_t n;
} ConfigErrors;

void config_errors_add(ConfigErrors *e, const char *file, unsigned line, const char *fmt, ...) _printf_(4, 5);
#define config_errors_add_at(e, origin, ...) config_errors_add((e), (origin).file, (origin).line, __VA_ARGS__)
/* "FILE:LINE: message", "FILE: message" or "message". */
char *config_error_format(const ConfigError *error);
/* Logs each error, with SUFFIX appended ("" for none). */
void config_errors_log(const ConfigErrors *e, const char *suffix);
void config_errors_clear(ConfigErrors *e);

void vm_config_init(VmConfig *c, const char *name, const char *source_path);
/* "q35" and its versioned names: PCI Express, where only root ports take hot-plugged devices. */
bool machine_is_q35(const char *machine);
void vm_config_free(VmConfig *c);

/* Whether a NIC has mode = user (QEMU's own NAT, which opens sockets on the host for the guest). */
bool vm_has_user_nic(const VmConfig *c);
/* Whether the guest's serial output is logged (qemu-vm-serial-log@NAME, through a FIFO). */
bool vm_has_serial_log(const VmConfig *c);

/* Warns, naming file and line, of each password_hash in a file that others may read: unit files are
 * world-readable anyway, so a hash is kept out of them (README), and its own file must be private. */
void vm_config_warn_readable_secrets(const VmConfig *c);
