# shellcheck shell=bash
# bench/bench-container.bash: what the benchmarks that boot guests share, sourced after `set -euo
# pipefail` with BUILD_DIR's path as "$1" of the sourcing script:
#   - the system suite's booted-systemd container with the build installed and the test guest copied
#     in (tests/system/helpers.bash, outside bats), shut down on exit;
#   - Debian's libvirt 9, installed inside that container only, from .debs downloaded once into
#     BUILD_DIR/bench-debs (the host gets nothing);
#   - waiting for a guest's ACPI listener, and medians and ratios of the figures.
# Needs root, like the system suite.

# A failing command inside $(...) ends the benchmark too (bash does not pass set -e on by default).
shopt -s inherit_errexit

bench_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bench_build=$(cd "${1:-build}" && pwd)
bench_timer=$bench_build/bench/lifecycle-timer
[ -x "$bench_timer" ] || { echo "build first: meson setup build && ninja -C build" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "needs root: it boots systemd in a container" >&2; exit 1; }

bench_debs=$bench_build/bench-debs

# bench_download_libvirt: the .debs of libvirt-daemon-system and what it needs, once.
bench_download_libvirt() {
        compgen -G "$bench_debs/libvirt-daemon-system_*.deb" >/dev/null && return 0
        mkdir -p "$bench_debs/partial"
        apt-get install -y -q --download-only --no-install-recommends -o Dir::Cache::archives="$bench_debs" \
                -o APT::Sandbox::User=root libvirt-daemon-system >&2
}

# bench_boot_container: the container, the build installed, the guest's kernel and initramfs in
# $GUEST_IMAGES; BATS_FILE_TMPDIR is this run's scratch directory on the host.
bench_boot_container() {
        export BUILD_DIR=$bench_build SOURCE_ROOT=$bench_root BATS_TEST_DIRNAME=$bench_root/tests/system
        BATS_FILE_TMPDIR=$(mktemp -d)
        export BATS_FILE_TMPDIR
        # shellcheck source=../tests/system/helpers.bash
        source "$bench_root/tests/system/helpers.bash"
        trap 'container_shutdown; rm -rf "$BATS_FILE_TMPDIR"' EXIT
        system_suite_setup
}

# serial_count LOG TEXT: how often the guest has written TEXT to its serial log (0 before the log exists).
serial_count() {
        local n
        n=$(in_container grep -cF -- "$2" "$1" 2>/dev/null || true)
        echo "${n:-0}"
}

# listener_count LOG: how often the guest has said it hears the power button.
listener_count() { serial_count "$1" 'QEMU-VM-GUEST: acpi listener up'; }

# powered_off_count LOG: how often the guest has powered itself down on the power button.
powered_off_count() { serial_count "$1" 'QEMU-VM-GUEST: power button pressed, powering off'; }

# wait_for_listener LOG COUNT
wait_for_listener() {
        local deadline=$((SECONDS + 300))
        until [ "$(listener_count "$1")" -ge "$2" ]; do
                [ "$SECONDS" -lt "$deadline" ] || { echo "the guest did not come up; $1 ends:" >&2; in_container tail "$1" >&2; exit 1; }
                sleep 0.1
        done
}

# libvirt_install: libvirt from the downloaded .debs, its local sockets started, remote ones masked,
# the guest's kernel and initramfs in /var/lib/libvirt/images.
libvirt_install() {
        container_copy_in "$bench_debs" /opt/bench-debs
        # The man-db trigger would be most of the install's time.
        in_container rm -f /var/lib/man-db/auto-update
        in_container sh -c 'DEBIAN_FRONTEND=noninteractive dpkg -i /opt/bench-debs/*.deb' >"$BATS_FILE_TMPDIR/dpkg.log" 2>&1 ||
                { cat "$BATS_FILE_TMPDIR/dpkg.log" >&2; exit 1; }
        # No remote access (Debian ships these disabled; masked to be sure).
        in_container systemctl mask --now libvirtd-tcp.socket libvirtd-tls.socket >/dev/null 2>&1
        in_container systemctl daemon-reload
        in_container systemctl start virtlogd.socket virtlockd.socket libvirtd.socket libvirtd-ro.socket \
                libvirtd-admin.socket
        in_container cp "$GUEST_IMAGES/vmlinuz" "$GUEST_IMAGES/initrd.img" /var/lib/libvirt/images/
}

# libvirt_serial_log NAME: where libvirt_define's domain NAME writes its serial console.
libvirt_serial_log() { echo "/var/log/libvirt/qemu/$1-serial.log"; }

# libvirt_define NAME [PARAMS]: a domain equivalent to the test guest under qemu-vm (direct kernel
# boot with kernel parameters PARAMS, q35, TCG, cpu max, 256 MiB, a new 16M virtio qcow2 disk, serial
# to a file, no USB, balloon or NIC).
libvirt_define() {
        local vm=$1 params=${2:-} images=/var/lib/libvirt/images
        in_container qemu-img create -q -f qcow2 "$images/$vm.qcow2" 16M
        # Without <acpi/> libvirt gives QEMU -no-acpi and the power button does nothing.
        put_file "/root/$vm.xml" <<EOF
<domain type='qemu'>
  <name>$vm</name>
  <memory unit='MiB'>256</memory>
  <vcpu>1</vcpu>
  <cpu mode='maximum'/>
  <os>
    <type arch='x86_64' machine='q35'>hvm</type>
    <kernel>$images/vmlinuz</kernel>
    <initrd>$images/initrd.img</initrd>
    <cmdline>$params console=ttyS0</cmdline>
  </os>
  <features><acpi/></features>
  <on_poweroff>destroy</on_poweroff>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2' cache='none' discard='unmap'/>
      <source file='$images/$vm.qcow2'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <controller type='usb' model='none'/>
    <serial type='file'>
      <source path='$(libvirt_serial_log "$vm")' append='on'/>
      <target port='0'/>
    </serial>
    <memballoon model='none'/>
  </devices>
</domain>
EOF
        in_container virsh -q define "/root/$vm.xml" >/dev/null
}

# median_spread: of numbers on stdin, "median min max".
median_spread() {
        sort -n | awk '{ a[NR] = $1 } END { m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; print m, a[1], a[NR] }'
}
ms() { awk -v us="$1" 'BEGIN { printf "%.1f", us / 1000 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
