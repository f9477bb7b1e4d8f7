/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Reading a VM's INI files into a VmConfig. Syntax and per-key checks happen here; checks that need
 * the whole VM (defaults that depend on other keys, duplicates, firmware) are in config-resolve.c. */

#include "config.h"

/* Longest line accepted. libinih 55 silently splits longer lines (docs/DESIGN-NOTES.md), so they are refused
 * before it sees them. */
#define CONFIG_LINE_MAX 196

/* Reads one file into c. With defaults_only, only [vm] and [serial] are allowed (the site-wide defaults
 * file). Every problem is appended to errors. Returns -errno when the file cannot be read
 * (also recorded in errors), else 0. */
int vm_config_read_file(VmConfig *c, const char *path, bool defaults_only, ConfigErrors *errors);

/* The same for TEXT, already read from PATH (the fuzz target feeds it from memory). */
void vm_config_parse_text(VmConfig *c, const char *path, const char *text, bool defaults_only,
                          ConfigErrors *errors);

/* Reads, in order: defaults_file (unless NULL; it must exist), CONFIG_DIR/NAME.conf and CONFIG_DIR/NAME.conf.d/
 * *.conf in lexical order; later values win. c must come from vm_config_init(). */
int vm_config_load(VmConfig *c, const char *config_dir, const char *defaults_file, ConfigErrors *errors);
