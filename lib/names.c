/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <string.h>

#include "names.h"

static bool lower_alnum(char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool name_is_valid(const char *s, size_t max) {
        size_t n = strlen(s);

        if (n == 0 || n > max || !lower_alnum(s[0]))
                return false;
        for (size_t i = 1; i < n; i++)
                if (!lower_alnum(s[i]) && s[i] != '-' && s[i] != '_')
                        return false;
        return true;
}

bool vm_name_is_valid(const char *name) {
        assert(name);
        return name_is_valid(name, VM_NAME_MAX);
}

bool device_id_is_valid(const char *id) {
        return name_is_valid(id, DEVICE_ID_MAX);
}

bool snapshot_name_is_valid(const char *name) {
        assert(name);
        size_t n = strlen(name);

        if (n == 0 || n > SNAPSHOT_NAME_MAX || !(name[0] >= 'a' && name[0] <= 'z'))
                return false;
        for (size_t i = 1; i < n; i++)
                if (!lower_alnum(name[i]) && !strchr("-_.", name[i]))
                        return false;
        return true;
}

bool qemu_word_is_valid(const char *s) {
        size_t n = strlen(s);

        if (n == 0 || n > 64)
                return false;
        for (size_t i = 0; i < n; i++) {
                char c = s[i];
                if (!lower_alnum(c) && !(c >= 'A' && c <= 'Z') && !strchr("-_.+", c))
                        return false;
        }
        return true;
}

bool ifname_is_valid(const char *s) {
        size_t n = strlen(s);

        if (n == 0 || n > IFNAME_MAX || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!lower_alnum(s[i]) && !(s[i] >= 'A' && s[i] <= 'Z') && !strchr("-_.", s[i]))
                        return false;
        return true;
}

/* One label of a DNS name (RFC 1123): letters, digits and '-', not at either end. */
static bool host_label_is_valid(const char *s, size_t n) {
        if (n == 0 || n > HOST_LABEL_MAX || s[0] == '-' || s[n - 1] == '-')
                return false;
        for (size_t i = 0; i < n; i++)
                if (!lower_alnum(s[i]) && !(s[i] >= 'A' && s[i] <= 'Z') && s[i] != '-')
                        return false;
        return true;
}

bool hostname_is_valid(const char *s) {
        return host_label_is_valid(s, strlen(s));
}

bool fqdn_is_valid(const char *s) {
        size_t n = strlen(s);

        if (n > FQDN_MAX || !strchr(s, '.'))
                return false;
        for (const char *label = s;;) {
                const char *dot = strchrnul(label, '.');
                if (!host_label_is_valid(label, (size_t) (dot - label)))
                        return false;
                if (!*dot)
                        return true;
                label = dot + 1;
        }
}

bool user_name_is_valid(const char *s) {
        return s[0] >= 'a' && s[0] <= 'z' && name_is_valid(s, USER_NAME_MAX);
}
