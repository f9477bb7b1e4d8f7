/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Checks of a crypt(3) password hash ([user.NAME] password_hash) with libxcrypt, the library that
 * verifies it in the guest. */

/* NULL when s is a well-formed hash of a method libxcrypt supports and does not call legacy (yescrypt,
 * SHA-512, bcrypt, ...); else why not. Nothing is hashed: a hash's cost parameters could make that
 * take hours. */
const char *password_hash_problem(const char *s);
