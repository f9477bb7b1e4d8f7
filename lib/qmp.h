/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A small client for the QEMU Machine Protocol: connect and negotiate, run commands with ids, and
 * receive events, each with a timeout. Messages are JSON objects, one per line. */

#include <json-c/json.h>

typedef struct QmpClient {
        int fd;
        char *buf;              /* bytes read but not yet parsed */
        size_t len, allocated;
        unsigned next_id;
        json_object **events;   /* events that arrived while waiting for a reply */
        size_t n_events;
} QmpClient;

#define QMP_CLIENT_INIT { .fd = -1 }

/* Connects to the socket, reads the greeting and leaves capabilities negotiation mode.
 * Returns 0, -ETIMEDOUT, or another negative errno. */
int qmp_connect(QmpClient *q, const char *socket_path, int timeout_ms);

/* Runs a command (arguments may be NULL; ownership is taken) and waits for its reply.
 * On a QMP error returns -EIO and, if ret_error is set, its description. On success *ret_return (if
 * set) holds the "return" value, which the caller puts. -ECONNRESET when QEMU closed the socket. */
int qmp_command(QmpClient *q, const char *command, json_object *arguments, int timeout_ms,
                json_object **ret_return, char **ret_error);

/* The same, passing fd along (SCM_RIGHTS) for commands that take one: add-fd, getfd. */
int qmp_command_with_fd(QmpClient *q, const char *command, json_object *arguments, int fd, int timeout_ms,
                        json_object **ret_return, char **ret_error);

/* Returns the next event (queued or newly read) in *ret (caller puts), or -ETIMEDOUT after timeout_ms,
 * or -ECONNRESET when QEMU closed the socket. */
int qmp_next_event(QmpClient *q, int timeout_ms, json_object **ret);

void qmp_close(QmpClient *q);

/* Milliseconds on CLOCK_MONOTONIC, for deadlines. */
long long qmp_now_ms(void);
