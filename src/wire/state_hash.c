/* state_hash.c — see state_hash.h. */
#include "wire/state_hash.h"

#include <string.h>

#include "base/assert.h"
#include "base/buf.h"
#include "crypto/sha256.h"

void state_record_leaf_hash(const uint8_t *key, size_t key_len, const uint8_t *val, size_t val_len,
                            hansa_hash *out) {
    HANSA_ASSERT(key_len >= 1 && key_len <= UINT16_MAX && val_len >= 1);
    uint8_t pre[3] = {0x00}; /* RFC 6962 leaf prefix, then u16 key_len */
    le16_store(pre + 1, (uint16_t)key_len);
    sha256_ctx c;
    sha256_init(&c);
    sha256_update(&c, pre, sizeof pre);
    sha256_update(&c, key, key_len);
    sha256_update(&c, val, val_len);
    sha256_final(&c, out);
}

void state_app_hash_checkpoint(const hansa_hash *prev, uint64_t height, const hansa_hash *writes_hash,
                               const hansa_hash *state_root, hansa_hash *out) {
    uint8_t buf[3 * HANSA_HASH_BYTES + 8];
    memcpy(buf, prev->b, HANSA_HASH_BYTES);
    le64_store(buf + HANSA_HASH_BYTES, height);
    memcpy(buf + HANSA_HASH_BYTES + 8, writes_hash->b, HANSA_HASH_BYTES);
    memcpy(buf + 2 * HANSA_HASH_BYTES + 8, state_root->b, HANSA_HASH_BYTES);
    sha256(buf, sizeof buf, out);
}
