/* dkg.h — dealerless distributed key generation for FROST, as a pure state machine.
 *
 * Pedersen's DKG with the proofs of knowledge of FROST's KeyGen (Komlo and
 * Goldberg, "FROST", figure 1; the shape of ZcashFoundation frost's dkg
 * module), plus the complaint round of Gennaro-Jarecki-Krawczyk-Rabin so a
 * cheating dealer is excluded instead of aborting the run:
 *   1. every participant deals: it draws a random polynomial of degree t-1,
 *      broadcasts COMMIT (its t coefficient commitments and a Schnorr proof
 *      of knowledge of the constant term) and sends every other participant
 *      its SHARE f(j), sealed to j and signed together with the COMMIT's hash;
 *   2. a recipient checks each share against its dealer's commitments; a
 *      signed share that fails is broadcast as BAD_SHARE evidence, which
 *      anyone can check, and excludes the dealer at once; a share that never
 *      came (or came unreadable) draws a MISSING complaint, which the dealer
 *      answers with a public REVEAL or is excluded;
 *   3. at the end, the qualified dealers QUAL are those who committed and
 *      were not excluded; the group key is the sum of their constant-term
 *      commitments, each participant's share the sum of their shares; each
 *      participant broadcasts a signed RESULT, and a result is accepted when
 *      the threshold of participants report the same one.
 *
 * Agreement comes from the broadcast channel: every participant must see
 * the same broadcast messages in the same order with the same clock (in the
 * node, the chain: messages are transactions and time is the block height;
 * in tests, a shared log). Then QUAL, the group key and every exclusion are
 * the same everywhere, including at observers (dkg_config.me == 0) such as
 * full nodes that only follow. A participant's own broadcasts count only
 * when they come back through that channel. Private SHAREs can travel any
 * way (a Noise link, gossip): they are sealed and signed.
 *
 * Guards (each has a test in tests/threshold/test_dkg.c):
 *   - threshold: t = floor(2n/3) + 1 is fixed by the session, and a COMMIT
 *     whose vector has another length excludes its dealer (the Trail of Bits
 *     disclosures: a dealer silently raising the threshold);
 *   - authentication: every broadcast is signed by the sender's delegate key
 *     and names the session id, which hashes chain id, epoch, validator-set
 *     hash and the member keys; a message of another session is refused;
 *   - rogue keys: the proof of knowledge binds dealer id and session id;
 *   - equivocation: two different signed COMMITs from one dealer exclude it;
 *     a share signed for a COMMIT other than the broadcast one counts as no
 *     share (the dealer must reveal a good one publicly);
 *   - false accusers: a BAD_SHARE complaint whose evidence checks out as a
 *     good share blames the accuser (DKG_BLAME_FALSE_COMPLAINT) and changes
 *     nothing else.
 *
 * Nothing here does I/O or reads a clock: time and randomness are inputs.
 * The secret polynomial lives only in memory and is wiped once the shares
 * are out; a participant that restarts mid-session cannot resume it (phase
 * 2 decides whether to persist it or to rerun the session). */
#ifndef HANSA_THRESHOLD_DKG_H
#define HANSA_THRESHOLD_DKG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/bytes.h"
#include "base/err.h"
#include "base/rng.h"
#include "crypto/frost.h"
#include "crypto/sign.h"
#include "threshold/dkg_msg.h"

/* Who runs the session: it names the session (dkg_session_id). */
typedef struct {
    uint32_t chain_id;
    uint64_t epoch;               /* the validator-set change this key is for */
    hansa_hash valset_hash;       /* the set's hash as the chain records it */
    uint16_t n;                   /* participants, 1..FROST_PARTICIPANTS_MAX */
    const hansa_pubkey *members;  /* n delegate keys; participant i is members[i-1] */
} dkg_context;

/* The threshold of an n-member set: more than two thirds, floor(2n/3) + 1
 * (22 of 32, 5 of 7, 3 of 4), the same rule as consensus. */
uint16_t dkg_threshold(uint16_t n);

/* SHA-256("hansa/dkg-session/v1" || chain_id || epoch || valset_hash || n ||
 * t || members), every integer little-endian: what every message names. */
void dkg_session_id(const dkg_context *ctx, hansa_hash *out);

/* Deadlines on the broadcast channel's clock (block heights in the node),
 * strictly increasing: COMMITs count if they arrive before commit_end; at
 * share_end a participant complains about every committed dealer whose
 * share it lacks; complaints count before complaint_end, REVEALs before
 * reveal_end; at reveal_end the session ends. */
typedef struct {
    uint64_t commit_end;
    uint64_t share_end;
    uint64_t complaint_end;
    uint64_t reveal_end;
} dkg_timing;

typedef struct {
    dkg_context ctx;      /* copied, members too */
    dkg_timing timing;
    uint16_t me;          /* my participant id, or 0 to observe without dealing */
    const hansa_keypair *key; /* my delegate key (copied, wiped in dkg_free); NULL if me == 0 */
    hansa_rng rng;        /* for the polynomial, proofs and seals */
} dkg_config;

typedef enum {
    DKG_BLAME_ABSENT = 1,          /* no valid COMMIT before commit_end */
    DKG_BLAME_BAD_COMMIT,          /* signed COMMIT with the wrong length or a bad proof */
    DKG_BLAME_EQUIVOCATION,        /* two different signed COMMITs */
    DKG_BLAME_BAD_SHARE,           /* a signed share that fails VSS (evidence in a complaint) */
    DKG_BLAME_NO_REVEAL,           /* a MISSING complaint left unanswered */
    DKG_BLAME_BAD_REVEAL,          /* a signed REVEAL that fails VSS */
    DKG_BLAME_FALSE_COMPLAINT,     /* an accuser whose evidence is a good share */
} dkg_blame;

/* Returns a static name ("bad_share"). */
const char *dkg_blame_name(dkg_blame b);

typedef enum {
    DKG_OUT_BROADCAST, /* put bytes on the broadcast channel */
    DKG_OUT_SEND,      /* deliver bytes to participant `to` (dkg_on_direct there) */
    DKG_OUT_BLAME,     /* `culprit` misbehaved (`blame`); all but FALSE_COMPLAINT exclude it */
    DKG_OUT_DONE,      /* the session ended: dkg_result() holds my result */
    DKG_OUT_ACCEPTED,  /* t participants (me included) signed the same RESULT */
    DKG_OUT_FAILED,    /* the session ended without a key: `why` says why */
} dkg_out_kind;

typedef struct {
    dkg_out_kind kind;
    uint16_t to;              /* SEND */
    const uint8_t *bytes;     /* BROADCAST, SEND */
    size_t len;
    uint16_t culprit;         /* BLAME */
    dkg_blame blame;          /* BLAME */
    const char *why;          /* BLAME (static), FAILED (static) */
} dkg_out;

typedef struct {
    frost_group group;               /* key, n, t, every verification share */
    frost_point poly[FROST_PARTICIPANTS_MAX]; /* sum of QUAL's commitments (t used) */
    uint8_t qual[DKG_BITMAP_BYTES];  /* qualified dealers */
    uint16_t qual_count;
    hansa_hash transcript;           /* hash of the session, QUAL and their COMMIT hashes */
    bool has_share;                  /* false for observers and for a participant that lacks a share */
    frost_scalar share;              /* my signing share if has_share */
} dkg_result;

typedef struct dkg_session dkg_session;

/* Creates a session (no message yet: call dkg_start). Asserts a sane config
 * (n in range, deadlines increasing, me <= n, key present iff me != 0 and
 * equal to members[me-1]). */
dkg_session *dkg_new(const dkg_config *cfg);
/* Wipes every secret and frees. */
void dkg_free(dkg_session *s);

/* Deals: broadcasts my COMMIT and sends each other participant its SHARE.
 * An observer does nothing. Call once. */
void dkg_start(dkg_session *s, uint64_t now);

/* A message from the broadcast channel, at the channel's time `now` (which
 * never goes back). Returns HANSA_OK if it was taken into account, else why
 * it was ignored (*why, optional, gets a static sentence):
 *   any decode error      malformed bytes
 *   HANSA_ERR_PROTOCOL    another session, a participant outside 1..n, a
 *                         SHARE (private only), a complaint about oneself or
 *                         about a dealer without a COMMIT
 *   HANSA_ERR_BAD_SIG     not signed by the sender's delegate key
 *   HANSA_ERR_STATE       after its deadline, or the session ended
 *   HANSA_ERR_DUPLICATE   already seen
 * Evidence of cheating is HANSA_OK (it was taken into account): it shows as
 * DKG_OUT_BLAME. */
hansa_err dkg_on_broadcast(dkg_session *s, const uint8_t *msg, size_t len, uint64_t now,
                           const char **why);
/* A private message (a SHARE sealed to me). It carries no time: only the
 * broadcast channel moves the session's clock, or participants whose
 * private messages arrive at different moments would disagree on
 * deadlines. Errors as above, plus HANSA_ERR_CRYPTO when the seal does not
 * open for me. */
hansa_err dkg_on_direct(dkg_session *s, const uint8_t *msg, size_t len, const char **why);
/* The channel's clock moved: sends MISSING complaints at share_end and ends
 * the session at reveal_end. */
void dkg_tick(dkg_session *s, uint64_t now);

/* Committed dealers (not excluded, and owing no REVEAL: a dealer with an
 * unanswered MISSING complaint is excluded at the end unless the REVEAL
 * brings the share) whose valid share I lack, before the session ends (0
 * after, and for an observer). A driver whose channel carries nothing of
 * the session after reveal_end - 1 (the chain, node/frost_duty.c: the
 * ledger records the key then and refuses the rest) may hold the clock
 * short of reveal_end while it asks for them: the same broadcasts decide
 * the same QUAL at a later end. */
uint16_t dkg_shares_missing(const dkg_session *s);
/* Whether I hold a valid share from `dealer` (1..n): false for an
 * observer. A driver uses it to drop a MISSING complaint whose share came
 * before the complaint left (a member restarted mid-session replays the
 * chain before the dealers' shares reach it again). */
bool dkg_share_held(const dkg_session *s, uint16_t dealer);

/* Outputs since the last call; valid until the next call into the session. */
size_t dkg_drain(dkg_session *s, const dkg_out **out);

/* My result once DKG_OUT_DONE was emitted, else NULL. Owned by the session. */
const dkg_result *dkg_result_get(const dkg_session *s);
/* Whether the session's RESULT was accepted (DKG_OUT_ACCEPTED). */
bool dkg_accepted(const dkg_session *s);

#endif
