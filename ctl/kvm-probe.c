/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>

#include "kvm-probe.h"
#include "qmp.h"
#include "strv.h"

/* What each firmware prints once it has come through its own start-up. */
#define OVMF_BOOTED "BdsDxe:"
#define SEABIOS_BOOTED "No bootable device"
#define KVM_FAILURE "KVM internal error"
#define OUTPUT_MAX 65536

static pid_t spawn(const Strv *argv, int *ret_fd) {
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0)
                return -1;
        pid_t pid = fork();
        if (pid == 0) {
                int devnull = open("/dev/null", O_RDONLY);
                dup2(devnull, STDIN_FILENO);
                dup2(p[1], STDOUT_FILENO);
                dup2(p[1], STDERR_FILENO);
                execv(argv->items[0], argv->items);
                _exit(127);
        }
        close(p[1]);
        if (pid < 0) {
                close(p[0]);
                return -1;
        }
        *ret_fd = p[0];
        return pid;
}

/* The first line of QEMU's output that holds needle, without its end, for the detail. */
static char *line_with(const char *text, const char *needle) {
        const char *s = strstr(text, needle);
        if (!s)
                return NULL;
        while (s > text && s[-1] != '\n')
                s--;
        return xstrndup(s, strcspn(s, "\r\n"));
}

/* The last non-empty line: where QEMU says why it exited. */
static char *last_line(const char *text) {
        const char *end = text + strlen(text);
        while (end > text && (end[-1] == '\n' || end[-1] == '\r'))
                end--;
        const char *s = end;
        while (s > text && s[-1] != '\n')
                s--;
        return end > s ? xstrndup(s, (size_t) (end - s)) : NULL;
}

void kvm_probe_run(const char *qemu, const char *ovmf_code, const char *ovmf_vars, int timeout_ms, KvmProbe *ret) {
        const char *marker = ovmf_code ? OVMF_BOOTED : SEABIOS_BOOTED;
        const char *firmware = ovmf_code ? "OVMF" : "SeaBIOS";
        _cleanup_free_ char *failure = NULL, *error = NULL;
        Strv argv = {};
        char *out = xcalloc(1, OUTPUT_MAX + 1);
        size_t len = 0;
        int fd = -1;

        *ret = (KvmProbe) {};
        strv_push(&argv, qemu);
        for (const char *const *a = (const char *const[]) { "-accel", "kvm", "-machine", "q35", "-nodefaults",
                                                            "-no-user-config", "-display", "none", "-m", "64", NULL };
             *a; a++)
                strv_push(&argv, *a);
        if (ovmf_code) {
                /* The NVRAM template is never written: snapshot=on keeps changes in a temporary file. */
                strv_push(&argv, "-drive");
                strv_pushf(&argv, "if=pflash,format=raw,unit=0,readonly=on,file=%s", ovmf_code);
                strv_push(&argv, "-drive");
                strv_pushf(&argv, "if=pflash,format=raw,unit=1,snapshot=on,file=%s", ovmf_vars);
                strv_push(&argv, "-serial");
                strv_push(&argv, "stdio");
        } else {
                strv_push(&argv, "-chardev");
                strv_push(&argv, "stdio,id=dbg");
                strv_push(&argv, "-device");
                strv_push(&argv, "isa-debugcon,iobase=0x402,chardev=dbg");
        }

        long long start = qmp_now_ms(), deadline = start + timeout_ms;
        pid_t pid = spawn(&argv, &fd);
        if (pid < 0) {
                ret->detail = xasprintf("cannot run %s: %m", qemu);
                goto finish;
        }
        bool exited = false;
        while (!ret->booted) {
                long long left = deadline - qmp_now_ms();
                struct pollfd p = { .fd = fd, .events = POLLIN };
                if (left <= 0 || poll(&p, 1, (int) left) <= 0)
                        break;
                ssize_t k = read(fd, out + len, OUTPUT_MAX - len);
                if (k <= 0) {
                        exited = true;
                        break;
                }
                len += (size_t) k;
                out[len] = 0;
                if (strstr(out, marker))
                        ret->booted = true;
                /* QEMU stops the guest on an internal error and waits: no need to wait with it. */
                if (strstr(out, KVM_FAILURE) && strchr(strstr(out, KVM_FAILURE), '\n'))
                        break;
                if (len == OUTPUT_MAX)
                        break;
        }
        long long took = qmp_now_ms() - start;
        kill(pid, SIGKILL);
        (void) waitpid(pid, NULL, 0);

        failure = line_with(out, KVM_FAILURE);
        error = last_line(out);
        if (ret->booted)
                ret->detail = xasprintf("%s booted under -accel kvm in %.1f s", firmware, (double) took / 1000);
        else if (failure)
                ret->detail = xasprintf("%s under -accel kvm died: \"%s\"", firmware, failure);
        else if (exited)
                ret->detail = xasprintf("QEMU exited: \"%s\"", error ? error : "no output");
        else
                ret->detail = xasprintf("%s printed nothing useful within %d s under -accel kvm: guests hang here",
                                        firmware, timeout_ms / 1000);
finish:
        if (fd >= 0)
                close(fd);
        free(out);
        strv_clear(&argv);
}
