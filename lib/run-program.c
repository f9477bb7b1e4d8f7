/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "escape.h"
#include "run-program.h"
#include "util.h"

/* What is read of standard error: only its end matters. */
#define RUN_ERROR_MAX 4096

typedef struct Capture {
        int fd;
        char *buf;
        size_t len, max;
        bool overflow;
        bool keep_tail;         /* past max: keep the newest bytes (errors) rather than fail (output) */
} Capture;

/* Reads what is there; returns false at the end of the stream. */
static bool capture_read(Capture *c) {
        char chunk[4096];
        ssize_t n = read(c->fd, chunk, sizeof chunk);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
                return true;
        if (n <= 0)
                return false;
        if (c->len + (size_t) n > c->max) {
                c->overflow = true;
                if (!c->keep_tail)
                        return true;
                size_t drop = c->len + (size_t) n - c->max;
                if (drop > c->len)
                        drop = c->len;
                memmove(c->buf, c->buf + drop, c->len - drop);
                c->len -= drop;
                if ((size_t) n > c->max) {
                        memcpy(c->buf, chunk + (size_t) n - c->max, c->max);
                        c->len = c->max;
                        return true;
                }
        }
        memcpy(c->buf + c->len, chunk, (size_t) n);
        c->len += (size_t) n;
        return true;
}

static _Noreturn void run(char *const argv[], const RunAs *as, int out, int err) {
        static char *const env[] = { (char *) "PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };

        /* What it makes as another user (a disk) is that user's alone. */
        if (as)
                umask(0077);
        if (as && (setgroups(0, NULL) < 0 || setresgid(as->gid, as->gid, as->gid) < 0 ||
                   setresuid(as->uid, as->uid, as->uid) < 0)) {
                dprintf(err, "cannot become uid %u: %m\n", (unsigned) as->uid);
                _exit(127);
        }
        /* Killed with the process that waits for it (at the deadline), and all of its PID namespace with
         * it. Set after the change of user, which clears it. */
        if (as && prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
                _exit(127);
        int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (null < 0 || chdir("/") < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(out, STDOUT_FILENO) < 0 ||
            dup2(err, STDERR_FILENO) < 0)
                _exit(127);
        execve(argv[0], argv, env);
        fprintf(stderr, "cannot run %s: %m\n", argv[0]);
        _exit(127);
}

static void child(char *const argv[], const RunAs *as, int out, int err) {
        sigset_t all;

        sigemptyset(&all);
        sigprocmask(SIG_SETMASK, &all, NULL);
        signal(SIGPIPE, SIG_DFL);
        if (!as)
                run(argv, as, out, err);
        /* As another user, the program is the first process of a PID namespace of its own: when it ends,
         * the kernel kills whatever it left behind, so nothing of it keeps a descriptor root handed it. */
        if (unshare(CLONE_NEWNET | CLONE_NEWPID) < 0) {
                dprintf(err, "cannot make network and PID namespaces: %m\n");
                _exit(127);
        }
        pid_t init = fork();
        if (init == 0)
                run(argv, as, out, err);
        if (init < 0) {
                dprintf(err, "cannot fork: %m\n");
                _exit(127);
        }
        close(out);
        close(err);
        int status;
        while (waitpid(init, &status, 0) < 0)
                if (errno != EINTR)
                        _exit(127);
        _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

static long long now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The last non-empty line of what the program wrote to standard error, printable. */
static char *last_line(char *text, size_t len) {
        while (len > 0 && text[len - 1] == '\n')
                len--;
        text[len] = 0;
        char *last = strrchr(text, '\n');
        return string_printable(last ? last + 1 : text);
}

int run_program(char *const argv[], const RunAs *as, int timeout_ms, char **ret_output, char **ret_error) {
        assert(argv && argv[0]);
        int out[2], err[2];

        if (pipe2(out, O_CLOEXEC) < 0)
                return -errno;
        if (pipe2(err, O_CLOEXEC) < 0) {
                int r = -errno;
                close(out[0]);
                close(out[1]);
                return r;
        }
        pid_t pid = fork();
        if (pid == 0)
                child(argv, as, out[1], err[1]);
        int fork_errno = errno;
        close(out[1]);
        close(err[1]);

        Capture captures[2] = {
                { .fd = out[0], .buf = xmalloc(RUN_OUTPUT_MAX + 1), .max = RUN_OUTPUT_MAX },
                { .fd = err[0], .buf = xmalloc(RUN_ERROR_MAX + 1), .max = RUN_ERROR_MAX, .keep_tail = true },
        };
        bool open_streams[2] = { pid > 0, pid > 0 }, timed_out = false;
        long long deadline = now_ms() + timeout_ms;
        while (open_streams[0] || open_streams[1]) {
                struct pollfd fds[2];
                nfds_t n = 0;
                for (int i = 0; i < 2; i++)
                        if (open_streams[i])
                                fds[n++] = (struct pollfd) { .fd = captures[i].fd, .events = POLLIN };
                long long left = timeout_ms > 0 ? deadline - now_ms() : -1;
                if (timeout_ms > 0 && left <= 0) {
                        timed_out = true;
                        kill(pid, SIGKILL);
                        break;
                }
                int ready = poll(fds, n, left > INT32_MAX ? INT32_MAX : (int) left);
                if (ready < 0 && errno == EINTR)
                        continue;
                if (ready < 0)
                        break;
                for (nfds_t k = 0; k < n; k++)
                        if (fds[k].revents) {
                                int i = fds[k].fd == captures[0].fd ? 0 : 1;
                                open_streams[i] = capture_read(&captures[i]);
                        }
        }
        close(out[0]);
        close(err[0]);

        int r = 0, status = 0;
        if (pid < 0)
                r = -fork_errno;
        else {
                while (waitpid(pid, &status, 0) < 0)
                        if (errno != EINTR) {
                                r = -errno;
                                break;
                        }
                if (r == 0 && timed_out)
                        r = -ETIMEDOUT;
                if (r == 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
                        r = -EIO;
                if (r == 0 && captures[0].overflow)
                        r = -EMSGSIZE;
        }
        if (r < 0 && ret_error) {
                if (r == -ETIMEDOUT)
                        *ret_error = xasprintf("%s did not end within %.1f s: killed", argv[0], timeout_ms / 1000.0);
                else if (captures[1].len > 0)
                        *ret_error = last_line(captures[1].buf, captures[1].len);
                else if (r == -EMSGSIZE)
                        *ret_error = xasprintf("%s printed more than %d bytes", argv[0], RUN_OUTPUT_MAX);
                else if (r == -EIO)
                        *ret_error = xasprintf("%s failed", argv[0]);
                else {
                        errno = -r;
                        *ret_error = xasprintf("%m");
                }
        }
        if (r == 0 && ret_output) {
                captures[0].buf[captures[0].len] = 0;
                *ret_output = TAKE_PTR(captures[0].buf);
        }
        free(captures[0].buf);
        free(captures[1].buf);
        return r;
}
