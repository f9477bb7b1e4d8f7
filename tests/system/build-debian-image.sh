#!/bin/bash
# Builds the real guest of the system tests: OUTDIR/debian-12.qcow2, a Debian 12 cloud image made from
# Debian packages only (no download outside the package archive), used exactly as a user uses
# Debian's downloaded genericcloud image: as the backing file of a VM's disk, booted through UEFI,
# configured by cloud-init from qemu-vm's NoCloud seed.
#
# What it holds, as the genericcloud image does: the cloud kernel (linux-image-cloud-amd64, no AHCI),
# systemd, cloud-init with netplan rendering for systemd-networkd and systemd-resolved, openssh-server,
# sudo, qemu-guest-agent, growpart, locales with en_US.UTF-8 made (cloud-init's default locale). GRUB
# (a standalone EFI binary, from grub-efi-amd64-bin) on an EFI system partition boots the kernel from
# an ext4 root file system labelled "debroot", console on ttyS0.
# Made without loop mounts: mmdebstrap into a directory, mkfs.ext4 -d, mkfs.vfat and mtools, sfdisk.
#
# Runs as root (mmdebstrap's root mode, and mkfs.ext4 -d keeps the owners). Built once: the image is
# kept, with a stamp of this script's hash, in OUTDIR; a later run with the same script returns at once.
# Usage: build-debian-image.sh OUTDIR
set -euo pipefail

prog=${0##*/}
die() { printf '%s: error: %s\n' "$prog" "$*" >&2; exit 1; }
log() { printf '%s: %s\n' "$prog" "$*" >&2; }

[ $# -eq 1 ] && [ -n "$1" ] || { echo "usage: $prog OUTDIR" >&2; exit 2; }
outdir=$1
export PATH="$PATH:/usr/sbin:/sbin" LC_ALL=C

self=$(readlink -f -- "${BASH_SOURCE[0]}")
hash=$(sha256sum -- "$self")
hash=${hash%% *}
image=$outdir/debian-12.qcow2
stamp=$outdir/debian-12.stamp

# Checked before the cache too: a machine without them could not make the image anew.
for tool in mmdebstrap mkfs.ext4 mkfs.vfat mmd mcopy sfdisk qemu-img flock; do
    command -v "$tool" >/dev/null || die "$tool is missing (.ci/run installs it)"
done
[ "$(id -u)" = 0 ] || die "must run as root"
[ -s "$image" ] && [ "$(cat -- "$stamp" 2>/dev/null)" = "$hash" ] && exit 0

mkdir -p -- "$outdir"
# Test files build the image in parallel: one builds, the others wait for it.
exec 9>"$outdir/debian-12.lock"
flock 9
[ -s "$image" ] && [ "$(cat -- "$stamp" 2>/dev/null)" = "$hash" ] && exit 0

work=$(mktemp -d "$outdir/debian-12.work.XXXXXX")
trap 'rm -rf -- "$work"' EXIT
root=$work/root

packages=(
    linux-image-cloud-amd64 systemd systemd-sysv systemd-resolved udev dbus
    cloud-init netplan.io openssh-server sudo qemu-guest-agent cloud-guest-utils
    e2fsprogs iproute2 iputils-ping procps less locales
    grub-efi-amd64-bin
)
# mmdebstrap hands apt a pipe by number, run through dash (`cat >&N`), which takes one digit only:
# descriptors a caller left open (bats holds several) would push the pipe to 10 and up.
for fd in /proc/self/fd/*; do
    fd=${fd##*/}
    [ "$fd" -gt 2 ] && [ "$fd" -ne 9 ] && eval "exec $fd>&-" 2>/dev/null || true
done
log "mmdebstrap: Debian 12 with ${packages[*]}"
# The hooks run on the host with the new root as $1.
mmdebstrap --variant=minbase --include="$(IFS=,; echo "${packages[*]}")" \
    --customize-hook='echo "LABEL=debroot / ext4 rw,discard,errors=remount-ro 0 1" >"$1/etc/fstab"' \
    --customize-hook='chroot "$1" systemctl enable systemd-networkd.service systemd-resolved.service' \
    --customize-hook='ln -sf /run/systemd/resolve/stub-resolv.conf "$1/etc/resolv.conf"' \
    --customize-hook='rm -f "$1"/etc/ssh/ssh_host_*; : >"$1/etc/machine-id"; rm -f "$1/var/lib/dbus/machine-id"' \
    --customize-hook='printf "debian\n" >"$1/etc/hostname"' \
    --customize-hook='sed -i "s/^# *en_US.UTF-8 UTF-8/en_US.UTF-8 UTF-8/" "$1/etc/locale.gen"; chroot "$1" locale-gen >/dev/null' \
    bookworm "$root" >"$work/mmdebstrap.log" 2>&1 || { tail -n 40 "$work/mmdebstrap.log" >&2; die "mmdebstrap failed"; }

[ -e "$root/vmlinuz" ] && [ -e "$root/initrd.img" ] || die "no /vmlinuz or /initrd.img in the image"

# GRUB as one EFI binary with its configuration inside: it finds the root by label and boots the
# kernel from it, as the genericcloud image's GRUB does (console on the first serial port).
cat >"$work/grub.cfg" <<'EOF'
set timeout=0
search --no-floppy --label debroot --set root
linux /vmlinuz root=LABEL=debroot ro console=tty0 console=ttyS0,115200
initrd /initrd.img
boot
EOF
cp "$work/grub.cfg" "$root/tmp/grub.cfg"
chroot "$root" grub-mkstandalone -O x86_64-efi -o /tmp/BOOTX64.EFI \
    --modules="part_gpt ext2 search" "boot/grub/grub.cfg=/tmp/grub.cfg"
mv "$root/tmp/BOOTX64.EFI" "$work/BOOTX64.EFI"
rm -f "$root/tmp/grub.cfg"
# The GRUB package itself is not needed in the guest any more.
chroot "$root" dpkg --purge grub-efi-amd64-bin >/dev/null

log "file systems and partitions"
esp_mib=32
root_mib=2048
mkfs.vfat -C -n ESP "$work/esp.img" $((esp_mib * 1024)) >/dev/null
mmd -i "$work/esp.img" ::/EFI ::/EFI/BOOT
mcopy -i "$work/esp.img" "$work/BOOTX64.EFI" ::/EFI/BOOT/BOOTX64.EFI
mkfs.ext4 -q -L debroot -d "$root" "$work/root.img" "${root_mib}M"

# GPT: 1 MiB gap, the ESP, the root file system, and room for the backup table.
disk=$work/disk.raw
truncate -s $((1 + esp_mib + root_mib + 1))M "$disk"
sfdisk -q "$disk" <<EOF
label: gpt
start=1MiB, size=${esp_mib}MiB, type=uefi, name=esp
start=$((1 + esp_mib))MiB, size=${root_mib}MiB, type=linux, name=root
EOF
dd if="$work/esp.img" of="$disk" bs=1M seek=1 conv=notrunc,sparse status=none
dd if="$work/root.img" of="$disk" bs=1M seek=$((1 + esp_mib)) conv=notrunc,sparse status=none
qemu-img convert -f raw -O qcow2 "$disk" "$work/debian-12.qcow2"
chmod 0644 "$work/debian-12.qcow2"
mv "$work/debian-12.qcow2" "$image"
echo "$hash" >"$stamp"
log "made $image ($(du -h "$image" | cut -f1))"
