#!/usr/bin/env bats
# qemu-vm-serial-log on its own, without systemd (sd_notify is then a no-op): the size bound holds
# whatever is planted in the log directory. In the VM's unit it is tested in tests/system/isolation.bats.
# SERIAL_LOG comes from meson (tests/meson.build).

setup() {
        dir=$BATS_TEST_TMPDIR
}

# feed KIB: KIB kibibytes into the FIFO once the logger has made it, then the end of it.
feed() {
        local i
        for i in $(seq 1 100); do [ -p "$dir/serial.fifo" ] && break; sleep 0.05; done
        head -c "$(($1 * 1024))" /dev/zero | tr '\0' x >"$dir/serial.fifo"
}

@test "the log rotates at --max: two files at most" {
        "$SERIAL_LOG" --fifo "$dir/serial.fifo" --log "$dir/serial.log" --max 4096 &
        feed 20
        wait $!
        [ "$(stat -c %s "$dir/serial.log.1")" -eq 4096 ]
        [ "$(stat -c %s "$dir/serial.log")" -le 4096 ]
}

@test "rotation that fails (serial.log.1 is a directory) drops bytes instead of growing the log" {
        mkdir "$dir/serial.log.1"
        head -c 8192 /dev/zero >"$dir/serial.log"
        "$SERIAL_LOG" --fifo "$dir/serial.fifo" --log "$dir/serial.log" --max 4096 &
        feed 20
        wait $!
        [ "$(stat -c %s "$dir/serial.log")" -eq 8192 ]
        [ -d "$dir/serial.log.1" ]
}

@test "a FIFO planted as the log neither holds the logger up nor is written: it is rotated aside" {
        mkfifo "$dir/serial.log"
        run timeout 10 sh -c '"$1" --fifo "$2/serial.fifo" --log "$2/serial.log" --max 4096 & sleep 0.5; head -c 1024 /dev/zero >"$2/serial.fifo"; wait $!' \
                sh "$SERIAL_LOG" "$dir"
        [ "$status" -eq 0 ]
        # No reader: the non-blocking open fails at once (ENXIO) instead of waiting for one.
        [[ "$output" == *"Cannot open '$dir/serial.log': No such device or address"* ]]
        # The next write rotates it away (a rename, no open) and begins a regular log.
        [ -p "$dir/serial.log.1" ]
        [ -f "$dir/serial.log" ] && [ "$(stat -c %s "$dir/serial.log")" -eq 1024 ]
}
