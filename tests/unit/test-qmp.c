/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The QMP client against a hostile peer (a compromised QEMU): each peer is a child process on the other
 * end of a socketpair. The client must keep its deadline, its memory bounds, and hand back only
 * printable error text. */

#include <errno.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "qmp.h"
#include "util.h"
#include "tap.h"

#define GREETING "{\"QMP\": {\"version\": {}, \"capabilities\": []}}\n"
#define EVENT                                                                                                          \
        "{\"event\": \"RTC_CHANGE\", \"data\": {\"offset\": 0}, \"timestamp\": {\"seconds\": 1, \"microseconds\": 2}}\n"

typedef void (*Peer)(int fd);

static void write_all_or_exit(int fd, const char *s, size_t n) {
        while (n > 0) {
                ssize_t k = write(fd, s, n);
                if (k <= 0)
                        _exit(0);       /* the client hung up: the peer's work is done */
                s += k;
                n -= (size_t) k;
        }
}

static void write_str(int fd, const char *s) {
        write_all_or_exit(fd, s, strlen(s));
}

/* Reads the client's next command line, so that replies come after it. */
static void read_line(int fd) {
        char c;
        while (read(fd, &c, 1) == 1 && c != '\n')
                ;
}

/* Bytes without a newline, forever. */
static void peer_endless_line(int fd) {
        char buf[65536];
        memset(buf, 'x', sizeof buf);
        write_str(fd, "{\"QMP\": \"");
        for (;;)
                write_all_or_exit(fd, buf, sizeof buf);
}

/* A greeting, then events forever, never a reply. */
static void peer_event_flood(int fd) {
        write_str(fd, GREETING);
        read_line(fd);
        for (;;)
                write_str(fd, EVENT);
}

/* Replies forever, none with the command's id. */
static void peer_wrong_ids(int fd) {
        write_str(fd, GREETING);
        read_line(fd);
        for (;;)
                write_str(fd, "{\"return\": {}, \"id\": 999999}\n");
}

/* A greeting, then events each holding thousands of empty objects: small lines, large when parsed. */
static void peer_nested_events(int fd) {
        static char event[32 * 1024];
        size_t n = (size_t) snprintf(event, sizeof event, "{\"event\": \"X\", \"data\": [");
        while (n + 8 < sizeof event)
                n += (size_t) snprintf(event + n, sizeof event - n, "{},");
        snprintf(event + n - 1, sizeof event - n + 1, "]}\n");
        write_str(fd, GREETING);
        read_line(fd);
        for (;;)
                write_str(fd, event);
}

/* One line of a million empty arrays. */
static void peer_nested_line(int fd) {
        static char line[1024 * 1024];
        memset(line, '[', sizeof line - 2);
        line[sizeof line - 2] = '\n';
        write_str(fd, line);
        pause();
}

/* Accepts the handshake, then fails the next command with an error holding terminal escapes. */
static void peer_escape_error(int fd) {
        write_str(fd, GREETING);
        read_line(fd);
        write_str(fd, "{\"return\": {}, \"id\": 1}\n");
        read_line(fd);
        write_str(
                fd,
                "{\"error\": {\"class\": \"GenericError\", \"desc\": \"bad\\u001b]0;owned\\u0007\\u001b[2Jthing\"}, "
                "\"id\": 2}\n");
        read_line(fd);
        _exit(0);
}

static pid_t start_peer(Peer peer, int *ret_fd) {
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
                abort();
        pid_t pid = fork();
        if (pid == 0) {
                close(sv[0]);
                signal(SIGPIPE, SIG_DFL);
                peer(sv[1]);
                _exit(0);
        }
        close(sv[1]);
        *ret_fd = sv[0];
        return pid;
}

static void stop_peer(pid_t pid) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
}

static void test_endless_line(void) {
        QmpClient q = QMP_CLIENT_INIT;
        int fd;
        pid_t pid = start_peer(peer_endless_line, &fd);
        long long start = qmp_now_ms();
        int r = qmp_connect(&q, fd, 3000);
        long long took = qmp_now_ms() - start;
        check(r == -EMSGSIZE, "a line without end fails with EMSGSIZE (got %d)", r);
        check(q.allocated <= QMP_MESSAGE_MAX + 1, "the buffer stays within QMP_MESSAGE_MAX (%zu bytes)", q.allocated);
        check(took < 3000, "before the deadline (%lld ms)", took);
        qmp_close(&q);
        stop_peer(pid);
}

static void test_event_flood(void) {
        QmpClient q = QMP_CLIENT_INIT;
        int fd;
        pid_t pid = start_peer(peer_event_flood, &fd);
        long long start = qmp_now_ms();
        int r = qmp_connect(&q, fd, 500);
        long long took = qmp_now_ms() - start;
        check(r == -ETIMEDOUT, "a flood of events instead of the reply times out (got %d)", r);
        check(took >= 500 && took < 1500, "at the deadline, whatever keeps arriving (%lld ms for 500)", took);
        check(q.n_events <= QMP_EVENTS_MAX, "at most QMP_EVENTS_MAX events queued (%zu)", q.n_events);
        check(q.n_events_dropped > 0, "the oldest dropped (%zu)", q.n_events_dropped);
        qmp_close(&q);
        stop_peer(pid);
}

static void test_nested(void) {
        QmpClient q = QMP_CLIENT_INIT;
        int fd;
        pid_t pid = start_peer(peer_nested_events, &fd);
        int r = qmp_connect(&q, fd, 500);
        check(r == -ETIMEDOUT, "events of many objects time out (got %d)", r);
        check(q.n_events > 0 && q.n_events_dropped > 0, "some kept (%zu), older dropped (%zu)", q.n_events,
              q.n_events_dropped);
        check(q.events_bytes <= QMP_EVENTS_BYTES_MAX, "queued event lines within QMP_EVENTS_BYTES_MAX (%zu)",
              q.events_bytes);
        qmp_close(&q);
        stop_peer(pid);

        pid = start_peer(peer_nested_line, &fd);
        r = qmp_connect(&q, fd, 2000);
        check(r == -EBADMSG, "a line of a million arrays is refused before json-c parses it (got %d)", r);
        qmp_close(&q);
        stop_peer(pid);
}

static void test_wrong_ids(void) {
        QmpClient q = QMP_CLIENT_INIT;
        int fd;
        pid_t pid = start_peer(peer_wrong_ids, &fd);
        long long start = qmp_now_ms();
        int r = qmp_connect(&q, fd, 500);
        long long took = qmp_now_ms() - start;
        check(r == -ETIMEDOUT, "a stream of replies to other commands times out (got %d)", r);
        check(took >= 500 && took < 1500, "at the deadline (%lld ms for 500)", took);
        qmp_close(&q);
        stop_peer(pid);
}

static void test_escape_error(void) {
        QmpClient q = QMP_CLIENT_INIT;
        _cleanup_free_ char *error = NULL;
        int fd;
        pid_t pid = start_peer(peer_escape_error, &fd);
        int r = qmp_connect(&q, fd, 2000);
        check(r == 0, "handshake (got %d)", r);
        r = qmp_command(&q, "query-status", NULL, 2000, NULL, &error);
        check(r == -EIO, "QMP error (got %d)", r);
        check_streq(error, "bad?]0;owned??[2Jthing", "the error's escapes are replaced, not passed on");
        qmp_close(&q);
        stop_peer(pid);
}

int main(void) {
        signal(SIGPIPE, SIG_IGN);
        test_endless_line();
        test_event_flood();
        test_wrong_ids();
        test_nested();
        test_escape_error();
        return tap_done();
}
