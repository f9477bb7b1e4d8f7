#!/usr/bin/env bats
# Isolation between VMs: a hostile process in VM a's own unit and generated drop-in (ExecStart=
# replaced by tests/system/isolation-probe.py, nothing else changed) tries to reach everything of VM
# b, which runs beside it with a disk in its state directory, one made by root in a shared directory,
# one given to it there, UEFI NVRAM, a cloud-init seed, a serial log, a TPM, a guest agent channel, a
# console and a tap. A hostile process in VM a's TPM emulator's own unit (swtpm@a, ExecStart=
# replaced) tries B's TPM.
# Both VMs have each kind of disk the generator knows: in the state directory, outside with a size
# (made by root), outside without (it must exist).
# BUILD_DIR and SOURCE_ROOT come from meson (tests/meson.build).

load helpers

setup_file() {
        system_suite_setup
        host_bridge_setup
        # root's, as an admin makes it: both VMs' disks lie side by side in it.
        in_container mkdir -p /srv/shared
        GUEST_FIRMWARE=uefi guest_vm b "" "[disk.root]" "size = 64M" \
                "[disk.made]" "path = /srv/shared/b-made.qcow2" "size = 16M" \
                "[disk.given]" "path = /srv/shared/b-given.qcow2" \
                "[cloud-init]" "[tpm]" "[agent]" "[vnc]" "[net.lan]" "mode = bridge" "bridge = br0"
        guest_vm a "" "[disk.root]" "size = 64M" \
                "[disk.made]" "path = /srv/shared/a-made.qcow2" "size = 16M" \
                "[disk.given]" "path = /srv/shared/a-given.qcow2" "[tpm]"
        container_copy_in "$BATS_TEST_DIRNAME/isolation-probe.py" /srv/isolation-probe.py
        in_container chmod 0755 /srv/isolation-probe.py
        put_file /etc/systemd/system/qemu-vm@a.service.d/zz-probe.conf <<'CONF'
[Service]
Type=oneshot
PIDFile=
ExecStart=
ExecStart=/usr/bin/python3 /srv/isolation-probe.py a b /srv/shared
ExecStop=
CONF
        put_file /etc/systemd/system/swtpm@a.service.d/zz-probe.conf <<'CONF'
[Service]
Type=oneshot
ExecStart=
ExecStart=/usr/bin/python3 /srv/isolation-probe.py --tpm a b
ExecStopPost=
CONF
        in_container systemctl daemon-reload
        # b's given disk is still owned by the one user all VMs shared before (an upgrade); a's is
        # given to a's user by the admin, once qemu-vm-account@a has made it.
        in_container qemu-img create -q -f qcow2 /srv/shared/b-given.qcow2 8M
        in_container chown qemu-vm:qemu-vm /srv/shared/b-given.qcow2
        in_container systemctl start qemu-vm-account@a
        in_container qemu-img create -q -f qcow2 /srv/shared/a-given.qcow2 8M
        in_container chown vm-a:vm-a /srv/shared/a-given.qcow2
        in_container systemctl start qemu-vm@b
        wait_for_serial b "QEMU-VM-GUEST: ready" 1
}

teardown_file() {
        system_suite_teardown
}

@test "each VM runs as a user of its own, which owns its files, its sockets and its tap" {
        local pid
        pid=$(in_container systemctl show -p MainPID --value qemu-vm@b)
        [ "$(in_container ps -o user= -p "$pid")" = vm-b ]
        # (qemu-vm-serial-log writes the log with UMask=0027: the VM's group has no other member.)
        [ "$(in_container stat -c '%U %a' /var/lib/qemu-vm/b /var/lib/qemu-vm/b/root.qcow2 /var/lib/qemu-vm/b/nvram.fd \
                /var/lib/qemu-vm/b/cloud-init.iso /var/log/qemu-vm/b /var/log/qemu-vm/b/serial.log /run/qemu-vm/b)" = \
                "$(printf 'vm-b 750\nvm-b 600\nvm-b 600\nvm-b 600\nvm-b 750\nvm-b 640\nvm-b 750')" ]
        # Outside the state directory: made by root for b, and re-owned from the shared user of old.
        [ "$(in_container stat -c '%U %a' /srv/shared/b-made.qcow2 /srv/shared/b-given.qcow2 /srv/shared)" = \
                "$(printf 'vm-b 600\nvm-b 600\nroot 755')" ]
        run in_container journalctl -u qemu-vm@b --no-pager -o cat
        [[ "$output" == *"Created disk /srv/shared/b-made.qcow2 (qcow2, 16777216 bytes), owned by vm-b."* ]]
        [[ "$output" == *"Disk /srv/shared/b-given.qcow2 re-owned to vm-b: every VM has a user of its own now."* ]]
        [ "$(in_container cat /sys/class/net/vm-b-0/owner)" = "$(in_container id -u vm-b)" ]
        [ "$(in_container stat -c '%G' /run/swtpm/b/swtpm.sock)" = vm-b ]
        # The unit names b's outside disks alone as writable, never their shared directory.
        run in_container systemctl show -p ReadWritePaths --value qemu-vm@b
        [[ "$output" == *"/srv/shared/b-made.qcow2"* && "$output" == *"/srv/shared/b-given.qcow2"* ]]
        [[ "$output" != *"/srv/shared "* && "$output" != *"/srv/shared" ]]
}

@test "upgrade: a VM made when all VMs shared the user qemu-vm keeps its disk and NVRAM, now its own user's" {
        # As the earlier release left it: the state directory, the disk and the NVRAM qemu-vm's.
        in_container install -d -o qemu-vm -g qemu-vm -m 0750 /var/lib/qemu-vm/up
        in_container qemu-img create -q -f qcow2 /var/lib/qemu-vm/up/root.qcow2 64M
        in_container cp /usr/share/OVMF/OVMF_VARS_4M.fd /var/lib/qemu-vm/up/nvram.fd
        in_container chown qemu-vm:qemu-vm /var/lib/qemu-vm/up/root.qcow2 /var/lib/qemu-vm/up/nvram.fd
        in_container chmod 0600 /var/lib/qemu-vm/up/root.qcow2 /var/lib/qemu-vm/up/nvram.fd
        local before
        before=$(in_container stat -c %i /var/lib/qemu-vm/up/root.qcow2 /var/lib/qemu-vm/up/nvram.fd)
        GUEST_FIRMWARE=uefi guest_vm up "" "[disk.root]" "size = 64M"
        in_container systemctl daemon-reload
        in_container systemctl start qemu-vm@up
        wait_for_serial up "QEMU-VM-GUEST: ready" 1
        # The same files (inodes), not made anew (the guest writes to its disk), and the VM's user's now.
        [ "$(in_container stat -c %i /var/lib/qemu-vm/up/root.qcow2 /var/lib/qemu-vm/up/nvram.fd)" = "$before" ]
        [ "$(in_container stat -c '%U %G' /var/lib/qemu-vm/up /var/lib/qemu-vm/up/root.qcow2 /var/lib/qemu-vm/up/nvram.fd)" = \
                "$(printf 'vm-up vm-up\nvm-up vm-up\nvm-up vm-up')" ]
        run in_container journalctl -u qemu-vm@up --no-pager -o cat
        [[ "$output" == *"Disk /var/lib/qemu-vm/up/root.qcow2 exists, kept."* ]]
        in_container systemctl stop qemu-vm@up
}

@test "root makes no disk through a link a VM's user planted: in a directory of the path, or as the disk itself" {
        # b's user owns its state directory (b runs): a link there may lead anywhere.
        in_container runuser -u vm-b -- ln -s /etc /var/lib/qemu-vm/b/planted
        in_container runuser -u vm-b -- ln -s /etc/shadow /var/lib/qemu-vm/b/shadow.img
        guest_vm c "" "[disk.made]" "path = /var/lib/qemu-vm/b/planted/c-made.qcow2" "size = 16M"
        guest_vm d "" "[disk.given]" "path = /var/lib/qemu-vm/b/shadow.img" "format = raw"
        in_container systemctl daemon-reload
        local before
        before=$(in_container stat -c '%U %G %a' /etc/shadow)
        run in_container systemctl start qemu-vm@c
        [ "$status" -ne 0 ]
        run in_container journalctl -u qemu-vm@c --no-pager -o cat
        [[ "$output" == *"Disk '/var/lib/qemu-vm/b/planted/c-made.qcow2': its directory runs through a symbolic link, which qemu-vm-prepare-root does not follow as root."* ]]
        ! in_container test -e /etc/c-made.qcow2 || false
        run in_container systemctl start qemu-vm@d
        [ "$status" -ne 0 ]
        run in_container journalctl -u qemu-vm@d --no-pager -o cat
        [[ "$output" == *"Disk '/var/lib/qemu-vm/b/shadow.img' is a symbolic link, which qemu-vm-prepare-root does not follow as root."* ]]
        # /etc/shadow was neither given to d's user nor touched.
        [ "$(in_container stat -c '%U %G %a' /etc/shadow)" = "$before" ]
        in_container rm /var/lib/qemu-vm/b/planted /var/lib/qemu-vm/b/shadow.img /etc/qemu/vms/c.conf /etc/qemu/vms/d.conf
        in_container systemctl daemon-reload
}

@test "a guest that prints without end fills no disk: the serial log rotates at log_max, two files at most" {
        guest_vm loud "qemu_vm_test.flood=1024" "[serial]" "log_max = 64K"
        in_container systemctl daemon-reload
        in_container systemctl start qemu-vm@loud
        wait_for_serial loud "QEMU-VM-GUEST: flood done" 1 300
        local log=/var/log/qemu-vm/loud/serial.log
        # 1 MiB printed; 64 KiB kept in each of serial.log and serial.log.1, the newest in serial.log.
        [ "$(in_container stat -c %s "$log")" -le 65536 ]
        [ "$(in_container stat -c %s "$log.1")" -eq 65536 ]
        [ "$(in_container ls /var/log/qemu-vm/loud)" = "$(printf 'serial.log\nserial.log.1')" ]
        in_container grep -q "QEMU-VM-GUEST: flood done" "$log"
        # The logger is a unit of its own, as the VM's user: the VM's unit holds QEMU alone.
        [ "$(in_container systemctl is-active qemu-vm-serial-log@loud)" = active ]
        [ "$(in_container ps -o user= -p "$(in_container systemctl show -p MainPID --value qemu-vm-serial-log@loud)")" = vm-loud ]
        run in_container systemctl show -p ControlGroup --value qemu-vm@loud
        [ "$(in_container sh -c "cat /sys/fs/cgroup$output/cgroup.procs | wc -l")" -eq 1 ]
        # It stops with the VM only.
        run in_container systemctl stop qemu-vm-serial-log@loud
        [ "$status" -ne 0 ]
        [ "$(in_container systemctl is-active qemu-vm@loud)" = active ]
}

@test "QEMU killed with SIGKILL: the VM and its serial logger start again, and the log goes on" {
        local log=/var/log/qemu-vm/loud/serial.log older pid
        older=$(in_container stat -c %i "$log.1")
        pid=$(in_container systemctl show -p MainPID --value qemu-vm@loud)
        in_container kill -9 "$pid"
        # The guest floods again after the restart: serial.log.1 is replaced, and the newest
        # "flood done" is in serial.log.
        local deadline=$((SECONDS + 300))
        until [ "$(in_container stat -c %i "$log.1")" != "$older" ] && in_container grep -q "QEMU-VM-GUEST: flood done" "$log"; do
                [ "$SECONDS" -lt "$deadline" ]
                sleep 1
        done
        [ "$(in_container systemctl show -p NRestarts --value qemu-vm@loud)" = 1 ]
        [ "$(in_container systemctl is-active qemu-vm@loud qemu-vm-serial-log@loud)" = "$(printf 'active\nactive')" ]
        [ "$(in_container systemctl show -p MainPID --value qemu-vm@loud)" != "$pid" ]
        in_container systemctl stop qemu-vm@loud
        [ "$(in_container systemctl is-active qemu-vm@loud qemu-vm-serial-log@loud)" = "$(printf 'inactive\ninactive')" ]
        ! in_container pgrep -u vm-loud || false
        ! in_container test -e /run/qemu-vm-serial/loud || false
}

@test "a hostile process in VM a's own sandbox reaches nothing of VM b, and does reach a's own files" {
        in_container systemctl start qemu-vm@a
        run in_container journalctl -u qemu-vm@a --no-pager -o cat
        local line results
        results=$(grep -E '^(ATTEMPT|OWN|QEMU processes visible|PROBE DONE)' <<<"$output")
        # Every attempt and its result, in the test's output.
        while IFS= read -r line; do echo "# $line" >&3; done <<<"$results"
        [[ "$results" == *"PROBE DONE"* ]]
        [ "$(grep -c '^ATTEMPT ' <<<"$results")" -eq 26 ]
        ! grep -E '^ATTEMPT .*: ALLOWED' <<<"$results" || false
        ! grep -E '^OWN .*: FAILED' <<<"$results" || false
        [ "$(grep -c '^OWN .*: ok' <<<"$results")" -eq 4 ]
        [[ "$results" == *"QEMU processes visible: 0"* ]]
        # The tap is refused for want of ownership, not only because b's QEMU holds it.
        [[ "$results" == *"ATTEMPT open tap vm-b-0: denied (EPERM)"* ]]
        # b runs on, untouched.
        [ "$(in_container systemctl is-active qemu-vm@b)" = active ]
        [ "$(in_container head -c 4 /var/lib/qemu-vm/b/root.qcow2 | od -An -c | tr -d ' ')" = 'QFI373' ]
}

@test "a hostile process in VM a's TPM emulator reaches nothing of VM b's TPM, nor a's QEMU a's TPM state" {
        # As swtpm@a starts: swtpm_setup manufactures a's TPM as a's TPM user, then the probe runs.
        in_container systemctl start swtpm@a.service
        run in_container journalctl -u swtpm@a.service --no-pager -o cat
        local line results
        results=$(grep -E '^(ATTEMPT|OWN|swtpm processes visible|PROBE DONE)' <<<"$output")
        while IFS= read -r line; do echo "# $line" >&3; done <<<"$results"
        [[ "$results" == *"PROBE DONE"* ]]
        [ "$(grep -c '^ATTEMPT ' <<<"$results")" -eq 5 ]
        ! grep -E '^ATTEMPT .*: ALLOWED' <<<"$results" || false
        [ "$(grep -c '^OWN .*: ok' <<<"$results")" -eq 2 ]
        # b's swtpm runs (b's guest uses its TPM), hidden from a's.
        [ "$(in_container systemctl is-active swtpm@b.service)" = active ]
        [[ "$results" == *"swtpm processes visible: 0"* ]]
        # Each TPM's state is its own TPM user's.
        [ "$(in_container stat -c '%U %a' /var/lib/swtpm/a /var/lib/swtpm/b)" = "$(printf 'tpm-a 700\ntpm-b 700')" ]
        # a's QEMU, as its user, does not read a's TPM state either.
        run in_container runuser -u vm-a -- cat /var/lib/swtpm/a/tpm2-00.permall
        [ "$status" -ne 0 ]
        [[ "$output" == *"Permission denied"* ]]
}
