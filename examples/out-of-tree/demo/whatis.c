/*
 * whatis.c -- prints "<path>: <description>" for each argument, using the
 * libmagic SPy module; the output matches `file <path>...`:
 *   - names are printed the way file(1) prints them: characters that are
 *     not printable in the current locale (LC_CTYPE from the environment)
 *     are shown as \ooo octal escapes, one per byte;
 *   - with several names, the descriptions are lined up by padding after
 *     the colon to the display width of the widest name.
 * Native only.
 */
#define _XOPEN_SOURCE 700   /* wcwidth() */

#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>
#include <wctype.h>

#include "spy.h"
#include "spyvm_libmagic.h"

/* Escape `name` into a new spy_Str; store its display width in *width. */
static spy_Str *printable_name(const char *name, size_t *width)
{
    size_t n = strlen(name);
    spy_Str *out = spy_str_alloc(4 * n);   /* worst case: every byte escaped */
    char *dst = out->utf8;
    mbstate_t st;
    size_t w = 0;

    memset(&st, 0, sizeof st);
    while (n > 0) {
        wchar_t wc;
        size_t len = mbrtowc(&wc, name, n, &st);
        int cw;

        if (len == (size_t)-1 || len == (size_t)-2 || len == 0) {
            len = 1;                        /* invalid/truncated: escape byte */
            memset(&st, 0, sizeof st);
            cw = -1;
        } else {
            cw = iswprint((wint_t)wc) ? wcwidth(wc) : -1;
        }
        if (cw >= 0) {
            memcpy(dst, name, len);
            dst += len;
            w += (size_t)cw;
        } else {
            size_t i;
            for (i = 0; i < len; i++) {
                unsigned char c = (unsigned char)name[i];
                *dst++ = '\\';
                *dst++ = (char)('0' + ((c >> 6) & 7));
                *dst++ = (char)('0' + ((c >> 3) & 7));
                *dst++ = (char)('0' + (c & 7));
                w += 4;
            }
        }
        name += len;
        n -= len;
    }
    *dst = '\0';
    out->length = (size_t)(dst - out->utf8);
    *width = w;
    return out;
}

int main(int argc, char **argv)
{
    size_t max_width = 0;
    int i;

    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE...\n", argc > 0 ? argv[0] : "whatis");
        return 1;
    }
    setlocale(LC_CTYPE, "");

    for (i = 1; i < argc; i++) {
        size_t w;
        spy_free(printable_name(argv[i], &w));
        if (w > max_width)
            max_width = w;
    }
    for (i = 1; i < argc; i++) {
        size_t w;
        spy_Str *shown = printable_name(argv[i], &w);
        spy_Str *path = spy_str_from_cstr(argv[i]);
        spy_Str *desc = spy_libmagic$identify(path);

        printf("%s:%*s %s\n", spy_str_utf8(shown), (int)(max_width - w), "",
               spy_str_utf8(desc));
        spy_free(desc);
        spy_free(path);
        spy_free(shown);
    }
    return fflush(stdout) == 0 ? 0 : 1;
}
