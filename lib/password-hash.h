/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Checks of a crypt(3) password hash ([user.NAME] password_hash) with libxcrypt, the library that
 * verifies it in the guest. */

#include <stdbool.h>

/* NULL when s is a well-formed hash of a method libxcrypt supports and does not call legacy (yescrypt,
 * SHA-512, bcrypt, ...); else why not. Only with full is the hash part checked, by hashing a phrase
 * with s as the setting: that takes as long as a login (up to about 0.1 s), too long for the generator. */
const char *password_hash_problem(const char *s, bool full);
