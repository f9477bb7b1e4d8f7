/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A small client for the QEMU Machine Protocol: negotiate, run commands with ids, and receive events,
 * each with a timeout. Messages are JSON objects, one per line. Its callers run as root and QEMU may
 * be compromised, so what the peer sends is bounded: in time (every call keeps its deadline), in
 * memory (QMP_MESSAGE_MAX, QMP_EVENTS_MAX), and in what reaches a terminal (errors are printable). */

#include <json-c/json.h>

/* The longest line taken from QEMU. Its longest reply to what qemu-vm asks (query-named-block-nodes,
 * query-pci) is a few kilobytes per device. */
#define QMP_MESSAGE_MAX (1024 * 1024)
/* Events kept while waiting for a reply, in number and in the bytes of their lines; older ones are
 * dropped. */
#define QMP_EVENTS_MAX 256
#define QMP_EVENTS_BYTES_MAX (64 * 1024)
/* Objects and arrays in one message: parsed, each costs json-c a few hundred bytes, so a line of
 * "[{},{},...]" would take hundreds of times its size. */
#define QMP_MESSAGE_NODES_MAX 20000

typedef struct QmpClient {
        int fd;
        char *buf;              /* bytes read but not yet parsed */
        size_t len, allocated;
        unsigned next_id;
        json_object **events;   /* events that arrived while waiting for a reply */
        size_t *event_sizes;    /* the length of each one's line */
        size_t n_events, events_bytes;
        size_t n_events_dropped;
} QmpClient;

#define QMP_CLIENT_INIT { .fd = -1 }

/* Takes the connected socket fd (qmp_close() closes it), reads the greeting and leaves capabilities
 * negotiation mode. Returns 0, -ETIMEDOUT, -EMSGSIZE (a line past QMP_MESSAGE_MAX), or another
 * negative errno. */
int qmp_connect(QmpClient *q, int fd, int timeout_ms);

/* Runs a command (arguments may be NULL; ownership is taken) and waits for its reply.
 * On a QMP error returns -EIO and, if ret_error is set, its description (made printable). On success *ret_return (if
 * set) holds the "return" value, which the caller puts. -ECONNRESET when QEMU closed the socket. */
int qmp_command(QmpClient *q, const char *command, json_object *arguments, int timeout_ms,
                json_object **ret_return, char **ret_error);

/* The same, passing fd along (SCM_RIGHTS) for commands that take one: add-fd, getfd. */
int qmp_command_with_fd(QmpClient *q, const char *command, json_object *arguments, int fd, int timeout_ms,
                        json_object **ret_return, char **ret_error);

/* Returns the next event (queued or newly read) in *ret (caller puts), or -ETIMEDOUT after timeout_ms,
 * or -ECONNRESET when QEMU closed the socket. */
int qmp_next_event(QmpClient *q, int timeout_ms, json_object **ret);

/* The QEMU guest agent speaks the same protocol without a greeting, through a channel that may hold
 * what an earlier client left. Takes the connected fd, synchronises (guest-sync-delimited with a
 * random id; everything before its reply is dropped) and returns 0, -ETIMEDOUT when no agent answers,
 * or another negative errno. Then qmp_command() runs agent commands. The guest is as untrusted as
 * QEMU: the same bounds hold. */
int qmp_agent_connect(QmpClient *q, int fd, int timeout_ms);

/* QEMU's and the guest's replies are untrusted: what is not of the expected type counts as absent
 * (json-c asserts on an array call on anything else). */
static inline size_t qmp_array_length(json_object *a) {
        return json_object_is_type(a, json_type_array) ? json_object_array_length(a) : 0;
}
static inline const char *qmp_string(json_object *o) {
        return json_object_is_type(o, json_type_string) ? json_object_get_string(o) : NULL;
}

/* Why a command failed, in words: QEMU's (error, from qmp_command(), taken), or else r's. */
char *qmp_failure_text(int r, char *error);

void qmp_close(QmpClient *q);
#define _cleanup_qmp_ _cleanup_(qmp_close)

/* Milliseconds on CLOCK_MONOTONIC, for deadlines. */
long long qmp_now_ms(void);
