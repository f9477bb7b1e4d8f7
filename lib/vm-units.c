/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>

#include "names.h"
#include "vm-units.h"

/* Each template's name up to its '@', and its type. */
static const struct {
        const char *template;
        const char *type;
} unit_templates[_VM_UNIT_KIND_MAX] = {
        [VM_UNIT_ACCOUNT] = { "qemu-vm-account", "service" },
        [VM_UNIT_TPM_SOCKET] = { "swtpm", "socket" },
        [VM_UNIT_TPM] = { "swtpm", "service" },
        [VM_UNIT_TAP] = { "qemu-vm-tap", "service" },
        [VM_UNIT_SERIAL_LOG] = { "qemu-vm-serial-log", "service" },
        [VM_UNIT_CONSOLE_SOCKET] = { "novnc", "socket" },
        [VM_UNIT_CONSOLE] = { "novnc", "service" },
        [VM_UNIT_MACHINE] = { "qemu-vm-machine", "service" },
        [VM_UNIT_VM] = { "qemu-vm", "service" },
};

char *vm_unit_name_of(VmUnitKind kind, const char *instance) {
        assert(kind >= 0 && kind < _VM_UNIT_KIND_MAX);
        assert(instance);
        return strjoin(unit_templates[kind].template, "@", instance, ".", unit_templates[kind].type);
}

char *vm_unit_name(const char *vm) {
        return vm_unit_name_of(VM_UNIT_VM, vm);
}

bool vm_registers_with_machined(const char *vm) {
        return hostname_is_valid(vm);
}

static void add(VmUnits *u, VmUnitKind kind, const char *instance, const NetConfig *net) {
        u->items = xrealloc(u->items, (u->n + 1) * sizeof(VmUnit));
        u->items[u->n++] = (VmUnit) {
                .kind = kind, .name = vm_unit_name_of(kind, instance), .net = net,
                /* units/qemu-vm-serial-log@.service: RefuseManualStop=, it ends with QEMU. */
                .stops_with_vm_only = kind == VM_UNIT_SERIAL_LOG,
        };
}

void vm_units_list(const VmConfig *c, VmUnits *ret) {
        *ret = (VmUnits) {};
        add(ret, VM_UNIT_ACCOUNT, c->name, NULL);
        if (c->tpm.enabled) {
                add(ret, VM_UNIT_TPM_SOCKET, c->name, NULL);
                add(ret, VM_UNIT_TPM, c->name, NULL);
        }
        for (size_t i = 0; i < c->n_nets; i++)
                if (c->nets[i].ifname)
                        add(ret, VM_UNIT_TAP, c->nets[i].ifname, &c->nets[i]);
        if (vm_has_serial_log(c))
                add(ret, VM_UNIT_SERIAL_LOG, c->name, NULL);
        if (c->vnc.enabled) {
                add(ret, VM_UNIT_CONSOLE_SOCKET, c->name, NULL);
                add(ret, VM_UNIT_CONSOLE, c->name, NULL);
        }
        if (vm_registers_with_machined(c->name))
                add(ret, VM_UNIT_MACHINE, c->name, NULL);
        add(ret, VM_UNIT_VM, c->name, NULL);
}

void vm_units_clear(VmUnits *u) {
        for (size_t i = 0; i < u->n; i++)
                free(u->items[i].name);
        free(u->items);
        *u = (VmUnits) {};
}
