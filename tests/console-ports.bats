#!/usr/bin/env bats
# Console ports across VMs (lib/console-ports.c): the generator run on whole directories of VMs with
# [vnc], as at boot. GENERATOR comes from meson.

setup() {
        export QEMU_VM_MACHINE_ID=0123456789abcdef0123456789abcdef
        export QEMU_VM_DEFAULTS=/nonexistent
        export QEMU_VM_CONFIG_DIR=$BATS_TEST_TMPDIR/vms
        mkdir -p "$QEMU_VM_CONFIG_DIR"
}

# vnc_vm NAME [PORT]: a VM with a console on PORT, or auto.
vnc_vm() {
        printf '[vm]\nfirmware = bios\n\n[vnc]\nport = %s\n' "${2:-auto}" >"$QEMU_VM_CONFIG_DIR/$1.conf"
}

# ports: "NAME PORT" for every console the generator makes, sorted by name.
ports() {
        "$GENERATOR" --dry-run 2>/dev/null |
                sed -n 's|^ExecStart=.*||; s|^Description=Browser console of VM \([^ ]*\) at http://127.0.0.1:\([0-9]*\)/.*|\1 \2|p' |
                sort
}

@test "auto ports are the same on every run and whatever order the files were written in" {
        local i
        for i in $(seq 1 40); do vnc_vm "vm-$i"; done
        vnc_vm web_01
        vnc_vm web-01
        ports >"$BATS_TEST_TMPDIR/first"
        [ "$(wc -l <"$BATS_TEST_TMPDIR/first")" -eq 42 ]
        ports >"$BATS_TEST_TMPDIR/again"
        diff "$BATS_TEST_TMPDIR/first" "$BATS_TEST_TMPDIR/again"

        # The same files written anew in the opposite order (other inodes, other directory order).
        rm -r "$QEMU_VM_CONFIG_DIR"
        mkdir "$QEMU_VM_CONFIG_DIR"
        vnc_vm web-01
        vnc_vm web_01
        for i in $(seq 40 -1 1); do vnc_vm "vm-$i"; done
        ports >"$BATS_TEST_TMPDIR/reversed"
        diff "$BATS_TEST_TMPDIR/first" "$BATS_TEST_TMPDIR/reversed"
        # No two share one.
        [ "$(cut -d' ' -f2 "$BATS_TEST_TMPDIR/first" | sort -u | wc -l)" -eq 42 ]
}

@test "900 VMs: every auto port unique, within 6080-7079, never one that browsers refuse" {
        local i
        for i in $(seq 1 900); do vnc_vm "vm$i"; done
        ports >"$BATS_TEST_TMPDIR/ports"
        [ "$(wc -l <"$BATS_TEST_TMPDIR/ports")" -eq 900 ]
        [ "$(cut -d' ' -f2 "$BATS_TEST_TMPDIR/ports" | sort -u | wc -l)" -eq 900 ]
        local min max
        min=$(cut -d' ' -f2 "$BATS_TEST_TMPDIR/ports" | sort -n | head -1)
        max=$(cut -d' ' -f2 "$BATS_TEST_TMPDIR/ports" | sort -n | tail -1)
        [ "$min" -ge 6080 ]
        [ "$max" -le 7079 ]
        run grep -E ' (6566|6665|6666|6667|6668|6669|6697)$' "$BATS_TEST_TMPDIR/ports"
        [ "$status" -eq 1 ]
}

@test "1000 VMs for 993 usable auto ports: the 7 left over are refused with a clear error, the rest run" {
        local i
        for i in $(seq 1 1000); do vnc_vm "vm$i"; done
        run "$GENERATOR" --dry-run
        [ "$status" -eq 1 ]
        [ "$(grep -c 'port = auto: every port from 6080 to 7079 is taken; set .port., ignoring this VM' <<<"$output")" -eq 7 ]
        [ "$(grep -c '^Description=Browser console of VM' <<<"$output")" -eq 993 ]
}

@test "two VMs with the same explicit port are both refused, each naming the other; the others are generated" {
        vnc_vm alpha 6500
        vnc_vm beta 6500
        vnc_vm gamma
        run "$GENERATOR" --dry-run
        [ "$status" -eq 1 ]
        [[ "$output" == *"/vms/alpha.conf:5: [vnc] port 6500 is also the console port of $QEMU_VM_CONFIG_DIR/beta.conf:5, ignoring this VM"* ]]
        [[ "$output" == *"/vms/beta.conf:5: [vnc] port 6500 is also the console port of $QEMU_VM_CONFIG_DIR/alpha.conf:5, ignoring this VM"* ]]
        [[ "$output" == *"Description=Browser console of VM gamma at"* ]]
        [[ "$output" != *"novnc@alpha"* ]]
        [[ "$output" != *"novnc@beta"* ]]
        # Each broken VM fails at start with its message.
        [[ "$output" == *'qemu-vm-config-error" "'*'/alpha.conf:5: [vnc] port 6500 is also the console port of'*'beta.conf:5"'* ]]
}

@test "an explicit port wins over the auto port that would land on it; the auto one moves up" {
        vnc_vm solo
        local preferred
        preferred=$(ports | cut -d' ' -f2)
        [[ "$preferred" =~ ^[0-9]+$ ]]
        vnc_vm claimer "$preferred"
        run ports
        [ "${lines[0]}" = "claimer $preferred" ]
        [ "${lines[1]}" = "solo $((preferred + 1))" ]
}

@test "a VM with errors takes no part: its port neither clashes nor is reserved" {
        vnc_vm good 6500
        printf '[vm]\nmemory = lots\n\n[vnc]\nport = 6500\n' >"$QEMU_VM_CONFIG_DIR/broken.conf"
        run "$GENERATOR" --dry-run
        [ "$status" -eq 1 ]
        [[ "$output" == *"Description=Browser console of VM good at http://127.0.0.1:6500/"* ]]
        [[ "$output" != *"is also the console port"* ]]
}
