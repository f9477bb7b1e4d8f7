/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-vmctl console NAME: the terminal attached to the VM's serial console socket
 * (/run/qemu-vm/NAME/serial.sock). Ctrl+] detaches, as in virsh and telnet; the VM runs on. Without a
 * terminal on stdin, the end of stdin ends the session, so scripts can type into a console. */

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <termios.h>

#include "ctl.h"
#include "log.h"
#include "paths.h"
#include "vm-qmp.h"
#include "vms.h"

#define DETACH_KEY 0x1d /* Ctrl+] */

static struct termios saved_termios;
static bool termios_saved;

static void terminal_restore(void) {
        if (termios_saved)
                (void) tcsetattr(STDIN_FILENO, TCSADRAIN, &saved_termios);
}

static void on_signal(int sig) {
        terminal_restore();
        signal(sig, SIG_DFL);
        raise(sig);
}

/* Raw mode: every key reaches the guest (Ctrl+C included), nothing is echoed locally. */
static void terminal_make_raw(void) {
        struct termios raw;

        if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved_termios) < 0)
                return;
        termios_saved = true;
        atexit(terminal_restore);
        signal(SIGTERM, on_signal);
        signal(SIGHUP, on_signal);
        raw = saved_termios;
        cfmakeraw(&raw);
        (void) tcsetattr(STDIN_FILENO, TCSADRAIN, &raw);
}

static int write_all(int fd, const char *buf, size_t n) {
        while (n > 0) {
                ssize_t k = write(fd, buf, n);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return -errno;
                buf += k;
                n -= (size_t) k;
        }
        return 0;
}

typedef enum End { END_DETACHED, END_CLOSED, END_INPUT_CLOSED, END_ERROR } End;

static End relay(int sock) {
        struct pollfd p[2] = { { .fd = STDIN_FILENO, .events = POLLIN }, { .fd = sock, .events = POLLIN } };
        char buf[4096];

        for (;;) {
                if (poll(p, 2, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        return END_ERROR;
                }
                if (p[1].revents) {
                        ssize_t k = read(sock, buf, sizeof buf);
                        if (k <= 0)
                                return END_CLOSED;
                        if (write_all(STDOUT_FILENO, buf, (size_t) k) < 0)
                                return END_ERROR;
                }
                if (p[0].revents) {
                        ssize_t k = read(STDIN_FILENO, buf, sizeof buf);
                        if (k <= 0)
                                return END_INPUT_CLOSED;
                        char *detach = memchr(buf, DETACH_KEY, (size_t) k);
                        size_t n = detach ? (size_t) (detach - buf) : (size_t) k;
                        if (write_all(sock, buf, n) < 0)
                                return END_CLOSED;
                        if (detach)
                                return END_DETACHED;
                }
        }
}

int cmd_console(Ctl *ctl, int argc, char *argv[]) {
        VmEntry *e;
        VmSet set;
        int r, exit_code;

        r = ctl_parse_options(ctl, argc, argv, NULL, "console NAME [--json]", NULL, NULL, 1, &exit_code);
        if (r < 0)
                return exit_code;
        exit_code = vms_load_one(ctl, argv[r], &set, &e);
        if (exit_code != CTL_EXIT_OK)
                return exit_code;
        _cleanup_free_ char *name = xstrdup(e->config.name);
        bool serial = e->errors.n == 0 && e->config.serial;
        vm_set_free(&set);
        if (!serial) {
                log_error("VM %s has no serial console ([serial] enabled = no, or its file has errors).", name);
                return CTL_EXIT_FAILED;
        }

        _cleanup_close_ int sock = vm_socket_connect(name, VM_SERIAL_SOCKET);
        /* --json: where the console is, for scripts that attach with a tool of their own; no session. */
        if (ctl->json) {
                _cleanup_free_ char *path = vm_runtime_path(name, VM_SERIAL_SOCKET), *log = vm_serial_log_path(name);
                json_object *doc = json_object_new_object();
                json_object_object_add(doc, "name", json_object_new_string(name));
                json_object_object_add(doc, "running", json_object_new_boolean(sock >= 0));
                json_object_object_add(doc, "socket", json_object_new_string(path));
                json_object_object_add(doc, "log", json_object_new_string(log));
                json_object_object_add(doc, "detach_key", json_object_new_string("Ctrl+]"));
                ctl_print_json(doc);
                return sock >= 0 ? CTL_EXIT_OK : CTL_EXIT_NOT_RUNNING;
        }
        if (sock == -ENOENT || sock == -ECONNREFUSED) {
                log_error("VM %s is not running.", name);
                return CTL_EXIT_NOT_RUNNING;
        }
        if (sock < 0) {
                _cleanup_free_ char *why = vm_socket_error(name, VM_SERIAL_SOCKET, sock);
                log_error("Cannot connect to the serial console of VM %s: %s", name, why);
                return CTL_EXIT_FAILED;
        }
        signal(SIGPIPE, SIG_IGN);
        fprintf(stderr, "Connected to the serial console of VM %s. Press Ctrl+] to detach.\n", name);
        terminal_make_raw();
        End end = relay(sock);
        terminal_restore();
        switch (end) {
        case END_DETACHED:
                fprintf(stderr, "\nDetached from VM %s; it keeps running.\n", name);
                return CTL_EXIT_OK;
        case END_INPUT_CLOSED:
                return CTL_EXIT_OK;
        case END_CLOSED:
                fprintf(stderr, "\nThe console of VM %s closed: QEMU has stopped.\n", name);
                return CTL_EXIT_OK;
        default:
                log_error("Console of VM %s: %m", name);
                return CTL_EXIT_FAILED;
        }
}
