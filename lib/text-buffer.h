/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A growing string that text is appended to: what the generator builds each drop-in in. Cheaper than
 * open_memstream(), which zeroes a buffer per stream and copies a long write one byte at a time once
 * its buffer is full; the generator builds nine drop-ins per VM (bench/generator.sh). The text is
 * always NUL-terminated. Allocation failure aborts, as xmalloc() does. */

#include <stddef.h>

#include "util.h"

typedef struct TextBuffer {
        char *text;
        size_t length;
        size_t allocated;
} TextBuffer;

/* Room for SIZE more bytes and the NUL; returns where they go. text_buffer_advance() then counts those
 * written. */
char *text_buffer_reserve(TextBuffer *b, size_t size);
void text_buffer_advance(TextBuffer *b, size_t written);

void text_buffer_append(TextBuffer *b, const char *s, size_t size);
void text_buffer_puts(TextBuffer *b, const char *s);
void text_buffer_printf(TextBuffer *b, const char *fmt, ...) _printf_(2, 3);

/* The text, handed to the caller (never NULL); the buffer is empty again. */
char *text_buffer_take(TextBuffer *b);
