/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Logging for the generator and the helpers. Messages go to stderr (the journal, for helpers run by
 * systemd); the generator, when run by systemd, also writes them to /dev/kmsg. */

#include "util.h"

enum { LOG_LEVEL_ERR = 3, LOG_LEVEL_WARNING = 4, LOG_LEVEL_NOTICE = 5, LOG_LEVEL_INFO = 6 };

/* Sets the prefix ("qemu-vm-generator") and whether messages also go to /dev/kmsg. */
void log_setup(const char *program, bool to_kmsg);

/* Messages above LEVEL are dropped; the fuzz target silences everything with -1. */
void log_set_max_level(int level);

void log_full(int level, const char *fmt, ...) _printf_(2, 3);

#define log_error(...)   log_full(LOG_LEVEL_ERR, __VA_ARGS__)
#define log_warning(...) log_full(LOG_LEVEL_WARNING, __VA_ARGS__)
#define log_notice(...)  log_full(LOG_LEVEL_NOTICE, __VA_ARGS__)
#define log_info(...)    log_full(LOG_LEVEL_INFO, __VA_ARGS__)

/* Logs and returns r (a negative errno) in one step; errno is set so "%m" works. */
#define log_error_errno(r, ...) ({ int _r = (r); errno = -_r; log_error(__VA_ARGS__); _r; })
