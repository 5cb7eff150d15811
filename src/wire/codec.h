/* codec.h — canonical binary encoding of every protocol type.
 *
 * The format (little-endian fixed-width integers, u32-length-prefixed byte
 * strings and lists, a version byte first in every top-level object) is
 * written down as tables in docs/wire.md. encode∘decode is the identity, and
 * every decoder rejects, each with its own error:
 *   HANSA_ERR_TRUNCATED     input ends inside the value
 *   HANSA_ERR_TRAILING      bytes left after a complete top-level value
 *   HANSA_ERR_TOO_LONG      a length or count over its bound (types.h)
 *   HANSA_ERR_VERSION       a version byte other than WIRE_VERSION
 *   HANSA_ERR_NONCANONICAL  a second encoding of a value: a bool other than
 *                           0/1, a nil block id with non-zero hash bytes,
 *                           unsorted or duplicate lists, out-of-range enums.
 *   HANSA_ERR_INVALID       a unique but impossible form: a block whose
 *                           tx count disagrees with its header, a
 *                           proposal's pol_round >= round, evidence votes
 *                           that disagree or agree on the block, an empty
 *                           commit or valset, a zero or over-cap power.
 * An error inside a tx embedded in a block keeps the tx's own code, with the
 * offset counted from the start of the block.
 * Decoders check form, not meaning: signatures, quorums and balances are for
 * the layers above. */
#ifndef HANSA_WIRE_CODEC_H
#define HANSA_WIRE_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"
#include "wire/types.h"

/* Encoded sizes of the fixed-size objects (docs/wire.md has the tables). */
#define WIRE_BLOCK_ID_BYTES (1 + HANSA_HASH_BYTES)
#define WIRE_TX_BYTES_MIN (1 + 4 + HANSA_PUBKEY_BYTES + 8 + 8 + 2 + 4 + HANSA_SIG_BYTES)
#define WIRE_TX_BYTES_MAX (WIRE_TX_BYTES_MIN + WIRE_TX_BODY_MAX)
#define WIRE_VOTE_BYTES (1 + 4 + 8 + 4 + 1 + WIRE_BLOCK_ID_BYTES + HANSA_PUBKEY_BYTES + HANSA_SIG_BYTES)
#define WIRE_PROPOSAL_BYTES (1 + 4 + 8 + 4 + 4 + HANSA_HASH_BYTES + HANSA_PUBKEY_BYTES + HANSA_SIG_BYTES)
#define WIRE_COMMIT_SIG_BYTES (2 + HANSA_SIG_BYTES)
#define WIRE_COMMIT_BYTES(n) (1 + 4 + 8 + 4 + HANSA_HASH_BYTES + 4 + (size_t)(n) * WIRE_COMMIT_SIG_BYTES)
#define WIRE_EVIDENCE_BYTES (1 + 2 * WIRE_VOTE_BYTES)
#define WIRE_HEADER_BYTES (1 + 4 + 8 + 8 + 7 * HANSA_HASH_BYTES + HANSA_PUBKEY_BYTES + 4)
#define WIRE_VALIDATOR_BYTES (HANSA_PUBKEY_BYTES + 8)
#define WIRE_VALSET_BYTES(n) (1 + 4 + (size_t)(n) * WIRE_VALIDATOR_BYTES)

/* The cursor decoder. Once it fails it stays failed: every later read is a
 * no-op that yields zeros, so a decoder can read a whole struct and check
 * rd.err once at the end (Core Lightning's fromwire). */
typedef struct {
    const uint8_t *p;
    size_t len;
    size_t off;
    hansa_err err;      /* first error, HANSA_OK while healthy */
    size_t err_off;     /* offset where it happened */
    const char *err_field; /* static name of the field being read */
} wire_rd;

void rd_init(wire_rd *r, const void *p, size_t len);
void rd_fail(wire_rd *r, hansa_err err, const char *field);
uint8_t rd_u8(wire_rd *r, const char *field);
uint16_t rd_u16(wire_rd *r, const char *field);
uint32_t rd_u32(wire_rd *r, const char *field);
uint64_t rd_u64(wire_rd *r, const char *field);
bool rd_bool(wire_rd *r, const char *field);
void rd_fixed(wire_rd *r, void *out, size_t n, const char *field);
/* Returns a pointer into the input (borrowed) to n bytes, or NULL on failure. */
const uint8_t *rd_borrow(wire_rd *r, size_t n, const char *field);
/* Reads a u32 length and checks it against max before anything else. */
uint32_t rd_len(wire_rd *r, uint32_t max, const char *field);
/* Fails with HANSA_ERR_TRAILING unless the whole input was consumed. */
void rd_end(wire_rd *r);

/* The opening and closing of a top-level decoder whose cursor argument is
 * optional (the interchain packets', the credit records', ...). rd_begin
 * zeroes out (size bytes), starts a cursor over p..len and returns it: r,
 * or local when the caller passes none. With version RD_NO_VERSION it reads
 * nothing; else it reads a version byte that must be `version`, failing the
 * cursor with HANSA_ERR_VERSION ("version") if not. rd_close ends the
 * decode: trailing bytes are an error, a failed decode leaves out all
 * zeros, and it returns the cursor's error. */
#define RD_NO_VERSION (-1)
wire_rd *rd_begin(wire_rd *r, wire_rd *local, const void *p, size_t len, void *out, size_t size,
                  int version);
hansa_err rd_close(wire_rd *r, void *out, size_t size);

/* Formats "what at byte N (field)" for logs and error replies. */
void rd_describe(const wire_rd *r, char *out, size_t out_len);

/* --- per type ---------------------------------------------------------------
 * encode appends to b. decode parses exactly one top-level value occupying
 * all of [p, p+len); on success the object may borrow from p (see types.h). On
 * failure the object is left freed/zeroed and *r (if given) says where. */

void wire_tx_encode(hbuf *b, const wire_tx *tx);
hansa_err wire_tx_decode(const uint8_t *p, size_t len, wire_tx *tx, wire_rd *r);
/* Bytes covered by the tx signature (the encoding without the signature). */
void wire_tx_sign_bytes(hbuf *b, const wire_tx *tx);
/* SHA-256 of the full encoding: the tx hash. */
void wire_tx_hash(const wire_tx *tx, hansa_hash *out);
/* SHA-256 of a transaction's bytes as they arrived: wire_tx_hash of their
 * tx when they decode (the decoder accepts only the canonical encoding).
 * With wire_memos on, the last bytes of up to WIRE_TX_HASH_MEMO_SLOTS txs
 * of at most WIRE_TX_HASH_MEMO_BYTES each are kept in full with their hash
 * (base/memo.h): every simulated node admits each tx once. */
#define WIRE_TX_HASH_MEMO_SLOTS 64
#define WIRE_TX_HASH_MEMO_BYTES 1024
void wire_tx_bytes_hash(const uint8_t *bytes, size_t len, hansa_hash *out);

void wire_vote_encode(hbuf *b, const wire_vote *v);
hansa_err wire_vote_decode(const uint8_t *p, size_t len, wire_vote *v, wire_rd *r);
void wire_vote_sign_bytes(hbuf *b, const wire_vote *v);

void wire_proposal_encode(hbuf *b, const wire_proposal *p);
hansa_err wire_proposal_decode(const uint8_t *p, size_t len, wire_proposal *out, wire_rd *r);
void wire_proposal_sign_bytes(hbuf *b, const wire_proposal *p);

void wire_commit_encode(hbuf *b, const wire_commit *c);
hansa_err wire_commit_decode(const uint8_t *p, size_t len, wire_commit *c, wire_rd *r);
void wire_commit_free(wire_commit *c);
void wire_commit_hash(const wire_commit *c, hansa_hash *out);

/* The precommit that signature i of c stands for, given the signer's public
 * key (from the validator set at c->height): its sign bytes are what
 * c->sigs[i].sig signs under SIGN_DOMAIN_VOTE. i < c->n_sigs. */
void wire_commit_vote(const wire_commit *c, size_t i, const hansa_pubkey *validator,
                      wire_vote *out);

void wire_evidence_encode(hbuf *b, const wire_evidence *e);
hansa_err wire_evidence_decode(const uint8_t *p, size_t len, wire_evidence *e, wire_rd *r);
/* Builds the one canonical evidence from two conflicting votes given in any
 * order. Returns HANSA_ERR_INVALID (out zeroed) unless they agree on chain,
 * height, round, type and validator and differ in block id. */
hansa_err wire_evidence_make(const wire_vote *x, const wire_vote *y, wire_evidence *out);
/* SHA-256 of the encoding: identifies one offence (for dedup). */
void wire_evidence_hash(const wire_evidence *e, hansa_hash *out);

void wire_header_encode(hbuf *b, const wire_header *h);
hansa_err wire_header_decode(const uint8_t *p, size_t len, wire_header *h, wire_rd *r);
/* The block id: SHA-256 of the encoded header. */
void wire_header_hash(const wire_header *h, hansa_hash *out);

void wire_block_encode(hbuf *b, const wire_block *blk);
/* Decodes only the header of an encoded block (its first bytes), e.g. to
 * read a proposed block's time without decoding its body. The rest of the
 * block is not looked at. Errors as wire_header_decode, or
 * HANSA_ERR_TRUNCATED / HANSA_ERR_VERSION for the block's own first byte. */
hansa_err wire_block_peek_header(const uint8_t *p, size_t len, wire_header *h);
hansa_err wire_block_decode(const uint8_t *p, size_t len, wire_block *blk, wire_rd *r);
void wire_block_free(wire_block *blk);
/* RFC 6962 root whose leaves are the tx encodings: the header's tx_root. */
void wire_tx_root(const wire_bytes *txs, size_t n, hansa_hash *out);
/* For the simulator, which decodes each vote message once and hands it to
 * every receiving node: until wire_vote_hint(NULL, 0, NULL), a
 * wire_vote_decode with no wire_rd asked for, of bytes equal in full to
 * p[0..len) (borrowed), copies *v (their decode, borrowed) instead of
 * parsing. hansad never sets it. Per thread. */
void wire_vote_hint(const uint8_t *p, size_t len, const wire_vote *v);
/* With on, wire_tx_root, wire_header_hash and wire_commit_hash each keep
 * the bytes they last hashed (the txs, the header's or the commit's
 * encoding) with the answer, wire_tx_bytes_hash those of its last txs,
 * and answer the same bytes again from it
 * (compared in full: the answer is the hash of exactly these bytes,
 * base/memo.h); off frees them. For the simulator, whose nodes all judge
 * the same block at each height: a node judges a block once, so hansad
 * leaves them off. Per thread. */
void wire_memos(bool on);
/* Whether wire_memos is on for this thread (sim_run puts it back). */
bool wire_memos_on(void);
/* RFC 6962 root whose leaves are the evidence encodings: evidence_root. */
void wire_evidence_root(const wire_evidence *ev, size_t n, hansa_hash *out);
/* Sets the header fields that commit to the block body: tx_count, tx_root,
 * evidence_root and last_commit_hash (zero without a last commit). The
 * block builder fills the rest of the header, then calls this. */
void wire_block_seal(wire_block *blk);
/* Checks what wire_block_seal sets, plus that the last commit (if any) is
 * for this chain at height-1. The decoder checks form only, so a node calls
 * this before trusting a block's header as a summary of its body. Returns
 * HANSA_ERR_INVALID naming the first mismatch in *why (optional). */
hansa_err wire_block_check_body(const wire_block *blk, const char **why);

void wire_valset_encode(hbuf *b, const wire_valset *vs);
hansa_err wire_valset_decode(const uint8_t *p, size_t len, wire_valset *vs, wire_rd *r);
void wire_valset_free(wire_valset *vs);
/* RFC 6962 root over the encoded (pubkey, power) entries. */
void wire_valset_hash(const wire_valset *vs, hansa_hash *out);

/* Inner helpers shared by the codecs of higher layers (ledger tx bodies,
 * net messages): they read/write one field without a version byte. */
void wire_put_bytes(hbuf *b, const void *p, uint32_t len); /* u32 len + bytes */
void wire_put_block_id(hbuf *b, const block_id *id);
void rd_block_id(wire_rd *r, block_id *id, const char *field);

#endif
