/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>
#include <sys/stat.h>

#include "config.h"
#include "config-schema.h"
#include "escape.h"
#include "log.h"

const char *const accel_table[_ACCEL_MAX] = {
        [ACCEL_KVM] = "kvm", [ACCEL_TCG] = "tcg", [ACCEL_KVM_TCG] = "kvm:tcg",
};
const char *const firmware_table[_FIRMWARE_MAX] = {
        [FIRMWARE_UEFI] = "uefi", [FIRMWARE_UEFI_SECURE] = "uefi-secure", [FIRMWARE_BIOS] = "bios",
};
const char *const disk_format_table[_DISK_FORMAT_MAX] = {
        [DISK_FORMAT_QCOW2] = "qcow2", [DISK_FORMAT_RAW] = "raw",
};
const char *const disk_bus_table[_DISK_BUS_MAX] = {
        [DISK_BUS_VIRTIO] = "virtio", [DISK_BUS_SCSI] = "scsi", [DISK_BUS_SATA] = "sata", [DISK_BUS_NVME] = "nvme",
};
const char *const disk_cache_table[_DISK_CACHE_MAX] = {
        [DISK_CACHE_NONE] = "none", [DISK_CACHE_WRITEBACK] = "writeback",
        [DISK_CACHE_WRITETHROUGH] = "writethrough", [DISK_CACHE_DIRECTSYNC] = "directsync",
        [DISK_CACHE_UNSAFE] = "unsafe",
};
const char *const disk_discard_table[_DISK_DISCARD_MAX] = {
        [DISK_DISCARD_IGNORE] = "ignore", [DISK_DISCARD_UNMAP] = "unmap",
};
const char *const cdrom_bus_table[_CDROM_BUS_MAX] = {
        [CDROM_BUS_SATA] = "sata", [CDROM_BUS_SCSI] = "scsi",
};
const char *const net_mode_table[_NET_MODE_MAX] = {
        [NET_MODE_USER] = "user", [NET_MODE_BRIDGE] = "bridge", [NET_MODE_NONE] = "none",
};

const char *const ready_table[_READY_MAX] = {
        [READY_QMP] = "qmp", [READY_AGENT] = "agent",
};

const char *const tpm_model_table[_TPM_MODEL_MAX] = {
        [TPM_MODEL_CRB] = "crb", [TPM_MODEL_TIS] = "tis",
};

void config_errors_add(ConfigErrors *e, const char *file, unsigned line, const char *fmt, ...) {
        assert(e && fmt);
        ConfigError *error;
        va_list ap;

        e->items = xrealloc(e->items, (e->n + 1) * sizeof(ConfigError));
        error = &e->items[e->n++];
        *error = (ConfigError) { .file = file ? xstrdup(file) : NULL, .line = line };
        va_start(ap, fmt);
        error->message = xvasprintf(fmt, ap);
        va_end(ap);
}

char *config_error_format(const ConfigError *error) {
        _cleanup_free_ char *text = NULL;

        if (error->file && error->line > 0)
                text = xasprintf("%s:%u: %s", error->file, error->line, error->message);
        else if (error->file)
                text = xasprintf("%s: %s", error->file, error->message);
        else
                text = xstrdup(error->message);
        /* File names and echoed values may hold anything; messages end up in unit files and logs. */
        return string_printable(text);
}

void config_errors_log(const ConfigErrors *e, const char *suffix) {
        for (size_t i = 0; i < e->n; i++) {
                _cleanup_free_ char *text = config_error_format(&e->items[i]);
                log_error("%s%s", text, suffix);
        }
}

void config_errors_clear(ConfigErrors *e) {
        for (size_t i = 0; i < e->n; i++) {
                free(e->items[i].file);
                free(e->items[i].message);
        }
        free(e->items);
        *e = (ConfigErrors) {};
}

/* The built-in defaults are the schema's (config-schema.c). */
void vm_config_init(VmConfig *c, const char *name, const char *source_path) {
        assert(c && name);
        *c = (VmConfig) { .name = xstrdup(name), .source_path = xstrdup(source_path) };
        for (SectionKind k = 0; k < _SECTION_MAX; k++)
                if (!config_sections[k].has_id)
                        config_section_apply_defaults(k, c);
}

bool machine_is_q35(const char *machine) {
        return streq(machine, "q35") || startswith(machine, "pc-q35-");
}

bool vm_has_user_nic(const VmConfig *c) {
        for (size_t i = 0; i < c->n_nets; i++)
                if (c->nets[i].mode == NET_MODE_USER)
                        return true;
        return false;
}

bool vm_has_serial_log(const VmConfig *c) {
        return c->serial && c->serial_log;
}

bool net_has_static_config(const NetConfig *n) {
        return n->addresses.n > 0 || n->gateways.n > 0 || n->dns.n > 0;
}

void vm_config_free(VmConfig *c) {
        assert(c);
        free(c->name);
        free(c->source_path);
        strv_clear(&c->files);
        free(c->machine);
        free(c->cpu);
        free(c->firmware_code);
        free(c->firmware_vars);
        free(c->uuid);
        strv_clear(&c->extra_args);
        free(c->kernel);
        free(c->initrd);
        free(c->cmdline);
        free(c->vnc.listen);
        for (size_t i = 0; i < c->n_disks; i++) {
                free(c->disks[i].id);
                free(c->disks[i].path);
                free(c->disks[i].backing);
        }
        free(c->disks);
        for (size_t i = 0; i < c->n_cdroms; i++) {
                free(c->cdroms[i].id);
                free(c->cdroms[i].path);
        }
        free(c->cdroms);
        for (size_t i = 0; i < c->n_nets; i++) {
                free(c->nets[i].id);
                free(c->nets[i].bridge);
                free(c->nets[i].model);
                array_clear(&c->nets[i].forwards);
                free(c->nets[i].ifname);
                array_clear(&c->nets[i].addresses);
                array_clear(&c->nets[i].gateways);
                array_clear(&c->nets[i].dns);
        }
        free(c->nets);
        for (size_t i = 0; i < c->n_users; i++) {
                free(c->users[i].name);
                strv_clear(&c->users[i].ssh_keys);
                free(c->users[i].password_hash);
                free(c->users[i].shell);
        }
        free(c->users);
        free(c->cloud_init.hostname);
        free(c->cloud_init.fqdn);
        strv_clear(&c->cloud_init.ssh_keys);
        free(c->cloud_init.user_data_file);
        free(c->cloud_init.network_config_file);
        *c = (VmConfig) {};
}

void vm_config_warn_readable_secrets(const VmConfig *c) {
        for (size_t i = 0; i < c->n_users; i++) {
                const Origin *o = &c->users[i].password_hash_origin;
                struct stat st;
                if (!c->users[i].password_hash || stat(o->file, &st) < 0 || !(st.st_mode & S_IROTH))
                        continue;
                log_warning("%s:%u: password_hash is in a file every local user can read (mode %04o): "
                            "make it 0600, or 0640 for a group of admins (chmod o-r %s).",
                            o->file, o->line, (unsigned) (st.st_mode & 07777), o->file);
        }
}
