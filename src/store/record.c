/* record.c — see record.h. The checks run in the order that gives the most
 * useful message: a record from a newer build says "version", not
 * "checksum"; a truncated one says "length". */
#include "store/record.h"

#include <stdio.h>

#include "base/assert.h"
#include "base/buf.h"
#include "store/crc32c.h"

static uint32_t record_crc(const uint8_t *key, size_t klen, const uint8_t *hdr,
                           const uint8_t *payload, size_t plen) {
    uint32_t c = crc32c(0, key, klen);
    c = crc32c(c, hdr, 6);
    return crc32c(c, payload, plen);
}

void store_record_seal_fields(uint8_t hdr[STORE_RECORD_HEADER_BYTES], store_rec_type type, size_t plen) {
    HANSA_ASSERT(plen <= STORE_PAYLOAD_BYTES_MAX);
    hdr[0] = STORE_RECORD_VERSION;
    hdr[1] = (uint8_t)type;
    le32_store(hdr + 2, (uint32_t)plen);
    le32_store(hdr + 6, 0);
}

void store_record_seal_crc(uint8_t hdr[STORE_RECORD_HEADER_BYTES], const uint8_t *key, size_t klen,
                           const uint8_t *payload) {
    uint32_t plen = le32_load(hdr + 2);
    HANSA_ASSERT(plen <= STORE_PAYLOAD_BYTES_MAX);
    HANSA_ASSERT(klen > 0);
    HANSA_ASSERT(payload != NULL || plen == 0);
    le32_store(hdr + 6, record_crc(key, klen, hdr, payload, plen));
}

void store_record_seal(uint8_t hdr[STORE_RECORD_HEADER_BYTES], store_rec_type type,
                       const uint8_t *key, size_t klen, const uint8_t *payload, size_t plen) {
    store_record_seal_fields(hdr, type, plen);
    store_record_seal_crc(hdr, key, klen, payload);
}

hansa_err store_record_check(const uint8_t *val, size_t len, store_rec_type type,
                             const uint8_t *key, size_t klen, const uint8_t **payload,
                             size_t *plen, char *why, size_t why_n) {
    HANSA_ASSERT(val != NULL || len == 0);
    HANSA_ASSERT(why != NULL && why_n > 0);
    if (len < STORE_RECORD_HEADER_BYTES) {
        snprintf(why, why_n, "value is %zu bytes, shorter than the %d-byte record header", len,
                 STORE_RECORD_HEADER_BYTES);
        return HANSA_ERR_CORRUPT;
    }
    if (val[0] != STORE_RECORD_VERSION) {
        snprintf(why, why_n, "record version %u, this build reads version %u", val[0],
                 STORE_RECORD_VERSION);
        return HANSA_ERR_CORRUPT;
    }
    if (val[1] != (uint8_t)type) {
        snprintf(why, why_n, "record type %u, expected %u", val[1], (unsigned)type);
        return HANSA_ERR_CORRUPT;
    }
    uint32_t want_len = le32_load(val + 2);
    size_t have_len = len - STORE_RECORD_HEADER_BYTES;
    if (want_len > STORE_PAYLOAD_BYTES_MAX || want_len != have_len) {
        snprintf(why, why_n, "header length %u, but the value holds %zu payload bytes", want_len,
                 have_len);
        return HANSA_ERR_CORRUPT;
    }
    const uint8_t *p = val + STORE_RECORD_HEADER_BYTES;
    uint32_t want_crc = le32_load(val + 6);
    uint32_t have_crc = record_crc(key, klen, val, p, have_len);
    if (want_crc != have_crc) {
        snprintf(why, why_n, "checksum mismatch: header says crc32c %08x, data gives %08x",
                 want_crc, have_crc);
        return HANSA_ERR_CORRUPT;
    }
    *payload = p;
    *plen = have_len;
    return HANSA_OK;
}
