/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <errno.h>

#include "parse-value.h"
#include "tap.h"
#include "util.h"

static void size_ok(const char *s, uint64_t want) {
        uint64_t v = 0;
        int r = parse_size(s, &v);
        check(r == 0 && v == want, "parse_size('%s') = %" PRIu64 " (got %d, %" PRIu64 ")", s, want, r, v);
}

static void size_bad(const char *s, int want) {
        uint64_t v = 12345;
        int r = parse_size(s, &v);
        check(r == want && v == 12345, "parse_size('%s') fails with %d and leaves the output alone (got %d)", s, want,
              r);
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
        PortForward f;
        check(parse_port_forward("tcp:127.0.0.1:2222-:22", &f) == 0 && !f.udp && f.host_port == 2222 &&
                      f.guest_port == 22 && f.host_addr == htonl(0x7f000001) && f.guest_addr == 0,
              "tcp forward with a host address");
        check(parse_port_forward("udp::5353-10.0.2.15:53", &f) == 0 && f.udp && f.host_addr == 0 &&
              f.guest_addr == htonl(0x0a00020f), "udp forward to a guest address");
        check(parse_port_forward("tcp:2222-:22", &f) == -EINVAL, "a forward needs HOSTADDR: before the port");
        check(parse_port_forward("tcp::0-:22", &f) == -EINVAL, "port 0 is no port");
        check(parse_port_forward("tcp::2222-:22,restrict=on", &f) == -EINVAL, "no second option smuggled in");
        check(parse_port_forward("tcp::2222-:22,hostfwd=tcp::1-:1", &f) == -EINVAL, "no second forward smuggled in");
        check(parse_port_forward("tcp::1-2-:3", &f) == -EINVAL, "one dash only");
        check(parse_port_forward("TCP::2222-:22", &f) == -EINVAL, "protocol in lowercase");
        PortForward every = { .host_port = 80 }, one = { .host_port = 80, .host_addr = htonl(0x7f000001) },
                    other = { .host_port = 80, .host_addr = htonl(0x7f000002) }, udp = { .host_port = 80, .udp = true };
        check(port_forwards_clash(&every, &one), "every address clashes with one address");
        check(!port_forwards_clash(&one, &other), "two addresses do not clash");
        check(!port_forwards_clash(&every, &udp), "tcp and udp do not clash");
        /* Static addresses for cloud-init. */
        IpAddress a;
        check(parse_ip_prefix("10.20.30.40/24", &a) == 0 && a.family == AF_INET && a.prefix == 24, "IPv4 CIDR");
        _cleanup_free_ char *v6 = NULL;
        check(parse_ip_prefix("FD00:0::28/64", &a) == 0 && a.family == AF_INET6 && (v6 = ip_address_format(&a, true)) &&
              strcmp(v6, "fd00::28/64") == 0, "IPv6 CIDR, written back canonical: %s", v6 ? v6 : "");
        const char *bad_prefixes[] = { "10.20.30.40", "10.20.30.40/", "10.20.30.40/0", "10.20.30.40/33", "fd00::1/129",
                                       "10.20.30.400/24", "10.20.30.40/24x", "/24", "10.20.30.40/+8", "host/24" };
        for (size_t i = 0; i < sizeof bad_prefixes / sizeof *bad_prefixes; i++)
                check(parse_ip_prefix(bad_prefixes[i], &a) == -EINVAL, "not CIDR: '%s'", bad_prefixes[i]);
        check(parse_ip_address("10.20.30.1", &a) == 0 && a.prefix == 32, "a bare IPv4 address");
        check(parse_ip_address("10.20.30.1/24", &a) < 0 && parse_ip_address("dns.example", &a) < 0,
              "a bare address has no prefix, and is not a name");
        /* Kept parsed: the same address whatever its prefix, in lists that grow and empty. */
        IpAddress bare = {}, next = {};
        check(parse_ip_prefix("10.20.30.40/24", &a) == 0 && parse_ip_address("10.20.30.40", &bare) == 0 &&
              parse_ip_address("10.20.30.41", &next) == 0 && ip_address_same(&a, &bare) && !ip_address_same(&a, &next),
              "ip_address_same() compares the address, not the prefix");
        IpAddresses list = {};
        array_push(&list, a);
        array_push(&list, next);
        check(list.n == 2 && list.items[1].bytes[3] == 41, "array_push() keeps order");
        array_clear(&list);
        check(list.n == 0 && !list.items, "array_clear() empties");
        return tap_done();
}
