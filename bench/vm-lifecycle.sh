#!/bin/bash
# bench/vm-lifecycle.sh [BUILD_DIR]: how long starting a VM and stopping it gracefully take, for the
# same test guest (the system suite's kernel and initramfs, TCG, one virtio disk, serial to a file),
# in one booted-systemd container, the contenders interleaved run by run:
#
#   bare     qemu-system-x86_64 with qemu-vm's exact argv (-daemonize -pidfile), as root: the floor;
#            stopped by a bare QMP client that presses the power button once (the stop floor)
#   unit     a hand-written Type=forking unit with the same ExecStart= and nothing else
#   qemu-vm  systemctl start / systemctl stop qemu-vm@bench (second and later starts: the disk exists)
#
# Start: the command issued until it has returned and QMP answers. Stop (of a guest whose ACPI
# listener is up): the command issued until the QEMU process is gone. bench/lifecycle-timer measures
# inside the container. RUNS cycles per contender (default 9) after one warm-up; medians, spreads
# (min-max) and ratios are printed. Needs root (the container), like the system suite.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-build}" && pwd)
runs=${RUNS:-9}
timer=$build/bench/lifecycle-timer
[ -x "$timer" ] || { echo "build first: meson setup build && ninja -C build" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "needs root: it boots systemd in a container" >&2; exit 1; }

# The system suite's container and guest helpers, outside bats.
export BUILD_DIR=$build SOURCE_ROOT=$root BATS_TEST_DIRNAME=$root/tests/system
BATS_FILE_TMPDIR=$(mktemp -d)
export BATS_FILE_TMPDIR
source "$root/tests/system/helpers.bash"
trap 'container_shutdown; rm -rf "$BATS_FILE_TMPDIR"' EXIT
system_suite_setup

vm=bench
log=/var/log/qemu-vm/$vm.log
guest_vm "$vm" "" "[disk.root]" "size = 16M"
in_container systemctl daemon-reload

listener_count() { in_container grep -c 'QEMU-VM-GUEST: acpi listener up' "$log" 2>/dev/null || true; }

# wait_for_listener COUNT: until the guest has said COUNT times that it hears the power button.
wait_for_listener() {
        local deadline=$((SECONDS + 120))
        until [ "$(listener_count)" -ge "$1" ]; do
                [ "$SECONDS" -lt "$deadline" ] || { echo "the guest did not come up; $log ends:" >&2; in_container tail "$log" >&2; exit 1; }
                sleep 0.1
        done
}

# qemu-vm's own start makes the disk; its QEMU's argv is what the others run, in other runtime dirs.
in_container systemctl start "qemu-vm@$vm"
wait_for_listener 1
pid=$(in_container systemctl show -p MainPID --value "qemu-vm@$vm")
mapfile -d '' argv < <(in_container cat "/proc/$pid/cmdline")
in_container systemctl stop "qemu-vm@$vm"
argv_in() { printf '%s\n' "${argv[@]//\/run\/qemu-vm\/$vm\//$1/}"; }

mapfile -t bare_argv < <(argv_in /run/bench-bare)
{
        echo "[Service]"
        echo "Type=forking"
        echo "PIDFile=/run/bench-unit/qemu.pid"
        echo "RuntimeDirectory=bench-unit"
        printf 'ExecStart='
        argv_in /run/bench-unit | sed 's/.*/"&"/' | paste -s -d ' '
} | put_file /etc/systemd/system/bench-unit.service
in_container systemctl daemon-reload

# Each contender: start_X prints the start time (us), stop_X stops the running guest and prints the
# stop time (us).
start_bare() {
        in_container sh -c 'rm -rf /run/bench-bare && mkdir -m 0700 /run/bench-bare'
        in_container "$timer" start /run/bench-bare/qmp.sock -- "${bare_argv[@]}"
}
stop_bare() {
        in_container "$timer" stop "$(in_container cat /run/bench-bare/qemu.pid)" --qmp /run/bench-bare/qmp.sock
}
start_unit() { in_container "$timer" start /run/bench-unit/qmp.sock -- systemctl start bench-unit; }
stop_unit() {
        in_container "$timer" stop "$(in_container cat /run/bench-unit/qemu.pid)" --qmp /run/bench-unit/qmp.sock
        in_container systemctl stop bench-unit
}
start_qemuvm() { in_container "$timer" start "/run/qemu-vm/$vm/qmp.sock" -- systemctl start "qemu-vm@$vm"; }
stop_qemuvm() {
        in_container "$timer" stop "$(in_container systemctl show -p MainPID --value "qemu-vm@$vm")" \
                -- systemctl stop "qemu-vm@$vm"
}

contenders=(bare unit qemuvm)
results=$BATS_FILE_TMPDIR/results
: >"$results"
seen=$(listener_count)
for run in $(seq 0 "$runs"); do
        for c in "${contenders[@]}"; do
                started=$("start_$c")
                seen=$((seen + 1))
                wait_for_listener "$seen"
                stopped=$("stop_$c")
                # Run 0 warms caches up and is not counted.
                [ "$run" = 0 ] || echo "$c $started $stopped" >>"$results"
        done
done

# stats CONTENDER FIELD: "median min max" in microseconds.
stats() {
        awk -v c="$1" -v f="$2" '$1 == c { print $f }' "$results" | sort -n |
                awk '{ a[NR] = $1 } END { m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; print m, a[1], a[NR] }'
}
ms() { awk -v us="$1" 'BEGIN { printf "%.1f", us / 1000 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

echo "# $runs runs each, interleaved; medians (spread min-max) in ms"
for what in start:2 stop:3; do
        name=${what%:*} field=${what#*:}
        read -r floor _ _ < <(stats bare "$field")
        read -r unit _ _ < <(stats unit "$field")
        for c in "${contenders[@]}"; do
                [ "$name:$c" = stop:unit ] && continue       # stopped by the floor's own QMP client
                read -r m lo hi < <(stats "$c" "$field")
                line="$name $c $(ms "$m") ($(ms "$lo")-$(ms "$hi")) x$(ratio "$m" "$floor") of bare"
                [ "$name" = start ] && [ "$c" != bare ] && line+=", x$(ratio "$m" "$unit") of the hand-written unit"
                echo "$line"
        done
done
