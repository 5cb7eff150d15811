/* relay_tallies.c — see relay_tallies.h. */
#include "cmd/lib/relay_tallies.h"

#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/mem.h"
#include "cmd/lib/relay_packets.h"
#include "cmd/lib/rpc_client.h"
#include "crypto/sha256.h"
#include "ledger/client.h"
#include "ledger/credit_rec.h"
#include "ledger/state.h"
#include "ledger/xtally.h"
#include "node/relay.h"

#define RT_ASK_TIMEOUT_MS 3000

/* Duty and cache key of a tally: its id in a hash's first bytes. */
static hansa_hash tally_key(const credit_id *id) {
    hansa_hash h = {0};
    memcpy(h.b, id->b, CREDIT_ID_BYTES);
    return h;
}

typedef struct {
    relay_tl *l;
    node *n;
    uint32_t own;
    const route_table *routes;
    const hmap *acked;
} scan_ctx;

/* Whether this chain's half may have something to say, from the record
 * alone: the foil's order the stock has not confirmed, the stock's tail, a
 * fault, or a stock chain longer than the other chain was last seen to
 * confirm (ask it). */
static void scan_one(void *ctx, const credit_tally *t) {
    scan_ctx *c = ctx;
    credit_side local = 0;
    if (c->l->n == RELAY_TALLIES_MAX || !xtally_across(t, c->own, &local) || local == 0) return;
    if (t->state != CREDIT_TALLY_OPEN && t->state != CREDIT_TALLY_CLOSING && t->state != CREDIT_TALLY_CLOSED) return;
    hansa_hash key = tally_key(&t->contract.tally_id);
    if (!node_relay_packet_duty(c->n, &key)) return;
    const credit_half *h = &t->half[local];
    uint64_t seen = 0;
    bool ask = local == CREDIT_STOCK && h->n > 0 && !(hmap_get(c->acked, &key, &seen) && seen >= h->n);
    bool say = h->fault != 0 || (local == CREDIT_FOIL && h->ack < h->n) || (local == CREDIT_STOCK && h->n_tail > 0);
    if (!ask && !say) return;
    relay_tally *r = &c->l->t[c->l->n++];
    memset(r, 0, sizeof *r);
    r->id = t->contract.tally_id;
    r->other = local == CREDIT_STOCK ? t->contract.foil.chain_id : t->contract.stock.chain_id;
    const route_entry *e = ask ? route_find(c->routes, r->other) : NULL;
    r->ask = e != NULL;
    if (e) r->route = *e;
    r->peer_ack = ask ? 0 : seen; /* unknown: acknowledge again (harmless) */
}

bool rt_prepare(relay_tl *l, node *n, const route_table *routes, const hmap *acked, uint64_t *last_height) {
    memset(l, 0, sizeof *l);
    node_status st;
    node_get_status(n, &st);
    uint32_t mod, rem;
    if (st.height == *last_height || !node_relay_packet_share(n, &mod, &rem)) return false;
    *last_height = st.height;
    l->height = st.height;
    l->t = hansa_calloc(RELAY_TALLIES_MAX, sizeof *l->t);
    const ledger_state *s = node_ledger(n);
    scan_ctx c = {l, n, ledger_state_params(s)->chain_id, routes, acked};
    ledger_tallies_iter(s, scan_one, &c);
    if (l->n == 0) rt_free(l);
    return l->n > 0;
}

void rt_work(relay_tl *l) {
    for (size_t i = 0; i < l->n; i++) {
        relay_tally *r = &l->t[i];
        char id[2 * CREDIT_ID_BYTES + 1];
        for (size_t k = 0; k < CREDIT_ID_BYTES; k++) snprintf(id + 2 * k, 3, "%02x", r->id.b[k]);
        for (size_t s = 0; r->ask && s < r->route.n_seeds && !r->answered; s++) {
            rpcc_error err = {0};
            json_t *j = rpcc_call(r->route.seeds[s], "tally", json_pack("{s:s}", "id", id), RT_ASK_TIMEOUT_MS, &err);
            json_t *acked = json_object_get(json_object_get(j, "foil_half"), "acked");
            if (json_is_integer(acked) && json_integer_value(acked) >= 0) {
                r->answered = true;
                r->peer_ack = (uint64_t)json_integer_value(acked);
            }
            json_decref(j);
            json_decref(err.data);
        }
    }
}

/* Sends one chain message of tally r as a tally packet, unless it went out
 * less than RELAY_PACKET_RETRY_BLOCKS ago. */
static bool send_msg(node *n, const relay_tally *r, const credit_msg *m, uint64_t timeout_ms, uint64_t height,
                     hmap *backoff) {
    credit_xmsg *x = hansa_calloc(1, sizeof *x);
    x->kind = CREDIT_XMSG_CHAIN;
    x->from = m->from;
    x->msg = *m;
    hbuf pay = HBUF_INIT, body = HBUF_INIT;
    credit_xmsg_encode(&pay, x);
    free(x);
    hansa_hash h;
    sha256(pay.data, pay.len, &h);
    uint64_t next;
    bool sent = false;
    if (pay.len <= PKT_PAYLOAD_MAX && !(hmap_get(backoff, &h, &next) && next > height)) {
        pkt_send ps = {r->other, timeout_ms, PKT_TYPE_TALLY, (uint16_t)pay.len, pay.data};
        pkt_send_encode(&body, &ps);
        hansa_hash tx;
        char why[256] = "";
        sent = node_relay_packet(n, TX_PACKET_SEND, body.data, body.len, &tx, why, sizeof why) == HANSA_OK;
        if (!sent) LOG_W("relay", "a tally message to chain %x refused: %s", r->other, why);
        hmap_put(backoff, &h, height + RELAY_PACKET_RETRY_BLOCKS);
    }
    hbuf_free(&pay);
    hbuf_free(&body);
    return sent;
}

/* The other chain's time as this chain's client of it last saw it. */
static bool other_time(const ledger_state *s, uint32_t chain, uint64_t *ms) {
    ic_client cl;
    ic_consensus cs;
    if (!ledger_client_get(s, chain, &cl) || cl.n_heights == 0 ||
        !ledger_client_consensus(s, chain, cl.heights[cl.n_heights - 1], &cs))
        return false;
    *ms = cs.time_ms;
    return true;
}

void rt_finish(relay_tl *l, node *n, hmap *backoff, hmap *acked, uint64_t *sent) {
    const ledger_state *s = node_ledger(n);
    credit_half *peer = hansa_calloc(1, sizeof *peer);
    credit_msg *msgs = hansa_calloc(XTALLY_OUTBOX_MAX, sizeof *msgs);
    if (backoff->len > RELAY_BACKOFF_MAX) hmap_clear(backoff);
    if (acked->len > RELAY_BACKOFF_MAX) hmap_clear(acked);
    for (size_t i = 0; i < l->n; i++) {
        relay_tally *r = &l->t[i];
        hansa_hash key = tally_key(&r->id);
        if (r->answered) hmap_put(acked, &key, r->peer_ack);
        uint64_t now_ms;
        if (!other_time(s, r->other, &now_ms)) continue;
        peer->ack = r->peer_ack;
        size_t m = ledger_xtally_outbox(s, &r->id, peer, msgs);
        for (size_t k = 0; k < m; k++)
            *sent += send_msg(n, r, &msgs[k], now_ms + XTALLY_TIMEOUT_MS, l->height, backoff);
    }
    free(msgs);
    free(peer);
}

void rt_free(relay_tl *l) {
    free(l->t);
    memset(l, 0, sizeof *l);
}
