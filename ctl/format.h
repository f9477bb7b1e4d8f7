/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Human forms of numbers in qemu-vmctl's text output. */

#include <stdint.h>

/* 93784 s -> "1d 2h 3min 4s"; "0s" for 0. */
char *format_duration(uint64_t seconds);

/* 1572864 -> "1.5 MiB": an amount of data, rounded (format_size() is for sizes given exactly). */
char *format_mib(uint64_t bytes);
