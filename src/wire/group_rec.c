/* group_rec.c — see group_rec.h. */
#include "wire/group_rec.h"

#include <stdbool.h>
#include <string.h>

#include "base/assert.h"
#include "wire/frost_rd.h"

uint16_t frost_group_threshold(uint16_t n) {
    HANSA_ASSERT(n >= 1);
    return (uint16_t)(2 * (uint32_t)n / 3 + 1);
}

static bool qual_has(const uint8_t *qual, uint16_t id) { return (qual[(id - 1) / 8] >> ((id - 1) % 8)) & 1; }

size_t frost_group_rec_key(uint64_t epoch, uint8_t *out) {
    out[0] = FROST_KEY_GROUP;
    be64_store(out + 1, epoch);
    return FROST_KEY_GROUP_BYTES;
}

void frost_group_rec_encode(hbuf *b, const frost_group_rec *g) {
    HANSA_ASSERT(g->n >= 1 && g->n <= FROST_PARTICIPANTS_MAX);
    HANSA_ASSERT(g->t == frost_group_threshold(g->n));
    hbuf_put_u8(b, FROST_GROUP_REC_VERSION);
    hbuf_append(b, g->valset_hash.b, HANSA_HASH_BYTES);
    hbuf_put_u16(b, g->n);
    hbuf_put_u16(b, g->t);
    hbuf_append(b, g->qual, FROST_GROUP_QUAL_BYTES);
    hbuf_append(b, g->key.b, FROST_POINT_BYTES);
    hbuf_put_u64(b, g->keyed_at);
}

hansa_err frost_group_rec_decode(const uint8_t *p, size_t len, frost_group_rec *out, wire_rd *r) {
    wire_rd local;
    if (r == NULL) r = &local;
    memset(out, 0, sizeof *out);
    rd_init(r, p, len);
    size_t at = r->off;
    if (rd_u8(r, "version") != FROST_GROUP_REC_VERSION) frd_fail_at(r, HANSA_ERR_VERSION, at, "version");
    rd_fixed(r, out->valset_hash.b, HANSA_HASH_BYTES, "valset_hash");
    at = r->off;
    out->n = rd_u16(r, "n");
    if (out->n == 0 || out->n > FROST_PARTICIPANTS_MAX) frd_fail_at(r, HANSA_ERR_INVALID, at, "n");
    at = r->off;
    out->t = rd_u16(r, "t");
    if (r->err == HANSA_OK && out->t != frost_group_threshold(out->n))
        frd_fail_at(r, HANSA_ERR_INVALID, at, "t (not the set's threshold)");
    at = r->off;
    rd_fixed(r, out->qual, FROST_GROUP_QUAL_BYTES, "qual");
    uint16_t count = 0;
    for (uint16_t id = 1; id <= FROST_PARTICIPANTS_MAX; id++) {
        if (!qual_has(out->qual, id)) continue;
        if (id > out->n) frd_fail_at(r, HANSA_ERR_INVALID, at, "qual (a dealer outside the set)");
        count++;
    }
    if (r->err == HANSA_OK && count < out->t)
        frd_fail_at(r, HANSA_ERR_INVALID, at, "qual (fewer dealers than the threshold)");
    frd_point(r, &out->key, "key");
    at = r->off;
    out->keyed_at = rd_u64(r, "keyed_at");
    if (out->keyed_at == 0) frd_fail_at(r, HANSA_ERR_INVALID, at, "keyed_at");
    rd_end(r);
    if (r->err != HANSA_OK) memset(out, 0, sizeof *out);
    return r->err;
}
