/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <uuid/uuid.h>

#define INI_HANDLER_LINENO 1
#include <ini.h>

#include "log.h"
#include "parse-value.h"
#include "password-hash.h"
#include "seed-content.h"
#include "ssh-keys.h"

/* user-data and network-config files, as cloud-init would still read them comfortably. */
#define SEED_INPUT_MAX (1024 * 1024)

/* A YAML double-quoted scalar: every value we write goes through here, so no key comment, path or
 * address can end a string or start a new key. Besides controls, YAML forbids C1 controls and U+FFFE,
 * U+FFFF in a stream, and reads U+0085, U+2028, U+2029 as line breaks: those are escaped too.
 * The input is valid UTF-8 (checked where it was read). */
static void yaml_quoted(FILE *f, const char *s) {
        fputc('"', f);
        for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
                if (*p == '"' || *p == '\\')
                        fprintf(f, "\\%c", *p);
                else if (*p < 0x20 || *p == 0x7f)
                        fprintf(f, "\\x%02x", *p);
                else if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
                        fprintf(f, "\\x%02x", p[1]);
                        p++;
                } else if ((p[0] == 0xe2 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9)) ||
                           (p[0] == 0xef && p[1] == 0xbf && (p[2] == 0xbe || p[2] == 0xbf))) {
                        fprintf(f, "\\u%04x", (unsigned) ((p[0] & 0x0f) << 12 | (p[1] & 0x3f) << 6 | (p[2] & 0x3f)));
                        p += 2;
                } else
                        fputc(*p, f);
        }
        fputc('"', f);
}

static void yaml_list(FILE *f, const char *indent, const Strv *items) {
        for (size_t i = 0; i < items->n; i++) {
                fprintf(f, "%s- ", indent);
                yaml_quoted(f, items->items[i]);
                fputc('\n', f);
        }
}

static int read_input(const char *path, const char *what, char **ret) {
        int r = read_text_file(path, SEED_INPUT_MAX, ret);
        if (r == -EFBIG)
                log_error("%s '%s' is larger than %d bytes.", what, path, SEED_INPUT_MAX);
        else if (r == -EBADMSG)
                log_error("%s '%s' holds a NUL byte; it must be a text file.", what, path);
        else if (r == -EBADF || r == -EISDIR)
                log_error("%s '%s' is not a regular file.", what, path);
        else if (r < 0)
                log_error_errno(r, "Cannot read %s '%s': %m", what, path);
        return r;
}

static int read_keys(const Strv *files, const char *owner, Strv *keys) {
        int r = 0;

        for (size_t i = 0; i < files->n; i++) {
                _cleanup_free_ char *error = NULL;
                if (ssh_keys_read(files->items[i], keys, &error) < 0) {
                        log_error("SSH keys of %s: %s", owner, error);
                        r = -EINVAL;
                }
        }
        return r;
}

/* What a configuration file sets on one line. */
typedef struct LineValue {
        unsigned line;
        char *section;
        char *key;
        char *value;
} LineValue;

static int line_value_handler(void *user, const char *section, const char *key, const char *value, int lineno) {
        LineValue *lv = user;
        if ((unsigned) lineno == lv->line && !lv->key) {
                lv->section = xstrdup(section);
                lv->key = xstrdup(key);
                lv->value = xstrdup(value);
        }
        return 1;
}

/* The password hash is never on our command line (unit files are readable by all): the generator
 * passes where it is, "FILE:LINE", and this reads the file as libinih reads it and takes that line,
 * which must still set password_hash in [user.NAME]. */
static int read_password_hash(const char *at, const char *user, char **ret) {
        const char *colon = strrchr(at, ':');
        _cleanup_free_ char *path = NULL, *text = NULL, *section = xasprintf("user.%s", user);
        uint64_t line;
        int r;

        if (!colon || parse_uint_range(colon + 1, 1, UINT32_MAX, &line) < 0) {
                log_error("Invalid --password-hash-at '%s' (expected FILE:LINE).", at);
                return -EINVAL;
        }
        path = xasprintf("%.*s", (int) (colon - at), at);
        r = read_input(path, "configuration file", &text);
        if (r < 0)
                return r;
        LineValue lv = { .line = (unsigned) line };
        (void) ini_parse_string(text, line_value_handler, &lv);
        if (!lv.key || !streq(lv.key, "password_hash") || !streq(lv.section, section)) {
                log_error("%s: the line no longer sets password_hash in [%s]: the file changed since the last "
                          "'systemctl daemon-reload'; run it.", at, section);
                r = -ESTALE;
        } else {
                const char *problem = password_hash_problem(lv.value);
                if (problem) {
                        log_error("%s: 'password_hash' of [%s] is %s.", at, section, problem);
                        r = -EINVAL;
                } else
                        *ret = TAKE_PTR(lv.value);
        }
        free(lv.section);
        free(lv.key);
        free(lv.value);
        return r;
}

static int write_user(FILE *f, const SeedUser *u) {
        _cleanup_free_ char *owner = xasprintf("[user.%s]", u->name), *hash = NULL;
        Strv keys = {};
        int r = read_keys(&u->key_files, owner, &keys);

        if (u->password_at && read_password_hash(u->password_at, u->name, &hash) < 0)
                r = -EINVAL;
        fputs("  - name: ", f);
        yaml_quoted(f, u->name);
        fputs("\n    shell: ", f);
        yaml_quoted(f, u->shell);
        fputc('\n', f);
        if (u->sudo)
                fputs("    sudo: \"ALL=(ALL) NOPASSWD:ALL\"\n", f);
        if (hash) {
                fputs("    lock_passwd: false\n    hashed_passwd: ", f);
                yaml_quoted(f, hash);
                fputc('\n', f);
        }
        if (keys.n > 0) {
                fputs("    ssh_authorized_keys:\n", f);
                yaml_list(f, "      ", &keys);
        }
        strv_clear(&keys);
        return r;
}

/* #cloud-config from the [cloud-init] keys and [user.NAME] sections; *ret_empty when it says nothing. */
static int make_cloud_config(const SeedSpec *spec, char **ret, bool *ret_empty) {
        char *text = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&text, &size);
        Strv keys = {};
        int r;

        if (!f)
                abort();
        /* The program's name before qemu-vm-prepare-root split from it: the seed's bytes, and so its
         * instance-id, stay the same, and an upgrade does not make cloud-init run its once-per-instance
         * steps again (new SSH host keys). */
        fputs("#cloud-config\n# Made by qemu-vm-prepare from the VM's [cloud-init] and [user.NAME] sections.\n", f);
        r = read_keys(&spec->default_user_key_files, "the default user", &keys);
        if (spec->fqdn) {
                fputs("fqdn: ", f);
                yaml_quoted(f, spec->fqdn);
                /* cloud-init sets the host name alone; `hostname -f` resolves it through /etc/hosts,
                 * which it then writes with "127.0.1.1 FQDN HOSTNAME" at each boot (as Proxmox does). */
                fputs("\nmanage_etc_hosts: true\n", f);
        }
        if (keys.n > 0) {
                fputs("ssh_authorized_keys:\n", f);
                yaml_list(f, "  ", &keys);
        }
        if (spec->n_users > 0) {
                /* A users list replaces the image's default user, unless it names it. */
                fputs("users:\n", f);
                if (keys.n > 0)
                        fputs("  - default\n", f);
                for (size_t i = 0; i < spec->n_users; i++)
                        if (write_user(f, &spec->users[i]) < 0)
                                r = -EINVAL;
        }
        *ret_empty = !spec->fqdn && keys.n == 0 && spec->n_users == 0;
        strv_clear(&keys);
        fclose(f);
        *ret = text;
        return r;
}

/* Both our #cloud-config and the user's file: a MIME multipart message, ours first, so that keys the
 * file sets replace ours when cloud-init merges them. The file's part is text/x-not-multipart: cloud-init
 * then tells its type from its first line, exactly as it does for a file given alone. */
static int make_multipart(const char *path, const char *ours, const char *theirs, char **ret) {
        char boundary[64];

        if (startswith(theirs, "Content-Type:") || startswith(theirs, "MIME-Version:")) {
                log_error("user_data_file '%s' is a MIME message already: it cannot be combined with the "
                          "fqdn, keys and users of [cloud-init]; put those in the file.", path);
                return -EINVAL;
        }
        /* Deterministic, and in neither part. */
        for (unsigned i = 0;; i++) {
                snprintf(boundary, sizeof boundary, "==qemu-vm-seed-%u==", i);
                if (!strstr(ours, boundary) && !strstr(theirs, boundary))
                        break;
        }
        size_t n = strlen(theirs);
        *ret = xasprintf("Content-Type: multipart/mixed; boundary=\"%s\"\n"
                         "MIME-Version: 1.0\n\n"
                         "--%s\n"
                         "Content-Type: text/cloud-config; charset=\"utf-8\"\n"
                         "Content-Transfer-Encoding: 8bit\n"
                         "Content-Disposition: attachment; filename=\"qemu-vm.cfg\"\n\n"
                         "%s\n"
                         "--%s\n"
                         "Content-Type: text/x-not-multipart; charset=\"utf-8\"\n"
                         "Content-Transfer-Encoding: 8bit\n"
                         "Content-Disposition: attachment; filename=\"user-data\"\n\n"
                         "%s%s\n"
                         "--%s--\n",
                         boundary, boundary, ours, boundary, theirs,
                         n > 0 && theirs[n - 1] == '\n' ? "" : "\n", boundary);
        return 0;
}

static int make_user_data(const SeedSpec *spec, char **ret) {
        _cleanup_free_ char *ours = NULL, *theirs = NULL;
        bool empty;
        int r = make_cloud_config(spec, &ours, &empty);

        if (spec->user_data_file && read_input(spec->user_data_file, "user_data_file", &theirs) < 0)
                r = -EINVAL;
        if (r < 0)
                return r;
        if (!theirs)
                *ret = TAKE_PTR(ours);
        else if (empty)
                *ret = TAKE_PTR(theirs);        /* verbatim */
        else
                return make_multipart(spec->user_data_file, ours, theirs, ret);
        return 0;
}

/* Network config version 2; each NIC found by its MAC, whatever the guest names it. */
static char *make_network_config(const SeedSpec *spec) {
        char *text = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&text, &size);

        if (!f)
                abort();
        fputs("# Made by qemu-vm-prepare from the VM's [net.ID] sections.\nversion: 2\nethernets:\n", f);
        for (size_t i = 0; i < spec->n_nics; i++) {
                const SeedNic *n = &spec->nics[i];
                fputs("  ", f);
                yaml_quoted(f, n->id);
                fputs(":\n    match:\n      macaddress: ", f);
                yaml_quoted(f, n->mac);
                fputc('\n', f);
                if (n->addresses.n == 0)
                        fputs("    dhcp4: true\n", f);
                else {
                        fputs("    addresses:\n", f);
                        yaml_list(f, "      ", &n->addresses);
                }
                if (n->gateways.n > 0) {
                        fputs("    routes:\n", f);
                        for (size_t k = 0; k < n->gateways.n; k++) {
                                fprintf(f, "      - to: \"%s\"\n        via: ",
                                        strchr(n->gateways.items[k], ':') ? "::/0" : "0.0.0.0/0");
                                yaml_quoted(f, n->gateways.items[k]);
                                fputc('\n', f);
                        }
                }
                if (n->dns.n > 0) {
                        fputs("    nameservers:\n      addresses:\n", f);
                        yaml_list(f, "        ", &n->dns);
                }
        }
        fclose(f);
        return text;
}

/* Changes exactly when the content does: a name-based (SHA-1) UUID of it, in the VM's namespace. */
static char *make_instance_id(const SeedSpec *spec, const SeedFiles *files) {
        _cleanup_free_ char *content = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&content, &size);
        uuid_t ns, id;
        char text[37];

        if (!f)
                abort();
        fprintf(f, "local-hostname=%s%c", spec->hostname, 0);
        fprintf(f, "user-data=%s%c", files->user_data, 0);
        fprintf(f, "network-config=%s", files->network_config ?: "(none)");
        fclose(f);
        if (uuid_parse(spec->instance_namespace, ns) < 0)
                abort();        /* checked with the arguments */
        uuid_generate_sha1(id, ns, content, size);
        uuid_unparse_lower(id, text);
        return xasprintf("iid-%s", text);
}

static char *make_meta_data(const SeedSpec *spec, const char *instance_id) {
        char *text = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&text, &size);

        if (!f)
                abort();
        fprintf(f, "instance-id: %s\nlocal-hostname: ", instance_id);
        yaml_quoted(f, spec->hostname);
        fputc('\n', f);
        fclose(f);
        return text;
}

int seed_files_make(const SeedSpec *spec, SeedFiles *ret) {
        SeedFiles files = {};
        int r = make_user_data(spec, &files.user_data);

        if (spec->network_config_file) {
                if (read_input(spec->network_config_file, "network_config_file", &files.network_config) < 0)
                        r = -EINVAL;
        } else if (spec->n_nics > 0)
                files.network_config = make_network_config(spec);
        if (r < 0) {
                seed_files_free(&files);
                return -EINVAL;
        }
        files.instance_id = make_instance_id(spec, &files);
        files.meta_data = make_meta_data(spec, files.instance_id);
        *ret = files;
        return 0;
}

void seed_files_free(SeedFiles *f) {
        free(f->meta_data);
        free(f->user_data);
        free(f->network_config);
        free(f->instance_id);
        *f = (SeedFiles) {};
}

void seed_spec_free(SeedSpec *spec) {
        strv_clear(&spec->default_user_key_files);
        for (size_t i = 0; i < spec->n_users; i++)
                strv_clear(&spec->users[i].key_files);
        free(spec->users);
        for (size_t i = 0; i < spec->n_nics; i++) {
                strv_clear(&spec->nics[i].addresses);
                strv_clear(&spec->nics[i].gateways);
                strv_clear(&spec->nics[i].dns);
        }
        free(spec->nics);
        *spec = (SeedSpec) {};
}
