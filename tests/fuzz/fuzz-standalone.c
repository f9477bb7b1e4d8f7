/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A main() for a fuzz target when no fuzzer links one in: runs the target once over each file named
 * on the command line, or in a directory named there, so the fast suite (under any compiler,
 * sanitizers or valgrind) replays the seed corpus and every input a fuzzer ever found. Speaks TAP. */

#include <dirent.h>
#include <stdint.h>

#include "strv.h"
#include "util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int regular_files_only(const struct dirent *d) {
        return d->d_type == DT_REG;
}

/* ARGV's files, with each directory replaced by its regular files in name order. */
static void collect_inputs(int argc, char *argv[], Strv *inputs) {
        for (int i = 1; i < argc; i++) {
                struct dirent **entries;
                int n = scandir(argv[i], &entries, regular_files_only, alphasort);
                if (n < 0) {
                        strv_push(inputs, argv[i]);
                        continue;
                }
                for (int k = 0; k < n; k++) {
                        _cleanup_free_ char *path = xasprintf("%s/%s", argv[i], entries[k]->d_name);
                        strv_push(inputs, path);
                        free(entries[k]);
                }
                free(entries);
        }
}

int main(int argc, char *argv[]) {
        Strv inputs = {};
        int failed = 0;

        LLVMFuzzerInitialize(&argc, &argv);
        collect_inputs(argc, argv, &inputs);
        printf("1..%zu\n", inputs.n);
        for (size_t i = 0; i < inputs.n; i++) {
                const char *input = inputs.items[i];
                FILE *f = fopen(input, "re");
                _cleanup_free_ char *data = NULL;
                size_t size = 0;

                if (!f) {
                        printf("not ok %zu - %s: %m\n", i + 1, input);
                        failed = 1;
                        continue;
                }
                /* NUL bytes separate the target's files, so read the bytes, not a string. */
                data = xmalloc(1024 * 1024);
                size = fread(data, 1, 1024 * 1024, f);
                fclose(f);
                LLVMFuzzerTestOneInput((const uint8_t *) data, size);
                printf("ok %zu - %s\n", i + 1, input);
        }
        strv_clear(&inputs);
        return failed;
}
