/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A growable, NULL-terminated array of owned strings: an argv in the making. */

#include <stddef.h>

#include "util.h"

typedef struct Strv {
        char **items;   /* always NULL-terminated once anything was pushed */
        size_t n;
        size_t allocated;
} Strv;

void strv_push(Strv *v, const char *s);                 /* copies s */
void strv_consume(Strv *v, char *s);                    /* takes ownership of s */
void strv_pushf(Strv *v, const char *fmt, ...) _printf_(2, 3);
void strv_clear(Strv *v);
#define _cleanup_strv_ _cleanup_(strv_clear)
bool strv_contains(const Strv *v, const char *s);
/* The items with sep between them; "" for none. */
char *strv_join(const Strv *v, const char *sep);

/* Splits an extra_args-style string into words: whitespace separates, "..." and '...' group,
 * a backslash inside double quotes escapes the next character. Returns -EINVAL on an unclosed quote. */
int strv_split_words(Strv *v, const char *s);
