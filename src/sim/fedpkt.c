/* fedpkt.c — cross-chain transfers in a simulated federation, relayed the
 * way hansad relays them, with value conservation checked after every
 * commit (docs/sim.md "Several chains").
 *
 * Clients: one client transaction in FEDPKT_EVERY is a TX_PACKET_SEND of a
 * transfer to a client of another chain: native tokens, or (one in three,
 * when it holds some) vouchers of the destination chain's token sent back
 * home; one packet in eight carries a timeout only a second past the
 * destination's time as the sender's client saw it, so refunds happen too.
 *
 * Relayers: after each commit an honest delegate does the packet jobs
 * node_relay_jobs gives it, as cmd/lib/relay_packets.c does over RPC but
 * reading the other chain's store directly (an up, honest node of it, the
 * highest; what its RPC would serve): for RELAY_PACKETS the packets that
 * chain holds pending for this one in this node's duty share, with their
 * proofs (node/xfer_proof.h), and the recv with the outcome this chain
 * would give; for RELAY_ACKS the proofs of the other chain's recvs of this
 * chain's pending packets, and the acks. A proof whose height this chain's
 * client does not hold first gets an update to exactly that height. A
 * packet submitted is not submitted again by this node for
 * FEDPKT_RETRY_BLOCKS. And one relay in FEDPKT_STRAY_EVERY re-submits a recv
 * of a packet already received, as a second relayer racing this one would:
 * the chain must refuse it.
 *
 * Checker: after every commit of an honest node, xfer_conservation_check
 * (ledger/xfer.h) over one state per chain, the highest honest node's that
 * is up, provided every chain's chosen state is at least as high as every
 * proof relayers took from that chain (a proof from a block the chosen
 * state has not reached would count value as moved on one side only). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/assert.h"
#include "base/hmap.h"
#include "crypto/sha256.h"
#include "ledger/client.h"
#include "ledger/xfer.h"
#include "node/relay.h"
#include "node/xfer_proof.h"
#include "sim/world.h"

#define FEDPKT_EVERY 4            /* one client tx in this many is a cross-chain send */
#define FEDPKT_RETRY_BLOCKS 15    /* as RELAY_PACKET_RETRY_BLOCKS */
#define FEDPKT_STRAY_EVERY 8      /* relays that also re-submit a received packet */
#define FEDPKT_BATCH 64           /* packets looked at per job */
#define FEDPKT_TIMEOUT_MS 60000   /* a packet's timeout past the destination's time */

/* ---- clients ---- */

/* The destination's time as node nd's client of it last saw it. */
static bool dest_time(const sim_node *nd, uint32_t dest, uint64_t *ms) {
    const ledger_state *s = node_ledger(nd->n);
    ic_client cl;
    ic_consensus cs;
    if (!ledger_client_get(s, dest, &cl) || cl.n_heights == 0 || cl.status != IC_STATUS_ACTIVE ||
        !ledger_client_consensus(s, dest, cl.heights[cl.n_heights - 1], &cs))
        return false;
    *ms = cs.time_ms;
    return true;
}

/* Vouchers of dest's own token held by a, to send home (denom n = 1). */
static uint64_t home_vouchers(const sim_node *nd, const hansa_addr *a, uint32_t dest, pkt_denom *d) {
    pkt_denom denoms[8];
    uint64_t amounts[8];
    size_t n = ledger_xfer_vouchers_of(node_ledger(nd->n), a, denoms, amounts, 8);
    for (size_t i = 0; i < n && i < 8; i++)
        if (denoms[i].n == 1 && denoms[i].chain[0] == dest) {
            *d = denoms[i];
            return amounts[i];
        }
    return 0;
}

bool fedpkt_client_send(world *w, sim_chain *c, const sim_node *nd, const sim_client *cl, hbuf *body) {
    if (w->n_chains < 2 || ++c->pkt_count % FEDPKT_EVERY != 0) return false;
    uint16_t k = (uint16_t)((c->idx + 1 + prng_below(&w->rng, w->n_chains - 1)) % w->n_chains);
    const sim_chain *to = &w->chains[k];
    uint32_t dest = to->genesis.params.chain_id;
    uint64_t now_ms;
    if (!dest_time(nd, dest, &now_ms)) return false;
    pkt_transfer t = {.to = to->clients[prng_below(&w->rng, to->n_clients)].addr,
                      .amount = 1 + prng_below(&w->rng, 1000)};
    uint64_t held = prng_below(&w->rng, 3) == 0 ? home_vouchers(nd, &cl->addr, dest, &t.denom) : 0;
    if (held > 0) t.amount = 1 + prng_below(&w->rng, held);
    hbuf pay = HBUF_INIT;
    pkt_transfer_encode(&pay, &t);
    bool late = prng_below(&w->rng, 8) == 0;
    pkt_send s = {dest, now_ms + (late ? 1 : FEDPKT_TIMEOUT_MS), PKT_TYPE_TRANSFER, (uint16_t)pay.len, pay.data};
    pkt_send_encode(body, &s);
    hbuf_free(&pay);
    return true;
}

/* ---- relaying ---- */

static bool waiting(world *w, const sim_node *nd, const hansa_hash *h) {
    uint64_t next;
    return hmap_get(&w->fed_backoff[nd->idx], h, &next) && next > nd->height;
}

static void wait_after(world *w, const sim_node *nd, const hansa_hash *h) {
    hmap *m = &w->fed_backoff[nd->idx];
    if (m->len > 4096) hmap_clear(m);
    hmap_put(m, h, nd->height + FEDPKT_RETRY_BLOCKS);
}

/* Makes sure nd's client of chain `other` holds height: if not, an update
 * to exactly it, built from src's store, proven from the highest stored
 * state below it (fed_build_update: by FROST checkpoint when that state
 * trusts a key). A keyless latest state below height may get the key-proof
 * update instead (a lower height): it is sent, and the packet waits. */
static bool client_at(sim_node *nd, const relay_job *job, const sim_node *src, uint64_t height) {
    const ledger_state *s = node_ledger(nd->n);
    ic_client cl;
    ic_consensus trusted, cs;
    if (!ledger_client_get(s, job->chain, &cl) || cl.n_heights == 0) return false;
    if (ledger_client_consensus(s, job->chain, height, &cs)) return true;
    if (height <= cl.heights[0]) return false; /* pruned below: cannot be proven any more */
    uint64_t below = cl.heights[0];
    for (uint16_t i = 0; i < cl.n_heights; i++)
        if (cl.heights[i] < height) below = cl.heights[i];
    HANSA_ASSERT(ledger_client_consensus(s, job->chain, below, &trusted));
    hbuf body = HBUF_INIT;
    uint64_t got = 0;
    char why[256];
    hansa_hash tx;
    int rc = fed_build_update(nd->w, src, &job->params, &trusted, height, ledger_last_block_time_ms(s), &body, &got);
    bool sent = ((rc == 1 && got == height) || (rc == FED_KEY_PROOF && below == ic_client_latest(&cl))) &&
                node_relay_update(nd->n, job->chain, body.data, body.len, &tx, why, sizeof why) == HANSA_OK;
    hbuf_free(&body);
    if (sent) nd->w->res->relay_updates++;
    return sent && got == height;
}

static void note_proved(world *w, uint32_t chain, uint64_t height) {
    for (uint16_t k = 0; k < w->n_chains; k++)
        if (w->chains[k].genesis.params.chain_id == chain && height > w->fed_proved[k]) w->fed_proved[k] = height;
}

static void submit(sim_node *nd, uint16_t kind, const hbuf *body, const hansa_hash *h) {
    hansa_hash tx;
    char why[256];
    if (node_relay_packet(nd->n, kind, body->data, body->len, &tx, why, sizeof why) == HANSA_OK) {
        if (kind == TX_PACKET_RECV) nd->w->res->packet_recvs++;
        else nd->w->res->packet_acks++;
    }
    wait_after(nd->w, nd, h);
}

/* RELAY_PACKETS: recvs of the packets src's chain holds pending for nd's. */
static void relay_recvs(sim_node *nd, const relay_job *job, const sim_node *src) {
    world *w = nd->w;
    const ledger_state *s = node_ledger(nd->n);
    uint32_t own = ledger_state_params(s)->chain_id, mod, rem;
    if (!node_relay_packet_share(nd->n, &mod, &rem)) return;
    xfer_pending pend[FEDPKT_BATCH];
    size_t n = ledger_xfer_pending(node_ledger(src->n), own, mod, rem, pend, FEDPKT_BATCH);
    bool stray = prng_below(&w->rng, FEDPKT_STRAY_EVERY) == 0;
    node_block_cache cache = NODE_BLOCK_CACHE_INIT;
    for (size_t i = 0; i < n && i < FEDPKT_BATCH && !nd->dying; i++) {
        xfer_in in;
        bool received = ledger_xfer_in(s, job->chain, &pend[i].hash, &in);
        /* Only blocks the simulator saw src commit (a node restarted from its
         * store may hold one more whose commit died with it). */
        if ((received && !stray) || pend[i].height > src->height || waiting(w, nd, &pend[i].hash) ||
            !node_relay_packet_duty(nd->n, &pend[i].hash))
            continue;
        stray = false;
        pkt_proof proof;
        if (!node_packet_proof(src->n, &cache, pend[i].height, &pend[i].hash, &proof)) continue;
        note_proved(w, job->chain, proof.height);
        if (!client_at(nd, job, src, proof.height)) continue;
        pkt_recv v = {.src_chain = job->chain, .proof = proof,
                      .outcome = ledger_xfer_outcome(s, job->chain, proof.tx, proof.tx_len, ledger_last_block_time_ms(s))};
        hbuf body = HBUF_INIT;
        pkt_recv_encode(&body, &v);
        submit(nd, TX_PACKET_RECV, &body, &pend[i].hash);
        hbuf_free(&body);
    }
    node_block_cache_free(&cache);
}

/* RELAY_ACKS: acks of nd's chain's pending packets that dst's chain received. */
static void relay_acks(sim_node *nd, const relay_job *job, const sim_node *dst) {
    world *w = nd->w;
    const ledger_state *s = node_ledger(nd->n);
    uint32_t own = ledger_state_params(s)->chain_id, mod, rem;
    if (!node_relay_packet_share(nd->n, &mod, &rem)) return;
    xfer_pending pend[FEDPKT_BATCH];
    size_t n = ledger_xfer_pending(s, job->chain, mod, rem, pend, FEDPKT_BATCH);
    node_block_cache cache = NODE_BLOCK_CACHE_INIT;
    for (size_t i = 0; i < n && i < FEDPKT_BATCH && !nd->dying; i++) {
        xfer_in in;
        pkt_proof proof;
        if (waiting(w, nd, &pend[i].hash) || !node_relay_packet_duty(nd->n, &pend[i].hash) ||
            !ledger_xfer_in(node_ledger(dst->n), own, &pend[i].hash, &in) || in.height > dst->height ||
            !node_recv_proof(dst->n, &cache, in.height, own, &pend[i].hash, &proof))
            continue;
        note_proved(w, job->chain, proof.height);
        if (!client_at(nd, job, dst, proof.height)) continue;
        pkt_ack a = {.dest_chain = job->chain, .proof = proof};
        hbuf body = HBUF_INIT;
        pkt_ack_encode(&body, &a);
        submit(nd, TX_PACKET_ACK, &body, &pend[i].hash);
        hbuf_free(&body);
    }
    node_block_cache_free(&cache);
}

void fedpkt_relay(sim_node *nd, const relay_job *job, const sim_node *other) {
    if (job->kind == RELAY_PACKETS) relay_recvs(nd, job, other);
    else if (job->kind == RELAY_ACKS) relay_acks(nd, job, other);
}

/* ---- the checker ---- */

void fedpkt_check(world *w, const sim_node *const *state_of) {
    const ledger_state *states[SIM_CHAINS_MAX];
    for (uint16_t k = 0; k < w->n_chains; k++) {
        if (!state_of[k] || state_of[k]->height < w->fed_proved[k]) return; /* not comparable now */
        states[k] = node_ledger(state_of[k]->n);
    }
    w->res->conservation_checks++;
    char why[512];
    if (xfer_conservation_check(states, w->n_chains, why, sizeof why) == HANSA_OK) return;
    w->fed_conservation++;
    if (w->fed_conservation_first[0] == '\0')
        snprintf(w->fed_conservation_first, sizeof w->fed_conservation_first, "at %.3f s: %s", w->now_us / 1e6, why);
}
