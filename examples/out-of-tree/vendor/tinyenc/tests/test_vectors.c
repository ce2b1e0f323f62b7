/* test_vectors.c -- checks tinyenc against RFC 4648 section 10 and the
   standard CRC-32 check value.  Prints "ok N vectors" or the first failure. */
#include <stdio.h>
#include <string.h>

#include "tinyenc.h"

struct vector {
    const char *in;
    const char *b64;
    const char *b32;
};

static const struct vector rfc4648[] = {
    { "",       "",         ""                 },
    { "f",      "Zg==",     "MY======"         },
    { "fo",     "Zm8=",     "MZXQ===="         },
    { "foo",    "Zm9v",     "MZXW6==="         },
    { "foob",   "Zm9vYg==", "MZXW6YQ="         },
    { "fooba",  "Zm9vYmE=", "MZXW6YTB"         },
    { "foobar", "Zm9vYmFy", "MZXW6YTBOI======" },
};

static int failures;
static int checked;

static void check_str(const char *what, const char *in, const char *got,
                      size_t got_len, const char *want)
{
    checked++;
    if (got_len != strlen(want) || strcmp(got, want) != 0) {
        printf("FAIL %s(\"%s\"): got \"%s\" (len %zu), want \"%s\"\n",
               what, in, got, got_len, want);
        failures++;
    }
}

static void check_u32(const char *what, const char *in, unsigned long got,
                      unsigned long want)
{
    checked++;
    if (got != want) {
        printf("FAIL %s(\"%s\"): got 0x%08lx, want 0x%08lx\n", what, in, got, want);
        failures++;
    }
}

int main(void)
{
    char buf[64];
    size_t i;
    const unsigned char *digits = (const unsigned char *)"123456789";

    for (i = 0; i < sizeof rfc4648 / sizeof rfc4648[0]; i++) {
        const struct vector *v = &rfc4648[i];
        const unsigned char *in = (const unsigned char *)v->in;
        size_t n = strlen(v->in), len;

        len = tinyenc_base64_encode(in, n, buf, sizeof buf);
        check_str("base64", v->in, len == TINYENC_ERROR ? "<error>" : buf, len, v->b64);
        if (tinyenc_base64_encoded_len(n) != strlen(v->b64)) {
            printf("FAIL base64_encoded_len(%zu)\n", n);
            failures++;
        }

        len = tinyenc_base32_encode(in, n, buf, sizeof buf);
        check_str("base32", v->in, len == TINYENC_ERROR ? "<error>" : buf, len, v->b32);
        if (tinyenc_base32_encoded_len(n) != strlen(v->b32)) {
            printf("FAIL base32_encoded_len(%zu)\n", n);
            failures++;
        }
    }

    check_u32("crc32", "123456789", tinyenc_crc32(digits, 9), 0xCBF43926ul);
    check_u32("crc32", "", tinyenc_crc32(digits, 0), 0ul);
    check_u32("crc32_update", "1234|56789",
              tinyenc_crc32_update(tinyenc_crc32(digits, 4), digits + 4, 5),
              0xCBF43926ul);

    /* A buffer without room for the NUL must be rejected. */
    checked++;
    if (tinyenc_base64_encode((const unsigned char *)"foo", 3, buf, 4) != TINYENC_ERROR) {
        printf("FAIL base64 with out_cap 4 for \"foo\" should be an error\n");
        failures++;
    }

    if (failures) {
        printf("%d of %d vectors failed\n", failures, checked);
        return 1;
    }
    printf("ok %d vectors\n", checked);
    return 0;
}
