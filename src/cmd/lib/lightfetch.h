/* lightfetch.h — reading a foreign chain's light blocks over its RPC
 * (method light_block) and building light-client transaction bodies from
 * them: the fetching half of relaying, shared by `hansa client ...` and
 * hansad's relay driver (which calls it from a worker thread: nothing here
 * keeps state between calls).
 *
 * Nothing fetched is trusted: the chain's ledger verifies every update
 * against its light client. Picking the target (the checks, the bisection)
 * is interchain/bisect.c's, shared with the simulator; this file fetches. */
#ifndef HANSA_CMD_LIGHTFETCH_H
#define HANSA_CMD_LIGHTFETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "base/buf.h"
#include "interchain/bisect.h"
#include "interchain/client.h"
#include "wire/checkpoint.h"
#include "wire/types.h"

#define LF_TIMEOUT_MS 5000

/* One height of a chain as its nodes serve it; owns its arrays. */
typedef ic_light_block light_block;

void light_block_free(light_block *lb);

/* Fetches height (0: the tip) from the node at addr and checks that its
 * parts agree (commit for this header, sets hashing to the header's). False
 * with why on a transport error, an error reply or parts that disagree. */
bool lf_fetch(const char *addr, uint64_t height, light_block *out, char *why, size_t why_len);
/* The same from a light_block reply already in hand (e.g. read from a
 * file); `from` names it in messages. */
bool lf_parse(const json_t *r, const char *from, light_block *out, char *why, size_t why_len);
/* The JSON form lf_parse reads (the light_block reply's hex fields). */
json_t *lf_json(const light_block *lb);

/* The trust root a light client registered from lb starts with. */
void lf_trust_root(const light_block *lb, uint64_t trusting_period_ms, uint64_t max_clock_drift_ms,
                   ic_create *out);

/* Which certificate an update carries (docs/interchain.md). AUTO: a FROST
 * checkpoint when the trusted state names a group key and the source serves
 * a checkpoint and the handoffs that the light client would accept (checked
 * here first); when it names none (and no target height is asked for), a
 * commit update to the source's newest snapshot height with the proof of
 * its key record there (key_proof RPC), if the client would take it; else
 * a commit certificate. */
typedef enum { LF_CERT_AUTO = 0, LF_CERT_COMMIT = 1, LF_CERT_FROST = 2 } lf_cert;

/* The checkpoint of a `checkpoint` RPC reply, and the handoff to key k of a
 * `group_key` reply's keys (its handoff_sig): false if malformed or absent.
 * Nothing is verified here. */
bool lf_checkpoint_parse(const json_t *r, checkpoint *out);
bool lf_handoff_parse(const json_t *k, handoff *out);

/* The trust root registered from lb that also names the chain's group key
 * the checkpoint cp of lb's header shows current (cp verified here: false
 * with why if it is not lb's or does not verify). */
bool lf_trust_root_frost(const light_block *lb, const checkpoint *cp, uint64_t trusting_period_ms,
                         uint64_t max_clock_drift_ms, ic_create *out, char *why, size_t why_len);

/* As lf_build_update, with the certificate chosen by cert. A FROST update
 * goes to the source's checkpoint at target (0: the newest it stored), with
 * the handoffs from the trusted key's epoch, and is checked with ic_verify
 * before it is returned, so what is submitted is what the chain accepts. */
int lf_build_update_cert(const char *addr, lf_cert cert, const ic_params *p, const ic_consensus *trusted,
                         uint64_t target, uint64_t now_ms, bool revive, hbuf *out, uint64_t *height,
                         char *why, size_t why_len);

/* For a client whose trusted state names no key: a commit update to addr's
 * newest state-root height, if it is above trusted and (max_height
 * non-zero) at most max_height, carrying the proof of the chain's key
 * record there (key_proof RPC), checked with ic_verify first. 1 built
 * (*height), 0 when there is no such height, -1 with why. */
int lf_build_key_update(const char *addr, const ic_params *p, const ic_consensus *trusted, uint64_t max_height,
                        uint64_t now_ms, bool revive, hbuf *out, uint64_t *height, char *why, size_t why_len);

/* Builds the update the chain at addr can give a light client whose latest
 * trusted state is `trusted`: towards the tip, or `target` if non-zero,
 * bisected as above, checked at now_ms (the verifying chain's BFT time).
 * Appends the encoded ic_update to out and sets *height to its header's.
 * revive: the trusted state is expired (a revival, ledger/client.h): its
 * trusting period is not checked.
 * Returns 1 when built, 0 when the source has nothing above the trusted
 * height, -1 on error (why says). ic_build_update fetching from addr, or a
 * FROST update (LF_CERT_AUTO above). */
int lf_build_update(const char *addr, const ic_params *p, const ic_consensus *trusted, uint64_t target,
                    uint64_t now_ms, bool revive, hbuf *out, uint64_t *height, char *why, size_t why_len);

#endif
