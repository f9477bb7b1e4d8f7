/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <signal.h>

#include "guest-freeze.h"
#include "log.h"
#include "util.h"
#include "vm-agent.h"

/* Freezing waits for every file system's writes to reach the disk. */
#define FSFREEZE_TIMEOUT_MS 60000

void guest_freeze(const VmConfig *c, GuestFreeze *f, const char *what) {
        if (!c->agent.enabled || vm_agent_connect(c->name, GUEST_AGENT_TIMEOUT_MS, &f->agent) < 0)
                return;
        char *error = NULL;
        sigset_t terminating;
        /* Until the thaw: qemu-vmctl killed meanwhile would leave the guest frozen. */
        sigemptyset(&terminating);
        sigaddset(&terminating, SIGINT);
        sigaddset(&terminating, SIGTERM);
        sigaddset(&terminating, SIGHUP);
        sigaddset(&terminating, SIGQUIT);
        sigprocmask(SIG_BLOCK, &terminating, &f->saved_signals);
        f->sent = true;
        int r = qmp_command(&f->agent, "guest-fsfreeze-freeze", NULL, FSFREEZE_TIMEOUT_MS, NULL, &error);
        f->frozen = r >= 0;
        f->timed_out = r == -ETIMEDOUT;
        f->frozen_at = qmp_now_ms();
        if (!f->frozen) {
                _cleanup_free_ char *why = qmp_failure_text(r, error);
                log_warning("VM %s: the guest agent did not freeze the file systems (%s): %s is crash-consistent.",
                            c->name, why, what);
        }
}

int guest_thaw(const VmConfig *c, GuestFreeze *f) {
        int r = 0;
        /* Also after a freeze that timed out: the agent may carry it out late. */
        if (f->sent) {
                char *error = NULL;
                int k = qmp_command(&f->agent, "guest-fsfreeze-thaw", NULL, FSFREEZE_TIMEOUT_MS, NULL, &error);
                _cleanup_free_ char *why = k < 0 ? qmp_failure_text(k, error) : NULL;
                /* Also after a freeze that timed out: it may have been carried out late. */
                if (k < 0 && (f->frozen || f->timed_out)) {
                        log_error("VM %s: the guest agent did not thaw the file systems: %s. Run 'qemu-vmctl agent %s "
                                  "fsthaw'.", c->name, why, c->name);
                        r = -EIO;
                }
        }
        if (f->frozen)
                f->frozen_ms = qmp_now_ms() - f->frozen_at;
        if (f->sent)
                sigprocmask(SIG_SETMASK, &f->saved_signals, NULL);
        qmp_close(&f->agent);
        return r;
}

const char *guest_freeze_consistency(const GuestFreeze *f) {
        return f->frozen ? "disks of the running VM, its file systems frozen by the guest agent"
                         : "disks of the running VM, crash-consistent (no guest agent froze its file systems)";
}
