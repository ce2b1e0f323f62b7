/* spyvm_tinyenc.c -- glue between the runtime's spy_Str and tinyenc. */
#include <stdlib.h>

#include "spyvm_tinyenc.h"
#include "tinyenc.h"

typedef size_t (*encoder_fn)(const unsigned char *, size_t, char *, size_t);

static spy_Str *encode_with(const char *name, encoder_fn encode, size_t out_len,
                            spy_Str *s)
{
    spy_Str *r = spy_str_alloc(out_len);          /* out_len + NUL bytes */
    size_t written = encode((const unsigned char *)s->utf8, s->length,
                            r->utf8, out_len + 1);
    if (written != out_len) {
        /* Cannot happen unless tinyenc and its *_encoded_len disagree. */
        spy_debug_log("tinyenc.%s: encoder wrote %zu chars, expected %zu",
                      name, written, out_len);
        abort();
    }
    spy_debug_log("tinyenc.%s: %zu bytes -> %zu chars", name, s->length, written);
    return r;
}

spy_Str *WASM_EXPORT(spy_tinyenc$b64encode)(spy_Str *s)
{
    return encode_with("b64encode", tinyenc_base64_encode,
                       tinyenc_base64_encoded_len(s->length), s);
}

spy_Str *WASM_EXPORT(spy_tinyenc$b32encode)(spy_Str *s)
{
    return encode_with("b32encode", tinyenc_base32_encode,
                       tinyenc_base32_encoded_len(s->length), s);
}

uint32_t WASM_EXPORT(spy_tinyenc$crc32)(spy_Str *s)
{
    uint32_t crc = tinyenc_crc32((const unsigned char *)s->utf8, s->length);
    spy_debug_log("tinyenc.crc32: %zu bytes -> 0x%08lx", s->length, (unsigned long)crc);
    return crc;
}
