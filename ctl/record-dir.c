/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <sys/stat.h>

#include "atomic-file.h"
#include "log.h"
#include "record-dir.h"
#include "util.h"

/* qemu-vmctl's own manifests are a few kilobytes. */
#define MANIFEST_MAX (1024 * 1024)

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        (void) st, (void) flag, (void) ftw;
        return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

int record_tree_remove(const char *path) {
        if (nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS) < 0 && errno != ENOENT)
                return -errno;
        return 0;
}

int record_draft_begin(const char *parent, const char *name, RecordDraft *ret) {
        assert(parent && name && ret);
        struct stat st;
        int r;

        *ret = (RecordDraft) {
                .dir = strjoin(parent, "/.", name, ".partial"),
                .final_dir = strjoin(parent, "/", name),
        };
        if (lstat(ret->final_dir, &st) == 0)
                return -EEXIST;
        /* Left by a draft that was cut short (killed, the host lost power): never a record. */
        if ((r = record_tree_remove(ret->dir)) < 0)
                return log_error_errno(r, "Cannot remove %s: %m", ret->dir);
        if (mkdir(ret->dir, 0700) < 0)
                return log_error_errno(-errno, "Cannot create %s: %m", ret->dir);
        return 0;
}

int record_draft_commit(RecordDraft *d, json_object *manifest, const char *what) {
        assert(d && d->dir && manifest);
        _cleanup_free_ char *path = strjoin(d->dir, "/", RECORD_MANIFEST_FILE);
        const char *text = json_object_to_json_string_ext(manifest, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                                            JSON_C_TO_STRING_NOSLASHESCAPE);
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        int r = fd < 0 ? -errno : fd_write_all(fd, text, strlen(text));
        if (r >= 0)
                r = fd_write_all(fd, "\n", 1);
        if (r >= 0 && fsync(fd) < 0)
                r = -errno;
        if (r >= 0)
                r = fsync_dir_of(path);
        if (r >= 0 && renameat2(AT_FDCWD, d->dir, AT_FDCWD, d->final_dir, RENAME_NOREPLACE) < 0)
                r = -errno;
        if (r < 0)
                return log_error_errno(r, "Cannot record %s in %s: %m", what, d->final_dir);
        sync_dir_after_commit(d->final_dir);
        free(d->dir);
        d->dir = NULL;
        return 0;
}

void record_draft_done(RecordDraft *d) {
        if (d->dir && record_tree_remove(d->dir) < 0)
                log_warning("Cannot remove %s: %m", d->dir);
        free(d->dir);
        free(d->final_dir);
        *d = (RecordDraft) {};
}

int record_manifest_read(const char *dir, json_object **ret) {
        _cleanup_free_ char *path = strjoin(dir, "/", RECORD_MANIFEST_FILE), *text = NULL;
        int r = read_text_file(path, MANIFEST_MAX, &text);
        if (r < 0)
                return r;
        *ret = json_tokener_parse(text);
        return *ret ? 0 : -EBADMSG;
}
