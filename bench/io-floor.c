/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The I/O floor for bench/generator.sh: the least any generator must do for the same input and
 * output. Reads every file in INPUT_DIR, then creates the tree MANIFEST describes (a generator run's
 * output: one "TYPE SIZE PATH [TARGET]" line per entry, TYPE d, f or l) in OUTPUT_DIR with plain
 * mkdir, open, write and symlink: the same files with the same number of bytes. */

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char *argv[]) {
        static char buf[1 << 16], zeros[1 << 16];
        char path[8192], line[8192];

        if (argc != 4) {
                fprintf(stderr, "Usage: io-floor INPUT_DIR MANIFEST OUTPUT_DIR\n");
                return 2;
        }

        DIR *d = opendir(argv[1]);
        if (!d) {
                perror(argv[1]);
                return 1;
        }
        for (struct dirent *de; (de = readdir(d));) {
                if (de->d_name[0] == '.')
                        continue;
                snprintf(path, sizeof path, "%s/%s", argv[1], de->d_name);
                int fd = open(path, O_RDONLY | O_CLOEXEC);
                while (fd >= 0 && read(fd, buf, sizeof buf) > 0)
                        ;
                close(fd);
        }
        closedir(d);

        FILE *manifest = fopen(argv[2], "re");
        if (!manifest) {
                perror(argv[2]);
                return 1;
        }
        while (fgets(line, sizeof line, manifest)) {
                char type, rel[4096], target[4096] = "";
                long size;
                line[strcspn(line, "\n")] = 0;
                if (sscanf(line, "%c %ld %4095s %4095s", &type, &size, rel, target) < 3)
                        continue;
                snprintf(path, sizeof path, "%s/%s", argv[3], rel);
                if (type == 'd')
                        mkdir(path, 0755);
                else if (type == 'l')
                        symlink(target, path);
                else {
                        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
                        for (long left = size; fd >= 0 && left > 0;) {
                                ssize_t k = write(fd, zeros,
                                                  (size_t) (left < (long) sizeof zeros ? left : (long) sizeof zeros));
                                if (k <= 0)
                                        break;
                                left -= k;
                        }
                        close(fd);
                }
        }
        fclose(manifest);
        return 0;
}
