/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* QEMU's jobs (snapshot-save, blockdev-backup, ...) that qemu-vmctl starts with auto-dismiss off: waited
 * for by their events, their errors read, then dismissed. */

#include "qmp.h"
#include "strv.h"

/* Waits until every job of IDS has concluded (JOB_STATUS_CHANGE), within timeout_ms, then reads their
 * errors. QEMU answers no command while snapshot-save writes the memory, so events are waited for
 * rather than jobs polled. Returns 0, or -EIO with the first job's error in *ret_error (printable),
 * -ETIMEDOUT, or another negative errno. */
int qmp_jobs_wait(QmpClient *q, const Strv *ids, int timeout_ms, char **ret_error);

/* Dismisses the concluded jobs of IDS; failures are ignored (QEMU gone, the job never made). */
void qmp_jobs_dismiss(QmpClient *q, const Strv *ids);
