/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The unit-file chores of a generator: write a file inside the output directory, add a
 * .wants/ link. With dry_run set, both print what they would do to that stream instead. */

#include <stdio.h>

/* Writes DIR/RELPATH (creating RELPATH's directory), whole or not at all. */
int unit_file_write(const char *dir, const char *relpath, const char *content, FILE *dry_run);

/* Creates DIR/TARGET.wants/UNIT -> TEMPLATE_PATH. */
int unit_file_add_wants(const char *dir, const char *target, const char *unit, const char *template_path,
                        FILE *dry_run);
