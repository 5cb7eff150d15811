/* roast.h — robust FROST signing runs: a ROAST coordinator and a signer,
 * both pure state machines.
 *
 * ROAST (Ruffing, Ronge, Schneider, Schröder, Thyagarajan: "ROAST: Robust
 * Asynchronous Schnorr Threshold Signatures", CCS 2022) wraps FROST so that
 * a run finishes as soon as any t honest signers answer, however many others
 * are offline or send bad shares, with no timeouts:
 *   - every signer gives the coordinator one fresh commitment (COMMIT);
 *   - whenever t signers are ready (each holding an unused commitment), the
 *     coordinator opens a session with exactly them (REQUEST);
 *   - a signer answers with its share and its next fresh commitment (SHARE);
 *     a valid share makes it ready again; a share that fails RFC 9591's
 *     per-share verification marks it malicious for good (BLAME);
 *   - the first session whose t shares are all valid gives the signature.
 * A signer that never answers stays stuck in its session and never ready,
 * so every session that fails ties up at least one faulty signer: at most
 * n - t + 1 sessions are ever opened.
 *
 * Nonces are used once, across crashes too. A signer hands each nonce pair
 * to the driver's persist callback before its commitment leaves (FRESH, with
 * the secret nonces, so the signer can still answer after a restart), and
 * again, marked USED with the secrets wiped, before the share computed with
 * it leaves. A request naming a commitment that is not one of the signer's
 * FRESH records, or that it already used, is refused. The node stores these
 * records durably (fsync) as it does the consensus signer state. */
#ifndef HANSA_THRESHOLD_ROAST_H
#define HANSA_THRESHOLD_ROAST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/rng.h"
#include "crypto/frost.h"
#include "threshold/roast_msg.h"

/* ---- the signer --------------------------------------------------------------------- */

typedef enum { ROAST_NONCE_FRESH = 1, ROAST_NONCE_USED = 2 } roast_nonce_state;

/* One nonce pair as the driver stores it, keyed by its commitment (the
 * record for a commitment replaces the previous one). USED records carry
 * zero nonces. */
typedef struct {
    uint64_t round;
    frost_commitment commitment;
    frost_nonces nonces;
    roast_nonce_state state;
} roast_nonce_rec;

typedef struct {
    frost_group group;       /* copied */
    uint16_t id;             /* my identifier, 1..group.n */
    frost_scalar share;      /* my signing share (copied; wiped in roast_signer_free) */
    hansa_rng rng;
    void *ctx;
    /* Stores rec durably; returns false if it could not (the signer then
     * releases nothing that depends on it). */
    bool (*persist)(void *ctx, const roast_nonce_rec *rec);
    /* Whether I agree to sign msg as the message of `round` (the node: it is
     * the checkpoint of a block I hold as committed at that height). */
    bool (*approve)(void *ctx, uint64_t round, const uint8_t *msg, size_t len);
} roast_signer_config;

/* Fresh nonces a signer keeps (one per round it was asked to commit for,
 * plus the next ones it hands out with shares). */
#define ROAST_FRESH_MAX 64

typedef struct roast_signer roast_signer;

/* Creates a signer. `restored` are the FRESH records the driver persisted
 * (USED ones need not be passed: their secrets are gone). Asserts a sane
 * config and that my share matches my verification share. */
roast_signer *roast_signer_new(const roast_signer_config *cfg, const roast_nonce_rec *restored,
                               size_t n_restored);
void roast_signer_free(roast_signer *s);

/* A fresh commitment for `round`, persisted FRESH, as a COMMIT message
 * appended to out. HANSA_ERR_FULL with ROAST_FRESH_MAX unused nonces,
 * HANSA_ERR_IO if persist failed (nothing appended). */
hansa_err roast_signer_commit(roast_signer *s, uint64_t round, hbuf *out);

/* Answers a REQUEST (bytes from the coordinator) with a SHARE appended to
 * out. Refusals (nothing appended; *why, optional, says why):
 *   decode errors          malformed request
 *   HANSA_ERR_PROTOCOL     another group; I am not in the list; my entry is
 *                          not one of my fresh commitments; fewer than t
 *                          signers; a message I do not approve
 *   HANSA_ERR_DUPLICATE    my entry names a nonce I already used
 *   HANSA_ERR_IO           persist failed (the nonce is then dropped unused)
 *   any frost_derive error (identifiers beyond the group, identity R, ...) */
hansa_err roast_signer_on_request(roast_signer *s, const uint8_t *req, size_t len, hbuf *out,
                                  const char **why);

/* Drops (wipes, and refuses from then on) the unused nonces of rounds
 * before `before`: rounds that finished without them. The driver drops its
 * stored copies by the same rule; dropping an unused nonce is always safe.
 * Returns how many were dropped. */
size_t roast_signer_forget(roast_signer *s, uint64_t before);

/* How many unused nonces the signer holds (tests, metrics). */
size_t roast_signer_fresh(const roast_signer *s);

/* ---- the coordinator ------------------------------------------------------------------ */

typedef enum {
    ROAST_OUT_REQUEST, /* send bytes to each signer in to[0..n_to) */
    ROAST_OUT_DONE,    /* sig is the group's signature on the message */
    ROAST_OUT_BLAME,   /* culprit sent a share that fails verification */
} roast_out_kind;

typedef struct {
    roast_out_kind kind;
    const uint16_t *to;
    size_t n_to;
    const uint8_t *bytes;
    size_t len;
    frost_sig sig;
    uint16_t culprit;
} roast_out;

typedef struct {
    frost_group group;   /* copied */
    uint64_t round;
    const uint8_t *msg;  /* copied; at most ROAST_MSG_MAX bytes */
    size_t msg_len;
} roast_coord_config;

typedef struct roast_coord roast_coord;

roast_coord *roast_coord_new(const roast_coord_config *cfg);
void roast_coord_free(roast_coord *c);

/* A COMMIT or SHARE from signer `from` (the authenticated link's peer).
 * Refusals (*why, optional):
 *   decode errors         malformed
 *   HANSA_ERR_PROTOCOL    another group or round, `from` outside 1..n or not
 *                         the message's signer, a REQUEST, a SHARE for a
 *                         session `from` is not in
 *   HANSA_ERR_STATE       the run is done, or `from` is marked malicious
 *   HANSA_ERR_DUPLICATE   a second share for the same session
 * An invalid share returns HANSA_OK (it was taken into account) and shows as
 * ROAST_OUT_BLAME. */
hansa_err roast_coord_on_message(roast_coord *c, uint16_t from, const uint8_t *msg, size_t len,
                                 const char **why);

/* Outputs since the last call; valid until the next call into c. */
size_t roast_coord_drain(roast_coord *c, const roast_out **out);

/* The signature once ROAST_OUT_DONE was emitted, else NULL. */
const frost_sig *roast_coord_signature(const roast_coord *c);
/* Sessions opened so far (at most n - t + 1). */
uint32_t roast_coord_sessions(const roast_coord *c);

#endif
