# Shared by the system suite's bats files: one container per file, the build installed into it the
# way a user installs it (`meson install`), the test guest copied in.
# Needs BUILD_DIR and SOURCE_ROOT (tests/meson.build sets them).

source "$BATS_TEST_DIRNAME/container.bash"

# system_suite_setup [--no-install]: the container, the build installed (unless --no-install: a test
# file that installs a package instead), the test guest copied in.
system_suite_setup() {
        : "${BUILD_DIR:?}" "${SOURCE_ROOT:?}"
        local guest_cache=$BUILD_DIR/test-guest

        # Built once per build directory and reused by every test file.
        if ! "$SOURCE_ROOT/tests/system/build-guest.sh" "$guest_cache" >"$BATS_FILE_TMPDIR/build-guest.log" 2>&1; then
                cat "$BATS_FILE_TMPDIR/build-guest.log" >&2
                return 1
        fi
        # The source and build trees may live where the container has its own tmpfs (/tmp, say):
        # bind them in at the same paths, so `meson install` inside finds everything.
        export CONTAINER_NSPAWN_ARGS="--bind-ro=$SOURCE_ROOT --bind=$BUILD_DIR"
        container_boot
        [ "${1:-}" = --no-install ] || in_container meson install -C "$BUILD_DIR" --no-rebuild --quiet >/dev/null
        export GUEST_IMAGES=/var/lib/qemu-vm/images
        container_copy_in "$guest_cache/vmlinuz" "$GUEST_IMAGES/vmlinuz"
        container_copy_in "$guest_cache/initrd.img" "$GUEST_IMAGES/initrd.img"
        in_container chmod 0644 "$GUEST_IMAGES/vmlinuz" "$GUEST_IMAGES/initrd.img"
}

system_suite_teardown() {
        # Leave the container's view of what happened for whoever reads the test log.
        if [ -n "${CONTAINER_LEADER:-}" ]; then
                in_container journalctl --no-pager -o short-monotonic -u 'qemu-vm@*' 2>/dev/null |
                        tail -n 200 >"$BATS_FILE_TMPDIR/journal.txt" || true
        fi
        container_shutdown
}

# host_bridge_setup: br0 in the container, /dev/net/tun open to the VMs' users as a Debian host's udev
# makes it, and nothing holding the tap units back (they wait for network-online.target; this
# machine's systemd-networkd-wait-online finds no configured link on the container's private network
# and would hold the target for its 2-minute timeout, where a host with a configured network reaches
# it at boot).
host_bridge_setup() {
        in_container chmod 0666 /dev/net/tun
        if in_container systemctl cat systemd-networkd-wait-online.service >/dev/null 2>&1; then
                in_container systemctl mask --runtime --now systemd-networkd-wait-online.service
        fi
        in_container ip link add br0 type bridge
        in_container ip link set br0 up
}

# guest_vm NAME PARAMS [LINE...]: /etc/qemu/vms/NAME.conf booting the test guest directly (SeaBIOS,
# or GUEST_FIRMWARE; TCG, 256M), kernel parameters PARAMS, then LINE... (the VM's further sections).
# console=ttyS0 comes last: the guest's init writes to /dev/console, which is the last console= given.
guest_vm() {
        local name=$1 params=$2
        shift 2
        put_file "/etc/qemu/vms/$name.conf" <<EOF
[vm]
memory = 256M
accel = tcg
firmware = ${GUEST_FIRMWARE:-bios}
kernel = $GUEST_IMAGES/vmlinuz
initrd = $GUEST_IMAGES/initrd.img
cmdline = $params console=ttyS0
shutdown_timeout = 30

$(printf '%s\n' "$@")
EOF
}

# put_file PATH: writes stdin to PATH inside the container.
# vmctl ARGS...: qemu-vmctl in the container.
vmctl() {
        in_container qemu-vmctl "$@"
}

# json_get EXPR: evaluates the Python expression EXPR with `d` bound to the JSON document on stdin.
json_get() {
        /usr/bin/python3 -c 'import json, sys; d = json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"
}

put_file() {
        in_container sh -c 'mkdir -p "$(dirname "$1")" && cat >"$1"' put_file "$1"
}

# wait_for_serial NAME TEXT COUNT [SECONDS]: waits until the VM's serial log has TEXT COUNT times
# (the log is appended to across boots).
wait_for_serial() {
        local name=$1 text=$2 count=$3 seconds=${4:-120}
        local log=/var/log/qemu-vm/$name/serial.log
        local deadline=$((SECONDS + seconds))
        while [ "$SECONDS" -lt "$deadline" ]; do
                if [ "$(in_container grep -cF -- "$text" "$log" 2>/dev/null)" -ge "$count" ] 2>/dev/null; then
                        return 0
                fi
                sleep 0.5
        done
        echo "'$text' did not appear $count times in $log within $seconds s; the log ends:" >&2
        in_container tail -n 30 "$log" >&2 || true
        in_container journalctl -u "qemu-vm@$name" --no-pager -n 30 >&2 || true
        return 1
}
