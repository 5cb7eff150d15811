/* crc32c.c — CRC-32C, hardware (SSE4.2) with a slicing-by-8 software fallback.
 *
 * The polynomial is Castagnoli's, reflected: 0x82F63B78. Pre- and
 * post-inversion are done inside crc32c(), so callers chain plain values
 * starting from 0 (the iSCSI / ext4 / LevelDB convention). The tables and the
 * CPU check are set up once, under pthread_once, so the first call from any
 * thread is safe. */
#include "store/crc32c.h"

#include <pthread.h>
#include <string.h>

#include "base/assert.h"

#define CRC32C_POLY 0x82F63B78u

static uint32_t crc_table[8][256];
static int crc_have_hw;
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc_init(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = (c & 1) ? (c >> 1) ^ CRC32C_POLY : c >> 1;
        crc_table[0][i] = c;
    }
    /* Slicing-by-8: table[k][i] is the CRC of byte i followed by k zero bytes. */
    for (int k = 1; k < 8; k++)
        for (int i = 0; i < 256; i++)
            crc_table[k][i] = (crc_table[k - 1][i] >> 8) ^ crc_table[0][crc_table[k - 1][i] & 0xff];
#if defined(__x86_64__)
    __builtin_cpu_init();
    crc_have_hw = __builtin_cpu_supports("sse4.2");
#endif
}

static uint32_t crc_sw_raw(uint32_t c, const uint8_t *p, size_t n) {
    while (n >= 8) {
        uint32_t lo = c ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                           (uint32_t)p[3] << 24);
        c = crc_table[7][lo & 0xff] ^ crc_table[6][(lo >> 8) & 0xff] ^
            crc_table[5][(lo >> 16) & 0xff] ^ crc_table[4][lo >> 24] ^ crc_table[3][p[4]] ^
            crc_table[2][p[5]] ^ crc_table[1][p[6]] ^ crc_table[0][p[7]];
        p += 8;
        n -= 8;
    }
    while (n--) c = (c >> 8) ^ crc_table[0][(c ^ *p++) & 0xff];
    return c;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) static uint32_t crc_hw_raw(uint32_t c, const uint8_t *p,
                                                              size_t n) {
    uint64_t c64 = c;
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, p, 8); /* x86 is little-endian; memcpy avoids unaligned UB */
        c64 = __builtin_ia32_crc32di(c64, w);
        p += 8;
        n -= 8;
    }
    c = (uint32_t)c64;
    while (n--) c = __builtin_ia32_crc32qi(c, *p++);
    return c;
}
#endif

uint32_t crc32c_sw(uint32_t crc, const void *data, size_t n) {
    HANSA_ASSERT(data != NULL || n == 0);
    pthread_once(&crc_once, crc_init);
    return ~crc_sw_raw(~crc, data, n);
}

uint32_t crc32c(uint32_t crc, const void *data, size_t n) {
    HANSA_ASSERT(data != NULL || n == 0);
    pthread_once(&crc_once, crc_init);
#if defined(__x86_64__)
    if (crc_have_hw) return ~crc_hw_raw(~crc, data, n);
#endif
    return ~crc_sw_raw(~crc, data, n);
}

const char *crc32c_backend(void) {
    pthread_once(&crc_once, crc_init);
    return crc_have_hw ? "sse4.2" : "software";
}
