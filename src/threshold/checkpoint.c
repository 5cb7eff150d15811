/* checkpoint.c — see checkpoint.h: the ROAST envelope and the nonce record
 * (the checkpoint and handoff are in wire/checkpoint.c). The decoders accept
 * exactly what the encoders write (fuzz/fuzz_roast_env.c and
 * fuzz/fuzz_roast_nonces.c check encode(decode(x)) == x). */
#include "threshold/checkpoint.h"

#include <string.h>

#include "base/assert.h"
#include "wire/frost_rd.h"

void roast_env_encode(hbuf *b, uint32_t chain_id, uint16_t from, const uint8_t *msg, size_t len,
                      const hansa_keypair *kp) {
    HANSA_ASSERT(from >= 1 && from <= FROST_PARTICIPANTS_MAX);
    HANSA_ASSERT(len >= 1 && len <= ROAST_ENV_MSG_MAX);
    size_t start = b->len;
    hbuf_put_u8(b, WIRE_VERSION);
    hbuf_put_u32(b, chain_id);
    hbuf_put_u16(b, from);
    hbuf_put_u32(b, (uint32_t)len);
    hbuf_append(b, msg, len);
    hansa_sig sig;
    sign_domain(kp, ROAST_ENV_DOMAIN, b->data + start, b->len - start, &sig);
    hbuf_append(b, sig.b, HANSA_SIG_BYTES);
}

hansa_err roast_env_decode(const uint8_t *p, size_t len, roast_env *e, wire_rd *r) {
    wire_rd local;
    r = rd_begin(r, &local, p, len, e, sizeof *e, RD_NO_VERSION);
    frd_version(r);
    e->chain_id = rd_u32(r, "chain_id");
    e->from = frd_id(r, "from");
    size_t at = r->off;
    e->msg_len = rd_len(r, ROAST_ENV_MSG_MAX, "msg_len");
    if (r->err == HANSA_OK && e->msg_len == 0) frd_fail_at(r, HANSA_ERR_INVALID, at, "msg_len");
    e->msg = rd_borrow(r, e->msg_len, "msg");
    rd_fixed(r, e->sig.b, HANSA_SIG_BYTES, "sig");
    return rd_close(r, e, sizeof *e);
}

bool roast_env_verify(const uint8_t *p, size_t len, const hansa_pubkey *pk) {
    HANSA_ASSERT(len >= ROAST_ENV_BYTES(0));
    hansa_sig sig;
    memcpy(sig.b, p + len - HANSA_SIG_BYTES, HANSA_SIG_BYTES);
    return verify_domain(pk, ROAST_ENV_DOMAIN, p, len - HANSA_SIG_BYTES, &sig);
}

void roast_nonces_encode(hbuf *b, const roast_nonce_entry *e, size_t n) {
    HANSA_ASSERT(n <= ROAST_NONCES_MAX);
    hbuf_put_u8(b, WIRE_VERSION);
    hbuf_put_u16(b, (uint16_t)n);
    for (size_t i = 0; i < n; i++) {
        const roast_nonce_rec *x = &e[i].rec;
        HANSA_ASSERT(x->state == ROAST_NONCE_FRESH);
        hbuf_put_u64(b, e[i].epoch);
        hbuf_put_u64(b, x->round);
        hbuf_put_u16(b, x->commitment.id);
        hbuf_append(b, x->commitment.hiding.b, FROST_POINT_BYTES);
        hbuf_append(b, x->commitment.binding.b, FROST_POINT_BYTES);
        hbuf_append(b, x->nonces.hiding.b, FROST_SCALAR_BYTES);
        hbuf_append(b, x->nonces.binding.b, FROST_SCALAR_BYTES);
    }
}

static void rd_nonce(wire_rd *r, frost_scalar *out, const char *field) {
    size_t at = r->off;
    frd_scalar(r, out, field);
    if (r->err == HANSA_OK && frost_scalar_is_zero(out)) frd_fail_at(r, HANSA_ERR_INVALID, at, field);
}

hansa_err roast_nonces_decode(const uint8_t *p, size_t len, roast_nonce_entry e[ROAST_NONCES_MAX],
                              size_t *n, wire_rd *r) {
    wire_rd local;
    if (!r) r = &local;
    rd_init(r, p, len);
    *n = 0;
    uint8_t version = rd_u8(r, "version");
    if (r->err == HANSA_OK && version != WIRE_VERSION) frd_fail_at(r, HANSA_ERR_VERSION, 0, "version");
    size_t at = r->off;
    uint16_t count = rd_u16(r, "count");
    if (r->err == HANSA_OK && count > ROAST_NONCES_MAX) frd_fail_at(r, HANSA_ERR_TOO_LONG, at, "count");
    for (uint16_t i = 0; i < count && r->err == HANSA_OK; i++) {
        memset(&e[i], 0, sizeof e[i]);
        roast_nonce_rec *x = &e[i].rec;
        x->state = ROAST_NONCE_FRESH;
        e[i].epoch = rd_u64(r, "epoch");
        x->round = rd_u64(r, "round");
        x->commitment.id = frd_id(r, "id");
        frd_point(r, &x->commitment.hiding, "hiding");
        frd_point(r, &x->commitment.binding, "binding");
        rd_nonce(r, &x->nonces.hiding, "hiding_nonce");
        rd_nonce(r, &x->nonces.binding, "binding_nonce");
    }
    rd_end(r);
    if (r->err != HANSA_OK) {
        frost_wipe(e, count <= ROAST_NONCES_MAX ? count * sizeof *e : 0);
        return r->err;
    }
    *n = count;
    return HANSA_OK;
}
