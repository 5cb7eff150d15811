/* lift.h — credit lifts (seed 003 "Credit Lifts Explained", "Lift Protocol";
 * DESIGN.md section 8): lift capacity from trading variables, the promises a
 * pending lift holds, and the lift protocol as sans-I/O state machines per
 * hop, per originator and for the referee.
 *
 * A lift moves one amount along a route of tallies t[0..n-1] between parties
 * p[0..n]: on t[i], p[i] pays and p[i+1] receives (the receiver's net on t[i]
 * rises by the amount). Every intermediate party pays as much as it receives,
 * so a lift changes nobody's total; a circular lift (p[n] == p[0]) shrinks
 * debts around a cycle, a linear lift carries value from p[0] to p[n].
 *
 * Capacity (MyCHIPs' lift_v_links). A receiver with net `net` on a tally and
 * trading variables (target, bound) accepts freely up to
 *     min = max(target - net, 0)
 * and, at its reward, up to
 *     max = max(target, bound) - net,
 * never past the credit its own grant allows the payer to owe
 * (limit - net). Promises of lifts still pending count as if received, so
 * two interlocking lifts can never both take the same capacity. A path's
 * capacity is the least of its edges', its margin m1 + m2 (1 - m1) edge by
 * edge. Pending invoices are requests, never counted (docs/credit.md).
 *
 * The protocol. The originator p[0] sends a proposal naming an expiry (in the
 * referee's BFT time) and a referee down the route, in the direction value
 * moves. Each party that takes part holds its legs as pending promises, only
 * within its own signed trading variables, and forwards; the terminus p[n]
 * confirms to the originator, who asks the referee to commit. The referee
 * rules COMMIT if the request arrives before the expiry in its own time,
 * EXPIRED otherwise (or when asked about a lift past its expiry), once: its
 * first ruling is the only one it ever gives for that lift. Every party
 * finalizes (COMMIT) or voids (EXPIRED) its pending legs on the ruling's
 * proof alone, from whoever brings it; a party still pending after the
 * expiry asks the originator and the referee, and resolves alone. Nobody
 * resolves on a neighbour's word or on its own clock.
 *
 * In phase 1 the referee is a key (the chain's own on one chain) and the
 * proof its Ed25519 signature; across chains it becomes the referee chain's
 * ruling record proven by a light client. */
#ifndef HANSA_CREDIT_LIFT_H
#define HANSA_CREDIT_LIFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/bytes.h"
#include "base/err.h"
#include "credit/credit.h"
#include "credit/tally.h"

/* Tallies on one route. A local lift is one transaction applied at once, so
 * the bound only sizes it (about 4.5 KB at 64); 16 left the clearing agent at
 * 83% of the optimum on sparse graphs of 1000 parties, 64 reaches 97%
 * (docs/bench.md, "Lifts"). */
#define CREDIT_LIFT_HOPS_MAX 64
#define CREDIT_LIFT_PENDING_PER_TALLY 4 /* promises one tally holds at once (anti-jamming) */
#define CREDIT_LIFT_HOLDS_MAX 64        /* promises one party holds at once */
#define CREDIT_LIFT_DOMAIN_RULING "hansa/lift-ruling/v1"
#define CREDIT_LIFT_DOMAIN_HEADER "hansa/lift/v1"

/* ---- capacity -------------------------------------------------------------- */

/* What one edge (or a path of edges) can lift: free up to min, up to max at
 * margin_ppm (the receiver's reward, parts per million) on the part beyond
 * min. max >= min always. */
typedef struct {
    uint64_t min, max;
    int32_t margin_ppm;
} credit_lift_cap;

/* Capacity of tally t toward `receiver`: the receiver's trading variables
 * and grant, with `held` already promised to it by pending lifts counted as
 * received. Zero unless the tally is OPEN. */
credit_lift_cap credit_lift_edge_cap(const credit_tally *t, credit_side receiver, uint64_t held);

/* The same with `invoiced`: pending invoices the receiver would pay on t.
 * The real rule ignores them (an invoice is a request, not a balance);
 * CREDIT_LIFT_MUTANT_INVOICE counts them as paid. */
credit_lift_cap credit_lift_edge_cap_inv(const credit_tally *t, credit_side receiver,
                                         uint64_t held, uint64_t invoiced);

/* Combines a path's edges (n >= 1): least min, least max, margins
 * m1 + m2 (1 - m1). Local entities inside a chain are one lift node this
 * way: the capacity of their segment is the path capacity of its tallies. */
credit_lift_cap credit_lift_path_cap(const credit_lift_cap *edges, size_t n);

/* ---- the lift --------------------------------------------------------------- */

typedef enum { CREDIT_LIFT_CIRCULAR = 1, CREDIT_LIFT_LINEAR = 2 } credit_lift_kind;

/* The proposal's header: what every party agrees to and the referee rules
 * on. parties[i] pays on tallies[i] and parties[i+1] receives. */
typedef struct {
    credit_id lift_id;
    uint8_t kind;             /* credit_lift_kind */
    uint64_t amount;          /* milli-CHIPs, 1..CREDIT_AMOUNT_MAX */
    uint64_t expiry_ms;       /* in the referee's BFT time */
    uint32_t referee_chain;   /* the chain that rules */
    hansa_pubkey referee_key; /* phase 1: the key whose signature is the ruling's proof */
    uint8_t n_hops;           /* tallies, 1..CREDIT_LIFT_HOPS_MAX */
    credit_id tallies[CREDIT_LIFT_HOPS_MAX];
    credit_party parties[CREDIT_LIFT_HOPS_MAX + 1]; /* chain and key of each */
} credit_lift;

#define CREDIT_LIFT_BYTES_MIN \
    (1 + CREDIT_ID_BYTES + 1 + 8 + 8 + 4 + HANSA_PUBKEY_BYTES + 1 + CREDIT_ID_BYTES + \
     2 * CREDIT_PARTY_BYTES)
#define CREDIT_LIFT_BYTES_MAX \
    (CREDIT_LIFT_BYTES_MIN + (CREDIT_LIFT_HOPS_MAX - 1) * (CREDIT_ID_BYTES + CREDIT_PARTY_BYTES))

/* Checks form: amount, hop count, kind matching the route's ends, no party
 * twice (but the originator closing a circle). */
hansa_err credit_lift_check(const credit_lift *l, char *why, size_t why_len);
/* SHA-256 of domain | the header's encoding: what a ruling names. */
void credit_lift_hash(const credit_lift *l, hansa_hash *out);

/* The header's encoding (docs/wire.md "Lift"): version 1 | lift id |
 * kind | amount | expiry | referee chain | referee key | n | n tally ids |
 * n + 1 parties (chain u32, key). The decoder checks form and
 * credit_lift_check; out is zeroed on failure. */
void credit_lift_encode(hbuf *b, const credit_lift *l);
void credit_rd_lift(wire_rd *r, credit_lift *out);
hansa_err credit_lift_decode(const uint8_t *p, size_t len, credit_lift *out, wire_rd *r);

typedef enum { CREDIT_RULING_COMMIT = 1, CREDIT_RULING_EXPIRED = 2 } credit_ruling_outcome;

typedef struct {
    hansa_hash lift_hash;
    uint8_t outcome;  /* credit_ruling_outcome */
    uint64_t time_ms; /* the referee's BFT time when it ruled */
    hansa_sig sig;    /* the referee's, over domain | lift_hash | outcome | time */
} credit_ruling;

void credit_ruling_sign(credit_ruling *r, const hansa_keypair *referee);
/* True when r is the referee's ruling on lift l (hash and signature). */
bool credit_ruling_verify(const credit_ruling *r, const credit_lift *l);

/* A referee's ruling as a chain keeps it (the lift record, docs/credit.md):
 * version 1 | lift header | outcome u8 | height u64 | time_ms u64. */
typedef struct {
    credit_lift lift;
    uint8_t outcome; /* credit_ruling_outcome */
    uint64_t height; /* the block that ruled */
    uint64_t time_ms; /* its BFT time */
} credit_lift_rec;

void credit_lift_rec_encode(hbuf *b, const credit_lift_rec *rec);
hansa_err credit_lift_rec_decode(const uint8_t *p, size_t len, credit_lift_rec *out, wire_rd *r);

/* Lift chits: leg i of lift l on the tally whose contract is k, pledged by
 * its payer parties[i], with an id derived from the lift and the leg
 * (SHA-256("hansa/lift-chit/v1" | lift id | i), first 16 bytes) so each leg
 * has exactly one chit. make: fills out (false if parties[i] is not on k).
 * matches: true when c is exactly such a chit of some leg of l. */
bool credit_lift_chit_make(const credit_lift *l, int leg, const credit_contract *k,
                           credit_chit *out);
bool credit_lift_chit_matches(const credit_lift *l, const credit_contract *k,
                              const credit_chit *c);

/* ---- the referee ----------------------------------------------------------- */

/* A referee's memory of one lift: at most one ruling, forever. */
typedef struct {
    bool ruled;
    credit_ruling ruling;
} credit_referee_rec;

/* The originator's request to commit, at the referee's BFT time now_ms:
 * the existing ruling if there is one, else COMMIT if now_ms < expiry, else
 * EXPIRED; the ruling is recorded in rec and returned in *out. */
void credit_referee_request(credit_referee_rec *rec, const credit_lift *l, uint64_t now_ms,
                            const hansa_keypair *referee, credit_ruling *out);
/* A party's query: the existing ruling, or EXPIRED (recorded) once now_ms
 * >= expiry. Returns false (no answer yet) while the lift may still commit. */
bool credit_referee_query(credit_referee_rec *rec, const credit_lift *l, uint64_t now_ms,
                          const hansa_keypair *referee, credit_ruling *out);

/* ---- a party's promises ------------------------------------------------------ */

/* One pending leg: `amount` on `tally` toward its `receiver` side. */
typedef struct {
    hansa_hash lift_hash;
    credit_id tally_id;
    uint8_t receiver; /* credit_side */
    uint64_t amount;
} credit_hold;

typedef struct {
    uint32_t n;
    credit_hold h[CREDIT_LIFT_HOLDS_MAX];
} credit_holds;

/* Sum held on tally toward receiver, and the number of holds on tally. */
uint64_t credit_holds_sum(const credit_holds *hs, const credit_id *tally, credit_side receiver);
uint32_t credit_holds_count(const credit_holds *hs, const credit_id *tally);
/* Drops every hold of the lift; returns how many. */
uint32_t credit_holds_release(credit_holds *hs, const hansa_hash *lift_hash);

/* ---- a party in a lift ----------------------------------------------------------- */

typedef enum {
    CREDIT_HOP_PENDING = 1,   /* legs held, waiting for the ruling */
    CREDIT_HOP_COMMITTED = 2, /* legs booked on the ruling COMMIT */
    CREDIT_HOP_VOIDED = 3,    /* legs released on the ruling EXPIRED */
    CREDIT_HOP_REFUSED = 4,   /* declined the proposal: holds nothing */
} credit_hop_state;

const char *credit_hop_state_name(credit_hop_state s);

/* What a party needs of one of its tallies: the tally as it sees it, and
 * the pending invoices it would pay there (reported, never lifted). */
typedef struct {
    credit_tally *tally;
    uint64_t invoiced;
} credit_lift_edge;

/* One party's part in one lift. pos: its index in parties[] (0 = the
 * originator; for a circular lift the originator also receives on the last
 * tally). */
typedef struct {
    credit_lift lift;
    hansa_hash lift_hash;
    uint8_t pos;
    uint8_t state;      /* credit_hop_state */
    bool confirmed;     /* originator: the terminus confirmed */
    bool have_ruling;
    credit_ruling ruling;
} credit_hop;

/* Takes part in lift l as party `pos`: in = the tally it receives on (NULL
 * for the originator of a linear lift), out = the tally it pays on (NULL for
 * the terminus of a linear lift). Checks the lift, that the in-tally has
 * capacity for the amount toward this party under its own signed trading
 * variables with its pending holds, that the out-tally's grant lets it pay,
 * and the per-tally promise cap; then holds both legs and enters PENDING.
 * On refusal (HANSA_ERR_FUNDS over capacity, HANSA_ERR_FULL promise cap,
 * HANSA_ERR_INVALID form) the hop is REFUSED and nothing is held. */
hansa_err credit_hop_join(credit_hop *hop, credit_holds *hs, const credit_lift *l, uint8_t pos,
                          const credit_lift_edge *in, const credit_lift_edge *out, char *why,
                          size_t why_len);

/* A ruling arrived (from anyone). If it verifies for this lift and the hop
 * is PENDING: COMMIT books both legs on the tallies (balances move) and
 * EXPIRED releases them. Returns HANSA_ERR_PROOF for a ruling that does not
 * verify (nothing changes), 0 otherwise (a repeated ruling changes
 * nothing). in/out as for join. */
hansa_err credit_hop_ruling(credit_hop *hop, credit_holds *hs, const credit_ruling *r,
                            credit_tally *in, credit_tally *out);

/* The ruling's outcome, when its proof was checked by the caller (on one
 * chain the referee is the chain itself: its own state is the proof).
 * Same effect as credit_hop_ruling. */
void credit_hop_resolve(credit_hop *hop, credit_holds *hs, credit_ruling_outcome outcome,
                        credit_tally *in, credit_tally *out);

/* The originator (pos 0) heard the terminus confirm: it should now ask the
 * referee to commit (returns true while it is PENDING). A malicious
 * originator may never ask; its parties resolve through the referee. */
bool credit_hop_confirm(credit_hop *hop);

/* Time passed on the party's local clock (which may be off). Returns true
 * when a PENDING hop past the expiry should ask the originator and the
 * referee for the ruling; it never resolves on its clock alone. */
bool credit_hop_tick(credit_hop *hop, credit_holds *hs, uint64_t local_now_ms);

/* Test switches: each breaks one rule so the safety checker can show it
 * catches that flaw of MyCHIPs' DSR study. Never set outside tests. */
typedef enum {
    CREDIT_LIFT_MUTANT_NONE = 0,
    CREDIT_LIFT_MUTANT_INVOICE = 1,     /* capacity counts pending invoices as paid */
    CREDIT_LIFT_MUTANT_NO_HOLDS = 2,    /* capacity ignores pending promises */
    CREDIT_LIFT_MUTANT_LOCAL_TIMEOUT = 3, /* a hop voids on its own clock at expiry */
    CREDIT_LIFT_MUTANT_NO_QUERY = 4,    /* a pending hop never asks: waits for its neighbour */
    CREDIT_LIFT_MUTANT_REFEREE_FORGETS = 5, /* the referee commits any request, keeps no record */
    CREDIT_LIFT_MUTANT_TRUST_NEIGHBOUR = 6, /* a hop takes a ruling without checking its proof */
} credit_lift_mutant;
void credit_lift_test_mutant(credit_lift_mutant m);
credit_lift_mutant credit_lift_mutant_get(void);

#endif
