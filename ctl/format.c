/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>

#include "format.h"
#include "util.h"

char *format_duration(uint64_t seconds) {
        static const struct { uint64_t unit; const char *name; } parts[] = {
                { 86400, "d" }, { 3600, "h" }, { 60, "min" }, { 1, "s" },
        };
        char buf[128] = "";
        size_t n = 0;

        for (size_t i = 0; i < ELEMENTSOF(parts); i++) {
                uint64_t v = seconds / parts[i].unit;
                if (v == 0 && !(i + 1 == ELEMENTSOF(parts) && n == 0))
                        continue;
                seconds -= v * parts[i].unit;
                n += (size_t) snprintf(buf + n, sizeof buf - n, "%s%" PRIu64 "%s", n ? " " : "", v, parts[i].name);
        }
        return xstrdup(buf);
}

char *format_mib(uint64_t bytes) {
        return xasprintf("%.1f MiB", (double) bytes / (1024.0 * 1024.0));
}
