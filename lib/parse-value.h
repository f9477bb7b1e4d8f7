/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Strict parsers for configuration values. Each returns 0 or a negative errno
 * (-EINVAL for bad syntax, -ERANGE for out of range) and leaves *ret untouched on failure. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* "512", "64K", "2G", "1T" (binary multiples, an optional trailing 'B' or 'iB'); no sign, no fraction. */
int parse_size(const char *s, uint64_t *ret);
/* Its inverse: 2147483648 -> "2G", 1572864 -> "1536K", with the largest suffix that divides exactly;
 * "0" for 0. */
char *format_size(uint64_t bytes);

/* A decimal integer in [min, max]; no sign, no leading/trailing junk. */
int parse_uint_range(const char *s, uint64_t min, uint64_t max, uint64_t *ret);

/* yes/no, true/false, on/off, 1/0. */
int parse_bool(const char *s, bool *ret);

/* "52:54:00:12:34:56": six two-digit hexadecimal bytes, colon-separated, either case. */
int parse_mac_address(const char *s, uint8_t ret[6]);

typedef struct MacAddress {
        uint8_t bytes[6];
} MacAddress;

#define MAC_STRING_MAX 18
/* Writes "52:54:00:12:34:56" (lowercase) into buf and returns it. */
char *mac_address_format(const MacAddress *m, char buf[MAC_STRING_MAX]);
#define MAC_TO_STRING(m) mac_address_format((m), (char[MAC_STRING_MAX]) {})
bool mac_address_equal(const MacAddress *a, const MacAddress *b);

/* A user-mode port forward as QEMU's hostfwd takes it, "PROTO:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT":
 * PROTO tcp or udp, addresses IPv4 (empty: any host address, the guest's DHCP address), ports 1-65535. */
typedef struct PortForward {
        bool udp;
        uint32_t host_addr;     /* network byte order; 0: every address */
        uint16_t host_port;
        uint32_t guest_addr;
        uint16_t guest_port;
} PortForward;
int parse_port_forward(const char *s, PortForward *ret);

/* The canonical text of a forward, as QEMU gets it: decimal ports without leading zeros (QEMU reads
 * "0600" as octal), addresses in dotted quads, empty for "any". */
char *port_forward_format(const PortForward *f);

/* Whether two forwards want the same host port: same protocol and port, and the same host address or
 * either one on every address. */
bool port_forwards_clash(const PortForward *a, const PortForward *b);

/* Forwards as the parser keeps them, parsed once ([net.ID] forward). */
typedef ARRAY(PortForward) PortForwards;

/* An IPv4 or IPv6 address, with the length of its network prefix (32 or 128 for a bare address). */
typedef struct IpAddress {
        int family;             /* AF_INET or AF_INET6 */
        uint8_t bytes[16];      /* network byte order */
        unsigned prefix;
} IpAddress;

/* "10.20.30.1", "fd00::1". */
int parse_ip_address(const char *s, IpAddress *ret);

/* CIDR notation, "10.20.30.40/24" or "fd00::5/64": an address and a prefix length of 1-32 (1-128). */
int parse_ip_prefix(const char *s, IpAddress *ret);

/* The canonical text (inet_ntop), with "/PREFIX" if with_prefix. */
char *ip_address_format(const IpAddress *a, bool with_prefix);

/* Whether two are the same address, whatever their prefix lengths. */
bool ip_address_same(const IpAddress *a, const IpAddress *b);

/* Addresses as the parser keeps them, parsed once ([net.ID] address, gateway, dns). */
typedef ARRAY(IpAddress) IpAddresses;
