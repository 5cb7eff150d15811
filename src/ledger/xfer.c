/* xfer.c — see xfer.h: denominations, escrow, packets and their proofs, the
 * per-chain audit and the federation-wide conservation check. */
#include "ledger/xfer.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/mem.h"
#include "crypto/address.h"
#include "crypto/sha256.h"
#include "ledger/block.h"
#include "ledger/client.h"
#include "ledger/elect.h"
#include "ledger/record.h"
#include "ledger/state.h"
#include "ledger/xtally.h"
#include "ledger/xlift.h"

#define VAL_AMOUNT_BYTES 9
#define OUT_FIXED_BYTES (1 + 4 + 2 * HANSA_ADDR_BYTES + 8 + 1 + 8 + 8 + 8 + 1 + 1 + 8 + 8)
#define IN_FIXED_BYTES (1 + 8 + 8 + 8 + 1 + 2 * HANSA_ADDR_BYTES + 8)

/* ---- keys ------------------------------------------------------------------ */

static size_t denom_put(uint8_t *out, const pkt_denom *d) {
    out[0] = d->n;
    for (uint8_t i = 0; i < d->n; i++) le32_store(out + 1 + 4 * i, d->chain[i]);
    return 1 + 4 * (size_t)d->n;
}

static size_t key_voucher(const hansa_addr *a, const pkt_denom *d, uint8_t *out) {
    out[0] = XFER_KEY_VOUCHER;
    memcpy(out + 1, a->b, HANSA_ADDR_BYTES);
    return 1 + HANSA_ADDR_BYTES + denom_put(out + 1 + HANSA_ADDR_BYTES, d);
}

static size_t key_escrow(uint32_t chain, const pkt_denom *d, uint8_t *out) {
    out[0] = XFER_KEY_ESCROW;
    be32_store(out + 1, chain);
    return 5 + denom_put(out + 5, d);
}

static size_t key_out(const hansa_hash *h, uint8_t *out) {
    out[0] = XFER_KEY_OUT;
    memcpy(out + 1, h->b, HANSA_HASH_BYTES);
    return 1 + HANSA_HASH_BYTES;
}

static size_t key_in(uint32_t chain, const hansa_hash *h, uint8_t *out) {
    out[0] = XFER_KEY_IN;
    be32_store(out + 1, chain);
    memcpy(out + 5, h->b, HANSA_HASH_BYTES);
    return 5 + HANSA_HASH_BYTES;
}

static size_t key_supply(const pkt_denom *d, uint8_t *out) {
    out[0] = XFER_KEY_SUPPLY;
    return 1 + denom_put(out + 1, d);
}

static size_t key_bond(uint32_t chain, const hansa_addr *a, uint8_t *out) {
    out[0] = XFER_KEY_BOND;
    be32_store(out + 1, chain);
    memcpy(out + 5, a->b, HANSA_ADDR_BYTES);
    return 5 + HANSA_ADDR_BYTES;
}

static size_t key_corr(uint32_t chain, uint8_t *out) {
    out[0] = XFER_KEY_CORR;
    be32_store(out + 1, chain);
    return 5;
}

/* ---- record codecs ---------------------------------------------------------- */

static void rd_corr(wire_rd *r, xfer_corr *c) {
    memset(c, 0, sizeof *c);
    if (rd_u8(r, "version") != LEDGER_RECORD_VERSION && r->err == HANSA_OK)
        rd_fail(r, HANSA_ERR_VERSION, "version");
    uint8_t limited = rd_u8(r, "limited");
    c->limited = limited == 1;
    c->collateral = rd_u64(r, "collateral");
    c->outstanding = rd_u64(r, "outstanding");
    c->paid_out = rd_u64(r, "paid out");
    if (r->err != HANSA_OK) return;
    if (limited > 1 || (!c->limited && (c->collateral != 0 || c->paid_out != 0)))
        rd_fail(r, HANSA_ERR_INVALID, "correspondent fields");
    else if (!c->limited && c->outstanding == 0)
        rd_fail(r, HANSA_ERR_NONCANONICAL, "empty correspondent");
}

static void out_encode(hbuf *b, const xfer_out *o) {
    hbuf_put_u8(b, LEDGER_RECORD_VERSION);
    hbuf_put_u32(b, o->dest_chain);
    hbuf_append(b, o->sender.b, HANSA_ADDR_BYTES);
    hbuf_append(b, o->to.b, HANSA_ADDR_BYTES);
    hbuf_put_u64(b, o->amount);
    hbuf_put_u8(b, o->burned ? 1 : 0);
    hbuf_put_u64(b, o->timeout_ms);
    hbuf_put_u64(b, o->sent_height);
    hbuf_put_u64(b, o->sent_time_ms);
    hbuf_put_u8(b, o->state);
    hbuf_put_u8(b, o->reason);
    hbuf_put_u64(b, o->done_height);
    hbuf_put_u64(b, o->done_time_ms);
    pkt_denom_encode(b, &o->denom);
}

static void rd_out(wire_rd *r, xfer_out *o) {
    memset(o, 0, sizeof *o);
    if (rd_u8(r, "version") != LEDGER_RECORD_VERSION && r->err == HANSA_OK)
        rd_fail(r, HANSA_ERR_VERSION, "version");
    o->dest_chain = rd_u32(r, "dest chain");
    rd_fixed(r, o->sender.b, HANSA_ADDR_BYTES, "sender");
    rd_fixed(r, o->to.b, HANSA_ADDR_BYTES, "to");
    o->amount = rd_u64(r, "amount");
    uint8_t burned = rd_u8(r, "burned");
    o->burned = burned == 1;
    o->timeout_ms = rd_u64(r, "timeout");
    o->sent_height = rd_u64(r, "sent height");
    o->sent_time_ms = rd_u64(r, "sent time");
    o->state = rd_u8(r, "state");
    o->reason = rd_u8(r, "reason");
    o->done_height = rd_u64(r, "done height");
    o->done_time_ms = rd_u64(r, "done time");
    pkt_rd_denom(r, &o->denom);
    if (r->err != HANSA_OK) return;
    /* amount 0: a packet that carries no value (a tally message's or a lift's), native denom */
    if (burned > 1 || (o->amount == 0 && (o->burned || o->denom.n != 0)) || o->sent_height == 0 ||
        o->state < XFER_PENDING || o->state > XFER_REFUNDED || o->reason > PKT_OUTCOME_MAX_ ||
        (o->state == XFER_PENDING) != (o->done_height == 0) ||
        (o->state == XFER_REFUNDED) != (o->reason != PKT_OK) || (o->burned && o->denom.n == 0))
        rd_fail(r, HANSA_ERR_INVALID, "outgoing packet fields");
}

static void in_encode(hbuf *b, const xfer_in *in) {
    hbuf_put_u8(b, LEDGER_RECORD_VERSION);
    hbuf_put_u64(b, in->height);
    hbuf_put_u64(b, in->time_ms);
    hbuf_put_u64(b, in->src_height);
    hbuf_put_u8(b, in->outcome);
    hbuf_append(b, in->from.b, HANSA_ADDR_BYTES);
    hbuf_append(b, in->to.b, HANSA_ADDR_BYTES);
    hbuf_put_u64(b, in->amount);
    pkt_denom_encode(b, &in->denom);
}

static void rd_in(wire_rd *r, xfer_in *in) {
    memset(in, 0, sizeof *in);
    if (rd_u8(r, "version") != LEDGER_RECORD_VERSION && r->err == HANSA_OK)
        rd_fail(r, HANSA_ERR_VERSION, "version");
    in->height = rd_u64(r, "height");
    in->time_ms = rd_u64(r, "time");
    in->src_height = rd_u64(r, "source height");
    in->outcome = rd_u8(r, "outcome");
    rd_fixed(r, in->from.b, HANSA_ADDR_BYTES, "from");
    rd_fixed(r, in->to.b, HANSA_ADDR_BYTES, "to");
    in->amount = rd_u64(r, "amount");
    pkt_rd_denom(r, &in->denom);
    if (r->err == HANSA_OK && (in->height == 0 || in->src_height == 0 || in->outcome > PKT_OUTCOME_MAX_ ||
                               (in->amount != 0 && in->outcome == PKT_REFUSED_TYPE) ||
                               (in->amount == 0 && in->denom.n != 0)))
        rd_fail(r, HANSA_ERR_INVALID, "incoming packet fields");
}

static void denom_key_rd(wire_rd *r, pkt_denom *d) {
    memset(d, 0, sizeof *d);
    uint8_t n = rd_u8(r, "key denom length");
    if (r->err == HANSA_OK && n > PKT_TRACE_MAX) {
        rd_fail(r, HANSA_ERR_TOO_LONG, "key denom length");
        return;
    }
    d->n = n;
    for (uint8_t i = 0; i < n; i++) {
        uint8_t b4[4];
        rd_fixed(r, b4, 4, "key denom chain");
        d->chain[i] = le32_load(b4);
    }
}

hansa_err xfer_record_check(const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen,
                            wire_rd *r) {
    wire_rd kr;
    rd_init(&kr, key, klen);
    uint8_t type = rd_u8(&kr, "key type");
    pkt_denom d;
    bool amount = false, voucher_denom = false;
    uint8_t skip[HANSA_HASH_BYTES];
    switch (type) {
    case XFER_KEY_VOUCHER:
        rd_fixed(&kr, skip, HANSA_ADDR_BYTES, "key address");
        denom_key_rd(&kr, &d);
        amount = voucher_denom = true;
        break;
    case XFER_KEY_ESCROW:
        (void)rd_u32(&kr, "key chain");
        denom_key_rd(&kr, &d);
        amount = true;
        break;
    case XFER_KEY_IN:
        (void)rd_u32(&kr, "key chain");
        rd_fixed(&kr, skip, HANSA_HASH_BYTES, "key packet");
        break;
    case XFER_KEY_OUT: rd_fixed(&kr, skip, HANSA_HASH_BYTES, "key packet"); break;
    case XFER_KEY_SUPPLY:
        denom_key_rd(&kr, &d);
        amount = voucher_denom = true;
        break;
    case XFER_KEY_BOND:
        (void)rd_u32(&kr, "key chain");
        rd_fixed(&kr, skip, HANSA_ADDR_BYTES, "key address");
        amount = true;
        break;
    case XFER_KEY_CORR: (void)rd_u32(&kr, "key chain"); break;
    default: rd_fail(&kr, HANSA_ERR_INVALID, "key type"); break;
    }
    rd_end(&kr);
    if (kr.err == HANSA_OK && voucher_denom && d.n == 0) rd_fail(&kr, HANSA_ERR_INVALID, "key denom (native)");
    rd_init(r, val, vlen);
    if (kr.err != HANSA_OK) {
        rd_fail(r, kr.err, kr.err_field);
        return r->err;
    }
    if (amount) {
        if (rd_u8(r, "version") != LEDGER_RECORD_VERSION && r->err == HANSA_OK)
            rd_fail(r, HANSA_ERR_VERSION, "version");
        if (rd_u64(r, "amount") == 0 && r->err == HANSA_OK) rd_fail(r, HANSA_ERR_NONCANONICAL, "amount (0)");
    } else if (type == XFER_KEY_OUT) {
        xfer_out o;
        rd_out(r, &o);
    } else if (type == XFER_KEY_CORR) {
        xfer_corr c;
        rd_corr(r, &c);
    } else {
        xfer_in in;
        rd_in(r, &in);
    }
    rd_end(r);
    return r->err;
}

/* ---- holdings through the overlay -------------------------------------------- */

static uint64_t amt_get(const ledger_block *b, const uint8_t *key, size_t klen) {
    return stake_u64_get(b, LEDGER_TAB_XFER, key, klen);
}

static void amt_add(ledger_block *b, const uint8_t *key, size_t klen, uint64_t x) {
    uint64_t v = amt_get(b, key, klen);
    HANSA_ASSERT(u64_add(v, x, &v));
    stake_u64_put(b, LEDGER_TAB_XFER, key, klen, v);
}

static void amt_sub(ledger_block *b, const uint8_t *key, size_t klen, uint64_t x) {
    uint64_t v = amt_get(b, key, klen);
    HANSA_ASSERT(u64_sub(v, x, &v));
    stake_u64_put(b, LEDGER_TAB_XFER, key, klen, v);
}

/* What a holds of d: its balance for the native token, else its voucher. */
static uint64_t hold_get(const ledger_block *b, const hansa_addr *a, const pkt_denom *d) {
    if (d->n == 0) {
        ledger_account acct;
        ledger_block_account(b, a, &acct);
        return acct.balance;
    }
    uint8_t key[KVMAP_KEY_MAX];
    return amt_get(b, key, key_voucher(a, d, key));
}

static void hold_add(ledger_block *b, const hansa_addr *a, const pkt_denom *d, uint64_t x) {
    if (d->n == 0) {
        ledger_account acct;
        ledger_block_account(b, a, &acct);
        HANSA_ASSERT(u64_add(acct.balance, x, &acct.balance));
        ledger_block_account_put(b, a, &acct);
        return;
    }
    uint8_t key[KVMAP_KEY_MAX];
    amt_add(b, key, key_voucher(a, d, key), x);
}

static void hold_sub(ledger_block *b, const hansa_addr *a, const pkt_denom *d, uint64_t x) {
    if (d->n == 0) {
        ledger_account acct;
        ledger_block_account(b, a, &acct);
        HANSA_ASSERT(u64_sub(acct.balance, x, &acct.balance));
        ledger_block_account_put(b, a, &acct);
        return;
    }
    uint8_t key[KVMAP_KEY_MAX];
    amt_sub(b, key, key_voucher(a, d, key), x);
}

static void corr_get(const ledger_block *b, uint32_t chain, xfer_corr *out) {
    uint8_t key[KVMAP_KEY_MAX];
    size_t klen = key_corr(chain, key), vlen;
    const uint8_t *v = stake_raw_get(b, LEDGER_TAB_XFER, key, klen, &vlen);
    memset(out, 0, sizeof *out);
    if (v == NULL) return;
    wire_rd r;
    rd_init(&r, v, vlen);
    rd_corr(&r, out);
    rd_end(&r);
    HANSA_ASSERT(r.err == HANSA_OK);
}

static void corr_put(ledger_block *b, uint32_t chain, const xfer_corr *c) {
    uint8_t key[KVMAP_KEY_MAX], val[1 + 1 + 3 * 8];
    size_t klen = key_corr(chain, key);
    HANSA_ASSERT(c->limited || (c->collateral == 0 && c->paid_out == 0));
    val[0] = LEDGER_RECORD_VERSION;
    val[1] = c->limited ? 1 : 0;
    le64_store(val + 2, c->collateral);
    le64_store(val + 10, c->outstanding);
    le64_store(val + 18, c->paid_out);
    bool empty = !c->limited && c->outstanding == 0;
    stake_raw_put(b, LEDGER_TAB_XFER, key, klen, val, empty ? 0 : sizeof val);
}

/* Vouchers of d outstanding here grow (minted) or shrink (burned); they
 * are claims on the chain of d's last hop. */
static void supply_move(ledger_block *b, const pkt_denom *d, uint64_t x, bool mint) {
    uint8_t key[KVMAP_KEY_MAX];
    size_t klen = key_supply(d, key);
    xfer_corr c;
    HANSA_ASSERT(d->n > 0);
    corr_get(b, d->chain[d->n - 1], &c);
    if (mint) {
        amt_add(b, key, klen, x);
        HANSA_ASSERT(u64_add(c.outstanding, x, &c.outstanding));
    } else {
        amt_sub(b, key, klen, x);
        HANSA_ASSERT(u64_sub(c.outstanding, x, &c.outstanding));
    }
    corr_put(b, d->chain[d->n - 1], &c);
}

/* The most claims on chain that its collateral allows (UINT64_MAX: no limit). */
static uint64_t corr_limit(const xfer_corr *c) {
    if (!c->limited) return UINT64_MAX;
    uint64_t lim;
    return u64_mul(c->collateral, XFER_CORR_MULTIPLE, &lim) ? lim : UINT64_MAX;
}

bool xfer_block_out(const ledger_block *b, const hansa_hash *h, xfer_out *out) {
    uint8_t key[KVMAP_KEY_MAX];
    size_t klen = key_out(h, key), vlen;
    const uint8_t *v = stake_raw_get(b, LEDGER_TAB_XFER, key, klen, &vlen);
    if (v == NULL) return false;
    wire_rd r;
    rd_init(&r, v, vlen);
    rd_out(&r, out);
    rd_end(&r);
    HANSA_ASSERT(r.err == HANSA_OK);
    return true;
}

static void out_put(ledger_block *b, const hansa_hash *h, const xfer_out *o) {
    uint8_t key[KVMAP_KEY_MAX];
    size_t klen = key_out(h, key);
    hbuf enc = HBUF_INIT;
    out_encode(&enc, o);
    stake_raw_put(b, LEDGER_TAB_XFER, key, klen, enc.data, enc.len);
    hbuf_free(&enc);
}

static bool in_get(const ledger_block *b, uint32_t chain, const hansa_hash *h, xfer_in *out) {
    uint8_t key[KVMAP_KEY_MAX];
    size_t klen = key_in(chain, h, key), vlen;
    const uint8_t *v = stake_raw_get(b, LEDGER_TAB_XFER, key, klen, &vlen);
    if (v == NULL) return false;
    wire_rd r;
    rd_init(&r, v, vlen);
    rd_in(&r, out);
    rd_end(&r);
    HANSA_ASSERT(r.err == HANSA_OK);
    return true;
}

static uint32_t own_chain(const ledger_block *b) { return b->base->params.chain_id; }

/* ---- TX_PACKET_SEND -------------------------------------------------------------- */

/* A packet body a decoder refused: err, and where in why (what names it). */
static hansa_err refused_body(hansa_err err, const wire_rd *r, const char *what, char *why,
                              size_t why_len) {
    if (err == HANSA_OK) return HANSA_OK;
    char where[96];
    rd_describe(r, where, sizeof where);
    ledger_why(why, why_len, "%s: %s", what, where);
    return err;
}

hansa_err xfer_send_decode(const uint8_t *body, uint32_t len, ledger_tx_body *out, char *why,
                           size_t why_len) {
    (void)out;
    pkt_send s;
    wire_rd r;
    hansa_err err = pkt_send_decode(body, len, &s, &r);
    if (err == HANSA_OK && s.type == PKT_TYPE_TRANSFER) {
        pkt_transfer t;
        err = pkt_transfer_decode(s.payload, s.payload_len, &t, &r);
    } else if (err == HANSA_OK && s.type == PKT_TYPE_TALLY) {
        credit_xmsg *m = hansa_malloc(sizeof *m);
        err = credit_xmsg_decode(s.payload, s.payload_len, m, &r);
        free(m);
        return refused_body(err, &r, "tally message", why, why_len);
    } else if (err == HANSA_OK && xlift_pkt_type(s.type)) {
        err = xlift_payload_check(&s, &r);
    }
    return refused_body(err, &r, "packet", why, why_len);
}

/* The decoded send of a tx whose body passed xfer_send_decode. */
static void send_of(const wire_tx *tx, pkt_send *s, pkt_transfer *t) {
    HANSA_ASSERT(pkt_send_decode(tx->body, tx->body_len, s, NULL) == HANSA_OK);
    memset(t, 0, sizeof *t);
    if (s->type == PKT_TYPE_TRANSFER)
        HANSA_ASSERT(pkt_transfer_decode(s->payload, s->payload_len, t, NULL) == HANSA_OK);
}

/* A return: the voucher goes back to the chain it came from. */
static bool is_return(const pkt_denom *d, uint32_t dest) { return d->n > 0 && d->chain[d->n - 1] == dest; }

hansa_err xfer_send_check(const ledger_block *b, const ledger_tx_ctx *c, char *why, size_t why_len) {
    pkt_send s;
    pkt_transfer t;
    send_of(c->tx, &s, &t);
    if (s.type != PKT_TYPE_TRANSFER && s.type != PKT_TYPE_TALLY && !xlift_pkt_type(s.type)) {
        ledger_why(why, why_len, "packet type %u is not one this chain sends", s.type);
        return HANSA_ERR_INVALID;
    }
    if (s.dest_chain == own_chain(b)) {
        ledger_why(why, why_len, "a packet to this chain itself: use a transfer");
        return HANSA_ERR_INVALID;
    }
    ic_client cl;
    if (!ledger_block_client(b, s.dest_chain, &cl) || cl.status != IC_STATUS_ACTIVE) {
        ledger_why(why, why_len, "no active light client of chain %" PRIx32 " (its acknowledgement could not be proven)",
                   s.dest_chain);
        return HANSA_ERR_STATE;
    }
    /* The timeout is the destination's time: it must be after the latest
     * header of it this chain verified, or it could only be refused. */
    ic_consensus latest;
    HANSA_ASSERT(ledger_block_client_consensus(b, s.dest_chain, cl.heights[cl.n_heights - 1], &latest));
    if (s.timeout_ms <= latest.time_ms) {
        ledger_why(why, why_len, "the timeout %" PRIu64 " has passed on chain %" PRIx32 " (its time %" PRIu64 ")",
                   s.timeout_ms, s.dest_chain, latest.time_ms);
        return HANSA_ERR_INVALID;
    }
    if (s.type == PKT_TYPE_TALLY) return xtally_send_check(b, c, &s, why, why_len);
    if (xlift_pkt_type(s.type)) return xlift_send_check(b, c, &s, why, why_len);
    if (!is_return(&t.denom, s.dest_chain) && t.denom.n + 1 > PKT_TRACE_MAX) {
        ledger_why(why, why_len, "the denomination's trace would grow past %d chains", PKT_TRACE_MAX);
        return HANSA_ERR_TOO_LONG;
    }
    uint64_t need = t.amount, have = hold_get(b, &c->sender, &t.denom);
    if (t.denom.n == 0) {
        if (!u64_add(need, c->tx->fee, &need)) {
            ledger_why(why, why_len, "amount + fee overflows");
            return HANSA_ERR_OVERFLOW;
        }
        have = c->sender_acct.balance;
    }
    if (have < need) {
        char dn[64];
        pkt_denom_format(&t.denom, dn, sizeof dn);
        ledger_why(why, why_len, "holds %" PRIu64 " of %s, needs %" PRIu64, have, dn, need);
        return HANSA_ERR_FUNDS;
    }
    return HANSA_OK;
}

void xfer_send_apply(ledger_block *b, const ledger_tx_ctx *c) {
    pkt_send s;
    pkt_transfer t;
    send_of(c->tx, &s, &t);
    hansa_hash h;
    wire_tx_hash(c->tx, &h);
    xfer_out o = {.dest_chain = s.dest_chain,
                  .sender = c->sender,
                  .to = t.to,
                  .amount = t.amount,
                  .denom = t.denom,
                  .burned = is_return(&t.denom, s.dest_chain),
                  .timeout_ms = s.timeout_ms,
                  .sent_height = b->info.height,
                  .sent_time_ms = b->info.time_ms,
                  .state = XFER_PENDING};
    if (s.type == PKT_TYPE_TALLY || xlift_pkt_type(s.type)) {
        /* A message: no value moves (amount 0), the record tracks its acknowledgement. */
        if (s.type == PKT_TYPE_TALLY) xtally_send_apply(b, c, &s);
        else xlift_send_apply(b, c, &s);
        out_put(b, &h, &o);
        return;
    }
    hold_sub(b, &c->sender, &t.denom, t.amount);
    if (o.burned) {
        supply_move(b, &t.denom, t.amount, false);
    } else {
        uint8_t key[KVMAP_KEY_MAX];
        amt_add(b, key, key_escrow(s.dest_chain, &t.denom, key), t.amount);
    }
    out_put(b, &h, &o);
}

/* ---- proofs against a light client ------------------------------------------------ */

/* Proves proof.tx under the tx root of chain's verified header at
 * proof.height, and decodes it. */
hansa_err xfer_proven_tx(const ledger_block *b, uint32_t chain, const pkt_proof *p, wire_tx *tx,
                         char *why, size_t why_len) {
    ic_client cl;
    if (!ledger_block_client(b, chain, &cl)) {
        ledger_why(why, why_len, "no light client of chain %" PRIx32, chain);
        return HANSA_ERR_NOT_FOUND;
    }
    if (cl.status != IC_STATUS_ACTIVE) {
        ledger_why(why, why_len, "the light client of chain %" PRIx32 " is %s", chain,
                   cl.status == IC_STATUS_FROZEN ? "frozen" : "not approved yet");
        return HANSA_ERR_STATE;
    }
    ic_consensus cs;
    if (!ledger_block_client_consensus(b, chain, p->height, &cs)) {
        ledger_why(why, why_len, "no verified header of chain %" PRIx32 " at height %" PRIu64
                   " (update the client to it first)", chain, p->height);
        return HANSA_ERR_NOT_FOUND;
    }
    if (!pkt_proof_verify(p, &cs.tx_root)) {
        ledger_why(why, why_len, "forged proof: the transaction is not leaf %" PRIu32 " of %" PRIu32
                   " under the tx root of chain %" PRIx32 " at height %" PRIu64,
                   p->index, p->count, chain, p->height);
        return HANSA_ERR_PROOF;
    }
    wire_rd r;
    if (wire_tx_decode(p->tx, p->tx_len, tx, &r) != HANSA_OK || tx->chain_id != chain) {
        ledger_why(why, why_len, "the proven transaction is not one of chain %" PRIx32, chain);
        return HANSA_ERR_PROOF;
    }
    return HANSA_OK;
}

/* ---- TX_PACKET_RECV ---------------------------------------------------------------- */

hansa_err xfer_recv_decode(const uint8_t *body, uint32_t len, ledger_tx_body *out, char *why,
                           size_t why_len) {
    (void)out;
    pkt_recv v;
    wire_rd r;
    return refused_body(pkt_recv_decode(body, len, &v, &r), &r, "recv", why, why_len);
}

/* What this chain does with a proven send: the outcome and the
 * denomination it credits. */
static uint8_t recv_outcome(const ledger_block *b, uint32_t src, const wire_tx *send,
                            const pkt_send *s, const pkt_transfer *t, pkt_denom *credit) {
    memset(credit, 0, sizeof *credit);
    if (s->type == PKT_TYPE_TALLY) {
        if (b->info.time_ms >= s->timeout_ms) return PKT_REFUSED_TIMEOUT;
        return xtally_recv_outcome(b, src, send, s, NULL, 0);
    }
    if (xlift_pkt_type(s->type)) return xlift_recv_outcome(b, src, s);
    if (s->type != PKT_TYPE_TRANSFER) return PKT_REFUSED_TYPE;
    if (is_return(&t->denom, own_chain(b))) {
        *credit = t->denom;
        credit->n--;
    } else {
        if (t->denom.n + 1 > PKT_TRACE_MAX) return PKT_REFUSED_TRACE;
        *credit = t->denom;
        credit->chain[credit->n++] = src;
    }
    if (b->info.time_ms >= s->timeout_ms) return PKT_REFUSED_TIMEOUT;
    if (is_return(&t->denom, own_chain(b))) {
        uint8_t key[KVMAP_KEY_MAX];
        if (amt_get(b, key, key_escrow(src, credit, key)) < t->amount) return PKT_REFUSED_ESCROW;
    } else {
        /* Claims on the source stay within its correspondent limit, and
         * every count fits a u64 (a byzantine source could claim more). */
        uint8_t key[KVMAP_KEY_MAX];
        uint64_t sum, claims;
        xfer_corr c;
        corr_get(b, src, &c);
        if (!u64_add(amt_get(b, key, key_supply(credit, key)), t->amount, &sum) ||
            !u64_add(c.outstanding, t->amount, &claims) || claims > corr_limit(&c))
            return PKT_REFUSED_LIMIT;
    }
    return PKT_OK;
}

/* The recv of a tx whose body passed xfer_recv_decode, checked against b:
 * the proven send, its hash and this chain's outcome. */
static hansa_err recv_eval(const ledger_block *b, const pkt_recv *v, wire_tx *send, pkt_send *s,
                           pkt_transfer *t, hansa_hash *h, uint8_t *outcome, pkt_denom *credit,
                           char *why, size_t why_len) {
    if (v->src_chain == own_chain(b)) {
        ledger_why(why, why_len, "a packet from this chain itself");
        return HANSA_ERR_INVALID;
    }
    hansa_err err = xfer_proven_tx(b, v->src_chain, &v->proof, send, why, why_len);
    if (err != HANSA_OK) return err;
    if (send->kind != TX_PACKET_SEND || pkt_send_decode(send->body, send->body_len, s, NULL) != HANSA_OK) {
        ledger_why(why, why_len, "the proven transaction is not a packet");
        return HANSA_ERR_PROOF;
    }
    memset(t, 0, sizeof *t);
    if (s->type == PKT_TYPE_TRANSFER && pkt_transfer_decode(s->payload, s->payload_len, t, NULL) != HANSA_OK) {
        ledger_why(why, why_len, "the proven packet's transfer does not decode");
        return HANSA_ERR_PROOF;
    }
    if (s->dest_chain != own_chain(b)) {
        ledger_why(why, why_len, "the packet is for chain %" PRIx32 ", not this one", s->dest_chain);
        return HANSA_ERR_WRONG_CHAIN;
    }
    sha256(v->proof.tx, v->proof.tx_len, h);
    xfer_in prev;
    if (in_get(b, v->src_chain, h, &prev)) {
        ledger_why(why, why_len, "replayed packet: already received at height %" PRIu64 " (%s)",
                   prev.height, pkt_outcome_name(prev.outcome));
        return HANSA_ERR_DUPLICATE;
    }
    *outcome = recv_outcome(b, v->src_chain, send, s, t, credit);
    return HANSA_OK;
}

hansa_err xfer_recv_check(const ledger_block *b, const ledger_tx_ctx *c, char *why, size_t why_len) {
    pkt_recv v;
    HANSA_ASSERT(pkt_recv_decode(c->tx->body, c->tx->body_len, &v, NULL) == HANSA_OK);
    wire_tx send;
    pkt_send s;
    pkt_transfer t;
    hansa_hash h;
    uint8_t outcome;
    pkt_denom credit;
    hansa_err err = recv_eval(b, &v, &send, &s, &t, &h, &outcome, &credit, why, why_len);
    if (err != HANSA_OK) return err;
    if (outcome != v.outcome) {
        ledger_why(why, why_len, "the outcome here is '%s', not '%s'", pkt_outcome_name(outcome),
                   pkt_outcome_name(v.outcome));
        return HANSA_ERR_INVALID;
    }
    return HANSA_OK;
}

void xfer_recv_apply(ledger_block *b, const ledger_tx_ctx *c) {
    pkt_recv v;
    HANSA_ASSERT(pkt_recv_decode(c->tx->body, c->tx->body_len, &v, NULL) == HANSA_OK);
    wire_tx send;
    pkt_send s;
    pkt_transfer t;
    hansa_hash h;
    uint8_t outcome;
    pkt_denom credit;
    HANSA_ASSERT(recv_eval(b, &v, &send, &s, &t, &h, &outcome, &credit, NULL, 0) == HANSA_OK);
    xfer_in in = {.height = b->info.height,
                  .time_ms = b->info.time_ms,
                  .src_height = v.proof.height,
                  .outcome = outcome,
                  .to = t.to,
                  .amount = t.amount,
                  .denom = credit};
    addr_from_pubkey(&send.sender, &in.from);
    if (s.type == PKT_TYPE_TALLY) {
        if (outcome == PKT_OK) xtally_recv_apply(b, v.src_chain, &send, &s);
    } else if (outcome == PKT_OK && xlift_pkt_type(s.type)) {
        xlift_recv_apply(b, v.src_chain, &s);
    } else if (outcome == PKT_OK) {
        if (is_return(&t.denom, own_chain(b))) {
            uint8_t key[KVMAP_KEY_MAX];
            amt_sub(b, key, key_escrow(v.src_chain, &credit, key), t.amount);
        } else {
            supply_move(b, &credit, t.amount, true);
        }
        hold_add(b, &t.to, &credit, t.amount);
    }
    uint8_t key[KVMAP_KEY_MAX];
    size_t klen = key_in(v.src_chain, &h, key);
    hbuf enc = HBUF_INIT;
    in_encode(&enc, &in);
    stake_raw_put(b, LEDGER_TAB_XFER, key, klen, enc.data, enc.len);
    hbuf_free(&enc);
}

/* ---- TX_PACKET_ACK ---------------------------------------------------------------- */

hansa_err xfer_ack_decode(const uint8_t *body, uint32_t len, ledger_tx_body *out, char *why,
                          size_t why_len) {
    (void)out;
    pkt_ack a;
    wire_rd r;
    return refused_body(pkt_ack_decode(body, len, &a, &r), &r, "ack", why, why_len);
}

/* The acknowledged packet of an ack tx: its hash, record and the outcome. */
static hansa_err ack_eval(const ledger_block *b, const pkt_ack *a, hansa_hash *h, xfer_out *o,
                          uint8_t *outcome, char *why, size_t why_len) {
    wire_tx recv;
    hansa_err err = xfer_proven_tx(b, a->dest_chain, &a->proof, &recv, why, why_len);
    if (err != HANSA_OK) return err;
    pkt_recv v;
    if (recv.kind != TX_PACKET_RECV || pkt_recv_decode(recv.body, recv.body_len, &v, NULL) != HANSA_OK ||
        v.src_chain != own_chain(b)) {
        ledger_why(why, why_len, "the proven transaction is not a recv of a packet of this chain");
        return HANSA_ERR_PROOF;
    }
    sha256(v.proof.tx, v.proof.tx_len, h);
    if (!xfer_block_out(b, h, o) || o->dest_chain != a->dest_chain) {
        ledger_why(why, why_len, "no packet of this chain to %" PRIx32 " has that hash", a->dest_chain);
        return HANSA_ERR_NOT_FOUND;
    }
    if (o->state != XFER_PENDING) {
        ledger_why(why, why_len, "the packet was already %s at height %" PRIu64,
                   o->state == XFER_CREDITED ? "acknowledged" : "refunded", o->done_height);
        return HANSA_ERR_DUPLICATE;
    }
    *outcome = v.outcome;
    return HANSA_OK;
}

hansa_err xfer_ack_check(const ledger_block *b, const ledger_tx_ctx *c, char *why, size_t why_len) {
    pkt_ack a;
    HANSA_ASSERT(pkt_ack_decode(c->tx->body, c->tx->body_len, &a, NULL) == HANSA_OK);
    hansa_hash h;
    xfer_out o;
    uint8_t outcome;
    return ack_eval(b, &a, &h, &o, &outcome, why, why_len);
}

/* The send of an ack that passed ack_eval (borrowed from a). */
static void acked_send(const pkt_ack *a, pkt_send *s) {
    wire_tx recv, send;
    pkt_recv v;
    HANSA_ASSERT(wire_tx_decode(a->proof.tx, a->proof.tx_len, &recv, NULL) == HANSA_OK);
    HANSA_ASSERT(pkt_recv_decode(recv.body, recv.body_len, &v, NULL) == HANSA_OK);
    HANSA_ASSERT(wire_tx_decode(v.proof.tx, v.proof.tx_len, &send, NULL) == HANSA_OK);
    HANSA_ASSERT(pkt_send_decode(send.body, send.body_len, s, NULL) == HANSA_OK);
}

void xfer_ack_apply(ledger_block *b, const ledger_tx_ctx *c) {
    pkt_ack a;
    HANSA_ASSERT(pkt_ack_decode(c->tx->body, c->tx->body_len, &a, NULL) == HANSA_OK);
    hansa_hash h;
    xfer_out o;
    uint8_t outcome;
    HANSA_ASSERT(ack_eval(b, &a, &h, &o, &outcome, NULL, 0) == HANSA_OK);
    o.done_height = b->info.height;
    o.done_time_ms = b->info.time_ms;
    o.reason = outcome;
    o.state = outcome == PKT_OK ? XFER_CREDITED : XFER_REFUNDED;
    if (o.amount == 0) { /* a message carrying no value: a tally's sender copy hears the outcome */
        pkt_send s;
        acked_send(&a, &s);
        if (s.type == PKT_TYPE_TALLY) xtally_ack_apply(b, &s, outcome);
    } else if (outcome != PKT_OK) {
        if (o.burned) {
            supply_move(b, &o.denom, o.amount, true);
        } else {
            uint8_t key[KVMAP_KEY_MAX];
            amt_sub(b, key, key_escrow(o.dest_chain, &o.denom, key), o.amount);
        }
        hold_add(b, &o.sender, &o.denom, o.amount);
    }
    out_put(b, &h, &o);
}

/* ---- audits ------------------------------------------------------------------------ */

/* One chain's xfer records, decoded, for the audits. */
typedef struct {
    uint8_t type;
    uint32_t chain;     /* escrow: held for; in: source */
    hansa_hash hash;    /* out, in */
    pkt_denom denom;    /* voucher, escrow, supply */
    uint64_t amount;    /* voucher, escrow, supply */
    xfer_out out;
    xfer_in in;
    xfer_corr corr;
} xrec;

typedef struct {
    uint32_t chain_id;
    xrec *r;
    size_t n, cap;
    bool bad;
} xrecs;

static void collect(void *ctx, const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen) {
    xrecs *x = ctx;
    wire_rd r;
    if (xfer_record_check(key, klen, val, vlen, &r) != HANSA_OK) {
        x->bad = true;
        return;
    }
    if (x->n == x->cap) {
        x->cap = x->cap ? 2 * x->cap : 64;
        x->r = hansa_realloc(x->r, x->cap * sizeof *x->r);
    }
    xrec *e = &x->r[x->n++];
    memset(e, 0, sizeof *e);
    e->type = key[0];
    wire_rd kr;
    switch (key[0]) {
    case XFER_KEY_VOUCHER: rd_init(&kr, key + 1 + HANSA_ADDR_BYTES, klen - 1 - HANSA_ADDR_BYTES); break;
    case XFER_KEY_ESCROW:
        e->chain = be32_load(key + 1);
        rd_init(&kr, key + 5, klen - 5);
        break;
    case XFER_KEY_SUPPLY: rd_init(&kr, key + 1, klen - 1); break;
    case XFER_KEY_OUT:
        memcpy(e->hash.b, key + 1, HANSA_HASH_BYTES);
        rd_init(&r, val, vlen);
        rd_out(&r, &e->out);
        return;
    case XFER_KEY_IN:
        e->chain = be32_load(key + 1);
        memcpy(e->hash.b, key + 5, HANSA_HASH_BYTES);
        rd_init(&r, val, vlen);
        rd_in(&r, &e->in);
        return;
    case XFER_KEY_BOND:
        e->chain = be32_load(key + 1);
        e->amount = le64_load(val + 1);
        return;
    case XFER_KEY_CORR:
        e->chain = be32_load(key + 1);
        rd_init(&r, val, vlen);
        rd_corr(&r, &e->corr);
        return;
    default: HANSA_UNREACHABLE();
    }
    denom_key_rd(&kr, &e->denom);
    e->amount = le64_load(val + 1);
}

static xrecs xrecs_of(const ledger_state *s) {
    xrecs x = {.chain_id = ledger_state_params(s)->chain_id};
    ledger_records_iter(s, LEDGER_TAB_XFER, collect, &x);
    return x;
}

/* Sums of the records of x of type (and chain, if type is escrow) and denom. */
static uint64_t sum_of(const xrecs *x, uint8_t type, uint32_t chain, const pkt_denom *d, bool *overflow) {
    uint64_t sum = 0;
    for (size_t i = 0; i < x->n; i++) {
        const xrec *e = &x->r[i];
        if (e->type != type || !pkt_denom_eq(&e->denom, d) || (type == XFER_KEY_ESCROW && e->chain != chain))
            continue;
        if (!u64_add(sum, e->amount, &sum)) *overflow = true;
    }
    return sum;
}

static bool has_corr(const xrecs *x, uint32_t chain) {
    for (size_t i = 0; i < x->n; i++)
        if (x->r[i].type == XFER_KEY_CORR && x->r[i].chain == chain) return true;
    return false;
}

hansa_err ledger_xfer_audit(const ledger_state *s, uint64_t *native_escrow, char *why,
                            size_t why_len) {
    xrecs x = xrecs_of(s);
    hansa_err err = HANSA_OK;
    bool overflow = false;
    *native_escrow = 0;
    if (x.bad) {
        ledger_why(why, why_len, "xfer: a malformed record");
        err = HANSA_ERR_CORRUPT;
    }
    for (size_t i = 0; i < x.n && err == HANSA_OK; i++) {
        const xrec *e = &x.r[i];
        char dn[64];
        pkt_denom_format(&e->denom, dn, sizeof dn);
        if ((e->type == XFER_KEY_SUPPLY && !has_corr(&x, e->denom.chain[e->denom.n - 1])) ||
            (e->type == XFER_KEY_BOND && !has_corr(&x, e->chain))) {
            ledger_why(why, why_len, "xfer: vouchers or collateral of %s without its correspondent record", dn);
            err = HANSA_ERR_CORRUPT;
            continue;
        }
        if ((e->type == XFER_KEY_ESCROW && e->denom.n == 0) || e->type == XFER_KEY_BOND) {
            if (!u64_add(*native_escrow, e->amount, native_escrow)) overflow = true;
        } else if (e->type == XFER_KEY_CORR) {
            uint64_t bonded = 0, claims = 0;
            for (size_t j = 0; j < x.n; j++) {
                const xrec *f = &x.r[j];
                if (f->type == XFER_KEY_BOND && f->chain == e->chain && !u64_add(bonded, f->amount, &bonded))
                    overflow = true;
                if (f->type == XFER_KEY_SUPPLY && f->denom.chain[f->denom.n - 1] == e->chain &&
                    !u64_add(claims, f->amount, &claims))
                    overflow = true;
            }
            if (!overflow && (bonded != e->corr.collateral || claims != e->corr.outstanding)) {
                ledger_why(why, why_len,
                           "xfer: correspondent %" PRIx32 " has collateral %" PRIu64 " (bonds %" PRIu64
                           ") and claims %" PRIu64 " (vouchers %" PRIu64 ")",
                           e->chain, e->corr.collateral, bonded, e->corr.outstanding, claims);
                err = HANSA_ERR_CORRUPT;
            }
        } else if (e->type == XFER_KEY_VOUCHER || e->type == XFER_KEY_ESCROW) {
            uint8_t key[KVMAP_KEY_MAX];
            size_t klen = key_supply(&e->denom, key);
            const kvmap_slot *slot = kvmap_get(&s->tabs[LEDGER_TAB_XFER], key, klen);
            if (slot == NULL) {
                ledger_why(why, why_len, "xfer: vouchers of %s held or escrowed, none outstanding", dn);
                err = HANSA_ERR_CORRUPT;
            }
        } else if (e->type == XFER_KEY_SUPPLY) {
            uint64_t held = sum_of(&x, XFER_KEY_VOUCHER, 0, &e->denom, &overflow), esc = 0;
            for (size_t j = 0; j < x.n; j++) {
                const xrec *f = &x.r[j];
                if (f->type == XFER_KEY_ESCROW && pkt_denom_eq(&f->denom, &e->denom) &&
                    !u64_add(esc, f->amount, &esc))
                    overflow = true;
            }
            uint64_t total;
            if (!u64_add(held, esc, &total)) overflow = true;
            if (!overflow && total != e->amount) {
                ledger_why(why, why_len,
                           "xfer: %" PRIu64 " vouchers of %s outstanding but %" PRIu64
                           " held + %" PRIu64 " in escrow", e->amount, dn, held, esc);
                err = HANSA_ERR_CORRUPT;
            }
        }
    }
    if (err == HANSA_OK && overflow) {
        ledger_why(why, why_len, "xfer: the records overflow a u64");
        err = HANSA_ERR_CORRUPT;
    }
    free(x.r);
    return err;
}

/* True when chain `at`'s records say packet h from `src` was credited. */
static bool credited(const xrecs *at, uint32_t src, const hansa_hash *h) {
    for (size_t i = 0; i < at->n; i++) {
        const xrec *e = &at->r[i];
        if (e->type == XFER_KEY_IN && e->chain == src && hash_eq(&e->hash, h)) return e->in.outcome == PKT_OK;
    }
    return false;
}

/* Packets pending on `from` to `to` of denom d (burned or escrowed, as
 * asked) that `to` has not credited. */
static uint64_t in_flight(const xrecs *from, const xrecs *to, const pkt_denom *d, bool burned,
                          bool *overflow) {
    uint64_t sum = 0;
    for (size_t i = 0; i < from->n; i++) {
        const xfer_out *o = &from->r[i].out;
        if (from->r[i].type != XFER_KEY_OUT || o->state != XFER_PENDING || o->dest_chain != to->chain_id ||
            o->burned != burned || !pkt_denom_eq(&o->denom, d) ||
            credited(to, from->chain_id, &from->r[i].hash))
            continue;
        if (!u64_add(sum, o->amount, &sum)) *overflow = true;
    }
    return sum;
}

static bool denom_seen(const pkt_denom *seen, size_t n, const pkt_denom *d) {
    for (size_t i = 0; i < n; i++)
        if (pkt_denom_eq(&seen[i], d)) return true;
    return false;
}

/* The edge X -> Y for denomination t (held on X, t's last hop not Y). */
static hansa_err edge_check(const xrecs *x, const xrecs *y, const pkt_denom *t, char *why,
                            size_t why_len) {
    bool overflow = false;
    uint64_t escrow = sum_of(x, XFER_KEY_ESCROW, y->chain_id, t, &overflow);
    uint64_t vouchers = 0, back = 0;
    if (t->n < PKT_TRACE_MAX) {
        pkt_denom u = *t;
        u.chain[u.n++] = x->chain_id;
        vouchers = sum_of(y, XFER_KEY_SUPPLY, 0, &u, &overflow);
        back = in_flight(y, x, &u, true, &overflow);
    }
    uint64_t out = in_flight(x, y, t, false, &overflow), want;
    if (!u64_add(vouchers, out, &want) || !u64_add(want, back, &want)) overflow = true;
    if (!overflow && escrow == want) return HANSA_OK;
    char dn[64], cx[CHAIN_ID_TEXT_MAX], cy[CHAIN_ID_TEXT_MAX];
    pkt_denom_format(t, dn, sizeof dn);
    chain_id_format(x->chain_id, cx);
    chain_id_format(y->chain_id, cy);
    ledger_why(why, why_len,
               "conservation: chain %s holds %" PRIu64 " of %s in escrow for chain %s, but %s has %" PRIu64
               " vouchers outstanding, %" PRIu64 " are in flight there and %" PRIu64 " on the way back%s",
               cx, escrow, dn, cy, cy, vouchers, out, back, overflow ? " (overflow)" : "");
    return HANSA_ERR_CORRUPT;
}

static hansa_err pair_check(const xrecs *x, const xrecs *y, char *why, size_t why_len) {
    pkt_denom seen[256];
    size_t n_seen = 0;
    for (size_t side = 0; side < 2; side++) {
        const xrecs *from = side == 0 ? x : y;
        for (size_t i = 0; i < from->n; i++) {
            const xrec *e = &from->r[i];
            pkt_denom t;
            if (side == 0 && e->type == XFER_KEY_ESCROW && e->chain == y->chain_id) t = e->denom;
            else if (side == 0 && e->type == XFER_KEY_OUT && e->out.dest_chain == y->chain_id && !e->out.burned)
                t = e->out.denom;
            else if (side == 1 && (e->type == XFER_KEY_SUPPLY || (e->type == XFER_KEY_OUT && e->out.burned &&
                                                                 e->out.dest_chain == x->chain_id))) {
                t = e->type == XFER_KEY_SUPPLY ? e->denom : e->out.denom;
                if (t.n == 0 || t.chain[t.n - 1] != x->chain_id) continue;
                t.n--;
            } else
                continue;
            if (denom_seen(seen, n_seen, &t)) continue;
            if (n_seen == sizeof seen / sizeof seen[0]) {
                ledger_why(why, why_len, "conservation: more than 256 denominations between two chains");
                return HANSA_ERR_FULL;
            }
            seen[n_seen++] = t;
            hansa_err err = edge_check(x, y, &t, why, why_len);
            if (err != HANSA_OK) return err;
        }
    }
    return HANSA_OK;
}

hansa_err xfer_conservation_check(const ledger_state *const *states, size_t n, char *why,
                                  size_t why_len) {
    xrecs *x = hansa_calloc(n ? n : 1, sizeof *x);
    hansa_err err = HANSA_OK;
    for (size_t i = 0; i < n && err == HANSA_OK; i++) {
        err = ledger_supply_check(states[i], why, why_len);
        x[i] = xrecs_of(states[i]);
    }
    for (size_t i = 0; i < n && err == HANSA_OK; i++)
        for (size_t j = 0; j < n && err == HANSA_OK; j++)
            if (i != j) err = pair_check(&x[i], &x[j], why, why_len);
    for (size_t i = 0; i < n; i++) free(x[i].r);
    free(x);
    return err;
}

/* ---- reads -------------------------------------------------------------------------- */

uint64_t ledger_xfer_voucher(const ledger_state *s, const hansa_addr *a, const pkt_denom *d) {
    ledger_block *b = ledger_block_begin_check(s);
    uint64_t v = hold_get(b, a, d);
    ledger_block_free(b);
    return v;
}

bool ledger_xfer_out(const ledger_state *s, const hansa_hash *packet, xfer_out *out) {
    ledger_block *b = ledger_block_begin_check(s);
    bool ok = xfer_block_out(b, packet, out);
    ledger_block_free(b);
    return ok;
}

bool ledger_xfer_in(const ledger_state *s, uint32_t src_chain, const hansa_hash *packet,
                    xfer_in *out) {
    ledger_block *b = ledger_block_begin_check(s);
    bool ok = in_get(b, src_chain, packet, out);
    ledger_block_free(b);
    return ok;
}

typedef struct {
    const hansa_addr *a;
    pkt_denom *denoms;
    uint64_t *amounts;
    size_t n, max;
} holdings_ctx;

static void holdings_visit(void *ctx, const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen) {
    holdings_ctx *h = ctx;
    (void)vlen;
    if (key[0] != XFER_KEY_VOUCHER || memcmp(key + 1, h->a->b, HANSA_ADDR_BYTES) != 0) return;
    if (h->n < h->max) {
        wire_rd kr;
        rd_init(&kr, key + 1 + HANSA_ADDR_BYTES, klen - 1 - HANSA_ADDR_BYTES);
        denom_key_rd(&kr, &h->denoms[h->n]);
        h->amounts[h->n] = le64_load(val + 1);
    }
    h->n++;
}

size_t ledger_xfer_vouchers_of(const ledger_state *s, const hansa_addr *a, pkt_denom *denoms,
                               uint64_t *amounts, size_t max) {
    holdings_ctx h = {a, denoms, amounts, 0, max};
    ledger_records_iter(s, LEDGER_TAB_XFER, holdings_visit, &h);
    return h.n;
}

uint8_t ledger_xfer_outcome(const ledger_state *s, uint32_t src_chain, const uint8_t *send_tx,
                            size_t len, uint64_t now_ms) {
    wire_tx tx;
    pkt_send snd;
    pkt_transfer t = {0};
    if (wire_tx_decode(send_tx, len, &tx, NULL) != HANSA_OK ||
        pkt_send_decode(tx.body, tx.body_len, &snd, NULL) != HANSA_OK)
        return PKT_REFUSED_TYPE;
    if (snd.type == PKT_TYPE_TRANSFER && pkt_transfer_decode(snd.payload, snd.payload_len, &t, NULL) != HANSA_OK)
        return PKT_REFUSED_TYPE;
    ledger_block *b = ledger_block_begin_check(s);
    b->info.time_ms = now_ms;
    pkt_denom credit;
    uint8_t o = recv_outcome(b, src_chain, &tx, &snd, &t, &credit);
    ledger_block_free(b);
    return o;
}

typedef struct {
    uint32_t dest, mod, rem;
    xfer_pending *all;
    size_t n, cap;
} pending_ctx;

static void pending_visit(void *ctx, const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen) {
    pending_ctx *p = ctx;
    (void)klen;
    if (key[0] != XFER_KEY_OUT || le32_load(key + 1) % p->mod != p->rem) return;
    xfer_out o;
    wire_rd r;
    rd_init(&r, val, vlen);
    rd_out(&r, &o);
    if (r.err != HANSA_OK || o.state != XFER_PENDING || o.dest_chain != p->dest) return;
    if (p->n == p->cap) {
        p->cap = p->cap ? 2 * p->cap : 64;
        p->all = hansa_realloc(p->all, p->cap * sizeof *p->all);
    }
    memcpy(p->all[p->n].hash.b, key + 1, HANSA_HASH_BYTES);
    p->all[p->n++].height = o.sent_height;
}

static int pending_cmp(const void *a, const void *b) {
    const xfer_pending *x = a, *y = b;
    if (x->height != y->height) return x->height < y->height ? -1 : 1;
    return memcmp(x->hash.b, y->hash.b, HANSA_HASH_BYTES);
}

size_t ledger_xfer_pending(const ledger_state *s, uint32_t dest, uint32_t mod, uint32_t rem, xfer_pending *out,
                           size_t max) {
    HANSA_ASSERT(mod > 0 && rem < mod);
    pending_ctx p = {.dest = dest, .mod = mod, .rem = rem};
    ledger_records_iter(s, LEDGER_TAB_XFER, pending_visit, &p);
    if (p.n > 1) qsort(p.all, p.n, sizeof *p.all, pending_cmp);
    if (p.n > 0 && max > 0) memcpy(out, p.all, (p.n < max ? p.n : max) * sizeof *out);
    free(p.all);
    return p.n;
}

/* ---- correspondent collateral -------------------------------------------------------- */

hansa_err xfer_corr_decode(const uint8_t *body, uint32_t len, ledger_tx_body *out, char *why,
                           size_t why_len) {
    if (len != XFER_CORR_BODY_BYTES) {
        ledger_why(why, why_len, "collateral body: %u bytes, not %d", len, XFER_CORR_BODY_BYTES);
        return len < XFER_CORR_BODY_BYTES ? HANSA_ERR_TRUNCATED : HANSA_ERR_TRAILING;
    }
    out->corr.chain = le32_load(body);
    out->corr.amount = le64_load(body + 4);
    if (out->corr.amount == 0) {
        ledger_why(why, why_len, "collateral body: amount 0");
        return HANSA_ERR_INVALID;
    }
    return HANSA_OK;
}

hansa_err xfer_bond_check(const ledger_block *b, const ledger_tx_ctx *c, char *why, size_t why_len) {
    uint64_t need;
    ic_client cl;
    if (c->body.corr.chain == own_chain(b) || !ledger_block_client(b, c->body.corr.chain, &cl)) {
        ledger_why(why, why_len, "collateral for chain %" PRIx32 ": this chain keeps no client of it",
                   c->body.corr.chain);
        return HANSA_ERR_NOT_FOUND;
    }
    if (cl.status == IC_STATUS_FROZEN) {
        ledger_why(why, why_len, "the client of chain %" PRIx32 " is frozen", c->body.corr.chain);
        return HANSA_ERR_STATE;
    }
    if (!u64_add(c->body.corr.amount, c->tx->fee, &need)) {
        ledger_why(why, why_len, "amount + fee overflows");
        return HANSA_ERR_OVERFLOW;
    }
    if (c->sender_acct.balance < need) {
        ledger_why(why, why_len, "balance %" PRIu64 " < amount + fee %" PRIu64, c->sender_acct.balance, need);
        return HANSA_ERR_FUNDS;
    }
    return HANSA_OK;
}

void xfer_bond_apply(ledger_block *b, const ledger_tx_ctx *c) {
    uint32_t chain = c->body.corr.chain;
    uint64_t amount = c->body.corr.amount;
    uint8_t key[KVMAP_KEY_MAX];
    hold_sub(b, &c->sender, &(pkt_denom){0}, amount);
    amt_add(b, key, key_bond(chain, &c->sender, key), amount);
    xfer_corr k;
    corr_get(b, chain, &k);
    k.limited = true;
    HANSA_ASSERT(u64_add(k.collateral, amount, &k.collateral));
    corr_put(b, chain, &k);
}

hansa_err xfer_unbond_check(const ledger_block *b, const ledger_tx_ctx *c, char *why, size_t why_len) {
    uint32_t chain = c->body.corr.chain;
    uint64_t amount = c->body.corr.amount;
    uint8_t key[KVMAP_KEY_MAX];
    uint64_t mine = amt_get(b, key, key_bond(chain, &c->sender, key));
    if (mine < amount) {
        ledger_why(why, why_len, "bonded %" PRIu64 " for chain %" PRIx32 ", not %" PRIu64, mine, chain, amount);
        return HANSA_ERR_FUNDS;
    }
    xfer_corr k;
    corr_get(b, chain, &k);
    k.collateral -= amount;
    if (k.outstanding > corr_limit(&k)) {
        ledger_why(why, why_len, "%" PRIu64 " vouchers of chain %" PRIx32 " are outstanding: the collateral "
                   "must stay at least 1/%d of that", k.outstanding, chain, XFER_CORR_MULTIPLE);
        return HANSA_ERR_STATE;
    }
    return HANSA_OK;
}

void xfer_unbond_apply(ledger_block *b, const ledger_tx_ctx *c) {
    uint32_t chain = c->body.corr.chain;
    uint64_t amount = c->body.corr.amount;
    uint8_t key[KVMAP_KEY_MAX];
    amt_sub(b, key, key_bond(chain, &c->sender, key), amount);
    hold_add(b, &c->sender, &(pkt_denom){0}, amount);
    xfer_corr k;
    corr_get(b, chain, &k);
    k.collateral -= amount;
    corr_put(b, chain, &k);
}

/* ---- the payout of a frozen chain's collateral ----------------------------------------- */

typedef struct {
    uint32_t chain;
    hansa_addr *who;
    uint64_t *amount;
    size_t n, cap;
    uint64_t total;
} holders_ctx;

static void holders_push(holders_ctx *h, const uint8_t *addr, uint64_t amount) {
    if (h->n == h->cap) {
        h->cap = h->cap ? 2 * h->cap : 16;
        h->who = hansa_realloc(h->who, h->cap * sizeof *h->who);
        h->amount = hansa_realloc(h->amount, h->cap * sizeof *h->amount);
    }
    memcpy(h->who[h->n].b, addr, HANSA_ADDR_BYTES);
    h->amount[h->n++] = amount;
}

/* Voucher holders of the chain (vouchers whose last hop is it), and bonders for it. */
static void holders_visit(void *ctx, const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen) {
    holders_ctx *h = ctx;
    (void)vlen;
    if (key[0] != XFER_KEY_VOUCHER) return;
    wire_rd kr;
    pkt_denom d;
    rd_init(&kr, key + 1 + HANSA_ADDR_BYTES, klen - 1 - HANSA_ADDR_BYTES);
    denom_key_rd(&kr, &d);
    if (d.n == 0 || d.chain[d.n - 1] != h->chain) return;
    uint64_t amount = le64_load(val + 1);
    holders_push(h, key + 1, amount);
    HANSA_ASSERT(u64_add(h->total, amount, &h->total));
}

static void bonders_visit(void *ctx, const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen) {
    holders_ctx *h = ctx;
    (void)klen, (void)vlen;
    if (key[0] == XFER_KEY_BOND && be32_load(key + 1) == h->chain) holders_push(h, key + 5, le64_load(val + 1));
}

static void payout(ledger_block *b, uint32_t chain, xfer_corr *k) {
    holders_ctx h = {.chain = chain};
    stake_iter(b, LEDGER_TAB_XFER, holders_visit, &h);
    uint64_t paid = 0;
    for (size_t i = 0; i < h.n; i++) {
        uint64_t share = (uint64_t)((unsigned __int128)k->collateral * h.amount[i] / h.total);
        hold_add(b, &h.who[i], &(pkt_denom){0}, share);
        paid += share;
    }
    /* the rounding remainder, or all of it when nobody holds vouchers of chain */
    HANSA_ASSERT(u64_add(b->supply.burned, k->collateral - paid, &b->supply.burned));
    free(h.who);
    free(h.amount);
    holders_ctx bonders = {.chain = chain};
    stake_iter(b, LEDGER_TAB_XFER, bonders_visit, &bonders);
    for (size_t i = 0; i < bonders.n; i++) {
        uint8_t key[KVMAP_KEY_MAX];
        stake_raw_put(b, LEDGER_TAB_XFER, key, key_bond(chain, &bonders.who[i], key), NULL, 0);
    }
    free(bonders.who);
    free(bonders.amount);
    HANSA_ASSERT(u64_add(k->paid_out, k->collateral, &k->paid_out));
    k->collateral = 0;
    corr_put(b, chain, k);
}

typedef struct {
    uint32_t chain[LEDGER_CLIENTS_MAX];
    size_t n;
} frozen_ctx;

static void frozen_visit(void *ctx, const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen) {
    frozen_ctx *f = ctx;
    ic_client c;
    (void)klen;
    uint32_t chain = be32_load(key + 1);
    if (f->n < LEDGER_CLIENTS_MAX && ic_client_decode(val, vlen, chain, &c, NULL) == HANSA_OK &&
        c.status == IC_STATUS_FROZEN)
        f->chain[f->n++] = chain;
}

void xfer_block_finish(ledger_block *b) {
    frozen_ctx f = {.n = 0};
    stake_iter(b, LEDGER_TAB_IC_CLIENT, frozen_visit, &f);
    for (size_t i = 0; i < f.n; i++) {
        xfer_corr k;
        corr_get(b, f.chain[i], &k);
        if (k.collateral > 0) payout(b, f.chain[i], &k);
    }
}

bool ledger_xfer_corr(const ledger_state *s, uint32_t chain, xfer_corr *out) {
    ledger_block *b = ledger_block_begin_check(s);
    corr_get(b, chain, out);
    ledger_block_free(b);
    return out->limited || out->outstanding > 0;
}

uint64_t ledger_xfer_escrow_for(const ledger_state *s, uint32_t chain) {
    ledger_block *b = ledger_block_begin_check(s);
    uint8_t key[KVMAP_KEY_MAX];
    uint64_t v = amt_get(b, key, key_escrow(chain, &(pkt_denom){0}, key));
    ledger_block_free(b);
    return v;
}
