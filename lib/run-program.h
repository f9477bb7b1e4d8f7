/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Runs a program (qemu-img) and waits for it, optionally as another user: root works on a VM's images
 * with that VM's rights alone, so a link or a backing file its QEMU planted reaches nothing the VM
 * could not reach itself. What the program prints is bounded, as it may come from a hostile image. */

#include <stddef.h>
#include <sys/types.h>

/* The user to run as when the caller is root; NULL: as the caller. */
typedef struct RunAs {
        uid_t uid;
        gid_t gid;
} RunAs;

/* The most of its standard output kept; more fails the run with -EMSGSIZE. */
#define RUN_OUTPUT_MAX (1024 * 1024)

/* Runs argv[0] (an absolute path) with argv, in "/", with PATH alone in its environment. As another user
 * it also gets a network namespace of its own: an image's header (a backing file "json:{nbd...}") makes
 * it reach no socket of the host's network; and a PID namespace, whose first process it is: whatever it
 * leaves running is killed when it ends, and keeps no descriptor the caller handed it (a backup's
 * target); and umask 0077. After timeout_ms (0: none) it is killed: -ETIMEDOUT.
 * Returns 0 when it exits 0, with its standard output in *ret_output if that is set (NUL-terminated).
 * Otherwise a negative errno, with *ret_error (if set) the last line it wrote to standard error, or why
 * it could not run (printable). */
int run_program(char *const argv[], const RunAs *as, int timeout_ms, char **ret_output, char **ret_error);
