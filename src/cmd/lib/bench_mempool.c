/* bench_mempool.c — see bench_mempool.h. */
#include "cmd/lib/bench_mempool.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/mem.h"
#include "crypto/address.h"
#include "crypto/sign.h"
#include "ledger/state.h"
#include "ledger/tx.h"
#include "node/mempool.h"
#include "wire/codec.h"

#define CHAIN 0xe2e4u
#define TXS_PER_SENDER 100
#define POOL_FEE 10
#define RICH 1000000000000ull
#define POOR 5

/* Keys: the pool's senders, then one rich outsider (bad signatures, low
 * fees, evicting txs) and one poor one (over balance). */
typedef struct {
    size_t n_senders;
    hansa_keypair *keys; /* n_senders + 2 */
    hansa_addr *addrs;
    ledger_state *state;
    mempool *mp;
} fixture;

typedef struct {
    const char *name;
    hansa_err expect;  /* what every admission must return */
    hbuf bytes;        /* the prepared transactions, back to back */
    size_t *off;       /* off[i] .. off[i+1] is tx i */
    size_t n;
} tx_set;

static void fixture_init(fixture *f, size_t pool_txs) {
    f->n_senders = (pool_txs + TXS_PER_SENDER - 1) / TXS_PER_SENDER;
    size_t nk = f->n_senders + 2;
    f->keys = hansa_calloc(nk, sizeof *f->keys);
    f->addrs = hansa_calloc(nk, sizeof *f->addrs);
    ledger_genesis_account *accts = hansa_calloc(nk, sizeof *accts);
    for (size_t i = 0; i < nk; i++) {
        uint8_t seed[HANSA_SEED_BYTES] = {0x6d, 0x70};
        le32_store(seed + 2, (uint32_t)i);
        keypair_from_seed(&f->keys[i], seed);
        addr_from_pubkey(&f->keys[i].pub, &f->addrs[i]);
        accts[i] = (ledger_genesis_account){f->addrs[i], i == nk - 1 ? POOR : RICH};
    }
    wire_validator del = {f->keys[0].pub, 10};
    ledger_genesis g = {{.chain_id = CHAIN, .genesis_time_ms = 1000, .fee_burn_bps = 5000,
                         .min_fee = 1, .max_block_txs = 10000,
                         .elect = ledger_elect_params_default()},
                        accts, nk, &del, 1};
    static const uint8_t hash_key[ACCT_MAP_KEY_BYTES] = {0x6d, 0x70, 0x6f, 0x6f, 0x6c};
    char why[LEDGER_WHY_MAX] = "";
    hansa_err err = ledger_genesis_state(&g, hash_key, &f->state, NULL, why, sizeof why);
    if (err != HANSA_OK) fprintf(stderr, "bench genesis: %s\n", why);
    HANSA_ASSERT(err == HANSA_OK);
    free(accts);
    mempool_limits lim = {(uint32_t)pool_txs, 0};
    f->mp = mempool_new(&lim, (uint8_t[MEMPOOL_KEY_BYTES]){0}, f->state, NULL, NULL);
}

static void fixture_free(fixture *f) {
    mempool_free(f->mp);
    ledger_state_free(f->state);
    for (size_t i = 0; i < f->n_senders + 2; i++) keypair_wipe(&f->keys[i]);
    free(f->keys);
    free(f->addrs);
}

/* Appends a transfer of `amount` to an address no key here owns (so no
 * sender's balance grows in the pool's check state), signed by `key`; if
 * bad_sig, the signature is key's real one over the same tx with another
 * fee: well-formed, so refusing it costs a whole verification. */
static void put_tx(tx_set *s, const fixture *f, size_t key, uint64_t nonce, uint64_t fee,
                   uint64_t amount, bool bad_sig) {
    uint8_t body[LEDGER_TRANSFER_BODY_BYTES];
    memset(body, 0x77, HANSA_ADDR_BYTES);
    le64_store(body + HANSA_ADDR_BYTES, amount);
    wire_tx tx = {.chain_id = CHAIN, .sender = f->keys[key].pub, .nonce = nonce, .fee = fee,
                  .kind = TX_TRANSFER, .body = body, .body_len = LEDGER_TRANSFER_BODY_BYTES};
    hbuf sb = HBUF_INIT;
    tx.fee += bad_sig;
    wire_tx_sign_bytes(&sb, &tx);
    sign_domain(&f->keys[key], SIGN_DOMAIN_TX, sb.data, sb.len, &tx.sig);
    tx.fee -= bad_sig;
    hbuf_free(&sb);
    s->off = hansa_realloc(s->off, (s->n + 2) * sizeof *s->off);
    s->off[s->n] = s->bytes.len;
    wire_tx_encode(&s->bytes, &tx);
    s->n++;
    s->off[s->n] = s->bytes.len;
}

static void tx_set_free(tx_set *s) {
    hbuf_free(&s->bytes);
    free(s->off);
}

/* Fills the pool: every sender's nonces 0..99, round-robin over senders.
 * s gets the txs (for the copies offered later). */
static void fill(fixture *f, size_t pool_txs, tx_set *s) {
    *s = (tx_set){"fill", HANSA_OK, HBUF_INIT, NULL, 0};
    for (size_t i = 0; i < pool_txs; i++)
        put_tx(s, f, i % f->n_senders, i / f->n_senders, POOL_FEE, 1, false);
    for (size_t i = 0; i < s->n; i++) {
        hansa_hash h;
        char why[256];
        hansa_err err = mempool_add(f->mp, s->bytes.data + s->off[i], s->off[i + 1] - s->off[i], &h,
                                    why, sizeof why);
        if (err != HANSA_OK) fprintf(stderr, "bench fill %zu: %s\n", i, why);
        HANSA_ASSERT(err == HANSA_OK);
    }
    HANSA_ASSERT(mempool_count(f->mp) == pool_txs);
}

static size_t gcd(size_t a, size_t b) {
    while (b != 0) {
        size_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* Copies of queued txs, as a node's relays send them (each tx reaches it
 * once per relaying peer: issue 15), with no text asked for, as the node's
 * relay path asks none. Taken in a stride over the pool, so that each meets
 * entries and bytes the last did not warm: a pool too big for the caches
 * (a node's is smaller, and its copies arrive soon after the original). */
#define COPY_ROUNDS 20 /* copies of each queued tx at most: a copy takes ~1 us */

static double offer_copies(fixture *f, const tx_set *fill_set, uint64_t budget_us, size_t *done) {
    size_t n = fill_set->n, step = 7919;
    while (gcd(step, n) != 1) step++;
    uint64_t t0 = clock_process_cpu_us(), spent = 0;
    *done = 0;
    for (size_t k = 0, i = 0; k < COPY_ROUNDS * n && spent < budget_us; k++, i = (i + step) % n) {
        hansa_hash h;
        hansa_err err = mempool_add(f->mp, fill_set->bytes.data + fill_set->off[i],
                                    fill_set->off[i + 1] - fill_set->off[i], &h, NULL, 0);
        if (err != HANSA_ERR_DUPLICATE) fprintf(stderr, "bench copy of tx %zu: %s\n", i, hansa_errname(err));
        HANSA_ASSERT(err == HANSA_ERR_DUPLICATE);
        (*done)++;
        if (k % 64 == 63) spent = clock_process_cpu_us() - t0; /* the clock costs more than a copy */
    }
    spent = clock_process_cpu_us() - t0;
    return spent ? (double)*done * 1e6 / (double)spent : 0;
}

enum { K_BAD_SIG, K_NONCE, K_BALANCE, K_FEE, K_REPEAT, K_COUNT };

/* n transactions of kind k, each distinct (but K_REPEAT: one, n times). */
static void prepare(tx_set *s, const fixture *f, int k, size_t n) {
    static const char *names[K_COUNT] = {"bad signature", "nonce already used", "over balance",
                                         "fee too low for a full pool", "repeat of a refused tx"};
    static const hansa_err expect[K_COUNT] = {HANSA_ERR_BAD_SIG, HANSA_ERR_NONCE, HANSA_ERR_FUNDS,
                                              HANSA_ERR_FULL, HANSA_ERR_BAD_SIG};
    *s = (tx_set){names[k], expect[k], HBUF_INIT, NULL, 0};
    size_t rich = f->n_senders, poor = f->n_senders + 1;
    for (size_t i = 0; i < n; i++) {
        switch (k) {
        case K_BAD_SIG: put_tx(s, f, rich, 0, 100, 1 + i, true); break;
        case K_NONCE: put_tx(s, f, i % f->n_senders, TXS_PER_SENDER / 2, 100, 2 + i, false); break;
        case K_BALANCE: put_tx(s, f, poor, 0, 100, 1000 + i, false); break;
        case K_FEE: put_tx(s, f, rich, 0, POOL_FEE, 1 + i, false); break;
        case K_REPEAT: put_tx(s, f, rich, 0, 100, 0xfeed, true); break;
        }
    }
}

/* Offers txs [from, to) of each set in turn (one of each, then the next
 * round); every admission must give its set's expected error. Returns the
 * admissions per second of this process's CPU time (the machine may be
 * shared: what the bench measures is work, not its share of a core). */
static double offer(fixture *f, tx_set *sets, size_t n_sets, size_t from, size_t to,
                    uint64_t budget_us) {
    size_t done = 0, live = mempool_count(f->mp);
    uint64_t t0 = clock_process_cpu_us(), spent = 0;
    for (size_t i = from; i < to && spent < budget_us; i++) {
        for (size_t k = 0; k < n_sets; k++) {
            tx_set *s = &sets[k];
            hansa_hash h;
            char why[256];
            hansa_err err = mempool_add(f->mp, s->bytes.data + s->off[i], s->off[i + 1] - s->off[i],
                                        &h, why, sizeof why);
            if (err != s->expect)
                fprintf(stderr, "bench %s: got %s (%s), expected %s\n", s->name,
                        hansa_errname(err), why, hansa_errname(s->expect));
            HANSA_ASSERT(err == s->expect);
            done++;
        }
        spent = clock_process_cpu_us() - t0;
    }
    HANSA_ASSERT(mempool_count(f->mp) == live);
    return spent ? (double)done * 1e6 / (double)spent : 0;
}

/* Valid transfers from the rich outsider paying POOL_FEE + 1: each evicts
 * the cheapest queued transaction. */
static double offer_evicting(fixture *f, size_t n, uint64_t budget_us, size_t *done) {
    tx_set s = {"evicting", HANSA_OK, HBUF_INIT, NULL, 0};
    for (size_t i = 0; i < n; i++) put_tx(&s, f, f->n_senders, i, POOL_FEE + 1, 1, false);
    size_t live = mempool_count(f->mp);
    uint64_t t0 = clock_process_cpu_us(), spent = 0;
    *done = 0;
    for (size_t i = 0; i < s.n && spent < budget_us; i++) {
        hansa_hash h;
        char why[256];
        hansa_err err = mempool_add(f->mp, s.bytes.data + s.off[i], s.off[i + 1] - s.off[i], &h,
                                    why, sizeof why);
        if (err != HANSA_OK) fprintf(stderr, "bench evicting tx %zu: %s\n", i, why);
        HANSA_ASSERT(err == HANSA_OK);
        (*done)++;
        spent = clock_process_cpu_us() - t0;
    }
    HANSA_ASSERT(mempool_count(f->mp) == live);
    tx_set_free(&s);
    return spent ? (double)*done * 1e6 / (double)spent : 0;
}

static int usage(void) {
    fprintf(stderr, "usage: hansa bench-mempool [--txs N] [--ms M]\n"
                    "  N 1000..1000000 transactions in the full pool (100000),\n"
                    "  M 10..60000 ms at most per figure (1000)\n");
    return 2;
}

static bool u64_arg(const char *s, uint64_t lo, uint64_t hi, uint64_t *out) {
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || end == s || s[0] == '-' || v < lo || v > hi) return false;
    *out = v;
    return true;
}

int cmd_bench_mempool(int argc, char **argv) {
    uint64_t pool_txs = 100000, ms = 1000;
    for (int i = 1; i < argc; i++) {
        bool ok = i + 1 < argc;
        if (ok && strcmp(argv[i], "--txs") == 0) ok = u64_arg(argv[++i], 1000, 1000000, &pool_txs);
        else if (ok && strcmp(argv[i], "--ms") == 0) ok = u64_arg(argv[++i], 10, 60000, &ms);
        else ok = false;
        if (!ok) return usage();
    }
    crypto_init();
    fixture f;
    fixture_init(&f, pool_txs);
    printf("hansa bench-mempool: a full pool of %llu transfers from %zu senders (fee %d), CPU time\n",
           (unsigned long long)pool_txs, f.n_senders, POOL_FEE);
    fflush(stdout);
    uint64_t t = clock_process_cpu_us();
    tx_set queued;
    fill(&f, pool_txs, &queued);
    printf("  fill               %.1f s of CPU (signature and checks of every tx)\n",
           (double)(clock_process_cpu_us() - t) / 1e6);
    size_t copies = 0;
    double cp = offer_copies(&f, &queued, ms * 1000, &copies);
    printf("  copy of a queued tx (a relay's duplicate) %9.0f admissions/s (%zu, no text asked)\n", cp,
           copies);
    tx_set_free(&queued);
    /* Half of each set for the mixed figure, the other half for its own. */
    size_t per = pool_txs / 5 < 20000 ? pool_txs / 5 : 20000;
    tx_set sets[K_COUNT];
    for (int k = 0; k < K_COUNT; k++) prepare(&sets[k], &f, k, 2 * per);
    double mixed = offer(&f, sets, K_COUNT, 0, per, ms * 1000);
    for (int k = 0; k < K_COUNT; k++) {
        double r = offer(&f, &sets[k], 1, per, 2 * per, ms * 1000);
        printf("  invalid: %-28s %10.0f admissions/s (%s)\n", sets[k].name, r,
               hansa_errname(sets[k].expect));
    }
    printf("  invalid, the five kinds in turn  %10.0f admissions/s into a full pool of %llu\n",
           mixed, (unsigned long long)pool_txs);
    size_t evicted = 0;
    double ev = offer_evicting(&f, per / 4, ms * 1000, &evicted);
    printf("  valid, each evicting the cheapest %9.0f admissions/s (%zu admitted)\n", ev, evicted);
    for (int k = 0; k < K_COUNT; k++) tx_set_free(&sets[k]);
    fixture_free(&f);
    return 0;
}
