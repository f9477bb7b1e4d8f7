#!/usr/bin/env bats
# The rules between VMs: console ports (lib/console-ports.c) and what VMs must not share on the host
# (lib/host-unique.c), image files used by several VMs (lib/disk-sharing.c), with the generator run
# on whole directories of VMs, as at boot.
# GENERATOR comes from meson.

setup() {
        export QEMU_VM_MACHINE_ID=0123456789abcdef0123456789abcdef
        export QEMU_VM_DEFAULTS=/nonexistent
        export QEMU_VM_CONFIG_DIR=$BATS_TEST_TMPDIR/vms
        mkdir -p "$QEMU_VM_CONFIG_DIR"
}

# vnc_vm NAME [PORT]: a VM with a console on PORT, or auto.
vnc_vm() {
        printf '[vm]\nfirmware = bios\n\n[vnc]\nport = %s\n' "${2:-auto}" >"$QEMU_VM_CONFIG_DIR/$1.conf"
}

# ports: "NAME PORT" for every console the generator makes, sorted by name (the socket's and the
# service's drop-ins both describe it).
ports() {
        "$GENERATOR" --dry-run 2>/dev/null |
                sed -n 's|^ExecStart=.*||; s|^Description=Browser console of VM \([^ ]*\) at http://127.0.0.1:\([0-9]*\)/.*|\1 \2|p' |
                sort -u
}

@test "auto ports are the same on every run and whatever order the files were written in" {
        local i
        for i in $(seq 1 40); do vnc_vm "vm-$i"; done
        vnc_vm web_01
        vnc_vm web-01
        ports >"$BATS_TEST_TMPDIR/first"
        [ "$(wc -l <"$BATS_TEST_TMPDIR/first")" -eq 42 ]
        ports >"$BATS_TEST_TMPDIR/again"
        diff "$BATS_TEST_TMPDIR/first" "$BATS_TEST_TMPDIR/again"

        # The same files written anew in the opposite order (other inodes, other directory order).
        rm -r "$QEMU_VM_CONFIG_DIR"
        mkdir "$QEMU_VM_CONFIG_DIR"
        vnc_vm web-01
        vnc_vm web_01
        for i in $(seq 40 -1 1); do vnc_vm "vm-$i"; done
        ports >"$BATS_TEST_TMPDIR/reversed"
        diff "$BATS_TEST_TMPDIR/first" "$BATS_TEST_TMPDIR/reversed"
        # No two share one.
        [ "$(cut -d' ' -f2 "$BATS_TEST_TMPDIR/first" | sort -u | wc -l)" -eq 42 ]
}

@test "900 VMs: every auto port unique, within 6080-7079, never one that browsers refuse" {
        local i
        for i in $(seq 1 900); do vnc_vm "vm$i"; done
        ports >"$BATS_TEST_TMPDIR/ports"
        [ "$(wc -l <"$BATS_TEST_TMPDIR/ports")" -eq 900 ]
        [ "$(cut -d' ' -f2 "$BATS_TEST_TMPDIR/ports" | sort -u | wc -l)" -eq 900 ]
        local min max
        min=$(cut -d' ' -f2 "$BATS_TEST_TMPDIR/ports" | sort -n | head -1)
        max=$(cut -d' ' -f2 "$BATS_TEST_TMPDIR/ports" | sort -n | tail -1)
        [ "$min" -ge 6080 ]
        [ "$max" -le 7079 ]
        run grep -E ' (6566|6665|6666|6667|6668|6669|6697)$' "$BATS_TEST_TMPDIR/ports"
        [ "$status" -eq 1 ]
}

@test "1000 VMs for 993 usable auto ports: the 7 left over are refused with a clear error, the rest run" {
        local i
        for i in $(seq 1 1000); do vnc_vm "vm$i"; done
        run "$GENERATOR" --dry-run
        [ "$status" -eq 1 ]
        [ "$(grep -c 'port = auto: every port from 6080 to 7079 is taken; set .port., ignoring this VM' <<<"$output")" -eq 7 ]
        [ "$(grep -c '^ListenStream=127.0.0.1:' <<<"$output")" -eq 993 ]
}

@test "two VMs with the same explicit port are both refused, each naming the other; the others are generated" {
        vnc_vm alpha 6500
        vnc_vm beta 6500
        vnc_vm gamma
        run "$GENERATOR" --dry-run
        [ "$status" -eq 1 ]
        [[ "$output" == *"/vms/alpha.conf:5: [vnc] port 6500 is also the console port of $QEMU_VM_CONFIG_DIR/beta.conf:5, ignoring this VM"* ]]
        [[ "$output" == *"/vms/beta.conf:5: [vnc] port 6500 is also the console port of $QEMU_VM_CONFIG_DIR/alpha.conf:5, ignoring this VM"* ]]
        [[ "$output" == *"Description=Browser console of VM gamma at"* ]]
        [[ "$output" != *"novnc@alpha"* ]]
        [[ "$output" != *"novnc@beta"* ]]
        # Each broken VM fails at start with its message.
        [[ "$output" == *'qemu-vm-config-error" "'*'/alpha.conf:5: [vnc] port 6500 is also the console port of'*'beta.conf:5"'* ]]
}

@test "console ports are unique on the host whatever the address" {
        printf '[vm]\nfirmware = bios\n\n[vnc]\nlisten = ::1\nport = 6600\n' >"$QEMU_VM_CONFIG_DIR/six.conf"
        printf '[vm]\nfirmware = bios\n\n[vnc]\nlisten = 127.0.0.1\nport = 6600\n' >"$QEMU_VM_CONFIG_DIR/four.conf"
        run "$GENERATOR" --dry-run
        [ "$status" -eq 1 ]
        [[ "$output" == *"six.conf:6: [vnc] port 6600 is also the console port of $QEMU_VM_CONFIG_DIR/four.conf:6, ignoring this VM"* ]]
        [[ "$output" == *"four.conf:6: [vnc] port 6600 is also the console port of $QEMU_VM_CONFIG_DIR/six.conf:6, ignoring this VM"* ]]
}

@test "an explicit port wins over the auto port that would land on it; the auto one moves up" {
        vnc_vm solo
        local preferred
        preferred=$(ports | cut -d' ' -f2)
        [[ "$preferred" =~ ^[0-9]+$ ]]
        vnc_vm claimer "$preferred"
        run ports
        [ "${lines[0]}" = "claimer $preferred" ]
        [ "${lines[1]}" = "solo $((preferred + 1))" ]
}

@test "a VM with errors takes no part: its port neither clashes nor is reserved" {
        vnc_vm good 6500
        printf '[vm]\nmemory = lots\n\n[vnc]\nport = 6500\n' >"$QEMU_VM_CONFIG_DIR/broken.conf"
        run "$GENERATOR" --dry-run
        [ "$status" -eq 1 ]
        [[ "$output" == *"Description=Browser console of VM good at http://127.0.0.1:6500/"* ]]
        [[ "$output" != *"is also the console port"* ]]
}

# nic_vm NAME [NET SECTION LINES...]: a VM with one NIC [net.lan].
nic_vm() {
        local name=$1
        shift
        printf '[vm]\nfirmware = bios\n\n[net.lan]\n%s\n' "$(printf '%s\n' "$@")" >"$QEMU_VM_CONFIG_DIR/$name.conf"
}

@test "derived MACs: stable across runs, different per VM and per NIC, locally administered unicast" {
        local vm
        for vm in one two; do
                printf '[vm]\nfirmware = bios\n[net.a]\n[net.b]\nmode = bridge\nbridge = br0\n' >"$QEMU_VM_CONFIG_DIR/$vm.conf"
        done
        "$GENERATOR" --dry-run | grep -o 'mac=[0-9a-f:]*' | cut -d= -f2 >"$BATS_TEST_TMPDIR/macs"
        "$GENERATOR" --dry-run | grep -o 'mac=[0-9a-f:]*' | cut -d= -f2 >"$BATS_TEST_TMPDIR/again"
        diff "$BATS_TEST_TMPDIR/macs" "$BATS_TEST_TMPDIR/again"
        [ "$(wc -l <"$BATS_TEST_TMPDIR/macs")" -eq 4 ]
        [ "$(sort -u "$BATS_TEST_TMPDIR/macs" | wc -l)" -eq 4 ]
        local mac first
        while read -r mac; do
                first=$((16#${mac%%:*}))
                [ $((first & 2)) -eq 2 ]        # locally administered
                [ $((first & 1)) -eq 0 ]        # unicast
        done <"$BATS_TEST_TMPDIR/macs"
        # Another host (machine ID) gives other MACs.
        QEMU_VM_MACHINE_ID=fedcba9876543210fedcba9876543210 "$GENERATOR" --dry-run |
                grep -o 'mac=[0-9a-f:]*' | cut -d= -f2 >"$BATS_TEST_TMPDIR/other-host"
        [ -z "$(comm -12 <(sort "$BATS_TEST_TMPDIR/macs") <(sort "$BATS_TEST_TMPDIR/other-host"))" ]
}

@test "two VMs with the same MAC are both refused, each naming the other's file; the others are generated" {
        nic_vm first "mac = 52:54:00:00:00:01"
        nic_vm second "mac = 52:54:00:00:00:01"
        nic_vm third "mac = 52:54:00:00:00:02"
        run "$GENERATOR" --dry-run
        [ "$status" -eq 1 ]
        [[ "$output" == *"first.conf:5: [net.lan]: MAC address 52:54:00:00:00:01 is also the MAC of [net.lan] in $QEMU_VM_CONFIG_DIR/second.conf:5, ignoring this VM"* ]]
        [[ "$output" == *"second.conf:5: [net.lan]: MAC address 52:54:00:00:00:01 is also the MAC of [net.lan] in $QEMU_VM_CONFIG_DIR/first.conf:5, ignoring this VM"* ]]
        [[ "$output" == *'"-name" "third,debug-threads=on"'* ]]
        [[ "$output" != *'"-name" "first,'* ]]
        [[ "$output" != *'"-name" "second,'* ]]
}

@test "two long VM names whose tap names share a hash are both refused, naming each other" {
        # FNV-1a("long-vm-9802") = FNV-1a("long-vm-464300") = 0xbd921389: both taps would be vmbd921389-0.
        nic_vm long-vm-9802 "mode = bridge" "bridge = br0"
        nic_vm long-vm-464300 "mode = bridge" "bridge = br0"
        nic_vm short "mode = bridge" "bridge = br0"
        run "$GENERATOR" --dry-run
        [ "$status" -eq 1 ]
        [[ "$output" == *"long-vm-9802.conf:4: [net.lan]: tap device vmbd921389-0 is also the tap of [net.lan] in $QEMU_VM_CONFIG_DIR/long-vm-464300.conf:4 (two long VM names share a hash; rename one)"* ]]
        [[ "$output" == *"long-vm-464300.conf:4: [net.lan]: tap device vmbd921389-0 is also the tap of [net.lan] in $QEMU_VM_CONFIG_DIR/long-vm-9802.conf:4"* ]]
        [[ "$output" == *"qemu-vm-tap@vm-short-0.service"* ]]
}

@test "forwards of two VMs on one host port clash (same address, or one on every address); other ports do not" {
        nic_vm web "forward = tcp::8080-:80"
        nic_vm api "forward = tcp:127.0.0.1:8080-:80"
        nic_vm dns "forward = udp::8080-:53"
        nic_vm ssh-a "forward = tcp:127.0.0.1:2222-:22"
        nic_vm ssh-b "forward = tcp:127.0.0.2:2222-:22"
        run "$GENERATOR" --dry-run
        [ "$status" -eq 1 ]
        [[ "$output" == *"web.conf:5: [net.lan]: forward 'tcp::8080-:80' wants the host port of 'tcp:127.0.0.1:8080-:80' in $QEMU_VM_CONFIG_DIR/api.conf:5, ignoring this VM"* ]]
        [[ "$output" == *"api.conf:5: [net.lan]: forward 'tcp:127.0.0.1:8080-:80' wants the host port of 'tcp::8080-:80' in $QEMU_VM_CONFIG_DIR/web.conf:5, ignoring this VM"* ]]
        # udp is another port space; two addresses are two sockets.
        [[ "$output" == *'"-name" "dns,'* ]]
        [[ "$output" == *'"-name" "ssh-a,'* ]]
        [[ "$output" == *'"-name" "ssh-b,'* ]]
        [ "$(grep -c 'ignoring this VM' <<<"$output")" -eq 2 ]
}

@test "a forward on another VM's console port: both refused; auto console ports keep clear of forwards" {
        vnc_vm console 6500
        nic_vm fwd "forward = tcp::6500-:22"
        run "$GENERATOR" --dry-run
        [ "$status" -eq 1 ]
        [[ "$output" == *"console.conf:5: [vnc] console port 6500 is also the host port of forward 'tcp::6500-:22' in $QEMU_VM_CONFIG_DIR/fwd.conf:5, ignoring this VM"* ]]
        [[ "$output" == *"fwd.conf:5: [net.lan]: forward 'tcp::6500-:22' wants console port 6500 of $QEMU_VM_CONFIG_DIR/console.conf:5, ignoring this VM"* ]]

        rm "$QEMU_VM_CONFIG_DIR"/*.conf
        vnc_vm solo
        local preferred
        preferred=$(ports | cut -d' ' -f2)
        [[ "$preferred" =~ ^[0-9]+$ ]]
        nic_vm fwd "forward = tcp:127.0.0.1:$preferred-:22"
        run ports
        [ "${lines[0]}" = "solo $((preferred + 1))" ]
        run "$GENERATOR" --dry-run
        [ "$status" -eq 0 ]
}

@test "a VM's own forward on its own console port is refused" {
        printf '[vm]\nfirmware = bios\n[net.lan]\nforward = tcp::7000-:22\n[vnc]\nport = 7000\n' >"$QEMU_VM_CONFIG_DIR/self.conf"
        run "$GENERATOR" --dry-run
        [ "$status" -eq 1 ]
        [[ "$output" == *"self.conf:6: [vnc] console port 7000 is also the host port of forward 'tcp::7000-:22' in $QEMU_VM_CONFIG_DIR/self.conf:4"* ]]
}

@test "two VMs with the same static address on bridged NICs are both refused; user-mode NICs may share one" {
        printf '[vm]\nfirmware = bios\n[cloud-init]\n[net.lan]\nmode = bridge\nbridge = br0\naddress = 10.20.30.40/24\n' \
                >"$QEMU_VM_CONFIG_DIR/a.conf"
        printf '[vm]\nfirmware = bios\n[cloud-init]\n[net.x]\nmode = bridge\nbridge = br1\naddress = 10.20.30.40/16\n' \
                >"$QEMU_VM_CONFIG_DIR/b.conf"
        printf '[vm]\nfirmware = bios\n[cloud-init]\n[net.lan]\nmode = bridge\nbridge = br0\naddress = 10.20.30.41/24\n' \
                >"$QEMU_VM_CONFIG_DIR/c.conf"
        for vm in d e; do
                printf '[vm]\nfirmware = bios\n[cloud-init]\n[net.user]\naddress = 10.0.2.15/24\n' >"$QEMU_VM_CONFIG_DIR/$vm.conf"
        done
        run "$GENERATOR" --dry-run
        [ "$status" -eq 1 ]
        [[ "$output" == *"a.conf:7: [net.lan]: address 10.20.30.40/24 is also the address of [net.x] in $QEMU_VM_CONFIG_DIR/b.conf:7"* ]]
        [[ "$output" == *"b.conf:7: [net.x]: address 10.20.30.40/16 is also the address of [net.lan] in $QEMU_VM_CONFIG_DIR/a.conf:7"* ]]
        for vm in c d e; do
                [[ "$output" == *"qemu-vm@$vm.service.d"* ]]
        done
        [[ "$output" != *"address 10.0.2.15"* ]]
        [[ "$output" != *"address 10.20.30.41"* ]]
}

# disk_vm NAME KEYS...: a VM with one disk section holding KEYS (one per argument).
disk_vm() {
        local name=$1
        shift
        { printf '[vm]\nfirmware = bios\n[disk.data]\n'; printf '%s\n' "$@"; } >"$QEMU_VM_CONFIG_DIR/$name.conf"
}

# generated NAME: whether the generator makes NAME's QEMU command line (stdout alone: messages on
# stderr may land inside its lines).
generated() {
        "$GENERATOR" --dry-run 2>/dev/null |
                awk -v header="# /run/systemd/generator/qemu-vm@$1.service.d/50-qemu-vm.conf" \
                        '/^# \/run\/systemd\/generator\// { inside = ($0 == header) } inside' |
                grep -q '^        "--" ".*qemu-system'
}

@test "one writable disk in two VMs: the first by name keeps it, the second is refused naming both files" {
        disk_vm web01 'path = /srv/data.img' 'format = raw'
        disk_vm web02 'path = /srv/data.img' 'format = raw'
        disk_vm other 'path = /srv/other.img' 'format = raw'
        run "$GENERATOR" --dry-run
        [ "$status" -eq 1 ]
        [[ "$output" == *"$QEMU_VM_CONFIG_DIR/web02.conf:4: [disk.data]: /srv/data.img is also [disk.data] of VM web01 ($QEMU_VM_CONFIG_DIR/web01.conf:4), which writes it"* ]]
        # Counted on stderr alone: in $output it may land inside a line of stdout.
        [ "$("$GENERATOR" --dry-run 2>&1 >/dev/null | grep -c "^$QEMU_VM_CONFIG_DIR/.*is also")" -eq 1 ]
        generated web01
        generated other
        ! generated web02 || false
}

@test "a disk in a VM's state directory stays that VM's, whatever the other VM's name" {
        disk_vm zeta 'size = 1G'
        disk_vm alpha 'path = /var/lib/qemu-vm/zeta/data.qcow2'
        run "$GENERATOR" --dry-run
        [ "$status" -eq 1 ]
        [[ "$output" == *"alpha.conf:4: [disk.data]: /var/lib/qemu-vm/zeta/data.qcow2 is also [disk.data] of VM zeta ($QEMU_VM_CONFIG_DIR/zeta.conf:3)"* ]]
        generated zeta
        ! generated alpha || false
}

@test "read-only disks, cdroms and backing files may be shared; shareable raw disks may be written by all" {
        disk_vm a 'path = /srv/ro.img' 'format = raw' 'readonly = yes'
        disk_vm b 'path = /srv/ro.img' 'format = raw' 'readonly = yes'
        disk_vm c 'path = /srv/cluster.img' 'format = raw' 'shareable = yes'
        disk_vm d 'path = /srv/cluster.img' 'format = raw' 'shareable = yes' 'bus = scsi'
        disk_vm e 'size = 1G' 'backing = /srv/base.qcow2'
        disk_vm f 'size = 1G' 'backing = /srv/base.qcow2'
        for vm in e f; do printf '[cdrom.install]\npath = /srv/install.iso\n' >>"$QEMU_VM_CONFIG_DIR/$vm.conf"; done
        run "$GENERATOR" --dry-run
        [ "$status" -eq 0 ]
        for vm in a b c d e f; do generated $vm; done
        [[ "$output" == *'"virtio-blk-pci,drive=disk-data,id=dev-disk-data,share-rw=on"'* ]]
        [[ "$output" == *'"scsi-hd,bus=scsi0.0,lun=0,drive=disk-data,id=dev-disk-data,share-rw=on"'* ]]
}

@test "a writer beside read-only users, and another VM's writable disk as a backing file, are refused" {
        disk_vm a 'path = /srv/ro.img' 'format = raw' 'readonly = yes'
        disk_vm b 'path = /srv/ro.img' 'format = raw'
        disk_vm c 'path = /srv/shared.img' 'format = raw' 'readonly = yes' 'shareable = yes'
        disk_vm d 'path = /srv/shared.img' 'format = raw' 'shareable = yes'
        disk_vm e 'path = /srv/shared.img' 'format = raw' 'readonly = yes'
        disk_vm f 'size = 1G'
        disk_vm g 'size = 1G' 'backing = /var/lib/qemu-vm/f/data.qcow2'
        run "$GENERATOR" --dry-run
        [ "$status" -eq 1 ]
        [[ "$output" == *"b.conf:4: [disk.data]: /srv/ro.img is also [disk.data] of VM a ($QEMU_VM_CONFIG_DIR/a.conf:4), which does not share it with writers"* ]]
        [[ "$output" == *"e.conf:4: [disk.data]: /srv/shared.img is also [disk.data] of VM d ($QEMU_VM_CONFIG_DIR/d.conf:4), which writes it"* ]]
        [[ "$output" == *"g.conf:3: the backing file of [disk.data]: /var/lib/qemu-vm/f/data.qcow2 is also [disk.data] of VM f ($QEMU_VM_CONFIG_DIR/f.conf:3), which writes it"* ]]
        for vm in a c d f; do generated $vm; done
        for vm in b e g; do ! generated $vm; done
}

@test "another spelling of a path is the same file: '//' and '/./' are folded, '..' refused, links followed to the file" {
        disk_vm alpha 'size = 1G'
        disk_vm beta 'path = /var/lib/qemu-vm/alpha//data.qcow2'
        disk_vm gamma 'path = /var/lib/qemu-vm/./alpha/data.qcow2/'
        disk_vm delta 'path = /var/lib/qemu-vm/delta/../alpha/data.qcow2'
        run "$GENERATOR" --dry-run
        [ "$status" -eq 1 ]
        [[ "$output" == *"beta.conf:4: [disk.data]: /var/lib/qemu-vm/alpha/data.qcow2 is also [disk.data] of VM alpha"* ]]
        [[ "$output" == *"gamma.conf:4: [disk.data]: /var/lib/qemu-vm/alpha/data.qcow2 is also [disk.data] of VM alpha"* ]]
        [[ "$output" == *"delta.conf:4: 'path' must not contain '..', got '/var/lib/qemu-vm/delta/../alpha/data.qcow2'"* ]]
        generated alpha
        for vm in beta gamma delta; do ! generated $vm; done

        # An existing image reached through a link is known by its inode.
        rm "$QEMU_VM_CONFIG_DIR"/*.conf
        local dir=$BATS_TEST_TMPDIR/images
        mkdir -p "$dir"
        touch "$dir/shared.img"
        ln -s shared.img "$dir/link.img"
        disk_vm one "path = $dir/shared.img" 'format = raw'
        disk_vm two "path = $dir/link.img" 'format = raw'
        run "$GENERATOR" --dry-run
        [ "$status" -eq 1 ]
        [[ "$output" == *"two.conf:4: [disk.data]: $dir/link.img is also [disk.data] $dir/shared.img of VM one"* ]]
        generated one
        ! generated two || false
}
