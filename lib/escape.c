/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdint.h>

#include "escape.h"
#include "util.h"

char *qemu_option_escape(const char *s) {
        assert(s);
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
        assert(s);
        char *out = xmalloc(strlen(s) * 2 + 1), *t = out;

        for (; *s; s++) {
                if (*s == '%')
                        *t++ = '%';
                *t++ = *s;
        }
        *t = 0;
        return out;
}

size_t unit_exec_arg_escape_into(char *out, const char *s) {
        assert(out && s);
        char *t = out;

        *t++ = '"';
        for (;;) {
                /* Copied a run at a time: most arguments have nothing to escape. */
                size_t run = strcspn(s, "\\\"%$");
                t = mempcpy(t, s, run);
                s += run;
                if (!*s)
                        break;
                /* A backslash or quote gets a backslash before it; '%' and '$' are doubled. */
                *t++ = (*s == '\\' || *s == '"') ? '\\' : *s;
                *t++ = *s++;
        }
        *t++ = '"';
        *t = 0;
        return (size_t) (t - out);
}

bool string_has_control_chars(const char *s) {
        for (; *s; s++)
                if ((unsigned char) *s < 0x20 || *s == 0x7f)
                        return true;
        return false;
}

/* The length of the valid UTF-8 sequence at s (at most n bytes), or 0; its code point in *ret_cp. */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *ret_cp) {
        size_t len;
        uint32_t cp;

        if (s[0] < 0x80)
                return 1;
        if (s[0] >= 0xc2 && s[0] <= 0xdf)
                len = 2, cp = s[0] & 0x1f;
        else if (s[0] >= 0xe0 && s[0] <= 0xef)
                len = 3, cp = s[0] & 0x0f;
        else if (s[0] >= 0xf0 && s[0] <= 0xf4)
                len = 4, cp = s[0] & 0x07;
        else
                return 0;
        if (len > n)
                return 0;
        for (size_t i = 1; i < len; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                cp = (cp << 6) | (s[i] & 0x3f);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
                return 0;
        *ret_cp = cp;
        return len;
}

static size_t utf8_sequence(const unsigned char *s, size_t n) {
        uint32_t cp;
        return s[0] < 0x80 ? 1 : utf8_decode(s, n, &cp);
}

/* Characters that print as nothing, or reorder what follows: C1 controls, zero-width characters and
 * the byte order mark, line and paragraph separators, bidirectional overrides and isolates. In a
 * message they would hide what is wrong ("unknown key 'cpus'" for a BOM before "cpus"). */
static bool is_invisible(uint32_t cp) {
        return (cp >= 0x80 && cp <= 0x9f) || (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x2028 && cp <= 0x202e) ||
               (cp >= 0x2060 && cp <= 0x2069) || cp == 0xfeff;
}

bool utf8_is_valid(const char *s, size_t n) {
        const unsigned char *u = (const unsigned char *) s;

        for (size_t i = 0; i < n;) {
                size_t k = utf8_sequence(u + i, n - i);
                if (k == 0)
                        return false;
                i += k;
        }
        return true;
}

bool unit_path_list_item_ok(const char *path) {
        return !strpbrk(path, " \t\"'\\");
}

char *string_printable(const char *s) {
        assert(s);
        const unsigned char *u = (const unsigned char *) s;
        size_t n = strlen(s), o = 0;
        char *out = xmalloc(n + 1);

        for (size_t i = 0; i < n;) {
                uint32_t cp = u[i];
                size_t k = u[i] < 0x80 ? 1 : utf8_decode(u + i, n - i, &cp);
                if (k == 0 || cp < 0x20 || cp == 0x7f || is_invisible(cp)) {
                        out[o++] = '?';         /* one '?' for a whole invisible character */
                        i += k ? k : 1;
                        continue;
                }
                memcpy(out + o, s + i, k);
                o += k;
                i += k;
        }
        out[o] = '\0';
        return out;
}
