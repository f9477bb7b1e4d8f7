/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sys/wait.h>

#include "config-schema.h"
#include "log.h"
#include "meson-config.h"
#include "parse-value.h"
#include "qemu-img.h"
#include "strv.h"
#include "util.h"

int qemu_img_create(const DiskRequest *d, const char *target, const RunAs *as, char **ret_error) {
        Strv argv = {};
        int pipefd[2];
        int r;

        strv_push(&argv, QEMU_VM_QEMU_IMG);
        strv_push(&argv, "create");
        strv_push(&argv, "-q");
        strv_push(&argv, "-f");
        strv_push(&argv, d->format);
        if (d->backing) {
                strv_push(&argv, "-b");
                strv_push(&argv, d->backing);
                strv_push(&argv, "-F");
                strv_push(&argv, d->backing_format ?: config_key_default(SECTION_DISK, "backing_format"));
        }
        strv_push(&argv, target);
        if (d->size)
                strv_push(&argv, d->size);

        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return -errno;
        pid_t pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                /* Root creates the file; the image in it is made with the VM user's rights alone, so
                 * a backing file that user cannot read is refused as it would be in QEMU. */
                if (as && (setgroups(0, NULL) < 0 || setresgid(as->gid, as->gid, as->gid) < 0 ||
                           setresuid(as->uid, as->uid, as->uid) < 0)) {
                        fprintf(stderr, "cannot become uid %u: %m\n", (unsigned) as->uid);
                        _exit(127);
                }
                dup2(pipefd[1], STDERR_FILENO);
                dup2(pipefd[1], STDOUT_FILENO);
                execv(argv.items[0], argv.items);
                fprintf(stderr, "cannot run %s: %m\n", argv.items[0]);
                _exit(127);
        }
        close(pipefd[1]);
        strv_clear(&argv);

        char output[4096];
        size_t len = 0;
        ssize_t n;
        while ((n = read(pipefd[0], output + len, sizeof output - 1 - len)) > 0)
                len += (size_t) n;
        close(pipefd[0]);
        output[len] = 0;

        int status;
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return -errno;
        r = WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
        if (r < 0) {
                while (len > 0 && output[len - 1] == '\n')
                        output[--len] = 0;
                char *last = strrchr(output, '\n');
                *ret_error = xstrdup(last ? last + 1 : (len ? output : "qemu-img failed"));
        }
        return r;
}

int disk_request_option(int option, const char *value, DiskRequest *disks, size_t *n_disks) {
        static const char *const names[] = { "disk", "format", "size", "backing", "backing-format" };
        DiskRequest *last = *n_disks > 0 ? &disks[*n_disks - 1] : NULL;
        uint64_t size;

        if (option == DISK_OPTION_DISK) {
                disks[(*n_disks)++].path = value;
                return 0;
        }
        if (!last) {
                log_error("--%s must follow --disk.", names[option - DISK_OPTION_DISK]);
                return -EINVAL;
        }
        switch (option) {
        case DISK_OPTION_FORMAT: last->format = value; break;
        case DISK_OPTION_SIZE:
                if (parse_uint_range(value, 1, UINT64_MAX, &size) < 0) {
                        log_error("Invalid --size '%s'.", value);
                        return -EINVAL;
                }
                last->size = value;
                break;
        case DISK_OPTION_BACKING: last->backing = value; break;
        default: last->backing_format = value; break;
        }
        return 0;
}
