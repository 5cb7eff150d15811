/* tx_lift.c — lifts among accounts of one chain (TX_LIFT, kind 40), with
 * the chain itself as referee (credit/lift.h, docs/credit.md "Lifts").
 *
 * On one chain every party's half lives in this state, so the whole lift
 * protocol runs inside one transaction: every party joins with the real
 * hop rule (its own signed trading variables, its grants, the promise cap),
 * the chain rules COMMIT because the block's BFT time is before the expiry
 * (a request at or after it would be EXPIRED: nothing was promised, so the
 * transaction is refused instead), writes that ruling as the lift record,
 * and links one lift chit per leg, proven by that record. A linear lift is
 * sent by its originator, who pays; a circular lift changes nobody's total
 * and moves every balance only within its owner's trading variables, so
 * anyone (the clearing agent) may send it. Across chains (phase 2) the same
 * hop machines run on each party's chain, driven by packets, and the
 * referee chain's record is proven by a light client. */
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/hex.h"
#include "base/mem.h"
#include "ledger/block.h"
#include "ledger/credit_store.h"
#include "ledger/record.h"
#include "ledger/tx_credit.h"
#include "ledger/xtally.h"
#include "ledger/xlift.h"

hansa_err txc_lift_decode(const uint8_t *body, uint32_t len, ledger_tx_body *out, char *why,
                          size_t why_len) {
    wire_rd r;
    if (credit_lift_decode(body, len, &out->credit.lift, &r) == HANSA_OK) return HANSA_OK;
    char where[96];
    rd_describe(&r, where, sizeof where);
    ledger_why(why, why_len, "lift body: %s (%s)", hansa_strerror(r.err), where);
    return r.err;
}

hansa_err txc_lift_route(const ledger_block *b, const credit_lift *l, credit_tally **out,
                            char *why, size_t why_len) {
    credit_tally *ts = hansa_malloc(l->n_hops * sizeof *ts);
    for (int i = 0; i < l->n_hops; i++) {
        credit_side local;
        bool found = credit_store_tally_get(b, &l->tallies[i], &ts[i]);
        if (found && !xtally_across(&ts[i], b->base->params.chain_id, &local)) continue;
        char hex[2 * CREDIT_ID_BYTES + 1];
        hex_encode(l->tallies[i].b, CREDIT_ID_BYTES, hex);
        ledger_why(why, why_len, found ? "lift leg %d: tally %s is across chains (its chits travel as packets)"
                                       : "lift leg %d: no tally %s", i, hex);
        free(ts);
        return found ? HANSA_ERR_WRONG_CHAIN : HANSA_ERR_NOT_FOUND;
    }
    *out = ts;
    return HANSA_OK;
}

hansa_err txc_lift_join(const ledger_block *b, const credit_lift *l, credit_tally *ts, char *why,
                        size_t why_len) {
    bool circ = l->kind == CREDIT_LIFT_CIRCULAR;
    int n_parties = circ ? l->n_hops : l->n_hops + 1;
    credit_holds *hs = hansa_malloc(sizeof *hs);
    credit_hop *hop = hansa_malloc(sizeof *hop);
    hansa_err err = HANSA_OK;
    for (int i = 0; i < n_parties && err == HANSA_OK; i++) {
        int in_idx = i > 0 ? i - 1 : circ ? l->n_hops - 1 : -1;
        credit_lift_edge in = {in_idx >= 0 ? &ts[in_idx] : NULL, 0};
        credit_lift_edge out = {i < l->n_hops ? &ts[i] : NULL, 0};
        /* Cross-chain lifts still pending on these tallies hold capacity. */
        hs->n = 0;
        if (in.tally) xlift_holds_load(b, &in.tally->contract.tally_id, hs);
        if (out.tally && in.tally != out.tally) xlift_holds_load(b, &out.tally->contract.tally_id, hs);
        char w[LEDGER_WHY_MAX] = "";
        err = credit_hop_join(hop, hs, l, (uint8_t)i, in.tally ? &in : NULL,
                              out.tally ? &out : NULL, w, sizeof w);
        if (err != HANSA_OK) ledger_why(why, why_len, "lift party %d refuses: %s", i, w);
    }
    free(hop);
    free(hs);
    /* Every leg must book even if all the pending ones book first. */
    for (int i = 0; i < l->n_hops && err == HANSA_OK; i++) {
        credit_chit chit;
        int64_t after;
        HANSA_ASSERT(credit_lift_chit_make(l, i, &ts[i].contract, &chit));
        err = credit_tally_chit_check(&ts[i], &chit, &after, why, why_len);
        if (err == HANSA_OK) err = xlift_room(b, &ts[i], after, why, why_len);
    }
    return err;
}

void txc_lift_book(ledger_block *b, const credit_lift *l, credit_tally *ts) {
    credit_lift_rec *rec = hansa_malloc(sizeof *rec);
    memset(rec, 0, sizeof *rec);
    rec->lift = *l;
    rec->outcome = CREDIT_RULING_COMMIT;
    rec->height = b->info.height;
    rec->time_ms = b->info.time_ms;
    credit_store_lift_put(b, rec);
    free(rec);
    credit_out *out = hansa_malloc(sizeof *out);
    for (int i = 0; i < l->n_hops; i++) {
        credit_tally *t = &ts[i];
        credit_chit chit;
        HANSA_ASSERT(credit_lift_chit_make(l, i, &t->contract, &chit));
        int64_t after;
        HANSA_ASSERT(credit_tally_chit_check(t, &chit, &after, NULL, 0) == HANSA_OK);
        credit_store_ctx sc;
        credit_store_attach(b, t, &sc);
        HANSA_ASSERT(credit_half_issue(&t->half[chit.by], &chit, false, out, NULL, 0) == HANSA_OK);
        txc_loopback(t, (credit_side)chit.by, out, 0);
        HANSA_ASSERT(credit_half_settled(&t->half[CREDIT_STOCK]));
        HANSA_ASSERT(credit_half_settled(&t->half[CREDIT_FOIL]));
        credit_tally_chit_book(t, &chit);
        HANSA_ASSERT(t->balance == after);
        credit_store_tally_put(b, t);
    }
    free(out);
}

static hansa_err do_lift(ledger_block *b, const ledger_tx_ctx *c, bool apply, char *why,
                         size_t why_len) {
    const credit_lift *l = &c->body.credit.lift;
    uint32_t chain = b->base->params.chain_id;
    if (l->referee_chain != chain) {
        ledger_why(why, why_len, "a lift on one chain has this chain (%u) as referee, not %u",
                   chain, l->referee_chain);
        return HANSA_ERR_WRONG_CHAIN;
    }
    for (int i = 0; i <= l->n_hops; i++)
        if (l->parties[i].chain_id != chain) {
            ledger_why(why, why_len, "lift party %d is on chain %u: cross-chain lifts travel as "
                                     "lift packets", i, l->parties[i].chain_id);
            return HANSA_ERR_WRONG_CHAIN;
        }
    if (l->kind == CREDIT_LIFT_LINEAR && !pubkey_eq(&c->tx->sender, &l->parties[0].key)) {
        ledger_why(why, why_len, "a linear lift is sent by its originator, who pays");
        return HANSA_ERR_INVALID;
    }
    if (b->info.time_ms >= l->expiry_ms) {
        ledger_why(why, why_len, "the lift expired: block time %llu >= expiry %llu",
                   (unsigned long long)b->info.time_ms, (unsigned long long)l->expiry_ms);
        return HANSA_ERR_STATE;
    }
    credit_lift_rec *rec = hansa_malloc(sizeof *rec);
    bool ruled = credit_store_lift_get(b, &l->lift_id, rec) || xlift_seg_exists(b, &l->lift_id);
    free(rec);
    if (ruled) {
        ledger_why(why, why_len, "lift id already ruled on");
        return HANSA_ERR_DUPLICATE;
    }
    credit_tally *ts;
    hansa_err err = txc_lift_route(b, l, &ts, why, why_len);
    if (err != HANSA_OK) return err;
    err = txc_lift_join(b, l, ts, why, why_len);
    HANSA_ASSERT(!apply || err == HANSA_OK);
    if (err != HANSA_OK || !apply) {
        free(ts);
        return err;
    }
    /* The chain rules, once: COMMIT, in its BFT time before the expiry. */
    txc_lift_book(b, l, ts);
    free(ts);
    return HANSA_OK;
}

hansa_err txc_lift_check(const ledger_block *b, const ledger_tx_ctx *c, char *why,
                         size_t why_len) {
    return do_lift((ledger_block *)b, c, false, why, why_len);
}

void txc_lift_apply(ledger_block *b, const ledger_tx_ctx *c) {
    HANSA_ASSERT(do_lift(b, c, true, NULL, 0) == HANSA_OK);
}
