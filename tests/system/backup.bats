#!/usr/bin/env bats
# qemu-vmctl backup and backup-list against systemd booted in a container and the test guest under QEMU
# TCG: a full, then an incremental backup of the running VM (blockdev-backup, persistent dirty bitmaps),
# a full one of the stopped VM (qemu-img as the VM's user), each a checksummed copy of the disks, the
# NVRAM, the TPM state and the configuration at its instant; a target file system that fills up; the
# refusals. The guest counts its boots on its first disk (bootcount=N), so each boot changes the disk.
# BUILD_DIR and SOURCE_ROOT come from meson (tests/meson.build).

load helpers

setup_file() {
        system_suite_setup
        in_container mkdir -p /srv/vm-disks /srv/backup
        # bk: UEFI (NVRAM), a TPM, a disk in its state directory and one outside.
        GUEST_FIRMWARE=uefi guest_vm bk "" "[disk.root]" "size = 64M" \
                "[disk.data]" "path = /srv/vm-disks/bk-data.qcow2" "size = 16M" "[tpm]"
        printf '# The admin'"'"'s own note: a drop-in, which the backup keeps too.\n' |
                put_file /etc/qemu/vms/bk.conf.d/10-note.conf
        guest_vm rawvm "" "[disk.root]" "size = 16M" "format = raw"
        in_container systemctl daemon-reload
        in_container systemctl start qemu-vm@bk
        wait_for_serial bk "QEMU-VM-GUEST: ready" 1
        # 8 MiB of data on the root disk, as a guest's files would be, for the full copy to carry.
        in_container systemctl stop qemu-vm@bk
        in_container qemu-io -f qcow2 -c "write -P 0x5a 8M 8M" /var/lib/qemu-vm/bk/root.qcow2 >/dev/null
        in_container systemctl start qemu-vm@bk
        wait_for_serial bk "QEMU-VM-GUEST: ready" 2
}

teardown_file() {
        system_suite_teardown
}

sum() {
        in_container sha256sum "$1" | cut -d' ' -f1
}

# The IDs of bk's complete backups in /srv/backup, oldest first.
backups() {
        vmctl --json backup-list /srv/backup | json_get '" ".join(b["id"] for b in d)'
}

# Our bitmaps in a disk of the stopped VM.
bitmaps() {
        in_container qemu-img info -U --output=json "$1" |
                json_get '" ".join(sorted(b["name"] for b in d.get("format-specific", {}).get("data", {}).get("bitmaps", [])))'
}

# Every file the manifest of backup DIR names has its size and checksum; the manifest names them all.
check_manifest() {
        local dir=$1 listed actual
        listed=$(in_container cat "$dir/manifest.json" | json_get '"\n".join(sorted(d["files"]))')
        actual=$(in_container sh -c "cd '$dir' && find . -type f ! -name manifest.json | sed 's|^\./||' | sort")
        [ "$listed" = "$actual" ]
        in_container cat "$dir/manifest.json" |
                json_get '"\n".join(v["sha256"] + "  " + k for k, v in sorted(d["files"].items()))' |
                in_container sh -c "cd '$dir' && sha256sum --quiet -c -"
}

@test "a running VM: a full backup with no downtime, a whole and checksummed copy of disks, NVRAM, TPM state and configuration" {
        local pid
        pid=$(in_container systemctl show -p MainPID --value qemu-vm@bk)
        run vmctl backup bk --to /srv/backup
        echo "$output"
        [ "$status" -eq 0 ]
        local id
        id=$(backups)
        [[ "$id" =~ ^[0-9]{8}T[0-9]{6}Z$ ]]
        [[ "$output" == *"Backup $id of VM bk: full, in /srv/backup/bk/$id."* ]]
        [[ "$output" == *"NVRAM; TPM state; configuration."* ]]
        [[ "$output" == *"What it holds: disks of the running VM, crash-consistent (no guest agent froze its file systems)."* ]]
        [ "$(in_container systemctl show -p MainPID --value qemu-vm@bk)" = "$pid" ]
        local dir=/srv/backup/bk/$id
        [ "$(in_container stat -c '%U %a' /srv/backup/bk "$dir")" = "$(printf 'root 700\nroot 700')" ]
        check_manifest "$dir"
        [ "$(sum "$dir/config/etc/qemu/vms/bk.conf")" = "$(sum /etc/qemu/vms/bk.conf)" ]
        [ "$(sum "$dir/config/etc/qemu/vms/bk.conf.d/10-note.conf")" = "$(sum /etc/qemu/vms/bk.conf.d/10-note.conf)" ]
        [ "$(sum "$dir/nvram.fd")" = "$(sum /var/lib/qemu-vm/bk/nvram.fd)" ]
        [ "$(sum "$dir/tpm/tpm2-00.permall")" = "$(sum /var/lib/swtpm/bk/tpm2-00.permall)" ]
        # The guest wrote nothing since: the stopped disks are what the backup holds.
        in_container systemctl stop qemu-vm@bk
        in_container qemu-img compare -q /var/lib/qemu-vm/bk/root.qcow2 "$dir/disks/root.qcow2"
        in_container qemu-img compare -q /srv/vm-disks/bk-data.qcow2 "$dir/disks/data.qcow2"
        # Each disk keeps the record of its writes since this backup, and no other.
        [ "$(bitmaps /var/lib/qemu-vm/bk/root.qcow2)" = "qemu-vm-backup-$id" ]
        [ "$(bitmaps /srv/vm-disks/bk-data.qcow2)" = "qemu-vm-backup-$id" ]
}

@test "the next backup of the running VM is incremental: it copies only what the guest wrote, backed by the full one" {
        local full
        full=$(backups)
        in_container systemctl start qemu-vm@bk
        wait_for_serial bk "QEMU-VM-GUEST: ready" 3
        run vmctl backup bk --to /srv/backup
        echo "$output"
        [ "$status" -eq 0 ]
        local incr
        incr=$(backups | cut -d' ' -f2)
        [ "$(backups)" = "$full $incr" ]
        [[ "$output" == *"Backup $incr of VM bk: incremental after $full, in /srv/backup/bk/$incr."* ]]
        local dir=/srv/backup/bk/$incr
        check_manifest "$dir"
        [ "$(in_container qemu-img info --output=json "$dir/disks/root.qcow2" | json_get 'd["backing-filename"]')" = \
                "../../$full/disks/root.qcow2" ]
        # Only the clusters of the new boot count: far less than the full copy.
        local full_size incr_size
        full_size=$(in_container stat -c %s "/srv/backup/bk/$full/disks/root.qcow2")
        incr_size=$(in_container stat -c %s "$dir/disks/root.qcow2")
        echo "# full $full_size bytes, incremental $incr_size bytes" >&3
        [ "$full_size" -gt $((8 * 1024 * 1024)) ]
        [ "$incr_size" -lt $((1024 * 1024)) ]
        run vmctl --json backup-list /srv/backup
        [ "$(json_get '[(b["kind"], b["parent"]) for b in d]' <<<"$output")" = "[('full', None), ('incremental', '$full')]" ]
        in_container systemctl stop qemu-vm@bk
        # Through its chain the incremental holds the disk as it is now; the full one holds the earlier boot.
        in_container qemu-img compare -q /var/lib/qemu-vm/bk/root.qcow2 "$dir/disks/root.qcow2"
        run in_container qemu-img compare -q /var/lib/qemu-vm/bk/root.qcow2 "/srv/backup/bk/$full/disks/root.qcow2"
        [ "$status" -eq 1 ]
        [ "$(bitmaps /var/lib/qemu-vm/bk/root.qcow2)" = "qemu-vm-backup-$incr" ]
}

# serial NAME KEY N: the value of the guest's Nth "QEMU-VM-GUEST: KEY=" line.
serial() {
        in_container grep -ao "QEMU-VM-GUEST: $2=[0-9a-z-]*" "/var/log/qemu-vm/$1/serial.log" | sed -n "$3p" | cut -d= -f2
}

@test "restore: each point of the chain as a new VM, which boots with that point's data, NVRAM and TPM" {
        local full incr
        read -r full incr < <(backups)
        run vmctl restore "/srv/backup/bk/$full" --as bkfull
        echo "$output"
        [ "$status" -eq 0 ]
        [[ "$output" == *"VM bkfull restored from VM bk's backup $full: disks root, data; NVRAM; TPM state."* ]]
        run vmctl restore "/srv/backup/bk/$incr" --as bkincr
        echo "$output"
        [ "$status" -eq 0 ]
        [[ "$output" == *"VM bkincr restored from VM bk's backup $full, then $incr: disks root, data; NVRAM; TPM state."* ]]
        # The disks are new files of the new VM, flattened: the incremental's are bk's disks as they are now.
        [ "$(in_container stat -c '%U %a' /var/lib/qemu-vm/bkincr/root.qcow2 /var/lib/qemu-vm/bkincr/data.qcow2)" = \
                "$(printf 'vm-bkincr 600\nvm-bkincr 600')" ]
        [ "$(in_container qemu-img info --output=json /var/lib/qemu-vm/bkincr/root.qcow2 | json_get 'd.get("backing-filename")')" = None ]
        in_container qemu-img compare -q /var/lib/qemu-vm/bk/root.qcow2 /var/lib/qemu-vm/bkincr/root.qcow2
        [ "$(sum /var/lib/qemu-vm/bkincr/nvram.fd)" = "$(sum "/srv/backup/bk/$incr/nvram.fd")" ]
        [ "$(in_container stat -c '%U %a' /var/lib/swtpm/bkincr/tpm2-00.permall)" = "tpm-bkincr 600" ]
        # Each boots from the disk of its point: the full one's holds boot 2, the incremental's boot 3.
        in_container systemctl start qemu-vm@bkfull qemu-vm@bkincr
        wait_for_serial bkfull "QEMU-VM-GUEST: ready" 1
        wait_for_serial bkincr "QEMU-VM-GUEST: ready" 1
        [ "$(serial bkfull bootcount 1)" = 3 ]
        [ "$(serial bkincr bootcount 1)" = 4 ]
        # The same TPM: the same endorsement key as the VM backed up.
        [ "$(serial bkfull tpm-ek 1)" = "$(serial bk tpm-ek 1)" ]
        [ "$(serial bkincr tpm-ek 1)" = "$(serial bk tpm-ek 1)" ]
        in_container systemctl stop qemu-vm@bkfull qemu-vm@bkincr
        # Nothing existing is overwritten.
        run vmctl restore "/srv/backup/bk/$full" --as bkfull
        echo "$output"
        [ "$status" -eq 5 ]
        [[ "$output" == *"VM bkfull exists already (/etc/qemu/vms/bkfull.conf): a restore overwrites nothing."* ]]
        run vmctl restore "/srv/backup/bk/$full"
        [ "$status" -eq 5 ]
        [[ "$output" == *"VM bk exists already"* ]]
}

@test "a stopped VM: a full copy through qemu-img as the VM's user; the next live backup is incremental again" {
        run vmctl backup bk --to /srv/backup
        echo "$output"
        [ "$status" -eq 0 ]
        [[ "$output" == *"a full backup: the VM is stopped: qemu-img copies whole disks."* ]]
        [[ "$output" == *"What it holds: disks of the stopped VM."* ]]
        local offline
        offline=$(backups | cut -d' ' -f3)
        check_manifest "/srv/backup/bk/$offline"
        in_container qemu-img compare -q /var/lib/qemu-vm/bk/root.qcow2 "/srv/backup/bk/$offline/disks/root.qcow2"
        [ "$(in_container stat -c '%U %a' "/srv/backup/bk/$offline/disks/root.qcow2")" = "root 600" ]
        [ "$(bitmaps /var/lib/qemu-vm/bk/root.qcow2)" = "qemu-vm-backup-$offline" ]
        in_container systemctl start qemu-vm@bk
        wait_for_serial bk "QEMU-VM-GUEST: ready" 4
        run vmctl backup bk --to /srv/backup
        echo "$output"
        [ "$status" -eq 0 ]
        [[ "$output" == *"incremental after $offline"* ]]
}

@test "a full target file system: the backup fails clearly, leaves nothing that looks complete, the VM runs on; with room the next succeeds" {
        local pid before
        pid=$(in_container systemctl show -p MainPID --value qemu-vm@bk)
        before=$(backups)
        in_container mkdir -p /srv/small
        in_container mount -t tmpfs -o size=512k,mode=0755 tmpfs /srv/small
        run vmctl backup bk --to /srv/small --full
        echo "$output"
        [ "$status" -eq 1 ]
        [[ "$output" == *"No space left on device"* ]]
        [[ "$output" == *"No backup of VM bk was made."* ]]
        [ -z "$(in_container ls -A /srv/small/bk)" ]
        [ "$(in_container systemctl show -p MainPID --value qemu-vm@bk)" = "$pid" ]
        [ "$(in_container systemctl is-active qemu-vm@bk)" = active ]
        in_container umount /srv/small
        in_container mount -t tmpfs -o size=256m,mode=0755 tmpfs /srv/small
        run vmctl backup bk --to /srv/small
        echo "$output"
        [ "$status" -eq 0 ]
        [[ "$output" == *"full, in /srv/small/bk/"* ]]
        in_container umount /srv/small
        # The failed backup left nothing in /srv/backup either.
        [ "$(backups)" = "$before" ]
}

@test "a lost record of changes: the next backup is a full one and says why" {
        # The backup into /srv/small took over the record: the disks follow the VM's latest backup alone.
        local latest
        latest=$(backups | awk '{ print $NF }')
        run vmctl backup bk --to /srv/backup
        echo "$output"
        [ "$status" -eq 0 ]
        [[ "$output" == *"VM bk: a full backup: disk 'root' has no record of its changes since backup $latest (bitmap qemu-vm-backup-$latest missing)."* ]]
        # Lost by hand: the bitmap of one disk removed.
        latest=$(backups | awk '{ print $NF }')
        in_container systemctl stop qemu-vm@bk
        in_container qemu-img bitmap --remove /srv/vm-disks/bk-data.qcow2 "qemu-vm-backup-$latest"
        in_container systemctl start qemu-vm@bk
        wait_for_serial bk "QEMU-VM-GUEST: ready" 5
        run vmctl backup bk --to /srv/backup
        echo "$output"
        [ "$status" -eq 0 ]
        [[ "$output" == *"VM bk: a full backup: disk 'data' has no record of its changes since backup $latest (bitmap qemu-vm-backup-$latest missing)."* ]]
        [[ "$output" == *"Backup $(backups | awk '{ print $NF }') of VM bk: full, in "* ]]
}

@test "a snapshot's revert drops the record of changes, which no longer holds: the next backup is a full one" {
        local latest
        latest=$(backups | awk '{ print $NF }')
        in_container systemctl stop qemu-vm@bk
        run vmctl snapshot bk create before
        [ "$status" -eq 0 ]
        in_container systemctl start qemu-vm@bk
        wait_for_serial bk "QEMU-VM-GUEST: ready" 6
        in_container systemctl stop qemu-vm@bk
        [ "$(bitmaps /var/lib/qemu-vm/bk/root.qcow2)" = "qemu-vm-backup-$latest" ]
        run vmctl snapshot bk revert before
        echo "$output"
        [ "$status" -eq 0 ]
        [ "$(bitmaps /var/lib/qemu-vm/bk/root.qcow2)" = "" ]
        [ "$(bitmaps /srv/vm-disks/bk-data.qcow2)" = "" ]
        in_container systemctl start qemu-vm@bk
        wait_for_serial bk "QEMU-VM-GUEST: ready" 7
        run vmctl backup bk --to /srv/backup
        echo "$output"
        [ "$status" -eq 0 ]
        [[ "$output" == *"a full backup: disk 'root' has no record of its changes since backup $latest (bitmap qemu-vm-backup-$latest missing)."* ]]
}

@test "refusals: a raw disk, a backup directory another user may change, no --to" {
        run vmctl backup rawvm --to /srv/backup
        echo "$output"
        [ "$status" -eq 5 ]
        [[ "$output" == *"disk 'root' (/var/lib/qemu-vm/rawvm/root.img) is raw: only qcow2 disks keep the record of changes incremental backups need. Nothing was changed."* ]]
        in_container mkdir -p /srv/theirs
        in_container chown nobody /srv/theirs
        run vmctl backup bk --to /srv/theirs
        echo "$output"
        [ "$status" -eq 5 ]
        [[ "$output" == *"/srv/theirs is not a directory only root may change"* ]]
        [ -z "$(in_container ls -A /srv/theirs)" ]
        run vmctl backup bk
        [ "$status" -eq 2 ]
}

@test "a damaged backup: restore checks every file of the chain first and makes nothing" {
        local full incr
        read -r full incr _ < <(backups)
        # One byte of the full backup's data disk, which the incremental builds on.
        printf 'X' | in_container dd of="/srv/backup/bk/$full/disks/data.qcow2" bs=1 seek=70000 conv=notrunc status=none
        run vmctl restore "/srv/backup/bk/$incr" --as bkbad
        echo "$output"
        [ "$status" -eq 1 ]
        [[ "$output" == *"/srv/backup/bk/$full/disks/data.qcow2 does not match its checksum in the backup's manifest."* ]]
        [[ "$output" == *"Nothing of backup /srv/backup/bk/$incr was restored."* ]]
        run in_container ls -d /etc/qemu/vms/bkbad.conf /etc/qemu/vms/bkbad.conf.d /var/lib/qemu-vm/bkbad
        [ "$status" -ne 0 ]
}

@test "a forged manifest: file names leading out of the backup are refused, and nothing is written there" {
        local incr forged=29990101T000000Z
        incr=$(backups | cut -d' ' -f2)
        in_container cp -a "/srv/backup/bk/$incr" "/srv/backup/bk/$forged"
        in_container python3 -c 'import json, sys
m = json.load(open(sys.argv[1]))
m["id"] = sys.argv[2]
m["tpm"] = ["../../../../../../etc/qemu-vm-forged"]
json.dump(m, open(sys.argv[1], "w"))' "/srv/backup/bk/$forged/manifest.json" "$forged"
        run vmctl restore "/srv/backup/bk/$forged" --as bkforged
        echo "$output"
        [ "$status" -ne 0 ]
        [[ "$output" == *"/srv/backup/bk/$forged is no complete backup."* ]]
        run in_container ls -d /etc/qemu-vm-forged /etc/qemu/vms/bkforged.conf /var/lib/qemu-vm/bkforged
        [ "$status" -ne 0 ]
        in_container rm -rf "/srv/backup/bk/$forged"
}

