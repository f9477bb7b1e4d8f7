/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <dirent.h>
#include <errno.h>

#define INI_HANDLER_LINENO 1
#include <ini.h>

#include "config-parse.h"
#include "config-schema.h"
#include "escape.h"
#include "names.h"

/* Files larger than this are not VM configurations. */
#define CONFIG_FILE_MAX (1024 * 1024)

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

/* Splits "disk.root" into its kind and "root". Returns -EINVAL for an unknown section, -ENOENT for a
 * device section with a missing or bad ID. */
static int section_classify(const char *name, SectionKind *ret_kind, const char **ret_id) {
        for (SectionKind k = 0; k < _SECTION_MAX; k++) {
                size_t n = strlen(config_sections[k].prefix);
                if (strncmp(name, config_sections[k].prefix, n) != 0)
                        continue;
                if (!config_sections[k].has_id) {
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

/* Finds the device with this ID, creating it with its defaults (config-schema.c) on first sight.
 * Sections without an ID are parts of the VmConfig. */
static void *device_get(VmConfig *c, SectionKind kind, const char *id, Origin origin) {
        void *item;

        switch (kind) {
        case SECTION_DISK:
                for (size_t i = 0; i < c->n_disks; i++)
                        if (streq(c->disks[i].id, id))
                                return &c->disks[i];
                c->disks = xrealloc(c->disks, (c->n_disks + 1) * sizeof(DiskConfig));
                c->disks[c->n_disks] = (DiskConfig) { .id = xstrdup(id), .origin = origin };
                item = &c->disks[c->n_disks++];
                break;
        case SECTION_CDROM:
                for (size_t i = 0; i < c->n_cdroms; i++)
                        if (streq(c->cdroms[i].id, id))
                                return &c->cdroms[i];
                c->cdroms = xrealloc(c->cdroms, (c->n_cdroms + 1) * sizeof(CdromConfig));
                c->cdroms[c->n_cdroms] = (CdromConfig) { .id = xstrdup(id), .origin = origin };
                item = &c->cdroms[c->n_cdroms++];
                break;
        case SECTION_NET:
                for (size_t i = 0; i < c->n_nets; i++)
                        if (streq(c->nets[i].id, id))
                                return &c->nets[i];
                c->nets = xrealloc(c->nets, (c->n_nets + 1) * sizeof(NetConfig));
                /* The mode is the header's until a line sets it. */
                c->nets[c->n_nets] = (NetConfig) { .id = xstrdup(id), .origin = origin, .mode_origin = origin };
                item = &c->nets[c->n_nets++];
                break;
        case SECTION_USER:
                for (size_t i = 0; i < c->n_users; i++)
                        if (streq(c->users[i].name, id))
                                return &c->users[i];
                c->users = xrealloc(c->users, (c->n_users + 1) * sizeof(UserConfig));
                c->users[c->n_users] = (UserConfig) { .name = xstrdup(id), .origin = origin };
                item = &c->users[c->n_users++];
                break;
        default:
                return c;
        }
        config_section_apply_defaults(kind, item);
        return item;
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
        if (section_classify(section, &kind, &id) < 0 ||
            (ctx->defaults_only && !config_sections[kind].in_defaults_file))
                return 1;

        const KeyDef *def = config_key_lookup(kind, key, strlen(key));
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
                assert(def->type->clear);
                def->type->clear(field);
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
        if (def->type->parse(def, value, field, &error) < 0) {
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
        return config_key_lookup(st->kind, s, (size_t) (k - s));
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
        _cleanup_free_ char *name = xstrndup(s + 1, (size_t) (close - s - 1));
        int r = section_classify(name, &kind, &id);
        if (r == -ENOENT)
                config_errors_add(ctx->errors, ctx->file, line,
                                  "invalid ID in section [%s] (lowercase letters, digits, '-' and '_', "
                                  "at most %d, starting with a letter or digit)", name, DEVICE_ID_MAX);
        else if (r < 0)
                config_errors_add(ctx->errors, ctx->file, line, "unknown section [%s]", name);
        else if (ctx->defaults_only && !config_sections[kind].in_defaults_file)
                config_errors_add(ctx->errors, ctx->file, line, "section [%s] is not allowed in the defaults file",
                                  name);
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

/* Checks what libinih cannot be trusted with (docs/DESIGN-NOTES.md: it splits long lines and cuts long section
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
