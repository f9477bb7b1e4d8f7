#!/bin/bash
# Generator fixtures: every tests/fixtures/NAME.conf is a VM file (with NAME.conf.d/ drop-ins when
# present) that the generator runs on alone, in --dry-run mode. Lines at the top state what must hold:
#
#   ## expect-error TEXT        the VM is refused and stderr has TEXT (paths shown as /etc/qemu/vms/...)
#   ## assert-contains TEXT     the generated output contains TEXT
#   ## assert-not-contains TEXT the generated output does not contain TEXT
#
# A file that cannot hold such lines (an empty one) has them in NAME.asserts instead.
# A good fixture also has NAME.expected, the whole output, compared byte for byte.
# UPDATE=1 rewrites the .expected files (review the diff before committing).
# VALGRIND=1 runs the generator under valgrind's memcheck: any error or definite leak fails the case.
# Usage: HELPER_DIR=... UNIT_DIR=... run-fixtures.sh GENERATOR FIXTURE_DIR. Speaks TAP.
set -u

generator=$1
fixtures=$2
firmware_dir=$(cd "$fixtures/../firmware" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

export QEMU_VM_MACHINE_ID=0123456789abcdef0123456789abcdef
export QEMU_VM_FIRMWARE_DIR=$firmware_dir
export QEMU_VM_DEFAULTS=/nonexistent

wrapper=()
if [ "${VALGRIND:-0}" = 1 ]; then
        wrapper=(valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite
                 --track-fds=no --log-file="$work/valgrind")
fi

cases=("$fixtures"/*.conf)
echo "1..${#cases[@]}"

n=0
for conf in "${cases[@]}"; do
        n=$((n + 1))
        file=$(basename "$conf")
        dir=$work/$n/vms
        mkdir -p "$dir"
        cp "$conf" "$dir/"
        [ -d "$conf.d" ] && cp -r "$conf.d" "$dir/"

        QEMU_VM_CONFIG_DIR=$dir "${wrapper[@]}" "$generator" --dry-run >"$work/out" 2>"$work/err"
        rc=$?
        if [ $rc = 99 ] && [ ${#wrapper[@]} -gt 0 ]; then
                echo "not ok $n - $file"
                sed 's/^/# /' "$work/valgrind"
                continue
        fi
        # Build-dependent paths become placeholders, so the fixtures hold for any --prefix.
        sed -i -e "s|$dir|/etc/qemu/vms|g" -e "s|${HELPER_DIR:?}/|@HELPER_DIR@/|g" -e "s|${UNIT_DIR:?}/|@UNIT_DIR@/|g" \
                "$work/out" "$work/err"

        problems=()
        expect_error=0
        while IFS= read -r line; do
                line=${line%$'\r'}
                case "$line" in
                "## expect-error "*)
                        expect_error=1
                        text=${line#"## expect-error "}
                        grep -qF -- "$text" "$work/err" || problems+=("stderr lacks: $text")
                        ;;
                "## assert-contains "*)
                        text=${line#"## assert-contains "}
                        grep -qF -- "$text" "$work/out" || problems+=("output lacks: $text")
                        ;;
                "## assert-not-contains "*)
                        text=${line#"## assert-not-contains "}
                        grep -qF -- "$text" "$work/out" && problems+=("output has: $text")
                        ;;
                "##"*)
                        problems+=("unknown assertion: $line")
                        ;;
                esac
        done < <(grep -h '^##' "$conf" "${conf%.conf}.asserts" 2>/dev/null)

        if [ $expect_error = 1 ]; then
                [ $rc = 1 ] || problems+=("exit status $rc, expected 1")
                grep -q '^ExecStart="[^"]*qemu-system' "$work/out" && problems+=("a QEMU command line was generated")
        else
                [ $rc = 0 ] || problems+=("exit status $rc: $(head -3 "$work/err")")
                expected=${conf%.conf}.expected
                if [ "${UPDATE:-0}" = 1 ]; then
                        cp "$work/out" "$expected"
                elif [ ! -f "$expected" ]; then
                        problems+=("missing $(basename "$expected")")
                elif ! diff -u "$expected" "$work/out" >"$work/diff"; then
                        problems+=("output differs from $(basename "$expected"):")
                        problems+=("$(cat "$work/diff")")
                fi
        fi

        if [ ${#problems[@]} = 0 ]; then
                echo "ok $n - $file"
        else
                echo "not ok $n - $file"
                printf '%s\n' "${problems[@]}" | sed 's/^/# /'
        fi
done
