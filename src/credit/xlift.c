/* xlift.c — see xlift.h. */
#include "credit/xlift.h"

#include <stdio.h>
#include <string.h>

#include "base/assert.h"
#include "crypto/sha256.h"

/* Every party of segment l is on its first party's chain. */
static bool one_chain(const credit_lift *l) {
    for (int i = 1; i <= l->n_hops; i++)
        if (l->parties[i].chain_id != l->parties[0].chain_id) return false;
    return true;
}

static bool same_terms(const credit_lift *a, const credit_lift *b) {
    return credit_id_eq(&a->lift_id, &b->lift_id) && a->amount == b->amount &&
           a->expiry_ms == b->expiry_ms && a->referee_chain == b->referee_chain &&
           memcmp(a->referee_key.b, b->referee_key.b, HANSA_PUBKEY_BYTES) == 0;
}

hansa_err credit_xlift_check(const credit_xlift *x, char *why, size_t why_len) {
    if (x->n_segs < 2 || x->n_segs > CREDIT_XLIFT_SEGS_MAX) {
        credit_say(why, why_len, "a cross-chain lift has 2..%d segments, not %u", CREDIT_XLIFT_SEGS_MAX,
                   x->n_segs);
        return HANSA_ERR_INVALID;
    }
    int hops = 0;
    for (int j = 0; j < x->n_segs; j++) {
        const credit_lift *s = &x->seg[j];
        hops += s->n_hops;
        char w[160];
        if (credit_lift_check(s, w, sizeof w) != HANSA_OK) {
            credit_say(why, why_len, "segment %d: %s", j, w);
            return HANSA_ERR_INVALID;
        }
        if (s->kind != CREDIT_LIFT_LINEAR || !one_chain(s) || !same_terms(s, &x->seg[0]) ||
            s->parties[0].chain_id == s->referee_chain) {
            credit_say(why, why_len, "segment %d is not a linear route on one chain (not the referee's) "
                              "with the lift's id, amount, expiry and referee", j);
            return HANSA_ERR_INVALID;
        }
        for (int k = 0; k < j; k++)
            if (x->seg[k].parties[0].chain_id == s->parties[0].chain_id) {
                credit_say(why, why_len, "segments %d and %d are on the same chain", k, j);
                return HANSA_ERR_INVALID;
            }
        if (j > 0 && !pubkey_eq(&x->seg[j - 1].parties[x->seg[j - 1].n_hops].key, &s->parties[0].key)) {
            credit_say(why, why_len, "segment %d does not start with the key segment %d ends with", j, j - 1);
            return HANSA_ERR_INVALID;
        }
    }
    if (hops > CREDIT_XLIFT_HOPS_MAX) {
        credit_say(why, why_len, "a cross-chain lift has at most %d tallies, not %d", CREDIT_XLIFT_HOPS_MAX,
                   hops);
        return HANSA_ERR_TOO_LONG;
    }
    return HANSA_OK;
}

bool credit_xlift_circular(const credit_xlift *x) {
    const credit_lift *last = &x->seg[x->n_segs - 1];
    return pubkey_eq(&last->parties[last->n_hops].key, &x->seg[0].parties[0].key);
}

int credit_xlift_seg_on(const credit_xlift *x, uint32_t chain) {
    for (int j = 0; j < x->n_segs; j++)
        if (x->seg[j].parties[0].chain_id == chain) return j;
    return -1;
}

void credit_xlift_encode(hbuf *b, const credit_xlift *x) {
    HANSA_ASSERT(x->n_segs >= 1 && x->n_segs <= CREDIT_XLIFT_SEGS_MAX);
    hbuf_put_u8(b, CREDIT_VERSION);
    hbuf_put_u8(b, x->n_segs);
    for (int j = 0; j < x->n_segs; j++) credit_lift_encode(b, &x->seg[j]);
}

void credit_xlift_hash(const credit_xlift *x, hansa_hash *out) {
    hbuf b = HBUF_INIT;
    hbuf_append(&b, CREDIT_XLIFT_DOMAIN, strlen(CREDIT_XLIFT_DOMAIN));
    credit_xlift_encode(&b, x);
    sha256(b.data, b.len, out);
    hbuf_free(&b);
}

void credit_xlift_payload_encode(hbuf *b, const credit_xlift *x, uint8_t tail) {
    credit_xlift_encode(b, x);
    hbuf_put_u8(b, tail);
}

/* Reads a descriptor, and the tail byte when tail is non-NULL, to the end. */
static hansa_err rd_xlift(const uint8_t *p, size_t len, credit_xlift *out, uint8_t *tail, wire_rd *r) {
    wire_rd local;
    r = rd_begin(r, &local, p, len, out, sizeof *out, CREDIT_VERSION);
    out->n_segs = rd_u8(r, "n_segs");
    if (r->err == HANSA_OK && (out->n_segs < 2 || out->n_segs > CREDIT_XLIFT_SEGS_MAX))
        rd_fail(r, HANSA_ERR_TOO_LONG, "n_segs");
    for (int j = 0; j < out->n_segs && r->err == HANSA_OK; j++) credit_rd_lift(r, &out->seg[j]);
    if (tail) *tail = rd_u8(r, "tail");
    rd_end(r);
    if (r->err == HANSA_OK && credit_xlift_check(out, NULL, 0) != HANSA_OK)
        rd_fail(r, HANSA_ERR_INVALID, "segments");
    if (r->err != HANSA_OK) {
        memset(out, 0, sizeof *out);
        if (tail) *tail = 0;
    }
    return r->err;
}

hansa_err credit_xlift_decode(const uint8_t *p, size_t len, credit_xlift *out, wire_rd *r) {
    return rd_xlift(p, len, out, NULL, r);
}

hansa_err credit_xlift_payload_decode(const uint8_t *p, size_t len, credit_xlift *out,
                                      uint8_t *tail, wire_rd *r) {
    return rd_xlift(p, len, out, tail, r);
}
