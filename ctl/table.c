/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "table.h"

void table_init(Table *t, const char *const *header, size_t n_columns) {
        *t = (Table) { .n_columns = n_columns };
        for (size_t i = 0; i < n_columns; i++)
                table_add(t, header[i]);
}

void table_add(Table *t, const char *cell) {
        strv_push(&t->cells, cell ?: "-");
}

void table_consume(Table *t, char *cell) {
        strv_consume(&t->cells, cell);
}

void table_print(const Table *t, FILE *f) {
        size_t width[32] = {};

        if (t->n_columns > ELEMENTSOF(width))
                abort();
        for (size_t i = 0; i < t->cells.n; i++) {
                size_t n = strlen(t->cells.items[i]);
                if (n > width[i % t->n_columns])
                        width[i % t->n_columns] = n;
        }
        for (size_t i = 0; i < t->cells.n; i++) {
                size_t col = i % t->n_columns;
                bool last = col + 1 == t->n_columns || i + 1 == t->cells.n;
                if (last)
                        fprintf(f, "%s\n", t->cells.items[i]);
                else
                        fprintf(f, "%-*s  ", (int) width[col], t->cells.items[i]);
        }
}

void table_clear(Table *t) {
        strv_clear(&t->cells);
}
