#!/usr/bin/env bats
# qemu-vmctl against systemd booted in a container and real guests under QEMU TCG: list, status and
# show agree with what runs; start/stop/restart through systemd; the serial console; disk hot-plug;
# destroy; check-host (here and on the bare machine).
# BUILD_DIR and SOURCE_ROOT come from meson (tests/meson.build).

load helpers

# wait_for_disks LIST COUNT: until the guest 'hot' has printed exactly "disks=LIST" COUNT times (its
# watcher prints a line whenever the set of disks changes; a longer list must not count).
wait_for_disks() {
        local list=$1 count=$2 deadline=$((SECONDS + 60))
        while [ "$SECONDS" -lt "$deadline" ]; do
                [ "$(in_container grep -cE "QEMU-VM-GUEST: disks=$list"$'\r?$' /var/log/qemu-vm/hot/serial.log)" -ge "$count" ] && return 0
                sleep 0.5
        done
        echo "disks=$list did not appear $count times; the log ends:" >&2
        in_container tail -n 20 /var/log/qemu-vm/hot/serial.log >&2
        return 1
}

# The files qemu-vm may own, one path per line: destroy must remove exactly what it lists.
artifacts() {
        in_container find /etc/qemu/vms /var/lib/qemu-vm /var/lib/swtpm /var/log/qemu-vm /srv -mindepth 1 \
                -not -path '/var/lib/qemu-vm/images*' | sort
}

setup_file() {
        system_suite_setup
        # root's, as an admin makes it: root makes the VMs' disks there, owned by each VM's user.
        in_container mkdir -p /srv/vm-disks
        # keep: the VM to destroy, running, with a disk in its state dir, one outside, a TPM, a console and
        # a cloud-init seed.
        guest_vm keep "" "[disk.root]" "size = 64M" "[disk.data]" "path = /srv/vm-disks/keep-data.qcow2" \
                "size = 32M" "[tpm]" "[vnc]" "[cloud-init]"
        # hot: running throughout; hot-plug and the console. Destroying 'keep' must not touch it.
        guest_vm hot "qemu_vm_test.watch_disks=1 qemu_vm_test.echo=1" "[disk.root]" "size = 64M"
        # idle: stopped until the start/stop tests; ignores the power button, and a drop-in shortens its
        # grace period.
        guest_vm idle "qemu_vm_test.ignore_acpi=1" "[disk.data]" "path = /srv/vm-disks/idle-data.img" "format = raw" \
                "size = 16M"
        printf '[vm]\nshutdown_timeout = 3\n' | put_file /etc/qemu/vms/idle.conf.d/10-timeout.conf
        guest_vm guarded "" "protect = yes"
        printf '[vm]\nmemory = lots\n' | put_file /etc/qemu/vms/broken.conf
        in_container systemctl daemon-reload
        in_container systemctl start qemu-vm@keep qemu-vm@hot
        wait_for_serial keep "QEMU-VM-GUEST: ready" 1
        wait_for_serial hot "QEMU-VM-GUEST: ready" 1
}

teardown_file() {
        system_suite_teardown
}

@test "list: one row per VM, running, stopped and broken, with its state; --json parses and agrees" {
        run vmctl list
        [ "$status" -eq 0 ]
        [[ "${lines[0]}" == NAME*STATE*AUTOSTART*CPUS*MEMORY*DISKS*NICS*CONSOLE*GUEST ]]
        [[ "$output" =~ hot\ +active\ +no\ +1\ +256M\ +root ]]
        [[ "$output" =~ idle\ +inactive\ +no\ +1\ +256M\ +data ]]
        [[ "$output" =~ keep\ +active\ +no\ +1\ +256M\ +root,data\ .*http://127.0.0.1:[0-9]+/vnc.html ]]
        [[ "$output" == *"broken: /etc/qemu/vms/broken.conf:2: "* ]]

        run vmctl list --json
        [ "$status" -eq 0 ]
        [ "$(json_get '[v["name"] for v in d]' <<<"$output")" = "['broken', 'guarded', 'hot', 'idle', 'keep']" ]
        [ "$(json_get '{v["name"]: v["active_state"] for v in d}' <<<"$output")" = \
                "{'broken': 'inactive', 'guarded': 'inactive', 'hot': 'active', 'idle': 'inactive', 'keep': 'active'}" ]
        [ "$(json_get '[v for v in d if v["name"] == "broken"][0]["valid"]' <<<"$output")" = False ]
        [[ "$(json_get '[v for v in d if v["name"] == "broken"][0]["errors"][0]' <<<"$output")" == "/etc/qemu/vms/broken.conf:2: "* ]]
        [ "$(json_get '[v for v in d if v["name"] == "keep"][0]["memory_bytes"]' <<<"$output")" = 268435456 ]
        local port
        port=$(in_container systemctl show -p Description --value novnc@keep | grep -o '127.0.0.1:[0-9]*')
        [ "$(json_get '[v for v in d if v["name"] == "keep"][0]["console_url"]' <<<"$output")" = \
                "http://$port/vnc.html?autoconnect=true" ]
}

@test "status: unit and QEMU state, uptime and journal of a running VM; exit 3 for a stopped or broken one" {
        run vmctl status hot
        [ "$status" -eq 0 ]
        [[ "$output" == *"Unit: active (running) since "*"; up "* ]]
        [[ "$output" == *"QEMU: running"* ]]
        [[ "$output" == *"Main PID: $(in_container systemctl show -p MainPID --value qemu-vm@hot)"* ]]
        [[ "$output" == *"Started qemu-vm@hot.service"* ]]

        run vmctl status hot --json
        [ "$status" -eq 0 ]
        [ "$(json_get 'd["qemu_status"]' <<<"$output")" = running ]
        [ "$(json_get 'd["uptime_seconds"] >= 0' <<<"$output")" = True ]
        [ "$(json_get 'any("Started qemu-vm@hot.service" in l["message"] for l in d["journal"])' <<<"$output")" = True ]

        run vmctl status idle
        [ "$status" -eq 3 ]
        [[ "$output" == *"Unit: inactive (dead)"* ]]
        [[ "$output" != *"QEMU:"* ]]

        run vmctl status broken --json
        [ "$status" -eq 3 ]
        [[ "$(json_get 'd["errors"][0]' <<<"$output")" == "/etc/qemu/vms/broken.conf:2: "* ]]

        run vmctl status nosuchvm
        [ "$status" -eq 4 ]
        [[ "$output" == *"No VM 'nosuchvm'"* ]]
}

@test "show: the effective configuration after drop-ins, and exactly the command line QEMU runs with" {
        run vmctl show idle
        [ "$status" -eq 0 ]
        [[ "$output" == *"/etc/qemu/vms/idle.conf.d/10-timeout.conf"* ]]
        [[ "$output" == *"shutdown_timeout = 3"* ]]
        [[ "$output" == *"[disk.data]"*"path = /srv/vm-disks/idle-data.img"*"format = raw"* ]]

        # The running VM's QEMU was started with exactly the argv show prints.
        local pid
        pid=$(in_container systemctl show -p MainPID --value qemu-vm@hot)
        run vmctl show hot --json
        [ "$status" -eq 0 ]
        [ "$(json_get '"|".join(d["qemu_argv"])' <<<"$output")" = "$(in_container cat "/proc/$pid/cmdline" | tr '\0' '|' | sed 's/|$//')" ]
        [ "$(json_get 'd["config"]["vm"]["memory"]' <<<"$output")" = 256M ]

        run vmctl show broken
        [ "$status" -eq 5 ]
        [[ "$output" == *"/etc/qemu/vms/broken.conf:2: "* ]]
}

@test "start/stop/restart --wait go through systemd and return once the VM runs or is gone" {
        run vmctl start idle --wait
        [ "$status" -eq 0 ]
        [ "$output" = "VM idle is running." ]
        [ "$(in_container systemctl is-active qemu-vm@idle)" = active ]
        in_container test -S /run/qemu-vm/idle/qmp.sock

        # idle ignores the power button: the stop takes its shutdown_timeout (3 s), then QMP quit.
        run vmctl stop idle --wait
        [ "$status" -eq 0 ]
        [ "$output" = "VM idle is stopped." ]
        [ "$(in_container systemctl is-active qemu-vm@idle)" = inactive ]

        run vmctl restart idle --wait --json
        [ "$status" -eq 0 ]
        [ "$(json_get 'd["state"]' <<<"$output")" = running ]
        [ "$(in_container systemctl is-active qemu-vm@idle)" = active ]

        # A restart whose stop outlasts --timeout fails and does not start the VM again.
        run vmctl restart idle --timeout 1
        [ "$status" -eq 6 ]
        [[ "$output" == *"did not stop in time"* ]]
        container_wait_for 60 sh -c '[ "$(systemctl is-active qemu-vm@idle)" = inactive ]'
        sleep 2
        [ "$(in_container systemctl is-active qemu-vm@idle)" = inactive ]

        # Without --wait the job is only queued.
        run vmctl start idle
        [ "$status" -eq 0 ]
        [ -z "$output" ]
        container_wait_for 30 systemctl is-active -q qemu-vm@idle
        run vmctl stop idle
        [ "$status" -eq 0 ]
        container_wait_for 60 sh -c '[ "$(systemctl is-active qemu-vm@idle)" = inactive ]'

        run vmctl start broken
        [ "$status" -eq 5 ]
        [[ "$output" == *"Not starting VM broken: its file has errors."* ]]
}

@test "console: the terminal reaches the guest's serial line, Ctrl+] detaches and the VM runs on" {
        run in_container /usr/bin/python3 "$SOURCE_ROOT/tests/system/console-session.py" \
                "$(in_container sh -c 'command -v qemu-vmctl')" hot hello-console-42
        echo "$output"
        [ "$status" -eq 0 ]
        [[ "$output" == *"QEMU-VM-GUEST: echo hello-console-42"* ]]
        [[ "$output" == *"Detached from VM hot; it keeps running."* ]]
        [ "$(in_container systemctl is-active qemu-vm@hot)" = active ]

        run vmctl console idle
        [ "$status" -eq 3 ]
        [[ "$output" == *"VM idle is not running."* ]]
        run vmctl console hot --json
        [ "$status" -eq 0 ]
        [ "$(json_get '(d["running"], d["socket"])' <<<"$output")" = "(True, '/run/qemu-vm/hot/serial.sock')" ]
}

@test "attach-disk and detach-disk: the guest sees the disk come and go; bad requests change nothing" {
        in_container qemu-img create -q -f qcow2 /srv/extra.qcow2 16M
        in_container qemu-img create -q -f raw /srv/second.img 8M

        run vmctl attach-disk hot /srv/missing.qcow2
        [ "$status" -eq 1 ]
        [[ "$output" == *"Cannot attach /srv/missing.qcow2: No such file or directory"* ]]
        run vmctl attach-disk hot /srv/extra.qcow2 --id root
        [ "$status" -eq 1 ]
        [[ "$output" == *"VM hot already has a disk 'root'"* ]]
        run vmctl attach-disk idle /srv/extra.qcow2
        [ "$status" -eq 3 ]
        [[ "$output" == *"VM idle is not running"* ]]

        run vmctl attach-disk hot /srv/extra.qcow2 --id extra
        echo "$output"
        [ "$status" -eq 0 ]
        [[ "$output" == *"Attached /srv/extra.qcow2 to VM hot as disk 'extra' (virtio, qcow2, slot hotplug0)."* ]]
        wait_for_disks vda,vdb 1
        # The failed requests above left nothing behind: the next disk is the guest's third.
        run vmctl attach-disk hot /srv/second.img --readonly --json
        [ "$status" -eq 0 ]
        [ "$(json_get 'd["id"]' <<<"$output")" = hot0 ]
        [ "$(json_get 'd["readonly"]' <<<"$output")" = True ]
        wait_for_disks vda,vdb,vdc 1
        run vmctl attach-disk hot /srv/extra.qcow2 --id extra
        [ "$status" -eq 1 ]
        # hot has hotplug_slots = 4 (the default): two more fill them, a fifth finds none.
        in_container qemu-img create -q -f raw /srv/third.img 8M
        in_container qemu-img create -q -f raw /srv/fourth.img 8M
        in_container qemu-img create -q -f raw /srv/fifth.img 8M
        run vmctl attach-disk hot /srv/third.img --id third
        [ "$status" -eq 0 ]
        run vmctl attach-disk hot /srv/fourth.img --id fourth
        [ "$status" -eq 0 ]
        run vmctl attach-disk hot /srv/fifth.img --id fifth
        [ "$status" -eq 1 ]
        [[ "$output" == *"VM hot has no free hot-plug slot: every one holds a device. Raise hotplug_slots"* ]]
        wait_for_disks vda,vdb,vdc,vdd,vde 1
        run vmctl detach-disk hot third
        [ "$status" -eq 0 ]
        run vmctl detach-disk hot fourth
        [ "$status" -eq 0 ]
        wait_for_disks vda,vdb,vdc 2

        run vmctl detach-disk hot extra
        [ "$status" -eq 0 ]
        [ "$output" = "Detached disk 'extra' from VM hot." ]
        wait_for_disks vda,vdc 1
        run vmctl detach-disk hot extra
        [ "$status" -eq 1 ]
        [[ "$output" == *"VM hot has no disk 'extra'"* ]]
        # Its slot is free again, and the image can be attached once more.
        run vmctl attach-disk hot /srv/extra.qcow2 --id extra
        [ "$status" -eq 0 ]
        [[ "$output" == *"slot hotplug0"* ]]
        run vmctl detach-disk hot extra
        [ "$status" -eq 0 ]
        run vmctl detach-disk hot hot0
        [ "$status" -eq 0 ]
        wait_for_disks vda 2
        [ "$(in_container systemctl is-active qemu-vm@hot)" = active ]
}

@test "attach-disk follows no link QEMU's user planted and takes a block device only when told" {
        in_container qemu-img create -q -f qcow2 /srv/probe.qcow2 16M
        # hot's state directory is QEMU's user's: it may plant links there to any host file.
        in_container runuser -u vm-hot -- ln -s /etc/shadow /var/lib/qemu-vm/hot/evil.img
        in_container runuser -u vm-hot -- ln -s /etc /var/lib/qemu-vm/hot/etc
        run vmctl attach-disk hot /var/lib/qemu-vm/hot/evil.img --format raw
        [ "$status" -eq 1 ]
        [[ "$output" == *"Cannot attach /var/lib/qemu-vm/hot/evil.img: the path runs through a symbolic link"* ]]
        run vmctl attach-disk hot /var/lib/qemu-vm/hot/etc/shadow --format raw
        [ "$status" -eq 1 ]
        [[ "$output" == *"the path runs through a symbolic link"* ]]
        in_container mknod /srv/loop-node b 7 0
        run vmctl attach-disk hot /srv/loop-node --format raw
        [ "$status" -eq 1 ]
        [[ "$output" == *"it is a block device. Pass --block-device"* ]]
        in_container rm /var/lib/qemu-vm/hot/evil.img /var/lib/qemu-vm/hot/etc /srv/loop-node
        # None of it reached QEMU: no fd set, no block node beyond the VM's own.
        run vmctl attach-disk hot /srv/probe.qcow2 --id probe --json
        [ "$status" -eq 0 ]
        [ "$(json_get 'd["id"]' <<<"$output")" = probe ]
        run vmctl detach-disk hot probe
        [ "$status" -eq 0 ]
}

@test "qemu-vmctl talks only to the VM's own QEMU: a link or an impostor in its runtime directory is refused" {
        local dir=/run/qemu-vm/hot
        # QEMU's user swaps hot's QMP socket for a link to keep's: root must not end up in keep.
        in_container runuser -u vm-hot -- mv "$dir/qmp.sock" "$dir/qmp.sock.real"
        in_container runuser -u vm-hot -- ln -s /run/qemu-vm/keep/qmp.sock "$dir/qmp.sock"
        run vmctl status hot
        [[ "$output" == *"QEMU: qmp.sock is not a socket (refusing to follow a link"* ]]
        run vmctl attach-disk hot /srv/probe.qcow2 --id stolen
        [ "$status" -eq 1 ]
        [[ "$output" == *"qmp.sock is not a socket"* ]]
        in_container rm "$dir/qmp.sock"

        # A process of QEMU's user listens there instead, speaking QMP.
        put_file /srv/impostor.py <<'EOF'
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])
s.listen(4)
while True:
    c, _ = s.accept()
    try:
        c.sendall(b'{"QMP": {"version": {}, "capabilities": []}}\n')
        for line in c.makefile():
            reply = {"return": {"status": "impostor", "running": True}, "id": json.loads(line).get("id")}
            c.sendall(json.dumps(reply).encode() + b"\n")
    except OSError:
        pass
    c.close()
EOF
        in_container systemd-run --quiet --unit=impostor --uid=vm-hot --gid=vm-hot -p RuntimeMaxSec=60 \
                python3 /srv/impostor.py "$dir/qmp.sock"
        container_wait_for 10 test -S "$dir/qmp.sock"
        run vmctl status hot
        [[ "$output" == *"QEMU: the process listening on qmp.sock is not QEMU of VM hot"* ]]
        [[ "$output" != *impostor* ]]
        run vmctl attach-disk hot /srv/probe.qcow2 --id stolen
        [ "$status" -eq 1 ]
        [[ "$output" == *"is not QEMU of VM hot"* ]]
        in_container systemctl stop impostor
        in_container rm -f "$dir/qmp.sock" /srv/impostor.py
        in_container runuser -u vm-hot -- mv "$dir/qmp.sock.real" "$dir/qmp.sock"

        # The serial socket, the same way.
        in_container runuser -u vm-hot -- mv "$dir/serial.sock" "$dir/serial.sock.real"
        in_container runuser -u vm-hot -- ln -s /run/qemu-vm/keep/serial.sock "$dir/serial.sock"
        run vmctl console hot </dev/null
        [ "$status" -eq 1 ]
        [[ "$output" == *"serial.sock is not a socket"* ]]
        in_container rm "$dir/serial.sock"
        in_container runuser -u vm-hot -- mv "$dir/serial.sock.real" "$dir/serial.sock"

        # Put back, the real sockets answer again.
        run vmctl status hot
        [[ "$output" == *"QEMU: running"* ]]
        in_container rm -f /srv/probe.qcow2
}

@test "status shows the VM's journal made printable, and no line another user logged about it" {
        # A compromised QEMU: the VM's own unit and drop-in, with the command replaced.
        guest_vm esc ""
        put_file /etc/systemd/system/qemu-vm@esc.service.d/zz-hostile.conf <<'EOF'
[Service]
Type=simple
PIDFile=
ExecStart=
ExecStart=/bin/sh -c 'printf "evil\\033]0;owned\\007\\033[2Jline\\n"; exec sleep 300'
ExecStop=
EOF
        in_container systemctl daemon-reload
        in_container systemctl start qemu-vm@esc
        container_wait_for 10 sh -c 'journalctl -u qemu-vm@esc -o cat | grep -q evil'
        # A local user logs a line claiming to be about the VM (UNIT= is any client's to set).
        in_container runuser -u nobody -- sh -c 'printf "MESSAGE=forged by nobody\nUNIT=qemu-vm@esc.service\n" | logger --journald'
        sleep 1
        run vmctl status esc
        [[ "$output" == *"evil?]0;owned??[2Jline"* ]]
        [[ "$output" != *$'\033'* ]]
        [[ "$output" != *$'\007'* ]]
        [[ "$output" != *"forged by nobody"* ]]
        in_container systemctl stop qemu-vm@esc
        in_container rm -r /etc/systemd/system/qemu-vm@esc.service.d /etc/qemu/vms/esc.conf
        in_container systemctl daemon-reload
}

@test "destroy: refused without --force and for protect = yes, changing nothing" {
        local before
        before=$(artifacts)
        run vmctl destroy keep
        [ "$status" -eq 5 ]
        [[ "$output" == *"remove  /etc/qemu/vms/keep.conf"* ]]
        [[ "$output" == *"Refusing to destroy VM keep without --force; nothing was changed."* ]]
        run vmctl destroy guarded --force
        [ "$status" -eq 5 ]
        [[ "$output" == *"Not destroying VM guarded: it has protect = yes"* ]]
        run vmctl destroy keep --force --remove-disks nosuchdisk
        [ "$status" -eq 2 ]
        [ "$(artifacts)" = "$before" ]
        [ "$(in_container systemctl is-active qemu-vm@keep)" = active ]
}

@test "destroy --force: stops the VM and removes exactly what it lists; another VM runs on untouched" {
        local before after hot_disk hot_pid listed
        hot_disk=$(in_container stat -c '%i %Y' /var/lib/qemu-vm/hot/root.qcow2)
        hot_pid=$(in_container systemctl show -p MainPID --value qemu-vm@hot)
        in_container test -e /var/lib/swtpm/keep/tpm2-00.permall
        before=$(artifacts)

        run vmctl destroy keep --force --json
        echo "$output"
        [ "$status" -eq 0 ]
        [ "$(json_get 'd["destroyed"]' <<<"$output")" = True ]
        listed=$(json_get '"\n".join(sorted(d["removed"] + d["removed_dirs"]))' <<<"$output")
        # What vanished is exactly what was listed.
        after=$(artifacts)
        [ "$(comm -23 <(echo "$before") <(echo "$after"))" = "$listed" ]
        [ -z "$(comm -13 <(echo "$before") <(echo "$after"))" ]
        [[ "$listed" == *"/etc/qemu/vms/keep.conf"* ]]
        [[ "$listed" == *"/var/lib/qemu-vm/keep/root.qcow2"* ]]
        [[ "$listed" == *"/var/lib/swtpm/keep/tpm2-00.permall"* ]]
        [[ "$listed" == *"/var/log/qemu-vm/keep/serial.log"* ]]
        # The seed qemu-vm-prepare-root made goes too, and with it the last file of the state directory.
        [[ "$listed" == *"/var/lib/qemu-vm/keep/cloud-init.iso"* ]]
        ! in_container test -e /var/lib/qemu-vm/keep || false
        [[ "$(json_get 'd["kept"][0]' <<<"$output")" == "/srv/vm-disks/keep-data.qcow2: disk 'data' is outside"* ]]
        in_container test -e /srv/vm-disks/keep-data.qcow2
        [ "$(json_get '"qemu-vm@keep.service" in d["stopped"] and "swtpm@keep.socket" in d["stopped"] and "novnc@keep.socket" in d["stopped"]' <<<"$output")" = True ]
        [ "$(json_get 'd["stopped"][0]' <<<"$output")" = qemu-vm@keep.service ]
        [ "$(json_get '"qemu-vm-machine@keep.service" in d["stopped"]' <<<"$output")" = True ]

        # The generator no longer writes anything for it (the template alone has no ExecStart=); its
        # companions are stopped too.
        [ -z "$(in_container systemctl show -p DropInPaths --value qemu-vm@keep)" ]
        ! in_container ls -d /run/systemd/generator/qemu-vm@keep.service.d /run/systemd/generator/swtpm@keep.service.d || false
        [ "$(in_container systemctl is-active qemu-vm@keep)" = inactive ]
        run in_container systemctl is-active novnc@keep novnc@keep.socket swtpm@keep.socket
        [ "$output" = "$(printf 'inactive\ninactive\ninactive')" ]
        run vmctl status keep
        [ "$status" -eq 4 ]

        # The other VM: same QEMU process, same disk file, no new boot.
        [ "$(in_container systemctl show -p MainPID --value qemu-vm@hot)" = "$hot_pid" ]
        [ "$(in_container stat -c '%i %Y' /var/lib/qemu-vm/hot/root.qcow2)" = "$hot_disk" ]
        [ "$(in_container grep -c 'QEMU-VM-GUEST: booted' /var/log/qemu-vm/hot/serial.log)" = 1 ]

        # --remove-disks also deletes a disk outside the state dir.
        run vmctl destroy idle --force --remove-disks data
        echo "$output"
        [ "$status" -eq 0 ]
        [[ "$output" == *"removed /srv/vm-disks/idle-data.img"* ]]
        [[ "$output" == *"removed /etc/qemu/vms/idle.conf.d/10-timeout.conf"* ]]
        ! in_container test -e /srv/vm-disks/idle-data.img || false
        ! in_container test -e /etc/qemu/vms/idle.conf.d || false
}

@test "check-host: one PASS/WARN/FAIL line per check, in the container and on the bare machine" {
        local where rc check
        for where in container host; do
                if [ "$where" = container ]; then
                        run vmctl check-host
                else
                        run "$BUILD_DIR/ctl/qemu-vmctl" check-host
                fi
                echo "$where: $output"
                rc=$status
                [ "${#lines[@]}" -ge 14 ]
                for check in "hardware virtualisation" qemu-system /dev/kvm /dev/net/tun /dev/vhost-net IOMMU hugepages \
                        "cgroup v2" qemu-img swtpm OVMF websockify; do
                        [[ "$output" =~ (PASS|WARN|FAIL)\ \ "$check" ]]
                done
                # The exit status follows the worst line.
                if [[ "$output" == *FAIL* ]]; then
                        [ "$rc" -eq 1 ]
                elif [[ "$output" == *WARN* ]]; then
                        [ "$rc" -eq 7 ]
                else
                        [ "$rc" -eq 0 ]
                fi
        done
        # nspawn gives the container no /dev/kvm. On the host, when there is one, the probe boots firmware
        # under KVM and says whether it got through.
        run vmctl check-host --json
        [ "$(json_get '[c["result"] for c in d["checks"] if c["check"] == "/dev/kvm"][0]' <<<"$output")" = WARN ]
        if [ -c /dev/kvm ]; then
                run "$BUILD_DIR/ctl/qemu-vmctl" check-host --json
                [[ "$(json_get '[c["result"] + " " + c["detail"] for c in d["checks"] if c["check"] == "KVM boots a guest"][0]' <<<"$output")" =~ ^(PASS\ .*booted|FAIL\ ) ]]
        fi
}
