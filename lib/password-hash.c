/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <crypt.h>
#include <string.h>

#include "password-hash.h"

#define CRYPT_ALPHABET "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

/* The length of the part after the last '$' for the methods whose output has a fixed size. */
static const struct {
        const char *prefix;
        size_t length;
} hash_lengths[] = {
        { "$y$", 43 }, { "$gy$", 43 }, { "$7$", 43 },          /* yescrypt, gost-yescrypt, scrypt */
        { "$6$", 86 },                                          /* SHA-512 crypt */
        { "$2b$", 53 }, { "$2a$", 53 }, { "$2y$", 53 },          /* bcrypt: 22 of salt, 31 of hash */
};

const char *password_hash_problem(const char *s) {
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
        const char *last = strrchr(s, '$') + 1;
        size_t n = strlen(last);
        if (n == 0 || last[strspn(last, CRYPT_ALPHABET)])
                return "a malformed crypt(3) hash (its last part must be made of letters, digits, '.' and '/')";
        for (size_t i = 0; i < sizeof hash_lengths / sizeof *hash_lengths; i++)
                if (strncmp(s, hash_lengths[i].prefix, strlen(hash_lengths[i].prefix)) == 0 &&
                    n != hash_lengths[i].length)
                        return "a malformed crypt(3) hash (its last part has the wrong length)";
        return NULL;
}
