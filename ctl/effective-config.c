/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config-parse.h"
#include "config-schema.h"
#include "effective-config.h"
#include "util.h"

/* One value as JSON, typed by the key's shape; a number that is not digits ("auto") stays a string. */
static json_object *value_json(const KeyDef *def, const char *text) {
        if (def->type->shape == VALUE_BOOL)
                return json_object_new_boolean(streq(text, "yes"));
        if (def->type->shape == VALUE_NUMBER && text[0] && !text[strspn(text, "0123456789")])
                return json_object_new_int64((int64_t) strtoull(text, NULL, 10));
        return json_object_new_string(text);
}

/* Whether show gives the key's value: of a section that is off, only 'enabled' (the rest does nothing). */
static bool key_shown(bool section_enabled, const KeyDef *def) {
        return section_enabled || streq(def->name, "enabled");
}

/* Every key of the section; those key_shown() leaves out are null. */
static json_object *section_json(SectionKind kind, const uint8_t *item) {
        const SectionDef *s = &config_sections[kind];
        bool enabled = config_section_enabled(kind, item);
        json_object *o = json_object_new_object();

        for (size_t k = 0; k < s->n_keys; k++) {
                const KeyDef *def = &s->keys[k];
                json_object *v = NULL;
                if (!key_shown(enabled, def))
                        ;
                else if (def->type->shape == VALUE_BYTES)
                        v = json_object_new_int64((int64_t) *(const uint64_t *) (item + def->offset));
                else if (def->type->shape == VALUE_WORDS) {
                        /* As data, words are themselves, not the quoted lines that spell them. */
                        const Strv *words = (const Strv *) (item + def->offset);
                        v = json_object_new_array();
                        for (size_t i = 0; i < words->n; i++)
                                json_object_array_add(v, json_object_new_string(words->items[i]));
                } else if (def->type->shape == VALUE_LIST) {
                        _cleanup_strv_ Strv values = {};
                        def->type->format(def, item + def->offset, &values);
                        v = json_object_new_array();
                        for (size_t i = 0; i < values.n; i++)
                                json_object_array_add(v, json_object_new_string(values.items[i]));
                } else {
                        _cleanup_strv_ Strv values = {};
                        def->type->format(def, item + def->offset, &values);
                        /* cmdline comes in several lines; as data it is one string. */
                        _cleanup_free_ char *joined = values.n > 0 ? strv_join(&values, " ") : NULL;
                        if (joined)
                                v = value_json(def, joined);
                }
                json_object_object_add(o, def->name, v);
        }
        return o;
}

json_object *effective_config_build(const VmConfig *c) {
        json_object *sections = json_object_new_object();

        for (SectionKind kind = 0; kind < _SECTION_MAX; kind++) {
                const SectionDef *s = &config_sections[kind];
                size_t n = config_section_count(c, kind);
                for (size_t i = 0; i < n; i++) {
                        const char *id;
                        const void *item = config_section_item(c, kind, i, &id);
                        _cleanup_free_ char *name = id ? xasprintf("%s.%s", s->prefix, id) : xstrdup(s->prefix);
                        json_object_object_add(sections, name, section_json(kind, item));
                }
        }
        return sections;
}

/* KEY = VALUE; a value too long for one line of a VM file follows an empty KEY = as a continuation
 * line, which keys that append take (a long word of extra_args, say). */
static void print_values(FILE *f, const KeyDef *def, const Strv *values) {
        for (size_t i = 0; i < values->n; i++) {
                const char *v = values->items[i];
                size_t len = strlen(v);
                if (!def->appends || strlen(def->name) + strlen(" = ") + len <= CONFIG_LINE_MAX) {
                        fprintf(f, "%s = %s\n", def->name, v);
                        continue;
                }
                if (i == 0)
                        fprintf(f, "%s =\n", def->name);
                fprintf(f, "%*s%s\n", len + 8 <= CONFIG_LINE_MAX ? 8 : 1, "", v);
        }
}

void effective_config_print_ini(const VmConfig *c, FILE *f) {
        bool first = true;

        for (SectionKind kind = 0; kind < _SECTION_MAX; kind++) {
                const SectionDef *s = &config_sections[kind];
                size_t n = config_section_count(c, kind);
                for (size_t i = 0; i < n; i++) {
                        const char *id;
                        const uint8_t *item = config_section_item(c, kind, i, &id);
                        bool enabled = config_section_enabled(kind, item);
                        fprintf(f, "%s[%s%s%s]\n", first ? "" : "\n", s->prefix, id ? "." : "", id ?: "");
                        first = false;
                        for (size_t k = 0; k < s->n_keys; k++) {
                                const KeyDef *def = &s->keys[k];
                                _cleanup_strv_ Strv values = {};
                                if (!key_shown(enabled, def))
                                        continue;
                                def->type->format(def, item + def->offset, &values);
                                print_values(f, def, &values);
                        }
                }
        }
}
