/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Strict parsers for configuration values. Each returns 0 or a negative errno
 * (-EINVAL for bad syntax, -ERANGE for out of range) and leaves *ret untouched on failure. */

#include <stdbool.h>
#include <stdint.h>

/* "512", "64K", "2G", "1T" (binary multiples, an optional trailing 'B' or 'iB'); no sign, no fraction. */
int parse_size(const char *s, uint64_t *ret);

/* A decimal integer in [min, max]; no sign, no leading/trailing junk. */
int parse_uint_range(const char *s, uint64_t min, uint64_t max, uint64_t *ret);

/* yes/no, true/false, on/off, 1/0. */
int parse_bool(const char *s, bool *ret);
