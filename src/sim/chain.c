/* chain.c — a simulated chain: its genesis, its clients, and the checks of
 * what its nodes commit.
 *
 * Genesis: every node of the chain is a genesis delegate with its drawn
 * power as self bond; a handful of client accounts hold the rest of the
 * supply. Parameters: a small block reward (so the supply equation sees
 * minting), half of each fee burned, no jailing for missed blocks (crashes
 * and partitions are the simulator's faults, not misconduct, and a jailed
 * honest majority would break the fault budget), and, with
 * o.valset_change = K, an election every K heights among all nodes with
 * about three quarters of them active.
 *
 * Clients submit signed transfers (and, with elections on, TX_VOTE bonds
 * to honest candidates, which reshuffle the ranking) to a random node at
 * o.load_tps on average, as a wallet would through RPC; a client whose
 * transaction is refused (a lost one left a nonce gap) asks that node for
 * its account's nonce and goes on from there.
 *
 * After every block an honest node commits: the decision is traced (the
 * agreement checker compares block ids), the ledger's supply equation is
 * checked from scratch (O(accounts), a few dozen here) and the app hash is
 * traced (the checker compares it across nodes), and a new validator set
 * is traced member by member (the slashing checker reads it). */
#include <string.h>

#include "base/assert.h"
#include "crypto/address.h"
#include "consensus/valset.h"
#include "ledger/tx.h"
#include "sim/world.h"

#define CHAIN_ID 0xe2e4u /* chain k's id: CHAIN_ID + k */
#define DELEGATE_BALANCE 1000000000ull /* with several chains: relay fees */
#define FED_TRUSTING_PERIOD_MS (14ull * 24 * 3600 * 1000) /* as hansa federation up */
#define FED_CLOCK_DRIFT_MS 10000
#define GENESIS_TIME_MS 1767225600000ull
#define CLIENT_BALANCE 1000000000ull
#define MIN_FEE 1
#define VOTE_EVERY 4 /* with elections: one TX_VOTE in this many client txs */
/* State roots every 32 heights (not the default 256): every run of a few
 * hundred heights crosses several checkpoints, and the sim state is small. */
#define SIM_CHECKPOINT_BLOCKS 32

static void client_keys(world *w, sim_chain *c) {
    c->n_clients = (uint16_t)(4 + prng_below(&w->rng, SIM_CLIENTS_MAX - 3));
    for (uint16_t i = 0; i < c->n_clients; i++) {
        uint8_t seed[HANSA_SEED_BYTES];
        prng_fill(&w->rng, seed, sizeof seed);
        sim_client *cl = &c->clients[i];
        keypair_from_seed(&cl->key, seed);
        addr_from_pubkey(&cl->key.pub, &cl->addr);
        cl->next_nonce = 0;
        c->accounts[i] = (ledger_genesis_account){cl->addr, CLIENT_BALANCE};
    }
}

/* Chain c's genesis (the nodes laid out, keys and powers drawn). */
static void chain_genesis(world *w, sim_chain *c) {
    for (uint16_t i = 0; i < c->n_nodes; i++) {
        const sim_node *nd = &w->nodes[c->first_node + i];
        c->delegates[i] = (wire_validator){nd->key.pub, nd->power};
    }
    client_keys(w, c);
    uint16_t n = c->n_nodes;
    ledger_elect_params e = ledger_elect_params_default();
    e.liveness_miss_bps = LEDGER_BPS_ONE; /* never jailed for missed blocks */
    e.block_reward = 5;
    e.active_max = n;
    e.bench_max = n;
    e.epoch_blocks = UINT32_MAX;
    if (w->o.valset_change) {
        e.epoch_blocks = w->o.valset_change;
        e.active_max = (uint16_t)(n - (n / 4 > 1 ? n / 4 : 1));
        c->vote_every = VOTE_EVERY;
    }
    c->genesis.params = (ledger_params){CHAIN_ID + c->idx, GENESIS_TIME_MS, 5000, MIN_FEE, 500, e,
                                        SIM_CHECKPOINT_BLOCKS};
    c->genesis.accounts = c->accounts;
    c->genesis.n_accounts = c->n_clients;
    c->genesis.delegates = c->delegates;
    c->genesis.n_delegates = c->n_nodes;
}

/* With several chains, as `hansa federation up` writes them: each genesis
 * holds a light client of every other chain, rooted in that chain's
 * genesis (height 0, its genesis time, its genesis set as set and next
 * set). */
static void federate(world *w) {
    ic_create roots[SIM_CHAINS_MAX];
    for (uint16_t k = 0; k < w->n_chains; k++) {
        const sim_chain *c = &w->chains[k];
        cons_valset vs;
        HANSA_ASSERT(valset_init(&vs, c->delegates, c->n_nodes) == HANSA_OK);
        memset(&roots[k], 0, sizeof roots[k]);
        roots[k].params = (ic_params){c->genesis.params.chain_id, FED_TRUSTING_PERIOD_MS, FED_CLOCK_DRIFT_MS};
        roots[k].root.time_ms = c->genesis.params.genesis_time_ms;
        wire_valset wv = valset_as_wire(&vs);
        wire_valset_hash(&wv, &roots[k].root.validators_hash);
        roots[k].root.next_validators_hash = roots[k].root.validators_hash;
    }
    for (uint16_t k = 0; k < w->n_chains; k++) {
        sim_chain *c = &w->chains[k];
        size_t n = 0;
        for (uint16_t j = 0; j < w->n_chains; j++)
            if (j != k) c->roots[n++] = roots[j];
        c->genesis.clients = c->roots;
        c->genesis.n_clients = n;
    }
}

/* Funds c's delegates: they pay for relay and DKG transactions and bond
 * receipt collateral. */
static void fund_delegates(sim_chain *c) {
    for (uint16_t i = 0; i < c->n_nodes; i++) {
        hansa_addr a;
        addr_from_pubkey(&c->delegates[i].pubkey, &a);
        c->accounts[c->n_clients + i] = (ledger_genesis_account){a, DELEGATE_BALANCE};
    }
    c->genesis.n_accounts = c->n_clients + c->n_nodes;
}

void chain_setup(world *w) {
    for (uint16_t k = 0; k < w->n_chains; k++) chain_genesis(w, &w->chains[k]);
    if (w->o.lifts) lifts_setup(w);
    if (w->n_chains > 1) federate(w);
    for (uint16_t k = 0; k < w->n_chains; k++)
        if (w->n_chains > 1 || w->o.receipts || w->o.frost) fund_delegates(&w->chains[k]);
    for (uint16_t k = 0; k < w->n_chains; k++) {
        char why[LEDGER_WHY_MAX];
        HANSA_ASSERT(ledger_genesis_validate(&w->chains[k].genesis, why, sizeof why) == HANSA_OK);
        if (w->o.load_tps)
            world_push(w, world_between(w, 0, 1000000 / w->o.load_tps + 1), EV_CLIENT, NULL, k, 0,
                       0, 0, NULL);
    }
}

/* ---- clients ---- */

static sim_node *pick_node(world *w, sim_chain *c) {
    for (int tries = 0; tries < 8; tries++) {
        sim_node *nd = &w->nodes[c->first_node + prng_below(&w->rng, c->n_nodes)];
        if (nd->up && !nd->stopped) return nd;
    }
    return NULL;
}

/* A TX_VOTE bonding a little to a random honest candidate (never to a
 * Byzantine one: votes must not push the adversary past its budget). */
static bool vote_body(world *w, sim_chain *c, uint8_t *body, size_t *len) {
    uint16_t k = (uint16_t)(c->first_node + prng_below(&w->rng, c->n_nodes));
    if (w->nodes[k].byz != BYZ_NONE) return false;
    body[0] = 1;
    memcpy(body + 1, w->nodes[k].key.pub.b, HANSA_PUBKEY_BYTES);
    le64_store(body + 1 + HANSA_PUBKEY_BYTES, 1 + prng_below(&w->rng, 60));
    *len = 1 + LEDGER_VOTE_PAIR_BYTES;
    return true;
}

void chain_tx_sign_encode(const hansa_keypair *key, wire_tx *tx, hbuf *out) {
    uint8_t storage[512]; /* most transactions' sign bytes fit: no allocation per client tx */
    hbuf b = hbuf_on(storage, sizeof storage);
    wire_tx_sign_bytes(&b, tx);
    sign_domain(key, SIGN_DOMAIN_TX, b.data, b.len, &tx->sig);
    hbuf_free(&b);
    wire_tx_encode(out, tx);
}

void chain_nonce_resync(const sim_node *nd, sim_client *cl) {
    if (!nd->up || nd->stopped) return;
    ledger_account a;
    ledger_account_get(node_ledger(nd->n), &cl->addr, &a);
    cl->next_nonce = a.nonce;
}

void chain_client_act(world *w, sim_chain *c) {
    world_push(w, w->now_us + 1 + prng_below(&w->rng, 2000000 / w->o.load_tps), EV_CLIENT, NULL,
               c->idx, 0, 0, 0, NULL);
    sim_node *nd = pick_node(w, c);
    if (!nd) return;
    if (w->o.receipts && rcpt_client_act(w, c, nd)) return;
    if (w->o.lifts && lifts_client_act(w, c, nd)) return;
    sim_client *cl = &c->clients[prng_below(&w->rng, c->n_clients)];
    uint8_t body[1 + LEDGER_VOTE_PAIR_BYTES];
    size_t body_len;
    wire_tx tx = {.chain_id = c->genesis.params.chain_id, .sender = cl->key.pub,
                  .nonce = cl->next_nonce, .fee = MIN_FEE + prng_below(&w->rng, 10)};
    hbuf pkt = HBUF_INIT;
    if (c->vote_every && ++c->tx_count % c->vote_every == 0 && vote_body(w, c, body, &body_len)) {
        tx.kind = TX_VOTE;
    } else if (fedpkt_client_send(w, c, nd, cl, &pkt)) {
        tx.kind = TX_PACKET_SEND;
    } else {
        const sim_client *to = &c->clients[prng_below(&w->rng, c->n_clients)];
        memcpy(body, to->addr.b, HANSA_ADDR_BYTES);
        le64_store(body + HANSA_ADDR_BYTES, 1 + prng_below(&w->rng, 1000));
        body_len = LEDGER_TRANSFER_BODY_BYTES;
        tx.kind = TX_TRANSFER;
    }
    tx.body = tx.kind == TX_PACKET_SEND ? pkt.data : body;
    tx.body_len = tx.kind == TX_PACKET_SEND ? (uint32_t)pkt.len : (uint32_t)body_len;
    uint8_t storage[512]; /* the usual client tx fits: not allocated per tx */
    hbuf b = hbuf_on(storage, sizeof storage);
    chain_tx_sign_encode(&cl->key, &tx, &b);
    char why[256];
    if (host_submit_tx(nd, b.data, b.len, why, sizeof why)) {
        cl->next_nonce++;
        w->res->txs_submitted++;
        w->res->packets_sent += tx.kind == TX_PACKET_SEND;
    } else {
        chain_nonce_resync(nd, cl);
    }
    hbuf_free(&b);
    hbuf_free(&pkt);
}

/* ---- commits ---- */

uint32_t chain_round_bound(const world *w, const cons_valset *vs) {
    unsigned honest_seen = 0;
    for (uint32_t r = 0; r < 1000; r++) {
        int k = world_node_of_key(w, &vs->v[valset_proposer(vs, r)].pubkey);
        if (k >= 0 && w->nodes[k].byz == BYZ_NONE && ++honest_seen == 2) return r + 1;
    }
    return UINT32_MAX;
}

static bool same_set(const ledger_validators *a, const ledger_validators *b) {
    return a->n == b->n && memcmp(a->v, b->v, a->n * sizeof a->v[0]) == 0;
}

static void trace_set(world *w, sim_chain *c, uint64_t height) {
    for (uint16_t i = 0; i < c->set.n; i++) {
        int k = world_node_of_key(w, &c->set.v[i].pubkey);
        HANSA_ASSERT(k >= 0);
        world_trace(w, SIM_T_VALSET, &w->nodes[k], 0, height, (uint32_t)c->set.v[i].power, 0,
                    NULL, false, UINT32_MAX);
    }
}

/* The set that decides height + 1, as nd's ledger has it, if it is new. */
static void note_set(sim_node *nd, uint64_t height) {
    world *w = nd->w;
    sim_chain *c = nd->chain;
    if (height + 1 <= c->set_height) return;
    const ledger_validators *lv = ledger_state_valset(node_ledger(nd->n), LEDGER_SET_CUR, NULL);
    if (c->set_height != 0 && same_set(lv, &c->set)) return;
    if (c->set_height != 0) {
        w->res->set_changes++;
        for (uint16_t i = 0; i < c->set.n; i++) {
            int x = world_node_of_key(w, &c->set.v[i].pubkey);
            bool gone = true;
            for (uint16_t j = 0; j < lv->n && gone; j++) gone = !pubkey_eq(&lv->v[j].pubkey, &c->set.v[i].pubkey);
            if (gone && x >= 0 && w->chk[c->idx].evidence_height[x - c->first_node]) w->res->slashed++;
        }
    }
    c->set = *lv;
    c->set_height = height + 1;
    trace_set(w, c, height + 1);
}

/* The supply equation of st (height, app hash), checked once per state:
 * with n nodes each committing the same state it cost n full walks of the
 * receipt records (832 kept tx roots) per height, the simulator's largest
 * cost. A node whose state differs has another app hash and is checked. */
static bool supply_checked(sim_chain *c, uint64_t height, const hansa_hash *app, const ledger_state *st) {
    if (c->supply_height == height && memcmp(c->supply_app.b, app->b, HANSA_HASH_BYTES) == 0)
        return c->supply_ok;
    c->supply_height = height;
    c->supply_app = *app;
    c->supply_ok = ledger_supply_check(st, NULL, 0) == HANSA_OK;
    return c->supply_ok;
}

void chain_on_commit(sim_node *nd, uint64_t height) {
    world *w = nd->w;
    node_status s;
    node_get_status(nd->n, &s);
    uint32_t round = (uint32_t)(s.rounds_last_height - 1);
    uint32_t bound = nd->height_start_us >= w->gst_us + w->settle_us ? nd->round_bound : UINT32_MAX;
    world_trace(w, SIM_T_DECIDE, nd, 0, height, round, 0, &s.block_hash, true, bound);
    fed_on_commit(nd, height, &s.block_hash);
    if (round > w->res->max_round) w->res->max_round = round;
    bool supply_ok = supply_checked(nd->chain, height, &s.app_hash, node_ledger(nd->n));
    world_trace(w, SIM_T_COMMITTED, nd, 0, height, 0, 0, &s.app_hash, supply_ok, UINT32_MAX);
    hansa_hash bt = {{0}};
    le64_store(bt.b, s.block_time_ms);
    world_trace(w, SIM_T_BLOCK_TIME, nd, 0, height, round, 0, &bt, false, UINT32_MAX);
    if (nd->byz == BYZ_LOCKBREAK) attack_consider(nd, height + 1);
    if (nd->byz != BYZ_NONE) return;
    if (height == w->o.heights) w->honest_done++;
    note_set(nd, height);
    if (w->o.receipts) rcpt_on_commit(nd, height);
    nd->height_start_us = w->now_us;
    nd->round_bound = w->now_us >= w->gst_us + w->settle_us
                          ? chain_round_bound(w, node_valset(nd->n)) : UINT32_MAX;
}

void chain_finish(world *w) {
    for (uint16_t k = 0; k < w->n_chains; k++) {
        sim_chain *c = &w->chains[k];
        uint64_t top = 0;
        for (uint16_t i = c->first_node; i < c->first_node + c->n_nodes; i++)
            if (w->nodes[i].byz == BYZ_NONE && w->nodes[i].height > top) top = w->nodes[i].height;
        if (c->set_height != 0 && top + 1 > c->set_height) trace_set(w, c, top + 1);
    }
}

uint64_t chain_committed_txs(const world *w, const sim_chain *c) {
    const sim_node *low = NULL;
    for (uint16_t i = c->first_node; i < c->first_node + c->n_nodes; i++) {
        const sim_node *nd = &w->nodes[i];
        if (nd->byz == BYZ_NONE && nd->up && (!low || nd->height < low->height)) low = nd;
    }
    if (!low) return 0;
    uint64_t sum = 0;
    for (uint16_t i = 0; i < c->n_clients; i++) {
        ledger_account a;
        ledger_account_get(node_ledger(low->n), &c->clients[i].addr, &a);
        sum += a.nonce;
    }
    return sum;
}
