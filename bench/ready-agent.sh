#!/bin/bash
# bench/ready-agent.sh [BUILD_DIR]: what `[vm] ready = agent` adds to a start, for the real guest of
# the system suite (Debian 12 from tests/system/build-debian-image.sh, UEFI, TCG, qemu-guest-agent),
# in one booted-systemd container, the contenders interleaved run by run:
#
#   poll   the floor: ready = qmp, `systemctl start`, then what a user scripts to know the guest is
#          up: `qemu-vmctl agent NAME ping` every 0.5 s until it answers
#   agent  ready = agent: `systemctl start` alone returns once the agent answers
#
# Each figure is the time from the start command until the guest agent has answered. Both VMs have
# their own overlay on the same image and booted once before (cloud-init's first boot is not
# measured). RUNS runs per contender (default 3) after that warm-up; medians, spreads (min-max) and
# the ratio to the floor are printed. Under TCG a boot takes minutes: about 4 minutes per run and
# contender here. Needs root, like the system suite.
set -euo pipefail

# shellcheck source=bench-container.bash
source "$(dirname "$0")/bench-container.bash"
runs=${RUNS:-3}
cache=${QEMU_VM_TEST_CACHE:-/var/cache/qemu-vm-tests}
"$bench_root/tests/system/build-debian-image.sh" "$cache" >&2
bench_boot_container
image=/var/lib/qemu-vm/images/debian-12.qcow2
container_copy_in "$cache/debian-12.qcow2" "$image"
in_container chmod 0644 "$image"

# ready_vm NAME MODE
ready_vm() {
        put_file "/etc/qemu/vms/$1.conf" <<EOF
[vm]
memory = 1G
cpus = 2
firmware = uefi
accel = tcg
ready = $2
ready_timeout = 900
shutdown_timeout = 180
[disk.root]
backing = $image
[cloud-init]
[agent]
EOF
}
ready_vm poll qmp
ready_vm agent agent
in_container systemctl daemon-reload

now_us() { in_container date +%s%6N; }

start_poll() {
        local t0
        t0=$(now_us)
        in_container systemctl start qemu-vm@poll
        until in_container qemu-vmctl agent poll ping >/dev/null 2>&1; do
                sleep 0.5
        done
        echo $(($(now_us) - t0))
}
start_agent() {
        local t0 t1
        t0=$(now_us)
        in_container systemctl start qemu-vm@agent
        t1=$(now_us)
        in_container qemu-vmctl agent agent ping >/dev/null
        echo $((t1 - t0))
}

contenders=(poll agent)
results=$BATS_FILE_TMPDIR/results
: >"$results"
for run in $(seq 0 "$runs"); do
        for c in "${contenders[@]}"; do
                took=$("start_$c")
                in_container systemctl stop "qemu-vm@$c"
                # Run 0 is each guest's first boot (cloud-init's once-per-instance work): not counted.
                [ "$run" = 0 ] || echo "$c $took" >>"$results"
        done
done

stats() { awk -v c="$1" '$1 == c { print $2 }' "$results" | median_spread; }
echo "# $runs runs each, interleaved; medians (spread min-max) in ms, start command until the agent answers"
read -r floor _ _ < <(stats poll)
for c in "${contenders[@]}"; do
        read -r m lo hi < <(stats "$c")
        echo "start $c $(ms "$m") ($(ms "$lo")-$(ms "$hi")) x$(ratio "$m" "$floor") of poll"
done
