/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sys/stat.h>

#include "util.h"

void oom(void) {
        fputs("Out of memory.\n", stderr);
        abort();
}

void *xmalloc(size_t n) {
        void *p = malloc(n ?: 1);
        if (!p)
                oom();
        return p;
}

void *xcalloc(size_t n, size_t size) {
        void *p = calloc(n ?: 1, size ?: 1);
        if (!p)
                oom();
        return p;
}

void *xrealloc(void *p, size_t n) {
        p = realloc(p, n ?: 1);
        if (!p)
                oom();
        return p;
}

char *xstrdup(const char *s) {
        char *p = strdup(s);
        if (!p)
                oom();
        return p;
}

char *xstrndup(const char *s, size_t n) {
        char *p = strndup(s, n);
        if (!p)
                oom();
        return p;
}

char *xvasprintf(const char *fmt, va_list ap) {
        assert(fmt);
        char small[1024];
        va_list again;

        /* Most strings fit on the stack: formatted once and copied, where vasprintf() would allocate,
         * grow and shrink (the generator formats about a hundred per VM). */
        if (!strchr(fmt, '%'))
                return xstrdup(fmt);    /* QEMU's many fixed arguments, pushed with strv_pushf() */

        int saved_errno = errno;       /* for a %m in the second pass */
        va_copy(again, ap);
        int n = vsnprintf(small, sizeof small, fmt, ap);
        if (n < 0)
                oom();
        char *s = xmalloc((size_t) n + 1);
        errno = saved_errno;
        if ((size_t) n < sizeof small)
                memcpy(s, small, (size_t) n + 1);
        else if (vsnprintf(s, (size_t) n + 1, fmt, again) != n)
                oom();
        va_end(again);
        return s;
}

char *strjoin_impl(const char *first, ...) {
        va_list ap;
        size_t length = 0;

        va_start(ap, first);
        for (const char *s = first; s; s = va_arg(ap, const char *))
                length += strlen(s);
        va_end(ap);

        char *joined = xmalloc(length + 1), *end = joined;
        va_start(ap, first);
        for (const char *s = first; s; s = va_arg(ap, const char *))
                end = stpcpy(end, s);
        va_end(ap);
        *end = 0;
        return joined;
}

char *xasprintf(const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        char *s = xvasprintf(fmt, ap);
        va_end(ap);
        return s;
}

bool startswith(const char *s, const char *prefix) {
        return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool endswith(const char *s, const char *suffix) {
        size_t a = strlen(s), b = strlen(suffix);
        return a >= b && memcmp(s + a - b, suffix, b) == 0;
}

int string_table_lookup(const char *const *table, size_t n, const char *s) {
        for (size_t i = 0; i < n; i++)
                if (table[i] && streq(table[i], s))
                        return (int) i;
        return -1;
}

uint32_t string_hash_fnv1a(const char *s) {
        uint32_t h = 2166136261u;

        for (const unsigned char *p = (const unsigned char *) s; *p; p++)
                h = (h ^ *p) * 16777619u;
        return h;
}

int read_text_file(const char *path, size_t max, char **ret) {
        /* O_NONBLOCK: a FIFO named like a config must not hang the boot. */
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        struct stat st;

        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (S_ISDIR(st.st_mode))
                return -EISDIR;
        if (!S_ISREG(st.st_mode))
                return -EBADF;
        if ((uint64_t) st.st_size > max)
                return -EFBIG;

        size_t n = (size_t) st.st_size, done = 0;
        _cleanup_free_ char *text = xmalloc(n + 1);
        while (done < n) {
                ssize_t k = read(fd, text + done, n - done);
                if (k < 0)
                        return -errno;
                if (k == 0)
                        break;
                done += (size_t) k;
        }
        if (memchr(text, 0, done))
                return -EBADMSG;
        text[done] = 0;
        *ret = TAKE_PTR(text);
        return 0;
}
