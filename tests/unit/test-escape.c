/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "escape.h"
#include "strv.h"
#include "tap.h"

static void test_qemu(const char *in, const char *want) {
        char *got = qemu_option_escape(in);
        check_streq(got, want, "qemu_option_escape");
        free(got);
}

static void test_exec(const char *in, const char *want) {
        char *got = xmalloc(UNIT_EXEC_ARG_ESCAPE_MAX(strlen(in)));
        size_t n = unit_exec_arg_escape_into(got, in);
        check_streq(got, want, "unit_exec_arg_escape_into");
        check(n == strlen(want), "unit_exec_arg_escape_into returns the length");
        free(got);
}

static void test_specifier(const char *in, const char *want) {
        char *got = unit_specifier_escape(in);
        check_streq(got, want, "unit_specifier_escape");
        free(got);
}

static void test_printable(const char *in, const char *want) {
        char *got = string_printable(in);
        check_streq(got, want, "string_printable");
        free(got);
}

static void test_split(const char *in, int n, const char *first, const char *last) {
        Strv v = {};
        int r = strv_split_words(&v, in);
        check(r == 0 && (int) v.n == n, "split '%s' into %d words", in, n);
        if (n > 0 && (int) v.n == n) {
                check_streq(v.items[0], first, "first word");
                check_streq(v.items[n - 1], last, "last word");
        }
        strv_clear(&v);
}

int main(void) {
        test_qemu("", "");
        test_qemu("/plain/path.qcow2", "/plain/path.qcow2");
        test_qemu("a,file.driver=ssh", "a,,file.driver=ssh");
        test_qemu(",,", ",,,,");

        test_exec("", "\"\"");
        test_exec("plain", "\"plain\"");
        test_exec("a b", "\"a b\"");
        test_exec("100%", "\"100%%\"");
        test_exec("$HOME ${X}", "\"$$HOME $${X}\"");
        test_exec("say \"hi\"", "\"say \\\"hi\\\"\"");
        test_exec("back\\slash", "\"back\\\\slash\"");
        test_exec("'single'", "\"'single'\"");

        test_specifier("%n%%", "%%n%%%%");
        test_specifier("no specifiers $X", "no specifiers $X");

        check(string_has_control_chars("a\tb"), "tab is a control character");
        check(string_has_control_chars("a\nb"), "newline is a control character");
        check(string_has_control_chars("\x1b[31m"), "escape is a control character");
        check(string_has_control_chars("\x7f"), "DEL is a control character");
        check(!string_has_control_chars("ordinary, text; with $ymbols % \" \\ é"), "printable text passes");

        test_printable("plain é ü 日本", "plain é ü 日本");
        test_printable("a\tb\x1b[31m\x7f", "a?b?[31m?");
        test_printable("\xef\xbb\xbf" "cpus", "?cpus");                    /* byte order mark */
        test_printable("x\xe2\x80\x8by", "x?y");                          /* zero-width space */
        test_printable("\xe2\x80\xae" "evil\xe2\x81\xa6", "?evil?");          /* bidi override, isolate */
        test_printable("\xc2\x85next", "?next");                          /* C1 NEL */
        test_printable("bad\xff\xc3(", "bad?" "?(");                         /* invalid UTF-8, byte by byte */

        test_split("-device virtio-rng-pci", 2, "-device", "virtio-rng-pci");
        test_split("  -smbios \"type=1,product=my product\"  ", 2, "-smbios", "type=1,product=my product");
        test_split("'a b' \"c\\\"d\"", 2, "a b", "c\"d");
        test_split("", 0, NULL, NULL);
        Strv v = {};
        check(strv_split_words(&v, "-smbios \"unclosed") < 0, "unclosed quote is refused");
        strv_clear(&v);
        return tap_done();
}
