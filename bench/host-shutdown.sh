#!/bin/bash
# bench/host-shutdown.sh [BUILD_DIR]: what a host shutdown costs with N booted guests, N = 5 and 20
# (SIZES), in one booted-systemd container, the contenders interleaved run by run:
#
#   qemu-vm         N qemu-vm@ units (autostart = yes), all stopped by one
#                   `systemctl stop machines.target`, as at host shutdown
#   libvirt-guests  N libvirt 9 domains, stopped by `systemctl stop libvirt-guests` with
#                   ON_SHUTDOWN=shutdown and Debian's other defaults (one guest after another)
#
# Same test guest as bench/vm-lifecycle.sh (the system suite's kernel and initramfs, TCG, 256 MiB,
# one 16M virtio disk, serial to a file). Timed from the command until every QEMU process is gone
# (bench/lifecycle-timer, pidfds opened before the clock starts), once every guest's ACPI listener is
# up; each guest must then have powered itself down (its own serial log says so), or the run fails.
# RUNS cycles per contender and size (default 9) after one warm-up; medians, spreads and ratios.
# Needs root; libvirt is installed inside the container only (bench/bench-container.bash).
set -euo pipefail

# shellcheck source=bench-container.bash
source "$(dirname "$0")/bench-container.bash"
runs=${RUNS:-9}
read -r -a sizes <<<"${SIZES:-5 20}"
bench_download_libvirt
bench_boot_container
most=$(printf '%s\n' "${sizes[@]}" | sort -n | tail -1)

names() { for i in $(seq 1 "$2"); do printf '%s%02d\n' "$1" "$i"; done; }
# no_timer_check: twenty TCG guests booting on two cores can fail the kernel's early check of the
# timer interrupt ("IO-APIC + timer doesn't work!"), which real hardware does not need.
guest_params=no_timer_check
for vm in $(names host "$most"); do
        guest_vm "$vm" "$guest_params" "autostart = yes" "[disk.root]" "size = 16M"
done
in_container systemctl daemon-reload
libvirt_install
for vm in $(names lv "$most"); do
        libvirt_define "$vm" "$guest_params"
done
# ON_BOOT=ignore: starting libvirt-guests (which arms its stop) leaves starting guests to this script.
in_container sh -c 'printf "ON_BOOT=ignore\nON_SHUTDOWN=shutdown\n" >>/etc/default/libvirt-guests'

# guests CONTENDER N: the names of its first N guests.
guests() { if [ "$1" = qemuvm ]; then names host "$2"; else names lv "$2"; fi; }

# guest_log CONTENDER NAME: the guest's serial log.
guest_log() { if [ "$1" = qemuvm ]; then echo "/var/log/qemu-vm/$2.log"; else libvirt_serial_log "$2"; fi; }

# boot_and_stop CONTENDER N: boots N guests, waits for their listeners, prints the stop time (us).
boot_and_stop() {
        local contender=$1 n=$2 vm log i vms pids=() listening=() off=()
        mapfile -t vms < <(guests "$contender" "$n")
        for vm in "${vms[@]}"; do
                log=$(guest_log "$contender" "$vm")
                listening+=("$(listener_count "$log")")
                off+=("$(powered_off_count "$log")")
        done
        if [ "$contender" = qemuvm ]; then
                in_container systemctl start "${vms[@]/#/qemu-vm@}"
        else
                for vm in "${vms[@]}"; do in_container virsh -q start "$vm" >/dev/null; done
                in_container systemctl start libvirt-guests
        fi
        for i in "${!vms[@]}"; do
                wait_for_listener "$(guest_log "$contender" "${vms[$i]}")" $((listening[i] + 1))
        done
        for vm in "${vms[@]}"; do
                if [ "$contender" = qemuvm ]; then
                        pids+=("$(in_container systemctl show -p MainPID --value "qemu-vm@$vm")")
                else
                        pids+=("$(in_container cat "/run/libvirt/qemu/$vm.pid")")
                fi
        done
        local stop=(systemctl stop machines.target)
        [ "$contender" = qemuvm ] || stop=(systemctl stop libvirt-guests)
        in_container "$bench_timer" stop "$(IFS=,; echo "${pids[*]}")" -- "${stop[@]}"
        for i in "${!vms[@]}"; do
                [ "$(powered_off_count "$(guest_log "$contender" "${vms[$i]}")")" -gt "${off[i]}" ] ||
                        { echo "${vms[$i]} ($contender) did not power itself down" >&2; exit 1; }
        done
}

results=$BATS_FILE_TMPDIR/results
: >"$results"
contenders=(qemuvm libvirt)
for run in $(seq 0 "$runs"); do
        for n in "${sizes[@]}"; do
                for c in "${contenders[@]}"; do
                        stopped=$(boot_and_stop "$c" "$n")
                        # Run 0 warms caches up (and socket-activates libvirtd) and is not counted.
                        [ "$run" = 0 ] || echo "$c $n $stopped" >>"$results"
                done
        done
done

# stats CONTENDER N: "median min max" in microseconds.
stats() { awk -v c="$1" -v n="$2" '$1 == c && $2 == n { print $3 }' "$results" | median_spread; }

echo "# $runs runs each, interleaved; medians (spread min-max) in ms, until every QEMU is gone"
for n in "${sizes[@]}"; do
        read -r ours lo hi < <(stats qemuvm "$n")
        echo "N=$n qemu-vm (systemctl stop machines.target) $(ms "$ours") ($(ms "$lo")-$(ms "$hi"))"
        read -r theirs lo hi < <(stats libvirt "$n")
        echo "N=$n libvirt-guests (systemctl stop libvirt-guests) $(ms "$theirs") ($(ms "$lo")-$(ms "$hi")), x$(ratio "$theirs" "$ours") of qemu-vm"
done
