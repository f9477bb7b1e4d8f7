#!/usr/bin/env bats
# The manual pages as built from man/*.scd: each renders with `man -l` without a groff warning, and
# every program, unit and configuration file that `meson install` installs has its page. Needs
# BUILD_ROOT (the build directory).

setup_file() {
        export MAN_DIR=$BUILD_ROOT/man
        # What `meson install` installs, one destination a line.
        meson introspect "$BUILD_ROOT" --installed |
                python3 -c 'import json, sys; print("\n".join(json.load(sys.stdin).values()))' \
                        >"$BATS_FILE_TMPDIR/installed"
}

@test "each page renders with man -l, without a warning, headed by its own name" {
        local page name count=0
        for page in "$MAN_DIR"/*.[158]; do
                name=$(basename "$page")
                MANWIDTH=80 man --warnings -l "$page" >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err"
                if [ -s "$BATS_TEST_TMPDIR/err" ]; then
                        echo "$name:" >&2
                        cat "$BATS_TEST_TMPDIR/err" >&2
                        return 1
                fi
                grep -q '^NAME$' "$BATS_TEST_TMPDIR/out"
                grep -q '^SEE ALSO$' "$BATS_TEST_TMPDIR/out"
                # The header names the page (the units' page is QEMU-VM-UNITS(8): scdoc refuses @).
                local title=${name%.*} section=${name##*.}
                [ "$title" = "qemu-vm@.service" ] && title=qemu-vm-units
                head -1 "$BATS_TEST_TMPDIR/out" | grep -qF "${title^^}($section)"
                count=$((count + 1))
        done
        [ "$count" -eq 12 ]
}

@test "every installed program has a page in its section, installed too" {
        local program
        for program in $(grep -E '/(bin|libexec/qemu-vm|system-generators)/' "$BATS_FILE_TMPDIR/installed"); do
                program=$(basename "$program")
                compgen -G "$MAN_DIR/$program.[18]" >/dev/null || { echo "no page for $program" >&2; return 1; }
                grep -qE "/share/man/man[18]/$program\.[18]$" "$BATS_FILE_TMPDIR/installed"
        done
        grep -q '/share/man/man5/qemu-vm.conf.5$' "$BATS_FILE_TMPDIR/installed"
}

@test "every installed unit is named in the NAME section of the units' page" {
        local unit name_line
        MANWIDTH=200 man -l "$MAN_DIR/qemu-vm@.service.8" >"$BATS_TEST_TMPDIR/units"
        name_line=$(sed -n '/^NAME$/,/^SYNOPSIS$/p' "$BATS_TEST_TMPDIR/units")
        for unit in $(grep -E '/systemd/system/[^/]+$' "$BATS_FILE_TMPDIR/installed"); do
                unit=$(basename "$unit")
                [[ "$name_line" == *"$unit"* ]] || { echo "$unit is not in the NAME section" >&2; return 1; }
        done
}
