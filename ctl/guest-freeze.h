/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The guest's file systems frozen by its agent ([agent]) around an instant qemu-vmctl copies the disks
 * at (a disk-only snapshot, a backup's start), so that they hold what the guest wrote, consistently. A
 * guest with no agent that answers is not frozen: what is copied then is crash-consistent. */

#include <signal.h>
#include <stdbool.h>

#include "config.h"
#include "qmp.h"

typedef struct GuestFreeze {
        QmpClient agent;
        bool sent;              /* the freeze was asked for: thaw, even if it seemed to fail */
        bool frozen;            /* the agent said it froze them */
        bool timed_out;         /* it did not answer in time: it may freeze them late */
        sigset_t saved_signals; /* terminating signals wait from the freeze to the thaw */
        long long frozen_at;    /* qmp_now_ms() */
        long long frozen_ms;    /* once thawed */
} GuestFreeze;

#define GUEST_FREEZE_INIT { .agent = QMP_CLIENT_INIT }

/* Asks the agent, if the VM has one, to freeze the file systems; WHAT names the copy in the warning a
 * failed freeze gives ("the snapshot"). */
void guest_freeze(const VmConfig *c, GuestFreeze *f, const char *what);

/* Thaws what guest_freeze() froze (or asked to), then lets terminating signals through again. Returns 0,
 * or -EIO having said how to thaw by hand. */
int guest_thaw(const VmConfig *c, GuestFreeze *f);

/* What the disks copied hold, in words, after the thaw. */
const char *guest_freeze_consistency(const GuestFreeze *f);
