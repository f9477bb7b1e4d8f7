/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-vmctl keys: every section and key a VM file may have, with its default and what it does, from
 * the schema the parser itself uses (lib/config-schema.c). */

#include "config-schema.h"
#include "ctl.h"

int cmd_keys(Ctl *ctl, int argc, char *argv[]) {
        int r, exit_code;

        r = ctl_parse_options(ctl, argc, argv, NULL, "keys [--json]", NULL, NULL, 0, &exit_code);
        if (r < 0)
                return exit_code;

        json_object *doc = ctl->json ? json_object_new_array() : NULL;
        for (SectionKind kind = 0; kind < _SECTION_MAX; kind++) {
                const SectionDef *s = &config_sections[kind];
                if (!doc)
                        printf("%s[%s%s]\n", kind > 0 ? "\n" : "", s->prefix, s->has_id ? ".ID" : "");
                for (size_t i = 0; i < s->n_keys; i++) {
                        const KeyDef *def = &s->keys[i];
                        if (!doc) {
                                printf("%-25s %s (default: %s)%s\n", def->name, def->description,
                                       key_default_text(def), def->appends ? "; repeatable" : "");
                                continue;
                        }
                        json_object *o = json_object_new_object();
                        json_object_object_add(o, "section", json_object_new_string(s->prefix));
                        json_object_object_add(o, "has_id", json_object_new_boolean(s->has_id));
                        json_object_object_add(o, "key", json_object_new_string(def->name));
                        json_object_object_add(o, "default", json_object_new_string(key_default_text(def)));
                        json_object_object_add(o, "repeatable", json_object_new_boolean(def->appends));
                        json_object_object_add(o, "in_defaults_file", json_object_new_boolean(s->in_defaults_file));
                        json_object_object_add(o, "description", json_object_new_string(def->description));
                        json_object_array_add(doc, o);
                }
        }
        if (doc)
                ctl_print_json(doc);
        return CTL_EXIT_OK;
}
