#!/usr/bin/env bats
# The generator as systemd runs it: real output directories, several VMs at once, --check, defaults.
# GENERATOR and SOURCE_ROOT come from meson.

setup() {
        export QEMU_VM_MACHINE_ID=0123456789abcdef0123456789abcdef
        export QEMU_VM_FIRMWARE_DIR=$SOURCE_ROOT/tests/firmware
        export QEMU_VM_DEFAULTS=/nonexistent
        export QEMU_VM_CONFIG_DIR=$BATS_TEST_TMPDIR/vms
        out=$BATS_TEST_TMPDIR/out
        mkdir -p "$QEMU_VM_CONFIG_DIR" "$out"
        printf '[vm]\nmemory = 512M\n[disk.root]\nsize = 1G\n' >"$QEMU_VM_CONFIG_DIR/good.conf"
}

@test "a bad file beside a good one: the good VM is generated, the bad one fails visibly, exit 1" {
        printf '[vm]\nmemory = lots\n' >"$QEMU_VM_CONFIG_DIR/bad.conf"
        run "$GENERATOR" "$out" "$out" "$out"
        [ "$status" -eq 1 ]
        [[ "$output" == *"bad.conf:2: invalid size 'lots' for 'memory'"* ]]
        grep -q '^        "--" "/usr/bin/qemu-system-x86_64"' "$out/qemu-vm@good.service.d/50-qemu-vm.conf"
        grep -q 'qemu-vm-config-error" ".*/bad.conf:2: invalid size' "$out/qemu-vm@bad.service.d/50-qemu-vm.conf"
        grep -q '^Type=oneshot' "$out/qemu-vm@bad.service.d/50-qemu-vm.conf"
        ! grep -q 'qemu-system' "$out/qemu-vm@bad.service.d/50-qemu-vm.conf" || false
        # Should the VM still run from before its file went bad, stopping it is still a power-down.
        grep -q '^ExecStop=".*/qemu-vm-shutdown" \\$' "$out/qemu-vm@bad.service.d/50-qemu-vm.conf"
        grep -q '"--qmp" "/run/qemu-vm/bad/qmp-shutdown.sock"' "$out/qemu-vm@bad.service.d/50-qemu-vm.conf"
}

@test "all good: exit 0, the VM's drop-in and its registration's per VM, no temporary files left" {
        printf '[vm]\n' >"$QEMU_VM_CONFIG_DIR/other.conf"
        run "$GENERATOR" "$out"
        [ "$status" -eq 0 ]
        [ -z "$output" ]
        run find "$out" -type f
        [ "${#lines[@]}" -eq 8 ]
        [ -f "$out/qemu-vm@good.service.d/50-qemu-vm.conf" ]
        [ -f "$out/qemu-vm-serial-log@good.service.d/50-qemu-vm.conf" ]
        [ -f "$out/qemu-vm-serial-log@other.service.d/50-qemu-vm.conf" ]
        [ -f "$out/qemu-vm-account@good.service.d/50-qemu-vm.conf" ]
        [ -f "$out/qemu-vm-account@other.service.d/50-qemu-vm.conf" ]
        [ -f "$out/qemu-vm@other.service.d/50-qemu-vm.conf" ]
        [ -f "$out/qemu-vm-machine@good.service.d/50-qemu-vm.conf" ]
        [ -f "$out/qemu-vm-machine@other.service.d/50-qemu-vm.conf" ]
}

@test "autostart links the template under machines.target.wants" {
        printf '[vm]\nautostart = yes\n' >"$QEMU_VM_CONFIG_DIR/auto.conf"
        run "$GENERATOR" "$out"
        [ "$status" -eq 0 ]
        [ -L "$out/machines.target.wants/qemu-vm@auto.service" ]
        [[ "$(readlink "$out/machines.target.wants/qemu-vm@auto.service")" == */qemu-vm@.service ]]
        [ ! -e "$out/machines.target.wants/qemu-vm@good.service" ]
}

@test "the same input gives the same output, byte for byte" {
        printf '[vm]\n[net.a]\n[net.b]\n' >"$QEMU_VM_CONFIG_DIR/nics.conf"
        "$GENERATOR" "$out"
        mkdir "$BATS_TEST_TMPDIR/out2"
        "$GENERATOR" "$BATS_TEST_TMPDIR/out2"
        diff -r "$out" "$BATS_TEST_TMPDIR/out2"
}

@test "the generator takes one or three directories, nothing else" {
        run "$GENERATOR"
        [ "$status" -eq 2 ]
        run "$GENERATOR" "$out" "$out"
        [ "$status" -eq 2 ]
        [[ "$output" == *"one or three output directories"* ]]
}

@test "a missing config directory is no error" {
        QEMU_VM_CONFIG_DIR=$BATS_TEST_TMPDIR/none run "$GENERATOR" "$out"
        [ "$status" -eq 0 ]
        [ -z "$(ls -A "$out")" ]
}

@test "a directory named like a config is reported and does not hide the others" {
        mkdir "$QEMU_VM_CONFIG_DIR/dir.conf"
        run "$GENERATOR" "$out"
        [ "$status" -eq 1 ]
        [[ "$output" == *"dir.conf: not a regular file"* ]]
        [ -f "$out/qemu-vm@good.service.d/50-qemu-vm.conf" ]
}

@test "a symbolic link to a config file is followed" {
        printf '[vm]\ncpus = 3\n' >"$BATS_TEST_TMPDIR/real.conf"
        ln -s "$BATS_TEST_TMPDIR/real.conf" "$QEMU_VM_CONFIG_DIR/linked.conf"
        run "$GENERATOR" "$out"
        [ "$status" -eq 0 ]
        grep -q '"-smp" "3"' "$out/qemu-vm@linked.service.d/50-qemu-vm.conf"
}

@test "an invalid file name gets no unit when it is unsafe as one" {
        printf '[vm]\n' >"$QEMU_VM_CONFIG_DIR/my vm.conf"
        run "$GENERATOR" "$out"
        [ "$status" -eq 1 ]
        [[ "$output" == *"invalid VM name 'my vm'"* ]]
        [ ! -e "$out/qemu-vm@my vm.service.d" ]
        [ -f "$out/qemu-vm@good.service.d/50-qemu-vm.conf" ]
}

@test "--check: silent and 0 for a good file, FILE:LINE and 1 for a bad one" {
        run "$GENERATOR" --check "$QEMU_VM_CONFIG_DIR/good.conf"
        [ "$status" -eq 0 ]
        [ -z "$output" ]
        printf '[vm]\ncpus = 0\n' >"$QEMU_VM_CONFIG_DIR/bad.conf"
        run "$GENERATOR" --check "$QEMU_VM_CONFIG_DIR/good.conf" "$QEMU_VM_CONFIG_DIR/bad.conf"
        [ "$status" -eq 1 ]
        [ "$output" = "$QEMU_VM_CONFIG_DIR/bad.conf:2: invalid value '0' for 'cpus' (expected a whole number from 1 to 255)" ]
}

@test "--check accepts Ansible's temporary file names, which are no VM names" {
        printf '[vm]\nmemory = 2G\n' >"$BATS_TEST_TMPDIR/tmpAbC_x1"
        run "$GENERATOR" --check "$BATS_TEST_TMPDIR/tmpAbC_x1"
        [ "$status" -eq 0 ]
        printf '[vm]\nmemory = 2Q\n' >"$BATS_TEST_TMPDIR/tmpAbC_x2"
        run "$GENERATOR" --check "$BATS_TEST_TMPDIR/tmpAbC_x2"
        [ "$status" -eq 1 ]
        [[ "$output" == *"tmpAbC_x2:2: invalid size '2Q'"* ]]
}

@test "--dry-run writes nothing and prints every file" {
        run "$GENERATOR" --dry-run
        [ "$status" -eq 0 ]
        [[ "$output" == *"# /run/systemd/generator/qemu-vm@good.service.d/50-qemu-vm.conf"* ]]
        [ -z "$(ls -A "$out")" ]
}

@test "the site defaults file applies, and each VM file overrides it" {
        export QEMU_VM_DEFAULTS=$BATS_TEST_TMPDIR/defaults.conf
        printf '[vm]\naccel = tcg\ncpus = 4\n' >"$QEMU_VM_DEFAULTS"
        printf '[vm]\ncpus = 2\n' >"$QEMU_VM_CONFIG_DIR/good.conf"
        run "$GENERATOR" --dry-run
        [ "$status" -eq 0 ]
        [[ "$output" == *'"-accel" "tcg"'* ]]
        [[ "$output" == *'"-smp" "2"'* ]]
}

@test "the defaults file may not define devices" {
        export QEMU_VM_DEFAULTS=$BATS_TEST_TMPDIR/defaults.conf
        printf '[disk.shared]\nsize = 1G\n' >"$QEMU_VM_DEFAULTS"
        run "$GENERATOR" --dry-run
        [ "$status" -eq 1 ]
        [[ "$output" == *"defaults.conf:1: section [disk.shared] is not allowed in the defaults file"* ]]
}

@test "the shipped defaults file and example VM are valid" {
        export QEMU_VM_DEFAULTS=$SOURCE_ROOT/conf.d/qemu-vm.conf
        run "$GENERATOR" --check "$SOURCE_ROOT/conf.d/examples/web01.conf"
        [ "$status" -eq 0 ]
        [ -z "$output" ]
}

@test "a drop-in directory refines a VM, later files win, non-.conf files are ignored" {
        mkdir "$QEMU_VM_CONFIG_DIR/good.conf.d"
        printf '[vm]\nmemory = 1G\n' >"$QEMU_VM_CONFIG_DIR/good.conf.d/10-a.conf"
        printf '[vm]\nmemory = 3G\n' >"$QEMU_VM_CONFIG_DIR/good.conf.d/20-b.conf"
        printf '[vm]\nmemory = 9Q\n' >"$QEMU_VM_CONFIG_DIR/good.conf.d/30-c.conf.disabled"
        run "$GENERATOR" --dry-run
        [ "$status" -eq 0 ]
        [[ "$output" == *'"-m" "3072M"'* ]]
}

@test "an error in a drop-in names the drop-in and its line" {
        mkdir "$QEMU_VM_CONFIG_DIR/good.conf.d"
        printf '[vm]\n\nfirmware = coreboot\n' >"$QEMU_VM_CONFIG_DIR/good.conf.d/10-fw.conf"
        run "$GENERATOR" --dry-run
        [ "$status" -eq 1 ]
        [[ "$output" == *"good.conf.d/10-fw.conf:3: invalid value 'coreboot' for 'firmware'"* ]]
}

@test "a FIFO named like a config is reported and does not hang the boot" {
        mkfifo "$QEMU_VM_CONFIG_DIR/fifo.conf"
        run timeout 10 "$GENERATOR" "$out"
        [ "$status" -eq 1 ]
        [[ "$output" == *"fifo.conf: not a regular file"* ]]
        [ -f "$out/qemu-vm@good.service.d/50-qemu-vm.conf" ]
}

@test "control characters in a file name never reach the unit file" {
        mkdir "$QEMU_VM_CONFIG_DIR/good.conf.d"
        local name
        name=$(printf 'x\nExecStart=evil\r.conf')
        printf '[vm]\ncpus = none\n' >"$QEMU_VM_CONFIG_DIR/good.conf.d/$name"
        run "$GENERATOR" "$out"
        [ "$status" -eq 1 ]
        ! grep -q '^ExecStart=evil' "$out/qemu-vm@good.service.d/50-qemu-vm.conf" || false
        grep -q 'good.conf.d/x?ExecStart=evil?.conf:2: invalid value' "$out/qemu-vm@good.service.d/50-qemu-vm.conf"
        [ "$(tr -cd '\r' <"$out/qemu-vm@good.service.d/50-qemu-vm.conf" | wc -c)" -eq 0 ]
}

@test "every generated drop-in is valid UTF-8 even when a file is not" {
        printf '[vm]\nfirmware = \xff\xfe\n' >"$QEMU_VM_CONFIG_DIR/latin.conf"
        run "$GENERATOR" "$out"
        [ "$status" -eq 1 ]
        [[ "$output" == *"latin.conf:2: line is not valid UTF-8"* ]]
        iconv -f UTF-8 -t UTF-8 "$out/qemu-vm@latin.service.d/50-qemu-vm.conf" >/dev/null
}

@test "run by systemd (three directories), errors also go to the kernel log" {
        [ "$(id -u)" = 0 ] || skip "needs root to read and write the kernel log"
        local name=kmsg-$RANDOM$RANDOM
        printf '[vm]\ncpus = x\n' >"$QEMU_VM_CONFIG_DIR/$name.conf"
        run "$GENERATOR" "$out" "$out" "$out"
        [ "$status" -eq 1 ]
        dmesg | grep -q "qemu-vm-generator: $QEMU_VM_CONFIG_DIR/$name.conf:2: invalid value 'x' for 'cpus'"
}

@test "run by hand (one directory), nothing goes to the kernel log" {
        [ "$(id -u)" = 0 ] || skip "needs root to read and write the kernel log"
        local name=kmsg-$RANDOM$RANDOM
        printf '[vm]\ncpus = x\n' >"$QEMU_VM_CONFIG_DIR/$name.conf"
        run "$GENERATOR" "$out"
        [ "$status" -eq 1 ]
        ! dmesg | grep -q "$name" || false
}

@test "a file larger than 1 MiB, or with a NUL byte, is refused with a clear message" {
        { printf '[vm]\n'; head -c 1100000 /dev/zero | tr '\0' '#'; } >"$QEMU_VM_CONFIG_DIR/huge.conf"
        printf '[vm]\ncpus = 1\0\n' >"$QEMU_VM_CONFIG_DIR/nul.conf"
        run "$GENERATOR" --dry-run
        [ "$status" -eq 1 ]
        [[ "$output" == *"huge.conf: file is larger than 1048576 bytes"* ]]
        [[ "$output" == *"nul.conf: file contains a NUL byte"* ]]
        [[ "$output" == *"qemu-vm@good.service.d"* ]]
}

@test "a drop-in directory that is not a directory is reported" {
        printf '[vm]\n' >"$QEMU_VM_CONFIG_DIR/good.conf.d"
        run "$GENERATOR" --dry-run
        [ "$status" -eq 1 ]
        [[ "$output" == *"good.conf.d: cannot read drop-in directory: Not a directory"* ]]
}

@test "no UEFI firmware to be found is an error naming the firmware key's line" {
        export QEMU_VM_FIRMWARE_DIR=$BATS_TEST_TMPDIR/no-firmware
        mkdir "$QEMU_VM_FIRMWARE_DIR"
        printf '[vm]\nfirmware = uefi\n' >"$QEMU_VM_CONFIG_DIR/good.conf"
        run "$GENERATOR" --dry-run
        [ "$status" -eq 1 ]
        [[ "$output" == *"good.conf:2: no uefi firmware found for machine 'q35' (install ovmf, or set firmware_code and firmware_vars)"* ]]
}

@test "an unreadable file is reported with the reason, the other VMs are generated" {
        printf '[vm]\n' >"$QEMU_VM_CONFIG_DIR/secret.conf"
        chmod 000 "$QEMU_VM_CONFIG_DIR/secret.conf"
        # root reads anything: then run it without the capabilities that override file permissions.
        local as=()
        [ "$(id -u)" != 0 ] || as=(setpriv --bounding-set=-dac_override,-dac_read_search)
        run "${as[@]}" "$GENERATOR" "$out"
        [ "$status" -eq 1 ]
        [[ "$output" == *"secret.conf: cannot read: Permission denied"* ]]
        [ -f "$out/qemu-vm@good.service.d/50-qemu-vm.conf" ]
        grep -q 'secret.conf: cannot read: Permission denied' "$out/qemu-vm@secret.service.d/50-qemu-vm.conf"
}

@test "dangling and looping symbolic links, and a link to a directory, are reported; the others are generated" {
        ln -s "$BATS_TEST_TMPDIR/gone.conf" "$QEMU_VM_CONFIG_DIR/dangling.conf"
        ln -s loop.conf "$QEMU_VM_CONFIG_DIR/loop.conf"
        ln -s /etc "$QEMU_VM_CONFIG_DIR/etc.conf"
        run "$GENERATOR" "$out"
        [ "$status" -eq 1 ]
        [[ "$output" == *"dangling.conf: cannot read: No such file or directory"* ]]
        [[ "$output" == *"loop.conf: cannot read: Too many levels of symbolic links"* ]]
        [[ "$output" == *"etc.conf: not a regular file"* ]]
        [ -f "$out/qemu-vm@good.service.d/50-qemu-vm.conf" ]
        [ "$(ls "$out" | grep -c '^qemu-vm@')" -eq 4 ]
}

@test "5000 files: every good VM generated, every bad one and nothing else refused, others ignored" {
        local i
        for i in $(seq 1 2000); do
                printf '[vm]\nmemory = 256M\n' >"$QEMU_VM_CONFIG_DIR/vm$i.conf"
                printf '[vm]\ncpus = %d000\n' "$i" >"$QEMU_VM_CONFIG_DIR/bad$i.conf"
                : >"$QEMU_VM_CONFIG_DIR/vm$i.conf.rpmsave"
        done
        for i in $(seq 1 1000); do : >"$QEMU_VM_CONFIG_DIR/.hidden$i.conf"; done
        run "$GENERATOR" "$out"
        [ "$status" -eq 1 ]
        [ "$(grep -c "invalid value '[0-9]*000' for 'cpus'" <<<"$output")" -eq 2000 ]
        [ "$(grep -c 'ignoring this VM' <<<"$output")" -eq 2000 ]
        [ "$(grep -l '^        "--" "/usr/bin/qemu-system' "$out"/qemu-vm@vm*.service.d/50-qemu-vm.conf | wc -l)" -eq 2000 ]
        grep -q '^        "--" "/usr/bin/qemu-system' "$out/qemu-vm@good.service.d/50-qemu-vm.conf"
        [ ! -e "$out/qemu-vm@.hidden1.service.d" ]
}

@test "a password_hash in a file others can read is warned of with file and line; a private file is not" {
        local hash='$6$saltsalt$Ui6cXUYSyPZB7wH0W.YwUt8FrHAR4Vj6m9.rYmCqwFKl7mcb4/BH0zNXRhJT8E6Ofuyad/9W7YrhnzC0T5p1N1'
        printf '[vm]\nfirmware = bios\n\n[cloud-init]\n\n[user.alice]\npassword_hash = %s\n' "$hash" >"$QEMU_VM_CONFIG_DIR/web01.conf"
        chmod 0644 "$QEMU_VM_CONFIG_DIR/web01.conf"
        run "$GENERATOR" --check "$QEMU_VM_CONFIG_DIR/web01.conf"
        [ "$status" -eq 0 ]
        [[ "$output" == *"$QEMU_VM_CONFIG_DIR/web01.conf:7: password_hash is in a file every local user can read (mode 0644): make it 0600"* ]]
        run "$GENERATOR" --dry-run
        [ "$status" -eq 0 ]
        [[ "$output" == *"$QEMU_VM_CONFIG_DIR/web01.conf:7: password_hash is in a file every local user can read"* ]]
        chmod 0640 "$QEMU_VM_CONFIG_DIR/web01.conf"
        run "$GENERATOR" --check "$QEMU_VM_CONFIG_DIR/web01.conf"
        [ "$status" -eq 0 ]
        [ -z "$output" ]
        # No hash, no warning, whatever the mode.
        printf '[vm]\nfirmware = bios\n' >"$QEMU_VM_CONFIG_DIR/web01.conf"
        chmod 0644 "$QEMU_VM_CONFIG_DIR/web01.conf"
        run "$GENERATOR" --check "$QEMU_VM_CONFIG_DIR/web01.conf"
        [ -z "$output" ]
}
