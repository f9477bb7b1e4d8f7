#!/usr/bin/python3
# The hostile process of tests/system/isolation.bats: it runs as VM A's QEMU would, in qemu-vm@A's own
# unit and generated drop-in (only ExecStart= replaced), and tries to reach everything of VM B. Each
# attempt prints one line, "ATTEMPT <what>: denied (<why>)" or "ATTEMPT <what>: ALLOWED"; attempts
# on A's own files print "OWN <what>: ok" or "OWN <what>: FAILED", proving the probe can act at all.
# Usage: isolation-probe.py A B SHARED_DIR
import errno, fcntl, os, socket, struct, sys

a, b, shared = sys.argv[1:4]


def attempt(what, action, own=False):
    try:
        action()
    except OSError as e:
        print(f"{'OWN' if own else 'ATTEMPT'} {what}: {'FAILED' if own else 'denied'} ({errno.errorcode.get(e.errno, e.errno)})")
        return
    print(f"{'OWN' if own else 'ATTEMPT'} {what}: {'ok' if own else 'ALLOWED'}")


def read(path):
    return lambda: open(path, "rb").read(512)


def write(path):
    def go():
        with open(path, "r+b") as f:
            f.write(b"owned")
    return go


def create(path):
    def go():
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        os.close(fd)
        os.unlink(path)
    return go


def symlink_over(path, target):
    def go():
        tmp = path + ".probe"
        os.symlink(target, tmp)
        try:
            os.rename(tmp, path)
        finally:
            if os.path.lexists(tmp):
                os.unlink(tmp)
    return go


def write_fifo(path):
    def go():
        fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
        try:
            os.write(fd, b"QEMU-VM-GUEST: forged line\n")
        finally:
            os.close(fd)
    return go


def connect(path):
    def go():
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(2)
        try:
            s.connect(path)
        finally:
            s.close()
    return go


def open_tap(name):
    def go():
        fd = os.open("/dev/net/tun", os.O_RDWR)
        try:
            IFF_TAP, IFF_NO_PI = 0x0002, 0x1000
            fcntl.ioctl(fd, 0x400454CA, struct.pack("16sH", name.encode(), IFF_TAP | IFF_NO_PI))  # TUNSETIFF
        finally:
            os.close(fd)
    return go


state_b, run_b, log_b = f"/var/lib/qemu-vm/{b}", f"/run/qemu-vm/{b}", f"/var/log/qemu-vm/{b}"
for path in (f"{state_b}/root.qcow2", f"{state_b}/nvram.fd", f"{state_b}/cloud-init.iso",
             f"{shared}/{b}-made.qcow2", f"{shared}/{b}-given.qcow2", f"{log_b}/serial.log"):
    attempt(f"read {path}", read(path))
    attempt(f"write {path}", write(path))
attempt(f"list {state_b}", lambda: os.listdir(state_b))
attempt(f"create a file in {state_b}", create(f"{state_b}/probe"))
attempt(f"create a file in {shared}", create(f"{shared}/probe"))
attempt(f"replace {log_b}/serial.log with a symlink", symlink_over(f"{log_b}/serial.log", "/etc/passwd"))
attempt(f"create a file in {log_b}", create(f"{log_b}/probe"))
attempt(f"write into /run/qemu-vm-serial/{b}/serial.fifo (b's log)", write_fifo(f"/run/qemu-vm-serial/{b}/serial.fifo"))
for sock in ("qmp.sock", "qmp-shutdown.sock", "serial.sock", "agent.sock", "console/vnc.sock"):
    attempt(f"connect {run_b}/{sock}", connect(f"{run_b}/{sock}"))
attempt(f"connect /run/swtpm/{b}/swtpm.sock", connect(f"/run/swtpm/{b}/swtpm.sock"))
attempt(f"open tap vm-{b}-0", open_tap(f"vm-{b}-0"))
# B's QEMU through /proc: its root directory shows B's own view of /run.
for pid in (d for d in os.listdir("/proc") if d.isdigit()):
    try:
        if open(f"/proc/{pid}/comm").read().strip().startswith("qemu-system"):
            attempt(f"connect /proc/{pid}/root{run_b}/qmp.sock", connect(f"/proc/{pid}/root{run_b}/qmp.sock"))
    except OSError:
        pass
print(f"QEMU processes visible: {sum(1 for d in os.listdir('/proc') if d.isdigit() and os.path.exists(f'/proc/{d}/comm') and open(f'/proc/{d}/comm').read().startswith('qemu-system'))}")

# A's own files, which it must reach.
attempt(f"create a file in /var/lib/qemu-vm/{a}", create(f"/var/lib/qemu-vm/{a}/probe"), own=True)
attempt(f"write {shared}/{a}-made.qcow2", write(f"{shared}/{a}-made.qcow2"), own=True)
attempt(f"write {shared}/{a}-given.qcow2", write(f"{shared}/{a}-given.qcow2"), own=True)
attempt(f"write into /run/qemu-vm-serial/{a}/serial.fifo", write_fifo(f"/run/qemu-vm-serial/{a}/serial.fifo"), own=True)
print("PROBE DONE")
