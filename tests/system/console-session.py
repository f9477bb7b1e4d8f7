#!/usr/bin/python3
"""console-session.py QEMU_VMCTL NAME TEXT: runs `QEMU_VMCTL console NAME` on a pseudo-terminal, as a
person would, waits for its banner, types TEXT and Enter, waits until the guest answers
"QEMU-VM-GUEST: echo TEXT" (the test guest with qemu_vm_test.echo=1), then presses Ctrl+] and waits for
qemu-vmctl to exit. Prints what the terminal showed and "exit=N"; exits 0 only if every step was seen
within its time."""
import os
import pty
import select
import sys
import time


def read_until(fd, seen, needle, seconds):
    deadline = time.monotonic() + seconds
    while needle not in seen:
        left = deadline - time.monotonic()
        if left <= 0:
            return seen, False
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: the child closed the terminal
            return seen, needle in seen
        if not chunk:
            return seen, needle in seen
        seen += chunk
    return seen, True


def main():
    ctl, name, text = sys.argv[1:4]
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(ctl, [ctl, "console", name])
    seen = b""
    ok = True
    seen, step = read_until(fd, seen, b"Press Ctrl+] to detach", 10)
    ok = ok and step
    os.write(fd, text.encode() + b"\r")
    seen, step = read_until(fd, seen, b"QEMU-VM-GUEST: echo " + text.encode(), 30)
    ok = ok and step
    os.write(fd, b"\x1d")
    seen, step = read_until(fd, seen, b"Detached from VM", 10)
    ok = ok and step
    deadline = time.monotonic() + 10
    status = None
    while status is None and time.monotonic() < deadline:
        done, st = os.waitpid(pid, os.WNOHANG)
        if done:
            status = os.waitstatus_to_exitcode(st)
        else:
            time.sleep(0.1)
    sys.stdout.write(seen.decode(errors="replace"))
    print(f"\nexit={status}")
    sys.exit(0 if ok and status == 0 else 1)


main()
