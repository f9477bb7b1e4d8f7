#!/usr/bin/env bats
# README's promise: on a Debian machine with systemd, contrib/demo.sh sets up and runs a demo VM.
# Run in a fresh container, with the build directory and the test guest already made (the container
# has no network, and both are what the script would otherwise make itself).

load helpers

setup_file() {
        system_suite_setup
        container_copy_in "$BUILD_DIR/test-guest" /var/lib/qemu-vm/images/demo-guest
}

teardown_file() {
        system_suite_teardown
}

@test "contrib/demo.sh installs qemu-vm, starts the demo VM, and the guest reports in" {
        run in_container env BUILD_DIR="$BUILD_DIR" "$SOURCE_ROOT/contrib/demo.sh"
        [ "$status" -eq 0 ]
        [[ "$output" == *"QEMU-VM-GUEST: ready"* ]]
        [[ "$output" == *"QEMU-VM-GUEST: efi=yes"* ]]
        [[ "$output" == *"The demo VM runs."* ]]
        [ "$(in_container systemctl is-active qemu-vm@demo)" = active ]
}

@test "the demo VM stops gracefully, as the script says" {
        wait_for_serial demo "QEMU-VM-GUEST: acpi listener up" 1
        in_container systemctl stop qemu-vm@demo
        run in_container journalctl -u qemu-vm@demo --no-pager
        [[ "$output" == *"Guest powered off (SHUTDOWN event: guest=true, reason=guest-shutdown)"* ]]
}
