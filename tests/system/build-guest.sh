#!/bin/bash
# build-guest.sh OUTDIR
#
# Builds the tiny test guest used by the system tests: OUTDIR/vmlinuz and
# OUTDIR/initrd.img (gzip'd newc cpio), made only from Debian packages:
# the concrete linux-image-*-amd64 package that linux-image-amd64 currently
# depends on, and busybox-static. Both are fetched with `apt-get download` and
# unpacked with `dpkg -x`; nothing is installed on the host.
#
# Idempotent: OUTDIR/build-guest.stamp holds the sha256 of this script; when
# it matches and both images exist, the script exits at once. A build happens
# in temporary directories and the results are renamed into place at the end,
# so OUTDIR never holds half-written images. Concurrent runs on the same
# OUTDIR serialise on a lock of the directory itself.
#
# The guest's /init (busybox sh) prints lines starting with "QEMU-VM-GUEST: "
# on the console (use console=ttyS0):
#   booted
#   disks=vda,vdb          /sys/block minus loop*, ram*, zram*, sr*
#   cdroms=sr0
#   cidata=sr0             a cloud-init NoCloud seed (ISO 9660 volume "cidata") was found there; then:
#   cidata-instance-id=ID  meta-data's instance-id
#   cidata-hostname=NAME   meta-data's local-hostname
#   cidata-key=TYPE BASE64 the first SSH key in user-data
#   cidata-address=CIDR    the first address in network-config
#   nics=eth0/52:54:00:12:34:56,...
#   tpm=yes|no             /sys/class/tpm/tpm0
#   tpm-ek=SHA256          with a TPM: sha256 of its RSA endorsement key (TPM2_ReadPublic of
#                          handle 0x81010001, where swtpm_setup --createek puts it); the same TPM
#                          gives the same value on every boot. tpm-ek=error-RC when the read fails.
#   efi=yes|no             /sys/firmware/efi
#   bootcount=N|none       counter in the first 16 bytes of vda, sda or nvme0n1
#   acpi listener up       busybox acpid; the power button powers off:
#   power button pressed, powering off
#   ready
# Kernel command line switches it understands:
#   qemu_vm_test.ignore_acpi=1   do not start acpid ("ignoring ACPI")
#   qemu_vm_test.acpi_delay=N    sleep N s before starting acpid
#   qemu_vm_test.net=ADDR/PREFIX configure eth0 (qemu_vm_test.gw=IP: default route)
#   qemu_vm_test.ping=IP         after that, ping IP (for up to 60 s): "ping IP ok" or "ping IP failed"
#   qemu_vm_test.httpd=PORT      serve on PORT a page "qemu-vm-test-guest uuid=SMBIOS-UUID" (busybox
#                                httpd): "httpd up on PORT"
#   qemu_vm_test.poweroff_after=N  N s after "ready", print "powering off by itself" and
#                                power off, as a guest's own shutdown does
#   qemu_vm_test.watch_disks=1  after "ready", print "disks=..." again whenever the set changes
#                                (hot-plug)
#   qemu_vm_test.echo=1          after "ready", answer each line typed on the console with
#                                "echo LINE"
#   qemu_vm_test.connect=IP:PORT,...  after "ready", every 2 s, try a TCP connection to each and
#                                print "connect IP:PORT ok" or "connect IP:PORT failed"
#   qemu_vm_test.flood=KIB       after "ready", print KIB kibibytes of "x" on the console, then
#                                "flood done"
#   qemu_vm_test.kmsg=1          keep kernel messages on the console after
#                                init starts (by default init lowers the console
#                                loglevel so they cannot split its own lines)
# Module load failures show as "QEMU-VM-GUEST: modprobe failed: NAME".
set -euo pipefail

prog=${0##*/}
die() { printf '%s: error: %s\n' "$prog" "$*" >&2; exit 1; }
log() { printf '%s: %s\n' "$prog" "$*" >&2; }

if [ $# -ne 1 ] || [ -z "$1" ]; then
    echo "usage: $prog OUTDIR" >&2
    exit 2
fi
outdir=$1
export PATH="$PATH:/usr/sbin:/sbin"
export LC_ALL=C

self=$(readlink -f -- "${BASH_SOURCE[0]}")
hash=$(sha256sum -- "$self") || die "cannot hash $self"
hash=${hash%% *}
stamp=$outdir/build-guest.stamp

up_to_date() {
    [ -s "$outdir/vmlinuz" ] && [ -s "$outdir/initrd.img" ] && [ -f "$stamp" ] &&
        [ "$(cat -- "$stamp" 2>/dev/null)" = "$hash" ]
}
up_to_date && exit 0

missing=()
for tool in apt-get apt-cache dpkg dpkg-deb depmod modprobe cpio gzip flock find sort; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
[ ${#missing[@]} -eq 0 ] ||
    die "missing tools: ${missing[*]} (on Debian: apt-get install apt dpkg kmod cpio gzip util-linux findutils coreutils)"

mkdir -p -- "$outdir" || die "cannot create $outdir"
outdir=$(cd -- "$outdir" && pwd) || die "cannot enter $outdir"
stamp=$outdir/build-guest.stamp
# Serialise concurrent builds into the same OUTDIR; re-check once we hold it.
exec 9<"$outdir" || die "cannot open $outdir"
flock 9 || die "cannot lock $outdir"
up_to_date && exit 0

work=
stage=
cleanup() {
    [ -z "$work" ] || rm -rf -- "$work"
    [ -z "$stage" ] || rm -rf -- "$stage"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
work=$(mktemp -d "${TMPDIR:-/tmp}/build-guest.XXXXXX") || die "cannot create a temporary directory"
stage=$(mktemp -d "$outdir/.build-guest.XXXXXX") || die "cannot create a temporary directory in $outdir"

# --- fetch --------------------------------------------------------------------
meta=linux-image-amd64
kpkg=$(apt-cache depends "$meta" 2>/dev/null |
    awk '$1 ~ /^[|]?Depends:$/ && $2 ~ /^linux-image-[0-9].*-amd64$/ { print $2; exit }') || true
[ -n "$kpkg" ] ||
    die "cannot resolve $meta to a concrete linux-image-*-amd64 package (is this Debian 12 on amd64, and has 'apt-get update' run?)"

apt_opts=()
# apt drops to user _apt for downloads, which cannot write into our private
# temporary directory; as root, download as root instead (no warning).
[ "$(id -u)" -ne 0 ] || apt_opts+=(-o APT::Sandbox::User=root)
mkdir "$work/debs"
log "downloading $kpkg and busybox-static"
if ! (cd "$work/debs" && apt-get download -q "${apt_opts[@]}" "$kpkg" busybox-static) >"$work/apt.log" 2>&1; then
    cat "$work/apt.log" >&2
    die "apt-get download $kpkg busybox-static failed (has 'apt-get update' run? is the Debian mirror reachable?)"
fi
kdeb=$(find "$work/debs" -maxdepth 1 -name "${kpkg}_*.deb" -print -quit)
bdeb=$(find "$work/debs" -maxdepth 1 -name 'busybox-static_*.deb' -print -quit)
[ -n "$kdeb" ] || die "apt-get download did not leave ${kpkg}_*.deb in $work/debs"
[ -n "$bdeb" ] || die "apt-get download did not leave the expected .deb files in $work/debs"

log "unpacking"
dpkg -x "$kdeb" "$work/kernel" || die "dpkg -x $kdeb failed"
dpkg -x "$bdeb" "$work/busybox" || die "dpkg -x $bdeb failed"

kvers=()
for d in "$work/kernel/lib/modules/"*/; do
    [ -d "$d" ] && kvers+=("$(basename -- "$d")")
done
[ ${#kvers[@]} -eq 1 ] || die "expected exactly one lib/modules/VERSION in $kpkg, found: ${kvers[*]:-none}"
kver=${kvers[0]}
kroot=$work/kernel
vmlinuz=$kroot/boot/vmlinuz-$kver
[ -s "$vmlinuz" ] || die "$kpkg has no boot/vmlinuz-$kver"
busybox=$work/busybox/bin/busybox
[ -x "$busybox" ] || die "busybox-static has no bin/busybox"

# --- initramfs tree -----------------------------------------------------------
root=$work/root
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,run,tmp,mnt,etc/acpi,etc/qemu-vm-test,lib/modules}
mkdir -p "$root/var"
ln -s ../run "$root/var/run"
cp "$busybox" "$root/bin/busybox"
applets=$("$busybox" --list-full) || die "cannot run the unpacked busybox (the build host must run amd64 binaries)"
while IFS= read -r applet; do
    case $applet in
    */*) ;;
    *) continue ;;
    esac
    [ "$applet" = bin/busybox ] && continue
    [ -e "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
done <<<"$applets"

# Kernel modules, in load order. Dependencies (hard and soft) come from kmod
# run against the unpacked package; the guest loads each name with busybox
# modprobe, which follows modules.dep of the trimmed tree.
want_modules=(
    virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci
    scsi_mod sd_mod cdrom sr_mod
    failover net_failover
    virtio_blk virtio_net virtio_scsi
    nvme_core nvme
    libata libahci ahci ata_piix
    isofs
    e1000 e1000e
    button evdev
)
log "computing module dependencies for $kver"
depmod -b "$kroot" "$kver" || die "depmod -b on the unpacked $kpkg failed"
mods_dst=$root/lib/modules/$kver
mkdir -p "$mods_dst"
declare -A copied=()
: >"$root/etc/qemu-vm-test/modules"
for m in "${want_modules[@]}"; do
    if ! deps=$(modprobe -C /dev/null -d "$kroot" -S "$kver" --show-depends --ignore-install "$m" 2>/dev/null); then
        log "warning: module $m is not in $kpkg; the guest will report it as failed"
        echo "$m" >>"$root/etc/qemu-vm-test/modules"
        continue
    fi
    builtin=no
    while read -r verb path _; do
        case $verb in
        builtin) builtin=yes ;;
        insmod)
            rel=${path#"$kroot/lib/modules/$kver/"}
            [ "$rel" != "$path" ] || die "unexpected module path from modprobe: $path"
            if [ -z "${copied[$rel]:-}" ]; then
                mkdir -p "$mods_dst/$(dirname -- "$rel")"
                cp "$path" "$mods_dst/$rel"
                copied[$rel]=1
            fi
            ;;
        esac
    done <<<"$deps"
    # Built in: nothing to load.
    [ "$builtin" = yes ] || echo "$m" >>"$root/etc/qemu-vm-test/modules"
done
for f in modules.builtin modules.builtin.modinfo; do
    [ ! -f "$kroot/lib/modules/$kver/$f" ] || cp "$kroot/lib/modules/$kver/$f" "$mods_dst/"
done
# modules.order, trimmed to what we ship
: >"$mods_dst/modules.order"
if [ -f "$kroot/lib/modules/$kver/modules.order" ]; then
    while IFS= read -r rel; do
        [ -z "${copied[$rel]:-}" ] || echo "$rel"
    done <"$kroot/lib/modules/$kver/modules.order" >"$mods_dst/modules.order"
fi
depmod -b "$root" "$kver" || die "depmod -b on the initramfs tree failed"
[ -s "$mods_dst/modules.dep" ] || die "depmod produced no modules.dep"

kpkg_version=$(dpkg-deb -f "$kdeb" Version)
bb_version=$(dpkg-deb -f "$bdeb" Version)
cat >"$root/etc/qemu-vm-test/versions" <<EOF
kernel_package=$kpkg
kernel_package_version=$kpkg_version
kernel_release=$kver
busybox_static_version=$bb_version
build_guest_sha256=$hash
EOF

# busybox acpid: a KEY_POWER press maps (built-in map table) to the event
# "button/power PWRF 00000080"; the action file maps any event containing PWRF
# to a path relative to the config dir /etc/acpi, run directly when it is a
# file. acpid needs the ACPI button and evdev modules (/dev/input/event*).
cat >"$root/etc/acpid.conf" <<'EOF'
PWRF power-button
EOF
cat >"$root/etc/acpi/power-button" <<'EOF'
#!/bin/sh
echo "QEMU-VM-GUEST: power button pressed, powering off" >/dev/console
sync
# let the serial line drain before the machine goes away
sleep 0.2
poweroff -f
EOF
chmod 0755 "$root/etc/acpi/power-button"

cat >"$root/init" <<'EOF'
#!/bin/sh
# PID 1 of the qemu-vm test guest (made by tests/system/build-guest.sh).
# Must never exit: the kernel panics when PID 1 ends.
export PATH=/sbin:/bin:/usr/sbin:/usr/bin

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
exec </dev/console >/dev/console 2>&1

say() { echo "QEMU-VM-GUEST: $*"; }
cmdline=$(cat /proc/cmdline)
has() { case " $cmdline " in *" $1 "*) return 0 ;; esac; return 1; }
arg() {
    for w in $cmdline; do
        case $w in "$1="*) echo "${w#*=}"; return 0 ;; esac
    done
    return 1
}

# Kernel messages printed while we write would split our lines on the serial
# console; keep only emergencies unless asked otherwise.
has qemu_vm_test.kmsg=1 || dmesg -n 1

say booted

while read -r m; do
    case $m in '' | '#'*) continue ;; esac
    [ -d "/sys/module/$m" ] && continue
    modprobe "$m" >/dev/null 2>&1 || say "modprobe failed: $m"
done </etc/qemu-vm-test/modules

# Devices behind SCSI/ATA scans and NVMe resets appear asynchronously: wait
# until /sys/block and /sys/class/net stay unchanged for 0.6 s (at most 10 s),
# every NVMe controller is live and (for up to 3 s) has a namespace.
snapshot() { echo /sys/block/* /sys/class/net/*; }
prev=$(snapshot)
stable=0
i=0
while [ "$i" -lt 50 ]; do
    sleep 0.2
    i=$((i + 1))
    cur=$(snapshot)
    busy=0
    for c in /sys/class/nvme/nvme*; do
        [ -r "$c/state" ] || continue
        [ "$(cat "$c/state" 2>/dev/null)" = live ] || busy=1
        set -- "$c"/nvme*n*
        [ -e "$1" ] || [ "$i" -ge 15 ] || busy=1
    done
    if [ "$cur" = "$prev" ] && [ "$busy" = 0 ]; then
        stable=$((stable + 1))
        [ "$stable" -ge 3 ] && break
    else
        stable=0
    fi
    prev=$cur
done

# block_devices KIND: the disks (KIND=disks) or cdroms, comma-separated.
block_devices() {
    list=
    for d in /sys/block/*; do
        [ -e "$d" ] || continue
        n=${d##*/}
        case $n in
        loop* | ram* | zram*) continue ;;
        sr*) [ "$1" = cdroms ] || continue ;;
        *) [ "$1" = disks ] || continue ;;
        esac
        list=$list${list:+,}$n
    done
    echo "$list"
}
say "disks=$(block_devices disks)"
say "cdroms=$(block_devices cdroms)"

# A NoCloud seed is found as cloud-init finds it: by the volume label cidata (an ISO 9660 volume id,
# 32 bytes at offset 32808), on any block device.
mkdir -p /mnt/cidata
for d in /sys/block/*; do
    n=${d##*/}
    case $n in loop* | ram* | zram*) continue ;; esac
    label=$(dd if="/dev/$n" bs=1 skip=32808 count=32 2>/dev/null | tr -d ' ')
    [ "$label" = cidata ] || continue
    if ! mount -t iso9660 -o ro "/dev/$n" /mnt/cidata; then
        say "cidata mount failed: $n"
        continue
    fi
    say "cidata=$n"
    say "cidata-instance-id=$(sed -n 's/^instance-id: //p' /mnt/cidata/meta-data | tr -d '"')"
    say "cidata-hostname=$(sed -n 's/^local-hostname: //p' /mnt/cidata/meta-data | tr -d '"')"
    say "cidata-key=$(grep -o -m1 'ssh-[a-z0-9-]* [A-Za-z0-9+/=]*' /mnt/cidata/user-data)"
    if [ -f /mnt/cidata/network-config ]; then
        say "cidata-address=$(grep -o -m1 '[0-9][0-9.]*/[0-9]*' /mnt/cidata/network-config)"
    fi
    umount /mnt/cidata
done

nics=
for d in /sys/class/net/*; do
    [ -e "$d" ] || continue
    n=${d##*/}
    [ "$n" = lo ] && continue
    nics=$nics${nics:+,}$n/$(cat "$d/address" 2>/dev/null)
done
say "nics=$nics"

# TPM2_ReadPublic(0x81010001): tag TPM_ST_NO_SESSIONS, size 14, TPM_CC_ReadPublic, the handle. The
# kernel takes one command per write() and returns the response on the next read().
tpm_ek() {
    j=0
    while [ ! -c /dev/tpm0 ] && [ "$j" -lt 20 ]; do sleep 0.1; j=$((j + 1)); done
    exec 3<>/dev/tpm0 || { echo error-open; return; }
    printf '\200\001\000\000\000\016\000\000\001\163\201\001\000\001' >&3
    dd bs=4096 count=1 <&3 >/tmp/tpm-ek 2>/dev/null
    exec 3<&-
    rc=$(od -An -tx1 -j6 -N4 /tmp/tpm-ek | tr -d ' \n')
    # An RSA 2048 key alone is 256 bytes: anything shorter is no key.
    if [ "$rc" = 00000000 ] && [ "$(wc -c </tmp/tpm-ek)" -gt 256 ]; then
        sha256sum /tmp/tpm-ek | cut -d' ' -f1
    else
        echo "error-$rc"
    fi
}
if [ -e /sys/class/tpm/tpm0 ]; then
    say tpm=yes
    say "tpm-ek=$(tpm_ek)"
else
    say tpm=no
fi
if [ -e /sys/firmware/efi ]; then say efi=yes; else say efi=no; fi

dev=
for n in vda sda nvme0n1; do
    if [ -e "/sys/block/$n" ]; then dev=/dev/$n; break; fi
done
if [ -z "$dev" ]; then
    say bootcount=none
else
    j=0
    while [ ! -b "$dev" ] && [ "$j" -lt 20 ]; do sleep 0.1; j=$((j + 1)); done
    raw=$(dd if="$dev" bs=16 count=1 2>/dev/null | tr -c '0-9' ' ')
    count=${raw%%[!0-9]*}
    while [ "${count#0}" != "$count" ]; do count=${count#0}; done
    [ -n "$count" ] || count=0
    count=$((count + 1))
    # conv=fsync: fsync() on the device sends a cache flush, so the count is on the host's disk image
    # (QEMU writes qcow2 metadata at a flush) and survives QEMU being killed, as a journal commit would.
    if printf '%-15s\n' "$count" | dd of="$dev" bs=16 count=1 conv=notrunc,fsync 2>/dev/null; then
        sync
        blockdev --flushbufs "$dev" 2>/dev/null
        say "bootcount=$count"
    else
        say "bootcount=$count"
        say "bootcount write failed: $dev"
    fi
fi

ip link set lo up 2>/dev/null
if addr=$(arg qemu_vm_test.net); then
    if ip addr add "$addr" dev eth0 && ip link set eth0 up; then
        say "net eth0 $addr"
        if gw=$(arg qemu_vm_test.gw); then
            ip route add default via "$gw" dev eth0 || say "net route failed: $gw"
        fi
    else
        say "net config failed: eth0 $addr"
    fi
fi

if port=$(arg qemu_vm_test.httpd); then
    mkdir -p /www
    echo "qemu-vm-test-guest uuid=$(cat /sys/class/dmi/id/product_uuid 2>/dev/null)" >/www/index.html
    if httpd -p "$port" -h /www; then say "httpd up on $port"; else say "httpd failed on $port"; fi
fi
if peer=$(arg qemu_vm_test.ping); then
    # In the background: the peer may still be booting, and the rest of init must not wait.
    (
        j=0
        until ping -c 1 -W 1 "$peer" >/dev/null 2>&1; do
            j=$((j + 1))
            if [ "$j" -ge 60 ]; then say "ping $peer failed"; exit 0; fi
            sleep 1
        done
        say "ping $peer ok"
    ) &
fi

if has qemu_vm_test.ignore_acpi=1; then
    say "ignoring ACPI"
else
    if delay=$(arg qemu_vm_test.acpi_delay); then
        say "acpi listener starts in $delay s"
        sleep "$delay"
    fi
    # acpid opens /dev/input/event0, 1, ... up to the first missing node, so
    # wait until the power button has an event device and every event device
    # has its node.
    j=0
    while [ "$j" -lt 50 ]; do
        okay=1
        button=0
        for e in /sys/class/input/event*; do
            [ -e "$e" ] || { okay=0; break; }
            [ -c "/dev/input/${e##*/}" ] || okay=0
            case $(cat "$e/device/name" 2>/dev/null) in *"Power Button"*) button=1 ;; esac
        done
        [ "$okay" = 1 ] && [ "$button" = 1 ] && break
        sleep 0.1
        j=$((j + 1))
    done
    rm -f /run/acpid.pid
    acpid -d -f -p /run/acpid.pid &
    acpid_pid=$!
    # acpid writes its pid file once it has opened the input devices.
    j=0
    while [ ! -s /run/acpid.pid ] && [ "$j" -lt 50 ] && kill -0 "$acpid_pid" 2>/dev/null; do
        sleep 0.1
        j=$((j + 1))
    done
    if [ -s /run/acpid.pid ] && kill -0 "$acpid_pid" 2>/dev/null; then
        say "acpi listener up"
    else
        say "acpi listener failed"
    fi
fi

say ready
if has qemu_vm_test.watch_disks=1; then
    # Hot-plug: a new "disks=" line whenever the set of disks changes.
    (
        prev=$(block_devices disks)
        while :; do
            sleep 0.5
            cur=$(block_devices disks)
            [ "$cur" = "$prev" ] || say "disks=$cur"
            prev=$cur
        done
    ) &
fi
if has qemu_vm_test.echo=1; then
    # The serial console's input: every line typed comes back as "echo LINE". A background job's
    # stdin would be /dev/null, so the console is named.
    (
        while read -r line; do
            say "echo $line"
        done
    ) </dev/console &
fi
if targets=$(arg qemu_vm_test.connect); then
    (
        while :; do
            for t in $(echo "$targets" | tr , ' '); do
                if nc -w 3 "${t%:*}" "${t##*:}" </dev/null >/dev/null 2>&1; then
                    say "connect $t ok"
                else
                    say "connect $t failed"
                fi
            done
            sleep 2
        done
    ) &
fi
if kib=$(arg qemu_vm_test.flood); then
    dd if=/dev/zero bs=1024 count="$kib" 2>/dev/null | tr '\0' x >/dev/console
    echo >/dev/console
    say "flood done"
fi
if after=$(arg qemu_vm_test.poweroff_after); then
    sleep "$after"
    say "powering off by itself"
    sync
    poweroff -f
fi
while :; do
    sleep 3600
done
EOF
chmod 0755 "$root/init"

# --- pack ---------------------------------------------------------------------
log "packing the initramfs"
# /dev/console must be in the archive, or the kernel opens no console for
# init and nothing is printed. A device node needs root to mknod, so write its
# newc entry by hand as a second archive (the kernel unpacks concatenated
# archives in order; dev/ comes from the first).
newc_entry() { # NAME MODE(octal) RDEVMAJOR RDEVMINOR  (no data)
    local name=$1 mode=$2 rmaj=$3 rmin=$4 namesize pad
    namesize=$((${#name} + 1))
    printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X' \
        0 $((8#$mode)) 0 0 1 0 0 0 0 "$rmaj" "$rmin" "$namesize" 0
    printf '%s\0' "$name"
    pad=$(((4 - (110 + namesize) % 4) % 4))
    [ "$pad" -eq 0 ] || printf '\0%.0s' $(seq "$pad")
}
(cd "$root" && find . -mindepth 1 -printf '%P\n' | sort | cpio -o -H newc -R 0:0 --quiet) >"$work/main.cpio" ||
    die "cpio failed"
{
    newc_entry dev/console 020600 5 1
    newc_entry TRAILER!!! 0 0 0
} >"$work/console.cpio"
cat "$work/main.cpio" "$work/console.cpio" | gzip -9n >"$stage/initrd.img" || die "gzip failed"
cp "$vmlinuz" "$stage/vmlinuz"
cp "$root/etc/qemu-vm-test/versions" "$stage/guest-versions"
chmod 0644 "$stage/vmlinuz" "$stage/initrd.img" "$stage/guest-versions"
echo "$hash" >"$stage/build-guest.stamp"

# --- install ------------------------------------------------------------------
# The stamp goes last: a build interrupted here leaves no matching stamp, so
# the next run rebuilds.
rm -f -- "$stamp"
mv -f -- "$stage/vmlinuz" "$outdir/vmlinuz"
mv -f -- "$stage/initrd.img" "$outdir/initrd.img"
mv -f -- "$stage/guest-versions" "$outdir/guest-versions"
mv -f -- "$stage/build-guest.stamp" "$stamp"
log "built $outdir/vmlinuz and $outdir/initrd.img ($kpkg $kpkg_version, busybox-static $bb_version)"
