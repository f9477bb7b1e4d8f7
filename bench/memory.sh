#!/bin/bash
# bench/memory.sh [BUILD_DIR]: the memory of every process qemu-vm adds to a running VM, against
# libvirt's daemons while one domain runs, in one booted-systemd container:
#
#   plain    a VM without TPM or console: every process of qemu-vm@'s cgroup other than QEMU, and
#            the serial log's (qemu-vm-serial-log@NAME, one small C process)
#   full     a VM with [tpm] and [vnc], before any browser connects: the processes of swtpm@NAME and
#            novnc@NAME (swtpm; websockify starts only on a connection), the serial log's, and any of
#            qemu-vm@NAME's other than QEMU
#   full-console  the same VM once a websocket client has done an RFB handshake on its console port
#            (tests/system/rfb-probe.py): websockify now runs, for [vnc] idle_timeout seconds
#   libvirt  libvirt 9: every process of libvirtd, virtlogd and virtlockd other than QEMU, while one
#            domain runs (libvirt in this container puts QEMU into libvirtd's cgroup)
#
# Same test guest as bench/vm-lifecycle.sh, read once its ACPI listener is up. Per process: VmRSS
# (/proc/PID/status: what `ps` shows, shared libraries counted whole) and Pss
# (/proc/PID/smaps_rollup: shared pages divided among their users). QEMU's own figures are printed
# beside, for scale. RUNS boots each (default 9), interleaved; medians and spreads of the sums.
# Needs root; libvirt is installed inside the container only (bench/bench-container.bash).
set -euo pipefail

# shellcheck source=bench-container.bash
source "$(dirname "$0")/bench-container.bash"
runs=${RUNS:-9}
bench_download_libvirt
bench_boot_container

guest_vm plain "" "[disk.root]" "size = 16M"
guest_vm full "" "[disk.root]" "size = 16M" "[tpm]" "[vnc]" "port = auto"
in_container systemctl daemon-reload
libvirt_install
libvirt_define lv

# unit_pids UNIT: the processes in UNIT's cgroup, one a line.
unit_pids() {
        local cgroup
        cgroup=$(in_container systemctl show -p ControlGroup --value "$1")
        [ -n "$cgroup" ] || return 0
        in_container cat "/sys/fs/cgroup$cgroup/cgroup.procs" 2>/dev/null || true
}

# memory_of PID: "NAME RSS_KB PSS_KB".
memory_of() {
        in_container sh -c 'printf "%s %s %s\n" "$(cat /proc/$1/comm)" \
                "$(awk "/^VmRSS:/ { print \$2 }" /proc/$1/status)" \
                "$(awk "/^Pss:/ { print \$2 }" /proc/$1/smaps_rollup)"' memory_of "$1"
}

mib() { awk -v kb="$1" 'BEGIN { printf "%.1f", kb / 1024 }'; }

# measure CONTENDER QEMU_PID UNIT...: one line "CONTENDER RSS PSS QEMU_RSS QEMU_PSS PROCESSES" (kB) for
# the processes of UNIT... other than QEMU_PID; PROCESSES is "NAME:RSS/PSS,..." in MiB.
measure() {
        local contender=$1 qemu=$2 pid name rss pss total_rss=0 total_pss=0 names=""
        shift 2
        for pid in $(for unit in "$@"; do unit_pids "$unit"; done); do
                [ "$pid" != "$qemu" ] || continue
                read -r name rss pss < <(memory_of "$pid")
                total_rss=$((total_rss + rss)) total_pss=$((total_pss + pss)) names+="$name:$(mib "$rss")/$(mib "$pss"),"
        done
        read -r _ rss pss < <(memory_of "$qemu")
        echo "$contender $total_rss $total_pss $rss $pss ${names%,}"
}

# cycle CONTENDER: boots its guest, measures, stops it.
cycle() {
        local c=$1 log qemu port
        if [ "$c" = libvirt ]; then log=$(libvirt_serial_log lv); else log=/var/log/qemu-vm/$c/serial.log; fi
        local seen
        seen=$(listener_count "$log")
        if [ "$c" = libvirt ]; then
                in_container virsh -q start lv >/dev/null
        else
                in_container systemctl start "qemu-vm@$c"
        fi
        wait_for_listener "$log" $((seen + 1))
        case $c in
        plain)
                qemu=$(in_container systemctl show -p MainPID --value qemu-vm@plain)
                measure plain "$qemu" qemu-vm@plain.service qemu-vm-serial-log@plain.service ;;
        full)
                qemu=$(in_container systemctl show -p MainPID --value qemu-vm@full)
                local units=(qemu-vm@full.service swtpm@full.service novnc@full.service qemu-vm-serial-log@full.service)
                measure full "$qemu" "${units[@]}"
                # A browser's first connection starts websockify, which stays for idle_timeout (60 s).
                port=$(in_container systemctl cat novnc@full.socket | sed -n 's/^ListenStream=127\.0\.0\.1:\([0-9]*\)$/\1/p')
                in_container /usr/bin/python3 "$SOURCE_ROOT/tests/system/rfb-probe.py" "ws://127.0.0.1:$port/" >/dev/null
                measure full-console "$qemu" "${units[@]}" ;;
        libvirt)
                qemu=$(in_container cat /run/libvirt/qemu/lv.pid)
                measure libvirt "$qemu" libvirtd.service virtlogd.service virtlockd.service ;;
        esac
        if [ "$c" = libvirt ]; then
                in_container virsh -q destroy lv >/dev/null
        else
                in_container systemctl stop "qemu-vm@$c"
        fi
}

results=$BATS_FILE_TMPDIR/results
: >"$results"
for _ in $(seq "$runs"); do
        for c in plain full libvirt; do
                cycle "$c" >>"$results"
        done
done

# stats CONTENDER FIELD: "median min max".
stats() { awk -v c="$1" -v f="$2" '$1 == c { print $f }' "$results" | median_spread; }

echo "# $runs boots each, interleaved; medians (spread min-max) in MiB"
for c in plain full full-console libvirt; do
        read -r rss rss_lo rss_hi < <(stats "$c" 2)
        read -r pss pss_lo pss_hi < <(stats "$c" 3)
        read -r qrss _ _ < <(stats "$c" 4)
        read -r qpss _ _ < <(stats "$c" 5)
        processes=$(awk -v c="$c" '$1 == c { print $6 }' "$results" | tail -1)
        echo "$c: added processes (last boot, name:RSS/PSS) [${processes:-none}]; sum RSS $(mib "$rss") ($(mib "$rss_lo")-$(mib "$rss_hi"))," \
                "PSS $(mib "$pss") ($(mib "$pss_lo")-$(mib "$pss_hi")); its QEMU RSS $(mib "$qrss"), PSS $(mib "$qpss")"
done
