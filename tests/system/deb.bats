#!/usr/bin/env bats
# The Debian package: debian/ built with `dpkg-buildpackage -us -uc -b` from a copy of the source tree,
# installed with dpkg into a booted-systemd container that has no other qemu-vm, a VM booted from a
# dropped file, then the package removed and purged: VM files and disks stay.
# BUILD_DIR and SOURCE_ROOT come from meson (tests/meson.build).

load helpers

setup_file() {
        # Built from the files git knows (tracked, or new and not ignored): no build directory in it.
        # Symbolic links stay links (-P): the golden trees hold some whose targets exist only on a host.
        local src=$BATS_FILE_TMPDIR/src
        mkdir "$src"
        (cd "$SOURCE_ROOT" && git ls-files -z --cached --others --exclude-standard | xargs -0 cp -P --parents -t "$src")
        if ! (cd "$src" && dpkg-buildpackage -us -uc -b) >"$BATS_FILE_TMPDIR/dpkg-buildpackage.log" 2>&1; then
                tail -n 40 "$BATS_FILE_TMPDIR/dpkg-buildpackage.log" >&2
                return 1
        fi
        export DEB=$BATS_FILE_TMPDIR/$(cd "$BATS_FILE_TMPDIR" && ls qemu-vm_*_*.deb)
        system_suite_setup --no-install
        container_copy_in "$DEB" /opt/qemu-vm.deb
}

teardown_file() {
        system_suite_teardown
}

@test "the package depends on QEMU and the libraries it links, and recommends swtpm, OVMF, noVNC" {
        run dpkg-deb -f "$DEB" Depends
        for dep in qemu-system-x86 qemu-utils systemd libsystemd0 libinih1 libjson-c5 libuuid1 libisofs6 libcrypt1; do
                [[ "$output" == *"$dep"* ]] || { echo "Depends lacks $dep: $output" >&2; return 1; }
        done
        run dpkg-deb -f "$DEB" Recommends
        [ "$output" = "swtpm, swtpm-tools, ovmf, novnc, websockify, systemd-container" ]
}

@test "dpkg -i installs the generator, units, helpers, sysusers, tmpfiles, man pages and completion" {
        ! in_container test -e /lib/systemd/system-generators/qemu-vm-generator || false
        in_container dpkg -i /opt/qemu-vm.deb
        for path in /lib/systemd/system-generators/qemu-vm-generator /lib/systemd/system/qemu-vm@.service \
                /lib/systemd/system/qemu-vm-tap@.service /lib/systemd/system/swtpm@.socket \
                /lib/systemd/system/qemu-vm-machine@.service /lib/systemd/system/qemu-vm-account@.service \
                /lib/systemd/system/novnc@.socket \
                /usr/libexec/qemu-vm/qemu-vm-prepare /usr/libexec/qemu-vm/qemu-vm-prepare-root \
                /usr/libexec/qemu-vm/qemu-vm-shutdown \
                /usr/libexec/qemu-vm/qemu-vm-register \
                /usr/lib/sysusers.d/qemu-vm.conf /usr/lib/tmpfiles.d/qemu-vm.conf \
                /usr/share/man/man8/qemu-vm@.service.8.gz /usr/share/bash-completion/completions/qemu-vmctl; do
                in_container test -e "$path" || { echo "missing $path" >&2; return 1; }
        done
        # postinst: the users, the directories, the site defaults as a conffile.
        in_container getent passwd qemu-vm
        in_container getent group qemu-vm-console
        in_container test -d /etc/qemu/vms
        in_container test -d /var/lib/qemu-vm
        in_container grep -qx /etc/qemu/qemu-vm.conf /var/lib/dpkg/info/qemu-vm.conffiles
        [ "$(in_container qemu-vmctl --version)" = "qemu-vmctl $(dpkg-deb -f "$DEB" Version)" ]
        in_container sh -c 'man -w qemu-vm.conf | grep -q /usr/share/man/man5/qemu-vm.conf.5.gz'
}

@test "a dropped file boots a VM with the packaged helpers; stop powers the guest down" {
        guest_vm debvm "" "[disk.root]" "size = 16M"
        in_container systemctl daemon-reload
        run in_container systemctl cat qemu-vm@debvm
        [[ "$output" == *'ExecStart="/usr/libexec/qemu-vm/qemu-vm-prepare"'* ]]
        in_container systemctl start qemu-vm@debvm
        wait_for_serial debvm "QEMU-VM-GUEST: acpi listener up" 1
        in_container systemctl stop qemu-vm@debvm
        in_container grep -q "QEMU-VM-GUEST: power button pressed, powering off" /var/log/qemu-vm/debvm/serial.log
        in_container test -s /var/lib/qemu-vm/debvm/root.qcow2
}

@test "removing the package stops running VMs gracefully and keeps VM files and disks; so does purging" {
        in_container systemctl start qemu-vm@debvm
        wait_for_serial debvm "QEMU-VM-GUEST: acpi listener up" 2
        in_container sh -c 'echo "# the admin changed this" >>/etc/qemu/qemu-vm.conf'
        in_container dpkg -r qemu-vm
        [ "$(in_container systemctl is-active qemu-vm@debvm)" != active ]
        [ "$(in_container grep -c "QEMU-VM-GUEST: power button pressed, powering off" /var/log/qemu-vm/debvm/serial.log)" -eq 2 ]
        ! in_container test -e /lib/systemd/system-generators/qemu-vm-generator || false
        ! in_container systemctl cat qemu-vm@debvm || false
        in_container test -f /etc/qemu/vms/debvm.conf
        in_container qemu-img check -q /var/lib/qemu-vm/debvm/root.qcow2
        # A removed package keeps its conffiles; purge takes them, not the VMs.
        in_container grep -q "the admin changed this" /etc/qemu/qemu-vm.conf
        in_container dpkg -P qemu-vm
        ! in_container test -e /etc/qemu/qemu-vm.conf || false
        in_container test -f /etc/qemu/vms/debvm.conf
        in_container test -f /var/lib/qemu-vm/debvm/root.qcow2
}
