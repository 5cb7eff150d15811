/* Tests of the record header and CRC-32C (store/record.h, store/crc32c.h):
 * known answers, hardware = software, and that every single-bit flip of a
 * record, and every wrong key, is rejected as corrupt with a reason. */
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/rng.h"
#include "check.h"
#include "store/crc32c.h"
#include "store/record.h"

/* RFC 3720 (iSCSI) appendix B.4 and the classic check value. */
static void test_crc32c_known_answers(void) {
    uint8_t buf[32];
    CHECK_EQ_U64(crc32c(0, "123456789", 9), 0xE3069283u);
    memset(buf, 0, sizeof buf);
    CHECK_EQ_U64(crc32c(0, buf, 32), 0x8A9136AAu);
    memset(buf, 0xff, sizeof buf);
    CHECK_EQ_U64(crc32c(0, buf, 32), 0x62A8AB43u);
    for (int i = 0; i < 32; i++) buf[i] = (uint8_t)i;
    CHECK_EQ_U64(crc32c(0, buf, 32), 0x46DD794Eu);
    for (int i = 0; i < 32; i++) buf[i] = (uint8_t)(31 - i);
    CHECK_EQ_U64(crc32c(0, buf, 32), 0x113FDB5Cu);
    CHECK_EQ_U64(crc32c(0, NULL, 0), 0);
    fprintf(stderr, "  crc32c backend: %s\n", crc32c_backend());
}

/* The two paths agree on every length and alignment, and chaining works. */
static void test_crc32c_paths_agree(void) {
    hansa_prng p;
    prng_seed(&p, check_seed("crc32c_paths_agree", 7));
    uint8_t buf[1100];
    prng_fill(&p, buf, sizeof buf);
    for (size_t off = 0; off < 8; off++)
        for (size_t n = 0; n + off <= sizeof buf; n += 1 + n / 8) {
            uint32_t sw = crc32c_sw(0, buf + off, n), hw = crc32c(0, buf + off, n);
            CHECK_EQ_U64(sw, hw);
            size_t cut = n / 3;
            CHECK_EQ_U64(crc32c(crc32c(0, buf + off, cut), buf + off + cut, n - cut), hw);
        }
}

/* The same for lengths that take the hardware path's three-stream blocks
 * (3 x 8192 and 3 x 256 bytes) once, several times, and not quite. */
static void test_crc32c_long_paths_agree(void) {
    hansa_prng p;
    prng_seed(&p, check_seed("crc32c_long_paths_agree", 7));
    static uint8_t buf[2 * 3 * 8192 + 5 * 3 * 256 + 64];
    prng_fill(&p, buf, sizeof buf);
    size_t lens[] = {767, 768, 769, 775, 776, 3 * 768 + 17, 24575, 24576, 24577, 24576 + 768,
                     24576 + 768 + 9, 2 * 24576 - 1, 2 * 24576 + 4 * 768 + 13, sizeof buf - 8};
    for (size_t off = 0; off < 8; off += 3)
        for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
            size_t n = lens[i];
            uint32_t sw = crc32c_sw(0, buf + off, n), hw = crc32c(0, buf + off, n);
            CHECK_EQ_U64(sw, hw);
            size_t cut = n / 3 + off;
            CHECK_EQ_U64(crc32c(crc32c(0, buf + off, cut), buf + off + cut, n - cut), hw);
        }
}

static const uint8_t test_key[] = {0, 0, 0, 0, 0, 0, 0, 7};

static void seal(uint8_t *rec, const uint8_t *payload, size_t n) {
    memcpy(rec + STORE_RECORD_HEADER_BYTES, payload, n);
    store_record_seal(rec, STORE_REC_COMMIT, test_key, sizeof test_key,
                      rec + STORE_RECORD_HEADER_BYTES, n);
}

static void test_record_roundtrip(void) {
    uint8_t rec[STORE_RECORD_HEADER_BYTES + 5];
    seal(rec, (const uint8_t *)"hello", 5);
    CHECK_EQ_U64(rec[0], STORE_RECORD_VERSION);
    CHECK_EQ_U64(rec[1], STORE_REC_COMMIT);
    CHECK_EQ_U64(le32_load(rec + 2), 5);
    const uint8_t *p = NULL;
    size_t n = 0;
    char why[160];
    CHECK_ERR(store_record_check(rec, sizeof rec, STORE_REC_COMMIT, test_key, sizeof test_key,
                                 &p, &n, why, sizeof why),
              HANSA_OK);
    CHECK(n == 5 && p == rec + STORE_RECORD_HEADER_BYTES && memcmp(p, "hello", 5) == 0);
    /* An empty payload is a valid record. */
    uint8_t empty[STORE_RECORD_HEADER_BYTES];
    store_record_seal(empty, STORE_REC_STATE, test_key, sizeof test_key, NULL, 0);
    CHECK_ERR(store_record_check(empty, sizeof empty, STORE_REC_STATE, test_key, sizeof test_key,
                                 &p, &n, why, sizeof why),
              HANSA_OK);
    CHECK_EQ_U64(n, 0);
}

static hansa_err check_rec(const uint8_t *rec, size_t len, char *why) {
    const uint8_t *p;
    size_t n;
    return store_record_check(rec, len, STORE_REC_COMMIT, test_key, sizeof test_key, &p, &n,
                              why, 160);
}

static void test_record_rejections(void) {
    uint8_t rec[STORE_RECORD_HEADER_BYTES + 5], bad[sizeof rec];
    char why[160];
    seal(rec, (const uint8_t *)"hello", 5);

    CHECK_ERR(check_rec(rec, 3, why), HANSA_ERR_CORRUPT);
    CHECK(strstr(why, "shorter than") != NULL);

    memcpy(bad, rec, sizeof rec);
    bad[0] = 2;
    CHECK_ERR(check_rec(bad, sizeof bad, why), HANSA_ERR_CORRUPT);
    CHECK(strstr(why, "version 2") != NULL);

    memcpy(bad, rec, sizeof rec);
    bad[1] = STORE_REC_BLOCK;
    CHECK_ERR(check_rec(bad, sizeof bad, why), HANSA_ERR_CORRUPT);
    CHECK(strstr(why, "type 1, expected 3") != NULL);

    memcpy(bad, rec, sizeof rec);
    le32_store(bad + 2, 4);
    CHECK_ERR(check_rec(bad, sizeof bad, why), HANSA_ERR_CORRUPT);
    CHECK(strstr(why, "length 4") != NULL);
    CHECK_ERR(check_rec(rec, sizeof rec - 1, why), HANSA_ERR_CORRUPT); /* truncated value */
    CHECK(strstr(why, "length 5") != NULL);

    memcpy(bad, rec, sizeof rec);
    bad[sizeof bad - 1] ^= 0x40;
    CHECK_ERR(check_rec(bad, sizeof bad, why), HANSA_ERR_CORRUPT);
    CHECK(strstr(why, "checksum") != NULL);

    /* The same bytes under another key: a misdirected record. */
    const uint8_t other_key[] = {0, 0, 0, 0, 0, 0, 0, 8};
    const uint8_t *p;
    size_t n;
    CHECK_ERR(store_record_check(rec, sizeof rec, STORE_REC_COMMIT, other_key, sizeof other_key,
                                 &p, &n, why, sizeof why),
              HANSA_ERR_CORRUPT);
    CHECK(strstr(why, "checksum") != NULL);
}

/* Every single-bit flip anywhere in a record is caught. */
static void test_record_every_bit_flip(void) {
    uint8_t rec[STORE_RECORD_HEADER_BYTES + 40], bad[sizeof rec];
    uint8_t payload[40];
    for (int i = 0; i < 40; i++) payload[i] = (uint8_t)(i * 37);
    seal(rec, payload, sizeof payload);
    char why[160];
    int caught = 0;
    for (size_t bit = 0; bit < 8 * sizeof rec; bit++) {
        memcpy(bad, rec, sizeof rec);
        bad[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        if (check_rec(bad, sizeof bad, why) == HANSA_ERR_CORRUPT) caught++;
    }
    CHECK_EQ_U64(caught, 8 * sizeof rec);
}

int main(void) {
    RUN(test_crc32c_known_answers);
    RUN(test_crc32c_paths_agree);
    RUN(test_crc32c_long_paths_agree);
    RUN(test_record_roundtrip);
    RUN(test_record_rejections);
    RUN(test_record_every_bit_flip);
    return check_summary();
}
