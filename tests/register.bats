#!/usr/bin/env bats
# qemu-vm-register's own errors, without a system bus (the registration itself is tested with
# systemd-machined in tests/system/core.bats). REGISTER comes from meson.

@test "usage errors exit 2 with the usage: no arguments, a bad VM name, a bad UUID, a third argument" {
        local args
        for args in "" "web01" "Web_01 1b4e28ba-2fa1-11d2-883f-0016d3cca427" "web01 not-a-uuid" \
                "web01 1b4e28ba-2fa1-11d2-883f-0016d3cca427 extra"; do
                # shellcheck disable=SC2086 # the words are the arguments
                run "$REGISTER" $args
                [ "$status" -eq 2 ]
                [[ "$output" == "Usage: qemu-vm-register NAME UUID"* ]]
        done
}

@test "no system bus: exit 1, and the error says so" {
        DBUS_SYSTEM_BUS_ADDRESS=unix:path=$BATS_TEST_TMPDIR/no-bus run "$REGISTER" web01 1b4e28ba-2fa1-11d2-883f-0016d3cca427
        [ "$status" -eq 1 ]
        [ "$output" = "Cannot connect to the system bus: No such file or directory" ]
}
