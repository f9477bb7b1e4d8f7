/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>

#include "strv.h"

void strv_consume(Strv *v, char *s) {
        assert(v && s);
        if (v->n + 2 > v->allocated) {
                v->allocated = v->allocated ? v->allocated * 2 : 16;
                v->items = xrealloc(v->items, v->allocated * sizeof(char *));
        }
        v->items[v->n++] = s;
        v->items[v->n] = NULL;
}

void strv_push(Strv *v, const char *s) {
        strv_consume(v, xstrdup(s));
}

void strv_pushf(Strv *v, const char *fmt, ...) {
        assert(v && fmt);
        va_list ap;

        va_start(ap, fmt);
        strv_consume(v, xvasprintf(fmt, ap));
        va_end(ap);
}

void strv_clear(Strv *v) {
        for (size_t i = 0; i < v->n; i++)
                free(v->items[i]);
        free(v->items);
        *v = (Strv) {};
}

char *strv_join(const Strv *v, const char *sep) {
        assert(v && sep);
        size_t len = 1;

        for (size_t i = 0; i < v->n; i++)
                len += strlen(v->items[i]) + strlen(sep);
        char *out = xmalloc(len), *p = out;
        *p = 0;
        for (size_t i = 0; i < v->n; i++)
                p = stpcpy(i > 0 ? stpcpy(p, sep) : p, v->items[i]);
        return out;
}

bool strv_contains(const Strv *v, const char *s) {
        assert(v && s);
        for (size_t i = 0; i < v->n; i++)
                if (streq(v->items[i], s))
                        return true;
        return false;
}

int strv_split_words(Strv *v, const char *s) {
        assert(v && s);
        size_t len = strlen(s);
        _cleanup_free_ char *word = xmalloc(len + 1);

        for (const char *p = s;;) {
                size_t n = 0;
                char quote = 0;
                bool have_word = false;

                while (*p && isspace((unsigned char) *p))
                        p++;
                if (!*p)
                        return 0;

                for (; *p; p++) {
                        if (quote) {
                                if (*p == quote)
                                        quote = 0;
                                else if (quote == '"' && *p == '\\' && p[1])
                                        word[n++] = *++p;
                                else
                                        word[n++] = *p;
                        } else if (*p == '"' || *p == '\'') {
                                quote = *p;
                                have_word = true;
                        } else if (isspace((unsigned char) *p))
                                break;
                        else {
                                word[n++] = *p;
                                have_word = true;
                        }
                }
                if (quote)
                        return -EINVAL;
                if (have_word) {
                        word[n] = 0;
                        strv_push(v, word);
                }
        }
}
