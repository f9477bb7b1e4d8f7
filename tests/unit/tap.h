/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A minimal TAP producer for the C unit tests. */

#include <inttypes.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

static int tap_count, tap_failed;

#define check(cond, ...)                                                        \
        do {                                                                    \
                tap_count++;                                                    \
                if (cond)                                                       \
                        printf("ok %d - ", tap_count);                          \
                else {                                                          \
                        tap_failed++;                                           \
                        printf("not ok %d - ", tap_count);                      \
                }                                                               \
                printf(__VA_ARGS__);                                            \
                printf("\n");                                                   \
        } while (0)

#define check_streq(got, want, what)                                            \
        do {                                                                    \
                const char *_g = (got), *_w = (want);                           \
                check(_g && strcmp(_g, _w) == 0, "%s", what);                   \
                if (!_g || strcmp(_g, _w) != 0)                                 \
                        printf("# got '%s', want '%s'\n", _g ? _g : "(null)", _w); \
        } while (0)

static inline int tap_done(void) {
        printf("1..%d\n", tap_count);
        return tap_failed ? 1 : 0;
}
