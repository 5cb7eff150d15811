/* dkg_rec.c — the stored key generation record (see dkg_rec.h). The decoder
 * accepts exactly what the encoder writes, plus the version-2 and -3 layouts
 * (fuzz/fuzz_dkg_rec.c checks both). */
#include "threshold/dkg_rec.h"

#include <string.h>

#include "base/assert.h"
#include "wire/frost_rd.h"

#define DKG_REC_V2 2
/* Version 3: two entries, without the flags GROUP and GOT (a binary of
 * that version would take them for a garbled record and overwrite it:
 * hence version 4 for them). */
#define DKG_REC_V3 3
#define DKG_REC_V3_FLAGS (DKG_REC_DONE | DKG_REC_SHARE)

static void got_encode(hbuf *b, const dkg_rec_entry *e) {
    HANSA_ASSERT(e->got_count >= 1 && e->got_count < FROST_PARTICIPANTS_MAX);
    hbuf_put_u8(b, e->got_count);
    for (uint8_t k = 0; k < e->got_count; k++) {
        HANSA_ASSERT(k == 0 || e->got[k].dealer > e->got[k - 1].dealer);
        hbuf_put_u16(b, e->got[k].dealer);
        hbuf_append(b, e->got[k].sealed, DKG_SEALED_BYTES);
    }
}

static void entry_encode(hbuf *b, const dkg_rec_entry *e) {
    HANSA_ASSERT((e->flags & ~DKG_REC_FLAGS) == 0);
    HANSA_ASSERT(!((e->flags & DKG_REC_SHARE) && (e->flags & DKG_REC_GROUP)));
    hbuf_put_u64(b, e->epoch);
    hbuf_append(b, e->seed, CRYPTO_DRBG_SEED_BYTES);
    hbuf_put_u8(b, e->flags);
    static const frost_scalar zero;
    hbuf_append(b, (e->flags & DKG_REC_SHARE ? &e->share : &zero)->b, FROST_SCALAR_BYTES);
    if (e->flags & (DKG_REC_SHARE | DKG_REC_GROUP)) {
        const frost_group *g = &e->group;
        HANSA_ASSERT(g->n >= 1 && g->n <= FROST_PARTICIPANTS_MAX && g->t >= 1 && g->t <= g->n);
        hbuf_put_u16(b, g->n);
        hbuf_put_u16(b, g->t);
        hbuf_append(b, g->key.b, FROST_POINT_BYTES);
        for (uint16_t i = 0; i < g->n; i++) hbuf_append(b, g->shares[i].b, FROST_POINT_BYTES);
    }
    if (e->flags & DKG_REC_GOT) got_encode(b, e);
}

void dkg_rec_encode(hbuf *b, const dkg_rec *rec) {
    HANSA_ASSERT(!rec->has_prev || rec->prev.epoch < rec->cur.epoch);
    hbuf_put_u8(b, DKG_REC_VERSION);
    hbuf_put_u8(b, rec->has_prev ? 2 : 1);
    entry_encode(b, &rec->cur);
    if (rec->has_prev) entry_encode(b, &rec->prev);
}

static void group_decode(wire_rd *r, frost_group *g) {
    size_t at = r->off;
    g->n = rd_u16(r, "n");
    g->t = rd_u16(r, "t");
    if (r->err == HANSA_OK && (g->n < 1 || g->n > FROST_PARTICIPANTS_MAX || g->t < 1 || g->t > g->n))
        frd_fail_at(r, HANSA_ERR_INVALID, at, "n, t");
    frd_point(r, &g->key, "key");
    for (uint16_t i = 0; i < g->n && r->err == HANSA_OK; i++)
        frd_point(r, &g->shares[i], "verification share");
}

static void got_decode(wire_rd *r, dkg_rec_entry *e) {
    size_t at = r->off;
    e->got_count = rd_u8(r, "received shares");
    if (r->err == HANSA_OK && (e->got_count == 0 || e->got_count >= FROST_PARTICIPANTS_MAX))
        frd_fail_at(r, HANSA_ERR_INVALID, at, "received shares");
    for (uint8_t k = 0; k < e->got_count && r->err == HANSA_OK; k++) {
        at = r->off;
        e->got[k].dealer = frd_id(r, "received share's dealer");
        if (r->err == HANSA_OK && k > 0 && e->got[k].dealer <= e->got[k - 1].dealer)
            frd_fail_at(r, HANSA_ERR_INVALID, at, "received share's dealer");
        rd_fixed(r, e->got[k].sealed, DKG_SEALED_BYTES, "received share");
    }
}

/* Flags of the record's version (known); SHARE and GROUP only once the
 * session ended, never both. */
static bool flags_ok(uint8_t f, uint8_t known) {
    if ((f & ~known) != 0) return false;
    if ((f & (DKG_REC_SHARE | DKG_REC_GROUP)) && !(f & DKG_REC_DONE)) return false;
    return !((f & DKG_REC_SHARE) && (f & DKG_REC_GROUP));
}

static void entry_decode(wire_rd *r, dkg_rec_entry *e, uint8_t known) {
    e->epoch = rd_u64(r, "epoch");
    rd_fixed(r, e->seed, CRYPTO_DRBG_SEED_BYTES, "seed");
    size_t at = r->off;
    e->flags = rd_u8(r, "flags");
    if (r->err == HANSA_OK && !flags_ok(e->flags, known)) frd_fail_at(r, HANSA_ERR_INVALID, at, "flags");
    at = r->off;
    frd_scalar(r, &e->share, "share");
    if (r->err == HANSA_OK && !(e->flags & DKG_REC_SHARE) && !frost_scalar_is_zero(&e->share))
        frd_fail_at(r, HANSA_ERR_NONCANONICAL, at, "share");
    if (r->err == HANSA_OK && (e->flags & (DKG_REC_SHARE | DKG_REC_GROUP))) group_decode(r, &e->group);
    if (r->err == HANSA_OK && (e->flags & DKG_REC_GOT)) got_decode(r, e);
}

hansa_err dkg_rec_decode(const uint8_t *p, size_t len, dkg_rec *out, wire_rd *r) {
    wire_rd local;
    if (!r) r = &local;
    rd_init(r, p, len);
    memset(out, 0, sizeof *out);
    uint8_t version = rd_u8(r, "version");
    if (r->err == HANSA_OK && version != DKG_REC_VERSION && version != DKG_REC_V3 && version != DKG_REC_V2)
        frd_fail_at(r, HANSA_ERR_VERSION, 0, "version");
    uint8_t count = 1, known = version == DKG_REC_VERSION ? DKG_REC_FLAGS : DKG_REC_V3_FLAGS;
    if (version != DKG_REC_V2) {
        size_t at = r->off;
        count = rd_u8(r, "count");
        if (r->err == HANSA_OK && count != 1 && count != 2)
            frd_fail_at(r, HANSA_ERR_INVALID, at, "count");
    }
    entry_decode(r, &out->cur, known);
    if (count == 2 && r->err == HANSA_OK) {
        size_t at = r->off;
        entry_decode(r, &out->prev, known);
        out->has_prev = true;
        if (r->err == HANSA_OK && out->prev.epoch >= out->cur.epoch)
            frd_fail_at(r, HANSA_ERR_INVALID, at, "previous epoch");
    }
    rd_end(r);
    if (r->err != HANSA_OK) {
        frost_wipe(out, sizeof *out); /* zeroes */
        return r->err;
    }
    return HANSA_OK;
}
