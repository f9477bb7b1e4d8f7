#!/usr/bin/env bats
# [cloud-init]: qemu-vm-prepare-root builds the NoCloud seed as root at each start, the generator attaches
# it as a cdrom, and the test guest finds it by its label and prints what it holds (cidata-*=).
# BUILD_DIR and SOURCE_ROOT come from meson (tests/meson.build).

load helpers

SEED=/var/lib/qemu-vm/ci01/cloud-init.iso
LOG=/var/log/qemu-vm/ci01/serial.log

setup_file() {
        system_suite_setup
        local keys=$BATS_FILE_TMPDIR/keys
        mkdir -p "$keys"
        ssh-keygen -q -t ed25519 -N '' -C 'admin@host' -f "$keys/admin" </dev/null
        ssh-keygen -q -t rsa -b 2048 -N '' -C 'alice@laptop' -f "$keys/alice" </dev/null
        # Readable by root alone: the seed is built by a root ExecStartPre=, QEMU never reads these.
        put_file /etc/qemu/keys/admin.pub <"$keys/admin.pub"
        put_file /etc/qemu/keys/alice.pub <"$keys/alice.pub"
        in_container chmod 0600 /etc/qemu/keys/admin.pub /etc/qemu/keys/alice.pub
        cp "$keys/admin.pub" "$BATS_FILE_TMPDIR/admin.pub"
        export hash
        hash=$(openssl passwd -6 -salt qemuvmtest secret)
        write_ci01 first
        in_container chmod 0600 /etc/qemu/vms/ci01.conf
        in_container systemctl daemon-reload
}

teardown_file() {
        system_suite_teardown
}

# write_ci01 HOSTNAME
write_ci01() {
        guest_vm ci01 "" "[cloud-init]" "hostname = $1" "ssh_authorized_keys_file = /etc/qemu/keys/admin.pub" \
                "[user.alice]" "sudo = yes" "ssh_authorized_keys_file = /etc/qemu/keys/alice.pub" \
                "password_hash = $hash" \
                "[net.lan]" "mac = from-address" "address = 10.20.30.40/24" "gateway = 10.20.30.1" "dns = 10.20.30.1"
}

# guest_says KEY N: the value of "QEMU-VM-GUEST: KEY=" on the Nth boot.
guest_says() {
        in_container grep -o "QEMU-VM-GUEST: $1=.*" "$LOG" | sed -n "$2p" | cut -d= -f2- | tr -d '\r'
}

@test "start: the guest finds the seed by its label and reads its host name, key and address from it" {
        in_container systemctl start qemu-vm@ci01
        wait_for_serial ci01 "QEMU-VM-GUEST: ready" 1
        [ "$(guest_says cidata 1)" = sr0 ]
        [ "$(guest_says cidata-hostname 1)" = first ]
        [ "$(guest_says cidata-key 1)" = "$(cut -d' ' -f1,2 "$BATS_FILE_TMPDIR/admin.pub")" ]
        [ "$(guest_says cidata-address 1)" = 10.20.30.40/24 ]
        [[ "$(guest_says cidata-instance-id 1)" =~ ^iid-[0-9a-f-]{36}$ ]]
        # mac = from-address: 02:00 and the address's bytes, on the guest's NIC.
        [[ "$(guest_says nics 1)" == *"/02:00:0a:14:1e:28"* ]]
        # Made as root, owned by the VM's user, readable by no one else.
        [ "$(in_container stat -c '%U %a' "$SEED")" = "vm-ci01 600" ]
        run in_container journalctl -u qemu-vm@ci01 --no-pager
        [[ "$output" == *"Made cloud-init seed $SEED (iid-"* ]]
}

@test "isoinfo reads the seed: volume cidata, Rock Ridge and Joliet names; no unit shows the password hash" {
        run in_container isoinfo -d -i "$SEED"
        [[ "$output" == *"Volume id: cidata"* ]]
        [[ "$output" == *"Rock Ridge signatures"* ]]
        [[ "$output" == *"Joliet"* ]]
        [ "$(in_container isoinfo -R -f -i "$SEED" | sort | tr '\n' ' ')" = "/meta-data /network-config /user-data " ]
        [ "$(in_container isoinfo -J -f -i "$SEED" | sort | tr '\n' ' ')" = "/meta-data /network-config /user-data " ]
        run in_container isoinfo -R -x /user-data -i "$SEED"
        [[ "$output" == *"hashed_passwd: \"$hash\""* ]]
        [[ "$output" == *"$(cut -d' ' -f2 "$BATS_FILE_TMPDIR/admin.pub")"* ]]
        run in_container systemctl cat qemu-vm@ci01
        [[ "$output" == *'ExecStartPre=+"'*'/qemu-vm/qemu-vm-prepare-root" \'* ]]
        [[ "$output" == *'"--password-hash-at" "/etc/qemu/vms/ci01.conf:'* ]]
        [[ "$output" != *"$hash"* ]]
        run in_container systemctl show qemu-vm@ci01
        [[ "$output" != *"$hash"* ]]
}

@test "restart without a change keeps the seed file untouched and the instance-id" {
        local before
        before=$(in_container stat -c '%i %Y.%y' "$SEED")
        in_container systemctl restart qemu-vm@ci01
        wait_for_serial ci01 "QEMU-VM-GUEST: ready" 2
        [ "$(in_container stat -c '%i %Y.%y' "$SEED")" = "$before" ]
        [ "$(guest_says cidata-instance-id 2)" = "$(guest_says cidata-instance-id 1)" ]
        run in_container journalctl -u qemu-vm@ci01 --no-pager
        [[ "$output" == *"Cloud-init seed $SEED is up to date ($(guest_says cidata-instance-id 1)), kept."* ]]
}

@test "a new host name in the file: after daemon-reload and restart, a new instance-id and the new name" {
        write_ci01 second
        in_container systemctl daemon-reload
        in_container systemctl restart qemu-vm@ci01
        wait_for_serial ci01 "QEMU-VM-GUEST: ready" 3
        [ "$(guest_says cidata-hostname 3)" = second ]
        [ "$(guest_says cidata-instance-id 3)" != "$(guest_says cidata-instance-id 2)" ]
}

@test "a bad key file: the start fails naming the file and line, the VM does not run, the seed is kept" {
        local before
        before=$(in_container stat -c '%i %Y.%y %s' "$SEED")
        in_container systemctl stop qemu-vm@ci01
        in_container sh -c 'echo "ssh-ed25519 this-is-no-key" >>/etc/qemu/keys/alice.pub'
        run in_container systemctl start qemu-vm@ci01
        [ "$status" -ne 0 ]
        [ "$(in_container systemctl is-active qemu-vm@ci01)" != active ]
        run in_container journalctl -u qemu-vm@ci01 --no-pager
        [[ "$output" == *"SSH keys of [user.alice]: /etc/qemu/keys/alice.pub:2: the key data after the type is not base64"* ]]
        [[ "$output" == *"Cloud-init seed '$SEED' not made: the VM does not start until the problems above are fixed."* ]]
        [ "$(in_container stat -c '%i %Y.%y %s' "$SEED")" = "$before" ]
        [ -z "$(in_container find /var/lib/qemu-vm/ci01 -name '.*tmp-*')" ]
        [ "$(in_container grep -c 'QEMU-VM-GUEST: booted' "$LOG")" -eq 3 ]

        # Fixed, it starts, with the seed it had.
        in_container sed -i '2d' /etc/qemu/keys/alice.pub
        in_container systemctl reset-failed qemu-vm@ci01
        in_container systemctl start qemu-vm@ci01
        wait_for_serial ci01 "QEMU-VM-GUEST: ready" 4
        [ "$(in_container stat -c '%i %Y.%y %s' "$SEED")" = "$before" ]
}
