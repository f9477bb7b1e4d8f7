/* SPDX-License-Identifier: LGPL-2.1-or-later */
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
        return name_is_valid(name, VM_NAME_MAX);
}

bool device_id_is_valid(const char *id) {
        return name_is_valid(id, DEVICE_ID_MAX);
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
