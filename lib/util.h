/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Small helpers every file uses: cleanup attributes and string checks. */

#include <assert.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_fclose_ _cleanup_(fclosep)
#define _cleanup_close_ _cleanup_(closep)
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _unused_ __attribute__((unused))

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

static inline void freep(void *p) {
        free(*(void **) p);
}

static inline void fclosep(FILE **f) {
        if (*f)
                fclose(*f);
}

static inline void closep(int *fd) {
        if (*fd >= 0)
                close(*fd);
}

static inline bool streq(const char *a, const char *b) {
        return strcmp(a, b) == 0;
}

static inline bool streq_ptr(const char *a, const char *b) {
        if (!a || !b)
                return a == b;
        return streq(a, b);
}

static inline const char *strempty(const char *s) {
        return s ?: "";
}

/* Hands ownership of *p to the caller and leaves NULL behind. */
static inline void *take_ptr_impl(void **p) {
        void *v = *p;
        *p = NULL;
        return v;
}
#define TAKE_PTR(p) take_ptr_impl((void **) &(p))

/* The same for a descriptor: leaves -1 behind. */
static inline int take_fd_impl(int *fd) {
        int v = *fd;
        *fd = -1;
        return v;
}
#define TAKE_FD(fd) take_fd_impl(&(fd))

/* malloc() failures end the program: a generator or a helper cannot do anything useful without memory. */
__attribute__((noreturn)) void oom(void);
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);

/* A growable array of T with a type of its own: typedef ARRAY(IpAddress) IpAddresses. */
#define ARRAY(T) struct { T *items; size_t n; }
#define array_push(a, value)                                                                   \
        do {                                                                                   \
                (a)->items = xrealloc((a)->items, ((a)->n + 1) * sizeof(*(a)->items));        \
                (a)->items[(a)->n++] = (value);                                                \
        } while (0)
#define array_clear(a)                                                                         \
        do {                                                                                   \
                free((a)->items);                                                              \
                (a)->items = NULL;                                                             \
                (a)->n = 0;                                                                    \
        } while (0)
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) _printf_(1, 2);
/* The strings one after another, newly allocated: strjoin(dir, "/", name); none may be NULL (a NULL
 * ends the list). Cheaper than xasprintf() where nothing needs formatting, which counts in the
 * generator's per-VM work. */
char *strjoin_impl(const char *first, ...) __attribute__((sentinel));
#define strjoin(...) strjoin_impl(__VA_ARGS__, NULL)
char *xvasprintf(const char *fmt, va_list ap) _printf_(1, 0);

bool startswith(const char *s, const char *prefix);
bool endswith(const char *s, const char *suffix);

/* Returns the index of s in table (NULL entries allowed), or -1. */
int string_table_lookup(const char *const *table, size_t n, const char *s);

/* 32-bit FNV-1a of a string: small, stable across builds and hosts, for names derived from names
 * (console ports, tap devices). Not for anything an attacker could exploit by colliding. */
uint32_t string_hash_fnv1a(const char *s);

/* Reads a regular file of at most max bytes that holds no NUL byte, NUL-terminated. Returns 0 or
 * -errno: -EISDIR, -EBADF (not a regular file), -EFBIG, -EBADMSG (a NUL byte). Never blocks on a FIFO. */
int read_text_file(const char *path, size_t max, char **ret);
