/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdint.h>

#include "escape.h"
#include "ssh-keys.h"
#include "util.h"

#define SSH_KEYS_FILE_MAX (1024 * 1024)

/* What OpenSSH 9 accepts in authorized_keys, certificates aside. */
static const char *const key_types[] = {
        "ssh-ed25519", "ssh-rsa", "ssh-dss",
        "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
        "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com",
};

static bool is_key_type(const char *s, size_t n) {
        for (size_t i = 0; i < ELEMENTSOF(key_types); i++)
                if (strlen(key_types[i]) == n && strncmp(key_types[i], s, n) == 0)
                        return true;
        return false;
}

static int base64_value(char c) {
        if (c >= 'A' && c <= 'Z')
                return c - 'A';
        if (c >= 'a' && c <= 'z')
                return c - 'a' + 26;
        if (c >= '0' && c <= '9')
                return c - '0' + 52;
        return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* Decodes n characters of standard base64 (with '=' padding) into out, which holds n * 3 / 4 bytes.
 * Returns the number of bytes, or -1. */
static ssize_t base64_decode(const char *s, size_t n, uint8_t *out) {
        size_t len = 0;
        uint32_t acc = 0;
        unsigned bits = 0;

        if (n == 0 || n % 4 != 0)
                return -1;
        /* At most two '=', only at the end: OpenSSH refuses anything else. */
        for (unsigned pad = 0; n > 0 && s[n - 1] == '='; pad++, n--)
                if (pad == 2)
                        return -1;
        for (size_t i = 0; i < n; i++) {
                int v = base64_value(s[i]);
                if (v < 0)
                        return -1;
                acc = acc << 6 | (uint32_t) v;
                bits += 6;
                if (bits >= 8) {
                        bits -= 8;
                        out[len++] = (uint8_t) (acc >> bits);
                }
        }
        return (ssize_t) len;
}

/* The options field ends at the first blank outside double quotes. */
static const char *skip_options(const char *s) {
        bool quoted = false;

        for (; *s; s++) {
                if (*s == '\\' && quoted && s[1])
                        s++;
                else if (*s == '"')
                        quoted = !quoted;
                else if (!quoted && (*s == ' ' || *s == '\t'))
                        return s;
        }
        return s;
}

/* NULL when line is a public key, else why not. */
static const char *key_line_problem(const char *line) {
        const char *type = line;

        for (const char *c = line; *c; c++)
                if (((unsigned char) *c < 0x20 && *c != '\t') || *c == 0x7f)
                        return "control character in line";
        if (!utf8_is_valid(line, strlen(line)))
                return "line is not valid UTF-8";
        size_t type_len = strcspn(type, " \t");

        if (!is_key_type(type, type_len)) {
                type = skip_options(line);
                type += strspn(type, " \t");
                type_len = strcspn(type, " \t");
                if (!is_key_type(type, type_len))
                        return "not an SSH public key (expected [OPTIONS] TYPE BASE64 [COMMENT], TYPE such as "
                               "ssh-ed25519, ssh-rsa or ecdsa-sha2-nistp256)";
        }
        const char *data = type + type_len;
        data += strspn(data, " \t");
        size_t data_len = strcspn(data, " \t");
        _cleanup_free_ uint8_t *blob = xmalloc(data_len * 3 / 4 + 1);
        ssize_t n = base64_decode(data, data_len, blob);
        if (n < 0)
                return "the key data after the type is not base64";
        /* The blob starts with its own type as an SSH string: a 32-bit big-endian length, the name. */
        if (n < 4)
                return "the key data is too short";
        uint32_t name_len = (uint32_t) blob[0] << 24 | (uint32_t) blob[1] << 16 | (uint32_t) blob[2] << 8 | blob[3];
        if (name_len != type_len || (size_t) n < 4 + name_len || memcmp(blob + 4, type, type_len) != 0)
                return "the key data does not hold a key of the type the line names";
        if ((size_t) n == 4 + name_len)
                return "the key data holds no key";
        return NULL;
}

int ssh_keys_read(const char *path, Strv *keys, char **ret_error) {
        _cleanup_free_ char *text = NULL;
        Strv found = {};
        unsigned line_no = 0;
        int r;

        r = read_text_file(path, SSH_KEYS_FILE_MAX, &text);
        if (r < 0) {
                errno = -r;
                *ret_error = r == -EFBIG ? xasprintf("%s: larger than %d bytes", path, SSH_KEYS_FILE_MAX)
                           : r == -EBADMSG ? xasprintf("%s: holds a NUL byte, not a text file", path)
                           : r == -EBADF || r == -EISDIR ? xasprintf("%s: not a regular file", path)
                           : xasprintf("%s: cannot read: %m", path);
                return r;
        }
        for (char *p = text; *p;) {
                char *eol = strchrnul(p, '\n'), *next = *eol ? eol + 1 : eol;
                line_no++;
                *eol = 0;
                p += strspn(p, " \t");
                for (char *e = eol; e > p && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r');)
                        *--e = 0;
                if (*p && *p != '#') {
                        const char *problem = key_line_problem(p);
                        if (problem) {
                                *ret_error = xasprintf("%s:%u: %s", path, line_no, problem);
                                strv_clear(&found);
                                return -EINVAL;
                        }
                        strv_push(&found, p);
                }
                p = next;
        }
        if (found.n == 0) {
                *ret_error = xasprintf("%s: holds no key", path);
                return -ENOENT;
        }
        for (size_t i = 0; i < found.n; i++)
                strv_push(keys, found.items[i]);
        strv_clear(&found);
        return 0;
}
