/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdarg.h>

#include "text-buffer.h"

char *text_buffer_reserve(TextBuffer *b, size_t size) {
        assert(b);
        if (size >= SIZE_MAX / 2 - b->length)
                oom();
        if (b->length + size + 1 > b->allocated) {
                size_t want = b->allocated ? b->allocated : 1024;
                while (want < b->length + size + 1)
                        want *= 2;
                b->text = xrealloc(b->text, want);
                b->allocated = want;
        }
        return b->text + b->length;
}

void text_buffer_advance(TextBuffer *b, size_t written) {
        assert(b && b->length + written < b->allocated);
        b->length += written;
        b->text[b->length] = 0;
}

void text_buffer_append(TextBuffer *b, const char *s, size_t size) {
        memcpy(text_buffer_reserve(b, size), s, size);
        text_buffer_advance(b, size);
}

void text_buffer_puts(TextBuffer *b, const char *s) {
        text_buffer_append(b, s, strlen(s));
}

void text_buffer_printf(TextBuffer *b, const char *fmt, ...) {
        va_list ap;

        /* Straight into the spare room; only a line longer than that is formatted twice. */
        int saved_errno = errno;       /* for a %m in the second pass, after a reallocation */
        (void) text_buffer_reserve(b, 255);
        size_t room = b->allocated - b->length;
        va_start(ap, fmt);
        int n = vsnprintf(b->text + b->length, room, fmt, ap);
        va_end(ap);
        if (n < 0)
                oom();
        if ((size_t) n >= room) {
                char *at = text_buffer_reserve(b, (size_t) n);
                errno = saved_errno;
                va_start(ap, fmt);
                n = vsnprintf(at, (size_t) n + 1, fmt, ap);
                va_end(ap);
                if (n < 0)
                        oom();
        }
        text_buffer_advance(b, (size_t) n);
}

char *text_buffer_take(TextBuffer *b) {
        char *text = b->text ? b->text : xstrdup("");
        *b = (TextBuffer) {};
        return text;
}
