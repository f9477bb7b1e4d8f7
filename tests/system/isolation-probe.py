#!/usr/bin/python3
# The hostile process of tests/system/isolation.bats: it runs as VM A's QEMU would, in qemu-vm@A's own
# unit and generated drop-in (only ExecStart= replaced), and tries to reach everything of VM B. Each
# attempt prints one line, "ATTEMPT <what>: denied (<why>)" or "ATTEMPT <what>: ALLOWED"; attempts
# on A's own files print "OWN <what>: ok" or "OWN <what>: FAILED", proving the probe can act at all.
# With --tpm it runs as VM A's TPM emulator would, in swtpm@A's own unit, and tries B's TPM.
# Usage: isolation-probe.py A B SHARED_DIR | isolation-probe.py --tpm A B
import errno, fcntl, os, socket, struct, sys


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


def processes(comm):
    """The PIDs of the processes this probe sees whose name starts with COMM."""
    found = []
    for pid in (d for d in os.listdir("/proc") if d.isdigit()):
        try:
            if open(f"/proc/{pid}/comm").read().startswith(comm):
                found.append(pid)
        except OSError:
            pass
    return found


def qemu_probe(a, b, shared):
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
    attempt(f"read /var/lib/swtpm/{b}/tpm2-00.permall", read(f"/var/lib/swtpm/{b}/tpm2-00.permall"))
    attempt(f"open tap vm-{b}-0", open_tap(f"vm-{b}-0"))
    # B's QEMU through /proc: its root directory shows B's own view of /run.
    qemus = processes("qemu-system")
    for pid in qemus:
        attempt(f"connect /proc/{pid}/root{run_b}/qmp.sock", connect(f"/proc/{pid}/root{run_b}/qmp.sock"))
    print(f"QEMU processes visible: {len(qemus)}")

    # A's own files, which it must reach.
    attempt(f"create a file in /var/lib/qemu-vm/{a}", create(f"/var/lib/qemu-vm/{a}/probe"), own=True)
    attempt(f"write {shared}/{a}-made.qcow2", write(f"{shared}/{a}-made.qcow2"), own=True)
    attempt(f"write {shared}/{a}-given.qcow2", write(f"{shared}/{a}-given.qcow2"), own=True)
    attempt(f"write into /run/qemu-vm-serial/{a}/serial.fifo", write_fifo(f"/run/qemu-vm-serial/{a}/serial.fifo"), own=True)


def tpm_probe(a, b):
    state_b = f"/var/lib/swtpm/{b}"
    attempt(f"read {state_b}/tpm2-00.permall", read(f"{state_b}/tpm2-00.permall"))
    attempt(f"write {state_b}/tpm2-00.permall", write(f"{state_b}/tpm2-00.permall"))
    attempt(f"list {state_b}", lambda: os.listdir(state_b))
    attempt(f"create a file in {state_b}", create(f"{state_b}/probe"))
    attempt(f"connect /run/swtpm/{b}/swtpm.sock", connect(f"/run/swtpm/{b}/swtpm.sock"))
    # B's swtpm through /proc: its root directory shows its own mounts, its memory B's keys.
    others = [pid for pid in processes("swtpm") if pid != str(os.getpid())]
    for pid in others:
        attempt(f"read /proc/{pid}/root{state_b}/tpm2-00.permall", read(f"/proc/{pid}/root{state_b}/tpm2-00.permall"))
        attempt(f"read /proc/{pid}/environ", read(f"/proc/{pid}/environ"))
    print(f"swtpm processes visible: {len(others)}")
    attempt(f"read /var/lib/swtpm/{a}/tpm2-00.permall", read(f"/var/lib/swtpm/{a}/tpm2-00.permall"), own=True)
    attempt(f"create a file in /var/lib/swtpm/{a}", create(f"/var/lib/swtpm/{a}/probe"), own=True)


if sys.argv[1] == "--tpm":
    tpm_probe(*sys.argv[2:4])
else:
    qemu_probe(*sys.argv[1:4])
print("PROBE DONE")
