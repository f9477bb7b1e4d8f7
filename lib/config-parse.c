/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <uuid/uuid.h>

#define INI_HANDLER_LINENO 1
#include <ini.h>

#include "config-parse.h"
#include "escape.h"
#include "names.h"
#include "parse-value.h"
#include "password-hash.h"
#include "path-util.h"

/* Files larger than this are not VM configurations. */
#define CONFIG_FILE_MAX (1024 * 1024)

typedef enum SectionKind {
        SECTION_VM, SECTION_SERIAL, SECTION_TPM, SECTION_AGENT, SECTION_VNC, SECTION_CLOUD_INIT, SECTION_DISK, SECTION_CDROM,
        SECTION_NET, SECTION_USER, _SECTION_MAX
} SectionKind;

typedef struct KeyDef KeyDef;
typedef int (*KeyParser)(const KeyDef *def, const char *value, void *field, char **ret_error);

struct KeyDef {
        const char *name;
        KeyParser parse;
        size_t offset;          /* of the field in its section's struct */
        ssize_t origin_offset;  /* of an Origin field to record the line in, or -1 */
        const void *data;       /* parser-specific: EnumSpec, UintRange */
        bool appends;           /* repeated lines in one file add to the value (continuation lines) */
};

typedef struct EnumSpec {
        const char *const *table;
        size_t n;
} EnumSpec;

typedef struct UintRange {
        uint64_t min, max;
} UintRange;

/* A section header or key already met in the current file. */
typedef struct Seen {
        char *section;
        const char *key;        /* a KeyDef's name, compared by pointer; NULL for the header itself */
        unsigned line;
} Seen;

typedef struct ParseContext {
        VmConfig *config;
        ConfigErrors *errors;
        const char *file;
        bool defaults_only;
        Seen *seen;
        size_t n_seen;
} ParseContext;

static int parse_string(const KeyDef *def _unused_, const char *value, void *field, char **ret_error _unused_) {
        char **s = field;

        free(*s);
        *s = xstrdup(value);
        return 0;
}

/* Paths are kept normalised, so that rules comparing them (disk-sharing.c, the state directory's
 * files) see one spelling: "//", "/./" and a trailing "/" are folded, ".." is refused. */
static int normalize_path(const KeyDef *def, const char *value, char **ret, char **ret_error) {
        int r = path_normalize(value, ret);
        if (r == -EINVAL)
                *ret_error = xasprintf("'%s' must be an absolute path, got '%s'", def->name, value);
        else if (r < 0)
                *ret_error = xasprintf("'%s' must not contain '..', got '%s'", def->name, value);
        return r;
}

static int parse_path(const KeyDef *def, const char *value, void *field, char **ret_error) {
        char *path;
        int r = normalize_path(def, value, &path, ret_error);
        if (r < 0)
                return r;
        char **s = field;
        free(*s);
        *s = path;
        return 0;
}

static int parse_word(const KeyDef *def, const char *value, void *field, char **ret_error) {
        if (!qemu_word_is_valid(value)) {
                *ret_error = xasprintf("invalid value '%s' for '%s' (letters, digits, '-', '_', '.', '+' only)",
                                       value, def->name);
                return -EINVAL;
        }
        return parse_string(def, value, field, ret_error);
}

static int parse_size_field(const KeyDef *def, const char *value, void *field, char **ret_error) {
        int r = parse_size(value, field);
        if (r == -ERANGE)
                *ret_error = xasprintf("size '%s' for '%s' is too large", value, def->name);
        else if (r < 0)
                *ret_error = xasprintf("invalid size '%s' for '%s' (expected a number with an optional K, M, G or T suffix)",
                                       value, def->name);
        return r;
}

/* qemu-img takes sizes up to INT64_MAX bytes. */
static int parse_disk_size(const KeyDef *def, const char *value, void *field, char **ret_error) {
        uint64_t v;
        int r = parse_size_field(def, value, &v, ret_error);
        if (r < 0)
                return r;
        if (v > INT64_MAX) {
                *ret_error = xasprintf("size '%s' for '%s' is too large (at most 8388607T)", value, def->name);
                return -ERANGE;
        }
        if (v == 0) {
                *ret_error = xasprintf("size '%s' for '%s' is zero", value, def->name);
                return -ERANGE;
        }
        *(uint64_t *) field = v;
        return 0;
}

static int parse_log_max(const KeyDef *def, const char *value, void *field, char **ret_error) {
        uint64_t v;
        int r = parse_size_field(def, value, &v, ret_error);
        if (r < 0)
                return r;
        if (v < SERIAL_LOG_MAX_MIN || v > SERIAL_LOG_MAX_MAX) {
                *ret_error = xasprintf("size '%s' for '%s' is out of range (64K to 1T)", value, def->name);
                return -ERANGE;
        }
        *(uint64_t *) field = v;
        return 0;
}

static int parse_memory(const KeyDef *def, const char *value, void *field, char **ret_error) {
        uint64_t v;
        int r = parse_size_field(def, value, &v, ret_error);
        if (r < 0)
                return r;
        if (v < (UINT64_C(16) << 20) || v > (UINT64_C(16) << 40) || v % (UINT64_C(1) << 20) != 0) {
                *ret_error = xasprintf("memory '%s' must be a whole number of MiB between 16M and 16T", value);
                return -ERANGE;
        }
        *(uint64_t *) field = v;
        return 0;
}

static int parse_unsigned(const KeyDef *def, const char *value, void *field, char **ret_error) {
        const UintRange *range = def->data;
        uint64_t v;
        int r = parse_uint_range(value, range->min, range->max, &v);
        if (r < 0) {
                *ret_error = xasprintf("invalid value '%s' for '%s' (expected a whole number from %" PRIu64 " to %" PRIu64 ")",
                                       value, def->name, range->min, range->max);
                return r;
        }
        *(unsigned *) field = (unsigned) v;
        return 0;
}

static int parse_boolean(const KeyDef *def, const char *value, void *field, char **ret_error) {
        int r = parse_bool(value, field);
        if (r < 0)
                *ret_error = xasprintf("invalid value '%s' for '%s' (expected yes or no)", value, def->name);
        return r;
}

static int parse_enum(const KeyDef *def, const char *value, void *field, char **ret_error) {
        const EnumSpec *spec = def->data;
        int i = string_table_lookup(spec->table, spec->n, value);
        if (i < 0) {
                Strv words = {};
                for (size_t j = 0; j < spec->n; j++)
                        strv_push(&words, spec->table[j]);
                _cleanup_free_ char *list = strv_join(&words, ", ");
                strv_clear(&words);
                *ret_error = xasprintf("invalid value '%s' for '%s' (expected one of: %s)", value, def->name, list);
                return -EINVAL;
        }
        *(int *) field = i;
        return 0;
}

static int parse_uuid(const KeyDef *def, const char *value, void *field, char **ret_error) {
        uuid_t u;
        if (strlen(value) != 36 || uuid_parse(value, u) < 0) {
                *ret_error = xasprintf("invalid UUID '%s' for '%s'", value, def->name);
                return -EINVAL;
        }
        char canonical[37];
        uuid_unparse_lower(u, canonical);
        return parse_string(def, canonical, field, ret_error);
}

static int parse_mac(const KeyDef *def, const char *value, void *field, char **ret_error) {
        uint8_t b[6];

        if (streq(value, "auto")) {
                char **s = field;
                free(*s);
                *s = NULL;
                return 0;
        }
        if (streq(value, MAC_FROM_ADDRESS))
                return parse_string(def, value, field, ret_error);
        if (parse_mac_address(value, b) < 0) {
                *ret_error = xasprintf("invalid MAC address '%s' for '%s' (expected auto, from-address or xx:xx:xx:xx:xx:xx)",
                                       value, def->name);
                return -EINVAL;
        }
        if (b[0] & 1) {
                *ret_error = xasprintf("MAC address '%s' is a multicast address", value);
                return -EINVAL;
        }
        char canonical[3 * 6 * 4];
        snprintf(canonical, sizeof canonical, "%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3], b[4], b[5]);
        return parse_string(def, canonical, field, ret_error);
}

static int parse_args(const KeyDef *def, const char *value, void *field, char **ret_error) {
        if (strv_split_words(field, value) < 0) {
                *ret_error = xasprintf("unbalanced quotes in '%s'", def->name);
                return -EINVAL;
        }
        return 0;
}

/* An IPv4 or IPv6 address to listen on, written back in its canonical form. Host names are refused:
 * what a name resolves to at boot is not something a unit should depend on. */
static int parse_listen(const KeyDef *def, const char *value, void *field, char **ret_error) {
        unsigned char addr[sizeof(struct in6_addr)];
        char canonical[INET6_ADDRSTRLEN];
        int family = strchr(value, ':') ? AF_INET6 : AF_INET;

        if (inet_pton(family, value, addr) != 1 || !inet_ntop(family, addr, canonical, sizeof canonical)) {
                *ret_error = xasprintf("invalid address '%s' for '%s' (expected an IPv4 or IPv6 address)",
                                       value, def->name);
                return -EINVAL;
        }
        return parse_string(def, canonical, field, ret_error);
}

/* "auto" (0) or a port websockify can bind without privileges. */
static int parse_port(const KeyDef *def, const char *value, void *field, char **ret_error) {
        uint64_t v;

        if (streq(value, "auto")) {
                *(unsigned *) field = 0;
                return 0;
        }
        if (parse_uint_range(value, 1024, 65535, &v) < 0) {
                *ret_error = xasprintf("invalid value '%s' for '%s' (expected auto or a number from 1024 to 65535)",
                                       value, def->name);
                return -EINVAL;
        }
        *(unsigned *) field = (unsigned) v;
        return 0;
}

static int parse_ifname(const KeyDef *def, const char *value, void *field, char **ret_error) {
        if (!ifname_is_valid(value)) {
                *ret_error = xasprintf("invalid interface name '%s' for '%s' (letters, digits, '-', '_', '.', "
                                       "at most %d)", value, def->name, IFNAME_MAX);
                return -EINVAL;
        }
        return parse_string(def, value, field, ret_error);
}

/* One forward per line; several lines add up. Kept in canonical form, so QEMU reads the same ports
 * as the checks did. */
static int parse_forward(const KeyDef *def, const char *value, void *field, char **ret_error) {
        PortForward f;

        if (parse_port_forward(value, &f) < 0) {
                *ret_error = xasprintf("invalid value '%s' for '%s' (expected tcp|udp:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT, "
                                       "IPv4 addresses, e.g. tcp:127.0.0.1:2222-:22)", value, def->name);
                return -EINVAL;
        }
        /* QEMU runs without privileges. */
        if (f.host_port < 1024) {
                *ret_error = xasprintf("host port %u of '%s' is below 1024, which QEMU cannot bind without privileges",
                                       f.host_port, value);
                return -ERANGE;
        }
        strv_consume(field, port_forward_format(&f));
        return 0;
}

/* cmdline may continue over several lines; the pieces are joined with a space. */
static int parse_append_string(const KeyDef *def _unused_, const char *value, void *field, char **ret_error _unused_) {
        char **s = field;
        char *joined = *s ? xasprintf("%s %s", *s, value) : xstrdup(value);

        free(*s);
        *s = joined;
        return 0;
}

/* Several files, one per line. */
static int parse_path_list(const KeyDef *def, const char *value, void *field, char **ret_error) {
        char *path;
        int r = normalize_path(def, value, &path, ret_error);
        if (r < 0)
                return r;
        strv_consume(field, path);
        return 0;
}

static int parse_hostname(const KeyDef *def, const char *value, void *field, char **ret_error) {
        if (!hostname_is_valid(value)) {
                *ret_error = xasprintf("invalid host name '%s' for '%s' (letters, digits and '-', at most %d, "
                                       "no dots: the domain goes in 'fqdn')", value, def->name, HOST_LABEL_MAX);
                return -EINVAL;
        }
        return parse_string(def, value, field, ret_error);
}

static int parse_fqdn(const KeyDef *def, const char *value, void *field, char **ret_error) {
        if (!fqdn_is_valid(value)) {
                *ret_error = xasprintf("invalid fully qualified name '%s' for '%s' (dot-separated labels of letters, "
                                       "digits and '-', at most %d in all)", value, def->name, FQDN_MAX);
                return -EINVAL;
        }
        return parse_string(def, value, field, ret_error);
}

static int parse_password_hash(const KeyDef *def, const char *value, void *field, char **ret_error) {
        const char *problem = password_hash_problem(value);
        if (problem) {
                /* The value is a secret, or nearly: it is not repeated. */
                *ret_error = xasprintf("'%s' is %s", def->name, problem);
                return -EINVAL;
        }
        return parse_string(def, value, field, ret_error);
}

/* Addresses separated by spaces; several lines add up. With a prefix ("10.20.30.40/24") or without. */
static int parse_addresses(const KeyDef *def, const char *value, void *field, char **ret_error) {
        bool with_prefix = def->data != NULL;
        Strv words = {};

        (void) strv_split_words(&words, value);
        for (size_t i = 0; i < words.n; i++) {
                IpAddress a;
                int r = with_prefix ? parse_ip_prefix(words.items[i], &a) : parse_ip_address(words.items[i], &a);
                if (r < 0) {
                        *ret_error = with_prefix
                                ? xasprintf("invalid address '%s' for '%s' (expected CIDR notation, ADDRESS/PREFIX, "
                                            "e.g. 10.20.30.40/24 or fd00::5/64)", words.items[i], def->name)
                                : xasprintf("invalid address '%s' for '%s' (expected an IPv4 or IPv6 address)",
                                            words.items[i], def->name);
                        strv_clear(&words);
                        return r;
                }
                strv_consume(field, ip_address_format(&a, with_prefix));
        }
        strv_clear(&words);
        return 0;
}

#define ENUM(t, max) (&(const EnumSpec) { t, max })
#define RANGE(a, b) (&(const UintRange) { a, b })
#define FIELD(type, f) offsetof(type, f), -1
#define FIELD_O(type, f, o) offsetof(type, f), (ssize_t) offsetof(type, o)

static const KeyDef vm_keys[] = {
        { "memory", parse_memory, FIELD_O(VmConfig, memory, memory_origin) },
        { "cpus", parse_unsigned, FIELD(VmConfig, cpus), RANGE(1, 255) },
        { "machine", parse_word, FIELD(VmConfig, machine) },
        { "accel", parse_enum, FIELD(VmConfig, accel), ENUM(accel_table, _ACCEL_MAX) },
        { "cpu", parse_word, FIELD(VmConfig, cpu) },
        { "firmware", parse_enum, FIELD_O(VmConfig, firmware, firmware_origin), ENUM(firmware_table, _FIRMWARE_MAX) },
        { "firmware_code", parse_path, FIELD(VmConfig, firmware_code) },
        { "firmware_vars", parse_path, FIELD(VmConfig, firmware_vars) },
        { "autostart", parse_boolean, FIELD(VmConfig, autostart) },
        { "protect", parse_boolean, FIELD(VmConfig, protect) },
        { "hotplug_slots", parse_unsigned, FIELD(VmConfig, hotplug_slots), RANGE(0, 16) },
        { "shutdown_timeout", parse_unsigned, FIELD(VmConfig, shutdown_timeout), RANGE(1, 86400) },
        { "ready", parse_enum, FIELD_O(VmConfig, ready, ready_origin), ENUM(ready_table, _READY_MAX) },
        { "ready_timeout", parse_unsigned, FIELD(VmConfig, ready_timeout), RANGE(1, 86400) },
        { "uuid", parse_uuid, FIELD(VmConfig, uuid) },
        { "extra_args", parse_args, FIELD_O(VmConfig, extra_args, extra_args_origin), .appends = true },
        { "kernel", parse_path, FIELD(VmConfig, kernel) },
        { "initrd", parse_path, FIELD(VmConfig, initrd) },
        { "cmdline", parse_append_string, FIELD_O(VmConfig, cmdline, cmdline_origin), .appends = true },
};

static const KeyDef serial_keys[] = {
        { "enabled", parse_boolean, FIELD(VmConfig, serial) },
        { "log", parse_boolean, FIELD(VmConfig, serial_log) },
        { "log_max", parse_log_max, FIELD(VmConfig, serial_log_max) },
};

static const KeyDef agent_keys[] = {
        { "enabled", parse_boolean, FIELD(VmConfig, agent.enabled) },
        { "shutdown_after", parse_unsigned, FIELD_O(VmConfig, agent.shutdown_after, agent.shutdown_after_origin),
          RANGE(1, 86400) },
};

static const KeyDef tpm_keys[] = {
        { "enabled", parse_boolean, FIELD(VmConfig, tpm.enabled) },
        { "model", parse_enum, FIELD(VmConfig, tpm.model), ENUM(tpm_model_table, _TPM_MODEL_MAX) },
};

static const KeyDef vnc_keys[] = {
        { "enabled", parse_boolean, FIELD(VmConfig, vnc.enabled) },
        { "listen", parse_listen, FIELD(VmConfig, vnc.listen) },
        { "port", parse_port, FIELD_O(VmConfig, vnc.port, vnc.port_origin) },
        { "idle_timeout", parse_unsigned, FIELD(VmConfig, vnc.idle_timeout), RANGE(0, 86400) },
};

static const KeyDef disk_keys[] = {
        { "path", parse_path, FIELD_O(DiskConfig, path, path_origin) },
        { "size", parse_disk_size, FIELD_O(DiskConfig, size, size_origin) },
        { "format", parse_enum, FIELD(DiskConfig, format), ENUM(disk_format_table, _DISK_FORMAT_MAX) },
        { "backing", parse_path, FIELD(DiskConfig, backing) },
        { "backing_format", parse_enum, FIELD(DiskConfig, backing_format), ENUM(disk_format_table, _DISK_FORMAT_MAX) },
        { "bus", parse_enum, FIELD(DiskConfig, bus), ENUM(disk_bus_table, _DISK_BUS_MAX) },
        { "cache", parse_enum, FIELD(DiskConfig, cache), ENUM(disk_cache_table, _DISK_CACHE_MAX) },
        { "discard", parse_enum, FIELD(DiskConfig, discard), ENUM(disk_discard_table, _DISK_DISCARD_MAX) },
        { "readonly", parse_boolean, FIELD(DiskConfig, readonly) },
        { "shareable", parse_boolean, FIELD(DiskConfig, shareable) },
        { "boot", parse_unsigned, FIELD(DiskConfig, boot), RANGE(1, 999) },
};

static const KeyDef cdrom_keys[] = {
        { "path", parse_path, FIELD(CdromConfig, path) },
        { "bus", parse_enum, FIELD(CdromConfig, bus), ENUM(cdrom_bus_table, _CDROM_BUS_MAX) },
        { "boot", parse_unsigned, FIELD(CdromConfig, boot), RANGE(1, 999) },
};

static const bool with_prefix = true;

static const KeyDef net_keys[] = {
        { "mode", parse_enum, FIELD_O(NetConfig, mode, mode_origin), ENUM(net_mode_table, _NET_MODE_MAX) },
        { "bridge", parse_ifname, FIELD(NetConfig, bridge) },
        { "mac", parse_mac, FIELD_O(NetConfig, mac, mac_origin) },
        { "model", parse_word, FIELD(NetConfig, model) },
        { "forward", parse_forward, FIELD_O(NetConfig, forwards, forwards_origin), .appends = true },
        { "vhost", parse_boolean, FIELD(NetConfig, vhost) },
        { "address", parse_addresses, FIELD_O(NetConfig, addresses, addresses_origin), &with_prefix, .appends = true },
        { "gateway", parse_addresses, FIELD_O(NetConfig, gateways, gateways_origin), .appends = true },
        { "dns", parse_addresses, FIELD_O(NetConfig, dns, dns_origin), .appends = true },
};

static const KeyDef cloud_init_keys[] = {
        { "enabled", parse_boolean, FIELD(VmConfig, cloud_init.enabled) },
        { "hostname", parse_hostname, FIELD_O(VmConfig, cloud_init.hostname, cloud_init.hostname_origin) },
        { "fqdn", parse_fqdn, FIELD_O(VmConfig, cloud_init.fqdn, cloud_init.fqdn_origin) },
        { "ssh_authorized_keys_file", parse_path_list, FIELD(VmConfig, cloud_init.ssh_keys), .appends = true },
        { "user_data_file", parse_path, FIELD_O(VmConfig, cloud_init.user_data_file, cloud_init.user_data_origin) },
        { "network_config_file", parse_path,
          FIELD_O(VmConfig, cloud_init.network_config_file, cloud_init.network_config_origin) },
};

static const KeyDef user_keys[] = {
        { "ssh_authorized_keys_file", parse_path_list, FIELD(UserConfig, ssh_keys), .appends = true },
        { "password_hash", parse_password_hash, FIELD_O(UserConfig, password_hash, password_hash_origin) },
        { "sudo", parse_boolean, FIELD(UserConfig, sudo) },
        { "shell", parse_path, FIELD(UserConfig, shell) },
};

static const struct {
        const char *prefix;     /* "disk" matches [disk.ID]; "vm" matches [vm] */
        bool has_id;
        const KeyDef *keys;
        size_t n_keys;
} sections[_SECTION_MAX] = {
        [SECTION_VM] = { "vm", false, vm_keys, ELEMENTSOF(vm_keys) },
        [SECTION_SERIAL] = { "serial", false, serial_keys, ELEMENTSOF(serial_keys) },
        [SECTION_TPM] = { "tpm", false, tpm_keys, ELEMENTSOF(tpm_keys) },
        [SECTION_AGENT] = { "agent", false, agent_keys, ELEMENTSOF(agent_keys) },
        [SECTION_VNC] = { "vnc", false, vnc_keys, ELEMENTSOF(vnc_keys) },
        [SECTION_CLOUD_INIT] = { "cloud-init", false, cloud_init_keys, ELEMENTSOF(cloud_init_keys) },
        [SECTION_DISK] = { "disk", true, disk_keys, ELEMENTSOF(disk_keys) },
        [SECTION_CDROM] = { "cdrom", true, cdrom_keys, ELEMENTSOF(cdrom_keys) },
        [SECTION_NET] = { "net", true, net_keys, ELEMENTSOF(net_keys) },
        [SECTION_USER] = { "user", true, user_keys, ELEMENTSOF(user_keys) },
};

static const KeyDef *key_lookup(SectionKind kind, const char *name, size_t len) {
        for (size_t i = 0; i < sections[kind].n_keys; i++)
                if (strlen(sections[kind].keys[i].name) == len && strncmp(sections[kind].keys[i].name, name, len) == 0)
                        return &sections[kind].keys[i];
        return NULL;
}

/* Splits "disk.root" into its kind and "root". Returns -EINVAL for an unknown section, -ENOENT for a
 * device section with a missing or bad ID. */
static int section_classify(const char *name, SectionKind *ret_kind, const char **ret_id) {
        for (SectionKind k = 0; k < _SECTION_MAX; k++) {
                size_t n = strlen(sections[k].prefix);
                if (strncmp(name, sections[k].prefix, n) != 0)
                        continue;
                if (!sections[k].has_id) {
                        if (name[n] != 0)
                                continue;
                        *ret_kind = k;
                        *ret_id = NULL;
                        return 0;
                }
                if (name[n] != '.')
                        continue;
                *ret_kind = k;
                *ret_id = name + n + 1;
                return device_id_is_valid(name + n + 1) ? 0 : -ENOENT;
        }
        return -EINVAL;
}

/* Finds the device with this ID, creating it with its defaults on first sight. Sections without an ID
 * are parts of the VmConfig. */
static void *device_get(VmConfig *c, SectionKind kind, const char *id, Origin origin) {
        switch (kind) {
        case SECTION_DISK:
                for (size_t i = 0; i < c->n_disks; i++)
                        if (streq(c->disks[i].id, id))
                                return &c->disks[i];
                c->disks = xrealloc(c->disks, (c->n_disks + 1) * sizeof(DiskConfig));
                c->disks[c->n_disks] = (DiskConfig) {
                        .id = xstrdup(id), .origin = origin,
                        .format = DISK_FORMAT_QCOW2, .backing_format = DISK_FORMAT_QCOW2,
                        .bus = DISK_BUS_VIRTIO, .cache = DISK_CACHE_NONE, .discard = DISK_DISCARD_UNMAP,
                };
                return &c->disks[c->n_disks++];
        case SECTION_CDROM:
                for (size_t i = 0; i < c->n_cdroms; i++)
                        if (streq(c->cdroms[i].id, id))
                                return &c->cdroms[i];
                c->cdroms = xrealloc(c->cdroms, (c->n_cdroms + 1) * sizeof(CdromConfig));
                c->cdroms[c->n_cdroms] = (CdromConfig) { .id = xstrdup(id), .origin = origin, .bus = CDROM_BUS_SCSI };
                return &c->cdroms[c->n_cdroms++];
        case SECTION_NET:
                for (size_t i = 0; i < c->n_nets; i++)
                        if (streq(c->nets[i].id, id))
                                return &c->nets[i];
                c->nets = xrealloc(c->nets, (c->n_nets + 1) * sizeof(NetConfig));
                c->nets[c->n_nets] = (NetConfig) {
                        .id = xstrdup(id), .origin = origin, .mode = NET_MODE_USER,
                        .model = xstrdup("virtio-net-pci"), .mode_origin = origin,
                };
                return &c->nets[c->n_nets++];
        case SECTION_USER:
                for (size_t i = 0; i < c->n_users; i++)
                        if (streq(c->users[i].name, id))
                                return &c->users[i];
                c->users = xrealloc(c->users, (c->n_users + 1) * sizeof(UserConfig));
                c->users[c->n_users] = (UserConfig) { .name = xstrdup(id), .origin = origin, .shell = xstrdup("/bin/bash") };
                return &c->users[c->n_users++];
        default:
                return c;
        }
}

/* A section header makes its device exist: an empty [disk.x] is a disk, a bare [tpm] a TPM. Its keys
 * (such as 'enabled = no' in a drop-in) come later. */
static void section_register(VmConfig *c, SectionKind kind, const char *id, Origin origin) {
        if (kind == SECTION_TPM)
                c->tpm.enabled = true;
        else if (kind == SECTION_AGENT)
                c->agent.enabled = true;
        else if (kind == SECTION_CLOUD_INIT) {
                if (!c->cloud_init.enabled)
                        c->cloud_init.origin = origin;
                c->cloud_init.enabled = true;
        } else if (kind == SECTION_VNC) {
                if (!c->vnc.enabled)
                        c->vnc.origin = origin;
                c->vnc.enabled = true;
        } else
                (void) device_get(c, kind, id, origin);
}

/* Returns the line where the section header (key NULL) or key was first met in this file, or 0 and
 * remembers it. */
static unsigned seen_before(ParseContext *ctx, const char *section, const char *key, unsigned line) {
        for (size_t i = 0; i < ctx->n_seen; i++)
                if (ctx->seen[i].key == key && streq(ctx->seen[i].section, section))
                        return ctx->seen[i].line;
        ctx->seen = xrealloc(ctx->seen, (ctx->n_seen + 1) * sizeof(Seen));
        ctx->seen[ctx->n_seen++] = (Seen) { .section = xstrdup(section), .key = key, .line = line };
        return 0;
}

static int handle_key(void *user, const char *section, const char *key, const char *value, int lineno) {
        ParseContext *ctx = user;
        unsigned line = (unsigned) lineno;
        const char *id;
        SectionKind kind;

        if (!section[0]) {
                config_errors_add(ctx->errors, ctx->file, line, "'%s' is outside of any section", key);
                return 1;
        }
        /* Bad section headers were reported by prescan(); their keys are not worth more messages. */
        if (section_classify(section, &kind, &id) < 0 || (ctx->defaults_only && sections[kind].has_id))
                return 1;

        const KeyDef *def = key_lookup(kind, key, strlen(key));
        if (!def) {
                config_errors_add(ctx->errors, ctx->file, line, "unknown key '%s' in section [%s]", key, section);
                return 1;
        }

        unsigned first = seen_before(ctx, section, def->name, line);
        if (first > 0 && !def->appends) {
                config_errors_add(ctx->errors, ctx->file, line, "'%s' is set twice in [%s] (first on line %u)",
                                  key, section, first);
                return 1;
        }

        Origin origin = { .file = ctx->file, .line = line };
        uint8_t *base = device_get(ctx->config, kind, id, origin);
        void *field = base + def->offset;

        /* A new file that sets an appending key starts it afresh: drop-ins replace, continuation lines add. */
        if (first == 0 && def->appends) {
                if (def->parse == parse_append_string) {
                        free(*(char **) field);
                        *(char **) field = NULL;
                } else
                        strv_clear(field);
        }

        if (!value[0]) {
                if (!def->appends)
                        config_errors_add(ctx->errors, ctx->file, line, "empty value for '%s'", key);
                return 1;
        }
        if (string_has_control_chars(value)) {
                config_errors_add(ctx->errors, ctx->file, line, "value of '%s' contains a control character", key);
                return 1;
        }

        _cleanup_free_ char *error = NULL;
        if (def->parse(def, value, field, &error) < 0) {
                config_errors_add(ctx->errors, ctx->file, line, "%s", error);
                return 1;
        }
        /* A value continued over several lines is reported at its first line. */
        if (def->origin_offset >= 0 && (first == 0 || !def->appends))
                *(Origin *) (base + def->origin_offset) = origin;
        return 1;
}

/* Where prescan() is in the file: the section and the last key line, which an indented line continues. */
typedef struct LineState {
        bool in_section;        /* inside a known section */
        SectionKind kind;
        const KeyDef *last_key; /* the last "key = value" line's key in this section, if known */
        bool after_key;         /* a key line came since the section header */
} LineState;

/* The key of a "key = value" line (libinih splits at the first '=' or ':'), or NULL when unknown. */
static const KeyDef *line_key(const LineState *st, const char *s, const char *end) {
        const char *sep = s;
        while (sep < end && *sep != '=' && *sep != ':')
                sep++;
        const char *k = sep;
        while (k > s && (k[-1] == ' ' || k[-1] == '\t'))
                k--;
        if (!st->in_section || sep == end)
                return NULL;
        return key_lookup(st->kind, s, (size_t) (k - s));
}

/* Bytes libinih would pass on or cut silently: overlong lines, control characters, invalid UTF-8. */
static bool line_bytes_ok(ParseContext *ctx, unsigned line, const char *p, size_t len) {
        if (len > CONFIG_LINE_MAX) {
                config_errors_add(ctx->errors, ctx->file, line, "line is too long (%zu bytes, at most %d)",
                                  len, CONFIG_LINE_MAX);
                return false;
        }
        for (size_t i = 0; i < len; i++)
                if (((unsigned char) p[i] < 0x20 && p[i] != '\t') || p[i] == 0x7f) {
                        config_errors_add(ctx->errors, ctx->file, line, "control character in line");
                        return false;
                }
        if (!utf8_is_valid(p, len)) {
                config_errors_add(ctx->errors, ctx->file, line, "line is not valid UTF-8");
                return false;
        }
        return true;
}

static void section_line(ParseContext *ctx, LineState *st, unsigned line, const char *s, const char *end) {
        const char *close = memchr(s, ']', (size_t) (end - s));
        SectionKind kind;
        const char *id;

        *st = (LineState) {};
        if (!close) {
                config_errors_add(ctx->errors, ctx->file, line, "section header without ']'");
                return;
        }
        _cleanup_free_ char *name = strndup(s + 1, (size_t) (close - s - 1));
        int r = section_classify(name, &kind, &id);
        if (r == -ENOENT)
                config_errors_add(ctx->errors, ctx->file, line,
                                  "invalid ID in section [%s] (lowercase letters, digits, '-' and '_', "
                                  "at most %d, starting with a letter or digit)", name, DEVICE_ID_MAX);
        else if (r < 0)
                config_errors_add(ctx->errors, ctx->file, line, "unknown section [%s]", name);
        else if (ctx->defaults_only && kind != SECTION_VM && kind != SECTION_SERIAL)
                config_errors_add(ctx->errors, ctx->file, line, "section [%s] is not allowed in the defaults file", name);
        else {
                unsigned first = seen_before(ctx, name, NULL, line);
                if (first > 0)
                        config_errors_add(ctx->errors, ctx->file, line,
                                          "section [%s] appears twice in this file (first on line %u)", name, first);
                else
                        section_register(ctx->config, kind, id, (Origin) { ctx->file, line });
                if (kind == SECTION_VM && !ctx->defaults_only)
                        ctx->config->has_vm_section = true;
                st->in_section = true;
                st->kind = kind;
        }
}

/* libinih takes an indented line after a key as more of that key's value. Only cmdline and extra_args
 * are meant to continue; anywhere else, or when the line looks like a key of its own, the indentation
 * is a mistake that would silently change the VM. */
static void continuation_line(ParseContext *ctx, const LineState *st, unsigned line, const char *s, const char *end) {
        if (!st->last_key)
                return;         /* an unknown key, reported by handle_key() */
        if (!st->last_key->appends) {
                config_errors_add(ctx->errors, ctx->file, line,
                                  "indented line would continue '%s', which takes one line; remove the indentation",
                                  st->last_key->name);
                return;
        }
        const KeyDef *k = line_key(st, s, end);
        if (k)
                config_errors_add(ctx->errors, ctx->file, line,
                                  "indented '%s' would be part of '%s'; remove the indentation to set '%s'",
                                  k->name, st->last_key->name, k->name);
}

/* Checks what libinih cannot be trusted with (DESIGN.md: it splits long lines and cuts long section
 * names silently), and registers every section, so that an empty [disk.x] still makes a disk. */
static void prescan(ParseContext *ctx, const char *text) {
        LineState st = {};
        unsigned line = 1;

        if (startswith(text, "\xEF\xBB\xBF"))       /* a UTF-8 byte order mark, which libinih skips */
                text += 3;
        for (const char *p = text; *p; line++) {
                const char *eol = strchrnul(p, '\n');
                size_t len = (size_t) (eol - p);
                if (len > 0 && p[len - 1] == '\r')
                        len--;
                const char *s = p, *end = p + len;
                while (s < end && (*s == ' ' || *s == '\t'))
                        s++;

                if (!line_bytes_ok(ctx, line, p, len) || s == end || *s == ';' || *s == '#')
                        ;
                else if (*s == '[')
                        section_line(ctx, &st, line, s, end);
                else if (s > p && st.after_key)
                        continuation_line(ctx, &st, line, s, end);
                else if ((!memchr(s, '=', (size_t) (end - s)) && !memchr(s, ':', (size_t) (end - s))) ||
                         *s == '=' || *s == ':')
                        config_errors_add(ctx->errors, ctx->file, line, "expected 'key = value' or '[section]'");
                else {
                        st.last_key = line_key(&st, s, end);
                        st.after_key = true;
                }
                p = *eol ? eol + 1 : eol;
        }
}

void vm_config_parse_text(VmConfig *c, const char *path, const char *text, bool defaults_only,
                          ConfigErrors *errors) {
        strv_push(&c->files, path);
        ParseContext ctx = {
                .config = c,
                .errors = errors,
                .file = c->files.items[c->files.n - 1],
                .defaults_only = defaults_only,
        };

        size_t before = errors->n;
        if (streq(path, c->source_path) && !text[strspn(text, " \t\r\n")])
                config_errors_add(errors, path, 0, "file is empty (a VM needs at least a [vm] section)");
        prescan(&ctx, text);
        /* After prescan() errors the lines are not what they seem; libinih would only add noise. */
        if (errors->n == before) {
                int r = ini_parse_string(text, handle_key, &ctx);
                if (r > 0 && errors->n == before)
                        config_errors_add(errors, path, (unsigned) r, "syntax error");
                else if (r < 0)
                        config_errors_add(errors, path, 0, "cannot parse");
        }

        for (size_t i = 0; i < ctx.n_seen; i++)
                free(ctx.seen[i].section);
        free(ctx.seen);
}

int vm_config_read_file(VmConfig *c, const char *path, bool defaults_only, ConfigErrors *errors) {
        _cleanup_free_ char *text = NULL;
        int r;

        r = read_text_file(path, CONFIG_FILE_MAX, &text);
        if (r < 0) {
                strv_push(&c->files, path);
                errno = -r;
                if (r == -EBADMSG)
                        config_errors_add(errors, path, 0, "file contains a NUL byte");
                else if (r == -EFBIG)
                        config_errors_add(errors, path, 0, "file is larger than %d bytes", CONFIG_FILE_MAX);
                else if (r == -EBADF || r == -EISDIR)
                        config_errors_add(errors, path, 0, "not a regular file");
                else
                        config_errors_add(errors, path, 0, "cannot read: %m");
                return r;
        }
        vm_config_parse_text(c, path, text, defaults_only, errors);
        return 0;
}

static int conf_filter(const struct dirent *d) {
        return d->d_name[0] != '.' && endswith(d->d_name, ".conf");
}

static int read_dropins(VmConfig *c, const char *config_dir, ConfigErrors *errors) {
        _cleanup_free_ char *dropin_dir = xasprintf("%s/%s.conf.d", config_dir, c->name);
        struct dirent **entries = NULL;
        int n = scandir(dropin_dir, &entries, conf_filter, alphasort);
        if (n < 0) {
                if (errno == ENOENT)
                        return 0;
                config_errors_add(errors, dropin_dir, 0, "cannot read drop-in directory: %m");
                return -errno;
        }
        for (int i = 0; i < n; i++) {
                _cleanup_free_ char *path = xasprintf("%s/%s", dropin_dir, entries[i]->d_name);
                (void) vm_config_read_file(c, path, false, errors);
                free(entries[i]);
        }
        free(entries);
        return 0;
}

int vm_config_load(VmConfig *c, const char *config_dir, const char *defaults_file, ConfigErrors *errors) {
        int r;

        if (defaults_file)
                (void) vm_config_read_file(c, defaults_file, true, errors);

        r = vm_config_read_file(c, c->source_path, false, errors);
        if (r < 0)
                return r;
        r = read_dropins(c, config_dir, errors);
        if (errors->n == 0 && !c->has_vm_section)
                config_errors_add(errors, c->source_path, 0, "no [vm] section");
        return r;
}
