/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-vm-config-error: what a VM with a broken configuration runs instead of QEMU. It prints the
 * generator's messages, one per argument, and fails, so that `systemctl start` fails visibly and
 * `systemctl status` and the journal show FILE:LINE: what is wrong. */

#include <stdio.h>

int main(int argc, char *argv[]) {
        for (int i = 1; i < argc; i++)
                fprintf(stderr, "%s\n", argv[i]);
        fprintf(stderr, "This VM was not started: fix its configuration and run 'systemctl daemon-reload'.\n");
        return 1;
}
