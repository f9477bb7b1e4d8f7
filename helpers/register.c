/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-vm-register: ExecStart= of qemu-vm-machine@.service. Registers a running VM with
 * systemd-machined: its name, its UUID, class vm, and QEMU (qemu-vm@NAME's main process, as systemd
 * reports it) as the leader. It runs in a unit of its own, after the VM's start has completed, so
 * that `systemctl start qemu-vm@NAME` does not wait for it (BENCHMARKS.md: about 70 ms as an
 * ExecStartPost=). It reads nothing QEMU wrote. */

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <uuid/uuid.h>

#include "log.h"
#include "names.h"
#include "systemd-bus.h"
#include "util.h"
#include "vm-units.h"

#define CALL_TIMEOUT_USEC (5 * 1000 * 1000)

static int register_machine(sd_bus *bus, const char *name, const uuid_t id, uint32_t leader) {
        _cleanup_bus_message_ sd_bus_message *m = NULL;
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        int r = sd_bus_message_new_method_call(bus, &m, "org.freedesktop.machine1", "/org/freedesktop/machine1",
                                               "org.freedesktop.machine1.Manager", "RegisterMachine");

        /* name, id, service, class, leader, root directory (none) */
        if (r >= 0)
                r = sd_bus_message_append(m, "s", name);
        if (r >= 0)
                r = sd_bus_message_append_array(m, 'y', id, sizeof(uuid_t));
        if (r >= 0)
                r = sd_bus_message_append(m, "ssus", "qemu-vm", "vm", leader, "");
        if (r >= 0)
                r = sd_bus_call(bus, m, CALL_TIMEOUT_USEC, &error, NULL);
        if (r < 0)
                log_error("systemd-machined did not register VM %s: %s", name,
                          error.message ? error.message : strerror(-r));
        return r;
}

int main(int argc, char *argv[]) {
        _cleanup_bus_ sd_bus *bus = NULL;
        uint32_t leader = 0;
        uuid_t id;
        int r;

        log_setup("qemu-vm-register", false);
        if (argc != 3 || !vm_name_is_valid(argv[1]) || uuid_parse(argv[2], id) < 0) {
                fprintf(stderr, "Usage: qemu-vm-register NAME UUID\n\n"
                                "Registers the running VM NAME (qemu-vm@NAME.service) with systemd-machined.\n");
                return 2;
        }
        _cleanup_free_ char *unit = vm_unit_name(argv[1]);

        r = sd_bus_open_system(&bus);
        if (r < 0) {
                log_error_errno(r, "Cannot connect to the system bus: %m");
                return 1;
        }
        r = unit_main_pid(bus, unit, &leader);
        if (r >= 0 && leader == 0)
                log_info("%s is not running; nothing to register.", unit);
        else if (r >= 0)
                r = register_machine(bus, argv[1], id, leader);
        return r < 0 ? 1 : 0;
}
