/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fuzz target: the QMP client (lib/qmp.c) reading whatever a compromised QEMU may send. The input is
 * the peer's whole side of a session, written into a socketpair at once: the greeting, replies and
 * events. The client negotiates, runs two commands and drains the events, as qemu-vmctl and
 * qemu-vm-shutdown do; every path must end (the peer's EOF) without a crash, a leak or a hang.
 * Built for libFuzzer with -Dfuzz=true; fuzz-standalone.c replays tests/fuzz/qmp-seeds in the fast
 * suite. */

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <sys/socket.h>

#include "qmp.h"
#include "util.h"

/* A socket buffer holds more than this, so one write() never blocks. */
#define FUZZ_QMP_INPUT_MAX 65536

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        (void) argc;
        (void) argv;
        signal(SIGPIPE, SIG_IGN);
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        QmpClient q = QMP_CLIENT_INIT;
        int sv[2];

        if (size > FUZZ_QMP_INPUT_MAX)
                return 0;
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
                abort();
        int bufsize = 4 * FUZZ_QMP_INPUT_MAX;
        (void) setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &bufsize, sizeof bufsize);
        (void) setsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &bufsize, sizeof bufsize);
        if (size > 0 && write(sv[1], data, size) != (ssize_t) size)
                abort();
        shutdown(sv[1], SHUT_WR);

        if (qmp_connect(&q, sv[0], 100) == 0) {
                json_object *ret = NULL, *event = NULL;
                _cleanup_free_ char *error = NULL;
                if (qmp_command(&q, "query-status", NULL, 100, &ret, &error) == 0)
                        json_object_put(ret);
                free(TAKE_PTR(error));
                if (qmp_command(&q, "query-pci", NULL, 100, &ret, &error) == 0)
                        json_object_put(ret);
                while (qmp_next_event(&q, 0, &event) == 0)
                        json_object_put(event);
        }
        qmp_close(&q);
        close(sv[1]);
        return 0;
}
