/* memo.h — an exact memo of one 32-byte answer (a hash, a root) keyed by
 * the whole of its input.
 *
 * The simulator runs every node of a chain in one process, and each node
 * judges the same block: the tx root, the header hash, the last commit's
 * hash and the writes hash are asked of the same bytes once per node. A
 * hash_memo keeps the last input in full beside its answer and answers
 * only an input equal to it byte for byte, so it can never let a node take
 * what it would refuse. Each memo is a thread-local of the module whose
 * function it remembers, off unless the simulator switches it on for a
 * run's length (hansad, which judges a block once, never does); a caller
 * whose debug build finds a hit recomputes the answer and asserts it. */
#ifndef HANSA_BASE_MEMO_H
#define HANSA_BASE_MEMO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/bytes.h"

typedef struct {
    hbuf key;  /* the last input, in full */
    hbuf next; /* the input being laid out (hash_memo_next), swapped into key */
    hansa_hash value;
    bool on, set;
} hash_memo;

/* Frees what m kept and leaves it empty, answering nothing until a put;
 * on says whether its owner consults it at all. */
void hash_memo_switch(hash_memo *m, bool on);

/* The answer by its definition, for the input ctx names: what a memo
 * remembers, and what each hit must equal. */
typedef void (*hash_memo_compute)(const void *ctx, hansa_hash *out);

/* Every memo's one lookup: writes to *out the answer for the caller's
 * input, from m when m is on and keeps an input equal to it in full, else
 * compute(ctx), then kept (when on) in place of the last. Debug builds
 * compute a hit too and assert it is the same, so a weakened compare
 * fails the tests. The input is given as
 *   hash_memo_answer:      key[0..len) (copied on a miss);
 *   hash_memo_answer_next: laid out in hash_memo_next(m) (kept, no copy);
 *   hash_memo_answer_held: compared where it lies by the caller (held:
 *                          equal to hash_memo_key(m)), laid out by
 *                          lay_out(hash_memo_next(m), ctx) on a miss only. */
void hash_memo_answer(hash_memo *m, const uint8_t *key, size_t len, hash_memo_compute compute,
                      const void *ctx, hansa_hash *out);
void hash_memo_answer_next(hash_memo *m, hash_memo_compute compute, const void *ctx,
                           hansa_hash *out);
void hash_memo_answer_held(hash_memo *m, bool held, void (*lay_out)(hbuf *, const void *),
                           hash_memo_compute compute, const void *ctx, hansa_hash *out);

/* The kept input (empty before the first keep), for a caller's compare. */
const hbuf *hash_memo_key(const hash_memo *m);

/* For inputs that are not one run of bytes (a block's txs, a write set):
 * the empty buffer to lay the input out in, owned by m and valid until the
 * next call on m, for hash_memo_answer_next. */
hbuf *hash_memo_next(hash_memo *m);

#endif
