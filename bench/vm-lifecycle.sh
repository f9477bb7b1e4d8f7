#!/bin/bash
# bench/vm-lifecycle.sh [BUILD_DIR]: how long starting a VM and stopping it gracefully take, for the
# same test guest (the system suite's kernel and initramfs, TCG, one virtio disk, serial to a file),
# in one booted-systemd container, the contenders interleaved run by run:
#
#   bare     qemu-system-x86_64 with qemu-vm's exact argv (-daemonize -pidfile), as root: the floor;
#            stopped by a bare QMP client that presses the power button once (the stop floor)
#   unit     a hand-written Type=forking unit with the same ExecStart= and nothing else
#   qemu-vm  systemctl start / systemctl stop qemu-vm@bench (second and later starts: the disk exists)
#   sandboxed  (with DIAGNOSE=1) qemu-vm@bench's own unit running QEMU alone, without
#            qemu-vm-prepare before it, ExecStop= or the machined registration: what the sandbox
#            costs apart from the helpers
#   unsandboxed-stop  (with DIAGNOSE=1) qemu-vm@bench's own unit with its ExecStop= marked "+", run
#            outside the sandbox, without the registration: what the sandbox adds to the stop
#   libvirt  Debian's libvirt 9: virsh start / virsh shutdown --mode acpi, then waiting for "shut off",
#            of an equivalent domain (direct kernel boot, q35, TCG, cpu max, virtio disk, serial to a
#            file); LIBVIRT=0 leaves it out
#
# Start: the command issued until it has returned and QMP answers (virsh start returns after libvirt
# has negotiated QMP itself). Stop, of a guest whose ACPI listener is up: the command issued until the
# QEMU process is gone. bench/lifecycle-timer measures inside the container. RUNS cycles per contender
# (default 9) after one warm-up; medians, spreads (min-max) and ratios are printed.
# Needs root (the container), like the system suite. libvirt is installed inside the container only,
# from .debs downloaded once into BUILD_DIR/bench-debs (the host gets nothing).
set -euo pipefail

# shellcheck source=bench-container.bash
source "$(dirname "$0")/bench-container.bash"
runs=${RUNS:-9}
with_libvirt=${LIBVIRT:-1}
[ "$with_libvirt" = 1 ] && bench_download_libvirt
bench_boot_container
timer=$bench_timer

vm=bench
guest_vm "$vm" "" "[disk.root]" "size = 16M"
in_container systemctl daemon-reload

# qemu-vm's own start makes the disk; its QEMU's argv is what bare and unit run, in other runtime
# dirs, on the same disk and serial log.
qemuvm_log=/var/log/qemu-vm/$vm/serial.log
in_container systemctl start "qemu-vm@$vm"
wait_for_listener "$qemuvm_log" 1
pid=$(in_container systemctl show -p MainPID --value "qemu-vm@$vm")
mapfile -d '' argv < <(in_container cat "/proc/$pid/cmdline")
in_container systemctl stop "qemu-vm@$vm"
argv_in() { printf '%s\n' "${argv[@]//\/run\/qemu-vm\/$vm\//$1/}"; }

# exec_line DIR: ExecStart= with QEMU's argv, its runtime directory DIR.
exec_line() {
        printf 'ExecStart='
        argv_in "$1" | sed 's/.*/"&"/' | paste -s -d ' '
}

mapfile -t bare_argv < <(argv_in /run/bench-bare)
{
        echo "[Service]"
        echo "Type=forking"
        echo "PIDFile=/run/bench-unit/qemu.pid"
        echo "RuntimeDirectory=bench-unit"
        exec_line /run/bench-unit
} | put_file /etc/systemd/system/bench-unit.service
in_container systemctl daemon-reload

# own_unit: qemu-vm@bench as `systemctl cat` shows it, %i filled in, for a copy under another name:
# without comments, and without wanting qemu-vm-machine@bench, which binds to qemu-vm@bench and so
# would start that beside the copy.
own_unit() {
        in_container systemctl cat "qemu-vm@$vm" | grep -v -e '^#' -e '^Wants=qemu-vm-machine@' | sed "s/%i/$vm/g"
}

# qemu-vm@bench with QEMU's argv alone as ExecStart= and no other command (a command continues while
# its line ends in a backslash).
sandboxed_unit() {
        own_unit | awk '/^Exec[A-Za-z]*=/ { skip = 1 } !skip { print } { if (!/\\$/) skip = 0 }'
        exec_line "/run/qemu-vm/$vm"
}

libvirt_setup() {
        libvirt_install
        libvirt_define "$vm"
}

# Each contender X: log_X is its guest's serial log, start_X prints the start time (us), stop_X
# stops the running guest and prints the stop time (us).
log_bare=$qemuvm_log
start_bare() {
        in_container sh -c 'rm -rf /run/bench-bare && mkdir -m 0700 /run/bench-bare'
        in_container "$timer" start /run/bench-bare/qmp.sock -- "${bare_argv[@]}"
}
# qmp_floor_stop DIR: the stop floor for the QEMU whose qemu.pid and qmp.sock are in DIR.
qmp_floor_stop() { in_container "$timer" stop "$(in_container cat "$1/qemu.pid")" --qmp "$1/qmp.sock"; }
stop_bare() { qmp_floor_stop /run/bench-bare; }
log_unit=$qemuvm_log
start_unit() { in_container "$timer" start /run/bench-unit/qmp.sock -- systemctl start bench-unit; }
stop_unit() {
        qmp_floor_stop /run/bench-unit
        in_container systemctl stop bench-unit
}
# timed_start UNIT: systemctl start of a unit whose QEMU makes qemu-vm@bench's QMP socket.
timed_start() { in_container "$timer" start "/run/qemu-vm/$vm/qmp.sock" -- systemctl start "$1"; }
# timed_stop UNIT: systemctl stop, until the unit's QEMU (its main process) is gone.
timed_stop() { in_container "$timer" stop "$(in_container systemctl show -p MainPID --value "$1")" -- systemctl stop "$1"; }
log_qemuvm=$qemuvm_log
start_qemuvm() { timed_start "qemu-vm@$vm"; }
stop_qemuvm() { timed_stop "qemu-vm@$vm"; }
# qemu-vm@bench with its ExecStop= run outside the sandbox.
unsandboxed_stop_unit() { own_unit | sed 's/^ExecStop=/ExecStop=+/'; }
log_unsandboxedstop=$qemuvm_log
start_unsandboxedstop() { timed_start bench-unsandboxed-stop; }
stop_unsandboxedstop() { timed_stop bench-unsandboxed-stop; }
log_sandboxed=$qemuvm_log
start_sandboxed() { timed_start bench-sandboxed; }
stop_sandboxed() {
        qmp_floor_stop "/run/qemu-vm/$vm"
        in_container systemctl stop bench-sandboxed
}
log_libvirt=$(libvirt_serial_log "$vm")
start_libvirt() { in_container "$timer" start - -- virsh -q start "$vm"; }
stop_libvirt() {
        in_container "$timer" stop "$(in_container cat "/run/libvirt/qemu/$vm.pid")" -- sh -c \
                'virsh -q shutdown --mode acpi "$1" >/dev/null && until [ "$(virsh domstate "$1")" = "shut off" ]; do sleep 0.02; done' \
                sh "$vm"
}

contenders=(bare unit qemuvm)
if [ "${DIAGNOSE:-0}" = 1 ]; then
        sandboxed_unit | put_file /etc/systemd/system/bench-sandboxed.service
        unsandboxed_stop_unit | put_file /etc/systemd/system/bench-unsandboxed-stop.service
        in_container systemctl daemon-reload
        contenders+=(sandboxed unsandboxedstop)
fi
if [ "$with_libvirt" = 1 ]; then
        libvirt_setup
        contenders+=(libvirt)
fi

results=$BATS_FILE_TMPDIR/results
: >"$results"
for run in $(seq 0 "$runs"); do
        for c in "${contenders[@]}"; do
                log=log_$c
                seen=$(listener_count "${!log}")
                started=$("start_$c")
                wait_for_listener "${!log}" $((seen + 1))
                stopped=$("stop_$c")
                # Run 0 warms caches up (and socket-activates libvirtd) and is not counted.
                [ "$run" = 0 ] || echo "$c $started $stopped" >>"$results"
        done
done

# stats CONTENDER FIELD: "median min max" in microseconds.
stats() { awk -v c="$1" -v f="$2" '$1 == c { print $f }' "$results" | median_spread; }

echo "# $runs runs each, interleaved; medians (spread min-max) in ms"
for what in start:2 stop:3; do
        name=${what%:*} field=${what#*:}
        read -r floor _ _ < <(stats bare "$field")
        read -r unit _ _ < <(stats unit "$field")
        read -r ours _ _ < <(stats qemuvm "$field")
        for c in "${contenders[@]}"; do
                # Stopped by the floor's own QMP client:
                [ "$name" = stop ] && { [ "$c" = unit ] || [ "$c" = sandboxed ]; } && continue
                read -r m lo hi < <(stats "$c" "$field")
                line="$name $c $(ms "$m") ($(ms "$lo")-$(ms "$hi")) x$(ratio "$m" "$floor") of bare"
                [ "$name" = start ] && { [ "$c" = qemuvm ] || [ "$c" = sandboxed ] || [ "$c" = unsandboxedstop ]; } &&
                        line+=", x$(ratio "$m" "$unit") of the hand-written unit"
                [ "$c" = libvirt ] && line+=", x$(ratio "$m" "$ours") of qemu-vm"
                echo "$line"
        done
done
