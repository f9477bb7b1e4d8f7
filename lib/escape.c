/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "escape.h"
#include "util.h"

char *qemu_option_escape(const char *s) {
        char *out = xmalloc(strlen(s) * 2 + 1), *t = out;

        for (; *s; s++) {
                if (*s == ',')
                        *t++ = ',';
                *t++ = *s;
        }
        *t = 0;
        return out;
}

char *unit_specifier_escape(const char *s) {
        char *out = xmalloc(strlen(s) * 2 + 1), *t = out;

        for (; *s; s++) {
                if (*s == '%')
                        *t++ = '%';
                *t++ = *s;
        }
        *t = 0;
        return out;
}

char *unit_exec_arg_escape(const char *s) {
        char *out = xmalloc(strlen(s) * 2 + 3), *t = out;

        *t++ = '"';
        for (; *s; s++) {
                switch (*s) {
                case '\\':
                case '"':
                        *t++ = '\\';
                        break;
                case '%':
                case '$':
                        *t++ = *s;
                        break;
                }
                *t++ = *s;
        }
        *t++ = '"';
        *t = 0;
        return out;
}

bool string_has_control_chars(const char *s) {
        for (; *s; s++)
                if ((unsigned char) *s < 0x20 || *s == 0x7f)
                        return true;
        return false;
}
