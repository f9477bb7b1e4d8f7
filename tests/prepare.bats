#!/usr/bin/env bats
# qemu-vm-prepare on its own: creates what is missing, never touches what exists, leaves no partial
# file, and fails with one clear line. PREPARE comes from meson.

setup() {
        dir=$BATS_TEST_TMPDIR
        template=$dir/VARS.fd
        head -c 540672 /dev/urandom >"$template"
}

no_temp_files() {
        [ -z "$(find "$1" -name '.*tmp-*')" ]
}

@test "creates a missing disk and NVRAM, with the requested size and format" {
        run "$PREPARE" --nvram "$dir/nvram.fd" --nvram-template "$template" \
                --disk "$dir/root.qcow2" --format qcow2 --size 67108864 \
                --disk "$dir/scratch.img" --format raw --size 1048576
        [ "$status" -eq 0 ]
        cmp "$template" "$dir/nvram.fd"
        qemu-img info --output=json "$dir/root.qcow2" | grep -q '"virtual-size": 67108864'
        qemu-img info --output=json "$dir/root.qcow2" | grep -q '"format": "qcow2"'
        [ "$(stat -c %s "$dir/scratch.img")" -eq 1048576 ]
        [ "$(stat -c %a "$dir/root.qcow2")" = 600 ]
        no_temp_files "$dir"
}

@test "never overwrites, truncates or resizes an existing disk or NVRAM" {
        "$PREPARE" --nvram "$dir/nvram.fd" --nvram-template "$template" --disk "$dir/root.qcow2" --format qcow2 --size 67108864
        echo "guest data" | qemu-io -f qcow2 -c 'write -P 0x61 0 4096' "$dir/root.qcow2" >/dev/null
        printf 'changed by the guest' | dd of="$dir/nvram.fd" conv=notrunc status=none
        local disk_before nvram_before
        disk_before=$(stat -c '%i %s %Y' "$dir/root.qcow2")
        nvram_before=$(md5sum <"$dir/nvram.fd")
        # A second start, now asking for a bigger disk: nothing changes.
        run "$PREPARE" --nvram "$dir/nvram.fd" --nvram-template "$template" --disk "$dir/root.qcow2" --format qcow2 --size 134217728
        [ "$status" -eq 0 ]
        [[ "$output" == *"Disk $dir/root.qcow2 exists, kept."* ]]
        [ "$(stat -c '%i %s %Y' "$dir/root.qcow2")" = "$disk_before" ]
        [ "$(md5sum <"$dir/nvram.fd")" = "$nvram_before" ]
        qemu-io -f qcow2 -c 'read -P 0x61 0 4096' "$dir/root.qcow2" | grep -q 'read 4096/4096'
}

@test "creates an overlay on a backing image" {
        qemu-img create -q -f qcow2 "$dir/base.qcow2" 32M
        run "$PREPARE" --disk "$dir/vm.qcow2" --format qcow2 --backing "$dir/base.qcow2" --backing-format qcow2
        [ "$status" -eq 0 ]
        qemu-img info --output=json "$dir/vm.qcow2" | grep -q "\"backing-filename\": \"$dir/base.qcow2\""
        qemu-img info --output=json "$dir/vm.qcow2" | grep -q '"virtual-size": 33554432'
}

@test "a missing backing image fails with one clear line and leaves nothing behind" {
        run "$PREPARE" --disk "$dir/vm.qcow2" --format qcow2 --backing "$dir/nope.qcow2" --backing-format qcow2
        [ "$status" -eq 1 ]
        [ "${#lines[@]}" -eq 1 ]
        [ "$output" = "Cannot create disk '$dir/vm.qcow2': backing image '$dir/nope.qcow2': No such file or directory" ]
        [ ! -e "$dir/vm.qcow2" ]
        no_temp_files "$dir"
}

@test "a disk that must exist but does not is one clear line" {
        run "$PREPARE" --disk "$dir/given.qcow2"
        [ "$status" -eq 1 ]
        [ "$output" = "Disk '$dir/given.qcow2' does not exist (give it a size to have it created)." ]
}

@test "a missing directory is one clear line" {
        run "$PREPARE" --disk "$dir/no/such/dir/root.qcow2" --format qcow2 --size 1048576
        [ "$status" -eq 1 ]
        [ "${#lines[@]}" -eq 1 ]
        [[ "$output" == "Cannot create disk '$dir/no/such/dir/root.qcow2': No such file or directory" ]]
}

@test "a missing cdrom or kernel is reported before anything is created" {
        run "$PREPARE" --require "$dir/install.iso" --disk "$dir/root.qcow2" --format qcow2 --size 1048576
        [ "$status" -eq 1 ]
        [[ "$output" == *"Cannot read '$dir/install.iso': No such file or directory"* ]]
}

@test "a full filesystem fails with one clear line, leaves no partial file, and the next try succeeds" {
        # A 1 MiB tmpfs in a private mount namespace (a user namespace when not root), filled up.
        mkdir -p "$dir/mnt"
        run unshare -rm sh -c '
                mount -t tmpfs -o size=1m tmpfs "$1" &&
                { head -c 2000000 /dev/zero >"$1/filler" 2>/dev/null; true; } &&
                "$2" --nvram "$1/nvram.fd" --nvram-template "$3"; echo "rc=$?";
                ls -A "$1";
                rm "$1/filler";
                "$2" --nvram "$1/nvram.fd" --nvram-template "$3"; echo "rc=$?";
                ls -A "$1"' sh "$dir/mnt" "$PREPARE" "$template" 2>&1
        [ "$status" -eq 0 ]
        [ "${lines[0]}" = "Cannot create NVRAM '$dir/mnt/nvram.fd': No space left on device" ]
        [ "${lines[1]}" = "rc=1" ]
        [ "${lines[2]}" = "filler" ]
        [ "${lines[3]}" = "Created NVRAM $dir/mnt/nvram.fd from $template." ]
        [ "${lines[4]}" = "rc=0" ]
        [ "${lines[5]}" = "nvram.fd" ]
}

@test "bad arguments are refused" {
        run "$PREPARE" --size 5
        [ "$status" -eq 2 ]
        run "$PREPARE" --disk "$dir/x" --format qcow2 --size -5
        [ "$status" -eq 2 ]
        run "$PREPARE" --nvram "$dir/x"
        [ "$status" -eq 2 ]
        # A command only after "--"; the seed is not this program's (qemu-vm-prepare-root builds it).
        run "$PREPARE" --disk "$dir/x" /bin/true
        [ "$status" -eq 2 ]
        run "$PREPARE" --cloud-init-seed "$dir/seed.iso" --instance-namespace 00000000-0000-0000-0000-000000000000 \
                --hostname h -- /bin/true
        [ "$status" -eq 2 ]
        [ ! -e "$dir/seed.iso" ]
}

@test "the unprivileged program knows none of root's steps; the root program runs no command" {
        local opt
        for opt in "--owner nobody" "--console-token $dir/t" "--cloud-init-seed $dir/seed.iso"; do
                run "$PREPARE" $opt --disk "$dir/x"
                [ "$status" -eq 2 ]
        done
        run "$PREPARE_ROOT" --owner nobody --disk "$dir/x" -- /bin/true
        [ "$status" -eq 2 ]
        run "$PREPARE_ROOT" --nvram "$dir/nvram" --nvram-template /dev/null
        [ "$status" -eq 2 ]
        [ ! -e "$dir/x" ] && [ ! -e "$dir/nvram" ] && [ ! -e "$dir/seed.iso" ]
}

@test "-- COMMAND: once everything is in place, it becomes COMMAND (QEMU), same process and arguments" {
        run "$PREPARE" --disk "$dir/root.qcow2" --format qcow2 --size 1048576 -- \
                /bin/sh -c 'echo "pid $$ args $*"; ls "$1"' sh "$dir/root.qcow2" --two
        [ "$status" -eq 0 ]
        [[ "$output" == *"pid "[0-9]*" args $dir/root.qcow2 --two"* ]]
        [[ "$output" == *"$dir/root.qcow2" ]]
        # exec, not a child: the command's exit status is prepare's.
        run "$PREPARE" --require "$dir/root.qcow2" -- /bin/sh -c 'exit 7'
        [ "$status" -eq 7 ]
}

@test "-- COMMAND: runs with SIGRTMIN+4 ignored and SIGINT blocked (machinectl poweroff and reboot)" {
        local ignored blocked
        ignored=$("$PREPARE" -- /bin/sed -n 's/^SigIgn:\t//p' /proc/self/status)
        blocked=$("$PREPARE" -- /bin/sed -n 's/^SigBlk:\t//p' /proc/self/status)
        # Bit N-1 stands for signal N: SIGRTMIN+4 is signal $(kill -l RTMIN+4), SIGINT is 2.
        (( (16#$ignored >> ($(kill -l RTMIN+4) - 1)) & 1 ))
        (( (16#$blocked >> 1) & 1 ))
        # Not so without prepare: the checks above see its doing, not this shell's.
        ignored=$(/bin/sed -n 's/^SigIgn:\t//p' /proc/self/status)
        (( ! ((16#$ignored >> ($(kill -l RTMIN+4) - 1)) & 1) ))
}

@test "-- COMMAND: when something is missing, the command never runs" {
        run "$PREPARE" --require "$dir/missing.iso" -- /bin/sh -c "touch '$dir/ran'"
        [ "$status" -eq 1 ]
        [[ "$output" == *"$dir/missing.iso"* ]]
        [ ! -e "$dir/ran" ]
        run "$PREPARE" --require "$template" -- "$dir/no-such-program"
        [ "$status" -eq 1 ]
        [[ "$output" == *"Cannot run '$dir/no-such-program': No such file or directory"* ]]
}

@test "a disk path that is a dangling symbolic link is an error, not silently skipped" {
        ln -s "$dir/elsewhere/missing.qcow2" "$dir/root.qcow2"
        run "$PREPARE" --disk "$dir/root.qcow2" --format qcow2 --size 1048576
        [ "$status" -eq 1 ]
        [ "$output" = "Disk '$dir/root.qcow2' is a symbolic link to a missing file." ]
        no_temp_files "$dir"
}

@test "temporary files left by an interrupted start are removed, other files are not" {
        head -c 100 /dev/zero >"$dir/.root.qcow2.tmp-AbC123"
        head -c 100 /dev/zero >"$dir/.other.qcow2.tmp-AbC123"
        run "$PREPARE" --disk "$dir/root.qcow2" --format qcow2 --size 1048576
        [ "$status" -eq 0 ]
        [[ "$output" == *"Removed $dir/.root.qcow2.tmp-AbC123, left over from an interrupted start."* ]]
        [ ! -e "$dir/.root.qcow2.tmp-AbC123" ]
        [ -e "$dir/.other.qcow2.tmp-AbC123" ]
        [ -f "$dir/root.qcow2" ]
}
