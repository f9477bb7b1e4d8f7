#!/usr/bin/env bats
# The schema of a VM file (lib/config-schema.c) against what reads and writes VM files: qemu-vm.conf(5)
# documents exactly its keys and defaults, and `qemu-vmctl show` prints a file that gives the same VM.
# VMCTL, GENERATOR and SOURCE_ROOT come from meson (tests/meson.build).

bats_require_minimum_version 1.5.0

setup() {
        export QEMU_VM_DEFAULTS=/nonexistent
        export QEMU_VM_MACHINE_ID=0123456789abcdef0123456789abcdef
        export QEMU_VM_FIRMWARE_DIR=$SOURCE_ROOT/tests/firmware
        export DBUS_SYSTEM_BUS_ADDRESS=unix:path=/nonexistent
        fixtures=$SOURCE_ROOT/tests/fixtures
}

@test "show prints every key of a disk, shareable included, as INI and as JSON" {
        export QEMU_VM_CONFIG_DIR=$BATS_TEST_TMPDIR/vms
        mkdir -p "$QEMU_VM_CONFIG_DIR"
        printf '[vm]\nfirmware = bios\n[disk.cluster]\npath = /srv/cluster.img\nformat = raw\nshareable = yes\n' \
                >"$QEMU_VM_CONFIG_DIR/node1.conf"
        run "$VMCTL" show node1
        [ "$status" -eq 0 ]
        [[ "$output" == *"[disk.cluster]"*"format = raw"*"shareable = yes"* ]]
        run "$VMCTL" show node1 --json
        [ "$status" -eq 0 ]
        [ "$(/usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["config"]["disk.cluster"]["shareable"])' <<<"$output")" = True ]
}

# The keys of each "# [SECTION] SECTION(S)" part of the manual, with the default its "(default: X)"
# names ("none" without one); "*a*, *b* (default: x, y)" gives a x and b y.
man_keys() {
        /usr/bin/python3 - "$SOURCE_ROOT/man/qemu-vm.conf.5.scd" <<'PYEOF'
import re, sys
section = None
for line in open(sys.argv[1]):
    m = re.match(r"# \[([a-z-]+)(\.[A-Z]+)?\] SECTIONS?$", line)
    if m:
        section = m.group(1)
        continue
    if line.startswith("# "):
        section = None
    if not section or not line.startswith("*"):
        continue
    keys = re.findall(r"\*([a-z_]+)\*", line.split("(")[0])
    m = re.search(r"\(default: (.*)\)\s*$", line)
    defaults = [m.group(1)] if m else ["none"]
    if m and len(keys) > 1 and len(m.group(1).split(", ")) == len(keys):
        defaults = m.group(1).split(", ")
    for i, key in enumerate(keys):
        print(f"{section} {key} {defaults[min(i, len(defaults) - 1)]}")
PYEOF
}

@test "every key of the schema is in qemu-vm.conf(5) with its default, and every key there is in the schema" {
        run --separate-stderr "$VMCTL" keys --json
        [ "$status" -eq 0 ]
        local table
        table=$(/usr/bin/python3 -c '
import json, sys
for k in json.load(sys.stdin):
    print(k["section"], k["key"], k["default"])' <<<"$output" | sort)
        [ "$(wc -l <<<"$table")" -gt 50 ]
        run diff -u <(man_keys | sort) - <<<"$table"
        echo "$output"
        [ "$status" -eq 0 ]
}

# The generator's output for the VMs in a directory, with that directory and the line a password hash
# is on (which show's file cannot keep) made alike.
generate() {
        QEMU_VM_CONFIG_DIR=$1 "$GENERATOR" --dry-run 2>&1 |
                sed -e "s|$1/[^ ]*\.conf[^ ]*|VMFILE|g" -e 's|\(--password-hash-at VMFILE\):[0-9]*|\1|'
}

@test "show's INI, given to the generator as the VM's only file, gives the same units and command line for every good fixture" {
        local hash='$6$PtWYcfGYhG5MFoSI$DC/M1PYSxBD./hqhuxbYfcsqpx6s4aVc5t5Af3/1z/lDQ3k6Oii8yR7DzjjjzmVLB2MoHHumZR66uF1sMmP230'
        local n=0 conf name orig again
        for conf in "$fixtures"/*.conf; do
                name=$(basename "$conf" .conf)
                # The good ones: those the generator accepts (no expect-error line).
                ! grep -q '^## expect-error ' "$conf" "$fixtures/$name.asserts" 2>/dev/null || continue
                orig=$BATS_TEST_TMPDIR/$name/orig
                again=$BATS_TEST_TMPDIR/$name/again
                mkdir -p "$orig" "$again"
                cp "$fixtures/$name.conf" "$orig/"
                [ ! -d "$fixtures/$name.conf.d" ] || cp -r "$fixtures/$name.conf.d" "$orig/"
                QEMU_VM_CONFIG_DIR=$orig run --separate-stderr "$VMCTL" show "$name"
                [ "$status" -eq 0 ] || { echo "$name: show failed: $stderr"; return 1; }
                sed -n '/^# Every key/,/^# QEMU command line/p' <<<"$output" | grep -v '^#' |
                        sed "s|^password_hash = (set)\$|password_hash = $hash|" >"$again/$name.conf"
                run diff -u <(generate "$orig") <(generate "$again")
                [ "$status" -eq 0 ] || { echo "$name:"; echo "$output"; cat "$again/$name.conf"; return 1; }
                n=$((n + 1))
        done
        [ "$n" -ge 70 ]
}
