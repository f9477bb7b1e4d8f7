#!/usr/bin/env bats
# bash completion of qemu-vmctl (ctl/completion.bash.in, as built): commands, options, VM names from
# the configuration directory, disk IDs for --remove-disks, paths for attach-disk, snapshots. Needs COMPLETION
# (the built file).

setup() {
        export QEMU_VM_CONFIG_DIR=$BATS_TEST_TMPDIR/vms
        mkdir -p "$QEMU_VM_CONFIG_DIR"
        printf '[vm]\nmemory = 1G\n\n[disk.root]\nsize = 8G\n\n[disk.data]\nsize = 1G\n' >"$QEMU_VM_CONFIG_DIR/web01.conf"
        printf '[vm]\nmemory = 1G\n' >"$QEMU_VM_CONFIG_DIR/db02.conf"
        touch "$QEMU_VM_CONFIG_DIR/notes.txt"
        source "${COMPLETION:?}"
}

# offers WORD...: what completing the last WORD offers, sorted, on one line.
offers() {
        COMP_WORDS=(qemu-vmctl "$@")
        COMP_CWORD=$#
        _qemu_vmctl
        printf '%s\n' "${COMPREPLY[@]}" | sort | paste -s -d ' '
}

@test "the file is registered for qemu-vmctl" {
        run complete -p qemu-vmctl
        [ "$status" -eq 0 ]
        [[ "$output" == *"-F _qemu_vmctl qemu-vmctl"* ]]
}

@test "commands, and the options before one" {
        [ "$(offers s)" = "show snapshot start status stop" ]
        [ "$(offers '')" = "agent attach-disk backup backup-list check-host console destroy detach-disk keys list restart restore show snapshot start status stop" ]
        [ "$(offers --j)" = "--json" ]
        [ "$(offers --json de)" = "destroy detach-disk" ]
}

@test "VM names are the .conf files of the configuration directory, once, in the first argument" {
        [ "$(offers start '')" = "db02 web01" ]
        [ "$(offers --json status w)" = "web01" ]
        [ "$(offers start web01 '')" = "" ]
        [ "$(offers list '')" = "" ]
        [ "$(offers check-host '')" = "" ]
        [ "$(offers agent web01 f)" = "fsfreeze fsfreeze-status fsthaw" ]
}

@test "each command's options; an option's value is not taken for the VM name" {
        [ "$(offers start web01 --)" = "--help --json --timeout --wait" ]
        [ "$(offers destroy web01 --)" = "--force --help --json --remove-disks" ]
        [ "$(offers attach-disk --)" = "--block-device --format --help --id --json --readonly" ]
        [ "$(offers console --)" = "--help --json" ]
        [ "$(offers stop --timeout 5 w)" = "web01" ]
        [ "$(offers stop --timeout '')" = "" ]
        [ "$(offers attach-disk web01 /x --format '')" = "qcow2 raw" ]
}

@test "--remove-disks offers the VM's own disk IDs, element by element of the list" {
        [ "$(offers destroy web01 --force --remove-disks '')" = "data root" ]
        [ "$(offers destroy web01 --remove-disks root,d)" = "root,data" ]
        [ "$(offers destroy db02 --remove-disks '')" = "" ]
        [ "$(offers destroy --remove-disks '')" = "" ]
}

@test "attach-disk: a VM name, then a path" {
        touch "$BATS_TEST_TMPDIR/extra.qcow2"
        [ "$(offers attach-disk w)" = "web01" ]
        [ "$(offers attach-disk web01 "$BATS_TEST_TMPDIR/ext")" = "$BATS_TEST_TMPDIR/extra.qcow2" ]
        [ "$(offers attach-disk web01 "$BATS_TEST_TMPDIR/extra.qcow2" '')" = "" ]
}

@test "snapshot: a VM name, an action, then for revert and delete one of the VM's recorded snapshots" {
        export QEMU_VM_SNAPSHOT_DIR=$BATS_TEST_TMPDIR/snapshots
        mkdir -p "$QEMU_VM_SNAPSHOT_DIR/web01/before" "$QEMU_VM_SNAPSHOT_DIR/web01/.cut-short.partial" \
                "$QEMU_VM_SNAPSHOT_DIR/web01/no-manifest"
        touch "$QEMU_VM_SNAPSHOT_DIR/web01/before/manifest.json"
        [ "$(offers snapshot w)" = "web01" ]
        [ "$(offers snapshot web01 '')" = "create delete list revert" ]
        [ "$(offers snapshot web01 revert '')" = "before" ]
        [ "$(offers snapshot web01 delete b)" = "before" ]
        [ "$(offers snapshot db02 revert '')" = "" ]
        [ "$(offers snapshot web01 create '')" = "" ]
        [ "$(offers snapshot web01 create --)" = "--disk-only --help --json" ]
}

@test "without a configuration directory there are no names, and no error" {
        rm -rf "$QEMU_VM_CONFIG_DIR"
        run offers start ''
        [ "$status" -eq 0 ]
        [ "$output" = "" ]
}

@test "backup: a VM name, then --to and --full, --to a directory; backup-list and restore a directory" {
        mkdir -p "$BATS_TEST_TMPDIR/backups/web01"
        [ "$(offers backup w)" = "web01" ]
        [ "$(offers backup web01 --)" = "--full --help --json --to" ]
        [ "$(offers backup web01 --to "$BATS_TEST_TMPDIR/back")" = "$BATS_TEST_TMPDIR/backups" ]
        [ "$(offers backup-list "$BATS_TEST_TMPDIR/backups/")" = "$BATS_TEST_TMPDIR/backups/web01" ]
        [ "$(offers restore "$BATS_TEST_TMPDIR/backups/")" = "$BATS_TEST_TMPDIR/backups/web01" ]
        [ "$(offers restore "$BATS_TEST_TMPDIR/backups/web01" --)" = "--as --help --json" ]
}
