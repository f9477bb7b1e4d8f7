/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lib/run-program.c: what a program prints is kept within bounds, its failure said in its own last
 * words, and a program that hangs is killed at its deadline. */
#include <errno.h>
#include <time.h>
#include <unistd.h>

#include "run-program.h"
#include "tap.h"
#include "util.h"

static int sh(const char *script, int timeout_ms, char **out, char **err) {
        char *argv[] = { (char *) "/bin/sh", (char *) "-c", (char *) script, NULL };
        return run_program(argv, NULL, timeout_ms, out, err);
}

int main(void) {
        char *out = NULL, *err = NULL;
        int r;

        r = sh("echo hello; echo noise >&2", 0, &out, &err);
        check(r == 0, "a program that exits 0 succeeds (got %d)", r);
        check_streq(out, "hello\n", "its standard output is kept, not its errors");
        free(out);
        out = NULL;

        r = sh("echo first >&2; printf 'last \\033[31mred\\n\\n' >&2; exit 3", 0, &out, &err);
        check(r == -EIO, "a program that exits 3 fails with -EIO (got %d)", r);
        check(err && !strchr(err, '\033') && strstr(err, "last") && !strstr(err, "first"),
              "the error is its last line of standard error, made printable: %s", err ? err : "(null)");
        check(!out, "no output is handed back after a failure");
        free(err);
        err = NULL;

        r = sh("head -c 2000000 /dev/zero", 0, &out, &err);
        check(r == -EMSGSIZE, "more than RUN_OUTPUT_MAX bytes of output fails with -EMSGSIZE (got %d)", r);
        free(err);
        err = NULL;

        r = sh("head -c 100000 /dev/zero | tr '\\0' x >&2; echo >&2; echo end >&2; exit 1", 0, &out, &err);
        check(r == -EIO && err && streq(err, "end"), "a long error output keeps its end: %s", err ? err : "(null)");
        free(err);
        err = NULL;

        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        r = sh("sleep 30", 300, &out, &err);
        clock_gettime(CLOCK_MONOTONIC, &b);
        long ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
        check(r == -ETIMEDOUT && ms < 5000, "a program past its deadline is killed: -ETIMEDOUT after %ld ms", ms);
        check(err && strstr(err, "killed"), "and says so: %s", err ? err : "(null)");
        free(err);
        err = NULL;

        char *missing[] = { (char *) "/nonexistent/program", NULL };
        r = run_program(missing, NULL, 0, &out, &err);
        check(r < 0 && err && strstr(err, "cannot run /nonexistent/program"), "a missing program: %s",
              err ? err : "(null)");
        free(err);
        err = NULL;

        setenv("QEMU_VM_SECRET", "root's", 1);
        r = sh("test \"$PWD\" = / && test -z \"$QEMU_VM_SECRET$HOME\" && "
               "test \"$PATH\" = /usr/sbin:/usr/bin:/sbin:/bin && ! read x",
               0, &out, &err);
        check(r == 0, "it runs in /, with PATH alone of the caller's environment and nothing on its standard input");
        free(out);
        free(err);

        /* As another user (root only): what the program leaves running dies with it, and with it the
         * standard output it held open. */
        out = err = NULL;
        if (geteuid() == 0) {
                RunAs nobody = { 65534, 65534 };
                char *leaves[] = { (char *) "/bin/sh", (char *) "-c", (char *) "sleep 30 & echo started", NULL };
                struct timespec t0, t1;
                clock_gettime(CLOCK_MONOTONIC, &t0);
                r = run_program(leaves, &nobody, 10000, &out, &err);
                clock_gettime(CLOCK_MONOTONIC, &t1);
                long long took = (t1.tv_sec - t0.tv_sec) * 1000LL + (t1.tv_nsec - t0.tv_nsec) / 1000000;
                check(r == 0 && out && streq(out, "started\n") && took < 5000,
                      "as another user, what the program leaves running is killed when it ends (%d, %lld ms)", r, took);
                free(out);
                free(err);
                out = err = NULL;
        } else
                check(true, "as another user # SKIP needs root");

        return tap_done();
}
