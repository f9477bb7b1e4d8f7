/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <uuid/uuid.h>

#include "config-parse.h"
#include "config-schema.h"
#include "names.h"
#include "parse-value.h"
#include "password-hash.h"
#include "path-util.h"

/* Parsers: each checks one value and stores it, canonical, in its field. */

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
                *ret_error =
                        xasprintf("invalid size '%s' for '%s' (expected a number with an optional K, M, G or T suffix)",
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
                *ret_error = xasprintf("invalid value '%s' for '%s' (expected a whole number from %" PRIu64
                                       " to %" PRIu64 ")",
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
        NicMac *mac = field;
        MacAddress m;

        if (streq(value, "auto")) {
                mac->mode = MAC_MODE_AUTO;
                return 0;
        }
        if (streq(value, MAC_FROM_ADDRESS)) {
                mac->mode = MAC_MODE_FROM_ADDRESS;
                return 0;
        }
        if (parse_mac_address(value, m.bytes) < 0) {
                *ret_error = xasprintf(
                        "invalid MAC address '%s' for '%s' (expected auto, from-address or xx:xx:xx:xx:xx:xx)", value,
                        def->name);
                return -EINVAL;
        }
        if (m.bytes[0] & 1) {
                *ret_error = xasprintf("MAC address '%s' is a multicast address", value);
                return -EINVAL;
        }
        *mac = (NicMac) { MAC_MODE_SET, m };
        return 0;
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

/* One forward per line; several lines add up. Kept parsed: QEMU gets the canonical text of what the
 * checks saw. */
static int parse_forward(const KeyDef *def, const char *value, void *field, char **ret_error) {
        PortForward f;

        if (parse_port_forward(value, &f) < 0) {
                *ret_error = xasprintf(
                        "invalid value '%s' for '%s' (expected tcp|udp:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT, "
                        "IPv4 addresses, e.g. tcp:127.0.0.1:2222-:22)",
                        value, def->name);
                return -EINVAL;
        }
        /* QEMU runs without privileges. */
        if (f.host_port < 1024) {
                *ret_error = xasprintf("host port %u of '%s' is below 1024, which QEMU cannot bind without privileges",
                                       f.host_port, value);
                return -ERANGE;
        }
        array_push((PortForwards *) field, f);
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
                array_push((IpAddresses *) field, a);
        }
        strv_clear(&words);
        return 0;
}

/* Formatters: the inverse of the parsers, a field as a VM file spells it. */

static void format_string(const KeyDef *def _unused_, const void *field, Strv *ret) {
        const char *s = *(char *const *) field;
        if (s)
                strv_push(ret, s);
}

static void format_size_field(const KeyDef *def _unused_, const void *field, Strv *ret) {
        uint64_t v = *(const uint64_t *) field;
        if (v > 0)
                strv_consume(ret, format_size(v));
}

/* A value outside the key's range is one not set yet (0 for shutdown_after before it is resolved). */
static void format_unsigned(const KeyDef *def, const void *field, Strv *ret) {
        const UintRange *range = def->data;
        unsigned v = *(const unsigned *) field;
        if (v >= range->min && v <= range->max)
                strv_pushf(ret, "%u", v);
}

static void format_port(const KeyDef *def _unused_, const void *field, Strv *ret) {
        unsigned v = *(const unsigned *) field;
        if (v == 0)
                strv_push(ret, "auto");
        else
                strv_pushf(ret, "%u", v);
}

static void format_boolean(const KeyDef *def _unused_, const void *field, Strv *ret) {
        strv_push(ret, *(const bool *) field ? "yes" : "no");
}

static void format_enum(const KeyDef *def, const void *field, Strv *ret) {
        const EnumSpec *spec = def->data;
        int i = *(const int *) field;
        if (i >= 0 && (size_t) i < spec->n)
                strv_push(ret, spec->table[i]);
}

static void format_list(const KeyDef *def _unused_, const void *field, Strv *ret) {
        const Strv *v = field;
        for (size_t i = 0; i < v->n; i++)
                strv_push(ret, v->items[i]);
}

static void format_mac(const KeyDef *def _unused_, const void *field, Strv *ret) {
        const NicMac *mac = field;
        strv_push(ret, mac->mode == MAC_MODE_SET ? MAC_TO_STRING(&mac->address) :
                       mac->mode == MAC_MODE_FROM_ADDRESS ? MAC_FROM_ADDRESS : "auto");
}

static void format_forwards(const KeyDef *def _unused_, const void *field, Strv *ret) {
        const PortForwards *l = field;
        for (size_t i = 0; i < l->n; i++)
                strv_consume(ret, port_forward_format(&l->items[i]));
}

static void format_addresses(const KeyDef *def, const void *field, Strv *ret) {
        const IpAddresses *l = field;
        for (size_t i = 0; i < l->n; i++)
                strv_consume(ret, ip_address_format(&l->items[i], def->data != NULL));
}

/* One word per line, double-quoted where strv_split_words() would otherwise split or unquote it. */
static void format_args(const KeyDef *def _unused_, const void *field, Strv *ret) {
        const Strv *v = field;
        for (size_t i = 0; i < v->n; i++) {
                const char *w = v->items[i];
                /* libinih takes " ;" for the start of a comment. */
                if (w[0] && !w[strcspn(w, " \t\"'\\;#")]) {
                        strv_push(ret, w);
                        continue;
                }
                size_t n = 0;
                char *q = xmalloc(2 * strlen(w) + 3);
                q[n++] = '"';
                for (; *w; w++) {
                        if (*w == '"' || *w == '\\')
                                q[n++] = '\\';
                        q[n++] = *w;
                }
                q[n++] = '"';
                q[n] = 0;
                strv_consume(ret, q);
        }
}

/* cmdline in lines of a few words each, which parse_append_string() joins again with a space: a
 * kernel command line may be longer than a line of a VM file. */
static void format_cmdline(const KeyDef *def _unused_, const void *field, Strv *ret) {
        const char *s = *(char *const *) field;
        if (!s)
                return;
        while (*s) {
                const char *end = s;
                for (const char *p = s; *p;) {
                        const char *word_end = strchrnul(p, ' ');
                        if (end > s && word_end - s > CMDLINE_LINE_MAX)
                                break;
                        end = word_end;
                        p = *word_end ? word_end + 1 : word_end;
                }
                strv_pushf(ret, "%.*s", (int) (end - s), s);
                s = end + strspn(end, " ");
        }
}

/* The hash is shown as set or not: show's output may be pasted anywhere. */
static void format_password_hash(const KeyDef *def _unused_, const void *field, Strv *ret) {
        if (*(char *const *) field)
                strv_push(ret, PASSWORD_HASH_SHOWN);
}

static void clear_string(void *field) {
        char **s = field;
        free(*s);
        *s = NULL;
}

static void clear_strv(void *field) {
        strv_clear(field);
}

static void clear_forwards(void *field) {
        array_clear((PortForwards *) field);
}

static void clear_addresses(void *field) {
        array_clear((IpAddresses *) field);
}

#define TYPE(name, p, f, shape) static const KeyType name = { p, f, shape, NULL }
#define LIST_TYPE(name, p, f, shape, c) static const KeyType name = { p, f, shape, c }
TYPE(type_word, parse_word, format_string, VALUE_TEXT);
TYPE(type_path, parse_path, format_string, VALUE_TEXT);
LIST_TYPE(type_path_list, parse_path_list, format_list, VALUE_LIST, clear_strv);
TYPE(type_memory, parse_memory, format_size_field, VALUE_TEXT);
TYPE(type_disk_size, parse_disk_size, format_size_field, VALUE_TEXT);
TYPE(type_log_max, parse_log_max, format_size_field, VALUE_BYTES);
TYPE(type_unsigned, parse_unsigned, format_unsigned, VALUE_NUMBER);
TYPE(type_port, parse_port, format_port, VALUE_NUMBER);
TYPE(type_boolean, parse_boolean, format_boolean, VALUE_BOOL);
TYPE(type_enum, parse_enum, format_enum, VALUE_TEXT);
TYPE(type_uuid, parse_uuid, format_string, VALUE_TEXT);
TYPE(type_mac, parse_mac, format_mac, VALUE_TEXT);
LIST_TYPE(type_args, parse_args, format_args, VALUE_WORDS, clear_strv);
LIST_TYPE(type_cmdline, parse_append_string, format_cmdline, VALUE_TEXT, clear_string);
TYPE(type_listen, parse_listen, format_string, VALUE_TEXT);
TYPE(type_ifname, parse_ifname, format_string, VALUE_TEXT);
LIST_TYPE(type_forward, parse_forward, format_forwards, VALUE_LIST, clear_forwards);
TYPE(type_hostname, parse_hostname, format_string, VALUE_TEXT);
TYPE(type_fqdn, parse_fqdn, format_string, VALUE_TEXT);
TYPE(type_password_hash, parse_password_hash, format_password_hash, VALUE_TEXT);
LIST_TYPE(type_addresses, parse_addresses, format_addresses, VALUE_LIST, clear_addresses);

#define ENUM(t, max) (&(const EnumSpec) { t, max })
#define RANGE(a, b) (&(const UintRange) { a, b })
#define FIELD(type, f) offsetof(type, f), -1
#define FIELD_O(type, f, o) offsetof(type, f), (ssize_t) offsetof(type, o)

/* Each line: name, type, field (and the Origin field recording its line), type data, whether it
 * appends, default, the default as documented when computed, description. The order is
 * qemu-vm.conf(5)'s. */
static const KeyDef vm_keys[] = {
        { "memory", &type_memory, FIELD_O(VmConfig, memory, memory_origin), NULL, false, "1G", NULL,
          "Guest memory, a whole number of MiB from 16M to 16T" },
        { "cpus", &type_unsigned, FIELD(VmConfig, cpus), RANGE(1, 255), false, "1", NULL, "Virtual CPUs" },
        { "machine", &type_word, FIELD(VmConfig, machine), NULL, false, "q35", NULL,
          "QEMU machine type (q35, pc, pc-q35-7.2, ...)" },
        { "accel", &type_enum, FIELD(VmConfig, accel), ENUM(accel_table, _ACCEL_MAX), false, "kvm", NULL,
          "kvm, tcg (emulation) or kvm:tcg (KVM, else TCG)" },
        { "cpu", &type_word, FIELD(VmConfig, cpu), NULL, false, "max", NULL,
          "QEMU CPU model (max, host, Skylake-Server, ...)" },
        { "firmware", &type_enum, FIELD_O(VmConfig, firmware, firmware_origin), ENUM(firmware_table, _FIRMWARE_MAX),
          false, "uefi", NULL, "uefi, uefi-secure (Secure Boot, q35) or bios" },
        { "firmware_code", &type_path, FIELD(VmConfig, firmware_code), NULL, false, NULL, "from the descriptors",
          "An explicit UEFI code image (with firmware_vars)" },
        { "firmware_vars", &type_path, FIELD(VmConfig, firmware_vars), NULL, false, NULL, "from the descriptors",
          "An explicit UEFI NVRAM template (with firmware_code)" },
        { "autostart", &type_boolean, FIELD(VmConfig, autostart), NULL, false, "no", NULL,
          "Start the VM at boot (machines.target)" },
        { "shutdown_timeout", &type_unsigned, FIELD(VmConfig, shutdown_timeout), RANGE(1, 86400), false, "120", NULL,
          "Seconds the guest has to power off at systemctl stop before QEMU is told to quit" },
        { "ready", &type_enum, FIELD_O(VmConfig, ready, ready_origin), ENUM(ready_table, _READY_MAX), false, "qmp",
          NULL, "When systemctl start is done: once QEMU runs (qmp) or the guest agent answers (agent)" },
        { "ready_timeout", &type_unsigned, FIELD(VmConfig, ready_timeout), RANGE(1, 86400), false, "300", NULL,
          "With ready = agent: seconds the agent has to answer" },
        { "protect", &type_boolean, FIELD(VmConfig, protect), NULL, false, "no", NULL,
          "qemu-vmctl destroy refuses, even with --force" },
        { "hotplug_slots", &type_unsigned, FIELD(VmConfig, hotplug_slots), RANGE(0, 16), false, "4", NULL,
          "q35: empty PCIe root ports for qemu-vmctl attach-disk" },
        { "uuid", &type_uuid, FIELD(VmConfig, uuid), NULL, false, NULL, "name-based", "SMBIOS UUID" },
        { "extra_args", &type_args, FIELD_O(VmConfig, extra_args, extra_args_origin), NULL, true, NULL, NULL,
          "Further QEMU arguments, split at white space, after ours" },
        { "kernel", &type_path, FIELD(VmConfig, kernel), NULL, false, NULL, NULL, "Direct kernel boot: the kernel" },
        { "initrd", &type_path, FIELD(VmConfig, initrd), NULL, false, NULL, NULL,
          "Direct kernel boot: the initrd (needs kernel)" },
        { "cmdline", &type_cmdline, FIELD_O(VmConfig, cmdline, cmdline_origin), NULL, true, NULL, NULL,
          "Direct kernel boot: the kernel command line (needs kernel)" },
};

static const KeyDef disk_keys[] = {
        { "path", &type_path, FIELD_O(DiskConfig, path, path_origin), NULL, false, NULL,
          "/var/lib/qemu-vm/NAME/ID.qcow2, or ID.img for raw", "The image" },
        { "size", &type_disk_size, FIELD_O(DiskConfig, size, size_origin), NULL, false, NULL, NULL,
          "Size for creating the disk" },
        { "format", &type_enum, FIELD(DiskConfig, format), ENUM(disk_format_table, _DISK_FORMAT_MAX), false, "qcow2",
          NULL, "qcow2 or raw" },
        { "backing", &type_path, FIELD(DiskConfig, backing), NULL, false, NULL, NULL,
          "Create the disk as a qcow2 overlay of this image" },
        { "backing_format", &type_enum, FIELD(DiskConfig, backing_format), ENUM(disk_format_table, _DISK_FORMAT_MAX),
          false, "qcow2", NULL, "The backing image's format: qcow2 or raw" },
        { "bus", &type_enum, FIELD(DiskConfig, bus), ENUM(disk_bus_table, _DISK_BUS_MAX), false, "virtio", NULL,
          "virtio, scsi (virtio-scsi), sata or nvme" },
        { "cache", &type_enum, FIELD(DiskConfig, cache), ENUM(disk_cache_table, _DISK_CACHE_MAX), false, "none", NULL,
          "QEMU's cache mode" },
        { "discard", &type_enum, FIELD(DiskConfig, discard), ENUM(disk_discard_table, _DISK_DISCARD_MAX), false,
          "unmap", NULL, "unmap passes the guest's TRIM on, ignore drops it" },
        { "readonly", &type_boolean, FIELD(DiskConfig, readonly), NULL, false, "no", NULL,
          "The guest cannot write the disk" },
        { "shareable", &type_boolean, FIELD(DiskConfig, shareable), NULL, false, "no", NULL,
          "Other VMs may write the disk at the same time (raw only)" },
        { "boot", &type_unsigned, FIELD(DiskConfig, boot), RANGE(1, 999), false, NULL, NULL,
          "Boot order, unique among disks and cdroms" },
};

static const KeyDef cdrom_keys[] = {
        { "path", &type_path, FIELD(CdromConfig, path), NULL, false, NULL, NULL,
          "An ISO image, attached read-only (required)" },
        { "bus", &type_enum, FIELD(CdromConfig, bus), ENUM(cdrom_bus_table, _CDROM_BUS_MAX), false, "scsi", NULL,
          "scsi (virtio-scsi) or sata" },
        { "boot", &type_unsigned, FIELD(CdromConfig, boot), RANGE(1, 999), false, NULL, NULL,
          "Boot order, unique among disks and cdroms" },
};

static const bool with_prefix = true;

static const KeyDef net_keys[] = {
        { "mode", &type_enum, FIELD_O(NetConfig, mode, mode_origin), ENUM(net_mode_table, _NET_MODE_MAX), false,
          "user", NULL, "user (QEMU's NAT), bridge (a tap on a host bridge) or none" },
        { "bridge", &type_ifname, FIELD(NetConfig, bridge), NULL, false, NULL, NULL,
          "With mode = bridge: the host bridge" },
        { "forward", &type_forward, FIELD_O(NetConfig, forwards, forwards_origin), NULL, true, NULL, NULL,
          "With mode = user: a port forward, tcp|udp:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT" },
        { "mac", &type_mac, FIELD_O(NetConfig, mac, mac_origin), NULL, false, "auto", NULL,
          "A unicast MAC, auto (from machine-id, VM and NIC) or from-address" },
        { "model", &type_word, FIELD(NetConfig, model), NULL, false, "virtio-net-pci", NULL,
          "QEMU NIC model" },
        { "vhost", &type_boolean, FIELD(NetConfig, vhost), NULL, false, "no", NULL,
          "With mode = bridge: the packet path in the host kernel (vhost-net)" },
        { "address", &type_addresses, FIELD_O(NetConfig, addresses, addresses_origin), &with_prefix, true, NULL, NULL,
          "Static addresses for cloud-init, ADDRESS/PREFIX" },
        { "gateway", &type_addresses, FIELD_O(NetConfig, gateways, gateways_origin), NULL, true, NULL, NULL,
          "The default route's next hop, one IPv4 and one IPv6 at most" },
        { "dns", &type_addresses, FIELD_O(NetConfig, dns, dns_origin), NULL, true, NULL, NULL,
          "Name servers for cloud-init" },
};

static const KeyDef cloud_init_keys[] = {
        { "enabled", &type_boolean, FIELD(VmConfig, cloud_init.enabled), NULL, false, NULL, "yes",
          "no turns the seed off (the section header turns it on)" },
        { "hostname", &type_hostname, FIELD_O(VmConfig, cloud_init.hostname, cloud_init.hostname_origin), NULL, false,
          NULL, "the first label of fqdn, else the VM's name", "The guest's host name" },
        { "fqdn", &type_fqdn, FIELD_O(VmConfig, cloud_init.fqdn, cloud_init.fqdn_origin), NULL, false, NULL, NULL,
          "The guest's fully qualified name" },
        { "ssh_authorized_keys_file", &type_path_list, FIELD(VmConfig, cloud_init.ssh_keys), NULL, true, NULL, NULL,
          "An authorized_keys file for the image's default user" },
        { "user_data_file", &type_path,
          FIELD_O(VmConfig, cloud_init.user_data_file, cloud_init.user_data_origin), NULL, false, NULL, NULL,
          "user-data of your own" },
        { "network_config_file", &type_path,
          FIELD_O(VmConfig, cloud_init.network_config_file, cloud_init.network_config_origin), NULL, false, NULL,
          NULL, "A network-config of your own, instead of the static addresses" },
};

static const KeyDef user_keys[] = {
        { "ssh_authorized_keys_file", &type_path_list, FIELD(UserConfig, ssh_keys), NULL, true, NULL, NULL,
          "An authorized_keys file for this user" },
        { "password_hash", &type_password_hash, FIELD_O(UserConfig, password_hash, password_hash_origin), NULL,
          false, NULL, NULL, "A crypt(3) hash, never a password; shown as " PASSWORD_HASH_SHOWN },
        { "sudo", &type_boolean, FIELD(UserConfig, sudo), NULL, false, "no", NULL,
          "The user may run anything with sudo, without a password" },
        { "shell", &type_path, FIELD(UserConfig, shell), NULL, false, "/bin/bash", NULL,
          "The login shell" },
};

static const KeyDef serial_keys[] = {
        { "enabled", &type_boolean, FIELD(VmConfig, serial), NULL, false, "yes", NULL,
          "A serial console on /run/qemu-vm/NAME/serial.sock" },
        { "log", &type_boolean, FIELD(VmConfig, serial_log), NULL, false, "yes", NULL,
          "Log the guest's serial output to /var/log/qemu-vm/NAME/serial.log" },
        { "log_max", &type_log_max, FIELD(VmConfig, serial_log_max), NULL, false, "16M", NULL,
          "The log's size at which it is rotated, 64K to 1T" },
};

static const KeyDef tpm_keys[] = {
        { "enabled", &type_boolean, FIELD(VmConfig, tpm.enabled), NULL, false, NULL, "yes",
          "no turns the TPM off (the section header turns it on)" },
        { "model", &type_enum, FIELD(VmConfig, tpm.model), ENUM(tpm_model_table, _TPM_MODEL_MAX), false, NULL,
          "crb on q35, tis otherwise", "crb (tpm-crb) or tis (tpm-tis)" },
};

static const KeyDef agent_keys[] = {
        { "enabled", &type_boolean, FIELD(VmConfig, agent.enabled), NULL, false, NULL, "yes",
          "no turns the agent channel off (the section header turns it on)" },
        { "shutdown_after", &type_unsigned,
          FIELD_O(VmConfig, agent.shutdown_after, agent.shutdown_after_origin), RANGE(1, 86400), false, NULL,
          "half of shutdown_timeout", "Seconds into systemctl stop at which the agent is asked to power off" },
};

static const KeyDef vnc_keys[] = {
        { "enabled", &type_boolean, FIELD(VmConfig, vnc.enabled), NULL, false, NULL, "yes",
          "no turns the console off (the section header turns it on)" },
        { "listen", &type_listen, FIELD(VmConfig, vnc.listen), NULL, false, "127.0.0.1", NULL,
          "The browser console's IPv4 or IPv6 address" },
        { "port", &type_port, FIELD_O(VmConfig, vnc.port, vnc.port_origin), NULL, false, "auto", NULL,
          "The browser console's TCP port, 1024 to 65535, or auto" },
        { "idle_timeout", &type_unsigned, FIELD(VmConfig, vnc.idle_timeout), RANGE(0, 86400), false, "60", NULL,
          "Seconds websockify runs on without a browser; 0: until the VM stops" },
};

#define SECTION(p, id, defaults, k) { p, id, defaults, k, ELEMENTSOF(k) }
const SectionDef config_sections[_SECTION_MAX] = {
        [SECTION_VM] = SECTION("vm", false, true, vm_keys),
        [SECTION_SERIAL] = SECTION("serial", false, true, serial_keys),
        [SECTION_TPM] = SECTION("tpm", false, false, tpm_keys),
        [SECTION_AGENT] = SECTION("agent", false, false, agent_keys),
        [SECTION_VNC] = SECTION("vnc", false, false, vnc_keys),
        [SECTION_CLOUD_INIT] = SECTION("cloud-init", false, false, cloud_init_keys),
        [SECTION_USER] = SECTION("user", true, false, user_keys),
        [SECTION_DISK] = SECTION("disk", true, false, disk_keys),
        [SECTION_CDROM] = SECTION("cdrom", true, false, cdrom_keys),
        [SECTION_NET] = SECTION("net", true, false, net_keys),
};

const KeyDef *config_key_lookup(SectionKind kind, const char *name, size_t len) {
        const SectionDef *s = &config_sections[kind];
        for (size_t i = 0; i < s->n_keys; i++)
                if (strlen(s->keys[i].name) == len && strncmp(s->keys[i].name, name, len) == 0)
                        return &s->keys[i];
        return NULL;
}

const char *config_key_default(SectionKind kind, const char *name) {
        const KeyDef *def = config_key_lookup(kind, name, strlen(name));
        assert(def);
        return def->default_value;
}

void config_section_apply_defaults(SectionKind kind, void *base) {
        const SectionDef *s = &config_sections[kind];
        for (size_t i = 0; i < s->n_keys; i++) {
                const KeyDef *def = &s->keys[i];
                void *field = (uint8_t *) base + def->offset;
                if (def->default_value) {
                        _cleanup_free_ char *error = NULL;
                        /* The table's own defaults are checked by the fast tests (qemu-vmctl keys). */
                        if (def->type->parse(def, def->default_value, field, &error) < 0)
                                abort();
                } else if (def->type == &type_enum)
                        *(int *) field = -1;
        }
}

size_t config_section_count(const VmConfig *c, SectionKind kind) {
        switch (kind) {
        case SECTION_DISK:
                return c->n_disks;
        case SECTION_CDROM:
                return c->n_cdroms;
        case SECTION_NET:
                return c->n_nets;
        case SECTION_USER:
                return c->n_users;
        default:
                return 1;
        }
}

const void *config_section_item(const VmConfig *c, SectionKind kind, size_t i, const char **ret_id) {
        switch (kind) {
        case SECTION_DISK:
                *ret_id = c->disks[i].id;
                return &c->disks[i];
        case SECTION_CDROM:
                *ret_id = c->cdroms[i].id;
                return &c->cdroms[i];
        case SECTION_NET:
                *ret_id = c->nets[i].id;
                return &c->nets[i];
        case SECTION_USER:
                *ret_id = c->users[i].name;
                return &c->users[i];
        default:
                *ret_id = NULL;
                return c;
        }
}

bool config_section_enabled(SectionKind kind, const void *item) {
        const KeyDef *def = config_key_lookup(kind, "enabled", strlen("enabled"));
        return !def || *(const bool *) ((const uint8_t *) item + def->offset);
}

const char *key_default_text(const KeyDef *def) {
        return def->default_value ?: def->default_doc ?: "none";
}
