#!/usr/bin/env bats
# [tpm]: swtpm@NAME.socket and swtpm@NAME.service from units/, wired to the VM by the generator, in
# systemd booted in a container, with the test guest reading its TPM's endorsement key (tpm-ek=).
# BUILD_DIR and SOURCE_ROOT come from meson (tests/meson.build).

load helpers

setup_file() {
        system_suite_setup
        guest_vm tpm01 "" "[tpm]"
        put_file /etc/qemu/vms/plain.conf <<EOF
[vm]
accel = tcg
firmware = bios
EOF
        in_container systemctl daemon-reload
}

teardown_file() {
        system_suite_teardown
}

# tpm_ek N: the endorsement key hash the guest printed on its Nth boot.
tpm_ek() {
        in_container grep -o 'QEMU-VM-GUEST: tpm-ek=.*' /var/log/qemu-vm/tpm01/serial.log | sed -n "$1p" | cut -d= -f2 | tr -d '\r'
}

@test "[tpm] makes qemu-vm@tpm01 require and follow swtpm@tpm01.socket; a VM without it has no TPM units" {
        run in_container systemctl show -p Requires,After qemu-vm@tpm01
        [[ "$output" == *"Requires="*"swtpm@tpm01.socket"* ]]
        [[ "$output" == *"After="*"swtpm@tpm01.socket"* ]]
        run in_container systemctl cat swtpm@tpm01.service
        [[ "$output" == *"SourcePath=/etc/qemu/vms/tpm01.conf"* ]]
        [[ "$output" == *"swtpm_setup --tpm2 --tpmstate /var/lib/swtpm/%i --createek --not-overwrite"* ]]
        run in_container systemctl show -p Requires,Wants,After qemu-vm@plain
        [ "$status" -eq 0 ]
        [[ "$output" == *"Requires="* ]]
        [[ "$output" != *swtpm* ]]
        [[ "$output" != *novnc* ]]
        run in_container ls /run/systemd/generator
        [[ "$output" == *"swtpm@tpm01.service.d"* ]]
        [[ "$output" == *"qemu-vm@plain.service.d"* ]]
        [[ "$output" != *"swtpm@plain"* ]]
        [[ "$output" != *"novnc@plain"* ]]
        # Nothing runs before the VM starts.
        [ "$(in_container systemctl is-active swtpm@tpm01.service)" = inactive ]
}

@test "start: the guest finds tpm0 and reads an endorsement key; swtpm runs unprivileged with its state in /var/lib/swtpm/tpm01" {
        in_container systemctl start qemu-vm@tpm01
        wait_for_serial tpm01 "QEMU-VM-GUEST: ready" 1
        in_container grep -q "QEMU-VM-GUEST: tpm=yes" /var/log/qemu-vm/tpm01/serial.log
        local ek
        ek=$(tpm_ek 1)
        [[ "$ek" =~ ^[0-9a-f]{64}$ ]]
        [ "$(in_container systemctl is-active swtpm@tpm01.service)" = active ]
        local pid
        pid=$(in_container systemctl show -p MainPID --value swtpm@tpm01.service)
        # The VM's own TPM user, neither its QEMU's nor another VM's swtpm's.
        [ "$(in_container stat -c %U "/proc/$pid")" = tpm-tpm01 ]
        [ "$(in_container stat -c '%U %a' /var/lib/swtpm/tpm01)" = "tpm-tpm01 700" ]
        in_container test -s /var/lib/swtpm/tpm01/tpm2-00.permall
        # swtpm_setup manufactured it on this first start.
        run in_container journalctl -u swtpm@tpm01.service --no-pager
        [[ "$output" == *"Successfully created RSA 2048 EK with handle 0x81010001"* ]]
        # Only QEMU (the VM's group) may connect to the TPM.
        [ "$(in_container stat -c '%U %G %a' /run/swtpm/tpm01/swtpm.sock)" = "root vm-tpm01 660" ]
}

@test "stop: swtpm ends with the VM while its socket listens on; start again: the same TPM, not manufactured anew, re-owned from an earlier user" {
        in_container systemctl stop qemu-vm@tpm01
        [ "$(in_container systemctl is-active qemu-vm@tpm01)" = inactive ]
        [ "$(in_container systemctl is-active swtpm@tpm01.service)" = inactive ]
        [ "$(in_container systemctl is-active swtpm@tpm01.socket)" = active ]
        in_container test -s /var/lib/swtpm/tpm01/tpm2-00.permall
        # As an earlier release left it, when every swtpm ran as one user: systemd re-owns it at the start.
        in_container chown -R nobody:nogroup /var/lib/swtpm/tpm01

        in_container systemctl start qemu-vm@tpm01
        wait_for_serial tpm01 "QEMU-VM-GUEST: ready" 2
        [ "$(tpm_ek 2)" = "$(tpm_ek 1)" ]
        [ "$(in_container stat -c '%U' /var/lib/swtpm/tpm01 /var/lib/swtpm/tpm01/tpm2-00.permall)" = \
                "$(printf 'tpm-tpm01\ntpm-tpm01')" ]
        run in_container journalctl -u swtpm@tpm01.service --no-pager
        [ "$(grep -c 'Successfully created RSA 2048 EK' <<<"$output")" -eq 1 ]
        [[ "$output" == *"Not overwriting existing state file."* ]]
}

@test "a crashed QEMU: its swtpm ends, the VM is restarted and gets the same TPM back" {
        local pid
        pid=$(in_container systemctl show -p MainPID --value qemu-vm@tpm01)
        [ "$pid" -gt 0 ]
        in_container kill -9 "$pid"
        wait_for_serial tpm01 "QEMU-VM-GUEST: ready" 3
        [ "$(tpm_ek 3)" = "$(tpm_ek 1)" ]
        [ "$(in_container systemctl is-active swtpm@tpm01.service)" = active ]
        in_container systemctl stop qemu-vm@tpm01
        [ "$(in_container systemctl is-active swtpm@tpm01.service)" = inactive ]
}
