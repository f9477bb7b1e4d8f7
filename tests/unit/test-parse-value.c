/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>

#include "parse-value.h"
#include "tap.h"

static void size_ok(const char *s, uint64_t want) {
        uint64_t v = 0;
        int r = parse_size(s, &v);
        check(r == 0 && v == want, "parse_size('%s') = %" PRIu64 " (got %d, %" PRIu64 ")", s, want, r, v);
}

static void size_bad(const char *s, int want) {
        uint64_t v = 12345;
        int r = parse_size(s, &v);
        check(r == want && v == 12345, "parse_size('%s') fails with %d and leaves the output alone (got %d)", s, want, r);
}

int main(void) {
        size_ok("0", 0);
        size_ok("512", 512);
        size_ok("512B", 512);
        size_ok("64K", UINT64_C(64) << 10);
        size_ok("64k", UINT64_C(64) << 10);
        size_ok("2G", UINT64_C(2) << 30);
        size_ok("2GiB", UINT64_C(2) << 30);
        size_ok("1T", UINT64_C(1) << 40);
        size_ok("16777215T", UINT64_C(16777215) << 40);
        size_ok("18446744073709551615", UINT64_MAX);

        size_bad("", -EINVAL);
        size_bad("G", -EINVAL);
        size_bad("-1G", -EINVAL);
        size_bad("+1G", -EINVAL);
        size_bad("1.5G", -EINVAL);
        size_bad("1 G", -EINVAL);
        size_bad("1X", -EINVAL);
        size_bad("1GG", -EINVAL);
        size_bad("0x10", -EINVAL);
        size_bad("16777216T", -ERANGE);
        size_bad("18446744073709551616", -ERANGE);
        size_bad("99999999999999999999999999", -ERANGE);

        uint64_t v;
        check(parse_uint_range("5", 1, 10, &v) == 0 && v == 5, "uint in range");
        check(parse_uint_range("0", 1, 10, &v) == -ERANGE, "uint below range");
        check(parse_uint_range("11", 1, 10, &v) == -ERANGE, "uint above range");
        check(parse_uint_range("5s", 1, 10, &v) == -EINVAL, "uint with junk");
        check(parse_uint_range(" 5", 1, 10, &v) == -EINVAL, "uint with leading space");
        check(parse_uint_range("-5", 0, 10, &v) == -EINVAL, "negative uint");

        bool b = false;
        check(parse_bool("yes", &b) == 0 && b, "yes");
        check(parse_bool("On", &b) == 0 && b, "On");
        check(parse_bool("0", &b) == 0 && !b, "0");
        check(parse_bool("false", &b) == 0 && !b, "false");
        check(parse_bool("maybe", &b) == -EINVAL, "maybe is no boolean");
        return tap_done();
}
