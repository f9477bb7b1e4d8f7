#!/usr/bin/python3
"""Precise assertions on the generator's --dry-run output, for tests/run-fixtures.sh.

Reads the output (its path is the first argument) as the units it holds: each "# DIR/UNIT.d/NAME.conf"
header starts a drop-in, whose [Section] lines hold KEY=VALUE settings; Exec lines are parsed into
argv as systemd parses them. Then checks each assertion line read from stdin:

  ## assert-key UNIT SECTION KEY=VALUE    UNIT's drop-in sets KEY to exactly VALUE in [SECTION] (one of
                                          its values, for a key that takes a list, since the last
                                          empty KEY= reset it)
  ## assert-no-key UNIT SECTION KEY       UNIT's drop-in does not set KEY in [SECTION]
  ## assert-no-value UNIT SECTION KEY=VALUE  UNIT's drop-in does not set KEY to VALUE in [SECTION]
                                          (nor include VALUE, for a key that takes a list)
  ## assert-argv UNIT KEY ARG...          one KEY line of UNIT (an Exec line) has the ARGs, in this
                                          order and next to each other (ARGs split as a shell would)
  ## assert-no-arg UNIT KEY TEXT          UNIT has KEY lines (Exec lines) and no argument of them
                                          contains TEXT (where there is no such line, assert-no-key)
  ## assert-link LINK -> TARGET           the generator makes the symbolic link LINK (below its
                                          output directory) pointing at TARGET
  ## assert-no-unit UNIT                  the generator writes no drop-in for UNIT, and no setting of
                                          another unit and no link names it

Exec lines are read as systemd reads them: a '%' or '$' must be doubled and a backslash may only escape
a backslash or a quote (all the generator writes), or the output fails to parse.

Prints one line per failed assertion; exits 1 when any failed, 2 when the output cannot be read.
"""
import re
import shlex
import sys


def parse(text):
    """{unit: {section: [(key, value)]}} and {link: target}."""
    units, links = {}, {}
    unit = section = None
    pending = None
    for line in text.splitlines():
        if pending is not None:
            pending[1] += " " + line.strip()
            if line.endswith("\\"):
                pending[1] = pending[1][:-1].rstrip()
                continue
            units[unit][section].append(tuple(pending))
            pending = None
            continue
        m = re.match(r"^# /run/systemd/generator[^/]*/(.+?) -> (.+)$", line)
        if m:
            links[m.group(1)] = m.group(2)
            unit = None
            continue
        m = re.match(r"^# /run/systemd/generator[^/]*/(.+)\.d/[^/]+\.conf$", line)
        if m:
            unit, section = m.group(1), None
            units.setdefault(unit, {})
            continue
        if line.startswith("# /run/systemd/generator"):
            unit = None         # a file that is no drop-in: not read
            continue
        if unit is None or not line or line.startswith("#"):
            continue
        m = re.match(r"^\[(.+)\]$", line)
        if m:
            section = m.group(1)
            units[unit].setdefault(section, [])
            continue
        if section is None:
            raise ValueError(f"a setting outside any section in the drop-in of {unit}: {line}")
        key, _, value = line.partition("=")
        if line.endswith("\\"):
            pending = [key, value[:-1].rstrip()]
        else:
            units[unit][section].append((key, value))
    return units, links


def exec_argv(value):
    """An Exec line's argv: its prefixes (-, +, !, @, :) dropped, quotes and %%/$$ undone."""
    value = value.lstrip("-+!@:")
    for m in re.finditer(r"%%|\$\$|\\.|[%$\\]", value):
        if m.group(0) in ("%", "$", "\\") or (m.group(0)[0] == "\\" and m.group(0)[1] not in "\\\""):
            raise ValueError(f"{m.group(0)!r} at {m.start()} is not escaped as the generator escapes: {value}")
    return [a.replace("%%", "%").replace("$$", "$") for a in shlex.split(value)]


def has_slice(argv, part):
    return any(argv[i:i + len(part)] == part for i in range(len(argv) - len(part) + 1))


def check(units, links, assertion):
    kind, _, rest = assertion.partition(" ")
    if kind == "assert-link":
        link, _, target = rest.partition(" -> ")
        if links.get(link) != target:
            return f"no link {link} -> {target} (links: {sorted(links.items())})"
        return None
    if kind == "assert-no-unit":
        if not rest or " " in rest:
            return f"malformed: {assertion}"
        if rest in units:
            return f"{rest} has a drop-in"
        named = [f"{u}: {k}={v}" for u, secs in units.items() for kv in secs.values() for k, v in kv if rest in v]
        named += [f"link {link} -> {target}" for link, target in links.items() if rest in link or rest in target]
        if named:
            return f"{rest} is named: {named}"
        return None
    words = rest.split(" ", 2)
    if len(words) < 3:
        return f"malformed: {assertion}"
    unit, section, spec = words
    if kind == "assert-no-arg":
        key, text = section, spec
        lines = [v for s in units.get(unit, {}).values() for k, v in s if k == key]
        if not lines:
            return f"{unit} has no {key}= (to say so, use assert-no-key)"
        found = [a for v in lines for a in exec_argv(v) if text in a]
        if found:
            return f"a {key}= argument of {unit} contains {text!r}: {found}"
        return None
    if kind == "assert-argv":
        key, part = section, shlex.split(spec)
        lines = [v for s in units.get(unit, {}).values() for k, v in s if k == key]
        if not lines:
            return f"{unit} has no {key}="
        if not any(has_slice(exec_argv(v), part) for v in lines):
            return f"no {key}= of {unit} has {part}"
        return None
    settings = units.get(unit, {}).get(section)
    if settings is None:
        return f"{unit} has no [{section}]"
    if kind in ("assert-key", "assert-no-value"):
        key, _, value = spec.partition("=")
        values = []
        for k, v in settings:
            if k == key:
                values = [] if v == "" else values + [v]    # an empty assignment resets
        if kind == "assert-key" and value not in values:
            return f"[{section}] of {unit}: {key}={value} not set (found: {values})"
        items = [item for v in values for item in v.split()]   # a list key's items, on one line or more
        if kind == "assert-no-value" and value in values + items:
            return f"[{section}] of {unit} sets {key}={value}"
        return None
    if kind == "assert-no-key":
        if "=" in spec:
            return f"malformed: {assertion} (a key, without a value)"
        if any(k == spec for k, _ in settings):
            return f"[{section}] of {unit} sets {spec}"
        return None
    return f"unknown assertion: {assertion}"


def main():
    try:
        units, links = parse(open(sys.argv[1]).read())
    except (OSError, ValueError) as e:
        print(f"cannot read the output: {e}")
        return 2
    failed = False
    for line in sys.stdin:
        line = line.rstrip("\n").removeprefix("## ")
        try:
            problem = check(units, links, line)
        except ValueError as e:     # shlex: an unbalanced quote
            problem = f"{line}: {e}"
        if problem:
            print(problem)
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
