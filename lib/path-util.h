/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Paths that cross a trust boundary: normalised once where a config file names them, and opened by
 * root without following a link that an unprivileged user may have planted. */

/* Folds "//", "/./" and a trailing "/" of an absolute PATH: "/srv//vms/./a.qcow2/" is
 * "/srv/vms/a.qcow2". Returns 0 and the new string, -EINVAL for a relative path, or -ELOOP for a ".."
 * component (which could climb out of a directory that a rule between VMs looks at). */
int path_normalize(const char *path, char **ret);

/* open(PATH, FLAGS) refusing a symlink anywhere in it (openat2 RESOLVE_NO_SYMLINKS): a link in a
 * directory QEMU's user owns must not lead root's open to another file. Returns the descriptor or a
 * negative errno: -ELOOP for a link. */
int open_no_symlinks(const char *path, int flags);

/* The same, one component at a time with O_NOFOLLOW: what open_no_symlinks() falls back to where
 * openat2() is refused (systemd 252's system call filters answer ENOSYS). */
int open_no_symlinks_walk(const char *path, int flags);
