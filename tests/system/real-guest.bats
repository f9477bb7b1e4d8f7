#!/usr/bin/env bats
# A real guest, as README.md tells users to run one: Debian 12's cloud image (built from Debian packages
# by tests/system/build-debian-image.sh, standing in for the downloaded genericcloud image) as the
# backing file, [cloud-init] with an FQDN, a user with a key and sudo, a static address on a bridged
# NIC, UEFI, a TPM and the guest agent (ready = agent: `systemctl start` returns once it answers). One VM, booted three times: as made, after a stop, after its host name changed.
# BUILD_DIR and SOURCE_ROOT come from meson (tests/meson.build).

load helpers

IMAGE=/var/lib/qemu-vm/images/debian-12-genericcloud-amd64.qcow2
ADDRESS=10.77.0.40

setup_file() {
        # Before the container: its root is an overlay of this machine's, and the image is copied in.
        local cache=${QEMU_VM_TEST_CACHE:-/var/cache/qemu-vm-tests}
        if ! "$SOURCE_ROOT/tests/system/build-debian-image.sh" "$cache" >"$BATS_FILE_TMPDIR/image.log" 2>&1; then
                cat "$BATS_FILE_TMPDIR/image.log" >&2
                return 1
        fi
        system_suite_setup
        host_bridge_setup
        in_container ip addr add 10.77.0.1/24 dev br0
        container_copy_in "$cache/debian-12.qcow2" "$IMAGE"
        in_container chmod 0644 "$IMAGE"
        ssh-keygen -q -t ed25519 -N "" -C "admin@qemu-vm-test" -f "$BATS_FILE_TMPDIR/id_ed25519"
        container_copy_in "$BATS_FILE_TMPDIR/id_ed25519" /root/.ssh/id_ed25519
        container_copy_in "$BATS_FILE_TMPDIR/id_ed25519.pub" /root/.ssh/id_ed25519.pub
        in_container chmod 0600 /root/.ssh/id_ed25519
        cloud_vm cloud1.example.test
        in_container systemctl daemon-reload
}

teardown_file() {
        system_suite_teardown
}

# cloud_vm FQDN: the README's cloud-image example, with this test's address and TCG.
cloud_vm() {
        put_file /etc/qemu/vms/cloud1.conf <<EOF
[vm]
memory = 1G
cpus = 2
firmware = uefi
accel = tcg
shutdown_timeout = 120
ready = agent
ready_timeout = 900

[disk.root]
backing = $IMAGE
size = 4G

[cloud-init]
fqdn = $1

[user.admin]
sudo = yes
ssh_authorized_keys_file = /root/.ssh/id_ed25519.pub

[net.lan]
mode = bridge
bridge = br0
mac = from-address
address = $ADDRESS/24
gateway = 10.77.0.1
dns = 10.77.0.1

[tpm]

[agent]
shutdown_after = 30
EOF
}

sum() {
        in_container sha256sum "$1" | cut -d' ' -f1
}

guest() {
        in_container ssh -q -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
                -o ConnectTimeout=5 "admin@$ADDRESS" "$@"
}

# wait_for_guest: until the guest takes the key over SSH and its boot has finished (TCG: minutes).
wait_for_guest() {
        local deadline=$((SECONDS + 900))
        until guest true 2>/dev/null; do
                if [ "$SECONDS" -ge "$deadline" ]; then
                        in_container tail -n 40 /var/log/qemu-vm/cloud1/serial.log >&2
                        return 1
                fi
                sleep 3
        done
        guest systemctl is-system-running --wait >/dev/null || true
}

@test "boots through UEFI and comes up configured: SSH with the key, host name and FQDN, address, route, DNS, sudo, TPM" {
        in_container systemctl start qemu-vm@cloud1
        # ready = agent: the start returned once the guest's agent answered.
        in_container qemu-vmctl agent cloud1 ping
        run in_container journalctl -u qemu-vm@cloud1 --no-pager -o cat
        [[ "$output" =~ The\ guest\ agent\ answered\ [0-9.]+\ s\ after\ QEMU\ started ]]
        echo "# ${BASH_REMATCH[0]}" >&3
        wait_for_guest
        # cloud-init found qemu-vm's seed (NoCloud, on the virtio-scsi cdrom) and finished without an error.
        run guest cloud-init status --long
        [[ "$output" == *"status: done"* ]]
        [[ "$output" == *"DataSourceNoCloud [seed=/dev/sr0]"* ]]
        [ "$(guest systemctl is-system-running)" = running ]
        [ "$(guest hostname)" = cloud1 ]
        [ "$(guest hostname -f)" = cloud1.example.test ]
        [[ "$(guest ip -br -4 addr show)" == *" UP "*"$ADDRESS/24"* ]]
        [[ "$(guest ip route show default)" == "default via 10.77.0.1 "* ]]
        [[ "$(guest resolvectl dns)" == *"10.77.0.1"* ]]
        # The NIC was matched by its MAC (from the address), not by its name.
        [[ "$(guest ip -br link)" == *"02:00:0a:4d:00:28"* ]]
        [ "$(guest sudo -n id -u)" = 0 ]
        [ "$(guest cat /sys/class/tpm/tpm0/tpm_version_major)" = 2 ]
        # UEFI: the guest sees EFI variables; the root file system grew to the overlay's size.
        guest test -d /sys/firmware/efi/efivars
        [ "$(guest df --output=size -B1G / | tail -1 | tr -d ' ')" -ge 3 ]
        guest 'echo kept-across-restarts | sudo tee /var/tmp/marker >/dev/null && sync'
        guest cat /etc/ssh/ssh_host_ed25519_key.pub >"$BATS_FILE_TMPDIR/host-key"
        guest cloud-init query instance_id >"$BATS_FILE_TMPDIR/instance-id"
}

@test "the guest agent answers: ping, info (host name, OS, the NIC's MAC and address), fsfreeze and fsthaw" {
        in_container qemu-vmctl agent cloud1 ping
        run in_container qemu-vmctl agent cloud1 info --json
        [ "$status" -eq 0 ]
        local info=$output
        [ "$(json_get 'd["host_name"]' <<<"$info")" = cloud1 ]
        [[ "$(json_get 'd["os"]' <<<"$info")" == "Debian GNU/Linux 12"* ]]
        [ "$(json_get '[i["addresses"] for i in d["interfaces"] if i["mac"] == "02:00:0a:4d:00:28"][0][0]' <<<"$info")" = "$ADDRESS/24" ]
        run in_container qemu-vmctl agent cloud1 fsfreeze
        [ "$status" -eq 0 ]
        [[ "$output" == "Froze "*" file systems of VM cloud1." ]]
        [ "$(in_container qemu-vmctl agent cloud1 fsfreeze-status)" = frozen ]
        in_container qemu-vmctl agent cloud1 fsthaw
        [ "$(in_container qemu-vmctl agent cloud1 fsfreeze-status)" = thawed ]
        guest true
        # status and list say what the guest says, the addresses matched to the file's NIC by MAC.
        run in_container qemu-vmctl status cloud1
        [[ "$output" == *" Host name: cloud1"* ]]
        [[ "$output" == *"       NIC: [net.lan] "*" 02:00:0a:4d:00:28 $ADDRESS/24"* ]]
        run in_container qemu-vmctl list
        [[ "$output" =~ cloud1\ +active\ .*\ cloud1\ $ADDRESS/24 ]]
        run in_container qemu-vmctl list --json
        [ "$(json_get '[v for v in d if v["name"] == "cloud1"][0]["nics"][0]["guest_addresses"]' <<<"$output")" = "$ADDRESS/24" ]
}

@test "qemu-vmctl attach-disk: the real guest sees the disk, and detach-disk takes it away" {
        in_container qemu-img create -q -f qcow2 /srv/scratch.qcow2 64M
        in_container qemu-vmctl attach-disk cloud1 /srv/scratch.qcow2 --id scratch
        local deadline=$((SECONDS + 60))
        until guest lsblk -dno NAME,SIZE | grep -q '^vdb *64M$'; do
                [ "$SECONDS" -lt "$deadline" ]
                sleep 2
        done
        in_container qemu-vmctl detach-disk cloud1 scratch
        deadline=$((SECONDS + 60))
        while guest lsblk -dno NAME | grep -q '^vdb$'; do
                [ "$SECONDS" -lt "$deadline" ]
                sleep 2
        done
}

@test "systemctl stop: the guest's own systemd powers it off, and the unit ends inactive" {
        in_container systemctl stop qemu-vm@cloud1
        [ "$(in_container systemctl is-active qemu-vm@cloud1)" = inactive ]
        run in_container journalctl -u qemu-vm@cloud1 --no-pager -o cat
        [[ "$output" == *"Guest powered off (SHUTDOWN event: guest=true, reason=guest-shutdown)."* ]]
        [[ "$output" != *"asking QEMU to quit"* ]]
        # The kernel's last words on the serial console: the guest powered itself off.
        in_container grep -q "reboot: Power down" /var/log/qemu-vm/cloud1/serial.log
}

@test "started again with the same seed: the data is there, cloud-init does not run again, the last boot's log shows the power key" {
        local seed_before
        seed_before=$(in_container stat -c %Y:%i /var/lib/qemu-vm/cloud1/cloud-init.iso)
        in_container systemctl start qemu-vm@cloud1
        wait_for_guest
        [ "$(guest cat /var/tmp/marker)" = kept-across-restarts ]
        [ "$(in_container stat -c %Y:%i /var/lib/qemu-vm/cloud1/cloud-init.iso)" = "$seed_before" ]
        # A new instance would have new SSH host keys (cloud-init makes them once per instance).
        [ "$(guest cloud-init query instance_id)" = "$(cat "$BATS_FILE_TMPDIR/instance-id")" ]
        [ "$(guest cat /etc/ssh/ssh_host_ed25519_key.pub)" = "$(cat "$BATS_FILE_TMPDIR/host-key")" ]
        run guest sudo journalctl -b -1 --no-pager -o cat -u systemd-logind
        [[ "$output" == *"Power key pressed"* ]]
}

@test "snapshot --disk-only with the agent freezing the file systems; revert brings the guest's files of that moment back" {
        guest 'echo one | sudo tee /var/tmp/snapshot-marker >/dev/null'
        run in_container qemu-vmctl snapshot cloud1 create first --disk-only
        echo "$output"
        [ "$status" -eq 0 ]
        [[ "$output" == *"Snapshot first of VM cloud1: disks root; NVRAM; TPM state."* ]]
        [[ "$output" =~ "What it holds: disks of the running VM, its file systems frozen by the guest agent (frozen for "[0-9]+" ms)." ]]
        # Thawed again: the guest writes on.
        [ "$(in_container qemu-vmctl agent cloud1 fsfreeze-status)" = thawed ]
        guest 'echo two | sudo tee /var/tmp/snapshot-marker >/dev/null && sync'
        # Its 1 GiB of memory as well, the guest running on afterwards.
        run in_container qemu-vmctl snapshot cloud1 create with-memory
        echo "$output"
        [ "$status" -eq 0 ]
        [[ "$output" == *"What it holds: disks, memory and devices of the running VM."* ]]
        [ "$(guest cat /var/tmp/snapshot-marker)" = two ]
        in_container qemu-vmctl snapshot cloud1 delete with-memory
        in_container systemctl stop qemu-vm@cloud1
        run in_container qemu-vmctl snapshot cloud1 revert first
        echo "$output"
        [ "$status" -eq 0 ]
        in_container systemctl start qemu-vm@cloud1
        wait_for_guest
        [ "$(guest cat /var/tmp/snapshot-marker)" = one ]
        [ "$(guest cat /var/tmp/marker)" = kept-across-restarts ]
        in_container qemu-vmctl snapshot cloud1 delete first
        [ "$(in_container qemu-img snapshot -l -U /var/lib/qemu-vm/cloud1/root.qcow2)" = "" ]
}

@test "backup: full, then incremental, each frozen by the guest agent; the VM destroyed and restored holds that moment's files" {
        in_container mkdir -p /srv/backup
        guest 'echo one | sudo tee /var/tmp/backup-marker >/dev/null'
        run in_container qemu-vmctl backup cloud1 --to /srv/backup
        echo "$output"
        [ "$status" -eq 0 ]
        [[ "$output" == *" of VM cloud1: full, in /srv/backup/cloud1/"* ]]
        [[ "$output" =~ "What it holds: disks of the running VM, its file systems frozen by the guest agent (frozen for "[0-9]+" ms)." ]]
        [ "$(in_container qemu-vmctl agent cloud1 fsfreeze-status)" = thawed ]
        guest 'echo two | sudo tee /var/tmp/backup-marker >/dev/null'
        run in_container qemu-vmctl backup cloud1 --to /srv/backup
        echo "$output"
        [ "$status" -eq 0 ]
        [[ "$output" == *": incremental after "* ]]
        [[ "$output" =~ "frozen by the guest agent (frozen for "[0-9]+" ms)" ]]
        local incr
        incr=$(in_container qemu-vmctl --json backup-list /srv/backup | json_get 'd[-1]["id"]')
        guest 'echo three | sudo tee /var/tmp/backup-marker >/dev/null && sync'
        # A copy beside cloud1 would take its MAC and address: refused, nothing made.
        run in_container qemu-vmctl restore "/srv/backup/cloud1/$incr" --as restored1
        echo "$output"
        [ "$status" -eq 1 ]
        [[ "$output" == *"do not make a VM that can run beside the others"* ]]
        run in_container ls -d /etc/qemu/vms/restored1.conf /var/lib/qemu-vm/restored1
        [ "$status" -ne 0 ]
        # cloud1 lost: destroyed with its disk, NVRAM and TPM state, then restored under its own name.
        in_container qemu-vmctl destroy cloud1 --force >/dev/null
        run in_container qemu-vmctl restore "/srv/backup/cloud1/$incr"
        echo "$output"
        [ "$status" -eq 0 ]
        [[ "$output" == *"VM cloud1 restored from VM cloud1's backup "*", then $incr: disks root; NVRAM; TPM state."* ]]
        [ "$(sum /var/lib/swtpm/cloud1/tpm2-00.permall)" = "$(sum "/srv/backup/cloud1/$incr/tpm/tpm2-00.permall")" ]
        in_container systemctl start qemu-vm@cloud1
        wait_for_guest
        [ "$(guest cat /var/tmp/backup-marker)" = two ]
        [ "$(guest cat /var/tmp/marker)" = kept-across-restarts ]
}

@test "a changed host name makes a new seed, and cloud-init applies it at the next start" {
        cloud_vm cloud2.example.test
        in_container systemctl daemon-reload
        in_container systemctl restart qemu-vm@cloud1
        wait_for_guest
        [ "$(guest hostname)" = cloud2 ]
        [ "$(guest hostname -f)" = cloud2.example.test ]
        [ "$(guest cloud-init query instance_id)" != "$(cat "$BATS_FILE_TMPDIR/instance-id")" ]
        [ "$(guest cat /var/tmp/marker)" = kept-across-restarts ]
}

@test "a guest that ignores the power button is powered off by its guest agent, not by QMP quit" {
        guest 'sudo mkdir -p /etc/systemd/logind.conf.d &&
               printf "[Login]\nHandlePowerKey=ignore\n" | sudo tee /etc/systemd/logind.conf.d/ignore.conf >/dev/null &&
               sudo systemctl restart systemd-logind'
        local downs
        downs=$(in_container grep -c "reboot: Power down" /var/log/qemu-vm/cloud1/serial.log)
        in_container journalctl --rotate >/dev/null 2>&1 || true
        local since
        since=$(in_container date +%s)
        in_container systemctl stop qemu-vm@cloud1
        [ "$(in_container systemctl is-active qemu-vm@cloud1)" = inactive ]
        run in_container journalctl -u qemu-vm@cloud1 --no-pager -o cat --since "@$since"
        [[ "$output" == *"Guest ignored the power button for 30 s; asking its guest agent to power it off."* ]]
        [[ "$output" == *"Guest powered off (SHUTDOWN event: guest=true, reason=guest-shutdown)."* ]]
        [[ "$output" != *"asking QEMU to quit"* ]]
        # The guest's kernel powered it down: its own shutdown, once more.
        [ "$(in_container grep -c "reboot: Power down" /var/log/qemu-vm/cloud1/serial.log)" -eq $((downs + 1)) ]
}

@test "host shutdown: three real guests, each powered off by its own systemd, all at once" {
        local vm
        for vm in fleet-a fleet-b fleet-c; do
                put_file "/etc/qemu/vms/$vm.conf" <<CONF
[vm]
memory = 768M
firmware = uefi
accel = tcg
shutdown_timeout = 180
ready = agent
ready_timeout = 900
autostart = yes
[disk.root]
backing = $IMAGE
[cloud-init]
[agent]
shutdown_after = 170
[net.nat]
CONF
        done
        in_container systemctl daemon-reload
        # Started together; each start returns once its guest's agent answers.
        in_container systemctl start qemu-vm@fleet-a qemu-vm@fleet-b qemu-vm@fleet-c
        local since stopped_ms
        since=$(in_container date +%s)
        # The VMs stop after the target (they are ordered before it): until the last is gone.
        stopped_ms=$(in_container sh -c 't0=$(date +%s%N); systemctl stop machines.target
                while systemctl list-units --no-legend --state=active,deactivating "qemu-vm@fleet-*" | grep -q .; do
                        [ $(($(date +%s%N) - t0)) -lt 400000000000 ] || break
                        sleep 0.2
                done
                echo $((($(date +%s%N) - t0) / 1000000))')
        echo "# three real guests powered off in $stopped_ms ms" >&3
        for vm in fleet-a fleet-b fleet-c; do
                [ "$(in_container systemctl is-active "qemu-vm@$vm")" = inactive ]
                run in_container journalctl -u "qemu-vm@$vm" --no-pager -o cat --since "@$since"
                [[ "$output" == *"Guest powered off (SHUTDOWN event: guest=true, reason=guest-shutdown)."* ]]
                [[ "$output" != *"asking its guest agent"* && "$output" != *"asking QEMU to quit"* ]]
                in_container grep -q "reboot: Power down" "/var/log/qemu-vm/$vm/serial.log"
        done
        # In parallel: every power button was pressed within seconds of the first.
        run in_container sh -c "journalctl --no-pager -o short-unix --since @$since -u 'qemu-vm@fleet-*' |
                grep \"Pressing the guest's power button\" | cut -d' ' -f1"
        [ "${#lines[@]}" -eq 3 ]
        awk -v a="${lines[0]}" -v c="${lines[2]}" 'BEGIN { exit !(c - a < 5) }'
}
