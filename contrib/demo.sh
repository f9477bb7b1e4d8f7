#!/bin/bash
# Sets up and runs a demo VM on a Debian 12 host whose PID 1 is systemd: installs the packages it
# needs, builds and installs qemu-vm, builds the tiny test guest (Debian's kernel and busybox),
# drops /etc/qemu/vms/demo.conf and starts qemu-vm@demo. It leaves the VM running.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" != 0 ]; then
        exec sudo "$0" "$@"
fi
if [ ! -d /run/systemd/system ]; then
        echo "demo.sh: systemd is not running as PID 1 here; qemu-vm needs it." >&2
        exit 1
fi

packages=(gcc libc6-dev meson ninja-build pkg-config libsystemd-dev libinih-dev uuid-dev libjson-c-dev libisofs-dev libcrypt-dev scdoc
          systemd-container qemu-system-x86 qemu-utils ovmf nftables cpio kmod)
if ! dpkg -s "${packages[@]}" >/dev/null 2>&1; then
        apt-get update
        DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${packages[@]}"
fi

build=${BUILD_DIR:-build}
[ -d "$build" ] || meson setup "$build"
meson install -C "$build" --quiet

images=/var/lib/qemu-vm/images/demo-guest
tests/system/build-guest.sh "$images"
chmod 0755 /var/lib/qemu-vm/images "$images"

# KVM where it works; DEMO_ACCEL=tcg on machines whose /dev/kvm cannot boot guests.
cat >/etc/qemu/vms/demo.conf <<CONF
# The qemu-vm demo: a tiny guest booted through UEFI from Debian's kernel and a busybox initramfs.
[vm]
memory = 256M
accel = ${DEMO_ACCEL:-kvm:tcg}
firmware = uefi
shutdown_timeout = 30
kernel = $images/vmlinuz
initrd = $images/initrd.img
cmdline = console=ttyS0

[disk.root]
size = 64M

[net.lan]
mode = user
CONF

systemctl daemon-reload
systemctl start qemu-vm@demo
echo "Started qemu-vm@demo; waiting for the guest to report on its serial console..."
for _ in $(seq 240); do
        grep -q "QEMU-VM-GUEST: ready" /var/log/qemu-vm/demo/serial.log 2>/dev/null && break
        sleep 0.5
done
grep "QEMU-VM-GUEST:" /var/log/qemu-vm/demo/serial.log || true
systemctl status --no-pager qemu-vm@demo || true
cat <<TEXT

The demo VM runs. Try:
  systemctl cat qemu-vm@demo            # the whole truth: QEMU command line and helpers
  journalctl -u qemu-vm@demo
  tail -f /var/log/qemu-vm/demo/serial.log     # its serial console
  systemctl stop qemu-vm@demo           # ACPI power-down; the guest powers itself off
TEXT
