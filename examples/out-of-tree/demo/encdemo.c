/*
 * encdemo.c -- encodes each argument (or "hello" if there is none) through
 * the tinyenc SPy module and prints, per input:
 *
 *     base64 <arg> <encoding>
 *     base32 <arg> <encoding>
 *     crc32 <arg> <8 lowercase hex digits>
 *
 * Runs the same on native, static musl, wasi and emscripten.
 */
#include <stdio.h>

#include "spy.h"
#include "spyvm_tinyenc.h"

static void put_str(spy_Str *s)
{
    fwrite(spy_str_utf8(s), 1, spy_str_len(s), stdout);
}

static void show(spy_Str *arg)
{
    spy_Str *b64 = spy_tinyenc$b64encode(arg);
    spy_Str *b32 = spy_tinyenc$b32encode(arg);
    uint32_t crc = spy_tinyenc$crc32(arg);

    fputs("base64 ", stdout);
    put_str(arg);
    putchar(' ');
    put_str(b64);
    putchar('\n');

    fputs("base32 ", stdout);
    put_str(arg);
    putchar(' ');
    put_str(b32);
    putchar('\n');

    fputs("crc32 ", stdout);
    put_str(arg);
    printf(" %08lx\n", (unsigned long)crc);

    spy_free(b64);
    spy_free(b32);
}

int main(int argc, char **argv)
{
    int i;

    spy_debug_log("encdemo: target %s, %s", SPY_TARGET_NAME, spy_runtime_version());
    if (argc < 2) {
        spy_Str *s = spy_str_from_cstr("hello");
        show(s);
        spy_free(s);
    }
    for (i = 1; i < argc; i++) {
        spy_Str *s = spy_str_from_cstr(argv[i]);
        show(s);
        spy_free(s);
    }
    return fflush(stdout) == 0 ? 0 : 1;
}
