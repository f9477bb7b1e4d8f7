#!/usr/bin/env bats
# Faults, survived: processes killed, a guest too slow to hear the power button, a host shutdown of
# ten VMs, a full state file system, disks claimed twice, reloads and edits under running VMs. In
# systemd booted in a container, with real guests (tests/system/build-guest.sh) under QEMU TCG.
# BUILD_DIR and SOURCE_ROOT come from meson (tests/meson.build).

load helpers

setup_file() {
        system_suite_setup
}

teardown_file() {
        system_suite_teardown
}

# disk_vm NAME PARAMS [LINE...]: the test guest with a qcow2 root disk (its boot counter).
disk_vm() {
        local name=$1 params=$2
        shift 2
        guest_vm "$name" "$params" "[disk.root]" "size = 16M" "$@"
}

main_pid() {
        in_container systemctl show -p MainPID --value "qemu-vm@$1"
}

@test "QEMU killed with SIGKILL: the unit restarts it, the guest boots again, the block it wrote is intact" {
        disk_vm killed ""
        in_container systemctl daemon-reload
        in_container systemctl start qemu-vm@killed
        wait_for_serial killed "QEMU-VM-GUEST: bootcount=1" 1
        wait_for_serial killed "QEMU-VM-GUEST: ready" 1
        local pid
        pid=$(main_pid killed)
        in_container kill -KILL "$pid"
        # The counter the first boot wrote (and flushed) is read back: 2, not 1.
        wait_for_serial killed "QEMU-VM-GUEST: bootcount=2" 1
        [ "$(in_container systemctl show -p NRestarts --value qemu-vm@killed)" = 1 ]
        [ "$(main_pid killed)" != "$pid" ]
        wait_for_serial killed "QEMU-VM-GUEST: acpi listener up" 2
        in_container systemctl stop qemu-vm@killed
        in_container qemu-img check /var/lib/qemu-vm/killed/root.qcow2
}

@test "a guest whose ACPI listener starts late: stop presses the button again until it hears, and it powers off cleanly" {
        disk_vm late "qemu_vm_test.acpi_delay=12"
        in_container systemctl daemon-reload
        in_container systemctl start qemu-vm@late
        wait_for_serial late "QEMU-VM-GUEST: acpi listener starts in 12 s" 1
        # The first press goes nowhere: nothing listens yet.
        in_container systemctl stop qemu-vm@late
        [ "$(in_container systemctl is-failed qemu-vm@late)" = inactive ]
        in_container grep -q "QEMU-VM-GUEST: acpi listener up" /var/log/qemu-vm/late/serial.log
        in_container grep -q "QEMU-VM-GUEST: power button pressed, powering off" /var/log/qemu-vm/late/serial.log
        run in_container journalctl -u qemu-vm@late --no-pager
        [[ "$output" == *"pressing the power button again (2)"* ]]
        [[ "$output" == *"Guest powered off (SHUTDOWN event: guest=true, reason=guest-shutdown)"* ]]
        [[ "$output" != *"asking QEMU to quit"* ]]
        in_container qemu-img check /var/lib/qemu-vm/late/root.qcow2
}

@test "swtpm killed while its VM runs: the VM is powered down gracefully and comes back with the same TPM" {
        disk_vm tpmkill "" "[tpm]"
        in_container systemctl daemon-reload
        in_container systemctl start qemu-vm@tpmkill
        wait_for_serial tpmkill "QEMU-VM-GUEST: acpi listener up" 1
        in_container grep -q "QEMU-VM-GUEST: tpm-ek=[0-9a-f]" /var/log/qemu-vm/tpmkill/serial.log
        local ek pid
        ek=$(in_container grep -o 'QEMU-VM-GUEST: tpm-ek=.*' /var/log/qemu-vm/tpmkill/serial.log | head -1)
        pid=$(main_pid tpmkill)
        in_container systemctl kill -s KILL swtpm@tpmkill.service
        # The guest hears the power button, and the VM starts again with a new QEMU and swtpm.
        wait_for_serial tpmkill "QEMU-VM-GUEST: power button pressed, powering off" 1
        wait_for_serial tpmkill "QEMU-VM-GUEST: acpi listener up" 2
        [ "$(main_pid tpmkill)" != "$pid" ]
        [ "$(in_container systemctl is-active qemu-vm@tpmkill)" = active ]
        [ "$(in_container systemctl is-active swtpm@tpmkill.service)" = active ]
        [ "$(in_container grep -o 'QEMU-VM-GUEST: tpm-ek=.*' /var/log/qemu-vm/tpmkill/serial.log | sed -n 2p)" = "$ek" ]
        run in_container journalctl -u swtpm@tpmkill.service --no-pager
        [[ "$output" == *"TPM emulator ended (signal) while VM tpmkill runs: restarting the VM."* ]]
        in_container systemctl stop qemu-vm@tpmkill
        # A clean stop does not restart it.
        sleep 3
        [ "$(in_container systemctl is-active qemu-vm@tpmkill)" = inactive ]
}

@test "a full state file system: the start fails with one clear line, leaves no partial file, and works once there is room" {
        GUEST_FIRMWARE=uefi guest_vm full "" "[disk.root]" "size = 16M"
        in_container systemctl daemon-reload
        # Room for the directory but not for the 540 KiB NVRAM.
        in_container mkdir -p /var/lib/qemu-vm/full
        in_container mount -t tmpfs -o size=256k,mode=0750 tmpfs /var/lib/qemu-vm/full
        run in_container systemctl start qemu-vm@full
        [ "$status" -ne 0 ]
        run in_container journalctl -u qemu-vm@full --no-pager -o cat
        [[ "$output" == *"/var/lib/qemu-vm/full/nvram.fd"*"No space left on device"* ]]
        [ "$(grep -c 'No space left on device' <<<"$output")" -eq 1 ]
        # No NVRAM, not even a temporary one; the disk (made after the failure, complete) is kept.
        [ "$(in_container ls -A /var/lib/qemu-vm/full)" = root.qcow2 ]
        in_container qemu-img check -q /var/lib/qemu-vm/full/root.qcow2
        ! in_container pgrep -f 'qemu-system.*-name full,' || false
        in_container mount -o remount,size=64m /var/lib/qemu-vm/full
        in_container systemctl reset-failed qemu-vm@full
        in_container systemctl start qemu-vm@full
        wait_for_serial full "QEMU-VM-GUEST: acpi listener up" 1
        in_container systemctl stop qemu-vm@full
        in_container umount /var/lib/qemu-vm/full
}

@test "a disk in a directory that does not exist: the start fails with the helper's clear line, not a sandbox error" {
        guest_vm nodir "" "[disk.data]" "path = /srv/no-such-dir/data.qcow2" "size = 16M"
        in_container systemctl daemon-reload
        run in_container systemctl start qemu-vm@nodir
        [ "$status" -ne 0 ]
        run in_container journalctl -u qemu-vm@nodir --no-pager -o cat
        [[ "$output" == *"Cannot create disk '/srv/no-such-dir/data.qcow2': No such file or directory"* ]]
        [[ "$output" != *NAMESPACE* ]]
}

@test "a disk another process has locked: the start fails naming the lock, and works once it is free" {
        in_container qemu-img create -q -f raw /srv/locked.img 16M
        in_container chown qemu-vm: /srv/locked.img
        guest_vm locked "" "[disk.data]" "path = /srv/locked.img" "format = raw"
        in_container systemctl daemon-reload
        in_container qemu-nbd --fork --persistent --socket=/run/hold.sock --pid-file=/run/hold.pid --format=raw \
                /srv/locked.img
        local holder
        holder=$(in_container cat /run/hold.pid)
        run in_container systemctl start qemu-vm@locked
        [ "$status" -ne 0 ]
        run in_container journalctl -u qemu-vm@locked --no-pager -o cat
        [[ "$output" == *'Failed to get shared "write" lock'* ]]
        [[ "$output" == *'Is another process using the image [/srv/locked.img]?'* ]]
        # By its pid: a pattern for pgrep -f would also match the shell that runs pgrep.
        in_container kill "$holder"
        container_wait_for 10 sh -c "! test -e /proc/$holder"
        in_container systemctl reset-failed qemu-vm@locked
        in_container systemctl start qemu-vm@locked
        wait_for_serial locked "QEMU-VM-GUEST: ready" 1
        in_container systemctl stop qemu-vm@locked
}

@test "daemon-reload and editing a running VM's file neither stop nor restart it; the change applies at its next start" {
        disk_vm steady ""
        in_container systemctl daemon-reload
        in_container systemctl start qemu-vm@steady
        wait_for_serial steady "QEMU-VM-GUEST: acpi listener up" 1
        local pid since
        pid=$(main_pid steady)
        since=$(in_container systemctl show -p ActiveEnterTimestampMonotonic --value qemu-vm@steady)
        in_container sed -i 's/^memory = 256M/memory = 320M/' /etc/qemu/vms/steady.conf
        in_container systemctl daemon-reload
        in_container systemctl daemon-reload
        in_container systemctl daemon-reexec
        [ "$(main_pid steady)" = "$pid" ]
        [ "$(in_container systemctl is-active qemu-vm@steady)" = active ]
        [ "$(in_container systemctl show -p ActiveEnterTimestampMonotonic --value qemu-vm@steady)" = "$since" ]
        [ "$(in_container grep -c 'QEMU-VM-GUEST: ready' /var/log/qemu-vm/steady/serial.log)" = 1 ]
        # The running QEMU keeps its command line; the unit already shows the next one.
        in_container cat "/proc/$pid/cmdline" | tr '\0' ' ' | grep -q -- '-m 256M '
        in_container systemctl cat qemu-vm@steady | grep -q '"-m" "320M"'
        run in_container systemctl show -p NeedDaemonReload --value qemu-vm@steady
        [ "$output" = no ]
        in_container systemctl restart qemu-vm@steady
        wait_for_serial steady "QEMU-VM-GUEST: acpi listener up" 2
        in_container cat "/proc/$(main_pid steady)/cmdline" | tr '\0' ' ' | grep -q -- '-m 320M '
        in_container systemctl stop qemu-vm@steady
}

@test "host shutdown: ten running VMs stop in parallel, each guest powers itself down, no disk needs repair" {
        local i names=()
        for i in $(seq 0 9); do
                names+=("fleet$i")
                guest_vm "fleet$i" "" "autostart = yes" "[disk.root]" "size = 16M"
        done
        in_container systemctl daemon-reload
        # One alone first: the time a single guest takes to stop.
        in_container systemctl start qemu-vm@fleet0
        wait_for_serial fleet0 "QEMU-VM-GUEST: acpi listener up" 1
        local t0 t1 single
        t0=$(date +%s%N)
        in_container systemctl stop qemu-vm@fleet0
        t1=$(date +%s%N)
        single=$(((t1 - t0) / 1000000))
        in_container systemctl start machines.target
        for i in $(seq 0 9); do
                wait_for_serial "fleet$i" "QEMU-VM-GUEST: acpi listener up" $((i == 0 ? 2 : 1)) 300
        done
        # The VMs stop after the target (they are ordered before it): time until the last is gone.
        local all
        all=$(in_container sh -c 't0=$(date +%s%N); systemctl stop machines.target
                while systemctl list-units --no-legend --state=active,deactivating "qemu-vm@fleet*" | grep -q .; do
                        sleep 0.05
                done
                echo $((($(date +%s%N) - t0) / 1000000))')
        echo "# one VM stopped in $single ms; ten in $all ms" >&3
        for i in $(seq 0 9); do
                [ "$(in_container systemctl is-active "qemu-vm@fleet$i")" = inactive ]
                [ "$(in_container grep -c 'QEMU-VM-GUEST: power button pressed, powering off' "/var/log/qemu-vm/fleet$i/serial.log")" -ge 1 ]
                in_container qemu-img check -q "/var/lib/qemu-vm/fleet$i/root.qcow2"
        done
        run in_container journalctl --no-pager -o cat -u 'qemu-vm@fleet*'
        [ "$(grep -c 'Guest powered off (SHUTDOWN event: guest=true' <<<"$output")" -ge 11 ]
        # In parallel: every VM began stopping before the first had finished (systemd's own
        # timestamps, so it holds however slow the two cores are) ...
        local stamps last_began first_done
        # One property a call: with several, --value prints them in systemd's order, not the asked one.
        stamps=$(for i in $(seq 0 9); do
                echo "$(in_container systemctl show -p ActiveExitTimestampMonotonic --value "qemu-vm@fleet$i")" \
                        "$(in_container systemctl show -p InactiveEnterTimestampMonotonic --value "qemu-vm@fleet$i")"
        done)
        last_began=$(awk '{ print $1 }' <<<"$stamps" | sort -n | tail -1)
        first_done=$(awk '{ print $2 }' <<<"$stamps" | sort -n | head -1)
        echo "# the last VM began stopping $(((first_done - last_began) / 1000)) ms before the first was down" >&3
        [ "$last_began" -gt 0 ] && [ "$last_began" -lt "$first_done" ]
        # ... and the whole took well under ten times one, what in series would take at least. It
        # is more than one: ten TCG guests powering off share two cores (measured 2 to 5 times one).
        [ "$all" -lt $((single * 8)) ]
        in_container sh -c "echo 'single_ms=$single ten_ms=$all' >/var/tmp/fleet-timing"
}
