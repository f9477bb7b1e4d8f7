#!/bin/bash
# bench/generator.sh [BUILD_DIR]: the generator's wall time for 1, 100, 1000 and 5000 VM files (SIZES),
# each with two disks, two NICs (user-mode and bridged), a TPM, a browser console and a serial log,
# beside an I/O floor measured in the same run: bench/io-floor reading the same inputs and writing the
# same output tree (same directories, files, byte counts and links) with plain system calls. Input and
# output on tmpfs. Timed whole by hyperfine (-N: no shell; process start included), in RUNS rounds
# (default 9) of one generator run and one floor run each, so the two interleave; each round starts
# with one untimed run of each. Medians, spread (min-max) and ratios are printed. Needs hyperfine.
set -euo pipefail

build=${1:-build}
generator=$(realpath "$build/generator/qemu-vm-generator")
floor=$(realpath "$build/bench/io-floor")
runs=${RUNS:-9}
read -r -a sizes <<<"${SIZES:-1 100 1000 5000}"
[ -x "$generator" ] && [ -x "$floor" ] || { echo "build first: meson setup $build && ninja -C $build" >&2; exit 1; }
command -v hyperfine >/dev/null || { echo "needs hyperfine (apt-get install hyperfine)" >&2; exit 1; }

work=$(mktemp -d /dev/shm/qemu-vm-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
export QEMU_VM_MACHINE_ID=0123456789abcdef0123456789abcdef QEMU_VM_DEFAULTS=/nonexistent

make_inputs() {
        local dir=$1 n=$2
        mkdir -p "$dir"
        for i in $(seq -w 1 "$n"); do
                # Explicit console ports: the auto range has 993 ports, fewer than the VMs at 1000 and up.
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

[net.wan]
mode = bridge
bridge = br0

[tpm]

[vnc]
port = $((10000 + 10#$i))

[serial]
log = yes
CONF
        done
}

# A fresh, empty output directory before each timed run (hyperfine --prepare, without a shell).
reset=$work/reset-out
printf '#!/bin/sh\nrm -rf "%s" && mkdir "%s"\n' "$work/out" "$work/out" >"$reset"
chmod +x "$reset"

# shape DIR: its entries, files with their sizes, links with their targets, sorted.
shape() { (cd "$1" && find . -mindepth 1 \( -type f -printf 'f %s %P\n' \) -o \( -type l -printf 'l %P %l\n' \) -o -printf 'd %P\n' | sort); }

median_spread() {
        sort -n | awk '{ a[NR] = $1 } END { m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
                printf "%.2f %.2f-%.2f\n", m * 1000, a[1] * 1000, a[NR] * 1000 }'
}

printf '%-6s %14s %16s %14s %16s %8s %12s\n' VMs "generator ms" "(spread)" "floor ms" "(spread)" ratio "gen us/VM"
for n in "${sizes[@]}"; do
        in=$work/in-$n ref=$work/ref-$n
        make_inputs "$in" "$n"
        mkdir "$ref"
        QEMU_VM_CONFIG_DIR=$in "$generator" "$ref"
        (cd "$ref" && find . -mindepth 1 -printf '%y %s %P %l\n') >"$work/manifest-$n"
        : >"$work/times-gen" && : >"$work/times-floor"
        for round in $(seq "$runs"); do
                QEMU_VM_CONFIG_DIR=$in hyperfine -N --style none --warmup 1 --runs 1 --prepare "$reset" \
                        --export-json "$work/round.json" \
                        "$generator $work/out" "$floor $in $work/manifest-$n $work/out" >/dev/null
                python3 -c 'import json, sys
r = json.load(open(sys.argv[1]))["results"]
open(sys.argv[2], "a").write("\n".join(map(str, r[0]["times"])) + "\n")
open(sys.argv[3], "a").write("\n".join(map(str, r[1]["times"])) + "\n")' \
                        "$work/round.json" "$work/times-gen" "$work/times-floor"
                # The floor's tree (the last run's) must have the generator's shape, or it measures
                # something else.
                [ "$round" != 1 ] || diff -q <(shape "$ref") <(shape "$work/out") >/dev/null ||
                        { echo "the floor's tree differs from the generator's" >&2; exit 1; }
        done
        read -r gen gen_spread < <(median_spread <"$work/times-gen")
        read -r flo flo_spread < <(median_spread <"$work/times-floor")
        printf '%-6s %14.2f %16s %14.2f %16s %8.2f %12.1f\n' "$n" "$gen" "($gen_spread)" "$flo" "($flo_spread)" \
                "$(echo "$gen / $flo" | bc -l)" "$(echo "$gen * 1000 / $n" | bc -l)"
done
