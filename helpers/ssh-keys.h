/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* authorized_keys files ([cloud-init] and [user.NAME] ssh_authorized_keys_file). */

#include "strv.h"

/* Appends the key lines of the file at path to keys (blank and '#' lines skipped, each line trimmed).
 * Every line must be an OpenSSH public key, "[OPTIONS] TYPE BASE64 [COMMENT]", whose BASE64 decodes
 * to a key blob of that TYPE. On a problem returns a negative errno and *ret_error, "PATH:LINE: why"
 * or "PATH: why"; keys is then unchanged. */
int ssh_keys_read(const char *path, Strv *keys, char **ret_error);
