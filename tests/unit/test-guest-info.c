/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The guest agent's side of qemu-vmctl against a hostile guest: the synchronisation (qmp_agent_connect())
 * and what guest_info_get() keeps of the replies. Each guest is a child process on the other end of a
 * socketpair. */

#include <errno.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "guest-info.h"
#include "util.h"
#include "tap.h"

typedef void (*Guest)(int fd);

static void write_str(int fd, const char *s) {
        size_t n = strlen(s);
        while (n > 0) {
                ssize_t k = write(fd, s, n);
                if (k <= 0)
                        _exit(0);
                s += k;
                n -= (size_t) k;
        }
}

/* The next command line the client sent (after any 0xFF), into buf. */
static void read_line(int fd, char *buf, size_t size) {
        size_t n = 0;
        char c;
        while (read(fd, &c, 1) == 1 && c != '\n')
                if (c != (char) 0xff && n + 1 < size)
                        buf[n++] = c;
        buf[n] = 0;
}

/* What an earlier client left, then the sync's own reply, with the id the client sent. */
static void guest_syncs_after_junk(int fd) {
        char line[512];
        read_line(fd, line, sizeof line);
        const char *id = strstr(line, "\"id\":");
        write_str(fd, "{\"return\": {}, \"id\": 7}\n half a line \xff{\"return\": 1}\n\xff{\"return\": ");
        write_str(fd, id ? id + 5 : "0");
        write_str(fd, "\n");
        pause();
}

/* Answers the sync with an id of its own choosing, forever. */
static void guest_wrong_sync(int fd) {
        char line[512];
        read_line(fd, line, sizeof line);
        for (;;)
                write_str(fd, "\xff{\"return\": 42}\n");
}

/* The four replies of guest_info_get(), hostile: escapes in names, too many interfaces and addresses,
 * prefixes out of range, members of the wrong type. */
static void guest_hostile_info(int fd) {
        char line[512];
        static char ifaces[1024 * 1024];
        size_t n = 0;

        read_line(fd, line, sizeof line);
        write_str(fd, "{\"return\": {\"version\": 7}, \"id\": 1}\n");
        read_line(fd, line, sizeof line);
        write_str(fd, "{\"return\": {\"host-name\": \"web\\u001b]0;owned\\u0007\\u001b[2J\"}, \"id\": 2}\n");
        read_line(fd, line, sizeof line);
        write_str(fd, "{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"no\"}, \"id\": 3}\n");
        read_line(fd, line, sizeof line);
        n += (size_t) snprintf(ifaces + n, sizeof ifaces - n, "{\"return\": [");
        for (int i = 0; i < 80; i++) {
                n += (size_t) snprintf(
                        ifaces + n, sizeof ifaces - n,
                        "%s{\"name\": \"eth%d\", \"hardware-address\": \"02:00:00:00:00:%02x\", \"ip-addresses\": [",
                        i ? "," : "", i, i);
                for (int k = 0; k < 36; k++)
                        n += (size_t) snprintf(
                                ifaces + n, sizeof ifaces - n,
                                "%s{\"ip-address\": \"10.0.%d.%d\", \"ip-address-type\": \"ipv4\", \"prefix\": %d}",
                                k ? "," : "", i, k, k == 0 ? 99999 : 24);
                n += (size_t) snprintf(ifaces + n, sizeof ifaces - n, ", {\"ip-address\": 5}, 7]}");
        }
        snprintf(ifaces + n, sizeof ifaces - n, "], \"id\": 4}\n");
        write_str(fd, ifaces);
        pause();
}

/* Answers every command correctly, 400 ms late. */
static void guest_slow(int fd) {
        char line[512];
        for (int id = 1;; id++) {
                read_line(fd, line, sizeof line);
                usleep(400 * 1000);
                char reply[64];
                snprintf(reply, sizeof reply, "{\"return\": {}, \"id\": %d}\n", id);
                write_str(fd, reply);
        }
}

static pid_t start_guest(Guest guest, int *ret_fd) {
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
                abort();
        pid_t pid = fork();
        if (pid == 0) {
                close(sv[0]);
                signal(SIGPIPE, SIG_DFL);
                guest(sv[1]);
                _exit(0);
        }
        close(sv[1]);
        *ret_fd = sv[0];
        return pid;
}

static void stop_guest(pid_t pid) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
}

static void test_sync_after_junk(void) {
        QmpClient q = QMP_CLIENT_INIT;
        int fd;
        pid_t pid = start_guest(guest_syncs_after_junk, &fd);
        int r = qmp_agent_connect(&q, fd, 3000);
        check(r == 0,
              "the sync's own reply ends it, past an earlier client's leftovers and other delimited replies (got %d)",
              r);
        check(q.len == 0, "nothing of it is left to be taken for a reply (%zu bytes)", q.len);
        qmp_close(&q);
        stop_guest(pid);
}

static void test_wrong_sync(void) {
        QmpClient q = QMP_CLIENT_INIT;
        int fd;
        pid_t pid = start_guest(guest_wrong_sync, &fd);
        long long start = qmp_now_ms();
        int r = qmp_agent_connect(&q, fd, 500);
        long long took = qmp_now_ms() - start;
        check(r == -ETIMEDOUT, "a guest that never echoes the id times out (got %d)", r);
        check(took < 1500, "at the deadline, whatever keeps arriving (%lld ms for 500)", took);
        qmp_close(&q);
        stop_guest(pid);
}

static void test_hostile_info(void) {
        QmpClient q = QMP_CLIENT_INIT;
        GuestInfo g;
        int fd;
        pid_t pid = start_guest(guest_hostile_info, &fd);
        q.fd = fd;
        int r = guest_info_get(&q, 3000, &g);
        check(r == 0, "the replies are taken (got %d)", r);
        check(g.agent_version == NULL, "a version that is no string is left out");
        check(g.host_name && !strchr(g.host_name, '\x1b') && !strchr(g.host_name, '\a'),
              "the host name reaches no terminal as escapes ('%s')", g.host_name ? g.host_name : "(null)");
        check(g.os == NULL, "an error reply leaves the OS unknown");
        check(g.n_interfaces == GUEST_INTERFACES_MAX, "at most %d interfaces kept (%zu)", GUEST_INTERFACES_MAX,
              g.n_interfaces);
        check(g.n_interfaces > 0 && g.interfaces[0].n_addresses == GUEST_ADDRESSES_MAX,
              "at most %d addresses kept per interface", GUEST_ADDRESSES_MAX);
        check(g.n_interfaces > 0 && g.interfaces[0].addresses[0].prefix == 0, "a prefix past 128 becomes 0");
        check(g.n_interfaces > 0 && g.interfaces[0].addresses[1].prefix == 24, "a valid prefix is kept");
        check_streq(g.n_interfaces > 0 ? g.interfaces[0].mac : NULL, "02:00:00:00:00:00", "the MAC is kept");
        guest_info_clear(&g);
        qmp_close(&q);
        stop_guest(pid);
}

static void test_slow_guest(void) {
        QmpClient q = QMP_CLIENT_INIT;
        GuestInfo g;
        int fd;
        pid_t pid = start_guest(guest_slow, &fd);
        q.fd = fd;
        long long start = qmp_now_ms();
        int r = guest_info_get(&q, 1000, &g);
        long long took = qmp_now_ms() - start;
        check(r == -ETIMEDOUT, "four answers 400 ms late do not fit into 1000 ms (got %d)", r);
        check(took < 1300, "one budget for all four commands, not one each (%lld ms for 1000)", took);
        guest_info_clear(&g);
        qmp_close(&q);
        stop_guest(pid);
}

int main(void) {
        signal(SIGPIPE, SIG_IGN);
        test_sync_after_junk();
        test_wrong_sync();
        test_hostile_info();
        test_slow_guest();
        return tap_done();
}
