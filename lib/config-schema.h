/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The schema of a VM file: every section and key, with how its value is parsed and written back, its
 * default and what it does, in one table (config-schema.c). The parser (config-parse.c), the defaults
 * of a new VM or device, `qemu-vmctl show` and `qemu-vmctl keys` all read it; qemu-vm.conf(5) is
 * checked against it (tests/config-schema.bats). */

#include <sys/types.h>

#include "config.h"

/* In the order `qemu-vmctl show` prints them. */
typedef enum SectionKind {
        SECTION_VM, SECTION_SERIAL, SECTION_TPM, SECTION_AGENT, SECTION_VNC, SECTION_CLOUD_INIT, SECTION_USER,
        SECTION_DISK, SECTION_CDROM, SECTION_NET, _SECTION_MAX
} SectionKind;

typedef struct KeyDef KeyDef;

/* What `show` prints for a password hash that is set: the hash itself stays in its file. */
#define PASSWORD_HASH_SHOWN "(set)"
/* cmdline is written back in lines of at most about this many bytes. */
#define CMDLINE_LINE_MAX 120

/* How `show --json` types a value: a string, a number, yes/no, a number of bytes (a size written
 * "16M" in the file), a list of one value per line, or a list of words (a Strv, shown as the words
 * themselves, not as the file quotes them). */
typedef enum ValueShape { VALUE_TEXT, VALUE_NUMBER, VALUE_BOOL, VALUE_BYTES, VALUE_LIST, VALUE_WORDS } ValueShape;

typedef struct KeyType {
        /* Stores value in field, or returns a negative errno and sets *ret_error to a message naming
         * the key. A key that appends adds to what the field holds. */
        int (*parse)(const KeyDef *def, const char *value, void *field, char **ret_error);
        /* Appends the field's value as a VM file spells it, one line's value per item (none when unset),
         * so that parsing it back gives the same field. */
        void (*format)(const KeyDef *def, const void *field, Strv *ret);
        ValueShape shape;
        /* Empties the field: a key that appends starts afresh in each file that sets it. */
        void (*clear)(void *field);
} KeyType;

struct KeyDef {
        const char *name;
        const KeyType *type;
        size_t offset;          /* of the field in its section's struct (VmConfig for sections without ID) */
        ssize_t origin_offset;  /* of an Origin field to record the line in, or -1 */
        const void *data;       /* type-specific: EnumSpec, UintRange, with_prefix */
        bool appends;           /* repeated lines in one file add to the value (continuation lines) */
        /* The value a new VM or device starts with, parsed by type->parse; NULL: none, or one worked out
         * from other keys once the whole VM is read (config-resolve.c), which default_doc then says. */
        const char *default_value;
        const char *default_doc;
        const char *description;        /* one line */
};

typedef struct EnumSpec {
        const char *const *table;
        size_t n;
} EnumSpec;

typedef struct UintRange {
        uint64_t min, max;
} UintRange;

typedef struct SectionDef {
        const char *prefix;     /* "disk" matches [disk.ID]; "vm" matches [vm] */
        bool has_id;
        bool in_defaults_file;  /* allowed in the site-wide defaults file */
        const KeyDef *keys;
        size_t n_keys;
} SectionDef;

extern const SectionDef config_sections[_SECTION_MAX];

const KeyDef *config_key_lookup(SectionKind kind, const char *name, size_t len);

/* Sets every key of the section that has a default_value (enums without one: unset, -1). base is the
 * VmConfig for sections without ID, else the new device's struct. */
void config_section_apply_defaults(SectionKind kind, void *base);

/* The number of [KIND] or [KIND.ID] sections the VM has (1 for sections without ID), and the struct of
 * the i-th with its ID (NULL for sections without ID). */
size_t config_section_count(const VmConfig *c, SectionKind kind);
const void *config_section_item(const VmConfig *c, SectionKind kind, size_t i, const char **ret_id);

/* The default_value of a key the schema has (NULL when it has none), for helpers that get the value
 * as an option which may be left out. */
const char *config_key_default(SectionKind kind, const char *name);

/* Whether the section is on: its 'enabled' key, for sections that have one; others always are. The keys
 * of a section that is off do nothing, and `show` leaves them out. */
bool config_section_enabled(SectionKind kind, const void *item);

/* The default as the manual states it: default_value, default_doc, or "none". */
const char *key_default_text(const KeyDef *def);
