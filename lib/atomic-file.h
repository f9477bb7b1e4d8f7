/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Files made whole or not at all, for the helpers that make a VM's files: written under a temporary
 * name in the same directory, synced, made private, then renamed into place. Each returns 0 or a
 * negative errno. */

#include <stddef.h>
#include <stdint.h>

/* The directory part of path, newly allocated. */
char *path_dirname(const char *path);
int fsync_dir_of(const char *path);

/* Opens a new ".NAME.tmp-XXXXXX" beside path, after removing such files an interrupted run left. */
int atomic_temp_open(const char *path, char **ret_tmp, int *ret_fd);
/* Readable by the owner alone, and on disk before it is renamed into place. */
int make_private_and_sync(int fd);
/* make_private_and_sync(), then moves tmp to path unless something is there: -EEXIST then, path kept. */
int atomic_commit_new(const char *tmp, int fd, const char *path);
/* After a rename: syncs the directory, and only warns when that fails (durability, not correctness). */
void sync_dir_after_commit(const char *path);

int fd_write_all(int fd, const void *data, size_t size);
int fd_copy(int from, int to);
/* The same, failing with -EFBIG past max bytes (what is read may come from another user and grow). */
int fd_copy_max(int from, int to, uint64_t max);
