/*
 * tinyenc_tables.h -- private to tinyenc's sources: alphabets, constants
 * and the group encoder shared by base64.c and base32.c.
 */
#ifndef TINYENC_TABLES_H
#define TINYENC_TABLES_H

#include <stddef.h>
#include <stdint.h>

#define TINYENC_PAD '='

/* Reflected form of the IEEE 802.3 CRC-32 polynomial 0x04C11DB7. */
#define TINYENC_CRC32_POLY 0xEDB88320u

/* Defined in base64.c and base32.c respectively. */
extern const char tinyenc__b64_alphabet[65];
extern const char tinyenc__b32_alphabet[33];

/* ceil(n / group) without overflowing for large n. */
static inline size_t tinyenc__groups(size_t n, size_t group)
{
    return n / group + (n % group != 0);
}

/*
 * RFC 4648 style encoder for one alphabet: the input is cut into groups of
 * `in_group` bytes (3 for base64, 5 for base32); each group is read as one
 * big-endian number of in_group*8 bits and written as `out_group` symbols of
 * `bits` bits each.  A short final group is zero-extended, and the symbols
 * that carry no input bits are replaced by '='.
 * `out` must hold groups * out_group + 1 bytes; returns the chars written.
 */
static inline size_t tinyenc__encode(const unsigned char *in, size_t n,
                                     char *out, const char *alphabet,
                                     unsigned in_group, unsigned out_group,
                                     unsigned bits)
{
    const uint64_t mask = ((uint64_t)1 << bits) - 1;
    const unsigned total_bits = in_group * 8;
    size_t pos = 0;

    while (n > 0) {
        unsigned take = n < in_group ? (unsigned)n : in_group;
        unsigned used_symbols = (take * 8 + bits - 1) / bits;
        uint64_t acc = 0;
        unsigned i;

        for (i = 0; i < in_group; i++)
            acc = (acc << 8) | (i < take ? in[i] : 0u);
        for (i = 0; i < out_group; i++) {
            if (i < used_symbols)
                out[pos++] = alphabet[(acc >> (total_bits - (i + 1) * bits)) & mask];
            else
                out[pos++] = TINYENC_PAD;
        }
        in += take;
        n -= take;
    }
    out[pos] = '\0';
    return pos;
}

#endif /* TINYENC_TABLES_H */
