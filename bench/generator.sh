#!/bin/bash
# bench/generator.sh [BUILD_DIR]: the generator's wall time for 1, 100 and 1000 VM files (each with two
# disks, two NICs and a serial console) beside an I/O floor measured in the same run: bench/io-floor
# reading the same inputs and writing the same output tree (same files, same byte counts). Both are
# timed from outside, process start included. Runs interleave generator and floor,
# RUNS times each (default 9); medians, spread (min-max) and ratios are printed. Input and output on tmpfs.
set -euo pipefail

build=${1:-build}
generator=$build/generator/qemu-vm-generator
floor=$build/bench/io-floor
runs=${RUNS:-9}
sizes=(${SIZES:-1 100 1000})
[ -x "$generator" ] && [ -x "$floor" ] || { echo "build first: meson setup $build && ninja -C $build" >&2; exit 1; }

work=$(mktemp -d /dev/shm/qemu-vm-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
export QEMU_VM_MACHINE_ID=0123456789abcdef0123456789abcdef QEMU_VM_DEFAULTS=/nonexistent

now_ns() { date +%s%N; }

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : int((a[NR/2] + a[NR/2+1]) / 2)}'; }
spread() { sort -n | awk 'NR==1 {lo=$1} {hi=$1} END {printf "%.2f-%.2f", lo/1e6, hi/1e6}'; }

make_inputs() {
        local dir=$1 n=$2
        mkdir -p "$dir"
        for i in $(seq -w 1 "$n"); do
                cat >"$dir/vm$i.conf" <<CONF
[vm]
memory = 2G
cpus = 2
firmware = uefi
autostart = yes

[disk.root]
size = 20G
boot = 1

[disk.data]
size = 100G
bus = scsi

[net.lan]
mode = user

[net.mgmt]
mode = user
model = e1000e

[serial]
log = yes
CONF
        done
}

printf '%-6s %14s %16s %14s %16s %8s %12s\n' VMs "generator ms" "(spread)" "floor ms" "(spread)" ratio "gen us/VM"
for n in "${sizes[@]}"; do
        in=$work/in-$n ref=$work/ref-$n
        make_inputs "$in" "$n"
        mkdir "$ref"
        QEMU_VM_CONFIG_DIR=$in "$generator" "$ref"
        (cd "$ref" && find . -mindepth 1 -printf '%y %s %P %l\n') >"$work/manifest-$n"
        gen_times=() floor_times=()
        for _ in $(seq "$runs"); do
                rm -rf "$work/out" && mkdir "$work/out"
                start=$(now_ns)
                QEMU_VM_CONFIG_DIR=$in "$generator" "$work/out"
                gen_times+=($(($(now_ns) - start)))
                rm -rf "$work/out" && mkdir "$work/out"
                start=$(now_ns)
                "$floor" "$in" "$work/manifest-$n" "$work/out"
                floor_times+=($(($(now_ns) - start)))
        done
        gen=$(printf '%s\n' "${gen_times[@]}" | median)
        flo=$(printf '%s\n' "${floor_times[@]}" | median)
        printf '%-6s %14.2f %16s %14.2f %16s %8.2f %12.1f\n' "$n" \
                "$(echo "$gen / 1000000" | bc -l)" "($(printf '%s\n' "${gen_times[@]}" | spread))" \
                "$(echo "$flo / 1000000" | bc -l)" "($(printf '%s\n' "${floor_times[@]}" | spread))" \
                "$(echo "$gen / $flo" | bc -l)" "$(echo "$gen / $n / 1000" | bc -l)"
done
