/* fuzz_store_record.c — libFuzzer harness for store_record_check, the
 * decoder of every value the store reads from disk.
 *
 * Input: type byte, key length byte, key, then the record. Properties: the
 * check never reads outside the value (ASan), and a record it accepts is
 * canonical — sealing its payload again under the same key and type gives
 * the same bytes. The hardware and software CRC-32C paths agree on every
 * input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "store/crc32c.h"
#include "store/record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    HANSA_ASSERT(crc32c(0, data, size) == crc32c_sw(0, data, size));
    if (size < 2) return 0;
    store_rec_type type = (store_rec_type)(1 + data[0] % 7);
    size_t klen = 1 + data[1] % 32;
    if (size < 2 + klen) return 0;
    const uint8_t *key = data + 2, *val = key + klen;
    size_t len = size - 2 - klen;
    /* A private copy, so reads past the value hit ASan's redzone. */
    uint8_t *copy = malloc(len ? len : 1);
    if (len) memcpy(copy, val, len);
    const uint8_t *p;
    size_t plen;
    char why[160];
    if (store_record_check(copy, len, type, key, klen, &p, &plen, why, sizeof why) == 0) {
        HANSA_ASSERT(plen + STORE_RECORD_HEADER_BYTES == len);
        uint8_t hdr[STORE_RECORD_HEADER_BYTES];
        store_record_seal(hdr, type, key, klen, p, plen);
        HANSA_ASSERT(memcmp(hdr, copy, sizeof hdr) == 0);
    } else {
        HANSA_ASSERT(why[0] != '\0');
    }
    free(copy);
    return 0;
}
