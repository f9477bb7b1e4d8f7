/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <poll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>

#include "escape.h"
#include "qmp.h"
#include "util.h"

long long qmp_now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int remaining(long long deadline) {
        long long left = deadline - qmp_now_ms();
        return left < 0 ? 0 : (int) left;
}

/* An upper bound of the objects and arrays in a line (brackets inside strings count too). */
static size_t count_nodes(const char *s) {
        size_t n = 0;
        for (; *s; s++)
                n += *s == '{' || *s == '[';
        return n;
}

/* Reads one message, waiting until deadline. The peer is untrusted (a compromised QEMU): a message
 * longer than QMP_MESSAGE_MAX fails, and the deadline holds however fast bytes arrive. */
static int read_message(QmpClient *q, long long deadline, json_object **ret, size_t *ret_size) {
        for (bool waited = false;; waited = true) {
                char *nl = q->len ? memchr(q->buf, '\n', q->len) : NULL;
                if (nl) {
                        size_t n = (size_t) (nl - q->buf) + 1;
                        *nl = 0;
                        json_object *o =
                                count_nodes(q->buf) > QMP_MESSAGE_NODES_MAX ? NULL : json_tokener_parse(q->buf);
                        memmove(q->buf, q->buf + n, q->len - n);
                        q->len -= n;
                        if (!o || !json_object_is_type(o, json_type_object)) {
                                json_object_put(o);
                                return -EBADMSG;
                        }
                        *ret = o;
                        if (ret_size)
                                *ret_size = n;
                        return 0;
                }
                if (q->len >= QMP_MESSAGE_MAX)
                        return -EMSGSIZE;
                /* The first look at the socket may be with no time left (timeout 0 polls once). */
                if (waited && qmp_now_ms() >= deadline)
                        return -ETIMEDOUT;

                struct pollfd p = { .fd = q->fd, .events = POLLIN };
                int r = poll(&p, 1, remaining(deadline));
                if (r < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (r == 0)
                        return -ETIMEDOUT;

                if (q->allocated - q->len < 4096) {
                        size_t want = q->allocated * 2 + 4096;
                        q->allocated = want < QMP_MESSAGE_MAX + 1 ? want : QMP_MESSAGE_MAX + 1;
                        q->buf = xrealloc(q->buf, q->allocated);
                }
                ssize_t k = read(q->fd, q->buf + q->len, q->allocated - q->len - 1);
                if (k < 0) {
                        if (errno == EINTR || errno == EAGAIN)
                                continue;
                        return errno == ECONNRESET ? -ECONNRESET : -errno;
                }
                if (k == 0)
                        return -ECONNRESET;
                q->len += (size_t) k;
        }
}

/* Keeps at most QMP_EVENTS_MAX events and QMP_EVENTS_BYTES_MAX bytes of them: a peer that floods them
 * loses its oldest, not root's memory. */
static void drop_oldest_event(QmpClient *q) {
        json_object_put(q->events[0]);
        q->events_bytes -= q->event_sizes[0];
        q->n_events--;
        memmove(q->events, q->events + 1, q->n_events * sizeof(json_object *));
        memmove(q->event_sizes, q->event_sizes + 1, q->n_events * sizeof(size_t));
        q->n_events_dropped++;
}

static void queue_event(QmpClient *q, json_object *event, size_t size) {
        if (!q->events) {
                q->events = xcalloc(QMP_EVENTS_MAX, sizeof(json_object *));
                q->event_sizes = xcalloc(QMP_EVENTS_MAX, sizeof(size_t));
        }
        while (q->n_events > 0 && (q->n_events == QMP_EVENTS_MAX || q->events_bytes + size > QMP_EVENTS_BYTES_MAX))
                drop_oldest_event(q);
        q->events[q->n_events] = event;
        q->event_sizes[q->n_events++] = size;
        q->events_bytes += size;
}

/* The whole message in one sendmsg(), with fd (unless -1) as SCM_RIGHTS: QEMU takes a passed fd with
 * the command it arrives with (getfd, add-fd). */
static int send_message(QmpClient *q, const char *text, int fd) {
        struct iovec iov = { .iov_base = (void *) text, .iov_len = strlen(text) };
        union {
                struct cmsghdr header;
                char buf[CMSG_SPACE(sizeof(int))];
        } control = {};
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

        if (fd >= 0) {
                mh.msg_control = control.buf;
                mh.msg_controllen = sizeof(control.buf);
                struct cmsghdr *cmsg = CMSG_FIRSTHDR(&mh);
                cmsg->cmsg_level = SOL_SOCKET;
                cmsg->cmsg_type = SCM_RIGHTS;
                cmsg->cmsg_len = CMSG_LEN(sizeof(int));
                memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
        }
        ssize_t k = sendmsg(q->fd, &mh, MSG_NOSIGNAL);
        if (k < 0)
                return errno == EPIPE ? -ECONNRESET : -errno;
        return (size_t) k == iov.iov_len ? 0 : -EIO;
}

int qmp_command(QmpClient *q, const char *command, json_object *arguments, int timeout_ms,
                json_object **ret_return, char **ret_error) {
        return qmp_command_with_fd(q, command, arguments, -1, timeout_ms, ret_return, ret_error);
}

/* The reply to our command: its error (-EIO) or its return value. Takes reply. */
static int take_reply(json_object *reply, json_object **ret_return, char **ret_error) {
        json_object *v;
        if (json_object_object_get_ex(reply, "error", &v)) {
                json_object *desc = NULL;
                if (ret_error) {
                        json_object_object_get_ex(v, "desc", &desc);
                        *ret_error = string_printable(
                                desc && json_object_get_string(desc) ? json_object_get_string(desc) : "unknown error");
                }
                json_object_put(reply);
                return -EIO;
        }
        if (ret_return)
                *ret_return = json_object_object_get_ex(reply, "return", &v) ? json_object_get(v) : NULL;
        json_object_put(reply);
        return 0;
}

int qmp_command_with_fd(QmpClient *q, const char *command, json_object *arguments, int fd, int timeout_ms,
                        json_object **ret_return, char **ret_error) {
        assert(q && command);
        long long deadline = qmp_now_ms() + timeout_ms;
        unsigned id = ++q->next_id;
        json_object *msg = json_object_new_object();
        int r;

        json_object_object_add(msg, "execute", json_object_new_string(command));
        if (arguments)
                json_object_object_add(msg, "arguments", arguments);
        json_object_object_add(msg, "id", json_object_new_int((int) id));
        _cleanup_free_ char *text = xasprintf("%s\n", json_object_to_json_string_ext(msg, JSON_C_TO_STRING_PLAIN));
        json_object_put(msg);

        r = send_message(q, text, fd);
        if (r < 0)
                return r;

        for (;;) {
                json_object *reply, *v;
                size_t size;
                r = read_message(q, deadline, &reply, &size);
                if (r < 0)
                        return r;
                if (json_object_object_get_ex(reply, "event", NULL))
                        queue_event(q, reply, size);
                else if (!json_object_object_get_ex(reply, "id", &v) || (unsigned) json_object_get_int(v) != id)
                        json_object_put(reply);
                else
                        return take_reply(reply, ret_return, ret_error);
                /* Whatever else keeps arriving, the command's time is its time. */
                if (qmp_now_ms() >= deadline)
                        return -ETIMEDOUT;
        }
}

int qmp_next_event(QmpClient *q, int timeout_ms, json_object **ret) {
        assert(q && ret);
        long long deadline = qmp_now_ms() + timeout_ms;

        if (q->n_events > 0) {
                *ret = q->events[0];
                q->events_bytes -= q->event_sizes[0];
                q->n_events--;
                memmove(q->events, q->events + 1, q->n_events * sizeof(json_object *));
                memmove(q->event_sizes, q->event_sizes + 1, q->n_events * sizeof(size_t));
                return 0;
        }
        for (;;) {
                json_object *msg;
                int r = read_message(q, deadline, &msg, NULL);
                if (r < 0)
                        return r;
                if (json_object_object_get_ex(msg, "event", NULL)) {
                        *ret = msg;
                        return 0;
                }
                json_object_put(msg);   /* a late reply to a command we gave up on */
                if (qmp_now_ms() >= deadline)
                        return -ETIMEDOUT;
        }
}

int qmp_connect(QmpClient *q, int fd, int timeout_ms) {
        assert(q);
        long long deadline = qmp_now_ms() + timeout_ms;
        json_object *greeting;
        int r;

        assert(fd >= 0);
        q->fd = fd;
        r = read_message(q, deadline, &greeting, NULL);
        if (r < 0)
                return r;
        bool ok = json_object_object_get_ex(greeting, "QMP", NULL);
        json_object_put(greeting);
        if (!ok)
                return -EPROTO;

        return qmp_command(q, "qmp_capabilities", NULL, remaining(deadline), NULL, NULL);
}

/* Drops what the channel holds up to and including the 0xFF that guest-sync-delimited puts before its
 * reply: the rest of an earlier client's reply, or whatever a guest writes. Bounded in time only: the
 * bytes are dropped as they come. */
static int skip_to_delimiter(QmpClient *q, long long deadline) {
        for (bool waited = false;; waited = true) {
                char *mark = q->len ? memchr(q->buf, 0xff, q->len) : NULL;
                if (mark) {
                        size_t n = (size_t) (mark - q->buf) + 1;
                        memmove(q->buf, q->buf + n, q->len - n);
                        q->len -= n;
                        return 0;
                }
                q->len = 0;
                if (waited && qmp_now_ms() >= deadline)
                        return -ETIMEDOUT;
                struct pollfd p = { .fd = q->fd, .events = POLLIN };
                int r = poll(&p, 1, remaining(deadline));
                if (r < 0 && errno != EINTR)
                        return -errno;
                if (r == 0)
                        return -ETIMEDOUT;
                if (r < 0)
                        continue;
                if (!q->buf) {
                        q->allocated = 4096;
                        q->buf = xmalloc(q->allocated);
                }
                ssize_t k = read(q->fd, q->buf, q->allocated - 1);
                if (k < 0 && (errno == EINTR || errno == EAGAIN))
                        continue;
                if (k < 0)
                        return -errno;
                if (k == 0)
                        return -ECONNRESET;
                q->len = (size_t) k;
        }
}

int qmp_agent_connect(QmpClient *q, int fd, int timeout_ms) {
        assert(q);
        long long deadline = qmp_now_ms() + timeout_ms;
        unsigned sync_id;
        int r;

        assert(fd >= 0);
        q->fd = fd;
        /* 0xFF resets the agent's parser, should an earlier client have left half a command. */
        r = send_message(q, "\xff", -1);
        if (r < 0)
                return r;
        /* A number no earlier client used: only the reply to this sync ends it. */
        if (getrandom(&sync_id, sizeof sync_id, GRND_NONBLOCK) != sizeof sync_id)
                sync_id = (unsigned) qmp_now_ms();
        sync_id &= 0x7fffffff;
        json_object *args = json_object_new_object();
        json_object_object_add(args, "id", json_object_new_int64(sync_id));
        json_object *msg = json_object_new_object();
        json_object_object_add(msg, "execute", json_object_new_string("guest-sync-delimited"));
        json_object_object_add(msg, "arguments", args);
        _cleanup_free_ char *text = xasprintf("%s\n", json_object_to_json_string_ext(msg, JSON_C_TO_STRING_PLAIN));
        json_object_put(msg);
        r = send_message(q, text, -1);
        if (r < 0)
                return r;

        for (;;) {
                json_object *reply, *v;
                r = skip_to_delimiter(q, deadline);
                if (r < 0)
                        return r;
                r = read_message(q, deadline, &reply, NULL);
                if (r == -EBADMSG && qmp_now_ms() < deadline)
                        continue;
                if (r < 0)
                        return r;
                bool synced = json_object_object_get_ex(reply, "return", &v) &&
                              json_object_is_type(v, json_type_int) && json_object_get_int64(v) == (int64_t) sync_id;
                json_object_put(reply);
                if (synced)
                        return 0;
                /* A guest that keeps sending other replies gets no more time than a silent one. */
                if (qmp_now_ms() >= deadline)
                        return -ETIMEDOUT;
        }
}

char *qmp_failure_text(int r, char *error) {
        if (error)
                return error;
        errno = -r;
        return xasprintf("%m");
}

void qmp_close(QmpClient *q) {
        if (q->fd >= 0)
                close(q->fd);
        for (size_t i = 0; i < q->n_events; i++)
                json_object_put(q->events[i]);
        free(q->events);
        free(q->event_sizes);
        free(q->buf);
        *q = (QmpClient) QMP_CLIENT_INIT;
}
