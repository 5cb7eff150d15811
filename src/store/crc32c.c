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
/* The hardware path runs three independent crc32 streams over three
 * adjacent blocks, hiding the instruction's 3-cycle latency (one stream
 * does ~8 GB/s, three ~3x that), then joins them: a CRC (before the final
 * inversion) is linear, so crc(A || B) = crc(A) shifted over |B| zero bytes
 * xor crc(B) started from 0. These tables shift a CRC over CRC_LONG and
 * CRC_SHORT zero bytes, a byte of it at a time (Mark Adler's crc32c.c,
 * https://stackoverflow.com/a/17646775). */
#define CRC_LONG 8192
#define CRC_SHORT 256
static uint32_t crc_long[4][256], crc_short[4][256];
static int crc_have_hw;
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

/* mat (32 columns) times vec over GF(2). */
static uint32_t gf2_times(const uint32_t *mat, uint32_t vec) {
    uint32_t sum = 0;
    for (; vec; vec >>= 1, mat++)
        if (vec & 1) sum ^= *mat;
    return sum;
}

static void gf2_square(uint32_t *square, const uint32_t *mat) {
    for (int n = 0; n < 32; n++) square[n] = gf2_times(mat, mat[n]);
}

/* The operator that runs a CRC over len zero bytes (len a power of two). */
static void zeros_op(uint32_t *even, size_t len) {
    uint32_t odd[32];
    odd[0] = CRC32C_POLY; /* one zero bit */
    for (int n = 1; n < 32; n++) odd[n] = (uint32_t)1 << (n - 1);
    gf2_square(even, odd); /* two zero bits */
    gf2_square(odd, even); /* four */
    for (;;) {             /* then one byte, two, four, ... len */
        gf2_square(even, odd);
        len >>= 1;
        if (len == 0) return;
        gf2_square(odd, even);
        len >>= 1;
        if (len == 0) break;
    }
    memcpy(even, odd, sizeof odd);
}

static void zeros_table(uint32_t zeros[4][256], size_t len) {
    uint32_t op[32];
    zeros_op(op, len);
    for (uint32_t n = 0; n < 256; n++)
        for (int k = 0; k < 4; k++) zeros[k][n] = gf2_times(op, n << (8 * k));
}

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
    zeros_table(crc_long, CRC_LONG);
    zeros_table(crc_short, CRC_SHORT);
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
static uint32_t crc_shift(uint32_t zeros[4][256], uint32_t c) {
    return zeros[0][c & 0xff] ^ zeros[1][(c >> 8) & 0xff] ^ zeros[2][(c >> 16) & 0xff] ^
           zeros[3][c >> 24];
}

static inline uint64_t load64(const uint8_t *p) {
    uint64_t w;
    memcpy(&w, p, 8); /* x86 is little-endian; memcpy avoids unaligned UB */
    return w;
}

/* Three streams over three adjacent blocks of `block` bytes each, joined
 * into c (see crc_long). */
__attribute__((target("sse4.2"))) static uint64_t crc_hw_three(uint64_t c, const uint8_t *p,
                                                               size_t block,
                                                               uint32_t zeros[4][256]) {
    uint64_t c1 = 0, c2 = 0;
    for (const uint8_t *end = p + block; p < end; p += 8) {
        c = __builtin_ia32_crc32di(c, load64(p));
        c1 = __builtin_ia32_crc32di(c1, load64(p + block));
        c2 = __builtin_ia32_crc32di(c2, load64(p + 2 * block));
    }
    c = crc_shift(zeros, (uint32_t)c) ^ (uint32_t)c1;
    return crc_shift(zeros, (uint32_t)c) ^ (uint32_t)c2;
}

__attribute__((target("sse4.2"))) static uint32_t crc_hw_raw(uint32_t c, const uint8_t *p,
                                                              size_t n) {
    uint64_t c64 = c;
    for (; n >= 3 * CRC_LONG; p += 3 * CRC_LONG, n -= 3 * CRC_LONG)
        c64 = crc_hw_three(c64, p, CRC_LONG, crc_long);
    for (; n >= 3 * CRC_SHORT; p += 3 * CRC_SHORT, n -= 3 * CRC_SHORT)
        c64 = crc_hw_three(c64, p, CRC_SHORT, crc_short);
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
