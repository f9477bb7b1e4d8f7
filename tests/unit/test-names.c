/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "names.h"
#include "tap.h"
#include "vm-ids.h"

int main(void) {
        const char *good[] = { "web01", "a", "0db", "my_vm-2",
                               "x23456789012345678901234567890123456789012345678901234567890123" };
        const char *bad[] = { "", "Web01", "-web", "_web", "web.01", "web 01", "web/01", "wéb", "web@1",
                              "x234567890123456789012345678901234567890123456789012345678901234" };

        for (size_t i = 0; i < sizeof good / sizeof *good; i++)
                check(vm_name_is_valid(good[i]), "'%s' is a valid VM name", good[i]);
        for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
                check(!vm_name_is_valid(bad[i]), "'%s' is not a valid VM name", bad[i]);

        check(device_id_is_valid("root"), "root is a device ID");
        check(!device_id_is_valid("Root"), "Root is not a device ID");
        check(!device_id_is_valid("x234567890123456789012345678901234"), "33 characters is too long for a device ID");

        check(snapshot_name_is_valid("before-upgrade") && snapshot_name_is_valid("s1.2_b"), "snapshot names");
        check(!snapshot_name_is_valid("1") && !snapshot_name_is_valid("12ab"),
              "a qcow2 snapshot ID is no snapshot name");
        check(!snapshot_name_is_valid(".s1") && !snapshot_name_is_valid("s/1") && !snapshot_name_is_valid("S1") &&
                      !snapshot_name_is_valid(""),
              "no leading dot, slash, capital or empty snapshot name");
        check(snapshot_name_is_valid("x23456789012345678901234567890123456789012345678901234567890123") &&
                      !snapshot_name_is_valid("x234567890123456789012345678901234567890123456789012345678901234"),
              "snapshot names have at most 63 characters");

        check(qemu_word_is_valid("pc-q35-7.2"), "pc-q35-7.2 is a QEMU word");
        check(qemu_word_is_valid("Skylake-Server-v4"), "a CPU model is a QEMU word");
        check(!qemu_word_is_valid("q35,accel=kvm"), "commas are not allowed in a QEMU word");
        check(!qemu_word_is_valid(""), "empty is no QEMU word");

        check(ifname_is_valid("br0") && ifname_is_valid("br-lan.10") && ifname_is_valid("vmbr_0"), "bridge names");
        check(ifname_is_valid("abcdefghijklmno"), "15 bytes is an interface name");
        check(!ifname_is_valid("abcdefghijklmnop"), "16 bytes is too long for an interface name");
        check(!ifname_is_valid("br0/x") && !ifname_is_valid("br 0") && !ifname_is_valid("br0:1"), "no / space :");
        check(!ifname_is_valid(".") && !ifname_is_valid("..") && !ifname_is_valid(""), "no . .. or empty");

        char t[TAP_IFNAME_MAX];
        vm_tap_ifname("web01", 0, t);
        check(strcmp(t, "vm-web01-0") == 0, "short names give vm-NAME-N: %s", t);
        vm_tap_ifname("abcdefghij", 9, t);
        check(strcmp(t, "vm-abcdefghij-9") == 0, "15 bytes still fit: %s", t);
        vm_tap_ifname("abcdefghijk", 0, t);
        check(strlen(t) <= 15 && strncmp(t, "vm", 2) == 0 && t[2] != '-', "longer names are hashed: %s", t);
        vm_tap_ifname("a-very-long-name-of-sixty-three-characters-is-still-a-vm-name-x", 63, t);
        check(strlen(t) <= 15 && ifname_is_valid(t), "the longest name at the last NIC fits: %s", t);
        char user[VM_USER_NAME_MAX];
        vm_user_name("web01", user);
        check(strcmp(user, "vm-web01") == 0, "a VM's user is vm-NAME: %s", user);
        vm_user_name("abcdefghijklmnopqrstuvwxyz01", user);
        check(strcmp(user, "vm-abcdefghijklmnopqrstuvwxyz01") == 0, "31 characters still fit: %s", user);
        vm_user_name("abcdefghijklmnopqrstuvwxyz012", user);
        check(strlen(user) == 31 && strncmp(user, "vm-abcdefghijklmnopqrs-", 23) == 0, "longer names are hashed: %s",
              user);
        char other[VM_USER_NAME_MAX];
        vm_user_name("abcdefghijklmnopqrstuvwxyz013", other);
        check(strcmp(user, other) != 0, "two long names with one prefix differ: %s %s", user, other);
        vm_tpm_user_name("web01", user);
        check(strcmp(user, "tpm-web01") == 0, "a VM's TPM user is tpm-NAME: %s", user);
        vm_tpm_user_name("abcdefghijklmnopqrstuvwxyz0", user);
        check(strcmp(user, "tpm-abcdefghijklmnopqrstuvwxyz0") == 0, "31 characters still fit: %s", user);
        vm_tpm_user_name("abcdefghijklmnopqrstuvwxyz01", user);
        check(strlen(user) == 31 && strncmp(user, "tpm-abcdefghijklmnopqr-", 23) == 0, "longer names are hashed: %s",
              user);
        MacAddress guest, tap;
        char tm[MAC_STRING_MAX];
        (void) parse_mac_address("52:54:00:12:34:56", guest.bytes);
        tap_mac_from_guest(&guest, &tap);
        mac_address_format(&tap, tm);
        check(strcmp(tm, "fe:54:00:12:34:56") == 0, "the tap's MAC starts with fe: %s", tm);
        (void) parse_mac_address("fe:66:86:5e:2a:8c", guest.bytes);
        tap_mac_from_guest(&guest, &tap);
        mac_address_format(&tap, tm);
        check(strcmp(tm, "fa:66:86:5e:2a:8c") == 0, "a guest MAC starting with fe gives a tap MAC with fa: %s", tm);

        /* Stable identities. */
        char u1[UUID_STRING_MAX], u2[UUID_STRING_MAX], u3[UUID_STRING_MAX];
        vm_uuid_from_name("web01", u1);
        vm_uuid_from_name("web01", u2);
        vm_uuid_from_name("web02", u3);
        check(strcmp(u1, u2) == 0, "UUID is stable for a name");
        check(strcmp(u1, u3) != 0, "UUIDs differ between names");
        check(u1[14] == '5', "UUID is name-based SHA-1 (version 5): %s", u1);

        setenv("QEMU_VM_MACHINE_ID", "0123456789abcdef0123456789abcdef", 1);
        char m1[MAC_STRING_MAX], m2[MAC_STRING_MAX], m3[MAC_STRING_MAX], m4[MAC_STRING_MAX];
        MacAddress a1, a2, a3, a4;
        check(vm_mac_derive("web01", "lan", &a1) == 0 && vm_mac_derive("web01", "lan", &a2) == 0,
              "MAC derivation works");
        vm_mac_derive("web01", "mgmt", &a3);
        vm_mac_derive("web02", "lan", &a4);
        mac_address_format(&a1, m1);
        mac_address_format(&a2, m2);
        mac_address_format(&a3, m3);
        mac_address_format(&a4, m4);
        check(strcmp(m1, m2) == 0, "MAC is stable: %s", m1);
        check(strcmp(m1, m3) != 0, "MAC differs per NIC: %s %s", m1, m3);
        check(strcmp(m1, m4) != 0, "MAC differs per VM: %s %s", m1, m4);
        unsigned first = (unsigned) strtoul(m1, NULL, 16);
        check((first & 2) && !(first & 1), "MAC is locally administered and unicast: %s", m1);
        setenv("QEMU_VM_MACHINE_ID", "fedcba9876543210fedcba9876543210", 1);
        vm_mac_derive("web01", "lan", &a2);
        mac_address_format(&a2, m2);
        check(strcmp(m1, m2) != 0, "MAC differs per host: %s %s", m1, m2);

        /* Names cloud-init sets in the guest. */
        check(hostname_is_valid("web01") && hostname_is_valid("Web-01"), "host names: letters, digits, '-'");
        check(!hostname_is_valid("web_01") && !hostname_is_valid("-web") && !hostname_is_valid("web-") &&
                      !hostname_is_valid("web.example") && !hostname_is_valid(""),
              "no '_', '.', leading or trailing '-', or empty");
        char label[80];
        memset(label, 'a', 63);
        label[63] = 0;
        check(hostname_is_valid(label), "a 63-byte label is a host name");
        strcat(label, "a");
        check(!hostname_is_valid(label), "a 64-byte label is not");
        check(fqdn_is_valid("web01.example.org") && !fqdn_is_valid("web01") && !fqdn_is_valid("web01..org") &&
              !fqdn_is_valid("web01.example.org.") && !fqdn_is_valid("web_01.example.org"),
              "an FQDN: two or more valid labels, no empty one");
        char fqdn[300];
        memset(fqdn, 'a', 251);         /* four labels of 62 and three dots */
        fqdn[251] = 0;
        fqdn[62] = fqdn[125] = fqdn[188] = '.';
        check(strlen(fqdn) == 251 && fqdn_is_valid(fqdn), "a 251-byte FQDN is valid");
        strcat(fqdn, ".ab");
        check(!fqdn_is_valid(fqdn), "a 254-byte FQDN is not");
        check(user_name_is_valid("alice") && user_name_is_valid("a_b-c9"), "user names");
        check(!user_name_is_valid("1st") && !user_name_is_valid("Alice") && !user_name_is_valid("_x") &&
                      !user_name_is_valid("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
              "no leading digit or '_', no capitals, at most 32");

        char from_ip[MAC_STRING_MAX];
        MacAddress from_ip_mac;
        vm_mac_from_ipv4((const uint8_t[]) { 10, 20, 30, 40 }, &from_ip_mac);
        mac_address_format(&from_ip_mac, from_ip);
        check(strcmp(from_ip, "02:00:0a:14:1e:28") == 0, "mac = from-address: 02:00 and the IPv4 bytes: %s", from_ip);
        return tap_done();
}
