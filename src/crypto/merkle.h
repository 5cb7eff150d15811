/* merkle.h — RFC 6962 Merkle trees over SHA-256 (DESIGN.md section 4, fixed).
 *
 *   leaf hash  = SHA-256(0x00 || data)
 *   node hash  = SHA-256(0x01 || left || right)
 *   MTH of n > 1 leaves splits at k, the largest power of two below n.
 *   MTH of zero leaves is SHA-256("").
 *
 * Proofs are RFC 6962 audit paths (section 2.1.1), ordered from the leaf up,
 * and verify on their own: a light client needs only the leaf data, index,
 * tree size, path and root. */
#ifndef HANSA_CRYPTO_MERKLE_H
#define HANSA_CRYPTO_MERKLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/bytes.h"

/* An audit path for up to 2^64 leaves never exceeds 64 hashes. */
#define MERKLE_PROOF_MAX 64

void merkle_leaf_hash(const void *data, size_t len, hansa_hash *out);
void merkle_node_hash(const hansa_hash *left, const hansa_hash *right, hansa_hash *out);

/* Root over n leaf hashes (already leaf-hashed). n may be 0. */
void merkle_root(const hansa_hash *leaves, size_t n, hansa_hash *root);

/* The same root computed leaf by leaf in O(log n) memory, for a root over
 * more leaves than one wants to hold (a node's whole state, a snapshot
 * streamed in chunks). It keeps the perfect subtrees built so far, largest
 * first; folding them from the right at the end is exactly RFC 6962's split
 * at the largest power of two. */
typedef struct {
    hansa_hash sub[64];   /* sub[i] is a perfect tree of 2^height[i] leaves */
    uint8_t height[64];
    int n_sub;
    uint64_t n_leaves;
} merkle_stream;

void merkle_stream_init(merkle_stream *m);
void merkle_stream_add(merkle_stream *m, const hansa_hash *leaf_hash);
/* Adds a whole perfect subtree of 2^height leaves given its root, as if its
 * leaves were added one by one; the leaves added so far must be a multiple
 * of 2^height (asserted), which holds when every earlier call added at least
 * as many. For a caller that remembers subtrees it hashed before. */
void merkle_stream_add_subtree(merkle_stream *m, const hansa_hash *root, uint8_t height);
/* The root over every leaf added so far (SHA-256("") for none); m may go on. */
void merkle_stream_root(const merkle_stream *m, hansa_hash *root);

/* Writes the audit path for leaf `index` of n into path (room for
 * MERKLE_PROOF_MAX) and returns its length. index < n. */
size_t merkle_proof(const hansa_hash *leaves, size_t n, size_t index, hansa_hash *path);

/* A whole tree kept for many proofs (a relayer proving every packet of a
 * block): O(n) hashes to build, then no hashing per proof, where
 * merkle_proof hashes O(n) per call. Node i's children are left[i] and
 * right[i]; the root is node 0. */
typedef struct {
    hansa_hash *node;
    uint32_t *left, *right;
    size_t n_leaves, n_nodes;
} merkle_tree;

/* n >= 1 leaf hashes (already leaf-hashed); free with merkle_tree_free. */
void merkle_tree_build(merkle_tree *t, const hansa_hash *leaves, size_t n);
/* The same path merkle_proof gives for leaf index (< n_leaves). */
size_t merkle_tree_proof(const merkle_tree *t, size_t index, hansa_hash *path);
void merkle_tree_free(merkle_tree *t);

/* True if leaf_hash at index in a tree of n leaves, with this path, yields root.
 * False for index >= n, a path of the wrong length, or any mismatch. */
bool merkle_verify(const hansa_hash *leaf_hash, uint64_t index, uint64_t n, const hansa_hash *path,
                   size_t path_len, const hansa_hash *root);

#endif
