#!/bin/bash
# The fuzz target's corpus and runs.
#
#   fuzz.sh seeds OUT_DIR                 every fixture as a seed input; a fixture with drop-ins as
#                                         "main NUL NUL drop-in" (see fuzz-generator.c), and pairs of
#                                         good fixtures as two VMs, for the rules between VMs
#   fuzz.sh replay STANDALONE             runs fuzz-standalone over the seeds and tests/fuzz/findings
#   fuzz.sh run FUZZER SECONDS [ARGS...]  libFuzzer for SECONDS from the seeds, with a dictionary of
#                                         every section and key; a crash leaves crash-* in the
#                                         current directory (add it to tests/fuzz/findings once fixed)
#   fuzz.sh run-qmp FUZZER SECONDS [ARGS...]
#                                         the same for fuzz-qmp, from tests/fuzz/qmp-seeds (a crash
#                                         found there goes into qmp-seeds once fixed)
#   fuzz.sh run-agent FUZZER SECONDS [ARGS...]
#                                         the same for fuzz-agent (a guest agent's replies), from
#                                         tests/fuzz/agent-seeds
set -eu

here=$(cd "$(dirname "$0")" && pwd)
fixtures=$here/../fixtures

make_seeds() {
        local out=$1 conf name previous=
        mkdir -p "$out"
        for conf in "$fixtures"/*.conf; do
                name=$(basename "$conf" .conf)
                if [ -d "$conf.d" ]; then
                        { cat "$conf"; printf '\0\0'; cat "$conf.d"/*.conf; } >"$out/$name"
                else
                        cp "$conf" "$out/$name"
                fi
                # Two VMs: this good fixture (one the generator accepts) beside the previous one.
                if ! grep -q '^## expect-error ' "$conf" "${conf%.conf}.asserts" 2>/dev/null; then
                        [ -n "$previous" ] && { cat "$previous"; printf '\0'; cat "$conf"; } >"$out/pair-$name"
                        previous=$conf
                fi
        done
}

# libFuzzer's dictionary: every key name of the schema (lib/config-schema.c), and the sections.
make_dictionary() {
        grep -ohE '\{ *"[a-z_]+"' "$here/../../lib/config-schema.c" | sed -E 's/\{ *"([a-z_]+)"/"\1"/' | sort -u
        grep -ohE 'SECTION\("[a-z-]+", (true|false)' "$here/../../lib/config-schema.c" |
                sed -E 's/SECTION\("([a-z-]+)", true/"[\1."/; s/SECTION\("([a-z-]+)", false/"[\1]"/'
        printf '"yes"\n"no"\n"auto"\n" = "\n"\\x00"\n'
}

case "${1:-}" in
seeds)
        make_seeds "$2"
        ;;
replay)
        work=$(mktemp -d)
        trap 'rm -rf "$work"' EXIT
        make_seeds "$work/seeds"
        "$2" "$work/seeds" "$here/findings"
        ;;
run)
        fuzzer=$2 seconds=$3
        shift 3
        work=$(mktemp -d)
        trap 'rm -rf "$work"' EXIT
        make_seeds "$work/seeds"
        make_dictionary >"$work/dict"
        mkdir -p "$work/corpus"
        "$fuzzer" -max_total_time="$seconds" -dict="$work/dict" -max_len=4096 -timeout=10 \
                -print_final_stats=1 "$@" "$work/corpus" "$work/seeds" "$here/findings"
        ;;
run-qmp)
        fuzzer=$2 seconds=$3
        shift 3
        work=$(mktemp -d)
        trap 'rm -rf "$work"' EXIT
        mkdir -p "$work/corpus"
        printf '"{\\"QMP\\": "\n"{\\"return\\": "\n"{\\"event\\": "\n"{\\"error\\": "\n"\\"id\\": "\n"\\"desc\\": "\n"\\x0a"\n' >"$work/dict"
        "$fuzzer" -max_total_time="$seconds" -dict="$work/dict" -max_len=8192 -timeout=10 \
                -print_final_stats=1 "$@" "$work/corpus" "$here/qmp-seeds"
        ;;
run-agent)
        fuzzer=$2 seconds=$3
        shift 3
        work=$(mktemp -d)
        trap 'rm -rf "$work"' EXIT
        mkdir -p "$work/corpus"
        printf '"{\\"return\\": "\n"\\"id\\": 4"\n"\\"ip-addresses\\": "\n"\\"ip-address\\": "\n"\\"prefix\\": "\n"\\"hardware-address\\": "\n"\\"host-name\\": "\n"\\xff"\n"\\x0a"\n' >"$work/dict"
        "$fuzzer" -max_total_time="$seconds" -dict="$work/dict" -max_len=8192 -timeout=10 \
                -print_final_stats=1 "$@" "$work/corpus" "$here/agent-seeds"
        ;;
*)
        echo "usage: fuzz.sh seeds OUT_DIR | replay STANDALONE | run FUZZER SECONDS [ARGS...] | run-qmp|run-agent FUZZER SECONDS [ARGS...]" >&2
        exit 2
        ;;
esac
