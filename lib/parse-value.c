/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <errno.h>
#include <strings.h>

#include "parse-value.h"
#include "util.h"

/* Reads the leading run of digits as a number; refuses overflow. Returns the end of the digits. */
static const char *parse_digits(const char *s, uint64_t *ret) {
        uint64_t v = 0;

        if (!isdigit((unsigned char) *s))
                return NULL;
        for (; isdigit((unsigned char) *s); s++) {
                unsigned d = (unsigned) (*s - '0');
                if (v > (UINT64_MAX - d) / 10)
                        return (errno = ERANGE), NULL;
                v = v * 10 + d;
        }
        *ret = v;
        return s;
}

int parse_uint_range(const char *s, uint64_t min, uint64_t max, uint64_t *ret) {
        uint64_t v;
        const char *end;

        errno = 0;
        end = parse_digits(s, &v);
        if (!end)
                return errno == ERANGE ? -ERANGE : -EINVAL;
        if (*end)
                return -EINVAL;
        if (v < min || v > max)
                return -ERANGE;
        *ret = v;
        return 0;
}

int parse_size(const char *s, uint64_t *ret) {
        static const struct {
                const char *suffix;
                unsigned shift;
        } units[] = {
                { "",   0 }, { "B", 0 },
                { "K", 10 }, { "KB", 10 }, { "KiB", 10 },
                { "M", 20 }, { "MB", 20 }, { "MiB", 20 },
                { "G", 30 }, { "GB", 30 }, { "GiB", 30 },
                { "T", 40 }, { "TB", 40 }, { "TiB", 40 },
        };
        uint64_t v;
        const char *end;

        errno = 0;
        end = parse_digits(s, &v);
        if (!end)
                return errno == ERANGE ? -ERANGE : -EINVAL;

        for (size_t i = 0; i < ELEMENTSOF(units); i++) {
                if (strcasecmp(end, units[i].suffix) != 0)
                        continue;
                if (units[i].shift > 0 && v > (UINT64_MAX >> units[i].shift))
                        return -ERANGE;
                *ret = v << units[i].shift;
                return 0;
        }
        return -EINVAL;
}

int parse_bool(const char *s, bool *ret) {
        static const char *const yes[] = { "yes", "true", "on", "1" };
        static const char *const no[] = { "no", "false", "off", "0" };

        for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
                if (strcasecmp(s, yes[i]) == 0) {
                        *ret = true;
                        return 0;
                }
                if (strcasecmp(s, no[i]) == 0) {
                        *ret = false;
                        return 0;
                }
        }
        return -EINVAL;
}
