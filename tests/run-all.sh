#!/bin/bash
# The project's test command (README.md): builds with warnings as errors and runs the fast suite,
# then, as root, the system suite (systemd booted in a container, real guests under QEMU TCG).
set -uo pipefail
cd "$(dirname "$0")/.."

build=${BUILD_DIR:-build-test}
if [ ! -d "$build" ]; then
        meson setup "$build" --werror >/dev/null || exit 1
fi
ninja -C "$build" || exit 1

suites=(--suite fast)
if [ "${SKIP_SYSTEM_TESTS:-0}" = 1 ]; then
        echo "SKIP_SYSTEM_TESTS=1: running the fast suite only."
elif [ "$(id -u)" = 0 ]; then
        suites+=(--suite system)
else
        echo "The system suite needs root: run 'sudo $0' (or SKIP_SYSTEM_TESTS=1 $0 for the fast suite only)." >&2
        exit 1
fi

meson test -C "$build" --print-errorlogs "${suites[@]}"
rc=$?

# One plain summary line, counted from the TAP results of every test program.
log=$build/meson-logs/testlog.txt
passed=$(grep -cE '^ok [0-9]+' "$log")
failed=$(grep -cE '^not ok [0-9]+' "$log")
echo "$passed passed, $failed failed"
[ "$rc" = 0 ] && [ "$failed" = 0 ]
