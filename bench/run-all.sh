#!/bin/bash
# bench/run-all.sh [BUILD_DIR]: every benchmark of BENCHMARKS.md, one after another (each boots its
# own container, and two at once would share the two cores they measure), each with its defaults:
#
#   bench/generator.sh      the generator against its I/O floor, 1 to 5000 VMs   (about 2 minutes)
#   bench/vm-lifecycle.sh   start and graceful stop against bare QEMU, a
#                           hand-written unit and libvirt, with DIAGNOSE=1       (about 15 minutes)
#   bench/memory.sh         processes added per VM against libvirt's daemons     (about 10 minutes)
#   bench/host-shutdown.sh  5 and 20 guests against libvirt-guests              (about 65 minutes)
#   bench/ready-agent.sh    ready = agent against polling the agent by hand,
#                           the real Debian guest                              (about 30 minutes)
#
# Each section starts with the time, the commit and the load average, so a run on a busy machine
# shows as one. RUNS, SIZES, DIAGNOSE and LIBVIRT pass through to the scripts; ONLY="memory generator"
# runs some of them. Needs root (the containers) and hyperfine (apt-get install hyperfine).
set -euo pipefail

here=$(dirname "$0")
build=${1:-build}
read -r -a benches <<<"${ONLY:-generator vm-lifecycle memory host-shutdown ready-agent}"
[ "$(id -u)" = 0 ] || { echo "needs root: the benchmarks boot systemd in containers" >&2; exit 1; }
command -v hyperfine >/dev/null || { echo "needs hyperfine (apt-get install hyperfine)" >&2; exit 1; }
[ -x "$build/generator/qemu-vm-generator" ] || { echo "build first: meson setup $build && ninja -C $build" >&2; exit 1; }

for bench in "${benches[@]}"; do
        [ -f "$here/$bench.sh" ] || { echo "no benchmark bench/$bench.sh" >&2; exit 1; }
done
for bench in "${benches[@]}"; do
        printf '\n## bench/%s.sh, %s, commit %s, load average %s\n\n' "$bench" "$(date -u '+%F %H:%M UTC')" \
                "$(git -C "$here" log -1 --format='%h "%s"' 2>/dev/null || echo unknown)" \
                "$(cut -d' ' -f1-3 /proc/loadavg)"
        DIAGNOSE=${DIAGNOSE:-1} "$here/$bench.sh" "$build"
done
