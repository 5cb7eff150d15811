/* checkpoint.c — see checkpoint.h. The decoders accept exactly what the
 * encoders write (fuzz/fuzz_checkpoint.c and fuzz/fuzz_handoff.c check
 * encode(decode(x)) == x). */
#include "wire/checkpoint.h"

#include <stdio.h>
#include <string.h>

#include "wire/frost_rd.h"

_Static_assert(sizeof CHECKPOINT_DOMAIN - 1 == 19, "domain length in CHECKPOINT_MSG_BYTES");
_Static_assert(CHECKPOINT_BYTES == 145, "checkpoint layout in docs/wire.md");

void checkpoint_msg(hbuf *b, uint32_t chain_id, uint64_t height, const hansa_hash *header_hash,
                    uint64_t epoch) {
    hbuf_append(b, CHECKPOINT_DOMAIN, sizeof CHECKPOINT_DOMAIN - 1);
    hbuf_put_u32(b, chain_id);
    hbuf_put_u64(b, height);
    hbuf_append(b, header_hash->b, HANSA_HASH_BYTES);
    hbuf_put_u64(b, epoch);
}

void checkpoint_encode(hbuf *b, const checkpoint *c) {
    hbuf_put_u8(b, WIRE_VERSION);
    hbuf_put_u64(b, c->height);
    hbuf_put_u64(b, c->epoch);
    hbuf_append(b, c->header_hash.b, HANSA_HASH_BYTES);
    hbuf_append(b, c->group_key.b, FROST_POINT_BYTES);
    hbuf_append(b, c->sig.R.b, FROST_POINT_BYTES);
    hbuf_append(b, c->sig.z.b, FROST_SCALAR_BYTES);
}

hansa_err checkpoint_decode(const uint8_t *p, size_t len, checkpoint *c, wire_rd *r) {
    wire_rd local;
    r = rd_begin(r, &local, p, len, c, sizeof *c, RD_NO_VERSION);
    frd_version(r);
    c->height = rd_u64(r, "height");
    c->epoch = rd_u64(r, "epoch");
    rd_fixed(r, c->header_hash.b, HANSA_HASH_BYTES, "header_hash");
    frd_point(r, &c->group_key, "group_key");
    frd_point(r, &c->sig.R, "sig.R");
    frd_scalar(r, &c->sig.z, "sig.z");
    return rd_close(r, c, sizeof *c);
}

bool checkpoint_verify(uint32_t chain_id, const checkpoint *c) {
    hbuf b = HBUF_INIT;
    checkpoint_msg(&b, chain_id, c->height, &c->header_hash, c->epoch);
    bool ok = frost_verify(&c->group_key, b.data, b.len, &c->sig);
    hbuf_free(&b);
    return ok;
}

_Static_assert(sizeof HANDOFF_DOMAIN - 1 == 16, "domain length in HANDOFF_MSG_BYTES");
_Static_assert(HANDOFF_BYTES == 149, "handoff layout in docs/wire.md");

void handoff_msg(hbuf *b, uint32_t chain_id, uint64_t old_epoch, uint64_t new_epoch,
                 const frost_point *new_key, uint16_t t, uint16_t n) {
    hbuf_append(b, HANDOFF_DOMAIN, sizeof HANDOFF_DOMAIN - 1);
    hbuf_put_u32(b, chain_id);
    hbuf_put_u64(b, old_epoch);
    hbuf_put_u64(b, new_epoch);
    hbuf_append(b, new_key->b, FROST_POINT_BYTES);
    hbuf_put_u16(b, t);
    hbuf_put_u16(b, n);
}

void handoff_encode(hbuf *b, const handoff *h) {
    hbuf_put_u8(b, WIRE_VERSION);
    hbuf_put_u64(b, h->old_epoch);
    hbuf_put_u64(b, h->new_epoch);
    hbuf_append(b, h->old_key.b, FROST_POINT_BYTES);
    hbuf_append(b, h->new_key.b, FROST_POINT_BYTES);
    hbuf_put_u16(b, h->t);
    hbuf_put_u16(b, h->n);
    hbuf_append(b, h->sig.R.b, FROST_POINT_BYTES);
    hbuf_append(b, h->sig.z.b, FROST_SCALAR_BYTES);
}

hansa_err handoff_decode(const uint8_t *p, size_t len, handoff *h, wire_rd *r) {
    wire_rd local;
    r = rd_begin(r, &local, p, len, h, sizeof *h, RD_NO_VERSION);
    frd_version(r);
    h->old_epoch = rd_u64(r, "old_epoch");
    size_t at = r->off;
    h->new_epoch = rd_u64(r, "new_epoch");
    if (r->err == HANSA_OK && h->new_epoch <= h->old_epoch)
        frd_fail_at(r, HANSA_ERR_INVALID, at, "new_epoch");
    frd_point(r, &h->old_key, "old_key");
    frd_point(r, &h->new_key, "new_key");
    at = r->off;
    h->t = rd_u16(r, "t");
    h->n = rd_u16(r, "n");
    if (r->err == HANSA_OK && (h->t < 1 || h->t > h->n || h->n > FROST_PARTICIPANTS_MAX))
        frd_fail_at(r, HANSA_ERR_INVALID, at, "t");
    frd_point(r, &h->sig.R, "sig.R");
    frd_scalar(r, &h->sig.z, "sig.z");
    return rd_close(r, h, sizeof *h);
}

bool handoff_verify(uint32_t chain_id, const handoff *h) {
    hbuf b = HBUF_INIT;
    handoff_msg(&b, chain_id, h->old_epoch, h->new_epoch, &h->new_key, h->t, h->n);
    bool ok = frost_verify(&h->old_key, b.data, b.len, &h->sig);
    hbuf_free(&b);
    return ok;
}

static hansa_err trust_refuse(char *why, size_t why_len, hansa_err e, const char *reason) {
    if (why && why_len) snprintf(why, why_len, "%s", reason);
    return e;
}

hansa_err frost_trust_checkpoint(const frost_trust *t, const checkpoint *c, char *why,
                                 size_t why_len) {
    if (c->epoch != t->epoch || !frost_point_eq(&c->group_key, &t->key))
        return trust_refuse(why, why_len, HANSA_ERR_STATE,
                            "checkpoint: signed under another epoch's key than the trusted one");
    if (!checkpoint_verify(t->chain_id, c))
        return trust_refuse(why, why_len, HANSA_ERR_BAD_SIG,
                            "checkpoint: the signature does not verify under the trusted key "
                            "for this chain");
    return HANSA_OK;
}

hansa_err frost_trust_follow(frost_trust *t, const handoff *h, char *why, size_t why_len) {
    if (h->old_epoch != t->epoch || !frost_point_eq(&h->old_key, &t->key))
        return trust_refuse(why, why_len, HANSA_ERR_STATE,
                            "handoff: does not start at the trusted epoch and key");
    if (!handoff_verify(t->chain_id, h))
        return trust_refuse(why, why_len, HANSA_ERR_BAD_SIG,
                            "handoff: the old group's signature does not verify");
    t->epoch = h->new_epoch;
    t->key = h->new_key;
    return HANSA_OK;
}
