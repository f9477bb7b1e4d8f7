/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A text table: a header row, then rows; columns padded to their widest cell, the last column not
 * padded (it may hold free text such as an error). */

#include <stdio.h>

#include "strv.h"

typedef struct Table {
        size_t n_columns;
        Strv cells;     /* row by row, n_columns each; the first row is the header */
} Table;

void table_init(Table *t, const char *const *header, size_t n_columns);
/* Adds one cell to the current row (a new row starts when the last one is full); NULL prints "-". */
void table_add(Table *t, const char *cell);
/* The same, taking ownership of a string the caller made (xasprintf()). */
void table_consume(Table *t, char *cell);
void table_print(const Table *t, FILE *f);
void table_clear(Table *t);
