/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <strings.h>

#include "parse-value.h"
#include "util.h"

/* Reads the leading run of digits as a number into *ret and its end into *ret_end.
 * Returns -EINVAL when there is no digit, -ERANGE on overflow. */
static int parse_digits(const char *s, uint64_t *ret, const char **ret_end) {
        uint64_t v = 0;

        if (!isdigit((unsigned char) *s))
                return -EINVAL;
        for (; isdigit((unsigned char) *s); s++) {
                unsigned d = (unsigned) (*s - '0');
                if (v > (UINT64_MAX - d) / 10)
                        return -ERANGE;
                v = v * 10 + d;
        }
        *ret = v;
        *ret_end = s;
        return 0;
}

int parse_uint_range(const char *s, uint64_t min, uint64_t max, uint64_t *ret) {
        uint64_t v;
        const char *end;
        int r = parse_digits(s, &v, &end);

        if (r < 0)
                return r;
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
        int r = parse_digits(s, &v, &end);

        if (r < 0)
                return r;
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

int parse_mac_address(const char *s, uint8_t ret[6]) {
        unsigned b[6];
        char end;

        if (strlen(s) != 17)
                return -EINVAL;
        for (size_t i = 0; i < 17; i++)
                if (i % 3 == 2 ? s[i] != ':' : !isxdigit((unsigned char) s[i]))
                        return -EINVAL;
        if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &end) != 6)
                return -EINVAL;
        for (size_t i = 0; i < 6; i++)
                ret[i] = (uint8_t) b[i];
        return 0;
}

/* "[ADDR]:PORT" of a forward, from s up to end. */
static int parse_forward_end(const char *s, const char *end, uint32_t *ret_addr, uint16_t *ret_port) {
        const char *colon = memrchr(s, ':', (size_t) (end - s));
        char addr[INET_ADDRSTRLEN], port[6];
        struct in_addr a = {};
        uint64_t p;

        if (!colon || (size_t) (colon - s) >= sizeof addr || (size_t) (end - colon - 1) >= sizeof port)
                return -EINVAL;
        memcpy(addr, s, (size_t) (colon - s));
        addr[colon - s] = 0;
        memcpy(port, colon + 1, (size_t) (end - colon - 1));
        port[end - colon - 1] = 0;
        if (addr[0] && inet_pton(AF_INET, addr, &a) != 1)
                return -EINVAL;
        if (parse_uint_range(port, 1, 65535, &p) < 0)
                return -EINVAL;
        *ret_addr = a.s_addr;
        *ret_port = (uint16_t) p;
        return 0;
}

int parse_port_forward(const char *s, PortForward *ret) {
        PortForward f = {};
        const char *rest;

        if (startswith(s, "tcp:"))
                rest = s + 4;
        else if (startswith(s, "udp:")) {
                rest = s + 4;
                f.udp = true;
        } else
                return -EINVAL;

        const char *dash = strchr(rest, '-');
        if (!dash || strchr(dash + 1, '-'))
                return -EINVAL;
        if (parse_forward_end(rest, dash, &f.host_addr, &f.host_port) < 0 ||
            parse_forward_end(dash + 1, dash + strlen(dash), &f.guest_addr, &f.guest_port) < 0)
                return -EINVAL;
        *ret = f;
        return 0;
}

char *port_forward_format(const PortForward *f) {
        char host[INET_ADDRSTRLEN] = "", guest[INET_ADDRSTRLEN] = "";

        if (f->host_addr)
                inet_ntop(AF_INET, &f->host_addr, host, sizeof host);
        if (f->guest_addr)
                inet_ntop(AF_INET, &f->guest_addr, guest, sizeof guest);
        return xasprintf("%s:%s:%u-%s:%u", f->udp ? "udp" : "tcp", host, f->host_port, guest, f->guest_port);
}

bool port_forwards_clash(const PortForward *a, const PortForward *b) {
        return a->udp == b->udp && a->host_port == b->host_port &&
               (a->host_addr == b->host_addr || a->host_addr == 0 || b->host_addr == 0);
}

int parse_ip_address(const char *s, IpAddress *ret) {
        IpAddress a = { .family = strchr(s, ':') ? AF_INET6 : AF_INET };

        if (inet_pton(a.family, s, a.bytes) != 1)
                return -EINVAL;
        a.prefix = a.family == AF_INET ? 32 : 128;
        *ret = a;
        return 0;
}

int parse_ip_prefix(const char *s, IpAddress *ret) {
        const char *slash = strchr(s, '/');
        char addr[INET6_ADDRSTRLEN];
        IpAddress a;
        uint64_t prefix;

        if (!slash || (size_t) (slash - s) >= sizeof addr)
                return -EINVAL;
        memcpy(addr, s, (size_t) (slash - s));
        addr[slash - s] = 0;
        if (parse_ip_address(addr, &a) < 0 || parse_uint_range(slash + 1, 1, a.prefix, &prefix) < 0)
                return -EINVAL;
        a.prefix = (unsigned) prefix;
        *ret = a;
        return 0;
}

char *ip_address_format(const IpAddress *a, bool with_prefix) {
        char text[INET6_ADDRSTRLEN];

        if (!inet_ntop(a->family, a->bytes, text, sizeof text))
                abort();
        return with_prefix ? xasprintf("%s/%u", text, a->prefix) : xstrdup(text);
}

char *format_size(uint64_t bytes) {
        static const char suffixes[] = "KMGT";
        int i = -1;

        if (bytes == 0)
                return xstrdup("0");
        while (i + 1 < (int) sizeof suffixes - 1 && bytes % 1024 == 0) {
                bytes /= 1024;
                i++;
        }
        if (i < 0)
                return xasprintf("%" PRIu64, bytes);
        return xasprintf("%" PRIu64 "%c", bytes, suffixes[i]);
}

bool ip_address_same(const IpAddress *a, const IpAddress *b) {
        return a->family == b->family && memcmp(a->bytes, b->bytes, sizeof a->bytes) == 0;
}

char *mac_address_format(const MacAddress *m, char buf[MAC_STRING_MAX]) {
        static const char hex[] = "0123456789abcdef";
        char *p = buf;

        /* "%02x:" six times, without printf: the generator writes four MACs per bridged NIC. */
        for (size_t i = 0; i < sizeof m->bytes; i++) {
                *p++ = hex[m->bytes[i] >> 4];
                *p++ = hex[m->bytes[i] & 0xf];
                *p++ = i + 1 < sizeof m->bytes ? ':' : '\0';
        }
        return buf;
}

bool mac_address_equal(const MacAddress *a, const MacAddress *b) {
        return memcmp(a->bytes, b->bytes, sizeof a->bytes) == 0;
}
