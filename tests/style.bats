#!/usr/bin/env bats
# What docs/CODING_STYLE.md asks of the C sources, and of the bats tests, that a machine can check.
# SOURCE_ROOT comes from meson (tests/meson.build).

c_sources() {
        find "$SOURCE_ROOT"/lib "$SOURCE_ROOT"/ctl "$SOURCE_ROOT"/generator "$SOURCE_ROOT"/helpers "$SOURCE_ROOT"/tests \
                "$SOURCE_ROOT"/bench -name '*.[ch]' | sort
}

@test "C sources: lines of at most 120 columns, spaces not tabs, no trailing blanks, a final newline" {
        local limit
        limit=$(sed -n 's/^ColumnLimit: //p' "$SOURCE_ROOT/.clang-format")
        [ "$limit" = 120 ]
        grep -q "^max_line_length = $limit\$" "$SOURCE_ROOT/.editorconfig"
        run awk -v limit="$limit" 'length($0) > limit { print FILENAME ":" FNR ": " length($0) " columns" }
                /\t/ { print FILENAME ":" FNR ": tab" } / +$/ { print FILENAME ":" FNR ": trailing blank" }' $(c_sources)
        echo "$output"
        [ -z "$output" ]
        local f
        for f in $(c_sources); do
                [ -z "$(tail -c 1 "$f")" ] || { echo "$f: no final newline"; return 1; }
        done
}

@test "allocations are checked: no bare malloc, calloc, realloc, strdup or strndup outside lib/util.c" {
        run grep -nE '(^|[^_a-z])(malloc|calloc|realloc|strdup|strndup)\(' $(c_sources | grep -v -e '/lib/util\.c$' -e '/bench/')
        local bad
        bad=$(grep -vE '^[^:]+:[0-9]+:\s*(/\*|\*)' <<<"$output" || true)     # comments may name them
        echo "$bad"
        [ -z "$bad" ]
}

@test "goto only jumps to a cleanup label: finish, fail or done" {
        run grep -nE 'goto [a-z_]+;' $(c_sources)
        [ "$status" -eq 0 ]     # there are gotos to check
        local bad
        bad=$(grep -vE 'goto (finish|fail|done);' <<<"$output" || true)
        echo "$bad"
        [ -z "$bad" ]
}

@test "errno is printed with %m, not strerror(), but for a D-Bus error's own message" {
        run grep -n 'strerror(' $(c_sources | grep -v '/bench/')
        local bad
        bad=$(grep -vE '(error\.message|error) \?: strerror\(|error\.message \? error\.message : strerror\(' <<<"$output" || true)
        echo "$bad"
        [ -z "$bad" ]
}

@test "bats: a negated command is no bare '! cmd', which bats does not fail on (but as a test's last line)" {
        run grep -nE '^\s+! ' $(find "$SOURCE_ROOT"/tests -name '*.bats' | sort)
        [ "$status" -eq 0 ]     # there are negations to check
        local bad
        bad=$(grep -vE '\|\| (false|continue)$' <<<"$output" || true)
        echo "$bad"
        [ -z "$bad" ]
}
