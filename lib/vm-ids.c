/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <systemd/sd-id128.h>
#include <uuid/uuid.h>

#include "util.h"
#include "vm-ids.h"

/* Generated once for this project; changing it changes every VM's UUID and MAC. */
#define QEMU_VM_UUID_NAMESPACE "ebf7e463-d8ac-4a52-9482-7af1c6be2e76"
#define QEMU_VM_MAC_APP_ID SD_ID128_MAKE(5e,a4,8b,7a,c9,e6,46,73,8c,14,65,2d,9a,32,34,1d)

void vm_uuid_from_name(const char *vm_name, char ret[UUID_STRING_MAX]) {
        uuid_t ns, out;

        if (uuid_parse(QEMU_VM_UUID_NAMESPACE, ns) < 0)
                abort();
        uuid_generate_sha1(out, ns, vm_name, strlen(vm_name));
        uuid_unparse_lower(out, ret);
}

/* Computed once per process: it reads /etc/machine-id and runs an HMAC. */
static int host_key(sd_id128_t *ret) {
        static sd_id128_t key;
        static int r = 1;
        const char *override = getenv("QEMU_VM_MACHINE_ID");

        if (override)
                return sd_id128_from_string(override, ret);
        if (r > 0)
                r = sd_id128_get_machine_app_specific(QEMU_VM_MAC_APP_ID, &key);
        if (r < 0)
                return r;
        *ret = key;
        return 0;
}

int vm_mac_derive(const char *vm_name, const char *nic_id, MacAddress *ret) {
        sd_id128_t key;
        uuid_t ns, out;
        int r;

        r = host_key(&key);
        if (r < 0)
                return r;

        memcpy(ns, key.bytes, sizeof ns);
        _cleanup_free_ char *what = xasprintf("%s/%s", vm_name, nic_id);
        uuid_generate_sha1(out, ns, what, strlen(what));

        /* Locally administered (bit 1 set), unicast (bit 0 clear). */
        memcpy(ret->bytes, out, sizeof ret->bytes);
        ret->bytes[0] = (uint8_t) ((ret->bytes[0] & 0xfe) | 0x02);
        return 0;
}

void vm_mac_from_ipv4(const uint8_t ip[4], MacAddress *ret) {
        *ret = (MacAddress) { { 0x02, 0x00, ip[0], ip[1], ip[2], ip[3] } };
}

void vm_tap_ifname(const char *vm_name, unsigned index, char ret[TAP_IFNAME_MAX]) {
        int n = snprintf(ret, TAP_IFNAME_MAX, "vm-%s-%u", vm_name, index);

        if (n < 0 || n >= TAP_IFNAME_MAX)
                snprintf(ret, TAP_IFNAME_MAX, "vm%08x-%u", string_hash_fnv1a(vm_name), index % 100u);
}

/* PREFIX + NAME when that fits in 31 characters, else PREFIX + as much of NAME as leaves room for "-" and
 * 8 hex digits of its hash. */
static void user_name(const char *prefix, const char *vm_name, char ret[VM_USER_NAME_MAX]) {
        int n = snprintf(ret, VM_USER_NAME_MAX, "%s%s", prefix, vm_name);

        if (n < 0 || n >= VM_USER_NAME_MAX)
                snprintf(ret, VM_USER_NAME_MAX, "%s%.*s-%08x", prefix, (int) (VM_USER_NAME_MAX - 10 - strlen(prefix)),
                         vm_name, string_hash_fnv1a(vm_name));
}

void vm_user_name(const char *vm_name, char ret[VM_USER_NAME_MAX]) {
        user_name("vm-", vm_name, ret);
}

void vm_tpm_user_name(const char *vm_name, char ret[VM_USER_NAME_MAX]) {
        user_name("tpm-", vm_name, ret);
}

void tap_mac_from_guest(const MacAddress *guest_mac, MacAddress *ret) {
        *ret = *guest_mac;
        ret->bytes[0] = guest_mac->bytes[0] == 0xfe ? 0xfa : 0xfe;
}
