/* load_nonces.h — which transaction of a load's result (load.h) is a
 * sender's at each nonce, and what a commit of a run of its nonces marks.
 * load.c keeps one per sender and calls these under its lock.
 *
 * Apart from load.c so that its gaps can be tested (tests/cli/
 * test_load_nonces.c): a commit of nonces the load never sent (another
 * client's, or a previous load's still in the pools when this one read the
 * nonces) moves the sender's next nonce past them, so the nonces the load
 * sends have holes. A commit over a hole must skip it, and a resync that
 * hands one back (a node that lags) must fill it. */
#ifndef HANSA_CMD_LOAD_NONCES_H
#define HANSA_CMD_LOAD_NONCES_H

#include <stddef.h>
#include <stdint.h>

#include "cmd/lib/load.h"

/* tx_of's entry for a nonce this load never sent. */
#define LOAD_NONCE_NONE SIZE_MAX
/* The largest gap past the last nonce sent that the table keeps as holes,
 * a slot each; a commit further ahead starts the table again there (every
 * nonce sent is below it, so committed): a node's reading of 2^40 would
 * otherwise cost 8 TiB of holes. */
#define LOAD_NONCE_GAP_MAX (1u << 16)
/* No chain reaches a nonce past this: a reading above is not believed
 * (and base + n cannot wrap). */
#define LOAD_NONCE_MAX (UINT64_MAX / 2)

typedef struct {
    uint64_t base; /* committed nonce at start: txs below it are not ours */
    size_t *tx_of; /* index in result->txs of nonce base + i, or LOAD_NONCE_NONE */
    size_t n, cap;
} load_nonces;

/* The record of nonce in r, or NULL if the load has none (below base, not
 * yet sent, or a hole). */
load_tx *load_nonces_at(const load_nonces *m, load_result *r, uint64_t nonce);
/* The record of (account, nonce) in r (nonce >= m->base), created with its
 * hash on first use; the nonces skipped on the way become holes. */
load_tx *load_nonces_record(load_nonces *m, load_result *r, uint32_t account, uint64_t nonce,
                            const hansa_hash *hash);
/* The sender's committed nonce moved from `from` to `to` (<= LOAD_NONCE_MAX):
 * each of its transactions in [from, to) is committed at now (accepted too,
 * if no node said so in time), counted in r; holes and nonces not ours are
 * passed by. A `to` more than LOAD_NONCE_GAP_MAX past the last nonce sent
 * starts the table again at `to`. */
void load_nonces_committed(load_nonces *m, load_result *r, uint64_t from, uint64_t to, uint64_t now);
/* The first nonce past the last one sent (base if none). */
uint64_t load_nonces_end(const load_nonces *m);
void load_nonces_free(load_nonces *m);

#endif
