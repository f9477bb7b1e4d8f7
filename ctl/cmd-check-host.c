/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-vmctl check-host: can this host run qemu-vm's VMs, and with what? One line per check, PASS,
 * WARN (works, with less) or FAIL (something VMs need is missing), like virt-host-validate. The exit
 * status comes from the worst line: 0 all PASS, 7 some WARN, 1 some FAIL. */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdarg.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include "config.h"
#include "ctl.h"
#include "firmware.h"
#include "kvm-probe.h"
#include "log.h"
#include "paths.h"

#define KVM_PROBE_TIMEOUT_MS 20000

typedef enum Verdict { PASS, WARN, FAIL } Verdict;
static const char *const verdict_names[] = { "PASS", "WARN", "FAIL" };

typedef struct Checks {
        const Ctl *ctl;
        json_object *json;
        Verdict worst;
} Checks;

static void report(Checks *c, Verdict v, const char *name, const char *fmt, ...) _printf_(4, 5);
static void report(Checks *c, Verdict v, const char *name, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        char *detail = xvasprintf(fmt, ap);
        va_end(ap);
        if (v > c->worst)
                c->worst = v;
        if (c->ctl->json) {
                json_object *o = json_object_new_object();
                json_object_object_add(o, "check", json_object_new_string(name));
                json_object_object_add(o, "result", json_object_new_string(verdict_names[v]));
                json_object_object_add(o, "detail", json_object_new_string(detail));
                json_object_array_add(c->json, o);
        } else
                printf("%s  %-26s %s\n", verdict_names[v], name, detail);
        fflush(stdout);
        free(detail);
}

/* The first line of FILE that starts with prefix, after it (caller frees), or NULL. */
static char *file_line(const char *path, const char *prefix) {
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        char *line = NULL;
        size_t n = 0;

        while (f && getline(&line, &n, f) > 0)
                if (startswith(line, prefix)) {
                        const char *start = line + strlen(prefix);
                        char *v = xstrdup(start + strspn(start, " \t"));
                        v[strcspn(v, "\n")] = 0;
                        free(line);
                        return v;
                }
        free(line);
        return NULL;
}

static bool cpu_has_flag(const char *flag) {
        _cleanup_free_ char *flags = file_line("/proc/cpuinfo", "flags");
        _cleanup_free_ char *padded = flags ? xasprintf("%s ", flags) : NULL, *needle = xasprintf(" %s ", flag);
        return padded && strstr(padded, needle);
}

static void check_virtualisation(Checks *c) {
        if (cpu_has_flag("vmx"))
                report(c, PASS, "hardware virtualisation", "Intel VT-x (vmx)");
        else if (cpu_has_flag("svm"))
                report(c, PASS, "hardware virtualisation", "AMD-V (svm)");
        else
                report(c, WARN, "hardware virtualisation", "none in /proc/cpuinfo: only accel = tcg (emulation, slow)");
}

static void check_kvm(Checks *c) {
        struct stat st;

        if (stat("/dev/kvm", &st) < 0 || !S_ISCHR(st.st_mode)) {
                report(c, WARN, "/dev/kvm", "missing: only accel = tcg (load kvm_intel or kvm_amd)");
                return;
        }
        int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
        if (fd < 0) {
                report(c, FAIL, "/dev/kvm", "cannot open: %m");
                return;
        }
        close(fd);
        report(c, PASS, "/dev/kvm", "present, mode %04o", st.st_mode & 07777);

        if (access(QEMU_VM_QEMU_BINARY, X_OK) < 0)
                return;         /* reported by the QEMU check */
        _cleanup_free_ char *code = NULL, *vars = NULL;
        (void) firmware_find(FIRMWARE_UEFI, "q35", &code, &vars);
        KvmProbe probe;
        kvm_probe_run(QEMU_VM_QEMU_BINARY, code, vars, KVM_PROBE_TIMEOUT_MS, &probe);
        if (probe.booted)
                report(c, PASS, "KVM boots a guest", "%s", probe.detail);
        else
                report(c, FAIL, "KVM boots a guest", "%s; set accel = tcg", probe.detail);
        free(probe.detail);
}

/* A character device the unprivileged QEMU must open itself: it runs as its VM's own user with the
 * supplementary group kvm (units/qemu-vm@.service), so others' or kvm's read-write access will do. */
static void check_device(Checks *c, const char *path, const char *needed_for, const char *hint) {
        struct group *kvm = getgrnam("kvm");
        struct stat st;

        if (stat(path, &st) < 0 || !S_ISCHR(st.st_mode))
                report(c, WARN, path, "missing: no %s (%s)", needed_for, hint);
        else if ((st.st_mode & 0006) != 0006 && !(kvm && st.st_gid == kvm->gr_gid && (st.st_mode & 0060) == 0060))
                report(c, WARN, path,
                       "mode %04o: QEMU, running as its VM's user with group kvm, cannot open it, so no %s "
                       "(make it 0666, or 0660 with group kvm)",
                       st.st_mode & 07777, needed_for);
        else
                report(c, PASS, path, "present, mode %04o", st.st_mode & 07777);
}

static unsigned count_entries(const char *dir) {
        DIR *d = opendir(dir);
        unsigned n = 0;
        for (struct dirent *de; d && (de = readdir(d));)
                n += de->d_name[0] != '.';
        if (d)
                closedir(d);
        return n;
}

static void check_iommu(Checks *c) {
        unsigned units = count_entries("/sys/class/iommu"), groups = count_entries("/sys/kernel/iommu_groups");
        if (units > 0)
                report(c, PASS, "IOMMU", "on: %u unit(s), %u group(s)", units, groups);
        else
                report(c, WARN, "IOMMU", "off: no PCI passthrough (boot with intel_iommu=on or amd_iommu=on)");
}

static void check_hugepages(Checks *c) {
        _cleanup_free_ char *total = file_line("/proc/meminfo", "HugePages_Total:"),
                            *size = file_line("/proc/meminfo", "Hugepagesize:");
        _cleanup_free_ char *thp = file_line("/sys/kernel/mm/transparent_hugepage/enabled", "");
        unsigned long reserved = total ? strtoul(total, NULL, 10) : 0;
        const char *mode = thp && strstr(thp, "[always]") ? "always" : thp && strstr(thp, "[madvise]") ? "madvise" :
                           thp && strstr(thp, "[never]") ? "never" : "unknown";

        /* QEMU asks for transparent huge pages for guest RAM (madvise); that is what qemu-vm relies on. */
        if (streq(mode, "always") || streq(mode, "madvise"))
                report(c, PASS, "hugepages", "transparent: %s; reserved: %lu of %s", mode, reserved, size ? size : "?");
        else
                report(c, WARN, "hugepages", "transparent: %s, so guest RAM uses 4 KiB pages; reserved: %lu", mode,
                       reserved);
}

static void check_cgroup(Checks *c) {
        struct statfs fs;

        if (statfs("/sys/fs/cgroup", &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC)
                report(c, PASS, "cgroup v2", "unified hierarchy");
        else if (statfs("/sys/fs/cgroup/unified", &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC)
                report(c, WARN, "cgroup v2",
                       "hybrid: resource controllers are on cgroup v1, unit limits may not apply");
        else
                report(c, WARN, "cgroup v2", "cgroup v1 only: unit resource limits may not apply");
}

/* A program (mode X_OK) or a data file (R_OK) qemu-vm runs or serves. */
static void check_program(Checks *c, const char *name, const char *path, int mode, Verdict missing,
                          const char *needed_for) {
        if (access(path, mode) == 0)
                report(c, PASS, name, "%s", path);
        else
                report(c, missing, name, "%s: %m; %s", path, needed_for);
}

static void check_ovmf(Checks *c) {
        _cleanup_free_ char *code = NULL, *vars = NULL;
        if (firmware_find(FIRMWARE_UEFI, "q35", &code, &vars) >= 0)
                report(c, PASS, "OVMF (UEFI firmware)", "%s", code);
        else
                report(c, WARN, "OVMF (UEFI firmware)", "not found: only firmware = bios (install ovmf)");
}

int cmd_check_host(Ctl *ctl, int argc, char *argv[]) {
        int exit_code;
        if (ctl_parse_options(ctl, argc, argv, NULL, "check-host [--json]", NULL, NULL, 0, &exit_code) < 0)
                return exit_code;

        Checks c = { .ctl = ctl, .json = json_object_new_array(), .worst = PASS };
        check_virtualisation(&c);
        check_program(&c, "qemu-system", QEMU_VM_QEMU_BINARY, X_OK, FAIL, "VMs cannot run (install qemu-system-x86)");
        check_kvm(&c);
        check_device(&c, "/dev/net/tun", "bridged NICs", "load the tun module");
        check_device(&c, "/dev/vhost-net", "vhost = yes", "load the vhost_net module");
        check_iommu(&c);
        check_hugepages(&c);
        check_cgroup(&c);
        check_program(&c, "qemu-img", QEMU_VM_QEMU_IMG, X_OK, FAIL, "disks cannot be created (install qemu-utils)");
        check_program(&c, "swtpm", "/usr/bin/swtpm", X_OK, WARN, "no [tpm] (install swtpm)");
        check_program(&c, "swtpm_setup", "/usr/bin/swtpm_setup", X_OK, WARN, "no [tpm] (install swtpm-tools)");
        check_ovmf(&c);
        check_program(&c, "websockify", QEMU_VM_WEBSOCKIFY, X_OK, WARN,
                      "no [vnc] browser console (install websockify)");
        check_program(&c, "noVNC", QEMU_VM_NOVNC_DIR "/vnc.html", R_OK, WARN,
                      "no [vnc] browser console (install novnc)");
        if (ctl->json) {
                json_object *doc = json_object_new_object();
                json_object_object_add(doc, "checks", c.json);
                json_object_object_add(doc, "worst", json_object_new_string(verdict_names[c.worst]));
                ctl_print_json(doc);
        } else
                json_object_put(c.json);
        return c.worst == FAIL ? CTL_EXIT_FAILED : c.worst == WARN ? CTL_EXIT_WARNING : CTL_EXIT_OK;
}
