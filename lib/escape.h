/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The security boundary between a .conf file and what reads our output (docs/DESIGN-NOTES.md, "Escaping").
 * Functions that return a string return a newly allocated one. */

#include <stdbool.h>
#include <stddef.h>

/* A value inside one QEMU option (-drive file=VALUE,...): every ',' becomes ',,'. */
char *qemu_option_escape(const char *s);

/* Any unit-file setting value: every '%' becomes '%%' so no specifier expands. */
char *unit_specifier_escape(const char *s);

/* One argument of ExecStart= and friends: double-quoted, '\' and '"' backslash-escaped,
 * '%' as '%%' and '$' as '$$' so neither specifiers nor environment variables expand.
 * Written into out, which has room for UNIT_EXEC_ARG_ESCAPE_MAX(strlen(s)) bytes, NUL-terminated;
 * returns the length. The generator writes many of these in a row, so it brings its own buffer. */
#define UNIT_EXEC_ARG_ESCAPE_MAX(len) ((len) * 2 + 3)
size_t unit_exec_arg_escape_into(char *out, const char *s);

/* True when PATH can be an item of a space-separated path list in a unit file (RequiresMountsFor=,
 * ReadWritePaths=): no spaces, quotes or backslashes, whose unquoting differs between directives. */
bool unit_path_list_item_ok(const char *path);

/* True when s holds a control character (newline, tab, escape, DEL ...). Such values are refused. */
bool string_has_control_chars(const char *s);

/* True when the n bytes at s are valid UTF-8 (no overlong forms, surrogates or code points past U+10FFFF).
 * systemd refuses unit-file lines that are not. */
bool utf8_is_valid(const char *s, size_t n);

/* A copy fit for messages and comments: control characters, bytes of invalid UTF-8, and characters
 * that print as nothing or reorder text (BOM, zero-width, bidirectional controls) become '?'. */
char *string_printable(const char *s);
