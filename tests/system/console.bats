#!/usr/bin/env bats
# [vnc]: QEMU's VNC on a unix socket, novnc@NAME (websockify + noVNC) on a per-VM port, in systemd
# booted in a container: a websocket RFB handshake per VM and a real browser (headless Chromium).
# BUILD_DIR and SOURCE_ROOT come from meson (tests/meson.build). The browser's screenshot is kept in
# BUILD_DIR/test-artifacts/.

load helpers

setup_file() {
        system_suite_setup
        local name
        for name in con-a con-b; do
                # console=tty0 puts the kernel's messages on the VGA screen the browser shows.
                guest_vm "$name" "console=tty0" "[vnc]" "port = auto"
        done
        in_container systemctl daemon-reload
        # What listens before any VM runs (this machine's own services, seen through the overlay).
        tcp_listen_ports >"$BATS_FILE_TMPDIR/ports-before"
}

# tcp_listen_ports: the container's listening TCP ports, one per line, sorted.
tcp_listen_ports() {
        in_container ss -Hltn | awk '{ n = split($4, p, ":"); print p[n] }' | sort -u
}

teardown_file() {
        system_suite_teardown
}

# console_port NAME: the port in novnc@NAME's generated command line.
console_port() {
        in_container systemctl cat "novnc@$1.service" | grep -o '"127.0.0.1:[0-9]*"' | tr -d '"' | cut -d: -f2
}

wait_for_listener() {
        container_wait_for 30 sh -c "ss -Hltn | awk '{ print \$4 }' | grep -qx '127.0.0.1:$1'"
}

@test "daemon-reload: each VM gets novnc@NAME on an auto port of its own, the same on every reload" {
        local a b
        a=$(console_port con-a)
        b=$(console_port con-b)
        [[ "$a" =~ ^[0-9]+$ ]]
        [[ "$b" =~ ^[0-9]+$ ]]
        [ "$a" != "$b" ]
        [ "$a" -ge 6080 ]
        [ "$a" -le 7079 ]
        [ "$b" -ge 6080 ]
        [ "$b" -le 7079 ]
        in_container systemctl daemon-reload
        [ "$(console_port con-a)" = "$a" ]
        [ "$(console_port con-b)" = "$b" ]
        run in_container systemctl show -p Wants qemu-vm@con-a
        [[ "$output" == *"novnc@con-a.service"* ]]
        echo "$a" >"$BATS_FILE_TMPDIR/port-a"
        echo "$b" >"$BATS_FILE_TMPDIR/port-b"
}

@test "start: novnc@NAME follows its VM, and status and journal give the console's URL" {
        in_container systemctl start qemu-vm@con-a qemu-vm@con-b
        local a b url
        a=$(cat "$BATS_FILE_TMPDIR/port-a")
        b=$(cat "$BATS_FILE_TMPDIR/port-b")
        container_wait_for 30 systemctl is-active novnc@con-a.service
        container_wait_for 30 systemctl is-active novnc@con-b.service
        # websockify is active once started (Type=simple) and listens a moment later.
        wait_for_listener "$a"
        wait_for_listener "$b"
        url="http://127.0.0.1:$a/vnc.html?autoconnect=true"
        run in_container systemctl status --no-pager --full novnc@con-a.service
        [[ "$output" == *"Browser console of VM con-a at $url"* ]]
        run in_container journalctl -u novnc@con-a.service --no-pager
        [[ "$output" == *"Started novnc@con-a.service - Browser console of VM con-a at $url"* ]]
        wait_for_serial con-a "QEMU-VM-GUEST: ready" 1
        wait_for_serial con-b "QEMU-VM-GUEST: ready" 1
}

@test "websockify runs as qemu-vm-console and reaches its own VM's VNC socket, nothing else of any VM" {
        local pid
        pid=$(in_container systemctl show -p MainPID --value novnc@con-a.service)
        [ "$pid" -gt 0 ]
        [ "$(in_container stat -c %U "/proc/$pid")" = qemu-vm-console ]
        [ "$(in_container stat -c '%G %a' /run/qemu-vm/con-a/console/vnc.sock)" = "qemu-vm-console 770" ]
        # The QMP socket stays the VM user's alone.
        [ "$(in_container stat -c '%U %G %a' /run/qemu-vm/con-a/qmp.sock)" = "qemu-vm qemu-vm 750" ]
        # In websockify's mount namespace /run/qemu-vm holds con-a's console directory only.
        run in_container nsenter -t "$pid" -m find /run/qemu-vm
        [ "$status" -eq 0 ]
        [[ "$output" == *"/run/qemu-vm/con-a/console/vnc.sock"* ]]
        [[ "$output" != *con-b* ]]
        [[ "$output" != *qmp.sock* ]]
}

@test "an RFB handshake over each console's websocket gets the desktop name of the right VM" {
        local a b
        a=$(cat "$BATS_FILE_TMPDIR/port-a")
        b=$(cat "$BATS_FILE_TMPDIR/port-b")
        run in_container /usr/bin/python3 "$SOURCE_ROOT/tests/system/rfb-probe.py" "ws://127.0.0.1:$a/"
        echo "$output"
        [ "$status" -eq 0 ]
        [[ "$output" == "QEMU (con-a) "* ]]
        run in_container /usr/bin/python3 "$SOURCE_ROOT/tests/system/rfb-probe.py" "ws://127.0.0.1:$b/"
        [ "$status" -eq 0 ]
        [[ "$output" == "QEMU (con-b) "* ]]
}

@test "the running VMs add no TCP listener but their two console ports, and QEMU listens on none" {
        local a b
        a=$(cat "$BATS_FILE_TMPDIR/port-a")
        b=$(cat "$BATS_FILE_TMPDIR/port-b")
        local added
        added=$(tcp_listen_ports | comm -13 "$BATS_FILE_TMPDIR/ports-before" - | tr '\n' ' ')
        [ "$added" = "$(printf '%s\n' "$a" "$b" | sort | tr '\n' ' ')" ]
        run in_container ss -Hltnp
        echo "$output"
        [[ "$output" != *qemu-system* ]]
        [ "$(grep -c websockify <<<"$output")" -eq 2 ]
}

@test "headless Chromium opens con-a's console page and shows its screen" {
        local a png
        a=$(cat "$BATS_FILE_TMPDIR/port-a")
        mkdir -p "$BUILD_DIR/test-artifacts"
        png=$BUILD_DIR/test-artifacts/console-con-a.png
        rm -f "$png"
        run in_container /usr/bin/python3 "$SOURCE_ROOT/tests/system/browser-console.py" \
                "http://127.0.0.1:$a/vnc.html?autoconnect=true" "$png"
        echo "$output"
        [ "$status" -eq 0 ]
        # noVNC names the page after the desktop; the VGA text console is 720x400 with text on it.
        [[ "$output" == *"title=QEMU (con-a) - noVNC canvas=720x400 "* ]]
        local colours=${output##*colours=}
        [ "$colours" -ge 2 ]
        [ -s "$png" ]
        [ "$(head -c 8 "$png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]
}

@test "stop: novnc@NAME stops with its VM; start brings both back" {
        in_container systemctl stop qemu-vm@con-a
        [ "$(in_container systemctl is-active novnc@con-a.service)" = inactive ]
        [ "$(in_container systemctl is-active novnc@con-b.service)" = active ]
        in_container systemctl start qemu-vm@con-a
        container_wait_for 30 systemctl is-active novnc@con-a.service
        wait_for_listener "$(cat "$BATS_FILE_TMPDIR/port-a")"
        run in_container /usr/bin/python3 "$SOURCE_ROOT/tests/system/rfb-probe.py" "ws://127.0.0.1:$(cat "$BATS_FILE_TMPDIR/port-a")/"
        [[ "$output" == "QEMU (con-a) "* ]]
        in_container systemctl stop qemu-vm@con-a qemu-vm@con-b
        [ "$(in_container systemctl is-active novnc@con-b.service)" = inactive ]
}

@test "a guest that powers itself off takes its console down; the next start brings a working one" {
        guest_vm con-c "qemu_vm_test.poweroff_after=20" "[vnc]"
        in_container systemctl daemon-reload
        local c
        c=$(console_port con-c)
        [[ "$c" =~ ^[0-9]+$ ]]
        in_container systemctl start qemu-vm@con-c
        wait_for_serial con-c "QEMU-VM-GUEST: powering off by itself" 1 60
        container_wait_for 30 sh -c 'test "$(systemctl is-active qemu-vm@con-c)" = inactive'
        container_wait_for 10 sh -c 'test "$(systemctl is-active novnc@con-c.service)" = inactive'
        # A new VM run gets a new runtime directory; the console must follow it.
        in_container systemctl start qemu-vm@con-c
        container_wait_for 30 systemctl is-active novnc@con-c.service
        wait_for_listener "$c"
        run in_container /usr/bin/python3 "$SOURCE_ROOT/tests/system/rfb-probe.py" "ws://127.0.0.1:$c/"
        [ "$status" -eq 0 ]
        [[ "$output" == "QEMU (con-c) "* ]]
        in_container systemctl stop qemu-vm@con-c
}
