#!/bin/bash
# The project's test command (README.md), in order:
#   1. build with warnings as errors; the fast suite, and the generator under valgrind over every fixture
#   2. a clang build with AddressSanitizer and UndefinedBehaviorSanitizer: the fast suite again (any
#      sanitizer report fails), then the generator's fuzz target for FUZZ_SECONDS (default 60) and the
#      QMP client's for FUZZ_QMP_SECONDS (default 30) and the guest agent's replies' for
#      FUZZ_AGENT_SECONDS (default 20), each from its seeds
#   3. as root, the system suite (systemd booted in a container, real guests under QEMU TCG)
set -uo pipefail
cd "$(dirname "$0")/.."

build=${BUILD_DIR:-build-test}
sanitize_build=${SANITIZE_BUILD_DIR:-build-sanitize}
failures=()

if [ "${SKIP_SYSTEM_TESTS:-0}" != 1 ] && [ "$(id -u)" != 0 ]; then
        echo "The system suite needs root: run 'sudo $0' (or SKIP_SYSTEM_TESTS=1 $0 without it)." >&2
        exit 1
fi
command -v clang >/dev/null || { echo "clang is missing (the sanitizer build and the fuzzer need it)." >&2; exit 1; }

[ -d "$build" ] || meson setup "$build" --werror >/dev/null || exit 1
ninja -C "$build" || exit 1
meson test -C "$build" --print-errorlogs --suite fast --suite valgrind || failures+=("fast suite or valgrind")
cp "$build/meson-logs/testlog.txt" "$build/meson-logs/testlog-fast.txt"

# -fno-sanitize-recover: UBSan aborts like ASan does. Reports go to files, so that a report from a
# program whose failure a test expects (a bad config) still fails the run. Sanitized programs start
# several times slower (the generator: 65 ms instead of 8), hence the longer timeouts.
if [ ! -d "$sanitize_build" ]; then
        CC=clang meson setup "$sanitize_build" --werror -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false \
                -Dc_args=-fno-sanitize-recover=all >/dev/null || exit 1
fi
ninja -C "$sanitize_build" || exit 1
reports=$(mktemp -d)
ASAN_OPTIONS=log_path=$reports/report UBSAN_OPTIONS=log_path=$reports/report:print_stacktrace=1 \
        meson test -C "$sanitize_build" --print-errorlogs --timeout-multiplier 4 --suite fast || failures+=("fast suite under sanitizers")
if [ -n "$(ls "$reports")" ]; then
        cat "$reports"/*
        failures+=("sanitizer reports (above)")
fi
rm -rf "$reports"
(root=$PWD && cd "$sanitize_build" && "$root/tests/fuzz/fuzz.sh" run tests/fuzz/fuzz-generator "${FUZZ_SECONDS:-60}" 2>&1 | tail -5) ||
        failures+=("fuzzing: see the crash-* input in $sanitize_build")
(root=$PWD && cd "$sanitize_build" && "$root/tests/fuzz/fuzz.sh" run-qmp tests/fuzz/fuzz-qmp "${FUZZ_QMP_SECONDS:-30}" 2>&1 | tail -5) ||
        failures+=("fuzzing the QMP client: see the crash-* input in $sanitize_build")
(root=$PWD && cd "$sanitize_build" && "$root/tests/fuzz/fuzz.sh" run-agent tests/fuzz/fuzz-agent "${FUZZ_AGENT_SECONDS:-20}" 2>&1 | tail -5) ||
        failures+=("fuzzing the guest agent's replies: see the crash-* input in $sanitize_build")

if [ "${SKIP_SYSTEM_TESTS:-0}" = 1 ]; then
        echo "SKIP_SYSTEM_TESTS=1: not running the system suite."
        : >"$build/meson-logs/testlog.txt"
else
        meson test -C "$build" --print-errorlogs --suite system || failures+=("system suite")
fi

# One plain summary line, counted from the TAP results of every test program.
logs=("$build/meson-logs/testlog-fast.txt" "$build/meson-logs/testlog.txt" "$sanitize_build/meson-logs/testlog.txt")
passed=$(cat "${logs[@]}" | grep -cE '^ok [0-9]+')
failed=$(cat "${logs[@]}" | grep -cE '^not ok [0-9]+')
echo "$passed passed, $failed failed"
if [ ${#failures[@]} -gt 0 ]; then
        printf 'FAILED: %s\n' "${failures[@]}"
        exit 1
fi
[ "$failed" = 0 ]
