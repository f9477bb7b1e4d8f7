/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the QEMU guest agent reports of its guest: its version, host name, OS and network interfaces.
 * It comes from the guest and is untrusted: lib/qmp.c bounds each reply's size and time, and what is
 * kept here is bounded in number and made printable. */

#include <stdbool.h>

#include "qmp.h"

/* How long an agent that does not answer holds a command up. */
#define GUEST_AGENT_TIMEOUT_MS 5000
/* Kept of what the guest reports: more interfaces or addresses are left out. */
#define GUEST_INTERFACES_MAX 64
#define GUEST_ADDRESSES_MAX 32
/* Bytes kept of a name (host, OS, interface, version) and of an address or MAC: a guest's megabyte of
 * host name would otherwise set the width of every row of `qemu-vmctl list`. */
#define GUEST_NAME_MAX 255
#define GUEST_ADDRESS_MAX 64

typedef struct GuestAddress {
        char *address;          /* printable */
        unsigned prefix;
        bool ipv6;
} GuestAddress;

typedef struct GuestInterface {
        char *name;             /* printable */
        char *mac;              /* printable, or NULL */
        GuestAddress *addresses;
        size_t n_addresses;
} GuestInterface;

typedef struct GuestInfo {
        char *host_name;        /* each printable, or NULL when the agent did not say */
        char *os;
        char *agent_version;
        GuestInterface *interfaces;
        size_t n_interfaces;
} GuestInfo;

/* Asks the agent (a synchronised connection: qmp_agent_connect()) for its version, the guest's host
 * name, OS and network interfaces, all four within timeout_ms. What the agent does not answer stays NULL
 * or empty; returns 0, or a negative errno when the connection failed. */
int guest_info_get(QmpClient *q, int timeout_ms, GuestInfo *ret);
void guest_info_clear(GuestInfo *info);
