/* bench_block.c — see bench_block.h. */
#include "cmd/lib/bench_block.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/hmap.h"
#include "base/mem.h"
#include "crypto/address.h"
#include "crypto/sha256.h"
#include "crypto/sign.h"
#include "ledger/block.h"
#include "ledger/state.h"
#include "ledger/tx.h"
#include "wire/codec.h"

#define SENDERS 100
#define CHAIN 0xe2e4u
#define BALANCE 1000000000000ull

typedef struct {
    hansa_keypair keys[SENDERS];
    hansa_addr addrs[SENDERS];
    hansa_keypair proposer;
    ledger_state *state;
} fixture;

static double ms_since(uint64_t start_us) {
    return (double)(clock_system_mono_us() - start_us) / 1000.0;
}

/* Fixed seeds: the figures need no randomness and runs stay comparable. */
static void fixture_init(fixture *f, uint32_t n_txs) {
    ledger_genesis_account accts[SENDERS];
    for (int i = 0; i < SENDERS; i++) {
        uint8_t seed[HANSA_SEED_BYTES] = {(uint8_t)(i + 1), 0x62, 0x65, 0x6e, 0x63, 0x68};
        keypair_from_seed(&f->keys[i], seed);
        addr_from_pubkey(&f->keys[i].pub, &f->addrs[i]);
        accts[i] = (ledger_genesis_account){f->addrs[i], BALANCE};
    }
    uint8_t pseed[HANSA_SEED_BYTES] = {0xff, 0x62};
    keypair_from_seed(&f->proposer, pseed);
    wire_validator del = {f->proposer.pub, 10};
    ledger_genesis g = {{.chain_id = CHAIN, .genesis_time_ms = 1000, .fee_burn_bps = 5000,
                         .min_fee = 1, .max_block_txs = n_txs,
                         .elect = ledger_elect_params_default()},
                        accts, SENDERS, &del, 1};
    static const uint8_t hash_key[ACCT_MAP_KEY_BYTES] = {0x68, 0x61, 0x6e, 0x73, 0x61};
    char why[LEDGER_WHY_MAX] = "";
    hansa_err err = ledger_genesis_state(&g, hash_key, &f->state, NULL, why, sizeof why);
    if (err != HANSA_OK) fprintf(stderr, "bench genesis: %s\n", why);
    HANSA_ASSERT(err == HANSA_OK);
}

static void fixture_free(fixture *f) {
    for (int i = 0; i < SENDERS; i++) keypair_wipe(&f->keys[i]);
    keypair_wipe(&f->proposer);
    ledger_state_free(f->state);
}

/* Signs and encodes n transfers into all; off[i] is where tx i starts. */
static void sign_encode(const fixture *f, uint32_t n, hbuf *all, size_t *off) {
    hbuf sb = HBUF_INIT;
    for (uint32_t i = 0; i < n; i++) {
        int from = (int)(i % SENDERS);
        uint8_t body[LEDGER_TRANSFER_BODY_BYTES];
        memcpy(body, f->addrs[(from + 1) % SENDERS].b, HANSA_ADDR_BYTES);
        le64_store(body + HANSA_ADDR_BYTES, 1);
        wire_tx tx = {.chain_id = CHAIN, .sender = f->keys[from].pub, .nonce = i / SENDERS,
                      .fee = 1, .kind = TX_TRANSFER, .body = body,
                      .body_len = LEDGER_TRANSFER_BODY_BYTES};
        hbuf_reset(&sb);
        wire_tx_sign_bytes(&sb, &tx);
        sign_domain(&f->keys[from], SIGN_DOMAIN_TX, sb.data, sb.len, &tx.sig);
        off[i] = all->len;
        wire_tx_encode(all, &tx);
    }
    off[n] = all->len;
    hbuf_free(&sb);
}

/* The proposer's execution: every tx applies, app hash of the result. */
static void execute(const fixture *f, const ledger_block_info *info, const wire_bytes *txs,
                    uint32_t n, hansa_hash *app_hash) {
    ledger_block *pb = NULL;
    char why[LEDGER_WHY_MAX] = "";
    HANSA_ASSERT(ledger_block_begin(f->state, info, &pb, why, sizeof why) == HANSA_OK);
    for (uint32_t i = 0; i < n; i++) {
        wire_tx tx;
        HANSA_ASSERT(wire_tx_decode(txs[i].bytes, txs[i].len, &tx, NULL) == HANSA_OK);
        hansa_err err = ledger_block_add_tx(pb, &tx, true, why, sizeof why);
        if (err != HANSA_OK) fprintf(stderr, "bench tx %u: %s\n", i, why);
        HANSA_ASSERT(err == HANSA_OK);
    }
    ledger_block_finish(pb);
    *app_hash = *ledger_block_app_hash(pb);
    ledger_block_free(pb);
}

/* Decodes the block and checks its body and id: the first part of both
 * validations below. */
static void decode_check(const hbuf *enc, const hansa_hash *id, wire_block *dec) {
    HANSA_ASSERT(wire_block_decode(enc->data, enc->len, dec, NULL) == HANSA_OK);
    const char *body_why = NULL;
    HANSA_ASSERT(wire_block_check_body(dec, &body_why) == HANSA_OK);
    hansa_hash id2;
    wire_header_hash(&dec->header, &id2);
    HANSA_ASSERT(hash_eq(&id2, id));
}

static void apply_check(const fixture *f, const ledger_block_info *info, const wire_block *dec,
                        const bool *verified) {
    ledger_block *pb = NULL;
    ledger_block_result res;
    hansa_err err = ledger_apply_block(f->state, info, dec->txs, dec->n_txs, verified, &pb, &res);
    if (err != HANSA_OK) fprintf(stderr, "bench validate: tx %u: %s\n", res.failed_index, res.why);
    HANSA_ASSERT(err == HANSA_OK);
    char why[LEDGER_WHY_MAX];
    HANSA_ASSERT(ledger_app_hash_check(info->height, ledger_block_app_hash(pb), &dec->header.app_hash,
                                       why, sizeof why) == HANSA_OK);
    ledger_block_free(pb);
}

/* Validation by a node that holds none of the transactions: every
 * signature verified, on all the cores sigbatch may use. */
static void validate_cold(const fixture *f, const ledger_block_info *info, const hbuf *enc,
                          const hansa_hash *id, bench_block_result *out) {
    uint64_t t = clock_system_mono_us();
    wire_block dec;
    decode_check(enc, id, &dec);
    out->decode_check_ms = ms_since(t);
    t = clock_system_mono_us();
    bool *verified = hansa_calloc(dec.n_txs, sizeof *verified);
    ledger_txs_verify_sigs(dec.txs, dec.n_txs, verified);
    apply_check(f, info, &dec, verified);
    out->verify_apply_ms = ms_since(t);
    free(verified);
    wire_block_free(&dec);
}

/* Validation by a node whose mempool holds every transaction (the usual
 * case: gossip brings transactions before the block): each is hashed and
 * looked up, as node/chain.c does, and no signature is verified again. */
static void validate_held(const fixture *f, const ledger_block_info *info, const hbuf *enc,
                          const hansa_hash *id, const hmap *held, bench_block_result *out) {
    uint64_t t = clock_system_mono_us();
    wire_block dec;
    decode_check(enc, id, &dec);
    bool *verified = hansa_calloc(dec.n_txs, sizeof *verified);
    for (uint32_t i = 0; i < dec.n_txs; i++) {
        hansa_hash th;
        sha256(dec.txs[i].bytes, dec.txs[i].len, &th);
        verified[i] = hmap_get(held, &th, NULL);
    }
    ledger_txs_verify_sigs(dec.txs, dec.n_txs, verified); /* none left */
    apply_check(f, info, &dec, verified);
    out->held_validate_ms = ms_since(t);
    free(verified);
    wire_block_free(&dec);
}

void bench_block_run(uint32_t n_txs, bench_block_result *out) {
    HANSA_ASSERT(n_txs >= 1 && n_txs <= WIRE_BLOCK_TXS_MAX);
    memset(out, 0, sizeof *out);
    out->n_txs = n_txs;
    fixture *f = hansa_calloc(1, sizeof *f);
    fixture_init(f, n_txs);
    ledger_block_info info = {1, 2000, f->proposer.pub};

    uint64_t t = clock_system_mono_us();
    hbuf all = HBUF_INIT;
    size_t *off = hansa_calloc(n_txs + 1, sizeof *off);
    sign_encode(f, n_txs, &all, off);
    wire_block blk = {0};
    blk.txs = hansa_calloc(n_txs, sizeof *blk.txs);
    blk.n_txs = n_txs;
    for (uint32_t i = 0; i < n_txs; i++)
        blk.txs[i] = (wire_bytes){all.data + off[i], (uint32_t)(off[i + 1] - off[i])};
    out->sign_encode_txs_ms = ms_since(t);

    t = clock_system_mono_us();
    execute(f, &info, blk.txs, n_txs, &blk.header.app_hash);
    out->execute_ms = ms_since(t);

    blk.header.chain_id = CHAIN;
    blk.header.height = info.height;
    blk.header.time_ms = info.time_ms;
    blk.header.proposer = f->proposer.pub;
    t = clock_system_mono_us();
    wire_block_seal(&blk);
    hansa_hash id;
    wire_header_hash(&blk.header, &id);
    out->hash_ms = ms_since(t);

    t = clock_system_mono_us();
    hbuf enc = HBUF_INIT;
    wire_block_encode(&enc, &blk);
    out->encode_block_ms = ms_since(t);
    out->block_bytes = enc.len;

    hmap held = HMAP_INIT;
    for (uint32_t i = 0; i < n_txs; i++) {
        hansa_hash th;
        sha256(blk.txs[i].bytes, blk.txs[i].len, &th);
        hmap_put(&held, &th, i);
    }
    validate_held(f, &info, &enc, &id, &held, out);
    hmap_free(&held);
    validate_cold(f, &info, &enc, &id, out);
    wire_block_free(&blk);
    hbuf_free(&enc);
    hbuf_free(&all);
    free(off);
    fixture_free(f);
    free(f);
}
