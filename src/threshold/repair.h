/* repair.h — a lost signing share rebuilt by t holders of the same key,
 * none of whom shows its own share (a repairable threshold scheme: Laing
 * and Stinson, "A survey and refinement of repairable threshold schemes",
 * 2017, section 4.2, the scheme ZcashFoundation frost-core implements in
 * keys/repairable.rs), as a pure state machine.
 *
 * Why. A member that was down through its key generation's complaint
 * window, and whose missing piece belongs to a dealer that lost its seed,
 * never gets that piece: no complaint asked for it and nobody can deal it
 * again (docs/frost.md, "The node's DKG duty"). Its signing share s_i is
 * still a point f(i) of the group's polynomial f, which any t holders can
 * evaluate together at i:
 *   1. the member (the target, i) sends a REQUEST signed with its delegate
 *      key naming exactly t helpers H (not i) and a round number;
 *   2. each helper j in H computes delta_j = lambda_j(i) * s_j, where
 *      lambda_j(i) = prod_{k in H, k != j} (i - k) / (j - k), splits it into
 *      t random pieces delta_{j,k} (k in H) that sum to delta_j, keeps its
 *      own and sends each other helper k its piece in a DELTA, sealed to k;
 *   3. each helper k, holding the t pieces meant for it, sends the target
 *      sigma_k = sum_j delta_{j,k} in a SIGMA, sealed to the target;
 *   4. the target adds the t sigmas: sum_k sigma_k = sum_j lambda_j(i) s_j
 *      = f(i) = s_i, and CHECKS s_i * G against its verification share Y_i
 *      (known from the key generation's commitments). A sum that fails is
 *      refused and the helper set named: one of them cheated (a DELTA or a
 *      SIGMA that was not what the scheme says), and the target asks again
 *      with another set.
 * A helper sees t-1 random pieces from others and the target sees t sums
 * of random pieces; only the total reveals anything, and it is s_i. t-1
 * holders cannot repair: the target refuses a request of fewer than t
 * helpers, and no t-1 shares determine f(i) (tests/threshold/test_repair.c).
 *
 * Every message is signed by its sender's delegate key (domain
 * REPAIR_DOMAIN) and names the session id of the key's set
 * (dkg_session_id: chain, epoch, set, members) and the round, so nothing of
 * one repair counts in another. DELTAs and SIGMAs name the REQUEST's hash,
 * so a helper's pieces count only for the helper set the target signed.
 * Nothing here does I/O: randomness comes in, messages go out through a
 * callback. Layouts are in repair_msg.h. */
#ifndef HANSA_THRESHOLD_REPAIR_H
#define HANSA_THRESHOLD_REPAIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/bytes.h"
#include "base/err.h"
#include "base/rng.h"
#include "crypto/frost.h"
#include "crypto/sign.h"
#include "threshold/repair_msg.h"

/* The key a repair is about: its set's DKG session id, its public group
 * (the target checks against group->shares[i-1]) and the n delegate keys
 * (participant j is members[j-1]). Copied by the constructors. */
typedef struct {
    hansa_hash session;
    const frost_group *group;
    const hansa_pubkey *members;
} repair_ctx;

/* Where a state machine puts a message: the driver sends `bytes` (a
 * REPAIR_MSG_* of `kind`) to participant `to` (every peer will do: DELTAs
 * and SIGMAs are sealed to their recipient). The bytes are valid during
 * the call only. */
typedef void (*repair_send_fn)(void *arg, repair_msg_kind kind, uint16_t to, const uint8_t *bytes,
                               size_t len);

/* ---- the helper's side ------------------------------------------------------------- */

typedef struct repair_helper repair_helper;

/* A helper for one REQUEST: checks it (form, my session, signed by the
 * target it names, exactly t helpers with me among them, the target a
 * participant that is not a helper), then sends my t-1 DELTAs. `share` is
 * my signing share (participant `me`), `key` my delegate key; both are
 * copied and wiped in repair_helper_free; rng, send and arg are kept (my
 * SIGMA goes out later, from repair_helper_on_delta): they must outlive the
 * helper. Returns NULL and sets *err and *why (static) if the request is
 * refused. */
repair_helper *repair_helper_new(const repair_ctx *ctx, uint16_t me, const hansa_keypair *key,
                                 const frost_scalar *share, const hansa_rng *rng,
                                 const uint8_t *req, size_t len, repair_send_fn send, void *arg,
                                 hansa_err *err, const char **why);
/* Wipes every secret and frees. */
void repair_helper_free(repair_helper *h);
/* The REQUEST's hash this helper serves (to route DELTAs to it). */
const hansa_hash *repair_helper_req(const repair_helper *h);
/* A DELTA from another helper: HANSA_OK if taken (once all t pieces are in,
 * my SIGMA is sent); else why not (*why static): a decode error; PROTOCOL
 * another repair, not for me, a sender outside the helper set; BAD_SIG;
 * CRYPTO (does not open for me); DUPLICATE. */
hansa_err repair_helper_on_delta(repair_helper *h, const uint8_t *msg, size_t len, const char **why);
/* Whether my SIGMA went out. */
bool repair_helper_done(const repair_helper *h);

/* ---- the target's side --------------------------------------------------------------- */

typedef enum {
    REPAIR_PENDING = 0, /* sigmas still missing */
    REPAIR_DONE,        /* the sum checked against my verification share */
    REPAIR_REFUSED,     /* the sum did not: one of the helpers cheated */
} repair_status;

typedef struct repair_target repair_target;

/* Asks for my share: sends a REQUEST naming `helpers` (count of them,
 * strictly increasing, none of them me) for `round` to each helper.
 * Asserts count == group->t: fewer cannot determine the share (the scheme
 * needs t points of a degree t-1 polynomial), more is useless. */
repair_target *repair_target_new(const repair_ctx *ctx, uint16_t me, const hansa_keypair *key,
                                 uint32_t round, const uint16_t *helpers, uint16_t count,
                                 repair_send_fn send, void *arg);
void repair_target_free(repair_target *r);
/* A SIGMA: HANSA_OK if taken; errors as repair_helper_on_delta's. Once all
 * t are in, the status is DONE or REFUSED. */
hansa_err repair_target_on_sigma(repair_target *r, const uint8_t *msg, size_t len, const char **why);
/* DONE: *share (if given) gets the repaired share. REFUSED: the helper set
 * is in repair_target_helpers. */
repair_status repair_target_status(const repair_target *r, frost_scalar *share);
/* The helper set asked (count in *count). */
const uint16_t *repair_target_helpers(const repair_target *r, uint16_t *count);
uint32_t repair_target_round(const repair_target *r);

/* ---- what a helper admits (the node's rules, kept here to be tested) ----------------- */

/* A member without its share asks a new helper set this often (blocks of
 * its height): a helper may be down, or one of the set cheated and the sum
 * was refused. Its rounds are its heights, so they are this far apart. */
#define REPAIR_RETRY_BLOCKS 3
/* How far a REQUEST's round may be from my committed height. */
#define REPAIR_ROUND_WINDOW (2 * REPAIR_RETRY_BLOCKS)

/* Whether a helper deals for a REQUEST of `round` from a target whose last
 * REQUEST it dealt for had last_round (0: none): the round within
 * REPAIR_ROUND_WINDOW of my_height and at least REPAIR_RETRY_BLOCKS past
 * last_round. Why: each REQUEST costs a named helper t seals and
 * signatures and t-1 DELTAs to its peers; a member signing rounds r, r+1,
 * ... by the thousand would make every helper deal thousands of times.
 * With this, a few at once (the window) and then one per
 * REPAIR_RETRY_BLOCKS, what an honest target asks anyway. */
bool repair_round_admit(uint64_t my_height, uint32_t round, uint32_t last_round);

/* DELTAs that came before their REQUEST (another helper dealt first),
 * kept for the helper made when it comes: only pieces for me, of my
 * session, signed by their sender, and one per sender (its newest), so no
 * peer can evict another's pieces. Zeroed is empty. */
typedef struct {
    hbuf from[FROST_PARTICIPANTS_MAX + 1];
} repair_early;

/* Keeps msg (a DELTA) if it is for `me` in ctx's session and signed by its
 * sender, replacing that sender's last one: HANSA_OK; else a decode error,
 * PROTOCOL (another session, not for me, a sender that is no participant)
 * or BAD_SIG. */
hansa_err repair_early_keep(repair_early *e, const repair_ctx *ctx, uint16_t me, const uint8_t *msg,
                            size_t len, const char **why);
/* Gives h the kept pieces of its REQUEST, freeing each one given. */
void repair_early_feed(repair_early *e, repair_helper *h);
void repair_early_free(repair_early *e);

/* ---- the arithmetic, for tests and the state machines ------------------------------ */

/* Step 1: delta_j = lambda_j(target) * share split into count random pieces
 * (pieces[k] for helpers[k]) summing to delta_j. HANSA_ERR_INVALID if the
 * helper set is malformed (zero or repeated ids, the target among them),
 * NOT_FOUND if me is not in it. */
hansa_err repair_split(const hansa_rng *rng, const uint16_t *helpers, uint16_t count, uint16_t me,
                       uint16_t target, const frost_scalar *share, frost_scalar *pieces);
/* Steps 2 and 4: the sum of count scalars. */
void repair_sum(const frost_scalar *v, size_t count, frost_scalar *out);
/* Step 4's check: share * G == group->shares[target-1]. */
bool repair_check(const frost_group *group, uint16_t target, const frost_scalar *share);

#endif
