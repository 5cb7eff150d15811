/* bench_block.h — the cost of one full block, in process, no network.
 *
 * What a proposer and a validator each spend on a block of n signed
 * transfers (seed 000's 10,000), split the way the work splits in the node:
 *   build     sign and encode n transfers (the clients' part, done here so
 *             the block is real), execute them on a ledger overlay to get the
 *             app hash (signatures counted as verified, as in the proposer's
 *             mempool), encode the block
 *   hash      wire_block_seal (RFC 6962 Merkle root over the n encodings)
 *             and the header hash (the block id)
 *   validate  decode, check the body against the header (Merkle root again)
 *             and the header hash, then ledger_apply_block, and compare the
 *             app hash; twice: "held", by a node whose mempool holds every
 *             transaction (each hashed and looked up, no signature verified
 *             again), and "cold", every signature verified on all cores
 * The state holds 100 funded senders; transfer i goes from sender i % 100
 * (nonce i / 100) to the next sender. */
#ifndef HANSA_CMD_BENCH_BLOCK_H
#define HANSA_CMD_BENCH_BLOCK_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint32_t n_txs;
    size_t block_bytes;
    double sign_encode_txs_ms; /* build, part 1 */
    double execute_ms;         /* build, part 2 */
    double encode_block_ms;    /* build, part 3 */
    double hash_ms;            /* seal + header hash */
    double decode_check_ms;    /* validate, part 1: decode, body check, header hash */
    double verify_apply_ms;    /* validate cold, part 2: n signature checks + ledger */
    double held_validate_ms;   /* validate held: decode, checks, lookups, ledger */
} bench_block_result;

/* Builds, hashes and validates one block of n_txs (1..WIRE_BLOCK_TXS_MAX)
 * transfers. Every step must succeed on data it made itself: a failure is a
 * bug and asserts. */
void bench_block_run(uint32_t n_txs, bench_block_result *out);

#endif
