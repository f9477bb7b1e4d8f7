/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The text builders the generator writes every drop-in with: TextBuffer, xasprintf() and strjoin(). */
#include <errno.h>

#include "tap.h"
#include "text-buffer.h"

int main(void) {
        TextBuffer b = {};
        char *text;

        text = text_buffer_take(&b);
        check_streq(text, "", "an empty buffer gives an empty string");
        free(text);

        text_buffer_puts(&b, "[Unit]\n");
        text_buffer_printf(&b, "Description=%s of %u\n", "VM", 7u);
        text_buffer_append(&b, "xyz", 2);
        check_streq(b.text, "[Unit]\nDescription=VM of 7\nxy", "puts, printf and append, in order");
        check(b.length == strlen(b.text), "length counts the text");

        /* Longer than the room printf makes first, and than the buffer: formatted again after growing. */
        char long_word[5000];
        memset(long_word, 'a', sizeof long_word - 1);
        long_word[sizeof long_word - 1] = 0;
        size_t before = b.length;
        text_buffer_printf(&b, "<%s>", long_word);
        check(b.length == before + strlen(long_word) + 2 && b.text[before] == '<' &&
                      b.text[b.length - 1] == '>' && b.text[b.length - 2] == 'a' && b.text[b.length] == 0,
              "a 5000-byte printf lands whole");

        char *room = text_buffer_reserve(&b, 3);
        memcpy(room, "end", 3);
        text_buffer_advance(&b, 3);
        check(b.length >= 3 && strcmp(b.text + b.length - 3, "end") == 0, "reserve and advance append in place");

        text = text_buffer_take(&b);
        check(b.text == NULL && b.length == 0 && b.allocated == 0, "take leaves the buffer empty");
        free(text);

        text = xasprintf("%s-%u", long_word, 42u);
        check(strlen(text) == strlen(long_word) + 3 && strcmp(text + strlen(long_word), "-42") == 0,
              "xasprintf beyond its stack buffer");
        free(text);
        errno = ENOENT;
        text = xasprintf("%s: %m", long_word);
        check(endswith(text, ": No such file or directory"), "xasprintf's second pass still sees errno for %%m");
        free(text);

        text = xasprintf("chardev=qmp,mode=control");
        check_streq(text, "chardev=qmp,mode=control", "xasprintf of a format with nothing to format");
        free(text);
        text = xasprintf("100%%");
        check_streq(text, "100%", "xasprintf of an escaped percent sign");
        free(text);

        text = strjoin("/var/lib/qemu-vm", "/", "web01", "/", "nvram.fd");
        check_streq(text, "/var/lib/qemu-vm/web01/nvram.fd", "strjoin");
        free(text);
        text = strjoin("");
        check_streq(text, "", "strjoin of an empty string");
        free(text);

        return tap_done();
}
