/* base64.c -- RFC 4648 section 4 base64 encoding with '=' padding. */
#include "tinyenc.h"
#include "tinyenc_tables.h"

const char tinyenc__b64_alphabet[65] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "abcdefghijklmnopqrstuvwxyz"
    "0123456789+/";

size_t tinyenc_base64_encoded_len(size_t n)
{
    return tinyenc__groups(n, 3) * 4;
}

size_t tinyenc_base64_encode(const unsigned char *in, size_t n,
                             char *out, size_t out_cap)
{
    size_t need = tinyenc_base64_encoded_len(n);
    if (out == NULL || out_cap == 0 || need > out_cap - 1)
        return TINYENC_ERROR;
    return tinyenc__encode(in, n, out, tinyenc__b64_alphabet, 3, 4, 6);
}
