/* ledger_helpers.h — shared fixtures of the ledger tests: deterministic keys,
 * a genesis builder and signed, encoded transfers. */
#ifndef HANSA_TESTS_LEDGER_HELPERS_H
#define HANSA_TESTS_LEDGER_HELPERS_H

#include <stdio.h>
#include <string.h>

#include "base/assert.h"

#include "base/buf.h"
#include "crypto/address.h"
#include "crypto/sign.h"
#include "ledger/block.h"
#include "ledger/state.h"
#include "ledger/tx.h"
#include "wire/codec.h"

#define T_CHAIN 0xe2e4u
#define T_KEYS 64

static const uint8_t t_hash_key_a[ACCT_MAP_KEY_BYTES] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
static const uint8_t t_hash_key_b[ACCT_MAP_KEY_BYTES] = {0xaa, 0xbb, 0xcc};

static hansa_keypair t_keys[T_KEYS];
static hansa_addr t_addrs[T_KEYS];

/* Key i comes from the seed (i+1, 0, 0, ...). */
static inline void t_init_keys(void) {
    crypto_init();
    for (int i = 0; i < T_KEYS; i++) {
        uint8_t seed[HANSA_SEED_BYTES] = {(uint8_t)(i + 1)};
        keypair_from_seed(&t_keys[i], seed);
        addr_from_pubkey(&t_keys[i].pub, &t_addrs[i]);
    }
}

static inline ledger_params t_params(void) {
    return (ledger_params){.chain_id = T_CHAIN,
                           .genesis_time_ms = 1000,
                           .fee_burn_bps = 2500,
                           .min_fee = 10,
                           .max_block_txs = 100,
                           .elect = ledger_elect_params_default()};
}

/* A state whose accounts 0..n-1 hold balances[i], delegates keys 60..63. */
static inline ledger_state *t_state(const ledger_params *p, const uint64_t *balances, size_t n,
                                    const uint8_t *hash_key) {
    ledger_genesis_account accts[T_KEYS];
    wire_validator dels[4];
    for (size_t i = 0; i < n; i++) accts[i] = (ledger_genesis_account){t_addrs[i], balances[i]};
    for (size_t i = 0; i < 4; i++) dels[i] = (wire_validator){t_keys[60 + i].pub, 10};
    ledger_genesis g = {*p, accts, n, dels, 4};
    ledger_state *s = NULL;
    char why[LEDGER_WHY_MAX] = "";
    hansa_err err = ledger_genesis_state(&g, hash_key, &s, NULL, why, sizeof why);
    if (err != HANSA_OK) fprintf(stderr, "genesis: %s\n", why);
    HANSA_ASSERT(err == HANSA_OK);
    return s;
}

/* A signed transaction; body bytes live in body (at least 28 bytes). */
static inline wire_tx t_tx_raw(int from, uint32_t chain, uint64_t nonce, uint64_t fee,
                               uint16_t kind, const uint8_t *body, uint32_t body_len) {
    wire_tx tx = {.chain_id = chain,
                  .sender = t_keys[from].pub,
                  .nonce = nonce,
                  .fee = fee,
                  .kind = kind,
                  .body = body,
                  .body_len = body_len};
    hbuf sb = HBUF_INIT;
    wire_tx_sign_bytes(&sb, &tx);
    sign_domain(&t_keys[from], SIGN_DOMAIN_TX, sb.data, sb.len, &tx.sig);
    hbuf_free(&sb);
    return tx;
}

static inline void t_transfer_body(uint8_t body[LEDGER_TRANSFER_BODY_BYTES], const hansa_addr *to,
                                   uint64_t amount) {
    memcpy(body, to->b, HANSA_ADDR_BYTES);
    le64_store(body + HANSA_ADDR_BYTES, amount);
}

/* A signed transfer from key `from` to address `to`; body stored in body. */
static inline wire_tx t_transfer(int from, const hansa_addr *to, uint64_t amount, uint64_t nonce,
                                 uint64_t fee, uint8_t body[LEDGER_TRANSFER_BODY_BYTES]) {
    t_transfer_body(body, to, amount);
    return t_tx_raw(from, T_CHAIN, nonce, fee, TX_TRANSFER, body, LEDGER_TRANSFER_BODY_BYTES);
}

static inline uint64_t t_balance(const ledger_state *s, int i) {
    ledger_account a;
    ledger_account_get(s, &t_addrs[i], &a);
    return a.balance;
}

static inline uint64_t t_nonce(const ledger_state *s, int i) {
    ledger_account a;
    ledger_account_get(s, &t_addrs[i], &a);
    return a.nonce;
}

static inline ledger_block_info t_info(const ledger_state *s, int proposer) {
    return (ledger_block_info){.height = ledger_height(s) + 1,
                               .time_ms = ledger_last_block_time_ms(s) + 1000,
                               .proposer = t_keys[proposer].pub};
}

static inline int t_supply_ok(const ledger_state *s) {
    char why[LEDGER_WHY_MAX] = "";
    hansa_err err = ledger_supply_check(s, why, sizeof why);
    if (err != HANSA_OK) fprintf(stderr, "  supply check: %s\n", why);
    return err == HANSA_OK;
}

#endif
