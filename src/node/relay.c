/* relay.c — see relay.h. */
#include "node/relay.h"

#include <stdio.h>
#include <stdlib.h>

#include "base/assert.h"
#include "base/log.h"
#include "base/mem.h"
#include "ledger/client.h"
#include "ledger/xfer.h"
#include "node/node_int.h"
#include "wire/codec.h"

/* Forgets relay transactions that left the mempool (committed or
 * dropped); true if one for chain still waits. */
static bool relay_waits(node *n, uint32_t chain) {
    bool waits = false;
    for (size_t i = 0; i < n->n_relay_waiting;) {
        if (!mempool_has(n->mp, &n->relay_waiting[i].tx)) {
            n->relay_waiting[i] = n->relay_waiting[--n->n_relay_waiting];
            continue;
        }
        waits |= n->relay_waiting[i].chain == chain;
        i++;
    }
    return waits;
}

/* The delegate whose turn it is to relay chain at this height. */
static uint16_t relay_turn(const node *n, uint32_t chain) {
    HANSA_ASSERT(n->vs.n > 0);
    uint64_t slot = (n->height + 1) / RELAY_SLOT_BLOCKS;
    return (uint16_t)((slot + chain) % n->vs.n);
}

size_t node_relay_jobs(node *n, relay_job *out, size_t max) {
    if (n->cfg.key == NULL || n->stopped) return 0;
    int self = valset_index(&n->vs, &n->cfg.key->pub);
    if (self < 0) return 0;
    const ledger_state *s = n->state;
    uint32_t chains[RELAY_JOBS_MAX];
    size_t total = ledger_clients_list(s, chains, RELAY_JOBS_MAX), k = 0;
    uint64_t now = ledger_last_block_time_ms(s);
    for (size_t i = 0; i < total && i < RELAY_JOBS_MAX && k < max; i++) {
        ic_client c;
        HANSA_ASSERT(ledger_client_get(s, chains[i], &c));
        relay_job *j = &out[k];
        *j = (relay_job){.chain = chains[i], .params = c.params, .now_ms = now};
        if (c.status == IC_STATUS_FROZEN) {
            if (!ledger_client_evidence(s, chains[i], &(ic_evidence_list){0})) continue;
            j->kind = RELAY_EVIDENCE;
            k++;
            continue;
        }
        if (c.status != IC_STATUS_ACTIVE || ledger_client_expired(s, &c, now)) continue;
        out[k++] = (relay_job){.kind = RELAY_PACKETS, .chain = chains[i], .params = c.params, .now_ms = now};
        if (k < max && ledger_xfer_pending(s, chains[i], 1, 0, NULL, 0) > 0)
            out[k++] = (relay_job){.kind = RELAY_ACKS, .chain = chains[i], .params = c.params, .now_ms = now};
        if (k == max) break;
        j = &out[k];
        *j = (relay_job){.chain = chains[i], .params = c.params, .now_ms = now};
        if (relay_turn(n, chains[i]) != (uint16_t)self || relay_waits(n, chains[i])) continue;
        j->kind = RELAY_UPDATE;
        HANSA_ASSERT(ledger_client_consensus(s, chains[i], ic_client_latest(&c), &j->trusted));
        /* One update per slot is plenty: the client needs one per trusting
         * period, proofs need recent heights, not every height. */
        if (j->trusted.local_height + RELAY_SLOT_BLOCKS > n->height + 1 && j->trusted.local_height > 0) continue;
        k++;
    }
    return k;
}

/* Signs body as a tx of kind from this node's key and admits it. */
static hansa_err relay_submit(node *n, uint16_t kind, const uint8_t *body, size_t len, hansa_hash *tx_hash,
                              char *why, size_t why_len) {
    if (n->cfg.key == NULL) {
        snprintf(why, why_len, "this node has no key to sign relay transactions with");
        return HANSA_ERR_STATE;
    }
    if (len > WIRE_TX_BODY_MAX) {
        snprintf(why, why_len, "update of %zu bytes is over the transaction body bound", len);
        return HANSA_ERR_TOO_LONG;
    }
    return node_submit_own_tx(n, kind, body, len, tx_hash, why, why_len);
}

hansa_err node_relay_update(node *n, uint32_t chain, const uint8_t *body, size_t len, hansa_hash *tx_hash,
                            char *why, size_t why_len) {
    hansa_err err = relay_submit(n, TX_CLIENT_UPDATE, body, len, tx_hash, why, why_len);
    if (err != HANSA_OK) return err;
    if (n->n_relay_waiting < RELAY_JOBS_MAX)
        n->relay_waiting[n->n_relay_waiting++] = (typeof(n->relay_waiting[0])){chain, *tx_hash};
    LOG_I("relay", "submitted an update of chain %x's client", chain);
    return HANSA_OK;
}

bool node_relay_packet_duty(node *n, const hansa_hash *packet) {
    if (n->cfg.key == NULL || n->vs.n == 0) return false;
    int self = valset_index(&n->vs, &n->cfg.key->pub);
    if (self < 0) return false;
    uint64_t slot = (n->height + 1) / RELAY_PACKET_SLOT_BLOCKS;
    return (le32_load(packet->b) + slot) % n->vs.n == (uint64_t)self;
}

bool node_relay_packet_share(node *n, uint32_t *mod, uint32_t *rem) {
    if (n->cfg.key == NULL || n->vs.n == 0) return false;
    int self = valset_index(&n->vs, &n->cfg.key->pub);
    if (self < 0) return false;
    uint64_t slot = (n->height + 1) / RELAY_PACKET_SLOT_BLOCKS;
    *mod = n->vs.n;
    *rem = (uint32_t)(((uint64_t)self + n->vs.n - slot % n->vs.n) % n->vs.n);
    return true;
}

hansa_err node_relay_packet(node *n, uint16_t kind, const uint8_t *body, size_t len, hansa_hash *tx,
                            char *why, size_t why_len) {
    HANSA_ASSERT(kind == TX_PACKET_RECV || kind == TX_PACKET_ACK || kind == TX_PACKET_SEND);
    return relay_submit(n, kind, body, len, tx, why, why_len);
}
