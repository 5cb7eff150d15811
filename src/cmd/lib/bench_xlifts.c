/* bench_xlifts.c — `hansa bench --lifts --chains C`: the clearing agent over
 * a generated federation, in-process. Chains 0..C-2 hold the debts, chain
 * C-1 is the referee of every cross-chain lift; each is a real ledger_state
 * applying real transactions in blocks.
 *
 * The network (seeded): persons spread evenly over the lift chains, one in
 * BRIDGE_EVERY also holding an account on a second lift chain with the same
 * key (the joints of cross-chain lifts: credit/xlift.h). Each chain gets
 * TALLIES_PER_PARTY tallies per party present on it, both ends drawn with
 * probability proportional to a Pareto weight (alpha 1.5: a heavy-tailed
 * degree, a few hubs and many small traders), each with one chit of debt
 * whose size is lognormal (median 50 CHIPs, sigma 1.2, capped at 5000 CHIPs):
 * trade-credit and invoice amounts are close to lognormal, many small and a
 * few large, so bottlenecks differ by orders of magnitude as they would.
 *
 * The agent: the cross-chain cycles of the federation's optimum (each
 * chain's run of a cycle one segment, at most CREDIT_XLIFT_HOPS_MAX tallies,
 * CREDIT_XLIFT_SEGS_MAX segments), found by a breadth-first search from each
 * bridging person over the optimum's circulation; then, on each chain,
 * clr_agent over that chain's tallies (local lifts: one TX_LIFT each, the
 * ledger's hop rule); then cross-chain cycles on what is left. Each cross
 * lift runs through the real packet path: every segment's promise
 * (TX_PACKET_SEND by its first
 * payer, the hop rule with holds), its proven receipt on the referee chain
 * (TX_PACKET_RECV; the last promise makes the referee rule COMMIT), the
 * ruling sent from the referee chain (TX_PACKET_SEND) and its proven
 * receipt on each segment's chain, which books the legs (or voids them on
 * EXPIRED). Acknowledgements are left out: nothing in a lift waits on them.
 *
 * Light clients are real: every chain starts with a client of each chain it
 * hears from (rooted in that chain's genesis set, as `hansa federation`
 * writes them), and before the first receipt proven from a block the
 * relayer sends a TX_CLIENT_UPDATE with the block's header (tx root, app
 * hash, the sets) and a commit certificate the chain's delegate signed, which
 * the receiving chain verifies (ic_verify) in the same block.
 *
 * Figures: the optimum over the whole federation graph (a max-weight
 * circulation that ignores every rule of cross-chain routes: an upper
 * bound) and per chain (its own tallies only), where the optimum's flow
 * that the first cross phase could not lift lies (a cycle decomposition,
 * by the rule of a cross-chain lift each cycle breaks), the agent's clearing share
 * next to them, the ledger cost per lift (the blocks of its transactions,
 * applied and committed on one core, before consensus and networking:
 * p50/p99 local and cross), success rate against amount on fresh copies of
 * the network (local and cross separately), and the checker over every
 * chain: ledger_credit_check, each person's total over all its tallies on
 * all chains unchanged by lifts, no tally side beyond what its trading
 * variables and the other side's grant allow, no segment left pending. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/mem.h"
#include "base/rng.h"
#include "cmd/lib/cli.h"
#include "credit/clearing.h"
#include "credit/lift.h"
#include "credit/xlift.h"
#include "crypto/address.h"
#include "crypto/merkle.h"
#include "crypto/sign.h"
#include "interchain/codec.h"
#include "interchain/packet.h"
#include "ledger/block.h"
#include "ledger/client.h"
#include "ledger/credit_rec.h"
#include "ledger/state.h"
#include "ledger/tx.h"
#include "ledger/xfer.h"
#include "ledger/xlift.h"

#define BRIDGE_EVERY 10
#define TALLIES_PER_PARTY 3
#define DEBT_MEDIAN 50000.0     /* milli-CHIPs */
#define DEBT_SIGMA 1.2
#define DEBT_MAX 5000000ull
#define GRANT 10000000ull       /* credit each side grants the other */
#define SETUP_BLOCK_TXS 2000
#define XL_EXPIRY_MS 60000
#define XL_TRIES 20             /* cycles of each kind per success-rate copy */

typedef struct {
    uint16_t who;   /* person; XL_RELAYER for the relayer */
    uint16_t kind;
    hbuf body;
} xl_tx;

#define XL_RELAYER UINT16_MAX

typedef struct {
    uint32_t id;
    ledger_state *s;
    hansa_keypair del;
    /* The last block's header and its commit certificate (one signature:
     * the chain's single delegate), with the set that signed it. */
    wire_header hdr;
    wire_commit_sig sig;
    wire_commit cert;
    ledger_validators set, next;
    /* Per chain following this one: the highest header queued to it as an
     * update, and the set that header announced (a skipping update carries it). */
    uint64_t told[XL_CHAINS_MAX];
    ledger_validators told_next[XL_CHAINS_MAX];
    xl_tx *q;          /* queued for the next block */
    size_t n_q, cap_q;
    hbuf *last;        /* the last block's encoded txs, for proofs */
    size_t n_last, cap_last;
    uint64_t relayer_nonce;
} xl_chain;

typedef struct {
    hansa_keypair kp;
    int8_t chain[2];   /* lift chains it holds an account on; chain[1] -1 if one */
    uint64_t nonce[2];
    double weight;
} xl_person;

typedef struct {
    credit_id id;
    uint16_t chain;
    uint32_t stock, foil; /* persons */
    int64_t start;        /* balance after setup */
} xl_tally;

typedef struct {
    int n_chains, n_lift; /* all chains; lift chains = n_chains - 1 */
    xl_chain c[XL_CHAINS_MAX];
    hansa_keypair relayer;
    int n_persons;
    xl_person *p;
    size_t n_tallies;
    xl_tally *t;
    uint64_t now_ms;
    uint32_t lift_seq;
    uint64_t block_us; /* wall time of the blocks committed since last reset */
    char why[LEDGER_WHY_MAX];
} xl_fed;

static uint32_t chain_id(int k) { return 0xe2e50u + (uint32_t)k; }
static int referee(const xl_fed *f) { return f->n_chains - 1; }

static int slot_of(const xl_person *p, int chain) {
    return p->chain[0] == chain ? 0 : p->chain[1] == chain ? 1 : -1;
}

static void enqueue(xl_fed *f, int chain, uint16_t who, uint16_t kind, const hbuf *body) {
    xl_chain *c = &f->c[chain];
    if (c->n_q == c->cap_q) {
        c->cap_q = c->cap_q ? 2 * c->cap_q : 64;
        c->q = hansa_realloc(c->q, c->cap_q * sizeof *c->q);
    }
    xl_tx *t = &c->q[c->n_q++];
    t->who = who;
    t->kind = kind;
    t->body = (hbuf)HBUF_INIT;
    hbuf_append(&t->body, body->data, body->len);
}

static wire_valset wire_set(ledger_validators *v) { return (wire_valset){v->n, v->v}; }

/* The header of the block just finished on chain c (before its commit to
 * the state, whose sets are still the ones deciding it), as a node builds
 * it, and its commit certificate signed by the chain's delegate. */
static void seal(xl_chain *c, const ledger_block_info *info, const ledger_block *blk) {
    wire_header *h = &c->hdr;
    hansa_hash prev;
    wire_header_hash(h, &prev);
    bool first = info->height == 1;
    hansa_hash last_commit = {{0}};
    if (!first) wire_commit_hash(&c->cert, &last_commit);
    wire_bytes *txs = hansa_calloc(c->n_last + 1, sizeof *txs);
    for (size_t i = 0; i < c->n_last; i++) txs[i] = (wire_bytes){c->last[i].data, (uint32_t)c->last[i].len};
    memset(h, 0, sizeof *h);
    h->chain_id = c->id;
    h->height = info->height;
    h->time_ms = info->time_ms;
    if (!first) h->prev_block = prev, h->last_commit_hash = last_commit;
    wire_tx_root(txs, c->n_last, &h->tx_root);
    wire_evidence_root(NULL, 0, &h->evidence_root);
    h->app_hash = *ledger_block_app_hash(blk);
    c->set = *ledger_state_valset(c->s, LEDGER_SET_CUR, NULL);
    wire_valset vs = wire_set(&c->set);
    wire_valset_hash(&vs, &h->validators_hash);
    c->next = *ledger_state_valset(c->s, LEDGER_SET_NEXT, NULL);
    vs = wire_set(&c->next);
    wire_valset_hash(&vs, &h->next_validators_hash);
    h->proposer = c->del.pub;
    h->tx_count = (uint32_t)c->n_last;
    free(txs);
    c->cert = (wire_commit){.chain_id = c->id, .height = h->height, .n_sigs = 1, .sigs = &c->sig};
    wire_header_hash(h, &c->cert.block);
    c->sig.validator_index = UINT16_MAX;
    for (uint16_t i = 0; i < c->set.n; i++)
        if (pubkey_eq(&c->set.v[i].pubkey, &c->del.pub)) c->sig.validator_index = i;
    HANSA_ASSERT(c->sig.validator_index != UINT16_MAX);
    wire_vote v;
    wire_commit_vote(&c->cert, 0, &c->del.pub, &v);
    hbuf sb = HBUF_INIT;
    wire_vote_sign_bytes(&sb, &v);
    sign_domain(&c->del, SIGN_DOMAIN_VOTE, sb.data, sb.len, &c->sig.sig);
    hbuf_free(&sb);
}

/* Commits chain's queued txs as one block, each signed now with its
 * sender's next nonce; a refused one is left out of the block (its why in
 * f->why). Returns how many were refused. */
static size_t commit(xl_fed *f, int chain) {
    xl_chain *c = &f->c[chain];
    f->now_ms += 1000;
    ledger_block_info info = {.height = ledger_height(c->s) + 1, .time_ms = f->now_ms, .proposer = c->del.pub};
    ledger_block *blk = NULL;
    char why[LEDGER_WHY_MAX] = "";
    if (c->cap_last < c->n_q) {
        c->last = hansa_realloc(c->last, c->n_q * sizeof *c->last);
        for (size_t i = c->cap_last; i < c->n_q; i++) c->last[i] = (hbuf)HBUF_INIT;
        c->cap_last = c->n_q;
    }
    c->n_last = 0;
    size_t refused = 0;
    hbuf sb = HBUF_INIT;
    uint64_t t0 = clock_system_mono_us();
    HANSA_ASSERT(ledger_block_begin(c->s, &info, &blk, why, sizeof why) == HANSA_OK);
    for (size_t i = 0; i < c->n_q; i++) {
        xl_tx *q = &c->q[i];
        const hansa_keypair *kp = q->who == XL_RELAYER ? &f->relayer : &f->p[q->who].kp;
        uint64_t *nonce = q->who == XL_RELAYER ? &c->relayer_nonce : &f->p[q->who].nonce[slot_of(&f->p[q->who], chain)];
        wire_tx tx = {.chain_id = c->id, .sender = kp->pub, .nonce = *nonce, .fee = 1, .kind = q->kind,
                      .body = q->body.data, .body_len = (uint32_t)q->body.len};
        hbuf_reset(&sb);
        wire_tx_sign_bytes(&sb, &tx);
        sign_domain(kp, SIGN_DOMAIN_TX, sb.data, sb.len, &tx.sig);
        if (ledger_block_add_tx(blk, &tx, false, why, sizeof why) != HANSA_OK) {
            snprintf(f->why, sizeof f->why, "%s", why);
            refused++;
            continue;
        }
        (*nonce)++;
        hbuf_reset(&c->last[c->n_last]);
        wire_tx_encode(&c->last[c->n_last++], &tx);
    }
    ledger_block_finish(blk);
    f->block_us += clock_system_mono_us() - t0;
    seal(c, &info, blk); /* the delegates' part, not the ledger's: not timed */
    t0 = clock_system_mono_us();
    ledger_block_commit(c->s, blk);
    f->block_us += clock_system_mono_us() - t0;
    hbuf_free(&sb);
    for (size_t i = 0; i < c->n_q; i++) hbuf_free(&c->q[i].body);
    c->n_q = 0;
    return refused;
}

/* A block the run cannot go on without (relayed receipts, client updates,
 * rulings): any refusal is a bug of the bench or of the ledger. */
static void must_commit(xl_fed *f, int chain, const char *what) {
    if (commit(f, chain) == 0) return;
    fprintf(stderr, "bench --lifts --chains: %s refused on chain %x: %s\n", what, chain_id(chain), f->why);
    HANSA_UNREACHABLE();
}

/* Queues on chain `to` the proven receipt (by the relayer) of tx i of
 * chain `from`'s last block, after the client update to that block if `to`
 * has not had it yet. */
static void relay(xl_fed *f, int from, size_t i, int to) {
    xl_chain *c = &f->c[from];
    if (c->told[to] < c->hdr.height) {
        ic_client cl;
        HANSA_ASSERT(ledger_client_get(f->c[to].s, c->id, &cl) && cl.n_heights > 0);
        ic_update u = {.trusted_height = cl.heights[cl.n_heights - 1], .header = c->hdr, .cert_kind = IC_CERT_COMMIT,
                       .commit = c->cert, .vals = wire_set(&c->set)};
        u.has_trusted_vals = c->hdr.height != u.trusted_height + 1;
        if (u.has_trusted_vals) u.trusted_vals = wire_set(&c->told_next[to]); /* skipping heights */
        hbuf ub = HBUF_INIT;
        ic_update_encode(&ub, &u);
        enqueue(f, to, XL_RELAYER, TX_CLIENT_UPDATE, &ub);
        hbuf_free(&ub);
        c->told[to] = c->hdr.height;
        c->told_next[to] = c->next;
    }
    hansa_hash *leaves = hansa_calloc(c->n_last, sizeof *leaves);
    for (size_t k = 0; k < c->n_last; k++) merkle_leaf_hash(c->last[k].data, c->last[k].len, &leaves[k]);
    pkt_recv v = {.src_chain = c->id,
                  .proof = {.height = ledger_height(c->s), .index = (uint32_t)i, .count = (uint32_t)c->n_last,
                            .tx_len = (uint32_t)c->last[i].len, .tx = c->last[i].data}};
    v.proof.path_len = (uint8_t)merkle_proof(leaves, c->n_last, i, v.proof.path);
    free(leaves);
    v.outcome = ledger_xfer_outcome(f->c[to].s, c->id, c->last[i].data, c->last[i].len, f->now_ms + 1000);
    hbuf body = HBUF_INIT;
    pkt_recv_encode(&body, &v);
    enqueue(f, to, XL_RELAYER, TX_PACKET_RECV, &body);
    hbuf_free(&body);
}

/* ---- the network ---- */

static double unit(hansa_prng *p) { return ((double)(prng_next(p) >> 11) + 0.5) / 9007199254740992.0; }

/* Lognormal debt (Box-Muller), 1..DEBT_MAX milli-CHIPs. */
static uint64_t debt_draw(hansa_prng *p) {
    double z = sqrt(-2.0 * log(unit(p))) * cos(6.283185307179586 * unit(p));
    double d = DEBT_MEDIAN * exp(DEBT_SIGMA * z);
    return d < 1.0 ? 1 : d > (double)DEBT_MAX ? DEBT_MAX : (uint64_t)d;
}

/* A person present on chain k, drawn by weight (members[] with cumulative
 * weights cum[]). */
static uint32_t draw(hansa_prng *p, const uint32_t *members, const double *cum, size_t n) {
    double x = unit(p) * cum[n - 1];
    size_t lo = 0, hi = n - 1;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (cum[mid] < x) lo = mid + 1;
        else hi = mid;
    }
    return members[lo];
}

static void setup(xl_fed *f, int chains, int persons, uint64_t seed) {
    memset(f, 0, sizeof *f);
    f->n_chains = chains;
    f->n_lift = chains - 1;
    f->n_persons = persons;
    f->now_ms = 1000;
    hansa_prng pr;
    prng_seed(&pr, seed);
    f->p = hansa_calloc((size_t)persons, sizeof *f->p);
    for (int i = 0; i < persons; i++) {
        xl_person *p = &f->p[i];
        uint8_t s[HANSA_SEED_BYTES] = {(uint8_t)i, (uint8_t)(i >> 8), 0x78, 0x6c};
        keypair_from_seed(&p->kp, s);
        p->chain[0] = (int8_t)(i % f->n_lift);
        p->chain[1] = -1;
        if (f->n_lift > 1 && prng_below(&pr, BRIDGE_EVERY) == 0)
            p->chain[1] = (int8_t)((p->chain[0] + 1 + (int)prng_below(&pr, (uint64_t)f->n_lift - 1)) % f->n_lift);
        p->weight = pow(unit(&pr), -1.0 / 1.5);
    }
    uint8_t rs[HANSA_SEED_BYTES] = {0x72, 0x78};
    keypair_from_seed(&f->relayer, rs);
    /* Every chain's trust root: its genesis set deciding heights 1 and 2. */
    ic_create roots[XL_CHAINS_MAX];
    for (int k = 0; k < chains; k++) {
        uint8_t dseed[HANSA_SEED_BYTES] = {0xd2, (uint8_t)k};
        keypair_from_seed(&f->c[k].del, dseed);
        wire_validator del = {f->c[k].del.pub, 10};
        wire_valset vs = {1, &del};
        memset(&roots[k], 0, sizeof roots[k]);
        roots[k].params = (ic_params){chain_id(k), IC_TRUSTING_PERIOD_MAX_MS, 10000};
        roots[k].root.time_ms = 1000;
        wire_valset_hash(&vs, &roots[k].root.validators_hash);
        roots[k].root.next_validators_hash = roots[k].root.validators_hash;
    }
    ledger_genesis_account *accts = hansa_calloc((size_t)persons + 1, sizeof *accts);
    for (int k = 0; k < chains; k++) {
        xl_chain *c = &f->c[k];
        c->id = chain_id(k);
        /* The referee follows every lift chain; a lift chain the referee. */
        ic_create follows[XL_CHAINS_MAX];
        size_t n_follows = 0;
        for (int j = 0; j < chains; j++)
            if (j != k && (k == chains - 1 || j == chains - 1)) follows[n_follows++] = roots[j];
        size_t n = 0;
        for (int i = 0; i < persons && k < f->n_lift; i++)
            if (slot_of(&f->p[i], k) >= 0) {
                addr_from_pubkey(&f->p[i].kp.pub, &accts[n].addr);
                accts[n++].balance = 1ull << 40;
            }
        addr_from_pubkey(&f->relayer.pub, &accts[n].addr);
        accts[n++].balance = 1ull << 40;
        wire_validator del = {c->del.pub, 10};
        ledger_genesis g = {{.chain_id = c->id, .genesis_time_ms = 1000, .fee_burn_bps = 5000, .min_fee = 1,
                             .max_block_txs = WIRE_BLOCK_TXS_MAX, .elect = ledger_elect_params_default()},
                            accts, n, &del, 1, follows, n_follows};
        static const uint8_t hash_key[ACCT_MAP_KEY_BYTES] = {0x78};
        char why[LEDGER_WHY_MAX] = "";
        HANSA_ASSERT(ledger_genesis_state(&g, hash_key, &c->s, NULL, why, sizeof why) == HANSA_OK);
        for (int j = 0; j < chains; j++) c->told_next[j] = *ledger_state_valset(c->s, LEDGER_SET_CUR, NULL);
    }
    free(accts);
    /* Tallies, chain by chain. */
    size_t cap = (size_t)persons * TALLIES_PER_PARTY * 2;
    f->t = hansa_calloc(cap, sizeof *f->t);
    uint32_t *members = hansa_calloc((size_t)persons, sizeof *members);
    double *cum = hansa_calloc((size_t)persons, sizeof *cum);
    for (int k = 0; k < f->n_lift; k++) {
        size_t n = 0;
        for (int i = 0; i < persons; i++)
            if (slot_of(&f->p[i], k) >= 0) {
                members[n] = (uint32_t)i;
                cum[n] = (n ? cum[n - 1] : 0) + f->p[i].weight;
                n++;
            }
        if (n < 2) continue;
        for (size_t j = 0; j < n * TALLIES_PER_PARTY; j++) {
            xl_tally *t = &f->t[f->n_tallies];
            t->chain = (uint16_t)k;
            t->stock = draw(&pr, members, cum, n);
            do t->foil = draw(&pr, members, cum, n);
            while (t->foil == t->stock);
            uint64_t idx = f->n_tallies;
            memcpy(t->id.b, &idx, sizeof idx);
            t->id.b[14] = (uint8_t)k;
            t->id.b[15] = 0x7b;
            f->n_tallies++;
        }
    }
    free(members);
    free(cum);
    /* Offers, accepts, chits: one step per block round, in blocks of
     * SETUP_BLOCK_TXS. */
    hbuf body = HBUF_INIT;
    credit_chit ch;
    for (int step = 0; step < 3; step++)
        for (size_t i = 0; i < f->n_tallies; i++) {
            xl_tally *t = &f->t[i];
            credit_contract c = {t->id, {chain_id(t->chain), f->p[t->stock].kp.pub},
                                 {chain_id(t->chain), f->p[t->foil].kp.pub}, {GRANT, 30}, {GRANT, 30}, 1};
            hansa_sig sig;
            hbuf_reset(&body);
            if (step == 0) {
                credit_contract_sign(&c, &f->p[t->stock].kp, &sig);
                credit_contract_encode(&body, &c);
                hbuf_append(&body, sig.b, HANSA_SIG_BYTES);
                enqueue(f, t->chain, (uint16_t)t->stock, TX_TALLY_OFFER, &body);
            } else if (step == 1) {
                credit_contract_sign(&c, &f->p[t->foil].kp, &sig);
                hbuf_append(&body, c.tally_id.b, CREDIT_ID_BYTES);
                hbuf_put_u32(&body, 1);
                hbuf_append(&body, sig.b, HANSA_SIG_BYTES);
                enqueue(f, t->chain, (uint16_t)t->foil, TX_TALLY_ACCEPT, &body);
            } else {
                memset(&ch, 0, sizeof ch);
                ch.tally_id = c.tally_id;
                ch.chit_id.b[0] = 0xdf;
                ch.by = CREDIT_FOIL;
                ch.kind = CREDIT_CHIT_DIRECT;
                ch.amount = debt_draw(&pr);
                credit_chit_sign(&ch, &f->p[t->foil].kp);
                credit_chit_encode(&body, &ch);
                enqueue(f, t->chain, (uint16_t)t->foil, TX_CHIT, &body);
                t->start = (int64_t)ch.amount;
            }
            if (f->c[t->chain].n_q == SETUP_BLOCK_TXS) must_commit(f, t->chain, "a setup tx");
        }
    for (int k = 0; k < f->n_lift; k++)
        if (f->c[k].n_q) must_commit(f, k, "a setup tx");
    hbuf_free(&body);
}

static void fed_free(xl_fed *f) {
    for (int k = 0; k < f->n_chains; k++) {
        xl_chain *c = &f->c[k];
        for (size_t i = 0; i < c->cap_last; i++) hbuf_free(&c->last[i]);
        free(c->last);
        free(c->q);
        ledger_state_free(c->s);
    }
    free(f->p);
    free(f->t);
}

/* ---- the lift graph ---- */

/* Edges of the state: per tally an edge toward each side with what it
 * takes freely (from pays, to receives); tally_of[e] names the tally. */
typedef struct {
    size_t n;
    clr_edge *e;
    size_t *tally_of;
    uint64_t gross;
    uint64_t gross_of[XL_CHAINS_MAX];
} xl_graph;

static void graph_of(const xl_fed *f, xl_graph *g) {
    g->e = hansa_calloc(2 * f->n_tallies + 1, sizeof *g->e);
    g->tally_of = hansa_calloc(2 * f->n_tallies + 1, sizeof *g->tally_of);
    g->n = 0;
    g->gross = 0;
    memset(g->gross_of, 0, sizeof g->gross_of);
    credit_tally *t = hansa_malloc(sizeof *t);
    for (size_t i = 0; i < f->n_tallies; i++) {
        const xl_tally *x = &f->t[i];
        HANSA_ASSERT(ledger_tally_get(f->c[x->chain].s, &x->id, t));
        uint64_t abs = (uint64_t)(t->balance < 0 ? -t->balance : t->balance);
        g->gross += abs;
        g->gross_of[x->chain] += abs;
        for (int side = CREDIT_STOCK; side <= CREDIT_FOIL; side++) {
            uint64_t cap = credit_lift_edge_cap(t, (credit_side)side, 0).min;
            if (cap == 0) continue;
            g->e[g->n] = side == CREDIT_FOIL ? (clr_edge){x->stock, x->foil, cap} : (clr_edge){x->foil, x->stock, cap};
            g->tally_of[g->n++] = i;
        }
    }
    free(t);
}

static void graph_free(xl_graph *g) {
    free(g->e);
    free(g->tally_of);
}

/* Chain k's own edges, its persons renumbered 0..n-1 (map[local] = person). */
typedef struct {
    clr_graph g;
    clr_edge *e;
    size_t *edge_of; /* local edge -> federation edge */
    uint32_t *person;
} xl_sub;

static void sub_of(const xl_fed *f, const xl_graph *fg, int k, xl_sub *s) {
    uint32_t *local = hansa_calloc((size_t)f->n_persons, sizeof *local);
    s->person = hansa_calloc((size_t)f->n_persons, sizeof *s->person);
    uint32_t n = 0;
    for (int i = 0; i < f->n_persons; i++)
        if (slot_of(&f->p[i], k) >= 0) {
            local[i] = n;
            s->person[n++] = (uint32_t)i;
        }
    s->e = hansa_calloc(fg->n + 1, sizeof *s->e);
    s->edge_of = hansa_calloc(fg->n + 1, sizeof *s->edge_of);
    size_t m = 0;
    for (size_t e = 0; e < fg->n; e++)
        if (f->t[fg->tally_of[e]].chain == k) {
            s->e[m] = (clr_edge){local[fg->e[e].from], local[fg->e[e].to], fg->e[e].cap};
            s->edge_of[m++] = e;
        }
    s->g = (clr_graph){n, m, s->e};
    free(local);
}

static void sub_free(xl_sub *s) {
    free(s->e);
    free(s->edge_of);
    free(s->person);
}

/* ---- lifts ---- */

typedef struct {
    uint64_t *v;
    size_t n, cap;
} xl_lat;

static void lat_add(xl_lat *l, uint64_t us) {
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 64;
        l->v = hansa_realloc(l->v, l->cap * sizeof *l->v);
    }
    l->v[l->n++] = us;
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static uint64_t pct(xl_lat *l, int p) {
    if (l->n == 0) return 0;
    qsort(l->v, l->n, sizeof *l->v, cmp_u64);
    return l->v[(l->n - 1) * (size_t)p / 100];
}

static void new_lift_id(xl_fed *f, credit_id *id) {
    memset(id, 0, sizeof *id);
    uint32_t n = ++f->lift_seq;
    memcpy(id->b, &n, sizeof n);
    id->b[15] = 0x1e;
}

/* A local circular lift of `amount` around edges path[0..n) of chain k, sent
 * by its first payer in a block of its own; true when committed. */
static bool lift_local(xl_fed *f, const xl_graph *g, const size_t *path, size_t n, int k, uint64_t amount,
                       xl_lat *lat) {
    credit_lift *l = hansa_calloc(1, sizeof *l);
    new_lift_id(f, &l->lift_id);
    l->kind = CREDIT_LIFT_CIRCULAR;
    l->amount = amount;
    l->expiry_ms = f->now_ms + XL_EXPIRY_MS;
    l->referee_chain = chain_id(k);
    l->n_hops = (uint8_t)n;
    for (size_t i = 0; i < n; i++) {
        l->tallies[i] = f->t[g->tally_of[path[i]]].id;
        l->parties[i] = (credit_party){chain_id(k), f->p[g->e[path[i]].from].kp.pub};
    }
    l->parties[n] = l->parties[0];
    hbuf body = HBUF_INIT;
    credit_lift_encode(&body, l);
    enqueue(f, k, (uint16_t)g->e[path[0]].from, TX_LIFT, &body);
    hbuf_free(&body);
    free(l);
    f->block_us = 0;
    bool ok = commit(f, k) == 0;
    if (ok && lat) lat_add(lat, f->block_us);
    return ok;
}

/* A cross-chain circular lift of `amount` around edges path[0..n) (runs
 * of one chain each a segment) through the packet path; true when every
 * segment finalized COMMITTED. A lift some promise of which is refused is
 * ruled EXPIRED past its expiry and voided wherever it was promised. */
static bool lift_cross(xl_fed *f, const xl_graph *g, const size_t *path, size_t n, uint64_t amount, xl_lat *lat) {
    credit_xlift *x = hansa_calloc(1, sizeof *x);
    credit_lift proto;
    memset(&proto, 0, sizeof proto);
    new_lift_id(f, &proto.lift_id);
    proto.kind = CREDIT_LIFT_LINEAR;
    proto.amount = amount;
    proto.expiry_ms = f->now_ms + XL_EXPIRY_MS;
    proto.referee_chain = chain_id(referee(f));
    int seg_chain[CREDIT_XLIFT_SEGS_MAX];
    for (size_t i = 0; i < n; i++) {
        int k = f->t[g->tally_of[path[i]]].chain;
        if (i == 0 || k != seg_chain[x->n_segs - 1]) {
            HANSA_ASSERT(x->n_segs < CREDIT_XLIFT_SEGS_MAX);
            seg_chain[x->n_segs] = k;
            x->seg[x->n_segs++] = proto;
        }
        credit_lift *l = &x->seg[x->n_segs - 1];
        l->tallies[l->n_hops] = f->t[g->tally_of[path[i]]].id;
        l->parties[l->n_hops] = (credit_party){chain_id(k), f->p[g->e[path[i]].from].kp.pub};
        l->parties[l->n_hops + 1] = (credit_party){chain_id(k), f->p[g->e[path[i]].to].kp.pub};
        l->n_hops++;
    }
    char why[256] = "";
    if (credit_xlift_check(x, why, sizeof why) != HANSA_OK || !credit_xlift_circular(x)) {
        fprintf(stderr, "bench --lifts --chains: a cross route of %zu tallies is not a lift: %s\n", n, why);
        HANSA_UNREACHABLE();
    }
    int R = referee(f);
    uint64_t cost = 0;
    bool promised[CREDIT_XLIFT_SEGS_MAX] = {false};
    size_t n_promised = 0;
    hbuf pay = HBUF_INIT, body = HBUF_INIT;
    /* Every segment's first payer promises on its chain... */
    for (int j = 0; j < x->n_segs; j++) {
        hbuf_reset(&pay);
        hbuf_reset(&body);
        credit_xlift_payload_encode(&pay, x, (uint8_t)j);
        pkt_send s = {proto.referee_chain, proto.expiry_ms, PKT_TYPE_LIFT_PROMISE, (uint16_t)pay.len, pay.data};
        pkt_send_encode(&body, &s);
        int k = seg_chain[j];
        uint32_t who = g->e[path[0]].from;
        for (size_t i = 0, seg = 0; i < n; i++) {
            if (i > 0 && f->t[g->tally_of[path[i]]].chain != f->t[g->tally_of[path[i - 1]]].chain) seg++;
            if (seg == (size_t)j) {
                who = g->e[path[i]].from;
                break;
            }
        }
        enqueue(f, k, (uint16_t)who, TX_PACKET_SEND, &body);
        f->block_us = 0;
        promised[j] = commit(f, k) == 0;
        cost += f->block_us;
        n_promised += promised[j];
    }
    /* ... the relayer proves each to the referee chain ... */
    for (int j = 0; j < x->n_segs; j++)
        if (promised[j]) relay(f, seg_chain[j], 0, R);
    if (n_promised) {
        f->block_us = 0;
        must_commit(f, R, "a client update or promise receipt");
        cost += f->block_us;
    }
    hansa_hash h;
    credit_xlift_hash(x, &h);
    xlift_ref_rec rec;
    bool committed = ledger_xlift_ref_get(f->c[R].s, &h, &rec) && rec.ruling == CREDIT_RULING_COMMIT;
    HANSA_ASSERT(committed == (n_promised == (size_t)x->n_segs));
    /* ... with no ruling the referee rules EXPIRED when asked past the
     * expiry; its ruling goes to every chain holding a promise ... */
    if (!committed && f->now_ms < proto.expiry_ms) f->now_ms = proto.expiry_ms;
    for (int j = 0; j < x->n_segs && n_promised; j++) {
        if (!promised[j]) continue;
        hbuf_reset(&pay);
        hbuf_reset(&body);
        credit_xlift_payload_encode(&pay, x, committed ? CREDIT_RULING_COMMIT : CREDIT_RULING_EXPIRED);
        pkt_send s = {chain_id(seg_chain[j]), f->now_ms + 600000, PKT_TYPE_LIFT_RULING, (uint16_t)pay.len, pay.data};
        pkt_send_encode(&body, &s);
        enqueue(f, R, XL_RELAYER, TX_PACKET_SEND, &body);
    }
    if (n_promised) {
        f->block_us = 0;
        must_commit(f, R, "a ruling");
        cost += f->block_us;
    }
    /* ... and is proven there, which books or voids the segment. */
    for (int j = 0, i = 0; j < x->n_segs; j++) {
        if (!promised[j]) continue;
        relay(f, R, (size_t)i++, seg_chain[j]);
        f->block_us = 0;
        must_commit(f, seg_chain[j], "a client update or ruling receipt");
        cost += f->block_us;
        xlift_seg_rec sr;
        HANSA_ASSERT(ledger_xlift_seg_get(f->c[seg_chain[j]].s, &x->seg[j].lift_id, &sr));
        HANSA_ASSERT(sr.state == (committed ? XLIFT_COMMITTED : XLIFT_VOIDED));
    }
    hbuf_free(&pay);
    hbuf_free(&body);
    free(x);
    if (committed && lat) lat_add(lat, cost);
    return committed;
}

/* ---- the agent ---- */

typedef struct {
    xl_fed *f;
    const xl_graph *g;
    const xl_sub *s;
    int chain;
    xl_lat *lat;
    uint32_t ok, tried;
} local_run;

static bool local_cb(void *ctx, const clr_cycle *c) {
    local_run *r = ctx;
    size_t path[64];
    for (size_t i = 0; i < c->n; i++) path[i] = r->s->edge_of[c->edge[i]];
    r->tried++;
    bool ok = lift_local(r->f, r->g, path, c->n, r->chain, c->amount, r->lat);
    r->ok += ok;
    return ok;
}

/* Cross cycles: breadth-first from person s over (person, chain) states,
 * edges of the current chain with residual, switching chain at a bridging
 * person after at least one tally on the current one, each chain once, at
 * most CREDIT_XLIFT_SEGS_MAX chains and CREDIT_XLIFT_HOPS_MAX tallies, back
 * to s on a chain other than the first. The first (shortest) found goes in
 * path; its length returned (0: none). A state is visited once whatever
 * chains led to it: a heuristic, shortest within what it explores. */
typedef struct {
    uint32_t person;
    uint8_t chain, mask, seg_hops, depth;
    uint32_t parent; /* state index; UINT32_MAX at the root */
    size_t edge;     /* the edge that led here; SIZE_MAX for a chain switch */
} xl_state;

typedef struct {
    size_t *first, *out; /* CSR of edges by from */
    uint32_t *seen;      /* [person * XL_CHAINS_MAX + chain] = generation */
    uint32_t gen;
    xl_state *q;
    size_t cap;
} xl_search;

static void search_init(xl_search *S, const xl_fed *f, const xl_graph *g) {
    S->first = hansa_calloc((size_t)f->n_persons + 1, sizeof *S->first);
    S->out = hansa_calloc(g->n + 1, sizeof *S->out);
    for (size_t e = 0; e < g->n; e++) S->first[g->e[e].from + 1]++;
    for (int u = 0; u < f->n_persons; u++) S->first[u + 1] += S->first[u];
    size_t *fill = hansa_calloc((size_t)f->n_persons + 1, sizeof *fill);
    for (size_t e = 0; e < g->n; e++) S->out[S->first[g->e[e].from] + fill[g->e[e].from]++] = e;
    free(fill);
    S->seen = hansa_calloc((size_t)f->n_persons * XL_CHAINS_MAX, sizeof *S->seen);
    S->gen = 0;
    S->cap = (size_t)f->n_persons * XL_CHAINS_MAX + 1;
    S->q = hansa_calloc(S->cap, sizeof *S->q);
}

static void search_free(xl_search *S) {
    free(S->first);
    free(S->out);
    free(S->seen);
    free(S->q);
}

static bool visit(xl_search *S, uint32_t person, int chain) {
    uint32_t *v = &S->seen[(size_t)person * XL_CHAINS_MAX + (size_t)chain];
    if (*v == S->gen) return false;
    *v = S->gen;
    return true;
}

static size_t cross_cycle(xl_search *S, const xl_fed *f, const xl_graph *g, const uint64_t *res, uint32_t s,
                          int start, size_t *path) {
    S->gen++;
    size_t head = 0, tail = 0;
    visit(S, s, start);
    S->q[tail++] = (xl_state){s, (uint8_t)start, (uint8_t)(1u << start), 0, 0, UINT32_MAX, SIZE_MAX};
    while (head < tail) {
        xl_state st = S->q[head];
        uint32_t here = (uint32_t)head++;
        if (st.depth >= CREDIT_XLIFT_HOPS_MAX) continue;
        for (size_t k = S->first[st.person]; k < S->first[st.person + 1]; k++) {
            size_t e = S->out[k];
            uint32_t v = g->e[e].to;
            if (res[e] == 0 || f->t[g->tally_of[e]].chain != st.chain) continue;
            if (v == s) {
                if (st.chain == start) continue; /* a local cycle: the first phase's */
                size_t n = st.depth + 1u;
                path[n - 1] = e;
                size_t i = n - 1;
                for (uint32_t w = here; S->q[w].parent != UINT32_MAX; w = S->q[w].parent)
                    if (S->q[w].edge != SIZE_MAX) path[--i] = S->q[w].edge;
                HANSA_ASSERT(i == 0);
                return n;
            }
            if (!visit(S, v, st.chain)) continue;
            HANSA_ASSERT(tail < S->cap);
            xl_state nx = {v, st.chain, st.mask, (uint8_t)(st.seg_hops + 1), (uint8_t)(st.depth + 1), here, e};
            uint32_t nx_i = (uint32_t)tail;
            S->q[tail++] = nx;
            /* switch chain at a bridging person (the same key on its other chain) */
            const xl_person *p = &f->p[v];
            int other = p->chain[1] < 0 ? -1 : p->chain[0] == st.chain ? p->chain[1] : p->chain[0];
            int segs = __builtin_popcount(st.mask);
            if (other >= 0 && !(st.mask >> other & 1) && segs < CREDIT_XLIFT_SEGS_MAX && visit(S, v, other)) {
                HANSA_ASSERT(tail < S->cap);
                S->q[tail++] = (xl_state){v, (uint8_t)other, (uint8_t)(st.mask | 1u << other), 0, nx.depth, nx_i,
                                          SIZE_MAX};
            }
        }
    }
    return 0;
}

/* The cross phase: from each bridging person, on each of its chains first,
 * cross cycles lifted at their bottleneck until none is left from it (lifts
 * only lower capacities, so none comes back). res: the residual caps,
 * lowered as lifts commit. Returns the gross debt cleared. */
static uint64_t cross_phase(xl_fed *f, const xl_graph *g, uint64_t *res, xl_lat *lat, uint32_t *ok,
                            uint32_t *tried) {
    xl_search S;
    search_init(&S, f, g);
    uint64_t cleared = 0;
    size_t path[CREDIT_XLIFT_HOPS_MAX];
    for (int s = 0; s < f->n_persons; s++) {
        if (f->p[s].chain[1] < 0) continue;
        for (int side = 0; side < 2; side++) {
            size_t n;
            while ((n = cross_cycle(&S, f, g, res, (uint32_t)s, f->p[s].chain[side], path)) > 0) {
                uint64_t amount = UINT64_MAX;
                for (size_t i = 0; i < n; i++)
                    if (res[path[i]] < amount) amount = res[path[i]];
                (*tried)++;
                if (!lift_cross(f, g, path, n, amount, lat)) {
                    res[path[0]] = 0;
                    continue;
                }
                (*ok)++;
                for (size_t i = 0; i < n; i++) res[path[i]] -= amount;
                cleared += amount * n;
            }
        }
    }
    search_free(&S);
    return cleared;
}

/* ---- what the cross search leaves of the optimum ---- */

/* The kinds of cycle a decomposition of the optimum's flow can hold, by the
 * first rule of a cross-chain lift the cycle breaks. */
enum { LEFT_LOCAL, LEFT_SEGS, LEFT_TWICE, LEFT_HOPS, LEFT_WITHIN, LEFT_UNBALANCED, LEFT_DOUBLE, LEFT_KINDS };

/* The kind of cycle c, and whether a lift with twice the tallies and any
 * number of chains, each once, could take it (*looser). */
static int left_kind(const xl_fed *f, const xl_graph *g, const size_t *c, size_t n, bool *looser) {
    unsigned mask = 0, segs = 0;
    for (size_t i = 0; i < n; i++) {
        int k = f->t[g->tally_of[c[i]]].chain, prev = f->t[g->tally_of[c[(i + n - 1) % n]]].chain;
        mask |= 1u << k;
        segs += k != prev;
    }
    *looser = segs > 0 && segs == (unsigned)__builtin_popcount(mask) && n <= 2 * CREDIT_XLIFT_HOPS_MAX;
    if (segs == 0) return LEFT_LOCAL;
    if (segs > CREDIT_XLIFT_SEGS_MAX) return LEFT_SEGS;
    if (segs > (unsigned)__builtin_popcount(mask)) return LEFT_TWICE;
    return n > CREDIT_XLIFT_HOPS_MAX ? LEFT_HOPS : LEFT_WITHIN;
}

/* Decomposes the flow the cross search left (a circulation, but for the
 * first edge of a refused lift) into cycles, walking from each edge with
 * flow until a person repeats, and weighs each kind by the debt its cycles
 * would clear (flow x tallies). A decomposition is not unique: this says
 * where the flow is, not that no other split could lift it. */
static void left_of(const xl_fed *f, const xl_graph *g, const uint64_t *flow, uint64_t by[LEFT_KINDS]) {
    xl_search S;
    search_init(&S, f, g);
    uint64_t *fl = hansa_calloc(g->n + 1, sizeof *fl);
    memcpy(fl, flow, g->n * sizeof *fl);
    size_t *walk = hansa_calloc((size_t)f->n_persons + 2, sizeof *walk); /* a walk visits each person once */
    size_t *at = hansa_calloc((size_t)f->n_persons, sizeof *at);
    for (int u = 0; u < f->n_persons; u++) at[u] = SIZE_MAX;
    for (size_t e0 = 0; e0 < g->n; e0++) {
        while (fl[e0] > 0) {
            size_t n = 0;
            bool dead = false;
            uint32_t u = g->e[e0].from;
            at[u] = 0;
            walk[n++] = e0;
            for (u = g->e[e0].to; at[u] == SIZE_MAX && !dead;) {
                size_t e = SIZE_MAX;
                for (size_t k = S.first[u]; k < S.first[u + 1] && e == SIZE_MAX; k++)
                    if (fl[S.out[k]] > 0) e = S.out[k];
                dead = e == SIZE_MAX; /* unbalanced: a refused lift's edge lost its flow */
                if (dead) break;
                at[u] = n;
                walk[n++] = e;
                u = g->e[e].to;
            }
            size_t from = dead ? 0 : at[u];
            for (size_t i = 0; i < n; i++) at[g->e[walk[i]].from] = SIZE_MAX;
            if (dead) {
                by[LEFT_UNBALANCED] += fl[e0];
                fl[e0] = 0;
                continue;
            }
            uint64_t amount = UINT64_MAX;
            for (size_t i = from; i < n; i++)
                if (fl[walk[i]] < amount) amount = fl[walk[i]];
            for (size_t i = from; i < n; i++) fl[walk[i]] -= amount;
            bool looser;
            int kind = left_kind(f, g, walk + from, n - from, &looser);
            by[kind] += amount * (n - from);
            if (looser && kind != LEFT_WITHIN) by[LEFT_DOUBLE] += amount * (n - from);
        }
    }
    free(fl);
    free(walk);
    free(at);
    search_free(&S);
}

/* Prints where the optimum's flow the first cross phase could not lift
 * lies: cycles on one chain (the local lifts' part) and cross cycles over
 * the limits of a cross-chain lift, out of its reach as the optimum routes
 * them. */
static void left_print(const xl_fed *f, const xl_graph *g, const uint64_t *flow, uint64_t best) {
    uint64_t by[LEFT_KINDS] = {0}, all = 0;
    left_of(f, g, flow, by);
    for (int i = 0; i < LEFT_DOUBLE; i++) all += by[i];
    double b = best ? 100.0 / (double)best : 0.0;
    printf("  the optimum's flow the cross phase left: %.1f%% of the optimum; as cycles: one chain %.1f%%; beyond a "
           "cross lift's limits: over %d chains %.1f%%, a chain twice %.1f%%, over %d tallies %.1f%% (%.1f%% within "
           "%d tallies, each chain once); within them %.1f%%; unbalanced (refused lifts) %.1f%%\n",
           b * (double)all, b * (double)by[LEFT_LOCAL], CREDIT_XLIFT_SEGS_MAX, b * (double)by[LEFT_SEGS],
           b * (double)by[LEFT_TWICE], CREDIT_XLIFT_HOPS_MAX, b * (double)by[LEFT_HOPS], b * (double)by[LEFT_DOUBLE],
           2 * CREDIT_XLIFT_HOPS_MAX, b * (double)by[LEFT_WITHIN], b * (double)by[LEFT_UNBALANCED]);
}

/* ---- the checker ---- */

/* What the checker reads of one tally: its balance, and per side the most
 * its trading variables let lifts bring its net to and the other side's
 * grant (the most it may owe). */
typedef struct {
    int64_t balance;
    uint64_t tv_hi[CREDIT_FOIL + 1], grant[CREDIT_FOIL + 1];
} xl_view;

static void view_of(const xl_fed *f, xl_view *v) {
    credit_tally *t = hansa_malloc(sizeof *t);
    for (size_t i = 0; i < f->n_tallies; i++) {
        HANSA_ASSERT(ledger_tally_get(f->c[f->t[i].chain].s, &f->t[i].id, t));
        v[i].balance = t->balance;
        for (credit_side side = CREDIT_STOCK; side <= CREDIT_FOIL; side++) {
            const credit_trade *tv = &t->trade[side].tv;
            v[i].tv_hi[side] = tv->bound > tv->target ? tv->bound : tv->target;
            v[i].grant[side] = (side == CREDIT_STOCK ? &t->contract.foil_grants : &t->contract.stock_grants)->limit;
        }
    }
    free(t);
}

/* Each person's total over its tallies on every chain into tot[] (lifts
 * must leave it as in `before`, when given), and each tally side within
 * [-grant, max(its trading variables, where the chits put it)]. Returns
 * false with why. */
static bool check_totals(const xl_fed *f, const xl_view *v, int64_t *tot, const int64_t *before, char *why,
                         size_t why_len) {
    memset(tot, 0, (size_t)f->n_persons * sizeof *tot);
    for (size_t i = 0; i < f->n_tallies; i++) {
        const xl_tally *x = &f->t[i];
        tot[x->stock] += v[i].balance;
        tot[x->foil] -= v[i].balance;
        for (credit_side side = CREDIT_STOCK; side <= CREDIT_FOIL; side++) {
            int64_t net = side == CREDIT_STOCK ? v[i].balance : -v[i].balance;
            int64_t start = side == CREDIT_STOCK ? x->start : -x->start;
            int64_t hi = (int64_t)v[i].tv_hi[side] > start ? (int64_t)v[i].tv_hi[side] : start;
            if (net > hi || net < -(int64_t)v[i].grant[side]) {
                snprintf(why, why_len, "tally %zu on chain %x: the %s's net %lld is outside [%lld, %lld]", i,
                         chain_id(x->chain), credit_side_name(side), (long long)net, -(long long)v[i].grant[side],
                         (long long)hi);
                return false;
            }
        }
    }
    for (int i = 0; i < f->n_persons && before; i++)
        if (tot[i] != before[i]) {
            snprintf(why, why_len, "person %d's total moved from %lld to %lld", i, (long long)before[i],
                     (long long)tot[i]);
            return false;
        }
    return true;
}

/* The checker shown catching what it exists for, on a copy of the final
 * view: one leg of a lift booked without the rest (a total moves), and a
 * creditor lifted past where its chits put it (beyond its bound). why gets
 * both reports; false if either went unnoticed. */
static bool check_catches(const xl_fed *f, const xl_view *v, const int64_t *before, char *why, size_t why_len) {
    xl_view *bad = hansa_calloc(f->n_tallies + 1, sizeof *bad);
    int64_t *tot = hansa_calloc((size_t)f->n_persons, sizeof *tot);
    char a[LEDGER_WHY_MAX] = "", b[LEDGER_WHY_MAX] = "";
    memcpy(bad, v, f->n_tallies * sizeof *bad);
    bad[0].balance -= 1; /* the stock paid 1 on tally 0, nobody received */
    bool caught = !check_totals(f, bad, tot, before, a, sizeof a);
    memcpy(bad, v, f->n_tallies * sizeof *bad);
    bad[0].balance = f->t[0].start + 1; /* the stock's net above its chits, its bound 0 */
    caught = caught && !check_totals(f, bad, tot, NULL, b, sizeof b);
    snprintf(why, why_len, "%s; %s", a, b);
    free(tot);
    free(bad);
    return caught;
}

/* ---- success rate vs amount ---- */

/* On a fresh copy of the network: up to XL_TRIES local cycles (on chain 0)
 * and XL_TRIES cross cycles, each lifted at fraction x the capacity the
 * agent sees, each cycle's first edge then left out of the search. */
static void success_at(int chains, int persons, uint64_t seed, size_t hops, double fraction) {
    xl_fed *f = hansa_malloc(sizeof *f);
    setup(f, chains, persons, seed);
    xl_graph g;
    graph_of(f, &g);
    uint32_t ok[2] = {0, 0}, tried[2] = {0, 0};
    xl_sub s;
    sub_of(f, &g, 0, &s);
    uint64_t *sres = hansa_calloc(s.g.n_edges + 1, sizeof *sres);
    for (size_t e = 0; e < s.g.n_edges; e++) sres[e] = s.e[e].cap;
    clr_cycle c;
    while (tried[0] < XL_TRIES && clr_find_cycle(&s.g, sres, hops, &c)) {
        size_t path[64];
        for (size_t i = 0; i < c.n; i++) path[i] = s.edge_of[c.edge[i]];
        uint64_t amount = (uint64_t)((double)c.amount * fraction + 0.999);
        tried[0]++;
        bool lifted = lift_local(f, &g, path, c.n, 0, amount ? amount : 1, NULL);
        ok[0] += lifted;
        for (size_t i = 0; i < c.n && lifted; i++)
            sres[c.edge[i]] -= amount < sres[c.edge[i]] ? amount : sres[c.edge[i]];
        sres[c.edge[0]] = 0;
    }
    free(sres);
    sub_free(&s);
    /* The cross cycles on what the local lifts left. */
    graph_free(&g);
    graph_of(f, &g);
    uint64_t *res = hansa_calloc(g.n + 1, sizeof *res);
    for (size_t e = 0; e < g.n; e++) res[e] = g.e[e].cap;
    xl_search S;
    search_init(&S, f, &g);
    size_t path[CREDIT_XLIFT_HOPS_MAX];
    for (int p = 0; p < f->n_persons && tried[1] < XL_TRIES; p++) {
        if (f->p[p].chain[1] < 0) continue;
        size_t n;
        while (tried[1] < XL_TRIES && (n = cross_cycle(&S, f, &g, res, (uint32_t)p, f->p[p].chain[0], path)) > 0) {
            uint64_t cap = UINT64_MAX;
            for (size_t i = 0; i < n; i++)
                if (res[path[i]] < cap) cap = res[path[i]];
            uint64_t amount = (uint64_t)((double)cap * fraction + 0.999);
            tried[1]++;
            bool lifted = lift_cross(f, &g, path, n, amount ? amount : 1, NULL);
            ok[1] += lifted;
            for (size_t i = 0; i < n && lifted; i++) res[path[i]] -= amount < res[path[i]] ? amount : res[path[i]];
            res[path[0]] = 0;
        }
    }
    search_free(&S);
    printf("  amount %.2f x capacity: local %u of %u committed (%.0f%%), cross %u of %u committed (%.0f%%)\n", fraction,
           ok[0], tried[0], tried[0] ? 100.0 * ok[0] / tried[0] : 0.0, ok[1], tried[1],
           tried[1] ? 100.0 * ok[1] / tried[1] : 0.0);
    free(res);
    graph_free(&g);
    fed_free(f);
    free(f);
}

int bench_lifts_chains(int chains, int persons, uint64_t seed, size_t hops) {
    crypto_init();
    xl_fed *f = hansa_malloc(sizeof *f);
    uint64_t t0 = clock_system_mono_us();
    setup(f, chains, persons, seed);
    double setup_s = (double)(clock_system_mono_us() - t0) / 1e6;
    int64_t *before = hansa_calloc((size_t)persons, sizeof *before);
    int64_t *after = hansa_calloc((size_t)persons, sizeof *after);
    char why[LEDGER_WHY_MAX] = "";
    xl_view *view = hansa_calloc(f->n_tallies + 1, sizeof *view);
    view_of(f, view);
    HANSA_ASSERT(check_totals(f, view, before, NULL, why, sizeof why));
    xl_graph g;
    graph_of(f, &g);
    int bridges = 0;
    for (int i = 0; i < persons; i++) bridges += f->p[i].chain[1] >= 0;
    printf("bench --lifts --chains %d: %d persons (%d on two chains), %zu tallies on %d lift chains, chain %x the "
           "referee (seed %llu, set up in %.1f s)\n",
           chains, persons, bridges, f->n_tallies, f->n_lift, chain_id(referee(f)), (unsigned long long)seed, setup_s);
    printf("  debts lognormal (median %.0f CHIPs, sigma %.1f), tally ends Pareto-weighted (alpha 1.5); gross debt "
           "%llu milli-CHIPs\n", DEBT_MEDIAN / 1000, DEBT_SIGMA, (unsigned long long)g.gross);
    /* The optimum over the whole federation, and per chain. */
    clr_graph fg = {(uint32_t)persons, g.n, g.e};
    uint64_t *flow = hansa_calloc(g.n + 1, sizeof *flow), best = 0, best_of[XL_CHAINS_MAX] = {0};
    t0 = clock_system_mono_us();
    HANSA_ASSERT(clr_optimum(&fg, flow, &best) == HANSA_OK);
    double opt_s = (double)(clock_system_mono_us() - t0) / 1e6;
    printf("  optimum over the federation graph (max-weight circulation, no route rules: an upper bound): clears "
           "%llu = %.1f%% of gross debt (%.1f s)\n",
           (unsigned long long)best, g.gross ? 100.0 * (double)best / (double)g.gross : 0.0, opt_s);
    /* The agent: first the cross-chain cycles of the federation's optimum
     * (the search on its circulation, each lifted for the flow it carries:
     * within the capacities, and what only crossing clears), then each
     * chain's own optimum (local lifts), then cross cycles on what is left. */
    xl_lat lat_local = {0}, lat_cross = {0};
    uint32_t lok = 0, ltried = 0, xok = 0, xtried = 0;
    t0 = clock_system_mono_us();
    uint64_t cross_cleared = cross_phase(f, &g, flow, &lat_cross, &xok, &xtried);
    left_print(f, &g, flow, best);
    free(flow);
    xl_graph pre;
    graph_of(f, &pre); /* its own edge numbering: an edge whose capacity fell to zero is gone */
    for (int k = 0; k < f->n_lift; k++) {
        xl_sub s0, s;
        sub_of(f, &g, k, &s0);
        uint64_t *sflow = hansa_calloc(s0.g.n_edges + 1, sizeof *sflow);
        HANSA_ASSERT(clr_optimum(&s0.g, sflow, &best_of[k]) == HANSA_OK);
        free(sflow);
        sub_free(&s0);
        sub_of(f, &pre, k, &s);
        local_run r = {f, &pre, &s, k, &lat_local, 0, 0};
        clr_agent(&s.g, hops, local_cb, &r);
        lok += r.ok;
        ltried += r.tried;
        sub_free(&s);
    }
    xl_graph mid;
    graph_of(f, &mid);
    uint64_t *res = hansa_calloc(mid.n + 1, sizeof *res);
    for (size_t e = 0; e < mid.n; e++) res[e] = mid.e[e].cap;
    cross_cleared += cross_phase(f, &mid, res, &lat_cross, &xok, &xtried);
    double agent_s = (double)(clock_system_mono_us() - t0) / 1e6;
    free(res);
    xl_graph end;
    graph_of(f, &end);
    uint64_t cleared = g.gross - end.gross;
    printf("  agent: %u local lifts (%u refused) clear %llu, %u cross-chain lifts (%u refused) clear %llu: "
           "%.1f%% of gross debt, %.1f%% of the federation optimum (%.1f s)\n",
           lok, ltried - lok, (unsigned long long)(pre.gross - mid.gross), xok, xtried - xok,
           (unsigned long long)cross_cleared, g.gross ? 100.0 * (double)cleared / (double)g.gross : 0.0,
           best ? 100.0 * (double)cleared / (double)best : 100.0, agent_s);
    for (int k = 0; k < f->n_lift; k++) {
        uint64_t ck = g.gross_of[k] - end.gross_of[k];
        printf("  chain %x: gross debt %llu, its own optimum clears %llu (%.1f%%), the agent cleared %llu (%.1f%%, "
               "%.1f%% of that optimum)\n",
               chain_id(k), (unsigned long long)g.gross_of[k], (unsigned long long)best_of[k],
               g.gross_of[k] ? 100.0 * (double)best_of[k] / (double)g.gross_of[k] : 0.0, (unsigned long long)ck,
               g.gross_of[k] ? 100.0 * (double)ck / (double)g.gross_of[k] : 0.0,
               best_of[k] ? 100.0 * (double)ck / (double)best_of[k] : 100.0);
    }
    printf("  ledger cost per lift (its blocks applied and committed, one core, in-process: before consensus and "
           "networking): local p50 %llu us, p99 %llu us (%zu); cross p50 %llu us, p99 %llu us (%zu)\n",
           (unsigned long long)pct(&lat_local, 50), (unsigned long long)pct(&lat_local, 99), lat_local.n,
           (unsigned long long)pct(&lat_cross, 50), (unsigned long long)pct(&lat_cross, 99), lat_cross.n);
    /* The checker over every chain. */
    bool ok = cleared == pre.gross - mid.gross + cross_cleared;
    if (!ok) snprintf(why, sizeof why, "the debt cleared is not what the lifts moved");
    for (int k = 0; k < chains && ok; k++) {
        char w[LEDGER_WHY_MAX] = "";
        if (ledger_credit_check(f->c[k].s, w, sizeof w) != HANSA_OK) {
            snprintf(why, sizeof why, "chain %x: %s", chain_id(k), w);
            ok = false;
        }
    }
    view_of(f, view);
    ok = ok && check_totals(f, view, after, before, why, sizeof why);
    printf("  checker (credit check on %d chains, %d persons' totals unchanged, every side within its trading "
           "variables and grant): %s\n", chains, persons, ok ? "ok" : why);
    char caught[2 * LEDGER_WHY_MAX + 2] = "";
    bool catches = check_catches(f, view, before, caught, sizeof caught);
    printf("  the checker on a copy with one leg booked alone and one side past its bound: %s (%s)\n",
           catches ? "both caught" : "MISSED", caught);
    ok = ok && catches;
    printf("success rate vs amount (fresh copies, up to %d local cycles on chain %x and %d cross cycles each):\n",
           XL_TRIES, chain_id(0), XL_TRIES);
    static const double fractions[] = {0.25, 0.5, 1.0, 1.25, 2.0};
    for (size_t i = 0; i < sizeof fractions / sizeof fractions[0]; i++)
        success_at(chains, persons, seed, hops, fractions[i]);
    printf("end to end over the network: scripts/bench-xlifts (3-chain federation of real processes)\n");
    free(lat_local.v);
    free(lat_cross.v);
    free(view);
    free(before);
    free(after);
    graph_free(&g);
    graph_free(&pre);
    graph_free(&mid);
    graph_free(&end);
    fed_free(f);
    free(f);
    return ok ? CLI_OK : CLI_FAILED;
}
