#!/bin/bash
# Generator fixtures: every tests/fixtures/NAME.conf is a VM file (with NAME.conf.d/ drop-ins when
# present) that the generator runs on alone, in --dry-run mode. Lines at the top state what must hold:
#
#   ## expect-error TEXT        the VM is refused and stderr has TEXT (paths shown as /etc/qemu/vms/...)
#   ## assert-contains TEXT     the generated output contains TEXT
#   ## assert-not-contains TEXT the generated output does not contain TEXT
#   ## assert-key UNIT SECTION KEY=VALUE, assert-no-key UNIT SECTION KEY,
#   ## assert-no-value UNIT SECTION KEY=VALUE, assert-argv UNIT KEY ARG..., assert-no-arg UNIT KEY TEXT,
#   ## assert-link LINK -> TARGET, assert-no-unit UNIT
#                               a unit's setting, a slice of an Exec line's argv, a link, a unit not
#                               written (tests/fixture-check.py): what a fixture is about, said precisely
#
# A file that cannot hold such lines (an empty one, one too long) has them in NAME.asserts instead. A
# good fixture needs at least one assertion of what is there, or a golden tree. The grep-style assert-contains is left
# for comments, which are text.
# A few good fixtures also keep their whole output: tests/golden/NAME/, the tree the generator writes
# into its output directory, compared with diff -r as systemd's own generator tests do (file contents
# and symbolic links' targets, with the build's helper and unit directories written as @HELPER_DIR@
# and @UNIT_DIR@). UPDATE=1 rewrites the golden trees (review the diff before committing).
# VALGRIND=1 runs the generator under valgrind's memcheck: any error or definite leak fails the case.
# Usage: HELPER_DIR=... UNIT_DIR=... run-fixtures.sh GENERATOR FIXTURE_DIR. Speaks TAP.
set -u

generator=$1
fixtures=$2
checker=$(dirname "$0")/fixture-check.py
golden=$(cd "$fixtures/../golden" && pwd)
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

# Runs the generator on CONFIG_DIR into TREE for real, writes the build's directories as placeholders,
# and compares TREE with GOLDEN (UPDATE=1: makes GOLDEN that tree). Prints diff -r's output.
tree_differs() {
        local config_dir=$1 want=$2 tree=$3 f target
        mkdir -p "$tree"
        QEMU_VM_CONFIG_DIR=$config_dir "$generator" "$tree" 2>&1 || return 1
        while IFS= read -r -d '' f; do
                sed -i -e "s|$config_dir|/etc/qemu/vms|g" -e "s|${HELPER_DIR:?}/|@HELPER_DIR@/|g" \
                        -e "s|${UNIT_DIR:?}/|@UNIT_DIR@/|g" "$f"
        done < <(find "$tree" -type f -print0)
        while IFS= read -r -d '' f; do
                target=$(readlink "$f")
                target=${target/#"$UNIT_DIR"\//@UNIT_DIR@/}
                ln -sfn "${target/#"$HELPER_DIR"\//@HELPER_DIR@/}" "$f"
        done < <(find "$tree" -type l -print0)
        if [ "${UPDATE:-0}" = 1 ]; then
                rm -rf "$want" && cp -a "$tree" "$want"
                return 0
        fi
        diff -r --no-dereference "$want" "$tree"
}

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
        : >"$work/precise"
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
                "## assert-key "* | "## assert-no-key "* | "## assert-no-value "* | "## assert-argv "* | \
                "## assert-no-arg "* | "## assert-link "* | "## assert-no-unit "*)
                        printf '%s\n' "$line" >>"$work/precise"
                        ;;
                "##"*)
                        problems+=("unknown assertion: $line")
                        ;;
                esac
        done < <(grep -h '^##' "$conf" "${conf%.conf}.asserts" 2>/dev/null)
        # The checker's exit status counts too: one that crashes or cannot start fails the case.
        if [ -s "$work/precise" ] && ! checked=$("$checker" "$work/out" <"$work/precise" 2>&1); then
                problems+=("precise assertions failed:" "$checked")
        fi

        if [ $expect_error = 1 ]; then
                [ $rc = 1 ] || problems+=("exit status $rc, expected 1")
                grep -q '^ExecStart="[^"]*qemu-system' "$work/out" && problems+=("a QEMU command line was generated")
        else
                [ $rc = 0 ] || problems+=("exit status $rc: $(head -3 "$work/err")")
                name=${file%.conf}
                # At least one assertion that something is there: absences alone hold for an empty output.
                grep -qE '^## assert-(key|argv|link|contains) ' "$conf" "${conf%.conf}.asserts" 2>/dev/null ||
                        [ -d "$golden/$name" ] || problems+=("no assertion of what is there: say what this fixture is about")
                if [ -d "$golden/$name" ]; then
                        tree_differs "$dir" "$golden/$name" "$work/tree.$n" >"$work/diff" ||
                                problems+=("the tree differs from golden/$name:" "$(cat "$work/diff")")
                fi
        fi

        if [ ${#problems[@]} = 0 ]; then
                echo "ok $n - $file"
        else
                echo "not ok $n - $file"
                printf '%s\n' "${problems[@]}" | sed 's/^/# /'
        fi
done
