/* chain.h — the chit chain of one tally half and the protocol that keeps the
 * two halves' chains identical (seed 003, "Consensus Protocol").
 *
 * Each half keeps its chits as a hash chain: link i holds chit i and
 *     link_hash(i) = SHA-256(link_hash(i-1) | chit_hash(i)),
 *     link_hash(0) = SHA-256("hansa/chit-chain/v1" | tally id),
 * so two halves agree up to i exactly when their link hashes at i are equal.
 * A chit is signed before anyone knows where it will sit, so its position
 * and link hash are not part of what its issuer signed.
 *
 * The rule: the foil orders, the stock conforms.
 *   - The foil's chain is append-only. The foil links its own chits as it
 *     issues them and the stock's chits in the order they reach it.
 *   - The stock's chain is a prefix of the foil's (its confirmed part, the
 *     length the foil last told it about) followed by a tail of its own
 *     chits the foil has not ordered yet. When the foil's order puts other
 *     chits where the stock's tail chits would have gone, the tail chits are
 *     moved to the end: they stay in the tail and are linked after the
 *     foil's chits once the foil orders them.
 *
 * Messages (from each half to the other; docs/credit.md has the diagrams):
 *   UPD(base, hash(base), chits)  foil -> stock: "after my link base come
 *                                 these": the order, which the stock adopts.
 *                                 stock -> foil: "my confirmed part ends at
 *                                 base; here are my chits for you to order".
 *   ACK(i, hash(i))               stock -> foil: "my chain is yours up to i".
 *   REQ(i, hash(i))               stock -> foil: "I have up to i; send on"
 *                                 (a foil update started past my end).
 *   REFUSE(chit id, reason)       either way: a chit with a known id and
 *                                 different content (CONFLICT), a chit that
 *                                 does not verify (BAD), or chains that
 *                                 disagree where they must not (CHAIN).
 * The foil knows `ack`, how much of its chain the stock has confirmed; it
 * only grows. A half is settled when it has nothing to tell: the foil when
 * ack == n, the stock when its tail is empty. Both settled means identical
 * chains. Retries: tick() resends whatever is unsettled, so after any loss,
 * duplication, reordering or crash (the state is persisted after every
 * step, before its messages leave) the halves converge once messages get
 * through: within three round trips when the backlog fits one update
 * (CREDIT_UPD_CHITS_MAX chits), one more round trip per further update.
 *
 * Every handler is idempotent: an old or repeated message changes nothing
 * or only what a fresh copy would. A CONFLICT refusal drops the refused chit
 * (the issuer hears of it, loudly); BAD or CHAIN from an honest peer cannot
 * happen, so it marks the half faulted: it stops and says why.
 *
 * Sans-I/O: the chain's links live wherever the owner keeps them, reached
 * through credit_chain_ops (the ledger's records on a chain, an array in
 * the property test); outputs are messages for the owner to carry (the
 * ledger delivers them to the other half in the same state; across chains
 * they will be packets). */
#ifndef HANSA_CREDIT_CHAIN_H
#define HANSA_CREDIT_CHAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"
#include "credit/credit.h"
#include "wire/codec.h"

#define CREDIT_UPD_CHITS_MAX 64 /* chits in one update message */
#define CREDIT_TAIL_MAX 32      /* stock chits waiting for the foil's order */
#define CREDIT_OUT_MSGS_MAX 3   /* messages one step can produce */
#define CREDIT_MSG_BYTES_MAX \
    (1 + 1 + CREDIT_ID_BYTES + 1 + 8 + HANSA_HASH_BYTES + 2 + CREDIT_UPD_CHITS_MAX * CREDIT_CHIT_BYTES_MAX)

typedef enum {
    CREDIT_MSG_UPD = 1,
    CREDIT_MSG_ACK = 2,
    CREDIT_MSG_REQ = 3,
    CREDIT_MSG_REFUSE = 4,
} credit_msg_kind;

typedef enum {
    CREDIT_REFUSE_CONFLICT = 1, /* known chit id, different content */
    CREDIT_REFUSE_BAD = 2,      /* wrong tally, wrong side or bad signature */
    CREDIT_REFUSE_CHAIN = 3,    /* the chains disagree below the confirmed point */
} credit_refuse_reason;

const char *credit_refuse_name(credit_refuse_reason r);

typedef struct {
    uint8_t kind;       /* credit_msg_kind */
    credit_id tally_id;
    uint8_t from;       /* credit_side of the sender */
    uint64_t idx;       /* UPD: base; ACK, REQ: the point */
    hansa_hash hash;    /* link hash at idx */
    uint16_t n_chits;   /* UPD only, <= CREDIT_UPD_CHITS_MAX */
    credit_chit chits[CREDIT_UPD_CHITS_MAX];
    credit_id chit_id;  /* REFUSE only (zero for CHAIN) */
    uint8_t reason;     /* REFUSE only: credit_refuse_reason */
} credit_msg;

void credit_msg_encode(hbuf *b, const credit_msg *m);
/* Parses exactly [p, p+len). Rejects unknown kinds, an update with more
 * than CREDIT_UPD_CHITS_MAX chits, fields that do not belong to the kind
 * being non-zero, and the chit decoder's errors. */
hansa_err credit_msg_decode(const uint8_t *p, size_t len, credit_msg *out, wire_rd *r);

/* One link of a chain. */
typedef struct {
    credit_chit chit;
    hansa_hash hash; /* link hash at this index */
} credit_link;

/* Where a half's links live. idx counts from 1. */
typedef struct {
    /* Reads link idx, 1 <= idx <= the half's n; it exists (else a bug). */
    void (*get)(void *ctx, uint64_t idx, credit_link *out);
    /* The index of chit id in the storage, or 0. It may be past the half's
     * n when two halves share one storage (one chain): the half ignores it. */
    uint64_t (*find)(void *ctx, const credit_id *id);
    /* Stores link idx == n + 1 (n: the half's length before the call). */
    void (*append)(void *ctx, uint64_t idx, const credit_link *l);
    /* True when lift chit c is a leg of a committed lift the owner knows
     * (its proof is the ruling, not a party's signature). NULL: the owner
     * takes no lift chits. */
    bool (*lift_chit_ok)(void *ctx, const credit_chit *c);
} credit_chain_ops;

/* One half. The first block is what the owner persists (credit_half_encode);
 * the rest is set by the owner each time it loads the half. */
typedef struct {
    uint8_t side;        /* credit_side */
    uint64_t n;          /* linked chits */
    hansa_hash end;      /* link hash at n */
    uint64_t ack;        /* foil: the stock confirmed links 1..ack; stock: 0 */
    uint8_t fault;       /* 0, or the credit_refuse_reason that stopped it */
    uint8_t n_tail;      /* stock: own chits the foil has not ordered yet */
    credit_chit tail[CREDIT_TAIL_MAX];

    credit_id tally_id;
    hansa_pubkey keys[3]; /* indexed by credit_side: who signs chits */
    /* The peer half lives in the same state and verified each chit when it
     * was issued there, so chits from it are not verified again. */
    bool peer_in_state;
    const credit_chain_ops *ops;
    void *ctx;
} credit_half;

/* What one step asks the owner to do and tells it. */
typedef struct {
    uint8_t n_msgs;
    credit_msg msgs[CREDIT_OUT_MSGS_MAX];
    /* Peer chits this step linked for the first time (a chit arrived). */
    uint16_t n_arrived;
    credit_id arrived[CREDIT_UPD_CHITS_MAX];
    /* Own tail chits the peer refused (CONFLICT): dropped, the issuer must
     * be told. */
    uint16_t n_refused;
    credit_id refused[CREDIT_TAIL_MAX];
} credit_out;

/* The link hash before the first chit. */
void credit_chain_genesis(const credit_id *tally_id, hansa_hash *out);
/* link_hash(i) from link_hash(i-1) and chit i. */
void credit_chain_link_hash(const hansa_hash *prev, const credit_chit *c, hansa_hash *out);

/* A new, empty half of tally_id (keys indexed by credit_side). */
void credit_half_init(credit_half *h, credit_side side, const credit_id *tally_id,
                      const hansa_pubkey *stock_key, const hansa_pubkey *foil_key,
                      const credit_chain_ops *ops, void *ctx);

/* The half's own holder issues chit c (already checked against the tally's
 * state and limits by the owner). Verifies that c is for this tally, pledged
 * by this side and signed by its key (unless trust_sig: the owner verified
 * it), and that its id is new: HANSA_ERR_DUPLICATE for the same chit again,
 * HANSA_ERR_INVALID ("conflict") for a known id with different content,
 * HANSA_ERR_FULL for a full stock tail, HANSA_ERR_STATE once faulted. The
 * foil links it; the stock puts it in its tail. Then *out holds the update
 * for the peer. */
hansa_err credit_half_issue(credit_half *h, const credit_chit *c, bool trust_sig, credit_out *out,
                            char *why, size_t why_len);

/* A message from the peer half. Returns HANSA_OK (possibly with a REFUSE in
 * *out), HANSA_ERR_PROTOCOL for a message this half never expects (wrong
 * tally, from its own side, a kind the other side never sends), or
 * HANSA_ERR_STATE once faulted. A step that faults the half returns HANSA_OK
 * with h->fault set and the REFUSE to send in *out; why says what. */
hansa_err credit_half_recv(credit_half *h, const credit_msg *m, credit_out *out, char *why,
                           size_t why_len);

/* Resends what is unsettled (call on a timer and after a restart). */
void credit_half_tick(credit_half *h, credit_out *out);

/* True when the half has nothing left to tell its peer. */
bool credit_half_settled(const credit_half *h);

/* Persisted form of the first block of credit_half (docs/wire.md). */
void credit_half_encode(hbuf *b, const credit_half *h);
/* Reads the persisted fields into h (the rest untouched). */
void credit_rd_half(wire_rd *r, credit_half *h);

/* Test switch: a deliberately broken ordering rule, so the property test
 * can show that it catches it. CREDIT_MUTANT_STOCK_ORDERS makes the stock
 * link its own tail first and move the foil's chits to the end instead.
 * Never set outside tests. */
typedef enum { CREDIT_MUTANT_NONE = 0, CREDIT_MUTANT_STOCK_ORDERS = 1 } credit_mutant;
void credit_chain_test_mutant(credit_mutant m);

#endif
