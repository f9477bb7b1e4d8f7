/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The NoCloud seed as an ISO 9660 image, volume "cidata", with Rock Ridge and Joliet names, built with
 * libisofs. The same files always give the same bytes: every timestamp is fixed. */

#include <stddef.h>

typedef struct SeedEntry {
        const char *name;       /* "user-data" */
        const char *content;    /* NULL: left out */
} SeedEntry;

/* Renders the image into *ret (malloc'd), *ret_size bytes. Returns 0, or -EIO and a message in
 * *ret_error. */
int seed_iso_render(const SeedEntry *entries, size_t n, void **ret, size_t *ret_size, char **ret_error);
