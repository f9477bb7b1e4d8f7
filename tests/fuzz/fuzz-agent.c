/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fuzz target: what a guest's agent may send to root's qemu-vmctl. The input is the guest's whole side
 * of the channel, written into a socketpair at once. Two sessions read it: the synchronisation
 * (qmp_agent_connect(), which drops everything up to the 0xFF delimiter and waits for its random id,
 * so here it ends at the input's end), and, as if synchronised, guest_info_get() with its four
 * commands (ids 1 to 4). Every path must end without a crash, a leak or a hang.
 * Built for libFuzzer with -Dfuzz=true; fuzz-standalone.c replays tests/fuzz/agent-seeds in the fast
 * suite. */

#include <signal.h>
#include <stdint.h>
#include <sys/socket.h>

#include "guest-info.h"
#include "util.h"

/* A socket buffer holds more than this, so one write() never blocks. */
#define FUZZ_AGENT_INPUT_MAX 65536

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        (void) argc;
        (void) argv;
        signal(SIGPIPE, SIG_IGN);
        return 0;
}

/* A connected socket whose peer has sent DATA and closed its end. */
static int peer_with(const uint8_t *data, size_t size) {
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
                abort();
        int bufsize = 4 * FUZZ_AGENT_INPUT_MAX;
        (void) setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &bufsize, sizeof bufsize);
        (void) setsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &bufsize, sizeof bufsize);
        if (size > 0 && write(sv[1], data, size) != (ssize_t) size)
                abort();
        close(sv[1]);
        return sv[0];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        QmpClient q = QMP_CLIENT_INIT;
        GuestInfo info;

        if (size > FUZZ_AGENT_INPUT_MAX)
                return 0;
        (void) qmp_agent_connect(&q, peer_with(data, size), 100);
        qmp_close(&q);

        q.fd = peer_with(data, size);
        (void) guest_info_get(&q, 100, &info);
        guest_info_clear(&info);
        qmp_close(&q);
        return 0;
}
