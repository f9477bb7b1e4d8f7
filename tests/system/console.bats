#!/usr/bin/env bats
# [vnc]: QEMU's VNC on a unix socket, novnc@NAME.socket on a per-VM port starting novnc@NAME
# (websockify + noVNC) on the first connection, in systemd booted in a container: a websocket RFB
# handshake per VM and a real browser (headless Chromium).
# BUILD_DIR and SOURCE_ROOT come from meson (tests/meson.build). The browser's screenshot is kept in
# BUILD_DIR/test-artifacts/.

load helpers

setup_file() {
        system_suite_setup
        local name
        # console=tty0 puts the kernel's messages on the VGA screen the browser shows. con-b's
        # websockify exits after 3 s without a browser.
        guest_vm con-a "console=tty0" "[vnc]" "port = auto"
        guest_vm con-b "console=tty0" "[vnc]" "port = auto" "idle_timeout = 3"
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

# console_port NAME: the port novnc@NAME.socket listens on.
console_port() {
        in_container systemctl cat "novnc@$1.socket" | sed -n 's/^ListenStream=127\.0\.0\.1:\([0-9]*\)$/\1/p'
}

# token NAME: the VM's current console token, as root reads it.
token() {
        in_container cut -d: -f1 "/run/qemu-vm-console/$1.token"
}

# ws_url NAME PORT: the websocket noVNC opens, with NAME's token.
ws_url() {
        echo "ws://127.0.0.1:$2/websockify?token=$(token "$1")"
}

wait_for_listener() {
        container_wait_for 30 sh -c "ss -Hltn | awk '{ print \$4 }' | grep -qx '127.0.0.1:$1'"
}

@test "daemon-reload: each VM gets novnc@NAME.socket on an auto port of its own, the same on every reload" {
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
        [[ "$output" == *"novnc@con-a.socket"* ]]
        echo "$a" >"$BATS_FILE_TMPDIR/port-a"
        echo "$b" >"$BATS_FILE_TMPDIR/port-b"
}

@test "start: the console's port listens with its VM, websockify does not run yet, status and journal give the URL" {
        in_container systemctl start qemu-vm@con-a qemu-vm@con-b
        local a b url
        a=$(cat "$BATS_FILE_TMPDIR/port-a")
        b=$(cat "$BATS_FILE_TMPDIR/port-b")
        container_wait_for 30 systemctl is-active novnc@con-a.socket
        container_wait_for 30 systemctl is-active novnc@con-b.socket
        wait_for_listener "$a"
        wait_for_listener "$b"
        # No browser yet: no websockify.
        [ "$(in_container systemctl is-active novnc@con-a.service)" = inactive ]
        [ "$(in_container systemctl is-active novnc@con-b.service)" = inactive ]
        ! in_container pgrep -f websockify || false
        url="http://127.0.0.1:$a/vnc.html?autoconnect=true"
        run in_container systemctl status --no-pager --full novnc@con-a.socket
        [[ "$output" == *"Browser console of VM con-a at $url"* ]]
        run in_container systemctl status --no-pager --full novnc@con-a.service
        [[ "$output" == *"Browser console of VM con-a at $url"* ]]
        run in_container journalctl -u novnc@con-a.socket --no-pager
        [[ "$output" == *"Listening on novnc@con-a.socket - Browser console of VM con-a at $url"* ]]
        wait_for_serial con-a "QEMU-VM-GUEST: ready" 1
        wait_for_serial con-b "QEMU-VM-GUEST: ready" 1
}

@test "an RFB handshake over each console's websocket starts its websockify and gets the desktop name of the right VM" {
        local a b url
        a=$(cat "$BATS_FILE_TMPDIR/port-a")
        b=$(cat "$BATS_FILE_TMPDIR/port-b")
        run in_container /usr/bin/python3 "$SOURCE_ROOT/tests/system/rfb-probe.py" "$(ws_url con-a "$a")"
        echo "$output"
        [ "$status" -eq 0 ]
        [[ "$output" == "QEMU (con-a) "* ]]
        run in_container /usr/bin/python3 "$SOURCE_ROOT/tests/system/rfb-probe.py" "$(ws_url con-b "$b")"
        [ "$status" -eq 0 ]
        [[ "$output" == "QEMU (con-b) "* ]]
        [ "$(in_container systemctl is-active novnc@con-a.service)" = active ]
        url="http://127.0.0.1:$a/vnc.html?autoconnect=true"
        run in_container journalctl -u novnc@con-a.service --no-pager
        [[ "$output" == *"Started novnc@con-a.service - Browser console of VM con-a at $url"* ]]
}

@test "without its token, a console gives nothing of its VM: no token, a wrong one, another VM's" {
        local a
        a=$(cat "$BATS_FILE_TMPDIR/port-a")
        # The token is root's and group qemu-vm-console's, new at each start of the VM.
        [ "$(in_container stat -c '%U %G %a' /run/qemu-vm-console/con-a.token /run/qemu-vm-console)" = \
                "$(printf 'root qemu-vm-console 640\nroot qemu-vm-console 750')" ]
        [[ "$(token con-a)" =~ ^[0-9a-f]{64}$ ]]
        [ "$(token con-a)" != "$(token con-b)" ]
        local url
        for url in "ws://127.0.0.1:$a/" "ws://127.0.0.1:$a/websockify?token=0123" \
                "ws://127.0.0.1:$a/websockify?token=$(token con-b)"; do
                run in_container /usr/bin/python3 "$SOURCE_ROOT/tests/system/rfb-probe.py" "$url"
                echo "$url: $output"
                [ "$status" -ne 0 ]
                [[ "$output" != *"QEMU (con-"* ]]
        done
        # A local user reads neither the token nor another VM's.
        run in_container runuser -u nobody -- cat /run/qemu-vm-console/con-a.token
        [ "$status" -ne 0 ]
        # Root's qemu-vmctl gives the whole URL; the unit's description, which every user reads, does not.
        run in_container qemu-vmctl status con-a
        [[ "$output" == *"Console: http://127.0.0.1:$a/vnc.html?autoconnect=true&path=websockify%3Ftoken%3D$(token con-a)"* ]]
        run in_container systemctl show -p Description --value novnc@con-a.socket
        [[ "$output" != *"$(token con-a)"* ]]
        # websockify logs each request's path, token and all: the journal shows it to root and the
        # groups adm and systemd-journal only, not to a local user.
        run in_container runuser -u nobody -- journalctl --no-pager -o cat -u novnc@con-a.service
        [[ "$output" != *"$(token con-a)"* ]]
}

@test "websockify runs as qemu-vm-console and reaches its own VM's VNC socket, nothing else of any VM" {
        local pid
        pid=$(in_container systemctl show -p MainPID --value novnc@con-a.service)
        [ "$pid" -gt 0 ]
        [ "$(in_container stat -c %U "/proc/$pid")" = qemu-vm-console ]
        [ "$(in_container stat -c '%G %a' /run/qemu-vm/con-a/console/vnc.sock)" = "qemu-vm-console 770" ]
        # The QMP socket stays the VM user's alone.
        [ "$(in_container stat -c '%U %G %a' /run/qemu-vm/con-a/qmp.sock)" = "vm-con-a vm-con-a 750" ]
        # In websockify's mount namespace /run/qemu-vm holds con-a's console directory only.
        run in_container nsenter -t "$pid" -m find /run/qemu-vm
        [ "$status" -eq 0 ]
        [[ "$output" == *"/run/qemu-vm/con-a/console/vnc.sock"* ]]
        [[ "$output" != *con-b* ]]
        [[ "$output" != *qmp.sock* ]]
        # No network of its own (PrivateNetwork=yes): it only accepts on the socket systemd hands it.
        [ "$(in_container readlink "/proc/$pid/ns/net")" != "$(in_container readlink /proc/1/ns/net)" ]
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
        # systemd holds both ports (websockify, where running, shares systemd's socket).
        [ "$(grep -E ":($a|$b) " <<<"$output" | grep -c '"systemd",pid=1,')" -eq 2 ]
}

@test "websockify exits once no browser has been connected for idle_timeout; the next browser starts it again" {
        local b
        b=$(cat "$BATS_FILE_TMPDIR/port-b")
        # con-b's websockify (idle_timeout = 3) was started by the RFB handshake above.
        container_wait_for 30 sh -c 'test "$(systemctl is-active novnc@con-b.service)" = inactive'
        [ "$(in_container systemctl show -p Result --value novnc@con-b.service)" = success ]
        run in_container journalctl -u novnc@con-b.service --no-pager
        [[ "$output" == *"listener exit due to --idle-timeout 3"* ]]
        # The port still listens, and a new connection gets a new websockify.
        [ "$(in_container systemctl is-active novnc@con-b.socket)" = active ]
        run in_container /usr/bin/python3 "$SOURCE_ROOT/tests/system/rfb-probe.py" "$(ws_url con-b "$b")"
        [ "$status" -eq 0 ]
        [[ "$output" == "QEMU (con-b) "* ]]
        # con-a keeps the default, 60 s.
        [ "$(in_container systemctl is-active novnc@con-a.service)" = active ]
}

@test "headless Chromium opens con-a's console page and shows its screen" {
        local a png
        a=$(cat "$BATS_FILE_TMPDIR/port-a")
        mkdir -p "$BUILD_DIR/test-artifacts"
        png=$BUILD_DIR/test-artifacts/console-con-a.png
        rm -f "$png"
        # The URL an admin gets from qemu-vmctl status, token and all.
        local url
        url=$(in_container qemu-vmctl status con-a | sed -n 's/^ *Console: //p')
        [[ "$url" == *"token%3D"* ]]
        run in_container /usr/bin/python3 "$SOURCE_ROOT/tests/system/browser-console.py" "$url" "$png"
        echo "$output"
        [ "$status" -eq 0 ]
        # noVNC names the page after the desktop; the VGA text console is 720x400 with text on it.
        [[ "$output" == *"title=QEMU (con-a) - noVNC canvas=720x400 "* ]]
        local colours=${output##*colours=}
        [ "$colours" -ge 2 ]
        [ -s "$png" ]
        [ "$(head -c 8 "$png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]
}

@test "stop: the console's port and websockify stop with their VM; start brings the port back" {
        local a
        a=$(cat "$BATS_FILE_TMPDIR/port-a")
        [ "$(in_container systemctl is-active novnc@con-a.service)" = active ]
        in_container systemctl stop qemu-vm@con-a
        run in_container systemctl is-active novnc@con-a.service novnc@con-a.socket
        [ "$output" = "$(printf 'inactive\ninactive')" ]
        ! in_container sh -c "ss -Hltn | awk '{ print \$4 }' | grep -qx '127.0.0.1:$a'" || false
        [ "$(in_container systemctl is-active novnc@con-b.socket)" = active ]
        in_container systemctl start qemu-vm@con-a
        container_wait_for 30 systemctl is-active novnc@con-a.socket
        wait_for_listener "$a"
        run in_container /usr/bin/python3 "$SOURCE_ROOT/tests/system/rfb-probe.py" "$(ws_url con-a "$a")"
        [[ "$output" == "QEMU (con-a) "* ]]
        in_container systemctl stop qemu-vm@con-a qemu-vm@con-b
        run in_container systemctl is-active novnc@con-b.service novnc@con-b.socket
        [ "$output" = "$(printf 'inactive\ninactive')" ]
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
        container_wait_for 10 sh -c 'test "$(systemctl is-active novnc@con-c.socket)" = inactive'
        # A new VM run gets a new runtime directory; the console must follow it.
        in_container systemctl start qemu-vm@con-c
        container_wait_for 30 systemctl is-active novnc@con-c.socket
        wait_for_listener "$c"
        run in_container /usr/bin/python3 "$SOURCE_ROOT/tests/system/rfb-probe.py" "$(ws_url con-c "$c")"
        [ "$status" -eq 0 ]
        [[ "$output" == "QEMU (con-c) "* ]]
        in_container systemctl stop qemu-vm@con-c
}
