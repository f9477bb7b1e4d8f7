#!/usr/bin/env bats
# qemu-vmctl snapshot against systemd booted in a container and the test guest under QEMU TCG: every
# writable disk with the NVRAM and the TPM state, all or nothing; of a stopped VM (qemu-img as the VM's
# user, its start held off) and of a running one (QEMU's snapshot-save, or its disks alone); revert,
# delete, the refusals, and links QEMU's or swtpm's user planted.
# The guest counts its boots on its first disk (bootcount=N): a revert shows in the next count.
# BUILD_DIR and SOURCE_ROOT come from meson (tests/meson.build).

load helpers

setup_file() {
        system_suite_setup
        in_container mkdir -p /srv/vm-disks
        # snap: UEFI (NVRAM), a TPM, a disk in its state directory and one outside.
        GUEST_FIRMWARE=uefi guest_vm snap "" "[disk.root]" "size = 64M" \
                "[disk.data]" "path = /srv/vm-disks/snap-data.qcow2" "size = 16M" "[tpm]"
        guest_vm rawvm "" "[disk.root]" "size = 16M" "format = raw"
        # owner writes /srv/vm-disks/shared.qcow2, reader reads it.
        guest_vm owner "" "[disk.root]" "path = /srv/vm-disks/shared.qcow2" "size = 16M"
        guest_vm reader "" "[disk.peek]" "path = /srv/vm-disks/shared.qcow2" "readonly = yes"
        in_container systemctl daemon-reload
        in_container systemctl start qemu-vm@snap
        wait_for_serial snap "QEMU-VM-GUEST: ready" 1
        in_container systemctl stop qemu-vm@snap
        in_container systemctl start qemu-vm@owner
        in_container systemctl stop qemu-vm@owner
}

teardown_file() {
        system_suite_teardown
}

# boots N: the guest's Nth "bootcount=" line (the count it found on its disk, plus one).
boots() {
        in_container grep -ao 'QEMU-VM-GUEST: bootcount=[0-9]*' /var/log/qemu-vm/snap/serial.log | sed -n "$1p" | cut -d= -f2
}

tpm_ek() {
        in_container grep -ao 'QEMU-VM-GUEST: tpm-ek=[0-9a-z-]*' /var/log/qemu-vm/snap/serial.log | sed -n "$1p" | cut -d= -f2
}

boot_snap() {
        local n=$1
        in_container systemctl start qemu-vm@snap
        wait_for_serial snap "QEMU-VM-GUEST: ready" "$n"
}

sum() {
        in_container sha256sum "$1" | cut -d' ' -f1
}

disk_snapshots() {
        in_container qemu-img snapshot -l -U "$1" | awk 'NR > 2 { print $2 }' | sort | tr '\n' ' '
}

@test "a stopped VM: the snapshot holds every writable disk, the NVRAM and the TPM state; list says it is complete" {
        [ "$(boots 1)" = 1 ]
        run vmctl snapshot snap create before
        echo "$output"
        [ "$status" -eq 0 ]
        [[ "$output" == *"Snapshot before of VM snap: disks root, data; NVRAM; TPM state."* ]]
        [[ "$output" == *"What it holds: disks of the stopped VM."* ]]
        [ "$(disk_snapshots /var/lib/qemu-vm/snap/root.qcow2)" = "before " ]
        [ "$(disk_snapshots /srv/vm-disks/snap-data.qcow2)" = "before " ]
        # The NVRAM and TPM state copies are root's alone, byte for byte the VM's.
        local dir=/var/lib/qemu-vm-snapshots/snap/before
        [ "$(in_container stat -c '%U %a' /var/lib/qemu-vm-snapshots/snap)" = "root 700" ]
        [ "$(sum $dir/nvram.fd)" = "$(sum /var/lib/qemu-vm/snap/nvram.fd)" ]
        [ "$(sum $dir/tpm/tpm2-00.permall)" = "$(sum /var/lib/swtpm/snap/tpm2-00.permall)" ]
        run vmctl --json snapshot snap list
        [ "$status" -eq 0 ]
        [ "$(json_get '[(s["name"], s["kind"], s["state"], s["nvram"], s["tpm"]) for s in d["snapshots"]]' <<<"$output")" = \
                "[('before', 'disks', 'complete', True, ['tpm2-00.permall'])]" ]
}

@test "revert: the disks, NVRAM and TPM state are the snapshot's again, and the guest boots from them" {
        local nvram tpm
        nvram=$(sum /var/lib/qemu-vm-snapshots/snap/before/nvram.fd)
        tpm=$(sum /var/lib/qemu-vm-snapshots/snap/before/tpm/tpm2-00.permall)
        boot_snap 2
        [ "$(boots 2)" = 2 ]
        in_container systemctl stop qemu-vm@snap
        # What is lost after the snapshot: the NVRAM overwritten, the TPM state gone (a new EK next time).
        in_container runuser -u vm-snap -- dd if=/dev/urandom of=/var/lib/qemu-vm/snap/nvram.fd bs=4096 count=4 \
                conv=notrunc status=none
        in_container sh -c 'rm /var/lib/swtpm/snap/tpm2-*'
        run vmctl snapshot snap revert before
        echo "$output"
        [ "$status" -eq 0 ]
        [[ "$output" == *"VM snap reverted to snapshot before: disks root, data; NVRAM; TPM state."* ]]
        [ "$(sum /var/lib/qemu-vm/snap/nvram.fd)" = "$nvram" ]
        [ "$(sum /var/lib/swtpm/snap/tpm2-00.permall)" = "$tpm" ]
        [ "$(in_container stat -c '%U %a' /var/lib/qemu-vm/snap/nvram.fd)" = "vm-snap 600" ]
        [ "$(in_container stat -c '%U %a' /var/lib/swtpm/snap/tpm2-00.permall)" = "tpm-snap 600" ]
        # The disk holds the count of the first boot again: this boot finds 1 and writes 2.
        boot_snap 3
        [ "$(boots 3)" = 2 ]
        [ "$(tpm_ek 3)" = "$(tpm_ek 1)" ]
}

@test "a running VM: disks and memory without stopping it; --disk-only says it is crash-consistent without an agent" {
        local pid
        pid=$(in_container systemctl show -p MainPID --value qemu-vm@snap)
        run vmctl snapshot snap create live
        echo "$output"
        [ "$status" -eq 0 ]
        [[ "$output" == *"What it holds: disks, memory and devices of the running VM."* ]]
        run vmctl snapshot snap create live-disks --disk-only
        echo "$output"
        [ "$status" -eq 0 ]
        [[ "$output" == *"What it holds: disks of the running VM, crash-consistent (no guest agent froze its file systems)."* ]]
        [ "$(in_container systemctl is-active qemu-vm@snap)" = active ]
        [ "$(in_container systemctl show -p MainPID --value qemu-vm@snap)" = "$pid" ]
        run vmctl --json snapshot snap list
        [ "$(json_get '[(s["name"], s["kind"], s["state"]) for s in d["snapshots"]]' <<<"$output")" = \
                "[('before', 'disks', 'complete'), ('live', 'disks+ram', 'complete'), ('live-disks', 'disks', 'complete')]" ]
        # Revert only on a stopped VM.
        run vmctl snapshot snap revert before
        [ "$status" -eq 5 ]
        [[ "$output" == *"VM snap is running: revert works on a stopped VM only"* ]]
        # The running guest's count was 2 at the snapshot: the next boot finds 2, the one after 3;
        # reverted to 'live', the boot after finds 2 again.
        in_container systemctl stop qemu-vm@snap
        boot_snap 4
        [ "$(boots 4)" = 3 ]
        in_container systemctl stop qemu-vm@snap
        run vmctl snapshot snap revert live
        echo "$output"
        [ "$status" -eq 0 ]
        [[ "$output" == *"The snapshot's memory is not resumed"* ]]
        boot_snap 5
        [ "$(boots 5)" = 3 ]
}

@test "delete: one snapshot leaves every disk and the record, running or stopped; the others stay" {
        run vmctl snapshot snap delete live-disks
        echo "$output"
        [ "$status" -eq 0 ]
        [[ "$output" == *"Snapshot live-disks of VM snap deleted."* ]]
        in_container systemctl stop qemu-vm@snap
        [ "$(disk_snapshots /var/lib/qemu-vm/snap/root.qcow2)" = "before live " ]
        [ "$(disk_snapshots /srv/vm-disks/snap-data.qcow2)" = "before live " ]
        run vmctl snapshot snap delete live
        [ "$status" -eq 0 ]
        [ "$(disk_snapshots /var/lib/qemu-vm/snap/root.qcow2)" = "before " ]
        [ "$(disk_snapshots /srv/vm-disks/snap-data.qcow2)" = "before " ]
        [ "$(in_container ls /var/lib/qemu-vm-snapshots/snap)" = before ]
        run vmctl snapshot snap delete live
        [ "$status" -eq 1 ]
        [[ "$output" == *"VM snap has no snapshot named 'live'"* ]]
}

@test "refused, changing nothing: a raw disk, a disk another VM uses, a name taken, a bad name" {
        run vmctl snapshot rawvm create s1
        [ "$status" -eq 5 ]
        [[ "$output" == *"VM rawvm: disk 'root' (/var/lib/qemu-vm/rawvm/root.img) is raw: only qcow2 disks hold snapshots."* ]]
        run vmctl snapshot owner create s1
        [ "$status" -eq 5 ]
        [[ "$output" == *"disk 'root' (/srv/vm-disks/shared.qcow2) is shared with VM reader"* ]]
        [ "$(disk_snapshots /srv/vm-disks/shared.qcow2)" = "" ]
        run vmctl snapshot snap create before
        [ "$status" -eq 5 ]
        [[ "$output" == *"VM snap already has a snapshot named 'before'"* ]]
        run vmctl snapshot snap create 1
        [ "$status" -eq 2 ]
        [[ "$output" == *"Invalid snapshot name '1'"* ]]
        # A snapshot made by hand under that name: qemu-img would take a second one of the same name.
        in_container qemu-img snapshot -c byhand /srv/vm-disks/snap-data.qcow2
        run vmctl snapshot snap create byhand
        [ "$status" -eq 5 ]
        [[ "$output" == *"disk 'data' already holds a snapshot named 'byhand' that qemu-vmctl did not record"* ]]
        in_container qemu-img snapshot -d byhand /srv/vm-disks/snap-data.qcow2
        # A disk made anew under the same path is not the disk the snapshot was made of.
        in_container mv /srv/vm-disks/snap-data.qcow2 /srv/vm-disks/snap-data.keep
        in_container qemu-img create -q -f qcow2 /srv/vm-disks/snap-data.qcow2 16M
        in_container chown vm-snap:vm-snap /srv/vm-disks/snap-data.qcow2
        run vmctl snapshot snap revert before
        [ "$status" -eq 5 ]
        [[ "$output" == *"VM snap: its writable disks are not those snapshot before was made of"* ]]
        in_container mv -f /srv/vm-disks/snap-data.keep /srv/vm-disks/snap-data.qcow2
        [ "$(disk_snapshots /var/lib/qemu-vm/snap/root.qcow2)" = "before " ]
        [ "$(in_container ls -A /var/lib/qemu-vm-snapshots/snap)" = before ]
}

@test "a start waits while qemu-vmctl holds the stopped VM's lock" {
        in_container systemd-run --unit=hold-lock sh -c "mkdir -p /run/qemu-vm-lock && exec flock /run/qemu-vm-lock/snap.lock sleep 6"
        sleep 1
        in_container systemctl start --no-block qemu-vm@snap
        sleep 3
        [ "$(in_container systemctl is-active qemu-vm@snap)" = activating ]
        wait_for_serial snap "QEMU-VM-GUEST: ready" 6
        [ "$(in_container systemctl is-active qemu-vm@snap)" = active ]
        in_container systemctl stop qemu-vm@snap
}

@test "links QEMU's and swtpm's users plant are never followed: no snapshot, no disk touched, the target unchanged" {
        local shadow
        shadow=$(sum /etc/shadow)
        # QEMU's user swaps its NVRAM for a link to a file of root's.
        in_container runuser -u vm-snap -- mv /var/lib/qemu-vm/snap/nvram.fd /var/lib/qemu-vm/snap/nvram.real
        in_container runuser -u vm-snap -- ln -s /etc/shadow /var/lib/qemu-vm/snap/nvram.fd
        run vmctl snapshot snap create evil
        echo "$output"
        [ "$status" -eq 1 ]
        [[ "$output" == *"/var/lib/qemu-vm/snap/nvram.fd is not a regular file of its directory's owner"* ]]
        [[ "$output" == *"No snapshot of VM snap was made."* ]]
        [ "$(disk_snapshots /var/lib/qemu-vm/snap/root.qcow2)" = "before " ]
        [ "$(disk_snapshots /srv/vm-disks/snap-data.qcow2)" = "before " ]
        [ "$(in_container ls -A /var/lib/qemu-vm-snapshots/snap)" = before ]
        # A revert replaces the link; what it pointed to stays as it was.
        run vmctl snapshot snap revert before
        [ "$status" -eq 0 ]
        in_container test -f /var/lib/qemu-vm/snap/nvram.fd
        in_container test ! -L /var/lib/qemu-vm/snap/nvram.fd
        [ "$(sum /etc/shadow)" = "$shadow" ]
        in_container rm /var/lib/qemu-vm/snap/nvram.real
        # A FIFO does not hold root up.
        in_container runuser -u vm-snap -- mv /var/lib/qemu-vm/snap/nvram.fd /var/lib/qemu-vm/snap/nvram.real
        in_container runuser -u vm-snap -- mkfifo /var/lib/qemu-vm/snap/nvram.fd
        run vmctl snapshot snap create evil
        [ "$status" -eq 1 ]
        [[ "$output" == *"/var/lib/qemu-vm/snap/nvram.fd is not a regular file of its directory's owner"* ]]
        in_container runuser -u vm-snap -- mv -f /var/lib/qemu-vm/snap/nvram.real /var/lib/qemu-vm/snap/nvram.fd
        # swtpm's user links its state to another file.
        in_container runuser -u tpm-snap -- mv /var/lib/swtpm/snap/tpm2-00.permall /var/lib/swtpm/snap/real
        in_container runuser -u tpm-snap -- ln -s /etc/shadow /var/lib/swtpm/snap/tpm2-00.permall
        run vmctl snapshot snap create evil
        [ "$status" -eq 1 ]
        [[ "$output" == *"/var/lib/swtpm/snap/tpm2-00.permall is not a regular file of its directory's owner"* ]]
        in_container runuser -u tpm-snap -- mv -f /var/lib/swtpm/snap/real /var/lib/swtpm/snap/tpm2-00.permall
        # QEMU's user swaps its disk for a link to an image of root's: qemu-img, run as that user, cannot
        # open it.
        in_container qemu-img create -q -f qcow2 /srv/root-only.qcow2 16M
        in_container chmod 0600 /srv/root-only.qcow2
        in_container runuser -u vm-snap -- mv /var/lib/qemu-vm/snap/root.qcow2 /var/lib/qemu-vm/snap/root.real
        in_container runuser -u vm-snap -- ln -s /srv/root-only.qcow2 /var/lib/qemu-vm/snap/root.qcow2
        run vmctl snapshot snap create evil
        echo "$output"
        [ "$status" -eq 1 ]
        [[ "$output" == *"Permission denied"* ]]
        [ "$(disk_snapshots /srv/root-only.qcow2)" = "" ]
        [ "$(disk_snapshots /srv/vm-disks/snap-data.qcow2)" = "before " ]
        in_container runuser -u vm-snap -- mv -f /var/lib/qemu-vm/snap/root.real /var/lib/qemu-vm/snap/root.qcow2
        [ "$(in_container ls -A /var/lib/qemu-vm-snapshots/snap)" = before ]
}

@test "destroy removes the VM's snapshots with its disks" {
        run vmctl destroy snap --force --remove-disks data
        echo "$output"
        [ "$status" -eq 0 ]
        [[ "$output" == *"removed /var/lib/qemu-vm-snapshots/snap/before/nvram.fd"* ]]
        in_container test ! -e /var/lib/qemu-vm-snapshots/snap
}
