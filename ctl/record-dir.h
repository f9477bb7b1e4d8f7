/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A record of root's, whole or not at all: a directory (a snapshot's, a backup's) made as .NAME.partial
 * beside where it belongs and renamed to NAME only after its manifest.json is written and synced. A
 * record cut short (a full disk, a killed process, a lost host) is never taken for one, and the next
 * draft of that name clears it. Nothing in these trees is another user's. */

#include <json-c/json.h>

#define RECORD_MANIFEST_FILE "manifest.json"

typedef struct RecordDraft {
        char *dir;              /* PARENT/.NAME.partial; NULL once committed */
        char *final_dir;        /* PARENT/NAME */
} RecordDraft;

/* Starts record NAME in PARENT (which exists): -EEXIST when it exists. Logs other failures. */
int record_draft_begin(const char *parent, const char *name, RecordDraft *ret);

/* Writes the manifest into the draft and renames it into place. WHAT names the record in errors ("the
 * snapshot"). Logs failures; the draft is then still there to abort. */
int record_draft_commit(RecordDraft *d, json_object *manifest, const char *what);

/* Removes what the draft holds (nothing after a commit) and frees it. */
void record_draft_done(RecordDraft *d);

/* The manifest of the record in DIR, parsed, for the caller to check: -ENOENT when there is none, -EBADMSG
 * when it is no JSON. */
int record_manifest_read(const char *dir, json_object **ret);

/* Removes the tree at PATH, root's own, without following links. Absent is fine. */
int record_tree_remove(const char *path);
