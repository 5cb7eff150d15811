/* dkg_msg.c — encoding and decoding of the DKG messages (see dkg_msg.h).
 *
 * Encoder and decoder sit side by side per message so their field order can
 * be compared at a glance; the decoder accepts exactly what the encoder
 * writes (fuzz/fuzz_dkg_msg.c checks encode(decode(x)) == x). */
#include "threshold/dkg_msg.h"

#include <string.h>

#include "base/assert.h"
#include "crypto/sha256.h"
#include "wire/frost_rd.h"

_Static_assert(DKG_COMMIT_BYTES(22) == 870, "commit layout in docs/wire.md");
_Static_assert(DKG_SHARE_BYTES == 214, "share layout in docs/wire.md");
_Static_assert(DKG_COMPLAINT_BYTES(1) == 231, "complaint layout in docs/wire.md");
_Static_assert(DKG_COMPLAINT_BYTES(0) == 103, "complaint layout in docs/wire.md");
_Static_assert(DKG_REVEAL_BYTES == 166, "reveal layout in docs/wire.md");
_Static_assert(DKG_RESULT_BYTES == 180, "result layout in docs/wire.md");
_Static_assert(FROST_PARTICIPANTS_MAX % 8 == 0, "bitmap bytes");

/* ---- field helpers ------------------------------------------------------------ */

static void put_signed_share(hbuf *b, const dkg_signed_share *s) {
    hbuf_append(b, s->share.b, FROST_SCALAR_BYTES);
    hbuf_append(b, s->commit_hash.b, HANSA_HASH_BYTES);
    hbuf_append(b, s->sig.b, HANSA_SIG_BYTES);
}

static void rd_signed_share(wire_rd *r, dkg_signed_share *s) {
    frd_scalar(r, &s->share, "share");
    rd_fixed(r, s->commit_hash.b, HANSA_HASH_BYTES, "commit_hash");
    rd_fixed(r, s->sig.b, HANSA_SIG_BYTES, "share_sig");
}

/* ---- messages ------------------------------------------------------------------- */

/* Everything but the final Ed25519 signature (for the kinds that have one). */
static void encode_unsigned(hbuf *b, const dkg_msg *m) {
    hbuf_put_u8(b, WIRE_VERSION);
    hbuf_put_u8(b, (uint8_t)m->kind);
    hbuf_append(b, m->session.b, HANSA_HASH_BYTES);
    switch (m->kind) {
    case DKG_MSG_COMMIT: {
        const dkg_commit_body *c = &m->u.commit;
        HANSA_ASSERT(c->t >= 1 && c->t <= FROST_PARTICIPANTS_MAX);
        hbuf_put_u16(b, c->dealer);
        hbuf_put_u16(b, c->t);
        for (uint16_t k = 0; k < c->t; k++) hbuf_append(b, c->commits[k].b, FROST_POINT_BYTES);
        hbuf_append(b, c->pok.R.b, FROST_POINT_BYTES);
        hbuf_append(b, c->pok.z.b, FROST_SCALAR_BYTES);
        return;
    }
    case DKG_MSG_SHARE:
        hbuf_put_u16(b, m->u.share.dealer);
        hbuf_put_u16(b, m->u.share.recipient);
        hbuf_append(b, m->u.share.sealed, DKG_SEALED_BYTES);
        return;
    case DKG_MSG_COMPLAINT: {
        const dkg_complaint_body *c = &m->u.complaint;
        hbuf_put_u16(b, c->accuser);
        hbuf_put_u16(b, c->dealer);
        hbuf_put_u8(b, (uint8_t)c->reason);
        if (c->reason == DKG_COMPLAINT_BAD_SHARE) put_signed_share(b, &c->evidence);
        return;
    }
    case DKG_MSG_REVEAL:
        hbuf_put_u16(b, m->u.reveal.dealer);
        hbuf_put_u16(b, m->u.reveal.recipient);
        put_signed_share(b, &m->u.reveal.share);
        return;
    case DKG_MSG_RESULT:
        hbuf_put_u16(b, m->u.result.participant);
        hbuf_append(b, m->u.result.qual, DKG_BITMAP_BYTES);
        hbuf_append(b, m->u.result.key.b, FROST_POINT_BYTES);
        hbuf_append(b, m->u.result.transcript.b, HANSA_HASH_BYTES);
        return;
    }
    HANSA_UNREACHABLE();
}

static const hansa_sig *final_sig(const dkg_msg *m) {
    switch (m->kind) {
    case DKG_MSG_COMMIT: return &m->u.commit.sig;
    case DKG_MSG_COMPLAINT: return &m->u.complaint.sig;
    case DKG_MSG_RESULT: return &m->u.result.sig;
    case DKG_MSG_SHARE:
    case DKG_MSG_REVEAL: return NULL;
    }
    HANSA_UNREACHABLE();
}

void dkg_msg_encode(hbuf *b, const dkg_msg *m) {
    encode_unsigned(b, m);
    const hansa_sig *sig = final_sig(m);
    if (sig) hbuf_append(b, sig->b, HANSA_SIG_BYTES);
}

void dkg_msg_sign_bytes(hbuf *b, const dkg_msg *m) {
    HANSA_ASSERT(final_sig(m) != NULL);
    encode_unsigned(b, m);
}

void dkg_msg_hash(const dkg_msg *m, hansa_hash *out) {
    hbuf b = HBUF_INIT;
    dkg_msg_encode(&b, m);
    sha256(b.data, b.len, out);
    hbuf_free(&b);
}

static void decode_body(wire_rd *r, dkg_msg *m) {
    switch (m->kind) {
    case DKG_MSG_COMMIT: {
        dkg_commit_body *c = &m->u.commit;
        c->dealer = frd_id(r, "dealer");
        size_t at = r->off;
        c->t = rd_u16(r, "t");
        if (r->err == HANSA_OK && c->t > FROST_PARTICIPANTS_MAX)
            frd_fail_at(r, HANSA_ERR_TOO_LONG, at, "t");
        if (r->err == HANSA_OK && c->t == 0) frd_fail_at(r, HANSA_ERR_INVALID, at, "t");
        for (uint16_t k = 0; k < c->t && r->err == HANSA_OK; k++)
            frd_point(r, &c->commits[k], "commitment");
        frd_point(r, &c->pok.R, "pok_R");
        frd_scalar(r, &c->pok.z, "pok_z");
        rd_fixed(r, c->sig.b, HANSA_SIG_BYTES, "sig");
        return;
    }
    case DKG_MSG_SHARE:
        m->u.share.dealer = frd_id(r, "dealer");
        m->u.share.recipient = frd_id(r, "recipient");
        rd_fixed(r, m->u.share.sealed, DKG_SEALED_BYTES, "sealed");
        return;
    case DKG_MSG_COMPLAINT: {
        dkg_complaint_body *c = &m->u.complaint;
        c->accuser = frd_id(r, "accuser");
        c->dealer = frd_id(r, "dealer");
        size_t at = r->off;
        uint8_t reason = rd_u8(r, "reason");
        if (r->err == HANSA_OK && reason != DKG_COMPLAINT_BAD_SHARE &&
            reason != DKG_COMPLAINT_MISSING)
            frd_fail_at(r, HANSA_ERR_NONCANONICAL, at, "reason");
        c->reason = (dkg_complaint_reason)reason;
        if (reason == DKG_COMPLAINT_BAD_SHARE) rd_signed_share(r, &c->evidence);
        rd_fixed(r, c->sig.b, HANSA_SIG_BYTES, "sig");
        return;
    }
    case DKG_MSG_REVEAL:
        m->u.reveal.dealer = frd_id(r, "dealer");
        m->u.reveal.recipient = frd_id(r, "recipient");
        rd_signed_share(r, &m->u.reveal.share);
        return;
    case DKG_MSG_RESULT:
        m->u.result.participant = frd_id(r, "participant");
        rd_fixed(r, m->u.result.qual, DKG_BITMAP_BYTES, "qual");
        frd_point(r, &m->u.result.key, "key");
        rd_fixed(r, m->u.result.transcript.b, HANSA_HASH_BYTES, "transcript");
        rd_fixed(r, m->u.result.sig.b, HANSA_SIG_BYTES, "sig");
        return;
    }
    HANSA_UNREACHABLE();
}

hansa_err dkg_msg_decode(const uint8_t *p, size_t len, dkg_msg *m, wire_rd *r) {
    wire_rd local;
    r = rd_begin(r, &local, p, len, m, sizeof *m, RD_NO_VERSION);
    uint8_t kind = frd_head(r, DKG_MSG_COMMIT, DKG_MSG_RESULT);
    rd_fixed(r, m->session.b, HANSA_HASH_BYTES, "session");
    if (r->err == HANSA_OK) {
        m->kind = (dkg_msg_kind)kind;
        decode_body(r, m);
    }
    return rd_close(r, m, sizeof *m);
}

void dkg_share_ad(hbuf *b, const hansa_hash *session, uint16_t dealer, uint16_t recipient) {
    hbuf_put_u8(b, WIRE_VERSION);
    hbuf_put_u8(b, DKG_MSG_SHARE);
    hbuf_append(b, session->b, HANSA_HASH_BYTES);
    hbuf_put_u16(b, dealer);
    hbuf_put_u16(b, recipient);
}

void dkg_share_sign_bytes(hbuf *b, const hansa_hash *session, uint16_t dealer, uint16_t recipient,
                          const hansa_hash *commit_hash, const frost_scalar *share) {
    hbuf_append(b, session->b, HANSA_HASH_BYTES);
    hbuf_put_u16(b, dealer);
    hbuf_put_u16(b, recipient);
    hbuf_append(b, commit_hash->b, HANSA_HASH_BYTES);
    hbuf_append(b, share->b, FROST_SCALAR_BYTES);
}

void dkg_signed_share_encode(uint8_t out[DKG_SIGNED_SHARE_BYTES], const dkg_signed_share *s) {
    memcpy(out, s->share.b, FROST_SCALAR_BYTES);
    memcpy(out + FROST_SCALAR_BYTES, s->commit_hash.b, HANSA_HASH_BYTES);
    memcpy(out + FROST_SCALAR_BYTES + HANSA_HASH_BYTES, s->sig.b, HANSA_SIG_BYTES);
}

hansa_err dkg_signed_share_decode(const uint8_t in[DKG_SIGNED_SHARE_BYTES], dkg_signed_share *s) {
    memset(s, 0, sizeof *s);
    hansa_err e = frost_scalar_decode(in, &s->share);
    if (e != HANSA_OK) return e;
    memcpy(s->commit_hash.b, in + FROST_SCALAR_BYTES, HANSA_HASH_BYTES);
    memcpy(s->sig.b, in + FROST_SCALAR_BYTES + HANSA_HASH_BYTES, HANSA_SIG_BYTES);
    return HANSA_OK;
}
