/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Copies of a VM's NVRAM and TPM state in a directory of root's (a snapshot's, a backup's): nvram.fd and
 * tpm/, taken from the VM's directories and put back into them. Those directories are the VM's QEMU's
 * and its TPM user's, so every file is read and written by name in them (lib/foreign-dir.h), never
 * through a link, FIFO or another user's file, and each is bounded in size while it is read. */

#include <json-c/json.h>
#include <stdbool.h>

#include "strv.h"

/* The keys the copies are recorded under in the caller's manifest. */
#define VM_STATE_KEY_NVRAM "nvram"      /* true: nvram.fd holds the NVRAM */
#define VM_STATE_KEY_TPM "tpm"          /* the TPM state's files in tpm/, or null: no TPM state */

/* Copies the VM's NVRAM and TPM state into DEST_DIR, as they are now, and records them in the manifest.
 * Logs failures. */
int vm_state_copy_save(const char *vm, const char *dest_dir, json_object *manifest);

/* Whether the manifest names only swtpm's own state files (a manifest is read back from disk). */
bool vm_state_copy_names_valid(json_object *manifest);

/* Whether the copies in COPY_DIR can be put back: they are there, and so are the VM's directories (or,
 * for the TPM state, the place to make one). Logs what is missing. */
int vm_state_copy_check(const char *vm, const char *copy_dir, json_object *manifest);

/* Puts the copies in COPY_DIR back in place of the VM's NVRAM and TPM state. What there is no copy of
 * (a VM that had no TPM then) is kept as it is, and named in *kept. Logs failures. */
int vm_state_copy_restore(const char *vm, const char *copy_dir, json_object *manifest, Strv *kept);
