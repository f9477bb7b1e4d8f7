/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "console-ports.h"
#include "console-url.h"
#include "paths.h"

/* The token: the hex digits before ": unix_socket:" on the file's one line. */
static char *read_token(const char *vm) {
        _cleanup_free_ char *path = vm_console_token_path(vm), *text = NULL;
        if (read_text_file(path, 4096, &text) < 0)
                return NULL;
        size_t n = strspn(text, "0123456789abcdef");
        if (n == 0 || text[n] != ':')
                return NULL;
        text[n] = '\0';
        return xstrdup(text);
}

char *console_url_with_token(const VmConfig *c, bool *ret_has_token) {
        _cleanup_free_ char *url = console_url(c), *token = NULL;
        *ret_has_token = false;
        if (!url)
                return NULL;
        token = read_token(c->name);
        if (!token)
                return TAKE_PTR(url);
        *ret_has_token = true;
        /* noVNC's "path" is websockify's request path: websockify?token=TOKEN. */
        return xasprintf("%s&path=websockify%%3Ftoken%%3D%s", url, token);
}
