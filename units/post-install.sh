#!/bin/sh
# Run by `meson install`: applies the sysusers.d and tmpfiles.d snippets and puts the site defaults
# file in place (never over an existing one). Skipped for staged installs (DESTDIR), where the package
# manager does these steps.
set -eu
[ -z "${DESTDIR:-}" ] || exit 0

sysusers="$1" tmpfiles="$2" defaults_src="$3" confdir="$4"

systemd-sysusers "$sysusers/qemu-vm.conf"
systemd-tmpfiles --create "$tmpfiles/qemu-vm.conf"
if [ ! -e "$confdir/qemu-vm.conf" ]; then
        install -m 0644 "$defaults_src" "$confdir/qemu-vm.conf"
fi
if [ -d /run/systemd/system ]; then
        systemctl daemon-reload
fi
