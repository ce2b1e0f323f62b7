/* base32.c -- RFC 4648 section 6 base32 encoding with '=' padding. */
#include "tinyenc.h"
#include "tinyenc_tables.h"

const char tinyenc__b32_alphabet[33] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

size_t tinyenc_base32_encoded_len(size_t n)
{
    return tinyenc__groups(n, 5) * 8;
}

size_t tinyenc_base32_encode(const unsigned char *in, size_t n,
                             char *out, size_t out_cap)
{
    size_t need = tinyenc_base32_encoded_len(n);
    if (out == NULL || out_cap == 0 || need > out_cap - 1)
        return TINYENC_ERROR;
    return tinyenc__encode(in, n, out, tinyenc__b32_alphabet, 5, 8, 5);
}
