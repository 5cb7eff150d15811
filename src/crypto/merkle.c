/* merkle.c — RFC 6962 Merkle tree hash, audit paths and their verification.
 *
 * Root and proof follow the recursive definitions of RFC 6962 section 2.1
 * (MTH and PATH). Verification is the iterative algorithm of RFC 9162
 * section 2.1.3.2, which checks the path length against the tree shape and so
 * rejects a proof for index i presented as index j. */
#include "crypto/merkle.h"

#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/mem.h"
#include "crypto/sha256.h"

/* A leaf up to this size is hashed from one stack copy behind its prefix:
 * one SHA-256 call instead of two updates (transactions, votes, records). */
#define LEAF_COPY_BYTES 1024

void merkle_leaf_hash(const void *data, size_t len, hansa_hash *out) {
    if (len < LEAF_COPY_BYTES) {
        uint8_t buf[LEAF_COPY_BYTES];
        buf[0] = 0x00;
        if (len) memcpy(buf + 1, data, len);
        sha256(buf, len + 1, out);
        return;
    }
    sha256_ctx c;
    uint8_t prefix = 0x00;
    sha256_init(&c);
    sha256_update(&c, &prefix, 1);
    sha256_update(&c, data, len);
    sha256_final(&c, out);
}

void merkle_node_hash(const hansa_hash *left, const hansa_hash *right, hansa_hash *out) {
    uint8_t buf[1 + 2 * HANSA_HASH_BYTES];
    buf[0] = 0x01;
    memcpy(buf + 1, left->b, HANSA_HASH_BYTES);
    memcpy(buf + 1 + HANSA_HASH_BYTES, right->b, HANSA_HASH_BYTES);
    sha256(buf, sizeof buf, out);
}

/* The largest power of two strictly less than n (n >= 2). */
static size_t split_point(size_t n) {
    HANSA_ASSERT(n >= 2);
    size_t k = 1;
    while (k * 2 < n) k *= 2;
    return k;
}

static void mth(const hansa_hash *leaves, size_t n, hansa_hash *out) {
    if (n == 1) {
        *out = leaves[0];
        return;
    }
    size_t k = split_point(n);
    hansa_hash l, r;
    mth(leaves, k, &l);
    mth(leaves + k, n - k, &r);
    merkle_node_hash(&l, &r, out);
}

void merkle_root(const hansa_hash *leaves, size_t n, hansa_hash *root) {
    /* SHA-256 of nothing (RFC 6962: MTH({}) = SHA-256()): the evidence root
     * of almost every block, so not hashed each time. test_merkle checks it. */
    static const hansa_hash empty = {{0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4,
                                      0xc8, 0x99, 0x6f, 0xb9, 0x24, 0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b,
                                      0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55}};
    if (n == 0) {
        *root = empty;
        return;
    }
    mth(leaves, n, root);
}

void merkle_stream_init(merkle_stream *m) { memset(m, 0, sizeof *m); }

void merkle_stream_add(merkle_stream *m, const hansa_hash *leaf_hash) {
    merkle_stream_add_subtree(m, leaf_hash, 0);
}

void merkle_stream_add_subtree(merkle_stream *m, const hansa_hash *root, uint8_t height) {
    HANSA_ASSERT(m->n_sub < 64);
    HANSA_ASSERT(height < 64);
    /* aligned: every subtree so far is at least as tall */
    HANSA_ASSERT(m->n_sub == 0 || m->height[m->n_sub - 1] >= height);
    m->sub[m->n_sub] = *root;
    m->height[m->n_sub++] = height;
    m->n_leaves += (uint64_t)1 << height;
    /* Two perfect trees of one size make one of the next: binary carry. */
    while (m->n_sub >= 2 && m->height[m->n_sub - 2] == m->height[m->n_sub - 1]) {
        hansa_hash joined;
        merkle_node_hash(&m->sub[m->n_sub - 2], &m->sub[m->n_sub - 1], &joined);
        m->n_sub--;
        m->sub[m->n_sub - 1] = joined;
        m->height[m->n_sub - 1]++;
    }
}

void merkle_stream_root(const merkle_stream *m, hansa_hash *root) {
    if (m->n_sub == 0) {
        sha256("", 0, root);
        return;
    }
    hansa_hash acc = m->sub[m->n_sub - 1];
    for (int i = m->n_sub - 2; i >= 0; i--) merkle_node_hash(&m->sub[i], &acc, &acc);
    *root = acc;
}

/* RFC 6962 PATH(m, D[n]): appended leaf-side first. */
static size_t path(const hansa_hash *leaves, size_t n, size_t m, hansa_hash *out, size_t depth) {
    if (n == 1) return depth;
    HANSA_ASSERT(depth < MERKLE_PROOF_MAX);
    size_t k = split_point(n);
    size_t len;
    if (m < k) {
        len = path(leaves, k, m, out, depth);
        mth(leaves + k, n - k, &out[len]);
    } else {
        len = path(leaves + k, n - k, m - k, out, depth);
        mth(leaves, k, &out[len]);
    }
    return len + 1;
}

size_t merkle_proof(const hansa_hash *leaves, size_t n, size_t index, hansa_hash *out) {
    HANSA_ASSERT(index < n);
    return path(leaves, n, index, out, 0);
}

/* Node of leaves [s, s + n) into t (pre-order), its index returned. */
static uint32_t tree_node(merkle_tree *t, const hansa_hash *leaves, size_t s, size_t n) {
    uint32_t i = (uint32_t)t->n_nodes++;
    if (n == 1) {
        t->node[i] = leaves[s];
        return i;
    }
    size_t k = split_point(n);
    t->left[i] = tree_node(t, leaves, s, k);
    t->right[i] = tree_node(t, leaves, s + k, n - k);
    merkle_node_hash(&t->node[t->left[i]], &t->node[t->right[i]], &t->node[i]);
    return i;
}

void merkle_tree_build(merkle_tree *t, const hansa_hash *leaves, size_t n) {
    HANSA_ASSERT(n >= 1 && n < UINT32_MAX / 2);
    t->n_leaves = n;
    t->n_nodes = 0;
    t->node = hansa_malloc((2 * n - 1) * sizeof *t->node);
    t->left = hansa_calloc(2 * n - 1, sizeof *t->left);
    t->right = hansa_calloc(2 * n - 1, sizeof *t->right);
    tree_node(t, leaves, 0, n);
}

size_t merkle_tree_proof(const merkle_tree *t, size_t index, hansa_hash *out) {
    HANSA_ASSERT(index < t->n_leaves);
    hansa_hash sib[MERKLE_PROOF_MAX];
    size_t depth = 0, n = t->n_leaves, m = index;
    uint32_t i = 0;
    while (n > 1) { /* root down; PATH lists the leaf side first */
        HANSA_ASSERT(depth < MERKLE_PROOF_MAX);
        size_t k = split_point(n);
        if (m < k) {
            sib[depth++] = t->node[t->right[i]];
            i = t->left[i];
            n = k;
        } else {
            sib[depth++] = t->node[t->left[i]];
            i = t->right[i];
            m -= k;
            n -= k;
        }
    }
    for (size_t d = 0; d < depth; d++) out[d] = sib[depth - 1 - d];
    return depth;
}

void merkle_tree_free(merkle_tree *t) {
    free(t->node);
    free(t->left);
    free(t->right);
    memset(t, 0, sizeof *t);
}

bool merkle_verify(const hansa_hash *leaf_hash, uint64_t index, uint64_t n, const hansa_hash *proof,
                   size_t proof_len, const hansa_hash *root) {
    if (index >= n) return false;
    uint64_t fn = index, sn = n - 1;
    hansa_hash r = *leaf_hash;
    for (size_t i = 0; i < proof_len; i++) {
        if (sn == 0) return false; /* path longer than the tree is deep */
        if ((fn & 1) || fn == sn) {
            merkle_node_hash(&proof[i], &r, &r);
            if (!(fn & 1)) {
                while (fn != 0 && !(fn & 1)) {
                    fn >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            merkle_node_hash(&r, &proof[i], &r);
        }
        fn >>= 1;
        sn >>= 1;
    }
    return sn == 0 && hash_eq(&r, root);
}
