/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The systemd units of one VM: its own, qemu-vm@NAME.service, and the companions the generator gives
 * it (a user, a TPM, taps, the serial log, the browser console, the machined registration). The
 * generator writes a drop-in for each, the VM's drop-in orders itself after them, and
 * `qemu-vmctl destroy` stops them: all from this one list. */

#include "config.h"

typedef enum VmUnitKind {
        VM_UNIT_ACCOUNT,        /* qemu-vm-account@NAME.service: the VM's user */
        VM_UNIT_TPM_SOCKET,     /* swtpm@NAME.socket, [tpm] */
        VM_UNIT_TPM,            /* swtpm@NAME.service */
        VM_UNIT_TAP,            /* qemu-vm-tap@IFNAME.service, one per bridged NIC */
        VM_UNIT_SERIAL_LOG,     /* qemu-vm-serial-log@NAME.service, [serial] log */
        VM_UNIT_CONSOLE_SOCKET, /* novnc@NAME.socket, [vnc] */
        VM_UNIT_CONSOLE,        /* novnc@NAME.service */
        VM_UNIT_MACHINE,        /* qemu-vm-machine@NAME.service, when machined takes the name */
        VM_UNIT_VM,             /* qemu-vm@NAME.service */
        _VM_UNIT_KIND_MAX
} VmUnitKind;

typedef struct VmUnit {
        VmUnitKind kind;
        char *name;
        const NetConfig *net;   /* VM_UNIT_TAP: its NIC */
        bool stops_with_vm_only;        /* refuses a stop job of its own */
} VmUnit;

typedef struct VmUnits {
        VmUnit *items;
        size_t n;
} VmUnits;

/* "qemu-vm@NAME.service" */
char *vm_unit_name(const char *vm);
/* The unit of that kind for a VM (for VM_UNIT_TAP: for a tap device) of that name. */
char *vm_unit_name_of(VmUnitKind kind, const char *instance);

/* systemd-machined takes host names only: a VM of another name is not registered. */
bool vm_registers_with_machined(const char *vm);

/* Every unit of the VM, resolved (taps need their ifname): the companions in the order the generator
 * writes them, those the VM depends on first, and the VM's own last. */
void vm_units_list(const VmConfig *c, VmUnits *ret);
void vm_units_clear(VmUnits *u);
