#!/usr/bin/env bats
# qemu-vmctl without systemd or root: what it reads from VM files (show, list), its refusals and its
# exit codes. Against running VMs it is tested in tests/system/ctl.bats.
# VMCTL and GENERATOR come from meson (tests/meson.build).

bats_require_minimum_version 1.5.0

setup() {
        export QEMU_VM_CONFIG_DIR=$BATS_TEST_TMPDIR/vms
        export QEMU_VM_DEFAULTS=/nonexistent
        export QEMU_VM_MACHINE_ID=0123456789abcdef0123456789abcdef
        export QEMU_VM_FIRMWARE_DIR=$BATS_TEST_DIRNAME/firmware
        # No system bus: states are unknown, and nothing can reach a real systemd.
        export DBUS_SYSTEM_BUS_ADDRESS=unix:path=/nonexistent
        mkdir -p "$QEMU_VM_CONFIG_DIR"
        cp "$BATS_TEST_DIRNAME/fixtures/example-web01.conf" "$QEMU_VM_CONFIG_DIR/web01.conf"
        printf '[vm]\nmemory = lots\n' >"$QEMU_VM_CONFIG_DIR/broken.conf"
        printf '[vm]\nfirmware = bios\nprotect = yes\n' >"$QEMU_VM_CONFIG_DIR/guarded.conf"
}

json_get() {
        /usr/bin/python3 -c 'import json, sys; d = json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"
}

@test "help, unknown commands and options: usage errors exit 2" {
        run "$VMCTL" --help
        [ "$status" -eq 0 ]
        for cmd in list status show start stop restart console destroy attach-disk detach-disk agent check-host; do
                [[ "$output" == *"  $cmd"* ]]
        done
        run "$VMCTL"
        [ "$status" -eq 2 ]
        run "$VMCTL" frobnicate
        [ "$status" -eq 2 ]
        [[ "$output" == *"Unknown command 'frobnicate'"* ]]
        run "$VMCTL" show
        [ "$status" -eq 2 ]
        run "$VMCTL" list --frob
        [ "$status" -eq 2 ]
        run "$VMCTL" start web01 --timeout soon
        [ "$status" -eq 2 ]
        run "$VMCTL" attach-disk web01 /x --format vmdk
        [ "$status" -eq 2 ]
        run --separate-stderr "$VMCTL" console web01 --json
        [ "$status" -eq 3 ]
        [ "$(json_get '(d["running"], d["socket"], d["log"])' <<<"$output")" = \
                "(False, '/run/qemu-vm/web01/serial.sock', '/var/log/qemu-vm/web01/serial.log')" ]
        run "$VMCTL" --version
        [ "$status" -eq 0 ]
        [[ "$output" == "qemu-vmctl "[0-9]* ]]
}

@test "show: every key after defaults, and the generator's own ExecStart= argv" {
        run "$VMCTL" show web01
        [ "$status" -eq 0 ]
        [[ "$output" == *"[vm]"*"memory = 2G"*"hotplug_slots = 4"*"[tpm]"*"model = crb"*"[disk.root]"*"size = 20G"* ]]
        [[ "$output" == *"/usr/bin/qemu-system-x86_64 \\"*"    -name web01,debug-threads=on \\"* ]]

        run "$VMCTL" show web01 --json
        [ "$status" -eq 0 ]
        local shown written
        shown=$(json_get '"\n".join(d["qemu_argv"])' <<<"$output")
        written=$("$GENERATOR" --dry-run 2>/dev/null | /usr/bin/python3 -c '
import shlex, sys
text = sys.stdin.read().split("# /run/systemd/generator/qemu-vm@web01.service.d/")[1]
start = text.index("ExecStart=") + len("ExecStart=")
lines = []
for line in text[start:].splitlines():
    lines.append(line.rstrip("\\"))
    if not line.endswith("\\"):
        break
argv = shlex.split(" ".join(lines))
# qemu-vm-prepare runs first and becomes QEMU: QEMU'"'"'s argv follows its "--".
print("\n".join(a.replace("%%", "%").replace("$$", "$") for a in argv[argv.index("--") + 1:]))')
        [ -n "$written" ]
        [ "$shown" = "$written" ]
        [ "$(json_get 'd["config"]["net.lan"]["forward"]' <<<"$output")" = "['tcp:127.0.0.1:2222-:22']" ]
}

@test "show of a broken file exits 5 with its errors; an unknown VM exits 4" {
        run "$VMCTL" show broken
        [ "$status" -eq 5 ]
        [[ "$output" == *"$QEMU_VM_CONFIG_DIR/broken.conf:2: "* ]]
        run "$VMCTL" show nosuchvm
        [ "$status" -eq 4 ]
        [[ "$output" == *"No VM 'nosuchvm'"* ]]
}

@test "list: every VM, broken ones with their error, states unknown without systemd; --json parses" {
        run "$VMCTL" list
        [ "$status" -eq 0 ]
        [[ "$output" == *"states are shown as unknown"* ]]
        [[ "$output" =~ web01\ +unknown\ +no\ +2\ +2G\ +root\ +lan=user/ ]]
        [[ "$output" =~ broken\ +unknown\ .*"broken: $QEMU_VM_CONFIG_DIR/broken.conf:2: " ]]

        run --separate-stderr "$VMCTL" list --json
        [ "$status" -eq 0 ]
        [ "$(json_get '[(v["name"], v["valid"]) for v in d]' <<<"$output")" = \
                "[('broken', False), ('guarded', True), ('web01', True)]" ]
        [ "$(json_get '[v for v in d if v["name"] == "web01"][0]["nics"][0]["mode"]' <<<"$output")" = user ]
}

@test "destroy: refused for a broken file, for protect = yes, and without --force; nothing changes" {
        local before
        before=$(ls -R "$QEMU_VM_CONFIG_DIR")
        run "$VMCTL" destroy broken --force
        [ "$status" -eq 5 ]
        [[ "$output" == *"its file has errors"* ]]
        run "$VMCTL" destroy guarded --force
        [ "$status" -eq 5 ]
        [[ "$output" == *"it has protect = yes"* ]]
        run "$VMCTL" destroy web01
        [ "$status" -eq 5 ]
        [[ "$output" == *"remove  $QEMU_VM_CONFIG_DIR/web01.conf"* ]]
        [[ "$output" == *"nothing was changed"* ]]
        run "$VMCTL" destroy web01 --force --remove-disks nosuch
        [ "$status" -eq 2 ]
        [ "$(ls -R "$QEMU_VM_CONFIG_DIR")" = "$before" ]
}

@test "without systemd: status fails clearly; attach-disk checks its path before anything else" {
        run "$VMCTL" status web01
        [ "$status" -eq 1 ]
        [[ "$output" == *"Cannot connect to systemd over D-Bus"* ]]
        run "$VMCTL" attach-disk web01 "$BATS_TEST_TMPDIR/missing.qcow2"
        [ "$status" -eq 1 ]
        [[ "$output" == *"missing.qcow2: No such file or directory"* ]]
        run "$VMCTL" attach-disk web01 "$BATS_TEST_TMPDIR"
        [ "$status" -eq 1 ]
        [[ "$output" == *"not a regular file or block device"* ]]
        run "$VMCTL" attach-disk nosuchvm /dev/null
        [ "$status" -eq 4 ]
        touch "$BATS_TEST_TMPDIR/scratch.img"
        run "$VMCTL" attach-disk web01 "$BATS_TEST_TMPDIR/scratch.img" --id 'bad/id'
        [ "$status" -eq 2 ]
        [[ "$output" == *"Invalid disk ID 'bad/id'"* ]]
        # A link, last or in a directory, is never followed (QEMU's user may have planted it).
        ln -s "$BATS_TEST_TMPDIR/scratch.img" "$BATS_TEST_TMPDIR/link.img"
        ln -s "$BATS_TEST_TMPDIR" "$BATS_TEST_TMPDIR/dirlink"
        for path in "$BATS_TEST_TMPDIR/link.img" "$BATS_TEST_TMPDIR/dirlink/scratch.img"; do
                run "$VMCTL" attach-disk web01 "$path"
                [ "$status" -eq 1 ]
                [[ "$output" == *"Cannot attach $path: the path runs through a symbolic link, which qemu-vmctl does not follow"* ]]
        done
}

@test "console of a VM without a serial console says so" {
        printf '[vm]\nfirmware = bios\n[serial]\nenabled = no\n' >"$QEMU_VM_CONFIG_DIR/quiet.conf"
        run "$VMCTL" console quiet
        [ "$status" -eq 1 ]
        [[ "$output" == *"VM quiet has no serial console ([serial] enabled = no, or its file has errors)."* ]]
}

@test "agent: a VM without [agent] says so; an unknown agent command is a usage error; a stopped VM exits 3" {
        run "$VMCTL" agent web01 ping
        [ "$status" -eq 1 ]
        [[ "$output" == *"VM web01 has no guest agent channel ([agent] in its file, then a restart)."* ]]
        run "$VMCTL" agent web01 reboot
        [ "$status" -eq 2 ]
        [[ "$output" == *"Unknown agent command 'reboot' (ping, info, fsfreeze, fsthaw, fsfreeze-status)."* ]]
        printf '[vm]\nfirmware = bios\n[agent]\n' >"$QEMU_VM_CONFIG_DIR/agented.conf"
        run "$VMCTL" agent agented info
        [ "$status" -ne 0 ]
        [[ "$output" == *"Cannot talk to the guest agent of VM agented"* ]]
}

@test "destroy never deletes what another VM uses, nor the files behind a symbolic-link drop-in directory" {
        local tmp=$BATS_TEST_TMPDIR
        touch "$tmp/shared.qcow2"
        mkdir "$tmp/shared.d"
        printf '[vm]\ncpus = 2\n' >"$tmp/shared.d/10-cpus.conf"
        printf '[vm]\nfirmware = bios\n[disk.data]\npath = %s\n' "$tmp/shared.qcow2" >"$QEMU_VM_CONFIG_DIR/one.conf"
        printf '[vm]\nfirmware = bios\n[disk.root]\nsize = 1G\nbacking = %s\n' "$tmp/shared.qcow2" >"$QEMU_VM_CONFIG_DIR/two.conf"
        ln -s "$tmp/shared.d" "$QEMU_VM_CONFIG_DIR/one.conf.d"
        run "$VMCTL" destroy one --remove-disks data
        [ "$status" -eq 5 ]
        [[ "$output" == *"kept    $tmp/shared.qcow2: disk 'data' is also used by VM two"* ]]
        [[ "$output" == *"remove  $QEMU_VM_CONFIG_DIR/one.conf.d"$'\n'* ]]
        [[ "$output" != *"10-cpus.conf"* ]]
}

@test "destroy of a VM refused only for a clash with another VM lists its plan: removing it is the fix" {
        printf '[vm]\nfirmware = bios\n[net.lan]\nmac = 52:54:00:00:00:01\n' >"$QEMU_VM_CONFIG_DIR/orig.conf"
        cp "$QEMU_VM_CONFIG_DIR/orig.conf" "$QEMU_VM_CONFIG_DIR/copy.conf"
        run "$VMCTL" show copy
        [ "$status" -eq 5 ]
        [[ "$output" == *"52:54:00:00:00:01"* ]]
        run "$VMCTL" destroy copy
        [ "$status" -eq 5 ]
        [[ "$output" == *"remove  $QEMU_VM_CONFIG_DIR/copy.conf"* ]]
        [[ "$output" == *"Refusing to destroy VM copy without --force"* ]]
}
