/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Files root reads from and writes into a directory another user owns: a VM's state directory (its
 * QEMU's user) or its TPM state (swtpm's). That user may plant links, FIFOs or hard links there, so
 * root opens nothing by path: the directory without following a link, each file by its name in it,
 * only a regular file of the directory's owner with one name. Each returns 0 or a negative errno. */

#include <stdbool.h>
#include <sys/stat.h>

/* Opens the directory at PATH with no symbolic link anywhere on the way; *ret_st is its stat (the
 * owner whose files it holds). -ENOENT when there is none. */
int foreign_dir_open(const char *path, int *ret_fd, struct stat *ret_st);

/* Opens NAME in the directory for reading: -ENOENT when absent, -EPERM when it is not a regular
 * file of the directory's owner (dir_st) with one link. */
int foreign_file_open(int dir_fd, const struct stat *dir_st, const char *name, int *ret_fd);

/* Replaces NAME in the directory with a copy of what from_fd holds, owned by the directory's owner,
 * mode 0600, whole or not at all: written beside it under a name no one else holds, synced, renamed
 * over whatever NAME was (a link is replaced, never followed). */
int foreign_file_replace(int dir_fd, const struct stat *dir_st, const char *name, int from_fd);

/* Removes NAME from the directory (a link itself, never what it points to); absent is fine. */
int foreign_file_remove(int dir_fd, const char *name);
