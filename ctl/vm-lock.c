/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "log.h"
#include "paths.h"
#include "systemd-bus.h"
#include "vm-lock.h"
#include "vm-units.h"

static bool is_stopped(const UnitState *s) {
        return streq_ptr(s->active_state, "inactive") || streq_ptr(s->active_state, "failed");
}

int vm_hold(const char *vm, VmHold *ret) {
        assert(vm && ret);
        _cleanup_free_ char *path = vm_lock_path(vm), *unit = vm_unit_name(vm);
        _cleanup_bus_ sd_bus *bus = NULL;
        _cleanup_close_ int fd = -1;
        UnitState s = {};
        int r;

        /* tmpfiles.d makes it at boot; a start finding none knows no lock is held. */
        if (mkdir(QEMU_VM_LOCK_DIR, 0700) < 0 && errno != EEXIST)
                return log_error_errno(-errno, "Cannot create %s: %m", QEMU_VM_LOCK_DIR);
        fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
        if (fd < 0)
                return log_error_errno(-errno, "Cannot open %s: %m", path);
        /* A start holds it for an instant; another qemu-vmctl for as long as its work takes. */
        if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
                log_info("Waiting for %s (another qemu-vmctl works on VM %s)...", path, vm);
                if (flock(fd, LOCK_EX) < 0)
                        return log_error_errno(-errno, "Cannot lock %s: %m", path);
        }
        r = bus_open_system(&bus);
        if (r < 0)
                return r;
        r = unit_state_get(bus, unit, &s);
        if (r < 0)
                return log_error_errno(r, "Cannot read the state of %s: %m", unit);
        if (is_stopped(&s))
                *ret = VM_HOLD_STOPPED;
        else if (streq_ptr(s.active_state, "active") && s.main_pid > 0)
                *ret = VM_HOLD_RUNNING;
        else {
                log_error("VM %s is %s (%s): try again once it has started or stopped.", vm,
                          strempty(s.active_state), strempty(s.sub_state));
                r = -EBUSY;
        }
        unit_state_clear(&s);
        /* The TPM emulator stops after QEMU: until it has, its state may still change. */
        if (r >= 0 && *ret == VM_HOLD_STOPPED) {
                _cleanup_free_ char *tpm = vm_unit_name_of(VM_UNIT_TPM, vm);
                if (unit_state_get(bus, tpm, &s) >= 0 && !is_stopped(&s)) {
                        log_error("VM %s is stopped, its TPM emulator %s not yet (%s): try again in a moment.", vm, tpm,
                                  strempty(s.active_state));
                        r = -EBUSY;
                }
                unit_state_clear(&s);
        }
        return r < 0 ? r : TAKE_FD(fd);
}
