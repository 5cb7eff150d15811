/* bench_credit.c — `hansa bench-credit`: chits per second on one chain,
 * measured where the work is: the ledger applying blocks of signed chit
 * transactions (each chit's signature and its transaction's verified, the
 * tally's limits checked, the chain protocol run between the two halves in
 * the state, the records written, the app hash computed), then the credit
 * checker over the result. In-process and single-threaded: the figure is
 * per core, before consensus and networking (the multi-process test
 * tests/cluster/test_credit.py prints an end-to-end rate).
 *
 *   hansa bench-credit [--chits N] [--block N]  (defaults 20000 and 1000)
 *   hansa bench-credit --across [--chits N] [--block N]  (a tally across two
 *                     chains, bench_xtally.c; --block: chits per round) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/buf.h"
#include "base/clock.h"
#include "cmd/lib/cli.h"
#include "credit/tally.h"
#include "crypto/address.h"
#include "crypto/sign.h"
#include "ledger/block.h"
#include "ledger/state.h"
#include "ledger/tx.h"
#include "wire/codec.h"

#define CHAIN 0xe2e4u

typedef struct {
    hansa_keypair kp[2]; /* 0 stock, 1 foil */
    hansa_keypair del;
    ledger_state *s;
    uint64_t nonce[2];
    credit_id tally;
} bench;

static void apply(bench *b, const hbuf *txs, const size_t *off, uint32_t n) {
    ledger_block_info info = {.height = ledger_height(b->s) + 1,
                              .time_ms = ledger_last_block_time_ms(b->s) + 1000,
                              .proposer = b->del.pub};
    ledger_block *blk = NULL;
    char why[LEDGER_WHY_MAX] = "";
    HANSA_ASSERT(ledger_block_begin(b->s, &info, &blk, why, sizeof why) == HANSA_OK);
    for (uint32_t i = 0; i < n; i++) {
        wire_tx tx;
        HANSA_ASSERT(wire_tx_decode(txs->data + off[i], off[i + 1] - off[i], &tx, NULL) == HANSA_OK);
        hansa_err err = ledger_block_add_tx(blk, &tx, false, why, sizeof why);
        if (err != HANSA_OK) fprintf(stderr, "bench-credit: tx %u refused: %s\n", i, why);
        HANSA_ASSERT(err == HANSA_OK);
    }
    ledger_block_finish(blk);
    ledger_block_commit(b->s, blk);
}

static void add_tx(bench *b, int who, uint16_t kind, const hbuf *body, hbuf *all, size_t *off) {
    wire_tx tx = {.chain_id = CHAIN, .sender = b->kp[who].pub, .nonce = b->nonce[who]++, .fee = 1,
                  .kind = kind, .body = body->data, .body_len = (uint32_t)body->len};
    hbuf sb = HBUF_INIT;
    wire_tx_sign_bytes(&sb, &tx);
    sign_domain(&b->kp[who], SIGN_DOMAIN_TX, sb.data, sb.len, &tx.sig);
    hbuf_free(&sb);
    *off = all->len;
    wire_tx_encode(all, &tx);
}

static void setup(bench *b) {
    ledger_genesis_account accts[2];
    for (int i = 0; i < 2; i++) {
        uint8_t seed[HANSA_SEED_BYTES] = {(uint8_t)(i + 1), 0x63, 0x72};
        keypair_from_seed(&b->kp[i], seed);
        addr_from_pubkey(&b->kp[i].pub, &accts[i].addr);
        accts[i].balance = 1ull << 40;
    }
    uint8_t dseed[HANSA_SEED_BYTES] = {0xd0};
    keypair_from_seed(&b->del, dseed);
    wire_validator del = {b->del.pub, 10};
    ledger_genesis g = {{.chain_id = CHAIN, .genesis_time_ms = 1000, .fee_burn_bps = 5000,
                         .min_fee = 1, .max_block_txs = WIRE_BLOCK_TXS_MAX,
                         .elect = ledger_elect_params_default()},
                        accts, 2, &del, 1};
    static const uint8_t hash_key[ACCT_MAP_KEY_BYTES] = {0x63};
    char why[LEDGER_WHY_MAX] = "";
    HANSA_ASSERT(ledger_genesis_state(&g, hash_key, &b->s, NULL, why, sizeof why) == HANSA_OK);
    memset(b->tally.b, 0x7c, CREDIT_ID_BYTES);
    credit_contract c = {b->tally, {CHAIN, b->kp[0].pub}, {CHAIN, b->kp[1].pub},
                         {CREDIT_AMOUNT_MAX, 30}, {CREDIT_AMOUNT_MAX, 30}, 1};
    hbuf body = HBUF_INIT, all = HBUF_INIT;
    size_t off[3];
    hansa_sig sig;
    credit_contract_sign(&c, &b->kp[0], &sig);
    credit_contract_encode(&body, &c);
    hbuf_append(&body, sig.b, HANSA_SIG_BYTES);
    add_tx(b, 0, TX_TALLY_OFFER, &body, &all, &off[0]);
    hbuf_reset(&body);
    credit_contract_sign(&c, &b->kp[1], &sig);
    hbuf_append(&body, c.tally_id.b, CREDIT_ID_BYTES);
    hbuf_put_u32(&body, 1);
    hbuf_append(&body, sig.b, HANSA_SIG_BYTES);
    add_tx(b, 1, TX_TALLY_ACCEPT, &body, &all, &off[1]);
    off[2] = all.len;
    apply(b, &all, off, 2);
    hbuf_free(&body);
    hbuf_free(&all);
}

int cmd_bench_credit(int argc, char **argv) {
    uint64_t n = 20000, per_block = 1000;
    bool across = false;
    for (int i = 1; i < argc; i++) {
        bool has = i + 1 < argc;
        if (strcmp(argv[i], "--across") == 0) across = true;
        else if (strcmp(argv[i], "--chits") == 0 && has && cli_parse_u64(argv[i + 1], &n) && n > 0 && n <= 1000000) i++;
        else if (strcmp(argv[i], "--block") == 0 && has && cli_parse_u64(argv[i + 1], &per_block) &&
                 per_block > 0 && per_block <= WIRE_BLOCK_TXS_MAX) i++;
        else {
            fprintf(stderr, "usage: hansa bench-credit [--across] [--chits 1..1000000] [--block 1..10000]\n");
            return CLI_USAGE;
        }
    }
    if (across) return bench_credit_across(n, per_block < 64 ? per_block : 64);
    crypto_init();
    bench b;
    memset(&b, 0, sizeof b);
    setup(&b);
    hbuf all = HBUF_INIT;
    size_t *off = malloc((n + 1) * sizeof *off);
    for (uint64_t i = 0; i < n; i++) { /* alternate sides so the balance stays small */
        int who = (int)(i % 2);
        credit_chit c;
        memset(&c, 0, sizeof c);
        c.tally_id = b.tally;
        memcpy(c.chit_id.b, &i, sizeof i);
        c.chit_id.b[15] = 1;
        c.by = who == 0 ? CREDIT_STOCK : CREDIT_FOIL;
        c.kind = CREDIT_CHIT_DIRECT;
        c.amount = 1000 + i % 7;
        credit_chit_sign(&c, &b.kp[who]);
        hbuf body = HBUF_INIT;
        credit_chit_encode(&body, &c);
        add_tx(&b, who, TX_CHIT, &body, &all, &off[i]);
        hbuf_free(&body);
    }
    off[n] = all.len;
    uint64_t t0 = clock_system_mono_us();
    for (uint64_t i = 0; i < n; i += per_block) {
        uint64_t k = n - i < per_block ? n - i : per_block;
        apply(&b, &all, off + i, (uint32_t)k);
    }
    double apply_s = (double)(clock_system_mono_us() - t0) / 1e6;
    t0 = clock_system_mono_us();
    char why[LEDGER_WHY_MAX] = "";
    hansa_err err = ledger_credit_check(b.s, why, sizeof why);
    double check_s = (double)(clock_system_mono_us() - t0) / 1e6;
    printf("bench-credit: %llu chits on one tally in blocks of %llu\n", (unsigned long long)n,
           (unsigned long long)per_block);
    printf("  applied        %.2f s  = %.0f chits/s (one core; each chit's and tx's Ed25519 "
           "signature verified)\n", apply_s, (double)n / apply_s);
    printf("  credit check   %.2f s  (%s)\n", check_s, err == HANSA_OK ? "ok" : why);
    free(off);
    hbuf_free(&all);
    ledger_state_free(b.s);
    return err == HANSA_OK ? CLI_OK : CLI_FAILED;
}
