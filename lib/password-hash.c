/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <crypt.h>
#include <string.h>

#include "password-hash.h"

const char *password_hash_problem(const char *s, bool full) {
        struct crypt_data data = {};

        if (s[0] != '$')
                return "not a crypt(3) hash (make one with 'mkpasswd' or 'openssl passwd -6'; "
                       "a password itself is never accepted)";
        switch (crypt_checksalt(s)) {
        case CRYPT_SALT_OK:
                break;
        case CRYPT_SALT_METHOD_LEGACY:
                return "uses a hash method libxcrypt calls legacy (DES, MD5, SHA-256 crypt); use yescrypt or SHA-512";
        default:
                return "not a crypt(3) hash of a known method";
        }
        const char *last = strrchr(s, '$');
        if (!last[1] || last[strspn(last + 1, "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") + 1])
                return "a malformed crypt(3) hash (its last part must be made of letters, digits, '.' and '/')";
        if (!full)
                return NULL;

        /* Hashing any phrase with s as the setting gives a hash of the same shape: same salt and
         * parameters, same length. A truncated or padded hash fails here. */
        const char *out = crypt_rn("probe", s, &data, sizeof data);
        if (!out || out[0] == '*' || strlen(out) != strlen(s) || strncmp(out, s, (size_t) (last - s + 1)) != 0)
                return "a malformed crypt(3) hash (wrong length or characters)";
        return NULL;
}
