/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Connecting root to a socket that an unprivileged process made: the socket lives in a directory that
 * process's user owns, so the name may have been replaced by a symlink to another VM's socket, and
 * anything may listen behind it. */

#include <sys/types.h>

/* How long a connect() (a listener with a full backlog) or a send() may block. */
#define PEER_SOCKET_TIMEOUT_S 5

/* Connects to the AF_UNIX stream socket NAME in directory DIR without following a symlink anywhere in
 * the path, then checks that the peer is the process PEER_PID (SO_PEERCRED:
 * the process that listens, which for QEMU is the daemon systemd knows as MainPID). Returns the
 * connected descriptor, -ELOOP for a symlink, -ENOTSOCK for anything but a socket, -EPERM when another
 * process listens, -ETIMEDOUT when the listener does not accept within PEER_SOCKET_TIMEOUT_S, or
 * another negative errno (-ENOENT, -ECONNREFUSED: nothing listens). */
int peer_socket_connect(const char *dir, const char *name, pid_t peer_pid);

/* The same for the absolute PATH of the socket (its directory, then its name); -EINVAL for a path
 * without a directory. */
int peer_socket_connect_path(const char *path, pid_t peer_pid);

/* A plain connect() to PATH, following links: only for a socket in a directory the caller trusts
 * (the benchmarks' own QEMU). Returns the descriptor or a negative errno. */
int unix_connect(const char *path);
