/* sigbatch.h — verifying many Ed25519 signatures at once, in parallel.
 *
 * A commit certificate carries up to WIRE_VALIDATORS_MAX signatures, and a
 * light client update or a synced block needs all of them checked. libsodium
 * has no batch verification (a random linear combination only pays with a
 * multi-scalar multiplication, which it does not expose), so the speed-up
 * available is the machine's other cores: the items are shared out to a
 * small pool of worker threads, the caller working too.
 *
 * Determinism: every item gets exactly the verdict verify_domain() gives it,
 * whatever the number of threads or their timing, so a result computed here
 * is safe inside the state transition (every delegate reaches the same one).
 * Nothing here reads a clock or draws randomness.
 *
 * The pool starts lazily at the first batch big enough to share (workers =
 * online cores - 1, at most SIG_BATCH_WORKERS_MAX) and lives for the
 * process. One batch runs on the pool at a time; a caller that finds it busy
 * (another thread's batch) verifies its own items alone. */
#ifndef HANSA_CRYPTO_SIGBATCH_H
#define HANSA_CRYPTO_SIGBATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/bytes.h"

#define SIG_BATCH_WORKERS_MAX 7
/* Below this many items the pool's wake-up costs more than it saves. */
#define SIG_BATCH_PARALLEL_MIN 4

/* One signature to check: sig by pk over domain || 0x00 || msg (sign.h). */
typedef struct {
    const hansa_pubkey *pk;
    const char *domain;
    const uint8_t *msg;
    size_t len;
    const hansa_sig *sig;
} sig_item;

/* Verifies items[0..n): ok[i] is item i's verdict. Returns how many failed.
 * items and ok are the caller's and only used during the call. */
size_t sig_batch_verify(const sig_item *items, size_t n, bool *ok);

/* Threads a batch may use, the caller included: 1 = no workers. The default
 * is the machine's online cores (capped). For the bench, which measures
 * both; call it while no batch runs. Values are clamped to 1..WORKERS_MAX+1. */
void sig_batch_set_threads(unsigned threads);
unsigned sig_batch_threads(void);

#endif
