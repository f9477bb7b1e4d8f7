/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The browser console's URL as an admin opens it: with the VM's current token (helpers/console-token.h)
 * when the caller may read it (root, group qemu-vm-console), which noVNC hands to websockify. */

#include "config.h"

/* NULL without [vnc]. *ret_has_token says whether the token is in it (else the console refuses it). */
char *console_url_with_token(const VmConfig *c, bool *ret_has_token);
