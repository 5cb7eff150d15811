/* tx_frost.h — the chain as the DKG's broadcast channel (issue 14 phase 2):
 * transaction kinds 60 (TX_DKG_COMMIT), 61 (TX_DKG_COMPLAINT) and 62
 * (TX_DKG_REVEAL), the records they leave, and the group key the ledger
 * derives from them.
 *
 * Every validator set runs one key generation (threshold/dkg.h), its epoch
 * being the set's activation height A (the first height it decides). The
 * session is named by chain id, A, the set's hash and its members in
 * pubkey order (participant i is member i-1), so a message of another set
 * never counts. Windows, in block heights (dkg_timing, the same numbers
 * every delegate's dkg session runs on):
 *   COMMITs      A .. A+FROST_DKG_COMMIT_BLOCKS-1
 *   COMPLAINTs   A .. A+FROST_DKG_COMPLAINT_BLOCKS-1
 *   REVEALs      A .. A+FROST_DKG_REVEAL_BLOCKS-1
 * When the block A+FROST_DKG_REVEAL_BLOCKS-1 finishes, the dealers that
 * committed, were not excluded (a BAD_SHARE complaint, a bad REVEAL) and
 * revealed every share a MISSING complaint asked for are the qualified set
 * (GJKR's QUAL); if they are at least the threshold, the group key (the
 * sum of their constant-term commitments) is recorded for epoch A, once:
 * later DKG transactions of that epoch are refused, so one set can never
 * have two different keys. A set whose power is too concentrated
 * (frost_set_keyable) runs no DKG: its transactions are refused.
 *
 * The ledger refuses, with a reason, what dkg_on_broadcast would ignore or
 * count as a false complaint (and a little more: a REVEAL nobody asked
 * for), so that every committed DKG transaction counts the same way in
 * every delegate's session and at every observer:
 *   COMMIT     another session (a stale epoch or set hash), a sender that is
 *              not the dealer it names, a wrong threshold, a bad signature,
 *              a bad proof of knowledge, a second COMMIT of one dealer;
 *   COMPLAINT  sent by the accuser it names and signed by it, about a
 *              dealer that committed and is not yet excluded; a BAD_SHARE
 *              one only with evidence that is a share that dealer signed
 *              for its recorded COMMIT and that fails verification (a good
 *              share is a false accusation and refused); a MISSING one only
 *              once per accuser and dealer;
 *   REVEAL     sent by the dealer it names, its share signed by that dealer
 *              for its recorded COMMIT, answering a MISSING complaint of the
 *              recipient that is not answered yet, the dealer not excluded.
 *              A revealed share that fails verification is accepted and
 *              excludes the dealer (it is the dealer's signed evidence).
 *
 * Records (record.h reserves 58..5f), values version byte 1 first:
 *   58 | epoch u64 BE | dealer u16 BE     dealer: flags u8 (1 = excluded) |
 *                                        committed_at u64 | commit_hash 32 |
 *                                        missing 16 | revealed 16 |
 *                                        t u16 | t x commitment (32)
 *   59 | epoch u64 BE                    group key: valset_hash 32 | n u16 |
 *                                        t u16 | qual bitmap 16 | key 32 |
 *                                        keyed_at u64
 * missing: the accusers with a MISSING complaint about the dealer;
 * revealed: the recipients whose share it revealed (a subset of missing).
 * Dealer records live only during their epoch's window: all of them are
 * deleted when a window closes. Group keys stay: the chain's key history.
 * The revealed shares themselves are not kept: they are in the blocks. */
#ifndef HANSA_LEDGER_TX_FROST_H
#define HANSA_LEDGER_TX_FROST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "ledger/tx.h"
#include "threshold/dkg.h"
#include "wire/group_rec.h"
#include "wire/codec.h"

#define FROST_KEY_FIRST 0x58
#define FROST_KEY_LAST 0x5f
#define FROST_KEY_DEALER 0x58
#define FROST_KEY_DEALER_BYTES (1 + 8 + 2)

/* DKG deadlines, in blocks after the set's activation (dkg_timing). Twelve
 * blocks for every delegate's COMMIT to reach the chain (its account may
 * first need the fee); shares travel at once over the links, so two more
 * blocks for them to arrive, then MISSING complaints; complaints until
 * twenty; REVEALs four blocks more, so that a dealer accused in the last
 * complaint block still has more than one block to answer (an accuser
 * timing its complaint for the last block must not exclude an honest
 * dealer whose REVEAL missed a single block). The key is recorded at the
 * end of block A+23, and the sessions end with block A+24. */
#define FROST_DKG_COMMIT_BLOCKS 12
#define FROST_DKG_SHARE_BLOCKS 14
#define FROST_DKG_COMPLAINT_BLOCKS 20
#define FROST_DKG_REVEAL_BLOCKS 24

#define FROST_DEALER_EXCLUDED 1u

typedef struct {
    uint8_t flags;          /* FROST_DEALER_EXCLUDED */
    uint64_t committed_at;  /* height of the COMMIT's block */
    hansa_hash commit_hash; /* dkg_msg_hash of the COMMIT: what signed shares name */
    uint8_t missing[DKG_BITMAP_BYTES];  /* accusers with a MISSING complaint */
    uint8_t revealed[DKG_BITMAP_BYTES]; /* recipients it answered with a good REVEAL */
    uint16_t t;
    frost_point commits[FROST_PARTICIPANTS_MAX];
} frost_dealer_rec;

/* The key generation of the set that decides the next block. ctx.members
 * points into members: do not copy the struct, fill another. */
typedef struct {
    dkg_context ctx; /* epoch = the set's activation height */
    hansa_pubkey members[FROST_PARTICIPANTS_MAX];
    uint64_t power[FROST_PARTICIPANTS_MAX];
    dkg_timing timing;
    bool keyable; /* frost_set_keyable(power, n) */
} frost_epoch;

/* Fills *out for the set of s that decides height ledger_height(s) + 1. */
void frost_epoch_of(const ledger_state *s, frost_epoch *out);
/* The same for `set`, activated at `activation` (a set the chain used
 * before: a dealer asked for its shares after its set was replaced).
 * set->n in 1..FROST_PARTICIPANTS_MAX. */
void frost_epoch_of_set(const ledger_state *s, const wire_valset *set, uint64_t activation,
                        frost_epoch *out);

/* ---- the pure checks (no state) ------------------------------------------------ */

/* Checks that `p` is a COMMIT of the session of `ctx`, sent by `sender`
 * as the dealer it names, with the set's threshold, its signature and its
 * proof of knowledge good. On HANSA_OK *out holds the body. Else *why
 * (static) says what failed. */
hansa_err frost_tx_check_commit(const dkg_context *ctx, const hansa_pubkey *sender,
                                const uint8_t *p, size_t len, dkg_commit_body *out,
                                const char **why);

/* The group key: the sum of c0[d-1] over the dealers d set in `qual`
 * (1..n). HANSA_ERR_STATE if fewer than dkg_threshold(n) are qualified or
 * the sum is the identity. */
hansa_err frost_tx_group_key(uint16_t n, const frost_point *c0, const uint8_t *qual,
                             frost_point *out, const char **why);

/* Whether a set with these voting powers may have a group key: the
 * dkg_threshold(n) delegates with the least power together hold more than
 * two thirds of the total, so that every threshold of members does and a
 * FROST signature implies what a commit certificate implies
 * (docs/frost.md). n in 1..FROST_PARTICIPANTS_MAX. */
bool frost_set_keyable(const uint64_t *power, uint16_t n);

/* ---- the transaction table's rows (tx.c) ------------------------------------------ */

/* Form only: the body is one dkg message of the row's kind (COMMIT for 60,
 * COMPLAINT for 61, REVEAL for 62); nothing is kept in *out, the checks decode the body
 * again from the tx (a COMMIT holds up to 4 KB of commitments). */
hansa_err frost_commit_decode(const uint8_t *body, uint32_t len, ledger_tx_body *out, char *why,
                              size_t why_len);
hansa_err frost_complaint_decode(const uint8_t *body, uint32_t len, ledger_tx_body *out,
                                 char *why, size_t why_len);
hansa_err frost_commit_check(const ledger_block *b, const ledger_tx_ctx *c, char *why,
                             size_t why_len);
void frost_commit_apply(ledger_block *b, const ledger_tx_ctx *c);
hansa_err frost_complaint_check(const ledger_block *b, const ledger_tx_ctx *c, char *why,
                                size_t why_len);
void frost_complaint_apply(ledger_block *b, const ledger_tx_ctx *c);
hansa_err frost_reveal_decode(const uint8_t *body, uint32_t len, ledger_tx_body *out, char *why,
                              size_t why_len);
hansa_err frost_reveal_check(const ledger_block *b, const ledger_tx_ctx *c, char *why,
                             size_t why_len);
void frost_reveal_apply(ledger_block *b, const ledger_tx_ctx *c);

/* ---- records ------------------------------------------------------------------ */

void frost_dealer_rec_encode(hbuf *b, const frost_dealer_rec *d);
/* Errors as record.h's decoders; *out zeroed on error. */
hansa_err frost_dealer_rec_decode(const uint8_t *p, size_t len, frost_dealer_rec *out, wire_rd *r);
/* The group key record (59) and its codec: threshold/group_rec.h. */
/* Checks a stored key and value of the frost table (used by loading). */
hansa_err frost_record_check(const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen,
                             wire_rd *r);

/* Called by ledger_block_finish: closes the DKG window whose last block
 * (A+FROST_DKG_REVEAL_BLOCKS-1) this is, recording the group key (see above). */
void frost_block_finish(ledger_block *b);

/* ---- reads of the committed state (node, RPC, tests) ------------------------------ */

/* Epoch's group key; false if it has none. */
bool ledger_group_key_get(const ledger_state *s, uint64_t epoch, frost_group_rec *out);
/* The members (participant i+1 = members[i]) of the set whose hash is
 * g->valset_hash, if it is the current or the previous set (a key's group
 * just after its set was replaced); false otherwise. */
bool frost_members_of(const ledger_state *s, const frost_group_rec *g, hansa_pubkey *members, uint16_t *n);
/* Calls fn for every recorded group key, in no particular order. */
typedef void (*frost_group_fn)(void *ctx, uint64_t epoch, const frost_group_rec *g);
void ledger_group_keys_iter(const ledger_state *s, frost_group_fn fn, void *ctx);
/* Dealer d's record in the open window of `epoch`; false if none. */
bool ledger_dkg_dealer_get(const ledger_state *s, uint64_t epoch, uint16_t dealer,
                           frost_dealer_rec *out);

#endif
