#!/usr/bin/env bats
# The Ansible role (contrib/ansible), run by Debian's ansible-core inside the booted-systemd container
# (connection local) against the build installed there: two VMs created and running, one's memory
# changed and restarted, one stopped, one destroyed, and a second run of the same play changing
# nothing. BUILD_DIR and SOURCE_ROOT come from meson (tests/meson.build).

load helpers

setup_file() {
        system_suite_setup
        in_container ansible-galaxy collection install "$SOURCE_ROOT/contrib/ansible" -p /root/collections >/dev/null
}

teardown_file() {
        system_suite_teardown
}

# play NAME STATE MEMORY NAME STATE MEMORY [EXTRA_YAML]: runs the role for two VMs booting the test
# guest; output in $output, status in $status.
play() {
        local vms="" i
        for i in 0 3; do
                local name=${*:i+1:1} state=${*:i+2:1} memory=${*:i+3:1}
                vms+="
        - name: $name
          state: $state
          force_destroy: ${FORCE_DESTROY:-false}
          config:
            vm:
              memory: $memory
              accel: tcg
              firmware: bios
              kernel: $GUEST_IMAGES/vmlinuz
              initrd: $GUEST_IMAGES/initrd.img
              cmdline: console=ttyS0
              shutdown_timeout: 30
              autostart: true
            disk.root:
              size: 16M"
        done
        put_file /root/play.yml <<EOF
- hosts: localhost
  connection: local
  gather_facts: false
  roles:
    - role: qemu_vm.vms.qemu_vm
      vars:
        qemu_vm_vms:$vms
EOF
        run in_container env ANSIBLE_COLLECTIONS_PATH=/root/collections ANSIBLE_NOCOLOR=1 \
                ansible-playbook -i localhost, /root/play.yml
        echo "# ansible-playbook: $(recap)" >&3
}

# recap: "ok=N changed=N failed=N" of the run.
recap() { grep -o 'ok=[0-9]* *changed=[0-9]* *unreachable=[0-9]* *failed=[0-9]*' <<<"$output" | tr -s ' '; }

# qemu_memory NAME: the -m of the VM's running QEMU.
qemu_memory() {
        local pid
        pid=$(in_container systemctl show -p MainPID --value "qemu-vm@$1")
        in_container cat "/proc/$pid/cmdline" | tr '\0' '\n' | grep -A1 -x -- -m | tail -1
}

@test "creates two VMs, validated files, and starts them" {
        play ans01 started 256M ans02 started 256M
        [ "$status" -eq 0 ]
        [[ "$(recap)" == *"failed=0"* ]]
        in_container grep -qx "memory = 256M" /etc/qemu/vms/ans01.conf
        in_container grep -qx "autostart = yes" /etc/qemu/vms/ans01.conf
        # They may hold password hashes: root's alone.
        [ "$(in_container stat -c '%a %U:%G' /etc/qemu/vms/ans01.conf /etc/qemu/vms/ans02.conf /etc/qemu/vms)" = \
                "$(printf '600 root:root\n600 root:root\n750 root:root')" ]
        [ "$(in_container systemctl is-active qemu-vm@ans01)" = active ]
        [ "$(in_container systemctl is-active qemu-vm@ans02)" = active ]
        wait_for_serial ans01 "QEMU-VM-GUEST: acpi listener up" 1
        wait_for_serial ans02 "QEMU-VM-GUEST: acpi listener up" 1
        [ "$(qemu_memory ans01)" = 256M ]
}

@test "a file the generator refuses replaces nothing, and the play fails naming the line" {
        play ans01 started 12Q ans02 started 256M
        [ "$status" -ne 0 ]
        [[ "$output" == *"invalid size '12Q' for 'memory'"* ]]
        in_container grep -qx "memory = 256M" /etc/qemu/vms/ans01.conf
        [ "$(in_container systemctl is-active qemu-vm@ans01)" = active ]
}

@test "changing one VM's memory with state restarted restarts it gracefully with the new size" {
        play ans01 restarted 320M ans02 started 256M
        [ "$status" -eq 0 ]
        [ "$(qemu_memory ans01)" = 320M ]
        in_container grep -q "QEMU-VM-GUEST: power button pressed, powering off" /var/log/qemu-vm/ans01/serial.log
        [ "$(qemu_memory ans02)" = 256M ]
}

@test "stops one VM; absent without force_destroy fails and deletes nothing" {
        play ans01 started 320M ans02 stopped 256M
        [ "$status" -eq 0 ]
        [ "$(in_container systemctl is-active qemu-vm@ans02)" = inactive ]
        [ "$(in_container systemctl is-active qemu-vm@ans01)" = active ]
        play ans01 absent 320M ans02 stopped 256M
        [ "$status" -ne 0 ]
        [[ "$output" == *"VM ans01: state absent deletes its disks and NVRAM"*"force_destroy: true"* ]]
        in_container test -f /etc/qemu/vms/ans01.conf
        [ "$(in_container systemctl is-active qemu-vm@ans01)" = active ]
}

@test "absent with force_destroy destroys one VM; the same play again changes nothing" {
        FORCE_DESTROY=true play ans01 absent 320M ans02 stopped 256M
        [ "$status" -eq 0 ]
        ! in_container test -e /etc/qemu/vms/ans01.conf || false
        ! in_container test -e /var/lib/qemu-vm/ans01 || false
        [ "$(in_container systemctl is-active qemu-vm@ans01)" = inactive ]
        in_container test -f /var/lib/qemu-vm/ans02/root.qcow2
        FORCE_DESTROY=true play ans01 absent 320M ans02 stopped 256M
        [ "$status" -eq 0 ]
        [[ "$(recap)" == *"changed=0 "* ]]
        [[ "$(recap)" == *"failed=0"* ]]
}

@test "a second run of an unchanged play with running VMs changes nothing" {
        play ans02 started 256M ans03 started 256M
        [ "$status" -eq 0 ]
        [[ "$(recap)" != *"changed=0 "* ]]
        play ans02 started 256M ans03 started 256M
        [ "$status" -eq 0 ]
        [[ "$(recap)" == *"changed=0 "* ]]
        in_container systemctl stop qemu-vm@ans02 qemu-vm@ans03
}
