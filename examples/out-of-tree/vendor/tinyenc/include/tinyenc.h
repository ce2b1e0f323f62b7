/*
 * tinyenc.h -- tiny encoders: base64 and base32 (RFC 4648, with '='
 * padding) and CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320).
 *
 * Plain C99, no allocation, no global state apart from a CRC table that is
 * filled in on first use.
 */
#ifndef TINYENC_H
#define TINYENC_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Returned by the encoders when the output buffer is too small. */
#define TINYENC_ERROR ((size_t)-1)

/* Number of characters (excluding the NUL) needed to encode n bytes. */
size_t tinyenc_base64_encoded_len(size_t n);
size_t tinyenc_base32_encoded_len(size_t n);

/* Encode n bytes from `in` into `out`, followed by a NUL.  `out_cap` is the
   size of `out` in bytes and must be at least encoded_len(n) + 1.
   Returns the number of characters written (excluding the NUL), or
   TINYENC_ERROR if out_cap is too small (then nothing is written). */
size_t tinyenc_base64_encode(const unsigned char *in, size_t n,
                             char *out, size_t out_cap);
size_t tinyenc_base32_encode(const unsigned char *in, size_t n,
                             char *out, size_t out_cap);

/* CRC-32 of n bytes.  tinyenc_crc32(p, n) == tinyenc_crc32_update(0, p, n),
   and tinyenc_crc32_update(tinyenc_crc32(a, na), b, nb) is the CRC-32 of
   the concatenation a || b.  The lazily built table makes the very first
   call not thread-safe. */
uint32_t tinyenc_crc32(const unsigned char *p, size_t n);
uint32_t tinyenc_crc32_update(uint32_t crc, const unsigned char *p, size_t n);

#ifdef __cplusplus
}
#endif

#endif /* TINYENC_H */
