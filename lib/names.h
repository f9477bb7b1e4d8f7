/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Which names are acceptable for VMs and for the IDs of their devices. */

#include <stdbool.h>

/* A VM's name is its file name without ".conf": ^[a-z0-9][a-z0-9_-]{0,62}$ (docs/DESIGN-NOTES.md, "Names").
 * Short enough for unit names, paths and interface names, and free of anything that needs escaping. */
#define VM_NAME_MAX 63
bool vm_name_is_valid(const char *name);

/* The ID in [disk.ID], [cdrom.ID], [net.ID]: ^[a-z0-9][a-z0-9_-]{0,31}$, so that QEMU ids built from
 * it ("disk-ID") are valid QEMU ids. */
#define DEVICE_ID_MAX 32
bool device_id_is_valid(const char *id);

/* A snapshot's name (qemu-vmctl snapshot): ^[a-z][a-z0-9_.-]{0,62}$. It starts with a letter, as no
 * qcow2 snapshot ID does (qemu-img takes either where it takes a name), and never with a dot, which
 * marks an unfinished snapshot's directory. */
#define SNAPSHOT_NAME_MAX 63
bool snapshot_name_is_valid(const char *name);

/* Words that go into a QEMU option unquoted (machine type, cpu model, device model):
 * letters, digits, '-', '_', '.', '+' and at most 64 of them. */
bool qemu_word_is_valid(const char *s);

/* A network interface name the kernel accepts and that needs no quoting anywhere: letters, digits,
 * '-', '_', '.', at most 15 bytes (IFNAMSIZ - 1), not "." or "..". */
#define IFNAME_MAX 15
bool ifname_is_valid(const char *s);

/* A host name as cloud-init sets it: one DNS label (RFC 1123), at most 63 bytes. */
#define HOST_LABEL_MAX 63
bool hostname_is_valid(const char *s);

/* A fully qualified name: at least two such labels, at most 253 bytes. */
#define FQDN_MAX 253
bool fqdn_is_valid(const char *s);

/* A guest account ([user.NAME]): ^[a-z][a-z0-9_-]{0,31}$, which adduser and useradd accept everywhere. */
#define USER_NAME_MAX 32
bool user_name_is_valid(const char *s);
