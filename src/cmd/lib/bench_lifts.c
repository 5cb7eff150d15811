/* bench_lifts.c — `hansa bench --lifts`: the clearing agent on one chain's
 * ledger, in-process. A seeded random graph of debts (parties, tallies, one
 * chit of debt each) is built through real transactions; then
 *
 *   - the optimum: the most gross debt any set of circular lifts could
 *     clear on that graph (credit/clearing.h, max-weight circulation);
 *   - the agent: the optimum decomposed into cycles, then greedy shortest cycles, each lifted by a TX_LIFT the
 *     ledger checks with the real hop rule; the share of gross debt it
 *     cleared, next to the optimum's, and the ledger's latency per lift
 *     (one block of one lift applied and committed: p50, p99);
 *   - success rate vs amount: on fresh copies of the graph, lifts of a
 *     fraction of each found cycle's capacity as the agent last saw it (up
 *     to 1 they commit; over 1 the hop rule must refuse them);
 *
 * and the credit checker over the result. The figures are per core, before
 * consensus and networking; across chains, tests/cluster/test_xlifts.py
 * prints the end-to-end time on a 3-chain federation.
 *
 *   hansa bench --lifts [--parties N] [--tallies N] [--seed S] [--max-hops H]
 *
 * With --chains C it runs over a federation instead (bench_xlifts.c).
 *
 * --max-hops bounds the cycles the agent lifts (default: the longest route a
 * local lift takes), to show what the bound costs against the unbounded
 * optimum. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/rng.h"
#include "cmd/lib/cli.h"
#include "credit/clearing.h"
#include "credit/lift.h"
#include "crypto/address.h"
#include "crypto/sign.h"
#include "ledger/block.h"
#include "ledger/credit_rec.h"
#include "ledger/state.h"
#include "ledger/tx.h"

#define CHAIN 0xe2e4u
#define PARTIES_MAX 1000

typedef struct {
    int n_parties;
    hansa_keypair kp[PARTIES_MAX];
    uint64_t nonce[PARTIES_MAX];
    hansa_keypair del;
    ledger_state *s;
    size_t n_tallies;
    credit_id *tally;
    uint32_t lifts;
} lbench;

/* One tx of party `who` in a block of its own; its latency in us. */
static hansa_err apply_one(lbench *b, int who, uint16_t kind, const hbuf *body, uint64_t *us, char *why,
                           size_t why_len) {
    wire_tx tx = {.chain_id = CHAIN, .sender = b->kp[who].pub, .nonce = b->nonce[who], .fee = 1, .kind = kind,
                  .body = body->data, .body_len = (uint32_t)body->len};
    hbuf sb = HBUF_INIT;
    wire_tx_sign_bytes(&sb, &tx);
    sign_domain(&b->kp[who], SIGN_DOMAIN_TX, sb.data, sb.len, &tx.sig);
    hbuf_free(&sb);
    uint64_t t0 = clock_system_mono_us();
    ledger_block_info info = {.height = ledger_height(b->s) + 1,
                              .time_ms = ledger_last_block_time_ms(b->s) + 1000,
                              .proposer = b->del.pub};
    ledger_block *blk = NULL;
    HANSA_ASSERT(ledger_block_begin(b->s, &info, &blk, why, why_len) == HANSA_OK);
    hansa_err err = ledger_block_add_tx(blk, &tx, false, why, why_len);
    if (err != HANSA_OK) {
        ledger_block_free(blk);
        return err;
    }
    ledger_block_finish(blk);
    ledger_block_commit(b->s, blk);
    b->nonce[who]++;
    if (us) *us = clock_system_mono_us() - t0;
    return HANSA_OK;
}

static void must(lbench *b, int who, uint16_t kind, const hbuf *body) {
    char why[LEDGER_WHY_MAX] = "";
    hansa_err err = apply_one(b, who, kind, body, NULL, why, sizeof why);
    if (err != HANSA_OK) fprintf(stderr, "bench --lifts: setup tx refused: %s\n", why);
    HANSA_ASSERT(err == HANSA_OK);
}

/* Parties, then tallies between random pairs, each with one chit by which
 * the foil owes the stock 1..1000 milli-CHIPs. */
static void setup(lbench *b, uint64_t seed, int parties, size_t tallies) {
    memset(b, 0, sizeof *b);
    b->n_parties = parties;
    ledger_genesis_account *accts = calloc((size_t)parties, sizeof *accts);
    for (int i = 0; i < parties; i++) {
        uint8_t s[HANSA_SEED_BYTES] = {(uint8_t)i, (uint8_t)(i >> 8), 0x6c, 0x69};
        keypair_from_seed(&b->kp[i], s);
        addr_from_pubkey(&b->kp[i].pub, &accts[i].addr);
        accts[i].balance = 1ull << 40;
    }
    uint8_t dseed[HANSA_SEED_BYTES] = {0xd1};
    keypair_from_seed(&b->del, dseed);
    wire_validator del = {b->del.pub, 10};
    ledger_genesis g = {{.chain_id = CHAIN, .genesis_time_ms = 1000, .fee_burn_bps = 5000, .min_fee = 1,
                         .max_block_txs = WIRE_BLOCK_TXS_MAX, .elect = ledger_elect_params_default()},
                        accts, (size_t)parties, &del, 1};
    static const uint8_t hash_key[ACCT_MAP_KEY_BYTES] = {0x6c};
    char why[LEDGER_WHY_MAX] = "";
    HANSA_ASSERT(ledger_genesis_state(&g, hash_key, &b->s, NULL, why, sizeof why) == HANSA_OK);
    free(accts);
    hansa_prng p;
    prng_seed(&p, seed);
    b->tally = calloc(tallies, sizeof *b->tally);
    b->n_tallies = tallies;
    hbuf body = HBUF_INIT;
    for (size_t t = 0; t < tallies; t++) {
        int st = (int)prng_below(&p, (uint64_t)parties), fo;
        do fo = (int)prng_below(&p, (uint64_t)parties);
        while (fo == st);
        memcpy(b->tally[t].b, &t, sizeof t);
        b->tally[t].b[15] = 0x7a;
        credit_contract c = {b->tally[t], {CHAIN, b->kp[st].pub}, {CHAIN, b->kp[fo].pub}, {10000, 30}, {10000, 30}, 1};
        hansa_sig sig;
        hbuf_reset(&body);
        credit_contract_sign(&c, &b->kp[st], &sig);
        credit_contract_encode(&body, &c);
        hbuf_append(&body, sig.b, HANSA_SIG_BYTES);
        must(b, st, TX_TALLY_OFFER, &body);
        hbuf_reset(&body);
        credit_contract_sign(&c, &b->kp[fo], &sig);
        hbuf_append(&body, c.tally_id.b, CREDIT_ID_BYTES);
        hbuf_put_u32(&body, 1);
        hbuf_append(&body, sig.b, HANSA_SIG_BYTES);
        must(b, fo, TX_TALLY_ACCEPT, &body);
        credit_chit ch;
        memset(&ch, 0, sizeof ch);
        ch.tally_id = c.tally_id;
        ch.chit_id.b[0] = 0xde;
        ch.by = CREDIT_FOIL;
        ch.kind = CREDIT_CHIT_DIRECT;
        ch.amount = 1 + prng_below(&p, 1000);
        credit_chit_sign(&ch, &b->kp[fo]);
        hbuf_reset(&body);
        credit_chit_encode(&body, &ch);
        must(b, fo, TX_CHIT, &body);
    }
    hbuf_free(&body);
}

static int party_of(const lbench *b, const hansa_pubkey *k) {
    for (int i = 0; i < b->n_parties; i++)
        if (pubkey_eq(&b->kp[i].pub, k)) return i;
    HANSA_UNREACHABLE();
}

/* The lift graph of the state: per tally, an edge toward each side with
 * what it takes freely; tally_of[e] names the tally. Gross debt in *gross. */
static clr_edge *graph_of(const lbench *b, size_t *n, size_t **tally_of, uint64_t *gross) {
    clr_edge *e = calloc(2 * b->n_tallies + 1, sizeof *e);
    *tally_of = calloc(2 * b->n_tallies + 1, sizeof **tally_of);
    *n = 0;
    *gross = 0;
    credit_tally *t = malloc(sizeof *t);
    for (size_t i = 0; i < b->n_tallies; i++) {
        HANSA_ASSERT(ledger_tally_get(b->s, &b->tally[i], t));
        *gross += (uint64_t)(t->balance < 0 ? -t->balance : t->balance);
        uint32_t st = (uint32_t)party_of(b, &t->contract.stock.key), fo = (uint32_t)party_of(b, &t->contract.foil.key);
        for (int side = CREDIT_STOCK; side <= CREDIT_FOIL; side++) {
            uint64_t cap = credit_lift_edge_cap(t, (credit_side)side, 0).min;
            if (cap == 0) continue;
            e[*n] = side == CREDIT_FOIL ? (clr_edge){st, fo, cap} : (clr_edge){fo, st, cap};
            (*tally_of)[(*n)++] = i;
        }
    }
    free(t);
    return e;
}

typedef struct {
    lbench *b;
    const clr_edge *e;
    const size_t *tally_of;
    double fraction; /* of the cycle's capacity to lift */
    uint64_t *lat_us;
    size_t n_lat, cap_lat;
    uint32_t tried, ok;
} lift_run;

/* Lifts fraction x the cycle's capacity around it with a TX_LIFT sent by
 * its first party; true when the ledger committed it. */
static bool lift_cycle(void *ctx, const clr_cycle *c) {
    lift_run *r = ctx;
    lbench *b = r->b;
    credit_lift *l = calloc(1, sizeof *l);
    uint32_t id = ++b->lifts;
    memcpy(l->lift_id.b, &id, sizeof id);
    l->lift_id.b[15] = 0x1f;
    l->kind = CREDIT_LIFT_CIRCULAR;
    l->amount = (uint64_t)((double)c->amount * r->fraction + 0.999);
    if (l->amount == 0) l->amount = 1;
    l->expiry_ms = ledger_last_block_time_ms(b->s) + 60000;
    l->referee_chain = CHAIN;
    l->n_hops = (uint8_t)c->n;
    for (size_t i = 0; i < c->n; i++) {
        l->tallies[i] = b->tally[r->tally_of[c->edge[i]]];
        l->parties[i] = (credit_party){CHAIN, b->kp[r->e[c->edge[i]].from].pub};
    }
    l->parties[c->n] = l->parties[0];
    hbuf body = HBUF_INIT;
    credit_lift_encode(&body, l);
    char why[LEDGER_WHY_MAX] = "";
    uint64_t us = 0;
    hansa_err err = apply_one(b, (int)r->e[c->edge[0]].from, TX_LIFT, &body, &us, why, sizeof why);
    hbuf_free(&body);
    free(l);
    r->tried++;
    if (err != HANSA_OK) return false;
    r->ok++;
    if (r->n_lat == r->cap_lat) {
        r->cap_lat = r->cap_lat ? 2 * r->cap_lat : 64;
        r->lat_us = realloc(r->lat_us, r->cap_lat * sizeof *r->lat_us);
    }
    r->lat_us[r->n_lat++] = us;
    return true;
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static uint64_t pct(uint64_t *v, size_t n, int p) {
    if (n == 0) return 0;
    qsort(v, n, sizeof *v, cmp_u64);
    return v[(n - 1) * (size_t)p / 100];
}

/* On a fresh copy of the graph: up to `tries` cycles, each lifted at
 * fraction of its capacity, each cycle's first edge then left out. */
static void success_at(uint64_t seed, int parties, size_t tallies, size_t hops, double fraction, uint32_t tries) {
    lbench *b = malloc(sizeof *b);
    setup(b, seed, parties, tallies);
    size_t n, *tally_of;
    uint64_t gross;
    clr_edge *e = graph_of(b, &n, &tally_of, &gross);
    clr_graph g = {(uint32_t)parties, n, e};
    uint64_t *res = calloc(n + 1, sizeof *res);
    for (size_t i = 0; i < n; i++) res[i] = e[i].cap;
    lift_run r = {b, e, tally_of, fraction, NULL, 0, 0, 0, 0};
    clr_cycle c;
    while (r.tried < tries && clr_find_cycle(&g, res, hops, &c)) {
        uint32_t before = r.ok;
        lift_cycle(&r, &c);
        uint64_t lifted = (uint64_t)((double)c.amount * fraction + 0.999);
        for (size_t i = 0; i < c.n && r.ok > before; i++)
            res[c.edge[i]] -= lifted < res[c.edge[i]] ? lifted : res[c.edge[i]];
        res[c.edge[0]] = 0;
    }
    printf("  amount %.2f x capacity: %u of %u lifts committed (%.0f%%)\n", fraction, r.ok, r.tried,
           r.tried ? 100.0 * r.ok / r.tried : 0.0);
    free(r.lat_us);
    free(res);
    free(e);
    free(tally_of);
    free(b->tally);
    ledger_state_free(b->s);
    free(b);
}

int cmd_bench_lifts(int argc, char **argv) {
    uint64_t parties = 0, tallies = 120, seed = 1, hops = CREDIT_LIFT_HOPS_MAX, chains = 1;
    bool bad = false, tallies_given = false;
    for (int i = 1; i < argc; i++) {
        bool has = i + 1 < argc;
        if (strcmp(argv[i], "--parties") == 0 && has && cli_parse_u64(argv[i + 1], &parties) && parties >= 3 &&
            parties <= XL_PARTIES_MAX)
            i++;
        else if (strcmp(argv[i], "--chains") == 0 && has && cli_parse_u64(argv[i + 1], &chains) && chains >= 3 &&
                 chains <= XL_CHAINS_MAX)
            i++;
        else if (strcmp(argv[i], "--tallies") == 0 && has && cli_parse_u64(argv[i + 1], &tallies) && tallies >= 3 &&
                 tallies <= CLR_EDGES_MAX / 2)
            i++, tallies_given = true;
        else if (strcmp(argv[i], "--seed") == 0 && has && cli_parse_u64(argv[i + 1], &seed))
            i++;
        else if (strcmp(argv[i], "--max-hops") == 0 && has && cli_parse_u64(argv[i + 1], &hops) && hops >= 2 &&
                 hops <= CREDIT_LIFT_HOPS_MAX)
            i++;
        else
            bad = true;
    }
    /* One chain: at most PARTIES_MAX parties (default 40); a federation:
     * thousands over the chains (default 3000), XL_PARTIES_MAX at most. */
    if (parties == 0) parties = chains > 1 ? 3000 : 40;
    /* A federation draws its tallies (3 a person on each of its chains). */
    if (bad || (chains == 1 && parties > PARTIES_MAX) || (chains > 1 && (parties < 6 * chains || tallies_given))) {
        fprintf(stderr,
                "usage: hansa bench --lifts [--parties 3..%d] [--tallies 3..%d] [--seed S] [--max-hops 2..%d]\n"
                "       hansa bench --lifts --chains 3..%d [--parties 6xC..%d] [--seed S] [--max-hops 2..%d]\n",
                PARTIES_MAX, CLR_EDGES_MAX / 2, CREDIT_LIFT_HOPS_MAX, XL_CHAINS_MAX, XL_PARTIES_MAX,
                CREDIT_LIFT_HOPS_MAX);
        return CLI_USAGE;
    }
    if (chains > 1) return bench_lifts_chains((int)chains, (int)parties, seed, (size_t)hops);
    crypto_init();
    lbench *b = malloc(sizeof *b);
    setup(b, seed, (int)parties, (size_t)tallies);
    size_t n, *tally_of;
    uint64_t gross, best;
    clr_edge *e = graph_of(b, &n, &tally_of, &gross);
    clr_graph g = {(uint32_t)parties, n, e};
    uint64_t *flow = calloc(n + 1, sizeof *flow), t0 = clock_system_mono_us();
    HANSA_ASSERT(clr_optimum(&g, flow, &best) == HANSA_OK);
    double opt_s = (double)(clock_system_mono_us() - t0) / 1e6;
    lift_run r = {b, e, tally_of, 1.0, NULL, 0, 0, 0, 0};
    t0 = clock_system_mono_us();
    uint64_t cleared = clr_agent(&g, hops, lift_cycle, &r);
    double agent_s = (double)(clock_system_mono_us() - t0) / 1e6;
    uint64_t greedy = clr_greedy(&g, hops, NULL, NULL); /* on the view alone, for comparison */
    char why[LEDGER_WHY_MAX] = "";
    hansa_err err = ledger_credit_check(b->s, why, sizeof why);
    size_t n2, *tally_of2;
    uint64_t after;
    free(graph_of(b, &n2, &tally_of2, &after));
    free(tally_of2);
    printf("bench --lifts: %llu parties, %llu tallies of debt (seed %llu), gross debt %llu milli-CHIPs\n",
           (unsigned long long)parties, (unsigned long long)tallies, (unsigned long long)seed,
           (unsigned long long)gross);
    printf("  optimum (max-weight circulation): clears %llu = %.1f%% of gross debt (%.2f s)\n",
           (unsigned long long)best, gross ? 100.0 * (double)best / (double)gross : 0.0, opt_s);
    printf("  greedy shortest cycles alone (on the view, no ledger): clears %llu = %.1f%% of the optimum\n",
           (unsigned long long)greedy, best ? 100.0 * (double)greedy / (double)best : 100.0);
    printf("  agent (the optimum in cycles, then greedy; <= %u hops): %u lifts, %u refused, clears %llu = %.1f%% "
           "(%.1f%% of the optimum; gross debt now %llu) in %.2f s\n",
           (unsigned)hops, r.ok, r.tried - r.ok, (unsigned long long)cleared,
           gross ? 100.0 * (double)cleared / (double)gross : 0.0, best ? 100.0 * (double)cleared / (double)best : 100.0,
           (unsigned long long)after, agent_s);
    printf("  ledger latency per lift (one block, one core): p50 %llu us, p99 %llu us\n",
           (unsigned long long)pct(r.lat_us, r.n_lat, 50), (unsigned long long)pct(r.lat_us, r.n_lat, 99));
    printf("  credit check: %s\n", err == HANSA_OK ? "ok" : why);
    printf("success rate vs amount (fresh copies, up to 40 cycles each):\n");
    static const double fractions[] = {0.25, 0.5, 1.0, 1.25, 2.0};
    for (size_t i = 0; i < sizeof fractions / sizeof fractions[0]; i++)
        success_at(seed, (int)parties, (size_t)tallies, (size_t)hops, fractions[i], 40);
    printf("across chains: tests/cluster/test_xlifts.py prints the time from the last promise to both "
           "chains finalized on a 3-chain federation\n");
    free(r.lat_us);
    free(flow);
    free(e);
    free(tally_of);
    free(b->tally);
    ledger_state_free(b->s);
    free(b);
    return err == HANSA_OK && cleared == gross - after ? CLI_OK : CLI_FAILED;
}
