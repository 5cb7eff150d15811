/* chain.c — see chain.h: one tally half's chit chain and the foil-orders,
 * stock-conforms protocol, with its message codec. */
#include "credit/chain.h"

#include <stdio.h>
#include <string.h>

#include "base/assert.h"
#include "crypto/sha256.h"

static credit_mutant mutant = CREDIT_MUTANT_NONE;

void credit_chain_test_mutant(credit_mutant m) { mutant = m; }

const char *credit_refuse_name(credit_refuse_reason r) {
    switch (r) {
    case CREDIT_REFUSE_CONFLICT: return "conflict";
    case CREDIT_REFUSE_BAD: return "bad chit";
    case CREDIT_REFUSE_CHAIN: return "chains disagree";
    }
    return "?";
}

/* ---- hashes ------------------------------------------------------------------ */

void credit_chain_genesis(const credit_id *tally_id, hansa_hash *out) {
    static const char tag[] = "hansa/chit-chain/v1";
    sha256_ctx c;
    sha256_init(&c);
    sha256_update(&c, tag, sizeof tag - 1);
    sha256_update(&c, tally_id->b, CREDIT_ID_BYTES);
    sha256_final(&c, out);
}

void credit_chain_link_hash(const hansa_hash *prev, const credit_chit *c, hansa_hash *out) {
    hansa_hash ch;
    credit_chit_hash(c, &ch);
    uint8_t buf[2 * HANSA_HASH_BYTES];
    memcpy(buf, prev->b, HANSA_HASH_BYTES);
    memcpy(buf + HANSA_HASH_BYTES, ch.b, HANSA_HASH_BYTES);
    sha256(buf, sizeof buf, out);
}

/* ---- the half ---------------------------------------------------------------- */

void credit_half_init(credit_half *h, credit_side side, const credit_id *tally_id,
                      const hansa_pubkey *stock_key, const hansa_pubkey *foil_key,
                      const credit_chain_ops *ops, void *ctx) {
    memset(h, 0, sizeof *h);
    h->side = (uint8_t)side;
    h->tally_id = *tally_id;
    h->keys[CREDIT_STOCK] = *stock_key;
    h->keys[CREDIT_FOIL] = *foil_key;
    h->ops = ops;
    h->ctx = ctx;
    credit_chain_genesis(tally_id, &h->end);
}

static void hash_at(const credit_half *h, uint64_t idx, hansa_hash *out) {
    HANSA_ASSERT(idx <= h->n);
    if (idx == h->n) {
        *out = h->end;
    } else if (idx == 0) {
        credit_chain_genesis(&h->tally_id, out);
    } else {
        credit_link l;
        h->ops->get(h->ctx, idx, &l);
        *out = l.hash;
    }
}

/* The index of id in this half's chain, or 0. */
static uint64_t find_linked(const credit_half *h, const credit_id *id) {
    uint64_t at = h->ops->find(h->ctx, id);
    return at <= h->n ? at : 0;
}

static int find_tail(const credit_half *h, const credit_id *id) {
    for (int i = 0; i < h->n_tail; i++)
        if (credit_id_eq(&h->tail[i].chit_id, id)) return i;
    return -1;
}

static void drop_tail(credit_half *h, int i) {
    HANSA_ASSERT(i >= 0 && i < h->n_tail);
    memmove(&h->tail[i], &h->tail[i + 1], (size_t)(h->n_tail - i - 1) * sizeof h->tail[0]);
    h->n_tail--;
}

static void link_chit(credit_half *h, const credit_chit *c) {
    credit_link l;
    l.chit = *c;
    credit_chain_link_hash(&h->end, c, &l.hash);
    h->ops->append(h->ctx, h->n + 1, &l);
    h->n++;
    h->end = l.hash;
}

static credit_msg *new_msg(const credit_half *h, credit_out *out, credit_msg_kind kind) {
    HANSA_ASSERT(out->n_msgs < CREDIT_OUT_MSGS_MAX);
    credit_msg *m = &out->msgs[out->n_msgs++];
    memset(m, 0, sizeof *m);
    m->kind = (uint8_t)kind;
    m->tally_id = h->tally_id;
    m->from = h->side;
    return m;
}

static void send_point(const credit_half *h, credit_out *out, credit_msg_kind kind, uint64_t idx) {
    credit_msg *m = new_msg(h, out, kind);
    m->idx = idx;
    hash_at(h, idx, &m->hash);
}

/* The foil's order after base; the stock's confirmed end and its tail. */
static void send_upd(const credit_half *h, credit_out *out, uint64_t base) {
    credit_msg *m = new_msg(h, out, CREDIT_MSG_UPD);
    m->idx = base;
    hash_at(h, base, &m->hash);
    if (h->side == CREDIT_FOIL) {
        for (uint64_t i = base + 1; i <= h->n && m->n_chits < CREDIT_UPD_CHITS_MAX; i++) {
            credit_link l;
            h->ops->get(h->ctx, i, &l);
            m->chits[m->n_chits++] = l.chit;
        }
    } else {
        HANSA_ASSERT(base == h->n);
        for (int i = 0; i < h->n_tail; i++) m->chits[m->n_chits++] = h->tail[i];
    }
}

static void send_refuse(const credit_half *h, credit_out *out, const credit_id *id,
                        credit_refuse_reason reason) {
    credit_msg *m = new_msg(h, out, CREDIT_MSG_REFUSE);
    if (id != NULL) m->chit_id = *id;
    m->reason = (uint8_t)reason;
}

/* Stops the half: an honest peer never causes this. */
static hansa_err fault(credit_half *h, credit_out *out, const credit_id *id,
                       credit_refuse_reason reason) {
    h->fault = (uint8_t)reason;
    send_refuse(h, out, id, reason);
    return HANSA_OK;
}

/* A chit from outside this half: for this tally, by a real side, signed. */
static bool chit_valid(const credit_half *h, const credit_chit *c, bool trust_sig) {
    if (!credit_id_eq(&c->tally_id, &h->tally_id)) return false;
    if (c->by != CREDIT_STOCK && c->by != CREDIT_FOIL) return false;
    if (c->kind == CREDIT_CHIT_LIFT) return h->ops->lift_chit_ok && h->ops->lift_chit_ok(h->ctx, c);
    return trust_sig || credit_chit_verify(c, &h->keys[c->by]);
}

bool credit_half_settled(const credit_half *h) {
    return h->side == CREDIT_FOIL ? h->ack == h->n : h->n_tail == 0;
}

void credit_half_tick(credit_half *h, credit_out *out) {
    memset(out, 0, sizeof *out);
    if (h->fault || credit_half_settled(h)) return;
    send_upd(h, out, h->side == CREDIT_FOIL ? h->ack : h->n);
}

hansa_err credit_half_issue(credit_half *h, const credit_chit *c, bool trust_sig, credit_out *out,
                            char *why, size_t why_len) {
    memset(out, 0, sizeof *out);
    if (h->fault) {
        credit_say(why, why_len, "the %s half stopped: %s", credit_side_name(h->side),
            credit_refuse_name(h->fault));
        return HANSA_ERR_STATE;
    }
    if (c->by != h->side || !chit_valid(h, c, trust_sig)) {
        credit_say(why, why_len, "chit is not this tally's %s holder's, or its signature does not verify",
            credit_side_name(h->side));
        return HANSA_ERR_BAD_SIG;
    }
    uint64_t at = find_linked(h, &c->chit_id);
    int t = find_tail(h, &c->chit_id);
    if (at != 0 || t >= 0) {
        credit_link l;
        if (at != 0) h->ops->get(h->ctx, at, &l);
        const credit_chit *known = at != 0 ? &l.chit : &h->tail[t];
        if (credit_chit_same(known, c)) {
            credit_say(why, why_len, "this chit is already on the tally");
            return HANSA_ERR_DUPLICATE;
        }
        credit_say(why, why_len, "conflict: the chit id is taken by a different chit");
        return HANSA_ERR_INVALID;
    }
    if (h->side == CREDIT_FOIL) {
        link_chit(h, c);
        send_upd(h, out, h->ack);
        return HANSA_OK;
    }
    if (h->n_tail == CREDIT_TAIL_MAX) {
        credit_say(why, why_len, "%d stock chits already wait for the foil's order", CREDIT_TAIL_MAX);
        return HANSA_ERR_FULL;
    }
    h->tail[h->n_tail++] = *c;
    send_upd(h, out, h->n);
    return HANSA_OK;
}

/* ---- the foil ------------------------------------------------------------------- */

/* Every stock message that names a point of the foil's chain (UPD, ACK,
 * REQ) first passes this: the stock's chain must equal the foil's up to
 * m->idx, which the foil then counts as acknowledged. A point past the
 * foil's end or a different hash there is a chain fault: then it returns
 * false with *err what the message's handling returns (fault() answers
 * HANSA_OK: the refusal is the answer), and the message goes no further.
 * upd: the message is an UPD (else an ACK or a REQ), for the words of the
 * first failure. */
static bool foil_same_chain(credit_half *h, const credit_msg *m, credit_out *out, bool upd,
                            hansa_err *err, char *why, size_t why_len) {
    hansa_hash mine;
    if (m->idx > h->n) {
        unsigned long long idx = m->idx, have = h->n;
        if (upd) credit_say(why, why_len, "the stock claims %llu confirmed chits, the foil has %llu", idx, have);
        else credit_say(why, why_len, "the stock acknowledges %llu chits, the foil has %llu", idx, have);
        *err = fault(h, out, NULL, CREDIT_REFUSE_CHAIN);
        return false;
    }
    hash_at(h, m->idx, &mine);
    if (!hash_eq(&mine, &m->hash)) {
        credit_say(why, why_len, "the stock's chain differs from the foil's at %llu",
            (unsigned long long)m->idx);
        *err = fault(h, out, NULL, CREDIT_REFUSE_CHAIN);
        return false;
    }
    if (m->idx > h->ack) h->ack = m->idx;
    return true;
}

/* The stock's chits for the foil to order, after its confirmed end. */
static hansa_err foil_on_upd(credit_half *h, const credit_msg *m, credit_out *out, char *why,
                             size_t why_len) {
    hansa_err err;
    if (!foil_same_chain(h, m, out, true, &err, why, why_len)) return err;
    for (uint16_t i = 0; i < m->n_chits; i++) {
        const credit_chit *c = &m->chits[i];
        uint64_t at = find_linked(h, &c->chit_id);
        if (at != 0) {
            credit_link l;
            h->ops->get(h->ctx, at, &l);
            if (!credit_chit_same(&l.chit, c)) {
                credit_say(why, why_len, "refused: a stock chit reuses the id of chit %llu",
                    (unsigned long long)at);
                if (out->n_msgs < CREDIT_OUT_MSGS_MAX - 1)
                    send_refuse(h, out, &c->chit_id, CREDIT_REFUSE_CONFLICT);
            }
            continue;
        }
        if (c->by != CREDIT_STOCK || !chit_valid(h, c, h->peer_in_state)) {
            credit_say(why, why_len, "refused: the stock sent a chit that is not its own or does not verify");
            return fault(h, out, &c->chit_id, CREDIT_REFUSE_BAD);
        }
        link_chit(h, c);
        out->arrived[out->n_arrived++] = c->chit_id;
    }
    if (h->n > h->ack) send_upd(h, out, h->ack);
    return HANSA_OK;
}

/* ACK or REQ: the stock's chain equals the foil's up to m->idx. */
static hansa_err foil_on_point(credit_half *h, const credit_msg *m, credit_out *out, char *why,
                               size_t why_len) {
    hansa_err err;
    if (!foil_same_chain(h, m, out, false, &err, why, why_len)) return err;
    if (h->n > h->ack) send_upd(h, out, h->ack);
    return HANSA_OK;
}

/* ---- the stock ------------------------------------------------------------------ */

/* The mutant's ordering: the stock's own chits go first. */
static void mutant_link_tail(credit_half *h) {
    for (int i = 0; i < h->n_tail; i++) link_chit(h, &h->tail[i]);
    h->n_tail = 0;
}

/* The foil's order after m->idx: conform to it. */
static hansa_err stock_on_upd(credit_half *h, const credit_msg *m, credit_out *out, char *why,
                              size_t why_len) {
    if (m->idx > h->n) { /* starts past our end: ask for what we miss */
        send_point(h, out, CREDIT_MSG_REQ, h->n);
        return HANSA_OK;
    }
    hansa_hash mine;
    hash_at(h, m->idx, &mine);
    if (!hash_eq(&mine, &m->hash)) {
        credit_say(why, why_len, "the foil's chain differs from the stock's at %llu",
            (unsigned long long)m->idx);
        return fault(h, out, NULL, CREDIT_REFUSE_CHAIN);
    }
    if (mutant == CREDIT_MUTANT_STOCK_ORDERS && m->n_chits > 0) mutant_link_tail(h);
    for (uint16_t i = 0; i < m->n_chits; i++) {
        const credit_chit *c = &m->chits[i];
        uint64_t idx = m->idx + 1 + i;
        if (idx <= h->n) { /* already have it: it must be the same chit */
            credit_link l;
            h->ops->get(h->ctx, idx, &l);
            if (credit_chit_same(&l.chit, c)) continue;
            if (mutant == CREDIT_MUTANT_STOCK_ORDERS && find_linked(h, &c->chit_id) == 0) {
                link_chit(h, c);
                continue;
            }
            if (mutant == CREDIT_MUTANT_STOCK_ORDERS) continue;
            credit_say(why, why_len, "the foil rewrote chit %llu", (unsigned long long)idx);
            return fault(h, out, NULL, CREDIT_REFUSE_CHAIN);
        }
        if (find_linked(h, &c->chit_id) != 0) {
            credit_say(why, why_len, "the foil ordered one chit id twice");
            return fault(h, out, &c->chit_id, CREDIT_REFUSE_CHAIN);
        }
        int t = find_tail(h, &c->chit_id);
        if (t >= 0 && credit_chit_same(&h->tail[t], c)) {
            link_chit(h, c); /* our own chit, now ordered */
            drop_tail(h, t);
            continue;
        }
        if (!chit_valid(h, c, h->peer_in_state && c->by == CREDIT_FOIL)) {
            credit_say(why, why_len, "the foil ordered a chit that does not verify");
            return fault(h, out, &c->chit_id, CREDIT_REFUSE_BAD);
        }
        if (t >= 0) { /* the foil linked a different chit under our id */
            credit_say(why, why_len, "refused: the foil linked a different chit under a stock chit's id");
            out->refused[out->n_refused++] = c->chit_id;
            drop_tail(h, t);
        }
        link_chit(h, c);
        if (c->by == CREDIT_FOIL) out->arrived[out->n_arrived++] = c->chit_id;
    }
    send_point(h, out, CREDIT_MSG_ACK, h->n);
    if (h->n_tail > 0) send_upd(h, out, h->n);
    return HANSA_OK;
}

/* The foil refused one of our tail chits: drop it and tell the owner. */
static hansa_err on_refuse(credit_half *h, const credit_msg *m, credit_out *out, char *why,
                           size_t why_len) {
    int t = h->side == CREDIT_STOCK ? find_tail(h, &m->chit_id) : -1;
    if (m->reason == CREDIT_REFUSE_CONFLICT && t >= 0) {
        credit_say(why, why_len, "the foil refused a stock chit: its id is taken by a different chit");
        out->refused[out->n_refused++] = m->chit_id;
        drop_tail(h, t);
        return HANSA_OK;
    }
    if (m->reason == CREDIT_REFUSE_CONFLICT) return HANSA_OK; /* an old refusal, handled */
    credit_say(why, why_len, "the %s half refused: %s", credit_side_name(credit_side_other(h->side)),
        credit_refuse_name(m->reason));
    h->fault = m->reason;
    return HANSA_OK;
}

hansa_err credit_half_recv(credit_half *h, const credit_msg *m, credit_out *out, char *why,
                           size_t why_len) {
    memset(out, 0, sizeof *out);
    if (h->fault) {
        credit_say(why, why_len, "the %s half stopped: %s", credit_side_name(h->side),
            credit_refuse_name(h->fault));
        return HANSA_ERR_STATE;
    }
    if (!credit_id_eq(&m->tally_id, &h->tally_id) || m->from != credit_side_other(h->side)) {
        credit_say(why, why_len, "message is for another tally or from the wrong side");
        return HANSA_ERR_PROTOCOL;
    }
    switch ((credit_msg_kind)m->kind) {
    case CREDIT_MSG_UPD:
        return h->side == CREDIT_FOIL ? foil_on_upd(h, m, out, why, why_len)
                                      : stock_on_upd(h, m, out, why, why_len);
    case CREDIT_MSG_ACK:
    case CREDIT_MSG_REQ:
        if (h->side == CREDIT_FOIL) return foil_on_point(h, m, out, why, why_len);
        credit_say(why, why_len, "the foil never sends %s", m->kind == CREDIT_MSG_ACK ? "ACK" : "REQ");
        return HANSA_ERR_PROTOCOL;
    case CREDIT_MSG_REFUSE: return on_refuse(h, m, out, why, why_len);
    }
    credit_say(why, why_len, "unknown message kind %u", m->kind);
    return HANSA_ERR_PROTOCOL;
}

/* ---- codecs ----------------------------------------------------------------------- */

void credit_msg_encode(hbuf *b, const credit_msg *m) {
    HANSA_ASSERT(m->n_chits <= CREDIT_UPD_CHITS_MAX);
    hbuf_put_u8(b, CREDIT_VERSION);
    hbuf_put_u8(b, m->kind);
    hbuf_append(b, m->tally_id.b, CREDIT_ID_BYTES);
    hbuf_put_u8(b, m->from);
    switch ((credit_msg_kind)m->kind) {
    case CREDIT_MSG_UPD:
        hbuf_put_u64(b, m->idx);
        hbuf_append(b, m->hash.b, HANSA_HASH_BYTES);
        hbuf_put_u16(b, m->n_chits);
        for (uint16_t i = 0; i < m->n_chits; i++) credit_chit_encode(b, &m->chits[i]);
        return;
    case CREDIT_MSG_ACK:
    case CREDIT_MSG_REQ:
        hbuf_put_u64(b, m->idx);
        hbuf_append(b, m->hash.b, HANSA_HASH_BYTES);
        return;
    case CREDIT_MSG_REFUSE:
        hbuf_append(b, m->chit_id.b, CREDIT_ID_BYTES);
        hbuf_put_u8(b, m->reason);
        return;
    }
    HANSA_UNREACHABLE();
}

hansa_err credit_msg_decode(const uint8_t *p, size_t len, credit_msg *out, wire_rd *r) {
    wire_rd local;
    r = rd_begin(r, &local, p, len, out, sizeof *out, CREDIT_VERSION);
    out->kind = rd_u8(r, "kind");
    rd_fixed(r, out->tally_id.b, CREDIT_ID_BYTES, "tally_id");
    out->from = rd_u8(r, "from");
    if (r->err == HANSA_OK && out->from != CREDIT_STOCK && out->from != CREDIT_FOIL)
        rd_fail(r, HANSA_ERR_INVALID, "from");
    if (r->err == HANSA_OK) {
        switch (out->kind) {
        case CREDIT_MSG_UPD:
            out->idx = rd_u64(r, "base");
            rd_fixed(r, out->hash.b, HANSA_HASH_BYTES, "hash");
            out->n_chits = rd_u16(r, "n_chits");
            if (r->err == HANSA_OK && out->n_chits > CREDIT_UPD_CHITS_MAX) {
                rd_fail(r, HANSA_ERR_TOO_LONG, "n_chits");
                out->n_chits = 0;
            }
            for (uint16_t i = 0; i < out->n_chits && r->err == HANSA_OK; i++)
                credit_rd_chit(r, &out->chits[i]);
            break;
        case CREDIT_MSG_ACK:
        case CREDIT_MSG_REQ:
            out->idx = rd_u64(r, "idx");
            rd_fixed(r, out->hash.b, HANSA_HASH_BYTES, "hash");
            break;
        case CREDIT_MSG_REFUSE:
            rd_fixed(r, out->chit_id.b, CREDIT_ID_BYTES, "chit_id");
            out->reason = rd_u8(r, "reason");
            if (r->err == HANSA_OK &&
                (out->reason < CREDIT_REFUSE_CONFLICT || out->reason > CREDIT_REFUSE_CHAIN))
                rd_fail(r, HANSA_ERR_INVALID, "reason");
            else if (r->err == HANSA_OK && out->reason != CREDIT_REFUSE_CHAIN &&
                     credit_id_is_zero(&out->chit_id))
                rd_fail(r, HANSA_ERR_INVALID, "chit_id");
            break;
        default: rd_fail(r, HANSA_ERR_INVALID, "kind"); break;
        }
    }
    return rd_close(r, out, sizeof *out);
}

void credit_half_encode(hbuf *b, const credit_half *h) {
    HANSA_ASSERT(h->n_tail <= CREDIT_TAIL_MAX);
    HANSA_ASSERT(h->side == CREDIT_FOIL || h->ack == 0);
    HANSA_ASSERT(h->side == CREDIT_STOCK || h->n_tail == 0);
    hbuf_put_u8(b, h->side);
    hbuf_put_u64(b, h->n);
    hbuf_append(b, h->end.b, HANSA_HASH_BYTES);
    hbuf_put_u64(b, h->ack);
    hbuf_put_u8(b, h->fault);
    hbuf_put_u8(b, h->n_tail);
    for (int i = 0; i < h->n_tail; i++) credit_chit_encode(b, &h->tail[i]);
}

void credit_rd_half(wire_rd *r, credit_half *h) {
    h->side = rd_u8(r, "half side");
    h->n = rd_u64(r, "half n");
    rd_fixed(r, h->end.b, HANSA_HASH_BYTES, "half end");
    h->ack = rd_u64(r, "half ack");
    h->fault = rd_u8(r, "half fault");
    h->n_tail = rd_u8(r, "half n_tail");
    if (r->err != HANSA_OK) return;
    if (h->side != CREDIT_STOCK && h->side != CREDIT_FOIL) rd_fail(r, HANSA_ERR_INVALID, "half side");
    else if (h->fault > CREDIT_REFUSE_CHAIN) rd_fail(r, HANSA_ERR_INVALID, "half fault");
    else if (h->ack > h->n || (h->side == CREDIT_STOCK && h->ack != 0))
        rd_fail(r, HANSA_ERR_INVALID, "half ack");
    else if (h->n_tail > CREDIT_TAIL_MAX || (h->side == CREDIT_FOIL && h->n_tail != 0))
        rd_fail(r, HANSA_ERR_INVALID, "half n_tail");
    for (int i = 0; i < h->n_tail && r->err == HANSA_OK; i++) credit_rd_chit(r, &h->tail[i]);
    if (r->err != HANSA_OK) h->n_tail = 0;
}
