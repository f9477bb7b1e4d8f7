/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The three files of a cloud-init NoCloud seed, made from qemu-vm-prepare-root's arguments and the files
 * they name: meta-data, user-data and network-config. */

#include <stdbool.h>

#include "strv.h"

typedef struct SeedUser {
        const char *name;
        const char *shell;
        bool sudo;
        Strv key_files;
        const char *password_at;        /* "FILE:LINE" of its password_hash line, or NULL */
} SeedUser;

typedef struct SeedNic {
        const char *id;
        const char *mac;
        Strv addresses;                 /* CIDR; none: DHCP */
        Strv gateways;
        Strv dns;
} SeedNic;

typedef struct SeedSpec {
        const char *instance_namespace; /* the VM's UUID: two VMs with the same content differ */
        const char *hostname;
        const char *fqdn;
        Strv default_user_key_files;    /* keys of the image's own default user */
        const char *user_data_file;
        const char *network_config_file;
        SeedUser *users;
        size_t n_users;
        SeedNic *nics;                  /* none: no network-config unless network_config_file */
        size_t n_nics;
} SeedSpec;

typedef struct SeedFiles {
        char *meta_data;
        char *user_data;
        char *network_config;           /* NULL: the seed has none (the image's own default applies) */
        char *instance_id;
} SeedFiles;

/* Reads and checks every file the spec names, then composes the seed. Each problem is logged (naming
 * the file, and its line where there is one); returns -EINVAL if there was any. */
int seed_files_make(const SeedSpec *spec, SeedFiles *ret);
void seed_files_free(SeedFiles *f);
void seed_spec_free(SeedSpec *spec);
