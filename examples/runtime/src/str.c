/* str.c -- length-prefixed string and bytes objects. */
#include <string.h>

#include "runtime_internal.h"

/* The JS host reads spy_Str through raw memory; keep the wasm32 layout
   documented in README.md honest (C99-compatible static assertion). */
#if defined(__wasm32__)
typedef char spy__check_str_length_at_0[offsetof(spy_Str, length) == 0 ? 1 : -1];
typedef char spy__check_str_hash_at_4[offsetof(spy_Str, hash) == 4 ? 1 : -1];
typedef char spy__check_str_utf8_at_8[offsetof(spy_Str, utf8) == 8 ? 1 : -1];
#endif

spy_Str *WASM_EXPORT(spy_str_alloc)(size_t length)
{
    size_t total = spy__size_add(sizeof(spy_Str), spy__size_add(length, 1));
    spy_Str *s = spy_alloc(total);
    s->length = length;
    s->hash = 0;
    memset(s->utf8, 0, length + 1);
    return s;
}

spy_Str *spy_str_from_cstr(const char *cstr)
{
    size_t n = strlen(cstr);
    spy_Str *s = spy_str_alloc(n);
    memcpy(s->utf8, cstr, n);
    return s;
}

spy_Bytes *spy_bytes_alloc(size_t length)
{
    spy_Bytes *b = spy_alloc(spy__size_add(sizeof(spy_Bytes), length));
    b->length = length;
    memset(b->data, 0, length);
    return b;
}

size_t WASM_EXPORT(spy_str_len)(spy_Str *s)
{
    return s->length;
}

const char *WASM_EXPORT(spy_str_utf8)(spy_Str *s)
{
    return s->utf8;
}

spy_Str *spy_str_add(spy_Str *a, spy_Str *b)
{
    spy_Str *r = spy_str_alloc(spy__size_add(a->length, b->length));
    memcpy(r->utf8, a->utf8, a->length);
    memcpy(r->utf8 + a->length, b->utf8, b->length);
    spy_debug_log("str_add: %zu + %zu bytes", a->length, b->length);
    return r;
}

int spy_str_eq(spy_Str *a, spy_Str *b)
{
    if (a == b)
        return 1;
    if (a->length != b->length)
        return 0;
    return memcmp(a->utf8, b->utf8, a->length) == 0;
}
