#!/usr/bin/env bats
# The core, end to end: systemd booted in a container over a throw-away overlay of this machine's
# root, the build installed into it with `meson install`, VM files dropped into /etc/qemu/vms, and
# real guests (tests/system/build-guest.sh) booted under QEMU TCG.
# BUILD_DIR and SOURCE_ROOT come from meson (tests/meson.build).

load helpers

setup_file() {
        system_suite_setup
}

teardown_file() {
        system_suite_teardown
}

# A small VM booting the test guest: $1 name, $2 firmware, $3 extra kernel parameters, then more
# [vm] lines. $DATA_DISK_PATH, when set, is the second disk's path.
write_test_vm() {
        local name=$1 firmware=$2 params=$3
        shift 3
        put_file "/etc/qemu/vms/$name.conf" <<EOF
[vm]
memory = 256M
accel = tcg
firmware = $firmware
kernel = $GUEST_IMAGES/vmlinuz
initrd = $GUEST_IMAGES/initrd.img
cmdline = console=ttyS0 $params
$(printf '%s\n' "$@")

[disk.root]
size = 64M

[disk.data]
size = 32M
${DATA_DISK_PATH:+path = $DATA_DISK_PATH}

[net.lan]
mode = user
EOF
}

@test "daemon-reload turns a dropped file into qemu-vm@web01, and systemctl cat shows where it came from" {
        write_test_vm web01 uefi "" "shutdown_timeout = 60"
        in_container systemctl daemon-reload
        run in_container systemctl cat qemu-vm@web01
        [ "$status" -eq 0 ]
        [[ "$output" == *"SourcePath=/etc/qemu/vms/web01.conf"* ]]
        # qemu-vm-prepare makes disks and NVRAM, then becomes QEMU.
        [[ "$output" == *'ExecStart="'*'/qemu-vm-prepare" \'*'"--" "/usr/bin/qemu-system-x86_64" \'* ]]
        [[ "$output" == *'"-name" "web01,debug-threads=on"'* ]]
        [[ "$output" == *"qemu-vm-prepare"* ]]
        [[ "$output" == *"qemu-vm-shutdown"* ]]
        run in_container systemctl show -p LoadState,SourcePath qemu-vm@web01
        [[ "$output" == *"LoadState=loaded"* ]]
        # What `meson install` set up: the user (in group kvm), the directories, the site defaults file.
        [[ "$(in_container id -nG qemu-vm)" == *kvm* ]]
        in_container test -d /etc/qemu/vms
        in_container test -d /var/lib/qemu-vm
        in_container grep -q '^#shutdown_timeout = 120' /etc/qemu/qemu-vm.conf
        in_container test -x /lib/systemd/system-generators/qemu-vm-generator
}

@test "start: active, the guest boots through UEFI and sees its disks and NIC on the serial console" {
        in_container systemctl start qemu-vm@web01
        [ "$(in_container systemctl is-active qemu-vm@web01)" = active ]
        # Active means ready: QMP and serial sockets exist the moment start returns.
        in_container test -S /run/qemu-vm/web01/qmp.sock
        in_container test -S /run/qemu-vm/web01/serial.sock
        wait_for_serial web01 "QEMU-VM-GUEST: ready" 1
        local log
        log=$(in_container cat /var/log/qemu-vm/web01/serial.log)
        [[ "$log" == *"QEMU-VM-GUEST: disks=vda,vdb"* ]]
        [[ "$log" == *"QEMU-VM-GUEST: efi=yes"* ]]
        [[ "$log" == *"QEMU-VM-GUEST: bootcount=1"* ]]
        local mac
        mac=$(in_container systemctl cat qemu-vm@web01 | grep -o 'mac=[0-9a-f:]*' | cut -d= -f2)
        [[ "$log" == *"QEMU-VM-GUEST: nics=eth0/$mac"* ]]
        # QEMU runs unprivileged, with no capabilities.
        local pid
        pid=$(in_container systemctl show -p MainPID --value qemu-vm@web01)
        [ "$(in_container ps -o user= -p "$pid")" = vm-web01 ]
        [ "$(in_container grep CapEff "/proc/$pid/status" | awk '{print $2}')" = 0000000000000000 ]
        # Disks and NVRAM were created, owned by the VM's own user.
        [ "$(in_container stat -c %U /var/lib/qemu-vm/web01/root.qcow2)" = vm-web01 ]
        [ "$(in_container stat -c %U /var/lib/qemu-vm/web01/nvram.fd)" = vm-web01 ]
        in_container journalctl -u qemu-vm@web01 --no-pager | grep -q "Created disk /var/lib/qemu-vm/web01/root.qcow2"
}

@test "stop: the guest powers itself down over ACPI, QMP reports a guest shutdown, the unit ends inactive" {
        wait_for_serial web01 "QEMU-VM-GUEST: acpi listener up" 1
        in_container systemctl stop qemu-vm@web01
        run in_container systemctl is-active qemu-vm@web01
        [ "$output" = inactive ]
        run in_container systemctl is-failed qemu-vm@web01
        [ "$output" = inactive ]
        in_container grep -q "QEMU-VM-GUEST: power button pressed, powering off" /var/log/qemu-vm/web01/serial.log
        run in_container journalctl -u qemu-vm@web01 --no-pager
        [[ "$output" == *"Guest powered off (SHUTDOWN event: guest=true, reason=guest-shutdown)"* ]]
        [[ "$output" != *"asking QEMU to quit"* ]]
}

@test "data survives: the guest's block is there after stop and start; disk and NVRAM are kept, not recreated" {
        local disk_before nvram_before
        disk_before=$(in_container stat -c '%i %s' /var/lib/qemu-vm/web01/root.qcow2)
        nvram_before=$(in_container stat -c '%i %s' /var/lib/qemu-vm/web01/nvram.fd)
        in_container systemctl start qemu-vm@web01
        wait_for_serial web01 "QEMU-VM-GUEST: ready" 2
        # The guest read back the counter it wrote to its disk on the first boot, and wrote 2.
        in_container grep -q "QEMU-VM-GUEST: bootcount=2" /var/log/qemu-vm/web01/serial.log
        [ "$(in_container stat -c '%i %s' /var/lib/qemu-vm/web01/root.qcow2)" = "$disk_before" ]
        [ "$(in_container stat -c '%i %s' /var/lib/qemu-vm/web01/nvram.fd)" = "$nvram_before" ]
        run in_container journalctl -u qemu-vm@web01 --no-pager
        [[ "$output" == *"Disk /var/lib/qemu-vm/web01/root.qcow2 exists, kept."* ]]
        [[ "$output" == *"NVRAM /var/lib/qemu-vm/web01/nvram.fd exists, kept."* ]]
        wait_for_serial web01 "QEMU-VM-GUEST: acpi listener up" 2
        in_container systemctl stop qemu-vm@web01
        # QEMU left the image consistent.
        in_container qemu-img check -q /var/lib/qemu-vm/web01/root.qcow2
}

@test "a guest that ignores ACPI: stop waits shutdown_timeout, then QEMU quits; the unit ends inactive" {
        write_test_vm deaf bios "qemu_vm_test.ignore_acpi=1" "shutdown_timeout = 8"
        in_container systemctl daemon-reload
        in_container systemctl start qemu-vm@deaf
        wait_for_serial deaf "QEMU-VM-GUEST: ready" 1
        in_container grep -q "QEMU-VM-GUEST: ignoring ACPI" /var/log/qemu-vm/deaf/serial.log
        local start end
        start=$(date +%s)
        in_container systemctl stop qemu-vm@deaf
        end=$(date +%s)
        [ $((end - start)) -ge 8 ]
        [ $((end - start)) -lt 25 ]
        run in_container systemctl is-failed qemu-vm@deaf
        [ "$output" = inactive ]
        run in_container journalctl -u qemu-vm@deaf --no-pager
        [[ "$output" == *"Guest did not power off within 8 s; asking QEMU to quit."* ]]
        [[ "$output" == *"pressing the power button again"* ]]
        ! in_container grep -q "power button pressed" /var/log/qemu-vm/deaf/serial.log || false
}

@test "a guest that powers itself off leaves the unit inactive, not failed, and it is not restarted" {
        write_test_vm selfoff bios "qemu_vm_test.poweroff_after=1"
        in_container systemctl daemon-reload
        in_container systemctl start qemu-vm@selfoff
        wait_for_serial selfoff "QEMU-VM-GUEST: powering off by itself" 1
        container_wait_for 30 sh -c 'test "$(systemctl is-active qemu-vm@selfoff)" = inactive'
        [ "$(in_container systemctl is-failed qemu-vm@selfoff)" = inactive ]
        [ "$(in_container systemctl show -p NRestarts --value qemu-vm@selfoff)" = 0 ]
        sleep 3
        [ "$(in_container systemctl is-active qemu-vm@selfoff)" = inactive ]
}

@test "machined lists a running VM as class vm led by QEMU; poweroff and reboot leave it alone; terminate powers it down; it is forgotten when it stops" {
        write_test_vm mach01 bios ""
        in_container systemctl daemon-reload
        in_container systemctl start qemu-vm@mach01
        wait_for_serial mach01 "QEMU-VM-GUEST: acpi listener up" 1
        local qemu uuid
        qemu=$(in_container systemctl show -p MainPID --value qemu-vm@mach01)
        uuid=$(in_container systemctl cat qemu-vm@mach01 | sed -n 's/.*"-uuid" "\([0-9a-f-]*\)".*/\1/p')
        [ -n "$uuid" ]
        run in_container machinectl list --no-legend
        grep -qE '^mach01 +vm +qemu-vm( |$)' <<<"$output"
        [ "$(in_container machinectl show -p Class --value mach01)" = vm ]
        [ "$(in_container machinectl show -p Leader --value mach01)" = "$qemu" ]
        [ "$(in_container machinectl show -p Unit --value mach01)" = qemu-vm@mach01.service ]
        [ "$(in_container machinectl show -p Id --value mach01)" = "${uuid//-/}" ]
        run in_container machinectl status mach01
        [[ "$output" == *"Unit: qemu-vm@mach01.service"* ]]
        # poweroff (SIGRTMIN+4) and reboot (SIGINT) signal the leader; QEMU would die at once of the
        # first and quit on the second, the guest unwarned. Both do nothing.
        in_container machinectl poweroff mach01
        in_container machinectl reboot mach01
        sleep 2
        [ "$(in_container systemctl is-active qemu-vm@mach01)" = active ]
        [ "$(in_container systemctl show -p MainPID --value qemu-vm@mach01)" = "$qemu" ]
        ! in_container grep -q "power button pressed" /var/log/qemu-vm/mach01/serial.log || false
        # terminate stops the unit: the guest powers itself down through ExecStop=.
        in_container machinectl terminate mach01
        container_wait_for 60 sh -c 'test "$(systemctl is-active qemu-vm@mach01)" = inactive'
        in_container grep -q "QEMU-VM-GUEST: power button pressed, powering off" /var/log/qemu-vm/mach01/serial.log
        container_wait_for 10 sh -c '! machinectl show mach01 >/dev/null 2>&1'
        # Registered again at the next start (by qemu-vm-machine@, once the start has completed), and
        # forgotten again when the guest powers itself off.
        in_container systemctl start qemu-vm@mach01
        container_wait_for 10 machinectl show mach01
        [ "$(in_container machinectl show -p Leader --value mach01)" = "$(in_container systemctl show -p MainPID --value qemu-vm@mach01)" ]
        [ "$(in_container systemctl is-active qemu-vm-machine@mach01)" = active ]
        wait_for_serial mach01 "QEMU-VM-GUEST: acpi listener up" 2
        in_container systemctl stop qemu-vm@mach01
        container_wait_for 10 sh -c '! machinectl show mach01 >/dev/null 2>&1'
        [ "$(in_container systemctl is-active qemu-vm-machine@mach01)" = inactive ]
}

@test "a VM whose name machined refuses ('_') runs unregistered, and its drop-in says why" {
        write_test_vm mach_02 bios ""
        in_container systemctl daemon-reload
        run in_container systemctl cat qemu-vm@mach_02
        [[ "$output" == *"# systemd-machined: not registered, since it takes host names only"* ]]
        [[ "$output" != *"qemu-vm-machine@"* ]]
        in_container systemctl start qemu-vm@mach_02
        [ "$(in_container systemctl is-active qemu-vm@mach_02)" = active ]
        ! in_container machinectl show mach_02 >/dev/null 2>&1 || false
        in_container systemctl stop qemu-vm@mach_02
}

@test "a VM whose file goes bad while it runs keeps running, and stop still powers the guest down" {
        write_test_vm edited bios ""
        in_container systemctl daemon-reload
        in_container systemctl start qemu-vm@edited
        wait_for_serial edited "QEMU-VM-GUEST: acpi listener up" 1
        local pid
        pid=$(in_container systemctl show -p MainPID --value qemu-vm@edited)
        in_container sh -c 'printf "\n[bogus]\n" >>/etc/qemu/vms/edited.conf'
        in_container systemctl daemon-reload
        run in_container systemctl cat qemu-vm@edited
        [[ "$output" == *"qemu-vm-config-error"*"edited.conf:"*"unknown section [bogus]"* ]]
        [ "$(in_container systemctl is-active qemu-vm@edited)" = active ]
        [ "$(in_container systemctl show -p MainPID --value qemu-vm@edited)" = "$pid" ]
        in_container systemctl stop qemu-vm@edited
        in_container grep -q "QEMU-VM-GUEST: power button pressed, powering off" /var/log/qemu-vm/edited/serial.log
        run in_container journalctl -u qemu-vm@edited --no-pager
        [[ "$output" == *"Guest powered off (SHUTDOWN event: guest=true, reason=guest-shutdown)"* ]]
        # Started now, it fails with the error.
        run in_container systemctl start qemu-vm@edited
        [ "$status" -ne 0 ]
}

@test "a crashed QEMU is restarted, and the guest boots again from the same disk" {
        write_test_vm crashy bios ""
        in_container systemctl daemon-reload
        in_container systemctl start qemu-vm@crashy
        wait_for_serial crashy "QEMU-VM-GUEST: ready" 1
        local pid
        pid=$(in_container systemctl show -p MainPID --value qemu-vm@crashy)
        in_container kill -9 "$pid"
        wait_for_serial crashy "QEMU-VM-GUEST: bootcount=2" 1
        [ "$(in_container systemctl show -p NRestarts --value qemu-vm@crashy)" = 1 ]
        [ "$(in_container systemctl is-active qemu-vm@crashy)" = active ]
        [ "$(in_container systemctl show -p MainPID --value qemu-vm@crashy)" != "$pid" ]
        wait_for_serial crashy "QEMU-VM-GUEST: acpi listener up" 2
        in_container systemctl stop qemu-vm@crashy
        [ "$(in_container systemctl is-failed qemu-vm@crashy)" = inactive ]
}

@test "one bad file beside a good one: the good VM starts, the bad one fails with FILE:LINE everywhere" {
        write_test_vm good bios ""
        put_file /etc/qemu/vms/bad.conf <<'EOF'
[vm]
memory = 256M
cpus = many
EOF
        in_container systemctl daemon-reload
        in_container systemctl start qemu-vm@good
        [ "$(in_container systemctl is-active qemu-vm@good)" = active ]

        run in_container systemctl start qemu-vm@bad
        [ "$status" -ne 0 ]
        run in_container journalctl -u qemu-vm@bad --no-pager
        [[ "$output" == *"/etc/qemu/vms/bad.conf:3: invalid value 'many' for 'cpus'"* ]]
        run in_container systemctl status qemu-vm@bad
        [[ "$output" == *"bad.conf:3: invalid value 'many' for 'cpus'"* ]]
        run in_container /lib/systemd/system-generators/qemu-vm-generator --check /etc/qemu/vms/bad.conf
        [ "$status" -eq 1 ]
        [ "$output" = "/etc/qemu/vms/bad.conf:3: invalid value 'many' for 'cpus' (expected a whole number from 1 to 255)" ]

        wait_for_serial good "QEMU-VM-GUEST: acpi listener up" 1
        in_container systemctl stop qemu-vm@good
        in_container rm /etc/qemu/vms/bad.conf
}

@test "autostart = yes puts the VM under machines.target" {
        write_test_vm auto bios "" "autostart = yes"
        in_container systemctl daemon-reload
        run in_container systemctl show -p Wants --value machines.target
        [[ "$output" == *"qemu-vm@auto.service"* ]]
        run in_container systemctl show -p Wants --value machines.target
        [[ "$output" != *"qemu-vm@web01.service"* ]]
        run in_container systemctl show -p PartOf,Before --value qemu-vm@auto
        [[ "$output" == *"machines.target"* ]]
        # Debian's systemd-container enables machines.target under multi-user.target, so at boot the
        # VM starts with it; starting the target again here does what boot does.
        [ "$(in_container systemctl is-enabled machines.target)" = enabled ]
        in_container systemctl stop machines.target
        in_container systemctl start machines.target
        [ "$(in_container systemctl is-active qemu-vm@auto)" = active ]
        wait_for_serial auto "QEMU-VM-GUEST: acpi listener up" 1
        # PartOf=machines.target: stopping the target (as host shutdown does) powers the VM down. The
        # target itself is down first (the VM is ordered Before= it), so wait for the VM.
        in_container systemctl stop machines.target
        container_wait_for 60 sh -c 'test "$(systemctl is-active qemu-vm@auto)" = inactive'
        [ "$(in_container systemctl is-failed qemu-vm@auto)" = inactive ]
        in_container grep -q "QEMU-VM-GUEST: power button pressed" /var/log/qemu-vm/auto/serial.log
}

@test "hostile paths reach QEMU and the disk exactly, through the unit file's and QEMU's escaping" {
        # A disk path with a comma (a QEMU option separator), '%' (a specifier) and '$' (a variable).
        DATA_DISK_PATH='/var/lib/qemu-vm/odd/a,file=x%n$HOME.qcow2' write_test_vm odd bios ""
        in_container systemctl daemon-reload
        in_container systemctl start qemu-vm@odd
        wait_for_serial odd "QEMU-VM-GUEST: ready" 1
        in_container grep -q "QEMU-VM-GUEST: disks=vda,vdb" /var/log/qemu-vm/odd/serial.log
        # The helper created exactly that file, and QEMU got it with the comma doubled, nothing expanded.
        in_container test -f '/var/lib/qemu-vm/odd/a,file=x%n$HOME.qcow2'
        local pid
        pid=$(in_container systemctl show -p MainPID --value qemu-vm@odd)
        run in_container sh -c "tr '\\0' '\\n' </proc/$pid/cmdline"
        [[ "$output" == *'file=/var/lib/qemu-vm/odd/a,,file=x%n$HOME.qcow2,if=none,id=disk-data'* ]]
        wait_for_serial odd "QEMU-VM-GUEST: acpi listener up" 1
        in_container systemctl stop qemu-vm@odd
}

@test "systemd loads every good generator fixture without a single complaint" {
        local names=()
        in_container mkdir -p /etc/qemu/vms
        for conf in "$SOURCE_ROOT"/tests/fixtures/*.conf; do
                local name
                name=$(basename "$conf" .conf)
                case "$name" in bad-* | Bad_*) continue ;; esac
                names+=("$name")
                container_copy_in "$conf" "/etc/qemu/vms/$name.conf"
                [ -d "$conf.d" ] && container_copy_in "$conf.d" "/etc/qemu/vms/$name.conf.d"
        done
        [ "${#names[@]}" -ge 35 ]
        local since
        since=$(in_container date +%s)
        in_container systemctl daemon-reload
        for name in "${names[@]}"; do
                run in_container systemctl show -p LoadState,LoadError --value "qemu-vm@$name.service"
                [ "${lines[0]}" = loaded ] || { echo "qemu-vm@$name: $output"; false; }
        done
        # systemd logs every setting it ignores or cannot parse, naming the drop-in.
        run in_container journalctl --no-pager -o cat _PID=1 --since "@$since"
        if [[ "$output" == *"50-qemu-vm.conf"* ]]; then
                echo "$output" | grep "50-qemu-vm.conf"
                false
        fi
        for name in "${names[@]}"; do
                in_container rm -rf "/etc/qemu/vms/$name.conf" "/etc/qemu/vms/$name.conf.d"
        done
        in_container systemctl daemon-reload
}

@test "QEMU's sandbox: its own runtime directory only, read-only system, writable disks, few devices, a syscall filter" {
        # root's, as an admin makes it: root makes the disk there for the VM (ExecStartPre=+).
        in_container install -d /srv/vms
        DATA_DISK_PATH=/srv/vms/boxed-data.qcow2 write_test_vm boxed bios ""
        in_container systemctl daemon-reload
        in_container systemctl start qemu-vm@boxed qemu-vm@web01
        wait_for_serial boxed "QEMU-VM-GUEST: disks=vda,vdb" 1
        local pid
        pid=$(in_container systemctl show -p MainPID --value qemu-vm@boxed)
        # Of /run/qemu-vm and /run/swtpm, QEMU sees its own VM's directory and nothing else.
        [ "$(in_container nsenter -t "$pid" -m ls /run/qemu-vm)" = boxed ]
        [ -z "$(in_container nsenter -t "$pid" -m ls /run/swtpm)" ]
        # Everything is read-only but its state and runtime directories and its disk file, not the
        # disk's directory, and not its log directory (qemu-vm-serial-log@ writes the log).
        run in_container nsenter -t "$pid" -m touch /etc/qemu/probe /var/lib/qemu-vm/web01/probe /usr/probe /srv/vms/probe \
                /var/log/qemu-vm/boxed/probe
        [ "$status" -ne 0 ]
        [ "$(grep -c 'Read-only file system' <<<"$output")" -eq 5 ]
        in_container nsenter -t "$pid" -m touch -c /srv/vms/boxed-data.qcow2
        [ "$(in_container stat -c %U /srv/vms/boxed-data.qcow2)" = vm-boxed ]
        in_container nsenter -t "$pid" -m touch /var/lib/qemu-vm/boxed/probe /run/qemu-vm/boxed/probe
        in_container rm /var/lib/qemu-vm/boxed/probe /run/qemu-vm/boxed/probe
        # Of /run/qemu-vm-serial, its own FIFO's directory alone.
        [ "$(in_container nsenter -t "$pid" -m ls /run/qemu-vm-serial)" = boxed ]
        # Devices: the pseudo devices and at most /dev/kvm, /dev/net/tun, /dev/vhost-net.
        run in_container nsenter -t "$pid" -m sh -c 'ls /dev; ls /dev/net 2>/dev/null'
        local dev
        for dev in $output; do
                case "$dev" in
                null | zero | full | random | urandom | tty | ptmx | pts | shm | mqueue | hugepages | \
                        console | core | fd | stdin | stdout | stderr | log | char | kvm | net | tun | vhost-net) ;;
                *) echo "unexpected device: $dev"; false ;;
                esac
        done
        # A seccomp filter, no capabilities, and the QMP and serial sockets for qemu-vm alone.
        in_container grep -q '^Seccomp:[[:space:]]*2' "/proc/$pid/status"
        # (QEMU daemonizes with umask 027; the VM's group has no member but the VM's user.)
        [[ "$(in_container stat -c '%U %G %a' /run/qemu-vm/boxed/qmp.sock)" =~ ^vm-boxed\ vm-boxed\ 7[05]0$ ]]
        [[ "$(in_container stat -c '%U %G %a' /run/qemu-vm/boxed/serial.sock)" =~ ^vm-boxed\ vm-boxed\ 7[05]0$ ]]
        [ "$(in_container stat -c '%U %G %a' /run/qemu-vm/boxed)" = "vm-boxed vm-boxed 750" ]
        [ -z "$(in_container getent group vm-boxed | cut -d: -f4)" ]
        # The live manager's own score agrees with the offline one (tests/hardening.bats).
        run in_container systemd-analyze security --no-pager qemu-vm@boxed
        [[ "$output" =~ Overall\ exposure\ level\ for\ qemu-vm@boxed.service:\ (0\.[0-9]|1\.[0-3]) ]]
        wait_for_serial boxed "QEMU-VM-GUEST: acpi listener up" 1
        in_container systemctl stop qemu-vm@boxed qemu-vm@web01
}
