/* crc32.c -- table-driven CRC-32 (IEEE, reflected, poly 0xEDB88320). */
#include "tinyenc.h"
#include "tinyenc_tables.h"

static uint32_t crc_table[256];
static int crc_table_ready;

/* Entry i is the CRC register after shifting the byte i through the
   polynomial division one bit at a time. */
static void crc_table_build(void)
{
    uint32_t i;
    for (i = 0; i < 256; i++) {
        uint32_t c = i;
        int bit;
        for (bit = 0; bit < 8; bit++)
            c = (c & 1u) ? (c >> 1) ^ TINYENC_CRC32_POLY : (c >> 1);
        crc_table[i] = c;
    }
    crc_table_ready = 1;
}

uint32_t tinyenc_crc32_update(uint32_t crc, const unsigned char *p, size_t n)
{
    if (!crc_table_ready)
        crc_table_build();
    crc = ~crc;
    while (n-- > 0)
        crc = crc_table[(crc ^ *p++) & 0xFFu] ^ (crc >> 8);
    return ~crc;
}

uint32_t tinyenc_crc32(const unsigned char *p, size_t n)
{
    return tinyenc_crc32_update(0, p, n);
}
