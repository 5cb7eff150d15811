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

/* True, with the answer in *out, when key[0..len) equals the kept input. */
bool hash_memo_get(const hash_memo *m, const uint8_t *key, size_t len, hansa_hash *out);

/* Keeps a copy of key[0..len) with its answer, in place of the last. */
void hash_memo_put(hash_memo *m, const uint8_t *key, size_t len, const hansa_hash *value);

/* For inputs that are not one run of bytes (a block's txs, a write set):
 * the empty buffer to lay the input out in, owned by m and valid until the
 * next call on m; then hash_memo_get_next asks for it and, on a miss,
 * hash_memo_keep_next keeps it (no copy) with its answer. */
hbuf *hash_memo_next(hash_memo *m);
bool hash_memo_get_next(const hash_memo *m, hansa_hash *out);
void hash_memo_keep_next(hash_memo *m, const hansa_hash *value);

#endif
