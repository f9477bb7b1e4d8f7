#!/usr/bin/env bats
# Networking in systemd booted in a container with its own network namespace: bridged NICs on taps
# made by qemu-vm-tap@IFNAME.service, user mode with a port forward, and a missing bridge.
# BUILD_DIR and SOURCE_ROOT come from meson (tests/meson.build).

load helpers

# net_vm NAME KERNEL-PARAMETERS [NET SECTION LINES...]: a test guest with one NIC, [net.lan].
net_vm() {
        local name=$1 params=$2
        shift 2
        guest_vm "$name" "$params" "[net.lan]" "$@"
}

setup_file() {
        system_suite_setup
        host_bridge_setup
        net_vm net-a "qemu_vm_test.net=10.77.0.11/24 qemu_vm_test.ping=10.77.0.12" "mode = bridge" "bridge = br0"
        net_vm net-b "qemu_vm_test.net=10.77.0.12/24 qemu_vm_test.ping=10.77.0.11" "mode = bridge" "bridge = br0"
        net_vm net-user "qemu_vm_test.net=10.0.2.15/24 qemu_vm_test.httpd=8080" "mode = user" \
                "forward = tcp:127.0.0.1:18080-:8080"
        net_vm net-nobr "" "mode = bridge" "bridge = nobr0"
        net_vm net-off "qemu_vm_test.poweroff_after=1" "mode = bridge" "bridge = br0"
        net_vm net-vhost "" "mode = bridge" "bridge = br0" "vhost = yes"
        in_container systemctl daemon-reload
}

teardown_file() {
        system_suite_teardown
}

# guest_mac NAME: the MAC the generator gave the VM's NIC.
guest_mac() {
        in_container systemctl cat "qemu-vm@$1" | grep -o 'mac=[0-9a-f:]*' | cut -d= -f2
}

@test "bridged: both guests set their addresses and ping each other; each tap is on br0, owned by its VM's user, with the tap MAC" {
        in_container systemctl start qemu-vm@net-a qemu-vm@net-b
        wait_for_serial net-a "QEMU-VM-GUEST: ping 10.77.0.12 ok" 1
        wait_for_serial net-b "QEMU-VM-GUEST: ping 10.77.0.11 ok" 1
        local vm mac tap
        for vm in net-a net-b; do
                tap=vm-$vm-0
                mac=$(guest_mac "$vm")
                [[ "$mac" =~ ^[0-9a-f]{2}(:[0-9a-f]{2}){5}$ ]]
                in_container grep -q "QEMU-VM-GUEST: nics=eth0/$mac" "/var/log/qemu-vm/$vm/serial.log"
                # The tap's own MAC: the guest's with the first byte fe, or fa when the guest's is fe.
                local first=fe
                [ "${mac%%:*}" != fe ] || first=fa
                [ "$(in_container cat "/sys/class/net/$tap/address")" = "$first:${mac#??:}" ]
                [ "$(in_container cat "/sys/class/net/$tap/address")" != "$mac" ]
                [ "$(in_container basename "$(in_container readlink "/sys/class/net/$tap/master")")" = br0 ]
                # Owned by the VM's own user: no other VM's QEMU may open it.
                [ "$(in_container cat "/sys/class/net/$tap/owner")" = "$(in_container id -u "vm-$vm")" ]
                [ "$(in_container cat "/sys/class/net/$tap/mtu")" = "$(in_container cat /sys/class/net/br0/mtu)" ]
                [ "$(in_container systemctl is-active "qemu-vm-tap@$tap.service")" = active ]
        done
}

# tap_gone IFNAME: waits until the tap unit has stopped and the device is gone. The tap's stop job runs
# once the VM's has finished (it is ordered after it), so `systemctl stop` may return a moment before.
tap_gone() {
        container_wait_for 10 sh -c "! ip link show $1 >/dev/null 2>&1"
        container_wait_for 10 sh -c "[ \"\$(systemctl is-active qemu-vm-tap@$1.service)\" = inactive ]"
}

@test "stop: the taps are deleted with their VMs" {
        in_container systemctl stop qemu-vm@net-a qemu-vm@net-b
        tap_gone vm-net-a-0
        tap_gone vm-net-b-0
        run in_container journalctl -u qemu-vm-tap@vm-net-a-0.service --no-pager
        [[ "$output" == *"Tap vm-net-a-0 deleted."* ]]
}

@test "a guest that powers itself off: its tap goes too" {
        in_container systemctl start qemu-vm@net-off
        in_container ip link show vm-net-off-0
        wait_for_serial net-off "QEMU-VM-GUEST: powering off by itself" 1
        container_wait_for 30 sh -c 'test "$(systemctl is-active qemu-vm@net-off)" = inactive'
        tap_gone vm-net-off-0
}

@test "QEMU killed with SIGKILL: the unit restarts it, and the guests reach each other again" {
        in_container systemctl start qemu-vm@net-a qemu-vm@net-b
        wait_for_serial net-a "QEMU-VM-GUEST: ping 10.77.0.12 ok" 2
        local pid
        pid=$(in_container systemctl show -p MainPID --value qemu-vm@net-a)
        [ "$pid" -gt 0 ]
        in_container kill -9 "$pid"
        wait_for_serial net-a "QEMU-VM-GUEST: booted" 3
        wait_for_serial net-a "QEMU-VM-GUEST: ping 10.77.0.12 ok" 3
        [ "$(in_container basename "$(in_container readlink /sys/class/net/vm-net-a-0/master)")" = br0 ]
}

@test "a stale tap left behind (not on the bridge, owned by root) is taken over at the next start" {
        in_container systemctl stop qemu-vm@net-a
        tap_gone vm-net-a-0
        in_container ip tuntap add dev vm-net-a-0 mode tap
        in_container systemctl start qemu-vm@net-a
        wait_for_serial net-a "QEMU-VM-GUEST: ping 10.77.0.12 ok" 4
        run in_container journalctl -u qemu-vm-tap@vm-net-a-0.service --no-pager
        [[ "$output" == *"Tap vm-net-a-0 taken over: owner vm-net-a"* ]]
        [ "$(in_container cat /sys/class/net/vm-net-a-0/owner)" = "$(in_container id -u vm-net-a)" ]
}

@test "user mode: a forward from a host port reaches the guest's web server, which answers with its own UUID" {
        in_container systemctl start qemu-vm@net-user
        wait_for_serial net-user "QEMU-VM-GUEST: httpd up on 8080" 1
        local uuid
        uuid=$(in_container systemctl cat qemu-vm@net-user | grep -A0 '"-uuid"' | grep -o '[0-9a-f-]\{36\}')
        [ -n "$uuid" ]
        run in_container /usr/bin/python3 -c 'import urllib.request; print(urllib.request.urlopen("http://127.0.0.1:18080/", timeout=20).read().decode().strip())'
        [ "$status" -eq 0 ]
        [ "$output" = "qemu-vm-test-guest uuid=$uuid" ]
        # QEMU listens on the forward's address only.
        run in_container ss -Hltnp
        [[ "$output" == *"127.0.0.1:18080"*qemu-system* ]]
}

@test "user mode: the guest reaches no service of the host's nor a console port through 10.0.2.2; forwards still work" {
        # A service of the host's on 127.0.0.1 that accepts and closes; a console port (systemd's
        # socket, which starts websockify).
        put_file /srv/host-service.py <<'EOF'
import socket
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 18099))
s.listen(8)
while True:
    c, _ = s.accept()
    c.close()
EOF
        in_container systemd-run --quiet --unit=host-service -p RuntimeMaxSec=600 /usr/bin/python3 /srv/host-service.py
        net_vm net-probe "qemu_vm_test.net=10.0.2.15/24 qemu_vm_test.gw=10.0.2.2 qemu_vm_test.connect=10.0.2.2:18099,10.0.2.2:6999" \
                "mode = user" "[vnc]" "port = 6999"
        in_container systemctl daemon-reload
        in_container systemctl start qemu-vm@net-probe
        wait_for_serial net-probe "QEMU-VM-GUEST: connect 10.0.2.2:18099 failed" 2
        wait_for_serial net-probe "QEMU-VM-GUEST: connect 10.0.2.2:6999 failed" 2
        ! in_container grep -q "connect 10.0.2.2:18099 ok" /var/log/qemu-vm/net-probe/serial.log || false
        ! in_container grep -q "connect 10.0.2.2:6999 ok" /var/log/qemu-vm/net-probe/serial.log || false
        # The rules are the VM user's alone.
        run in_container nft list table inet qemu-vm-net-probe
        [[ "$output" == *"meta skuid $(in_container id -u vm-net-probe) ct state new fib daddr type local"* ]]
        # Forwards from the host into a guest still work (replies are no new connections).
        in_container systemctl start qemu-vm@net-user
        wait_for_serial net-user "QEMU-VM-GUEST: httpd up on 8080" 1
        run in_container /usr/bin/python3 -c 'import urllib.request; print(urllib.request.urlopen("http://127.0.0.1:18080/", timeout=20).read().decode().strip())'
        [ "$status" -eq 0 ]
        [[ "$output" == "qemu-vm-test-guest uuid="* ]]
        # Without the rules, the same guest reaches both: what refused it was the rules.
        in_container nft delete table inet qemu-vm-net-probe
        wait_for_serial net-probe "QEMU-VM-GUEST: connect 10.0.2.2:18099 ok" 1 60
        wait_for_serial net-probe "QEMU-VM-GUEST: connect 10.0.2.2:6999 ok" 1 60
        in_container systemctl stop qemu-vm@net-probe host-service
}

@test "qemu-vm-tap refuses what it cannot do with one clear line each, and leaves nothing behind" {
        local tap
        tap=$(in_container systemctl cat qemu-vm-tap@vm-net-a-0.service | grep -o '"[^"]*/qemu-vm-tap"' | head -1 | tr -d '"')
        [ -n "$tap" ]
        run in_container "$tap" create tbad0 --bridge lo --owner qemu-vm --mac fe:54:00:00:00:01
        [ "$status" -eq 1 ]
        [[ "$output" == *"Cannot create tap tbad0: 'lo' is not a bridge."* ]]
        run in_container "$tap" create tbad0 --bridge br0 --owner nosuchuser --mac fe:54:00:00:00:01
        [ "$status" -eq 1 ]
        [[ "$output" == *"Cannot create tap tbad0: user 'nosuchuser' does not exist."* ]]
        run in_container "$tap" create tbad0 --bridge br0 --owner qemu-vm --mac fe:54:00:00:00:zz
        [ "$status" -eq 1 ]
        [[ "$output" == *"Invalid MAC address 'fe:54:00:00:00:zz'."* ]]
        run in_container ip link show tbad0
        [ "$status" -ne 0 ]
        in_container ip link add notap0 type bridge
        run in_container "$tap" create notap0 --bridge br0 --owner qemu-vm --mac fe:54:00:00:00:01
        [ "$status" -eq 1 ]
        [[ "$output" == *"Interface notap0 exists and is not a tap device."* ]]
        in_container ip link del notap0
        # net-a's QEMU has its tap open: taking it over now would steal a live NIC.
        run in_container "$tap" create vm-net-a-0 --bridge br0 --owner qemu-vm --mac fe:54:00:00:00:01
        [ "$status" -eq 1 ]
        [[ "$output" == *"Tap vm-net-a-0 is in use by another process (a QEMU still running?)."* ]]
        [ "$(in_container cat /sys/class/net/vm-net-a-0/address)" != fe:54:00:00:00:01 ]
        run in_container "$tap" delete tbad0
        [ "$status" -eq 0 ]
        [[ "$output" == *"Tap tbad0 is already gone."* ]]
}

@test "a missing bridge fails that VM's start with one clear line; nothing is left behind and the other VMs run on" {
        run in_container systemctl start qemu-vm@net-nobr
        [ "$status" -ne 0 ]
        run in_container journalctl -u qemu-vm-tap@vm-net-nobr-0.service --no-pager
        [ "$(grep -c "bridge 'nobr0' does not exist" <<<"$output")" -eq 1 ]
        run in_container ip link show vm-net-nobr-0
        [ "$status" -ne 0 ]
        [ "$(in_container systemctl is-active qemu-vm@net-a)" = active ]
        [ "$(in_container systemctl is-active qemu-vm@net-b)" = active ]
        [ "$(in_container systemctl is-active qemu-vm@net-user)" = active ]
        in_container systemctl stop qemu-vm@net-a qemu-vm@net-b qemu-vm@net-user
}

@test "vhost = yes without /dev/vhost-net (a container has none) fails the start naming the device" {
        in_container test ! -e /dev/vhost-net
        run in_container systemctl start qemu-vm@net-vhost
        [ "$status" -ne 0 ]
        run in_container journalctl -u qemu-vm@net-vhost --no-pager
        [[ "$output" == *"Cannot read '/dev/vhost-net': No such file or directory"* ]]
        [[ "$output" != *"qemu-system"*"vhost"*"could not"* ]]
        tap_gone vm-net-vhost-0
}
