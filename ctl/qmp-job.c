/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>

#include "escape.h"
#include "qmp-job.h"
#include "util.h"

/* The job a JOB_STATUS_CHANGE event says concluded, or NULL. */
static const char *concluded_job(json_object *event) {
        json_object *name, *data, *id, *status;
        if (json_object_object_get_ex(event, "event", &name) && streq_ptr(qmp_string(name), "JOB_STATUS_CHANGE") &&
            json_object_object_get_ex(event, "data", &data) && json_object_object_get_ex(data, "id", &id) &&
            json_object_object_get_ex(data, "status", &status) && streq_ptr(qmp_string(status), "concluded"))
                return qmp_string(id);
        return NULL;
}

/* Reads QEMU's jobs: marks the IDS that have concluded, or that QEMU no longer has (a job whose
 * transaction never ran, dismissed by another), and takes the first error among them. */
static int query_jobs(QmpClient *q, const Strv *ids, bool *done, size_t *n_done, char **ret_error) {
        json_object *jobs = NULL;
        char *error = NULL;
        int r = qmp_command(q, "query-jobs", NULL, 5000, &jobs, &error);
        if (r < 0) {
                *ret_error = qmp_failure_text(r, error);
                return r;
        }
        for (size_t i = 0; i < ids->n; i++) {
                json_object *job = NULL, *v;
                for (size_t k = 0; !job && k < qmp_array_length(jobs); k++)
                        if (json_object_object_get_ex(json_object_array_get_idx(jobs, k), "id", &v) &&
                            streq_ptr(qmp_string(v), ids->items[i]))
                                job = json_object_array_get_idx(jobs, k);
                bool concluded = !job || (json_object_object_get_ex(job, "status", &v) &&
                                          streq_ptr(qmp_string(v), "concluded"));
                if (concluded && !done[i]) {
                        done[i] = true;
                        (*n_done)++;
                }
                if (!concluded || r < 0)
                        continue;
                if (!job) {
                        *ret_error = xasprintf("QEMU has no job %s", ids->items[i]);
                        r = -ENOENT;
                } else if (json_object_object_get_ex(job, "error", &v) && qmp_string(v)) {
                        *ret_error = string_printable(qmp_string(v));
                        r = -EIO;
                }
        }
        json_object_put(jobs);
        return r;
}

int qmp_jobs_wait(QmpClient *q, const Strv *ids, int timeout_ms, char **ret_error) {
        long long deadline = qmp_now_ms() + timeout_ms;
        _cleanup_free_ bool *done = xcalloc(ids->n + 1, sizeof(bool));
        size_t n_done = 0;
        int r;

        while (n_done < ids->n) {
                json_object *event = NULL;
                long long left = deadline - qmp_now_ms();
                if (left <= 0) {
                        *ret_error = xstrdup("the job did not end in time");
                        return -ETIMEDOUT;
                }
                r = qmp_next_event(q, left > 60000 ? 60000 : (int) left, &event);
                if (r == -ETIMEDOUT) {
                        /* An event may have been dropped (the queue is bounded): ask. */
                        _cleanup_free_ char *ignored = NULL;
                        r = query_jobs(q, ids, done, &n_done, &ignored);
                        if (r == -ECONNRESET) {
                                *ret_error = qmp_failure_text(r, NULL);
                                return r;
                        }
                        continue;
                }
                if (r < 0) {
                        *ret_error = qmp_failure_text(r, NULL);
                        return r;
                }
                const char *id = concluded_job(event);
                for (size_t i = 0; id && i < ids->n; i++)
                        if (!done[i] && streq(id, ids->items[i])) {
                                done[i] = true;
                                n_done++;
                        }
                json_object_put(event);
        }
        memset(done, 0, ids->n * sizeof(bool));
        n_done = 0;
        return query_jobs(q, ids, done, &n_done, ret_error);
}

void qmp_jobs_dismiss(QmpClient *q, const Strv *ids) {
        for (size_t i = 0; i < ids->n; i++) {
                json_object *args = json_object_new_object();
                json_object_object_add(args, "id", json_object_new_string(ids->items[i]));
                _cleanup_free_ char *error = NULL;
                (void) qmp_command(q, "job-dismiss", args, 5000, NULL, &error);
        }
}
