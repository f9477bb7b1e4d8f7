# shellcheck shell=bash
#
# container.bash: a throw-away systemd container for the system tests.
#
# Source this file from a bats test file and use one container per file:
#
#     load container            # or: source "$BATS_TEST_DIRNAME/container.bash"
#     setup_file()    { container_boot; }
#     teardown_file() { container_shutdown; }
#
#     @test "something" {
#         container_copy_in "$BUILD/qemu-vm-generator" /usr/lib/systemd/system-generators/
#         in_container systemctl daemon-reload
#         container_wait_for 10 systemctl is-active qemu-vm@web01
#     }
#
# The container is the host's own root, seen through an overlay whose upper
# layer lives on a tmpfs, booted with systemd-nspawn (docs/DESIGN-NOTES.md, "Test containers").
# Nothing written inside reaches the host's disk, and container_shutdown
# removes every mount and process it made.
#
# Functions (each prints its errors on stderr and returns non-zero):
#   container_boot                 mount the overlay, boot systemd in it, wait
#                                  until it is running (or degraded)
#   in_container CMD [ARG...]      run CMD in the container's namespaces
#   container_copy_in SRC DEST     cp -a a host file or directory to DEST in
#                                  the container (parents are created)
#   container_wait_for SECS CMD... poll CMD inside every 0.2 s until it succeeds
#   container_shutdown             power off, unmount, clean up (idempotent)
#   container_kill                 SIGKILL the container (used by shutdown)
#
# Exported while a container exists:
#   CONTAINER_DIR         the tmpfs directory under /var/tmp holding it all
#   CONTAINER_ROOT        the merged overlay (the container's root directory)
#   CONTAINER_LOG         nspawn's output, i.e. the container's console
#   CONTAINER_NSPAWN_PID  the systemd-nspawn process
#   CONTAINER_LEADER      the container's PID 1 as seen from the host
#   CONTAINER_MACHINE     the machine name given to nspawn (also its hostname)
#   CONTAINER_BOOT_MS     how long container_boot took (milliseconds); after
#                         container_shutdown, CONTAINER_SHUTDOWN_MS likewise
#
# What the container is not (measured on the hybrid-cgroup hosts of this
# project, systemd 252):
#   - The host binds the cpu, memory, io and pids controllers to cgroup v1,
#     so the container's pure cgroup v2 tree has none of them: MemoryMax=,
#     CPUQuota=, TasksMax= are accepted and shown by systemctl show, units
#     start, but nothing enforces them (no memory.max file).
#   - No /dev/kvm (nspawn makes a minimal /dev); see CONTAINER_BIND_KVM.
#   - No udev, no /dev/kmsg.
#   - First boot: with no machine-id systemd applies the preset policy, so
#     units that are disabled on the host (systemd-networkd, ...) may run.
#
# Tunables (environment):
#   CONTAINER_BOOT_TIMEOUT      seconds to wait for boot (60)
#   CONTAINER_SHUTDOWN_TIMEOUT  seconds to wait for a clean power-off (30)
#   CONTAINER_TMPFS_SIZE        size of the tmpfs (6G)
#   CONTAINER_BIND_KVM          1: bind the host's /dev/kvm into the container
#                               (off by default: tests run QEMU with TCG and a
#                               bind mount would share the host's device node)
#   CONTAINER_NSPAWN_ARGS       extra words for systemd-nspawn (split on blanks)

CONTAINER_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

_container_err() {
	printf 'container: %s\n' "$*" >&2
}

# Milliseconds since the epoch.
_container_now_ms() {
	local ns
	ns=$(date +%s%N) || return 1
	printf '%s\n' "$((ns / 1000000))"
}

# "12" or "1.5" seconds -> milliseconds; fails on anything else.
_container_secs_to_ms() {
	local s=$1 int frac
	if [[ $s =~ ^([0-9]+)(\.([0-9]{0,3})[0-9]*)?$ ]]; then
		int=${BASH_REMATCH[1]}
		frac=${BASH_REMATCH[3]}
		frac=${frac}000
		frac=${frac:0:3}
		printf '%s\n' "$((10#$int * 1000 + 10#$frac))"
		return 0
	fi
	return 1
}

# Start time (clock ticks after boot) of a process, to tell it from a later
# process that reuses its PID.  Empty if the process is gone.
_container_starttime() {
	local stat rest
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	rest=${stat##*) }   # comm may contain blanks and parentheses
	# shellcheck disable=SC2086
	set -- $rest
	# after comm: $1 state, ..., $20 starttime
	printf '%s\n' "${20}"
}

# _container_alive PID STARTTIME: true while PID is that very process and
# has not exited (a zombie counts as exited).
_container_alive() {
	local pid=$1 start=$2 stat rest
	[[ -n $pid && $pid =~ ^[0-9]+$ ]] || return 1
	stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
	rest=${stat##*) }
	# shellcheck disable=SC2086
	set -- $rest
	[[ $1 != Z && $1 != X ]] || return 1
	[[ -z $start || ${20} == "$start" ]] || return 1
	return 0
}

_container_nspawn_alive() {
	_container_alive "${CONTAINER_NSPAWN_PID:-}" "${_CONTAINER_NSPAWN_START:-}"
}

_container_leader_alive() {
	_container_alive "${CONTAINER_LEADER:-}" "${_CONTAINER_LEADER_START:-}"
}

# Reap nspawn once it has exited, if it is our child, so that no zombie is
# left behind.  Never blocks: `wait PID` on a live child would wait for it.
_container_reap() {
	local pid=${CONTAINER_NSPAWN_PID:-} stat rest
	[[ -n $pid ]] || return 0
	if stat=$(cat "/proc/$pid/stat" 2>/dev/null); then
		rest=${stat##*) }
		# shellcheck disable=SC2086
		set -- $rest
		[[ $1 == Z && ${20} == "${_CONTAINER_NSPAWN_START:-}" ]] || return 0
	fi
	wait "$pid" 2>/dev/null || true
}

# The container's PID 1: the child of nspawn that is PID 1 of a new PID
# namespace.  Prints it, or fails if there is none (yet).
_container_find_leader() {
	local nspawn=$1 child nspid mypidns
	mypidns=$(readlink /proc/self/ns/pid) || return 1
	# shellcheck disable=SC2013
	for child in $(cat /proc/"$nspawn"/task/*/children 2>/dev/null); do
		nspid=$(sed -n 's/^NSpid:[[:space:]]*//p' "/proc/$child/status" 2>/dev/null) || continue
		# shellcheck disable=SC2086
		set -- $nspid
		[[ $# -ge 2 && ${!#} == 1 ]] || continue
		[[ $(readlink "/proc/$child/ns/pid" 2>/dev/null) != "$mypidns" ]] || continue
		printf '%s\n' "$child"
		return 0
	done
	return 1
}

_container_show_log() {
	if [[ -n ${CONTAINER_LOG:-} && -r $CONTAINER_LOG ]]; then
		_container_err "last lines of the container's console ($CONTAINER_LOG):"
		tail -n "${1:-40}" "$CONTAINER_LOG" | sed 's/\x1b\[[0-9;]*m//g; s/^/    | /' >&2 || true
	fi
}

# in_container CMD [ARG...]
#
# Runs CMD in all the container's namespaces (mount, PID, network, UTS, IPC,
# cgroup) with its root as / and a clean environment (PATH, HOME, LANG,
# TERM=dumb, no pager, no colours).  Stdin, stdout, stderr and the exit
# status are CMD's.  Pass variables with `in_container env VAR=value CMD`.
# The command runs in the host's cgroup, outside the container's tree, but
# it is in the container's PID namespace: power-off kills it.
in_container() {
	if [[ $# -eq 0 ]]; then
		_container_err "usage: in_container CMD [ARG...]"
		return 2
	fi
	if [[ -z ${CONTAINER_LEADER:-} ]]; then
		_container_err "in_container $1: no container (CONTAINER_LEADER is unset; did container_boot succeed?)"
		return 125
	fi
	if ! _container_leader_alive; then
		_container_err "in_container $1: the container's PID 1 ($CONTAINER_LEADER) is gone"
		return 125
	fi
	nsenter --target "$CONTAINER_LEADER" --all -- \
		env -i PATH="$CONTAINER_PATH" HOME=/root LANG=C.UTF-8 TERM=dumb \
		SYSTEMD_PAGER=cat SYSTEMD_COLORS=0 SYSTEMD_LESS= PAGER=cat "$@"
}

# container_wait_for TIMEOUT CMD [ARG...]
#
# Runs CMD inside every 0.2 s until it exits 0 (returns 0) or TIMEOUT
# seconds (may be fractional) have passed (returns 1 and shows the last
# attempt's output on stderr).  Each attempt is itself cut off at the
# remaining time.  CMD's output is discarded while polling.
container_wait_for() {
	local timeout=${1:-} timeout_ms start now left out="" rc=0
	if [[ $# -lt 2 ]] || ! timeout_ms=$(_container_secs_to_ms "$timeout"); then
		_container_err "usage: container_wait_for TIMEOUT_SECONDS CMD [ARG...]"
		return 2
	fi
	shift
	start=$(_container_now_ms) || return 1
	while :; do
		now=$(_container_now_ms) || return 1
		left=$((start + timeout_ms - now))
		((left > 0)) || left=1
		rc=0
		out=$(in_container timeout --kill-after=1 "$((left / 1000)).$(printf '%03d' $((left % 1000)))" "$@" 2>&1) || rc=$?
		[[ $rc -ne 0 ]] || return 0
		# The container is gone: no point in waiting.
		if ! _container_leader_alive; then
			_container_err "container_wait_for $*: the container is not running"
			return 1
		fi
		now=$(_container_now_ms) || return 1
		if ((now - start >= timeout_ms)); then
			_container_err "container_wait_for: '$*' still fails after ${timeout}s (last exit status $rc)"
			if [[ -n $out ]]; then
				printf '%s\n' "$out" | tail -n 20 | sed 's/^/    | /' >&2 || true
			fi
			return 1
		fi
		sleep 0.2
	done
}

# container_copy_in SRC DEST
#
# Copies a host file or directory into the running container, like
# `cp -a SRC DEST` would inside it: if DEST is an existing directory or ends
# in "/", SRC lands inside it; missing parent directories are created.
# DEST must be absolute.  The copy goes through /proc/LEADER/root after
# resolving DEST inside the container, so the container's own mounts
# (/run, /tmp, ...) and absolute symlinks behave as they do inside, and
# nothing is ever written outside the container.
container_copy_in() {
	local src=${1:-} dest=${2:-} resolved root parent
	if [[ $# -ne 2 || -z $src || -z $dest ]]; then
		_container_err "usage: container_copy_in SRC DEST"
		return 2
	fi
	if [[ $dest != /* ]]; then
		_container_err "container_copy_in: DEST must be an absolute path: $dest"
		return 2
	fi
	if [[ ! -e $src && ! -L $src ]]; then
		_container_err "container_copy_in: no such file or directory on the host: $src"
		return 1
	fi
	if ! _container_leader_alive; then
		_container_err "container_copy_in: no running container"
		return 1
	fi
	root=/proc/$CONTAINER_LEADER/root
	if ! resolved=$(in_container realpath -m -- "$dest") || [[ $resolved != /* ]]; then
		_container_err "container_copy_in: cannot resolve $dest inside the container"
		return 1
	fi
	if [[ $dest == */ ]]; then
		parent=$resolved
	else
		parent=$(dirname -- "$resolved")
	fi
	if ! mkdir -p -- "$root$parent"; then
		_container_err "container_copy_in: cannot create $parent inside the container"
		return 1
	fi
	if [[ $dest == */ ]]; then
		resolved=$resolved/
	fi
	if ! cp -a -- "$src" "$root$resolved"; then
		_container_err "container_copy_in: copying $src to $dest in the container failed"
		return 1
	fi
	return 0
}

# container_boot
#
# See the top of this file.  On failure it shows the end of the console
# log, tears down whatever it had set up and returns 1.
container_boot() {
	local timeout_ms start now out rc leader state tun_mode
	local -a extra=()

	if _container_nspawn_alive || [[ -n ${CONTAINER_DIR:-} ]]; then
		_container_err "container_boot: a container already exists (CONTAINER_DIR=${CONTAINER_DIR:-}); call container_shutdown first"
		return 1
	fi
	if [[ $(id -u) != 0 ]]; then
		_container_err "container_boot: must run as root"
		return 1
	fi
	local cmd
	for cmd in systemd-nspawn nsenter mount umount mountpoint findmnt timeout; do
		if ! command -v "$cmd" >/dev/null 2>&1; then
			_container_err "container_boot: $cmd not found"
			return 1
		fi
	done
	if ! timeout_ms=$(_container_secs_to_ms "${CONTAINER_BOOT_TIMEOUT:-60}"); then
		_container_err "container_boot: bad CONTAINER_BOOT_TIMEOUT: ${CONTAINER_BOOT_TIMEOUT:-}"
		return 1
	fi
	start=$(_container_now_ms) || return 1

	# The throw-away root.
	if ! CONTAINER_DIR=$(mktemp -d /var/tmp/qemu-vm-test.XXXXXX); then
		_container_err "container_boot: mktemp -d /var/tmp/qemu-vm-test.XXXXXX failed"
		CONTAINER_DIR=
		return 1
	fi
	export CONTAINER_DIR
	# The machine name is also the initial hostname and names nspawn's
	# /run/systemd/nspawn/propagate/NAME, so make it unique.
	export CONTAINER_MACHINE=${CONTAINER_DIR##*/}
	CONTAINER_MACHINE=${CONTAINER_MACHINE//./-}
	if ! mount -t tmpfs -o "size=${CONTAINER_TMPFS_SIZE:-6G},mode=0755" qemu-vm-test "$CONTAINER_DIR"; then
		_container_err "container_boot: cannot mount a tmpfs on $CONTAINER_DIR"
		container_shutdown
		return 1
	fi
	if ! mkdir "$CONTAINER_DIR/upper" "$CONTAINER_DIR/work" "$CONTAINER_DIR/root"; then
		_container_err "container_boot: mkdir in $CONTAINER_DIR failed"
		container_shutdown
		return 1
	fi
	export CONTAINER_ROOT=$CONTAINER_DIR/root
	export CONTAINER_LOG=$CONTAINER_DIR/console.log
	if ! mount -t overlay qemu-vm-test \
		-o "lowerdir=/,upperdir=$CONTAINER_DIR/upper,workdir=$CONTAINER_DIR/work" \
		"$CONTAINER_ROOT"; then
		_container_err "container_boot: cannot mount the overlay (lowerdir=/) on $CONTAINER_ROOT"
		container_shutdown
		return 1
	fi
	# A fresh machine ID.  systemd would otherwise copy the host's from
	# /var/lib/dbus/machine-id (a plain file, not a symlink, on these hosts);
	# make that a symlink to /etc/machine-id, as Debian's dbus does.
	if ! rm -f "$CONTAINER_ROOT/etc/machine-id" ||
		{ [[ -e $CONTAINER_ROOT/var/lib/dbus/machine-id || -L $CONTAINER_ROOT/var/lib/dbus/machine-id ]] &&
			! ln -sfn /etc/machine-id "$CONTAINER_ROOT/var/lib/dbus/machine-id"; }; then
		_container_err "container_boot: cannot remove the machine ID in $CONTAINER_ROOT"
		container_shutdown
		return 1
	fi

	if [[ ${CONTAINER_BIND_KVM:-0} == 1 ]]; then
		if [[ -c /dev/kvm ]]; then
			extra+=(--bind=/dev/kvm)
		else
			_container_err "container_boot: CONTAINER_BIND_KVM=1 but the host has no /dev/kvm"
		fi
	fi
	if [[ -n ${CONTAINER_NSPAWN_ARGS:-} ]]; then
		# shellcheck disable=SC2206
		extra+=($CONTAINER_NSPAWN_ARGS)
	fi

	# --system-call-filter=bpf: nspawn's seccomp filter denies bpf(2) by
	# default, and systemd then silently ignores DevicePolicy=/DeviceAllow=
	# (cgroup v2 device control is a BPF program).  With it, units inside
	# get the device access control they get on a host, so a unit that
	# forgets a DeviceAllow= fails here too.
	#
	# nspawn must hold none of our descriptors but 0-2 (bats waits for
	# whoever holds its fd 3), hence the subshell that closes them and execs.
	(
		for fd in /proc/self/fd/*; do
			fd=${fd##*/}
			if [[ $fd -gt 2 ]]; then
				eval "exec $fd>&-" 2>/dev/null || true
			fi
		done
		export SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1
		exec systemd-nspawn --directory="$CONTAINER_ROOT" --machine="$CONTAINER_MACHINE" \
			--boot --register=no --keep-unit --link-journal=no --private-network \
			--console=read-only --system-call-filter=bpf "${extra[@]}"
	) </dev/null >"$CONTAINER_LOG" 2>&1 &
	export CONTAINER_NSPAWN_PID=$!
	_CONTAINER_NSPAWN_START=$(_container_starttime "$CONTAINER_NSPAWN_PID") || _CONTAINER_NSPAWN_START=
	export _CONTAINER_NSPAWN_START

	# Its PID 1.
	leader=
	while :; do
		if leader=$(_container_find_leader "$CONTAINER_NSPAWN_PID"); then
			break
		fi
		if ! _container_nspawn_alive; then
			_container_reap
			_container_err "container_boot: systemd-nspawn exited before starting the container"
			_container_show_log
			container_shutdown
			return 1
		fi
		now=$(_container_now_ms) || return 1
		if ((now - start >= timeout_ms)); then
			_container_err "container_boot: no container PID 1 under systemd-nspawn ($CONTAINER_NSPAWN_PID) after ${CONTAINER_BOOT_TIMEOUT:-60}s"
			_container_show_log
			container_shutdown
			return 1
		fi
		sleep 0.1
	done
	export CONTAINER_LEADER=$leader
	_CONTAINER_LEADER_START=$(_container_starttime "$CONTAINER_LEADER") || _CONTAINER_LEADER_START=
	export _CONTAINER_LEADER_START

	# Wait for systemd.  Until it has set up /run/systemd, systemctl says
	# "offline" or fails to connect; after that --wait blocks until start-up
	# is over.
	state=
	while :; do
		now=$(_container_now_ms) || return 1
		if ((now - start >= timeout_ms)); then
			_container_err "container_boot: systemd in the container is not up after ${CONTAINER_BOOT_TIMEOUT:-60}s (state: ${state:-unknown})"
			in_container systemctl list-jobs --no-pager >&2 2>&1 || true
			_container_show_log
			container_shutdown
			return 1
		fi
		if ! _container_leader_alive; then
			_container_reap
			_container_err "container_boot: the container stopped while booting"
			_container_show_log
			container_shutdown
			return 1
		fi
		rc=0
		out=$(in_container timeout --kill-after=1 "$(((start + timeout_ms - now + 999) / 1000))" \
			systemctl is-system-running --wait 2>/dev/null) || rc=$?
		state=${out##*$'\n'}
		case $state in
		running | degraded)
			break
			;;
		maintenance | stopping)
			_container_err "container_boot: systemd in the container is '$state'"
			_container_show_log
			container_shutdown
			return 1
			;;
		esac
		sleep 0.2
	done
	if [[ $state == degraded ]]; then
		_container_err "container_boot: note: the container is degraded; failed units:"
		in_container systemctl --failed --no-legend --no-pager >&2 2>&1 || true
	fi

	# /dev/net/tun: nspawn makes its own node (mode 0600, like the host's);
	# the tests want 0666, as a Debian host's udev sets it.  Never chmod a
	# bind-mounted node: that would change the host's.
	if ! in_container test -c /dev/net/tun; then
		if ! in_container sh -c 'mkdir -p /dev/net && mknod -m 0666 /dev/net/tun c 10 200'; then
			_container_err "container_boot: cannot create /dev/net/tun in the container"
			container_shutdown
			return 1
		fi
	elif in_container mountpoint -q /dev/net/tun; then
		_container_err "container_boot: /dev/net/tun in the container is a bind mount of the host's; not changing its mode"
	elif ! in_container chmod 0666 /dev/net/tun; then
		_container_err "container_boot: chmod 0666 /dev/net/tun in the container failed"
		container_shutdown
		return 1
	fi
	tun_mode=$(in_container stat -c %a /dev/net/tun 2>/dev/null) || tun_mode=
	if [[ $tun_mode != 666 ]] && ! in_container mountpoint -q /dev/net/tun; then
		_container_err "container_boot: /dev/net/tun in the container has mode '$tun_mode', not 666"
		container_shutdown
		return 1
	fi

	now=$(_container_now_ms) || return 1
	export CONTAINER_BOOT_MS=$((now - start))
	return 0
}

# container_kill
#
# SIGKILLs the container's PID 1 (which takes every process of its PID
# namespace with it) and systemd-nspawn, and waits up to 10 s for both to
# be gone.  Does not unmount anything; container_shutdown does.
container_kill() {
	local i leader
	if [[ -z ${CONTAINER_LEADER:-} ]] && _container_nspawn_alive; then
		if leader=$(_container_find_leader "$CONTAINER_NSPAWN_PID"); then
			CONTAINER_LEADER=$leader
			_CONTAINER_LEADER_START=$(_container_starttime "$leader") || _CONTAINER_LEADER_START=
		fi
	fi
	if _container_leader_alive; then
		kill -KILL "$CONTAINER_LEADER" 2>/dev/null || true
	fi
	if _container_nspawn_alive; then
		kill -KILL "$CONTAINER_NSPAWN_PID" 2>/dev/null || true
	fi
	for ((i = 0; i < 100; i++)); do
		_container_reap
		if ! _container_leader_alive && ! _container_nspawn_alive; then
			return 0
		fi
		sleep 0.1
	done
	_container_err "container_kill: processes survive SIGKILL (leader ${CONTAINER_LEADER:-?}, nspawn ${CONTAINER_NSPAWN_PID:-?})"
	return 1
}

# _container_umount DIR: unmount DIR if it is a mount point; lazily if it
# stays busy.
_container_umount() {
	local dir=$1 i
	for ((i = 0; i < 20; i++)); do
		mountpoint -q -- "$dir" 2>/dev/null || return 0
		umount -- "$dir" 2>/dev/null && continue
		sleep 0.1
	done
	mountpoint -q -- "$dir" 2>/dev/null || return 0
	_container_err "container_shutdown: $dir stays busy; detaching it lazily"
	umount --lazy -- "$dir" || return 1
	return 0
}

# container_shutdown
#
# Powers the container off (SIGRTMIN+4 to its systemd, as machinectl
# poweroff does), waits up to CONTAINER_SHUTDOWN_TIMEOUT seconds for nspawn
# to exit, else container_kill.  Then unmounts the overlay and the tmpfs,
# removes the directory and unsets the variables.  Safe to call at any time,
# any number of times, including after a half-failed container_boot.
container_shutdown() {
	local rc=0 timeout_ms start now last

	if ! timeout_ms=$(_container_secs_to_ms "${CONTAINER_SHUTDOWN_TIMEOUT:-30}"); then
		timeout_ms=30000
	fi
	if _container_nspawn_alive || _container_leader_alive; then
		start=$(_container_now_ms) || start=0
		last=-100000
		while _container_nspawn_alive || _container_leader_alive; do
			_container_reap
			now=$(_container_now_ms) || now=$((start + timeout_ms))
			# Ask (again every 2 s: a PID 1 that has not installed its
			# signal handlers yet, early in boot, drops the signal).
			if ((now - last >= 2000)); then
				last=$now
				if _container_leader_alive; then
					kill -s SIGRTMIN+4 "$CONTAINER_LEADER" 2>/dev/null || true
				elif _container_nspawn_alive; then
					# nspawn asks the container to power off on SIGTERM.
					kill -TERM "$CONTAINER_NSPAWN_PID" 2>/dev/null || true
				fi
			fi
			if ((now - start >= timeout_ms)); then
				_container_err "container_shutdown: the container did not power off within ${CONTAINER_SHUTDOWN_TIMEOUT:-30}s; killing it"
				_container_show_log 20
				container_kill || rc=1
				break
			fi
			sleep 0.1
		done
		_container_reap
		if [[ -n ${start:-} && $start != 0 ]]; then
			now=$(_container_now_ms) || now=$start
			export CONTAINER_SHUTDOWN_MS=$((now - start))
		fi
	fi

	if [[ -n ${CONTAINER_DIR:-} ]]; then
		if [[ -d $CONTAINER_DIR ]]; then
			_container_umount "$CONTAINER_DIR/root" || rc=1
			_container_umount "$CONTAINER_DIR" || rc=1
			if mountpoint -q -- "$CONTAINER_DIR" 2>/dev/null; then
				_container_err "container_shutdown: $CONTAINER_DIR is still mounted"
				rc=1
			else
				# Only empty directories are left on the real disk (the
				# tmpfs never got mounted or is gone): rmdir, never rm -r.
				rmdir -- "$CONTAINER_DIR/root" "$CONTAINER_DIR/upper" "$CONTAINER_DIR/work" 2>/dev/null || true
				if ! rmdir -- "$CONTAINER_DIR"; then
					_container_err "container_shutdown: cannot remove $CONTAINER_DIR"
					rc=1
				fi
			fi
		fi
	fi
	# nspawn leaves its (empty) propagation directory behind when /run is
	# not a tmpfs.
	if [[ -n ${CONTAINER_MACHINE:-} ]]; then
		rmdir -- "/run/systemd/nspawn/propagate/$CONTAINER_MACHINE" 2>/dev/null || true
	fi

	if ((rc == 0)); then
		unset CONTAINER_DIR CONTAINER_ROOT CONTAINER_LOG CONTAINER_NSPAWN_PID \
			CONTAINER_LEADER CONTAINER_MACHINE _CONTAINER_NSPAWN_START _CONTAINER_LEADER_START
	fi
	return "$rc"
}
