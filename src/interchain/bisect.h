/* bisect.h — choosing the update a light client can take from what a
 * foreign chain's nodes serve: the part of relaying that needs no I/O,
 * shared by hansad's relay driver (cmd/lib/lightfetch.c, which fetches over
 * RPC) and the simulator (sim/fed.c, which reads a simulated node's store).
 *
 * Nothing fetched is trusted: the chain's ledger verifies every update
 * against its light client. The checks made here (the commit names the
 * header, the sets hash to what the header says, the trust level holds) are
 * only there to pick a target the ledger will accept: when a skip from the
 * trusted height fails the trust level, the target is halved towards it
 * (CometBFT's bisection) until it holds or the step is adjacent. */
#ifndef HANSA_INTERCHAIN_BISECT_H
#define HANSA_INTERCHAIN_BISECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "interchain/client.h"
#include "wire/types.h"

/* One height of a chain as its nodes serve it (RPC light_block); owns its
 * arrays. */
typedef struct {
    uint32_t chain_id;
    uint64_t height;
    wire_header header;
    wire_commit commit;
    wire_valset vals;       /* the set that signed (header.validators_hash) */
    wire_valset next_vals;  /* the set the header announces */
} ic_light_block;

void ic_light_block_free(ic_light_block *lb);

/* Checks that lb's parts agree (the commit is for this header, the sets hash
 * to the header's) and sets its chain_id and height from the header; `from`
 * names the source in why. Frees lb and returns false if they do not. */
bool ic_light_block_check(ic_light_block *lb, const char *from, char *why, size_t why_len);

/* Fetches the light block of height (0: the source's tip) into *out, checked
 * as above; false with why when the source cannot serve it. */
typedef bool (*ic_fetch_fn)(void *ctx, uint64_t height, ic_light_block *out, char *why, size_t why_len);

/* Builds the update a light client with parameters p and latest trusted
 * state `trusted` can take: towards the source's tip, or `target` if
 * non-zero, bisected as above, checked at now_ms (the verifying chain's BFT
 * time). Appends the encoded ic_update to out and sets *height to its
 * header's. revive: the trusted state is expired (a revival,
 * ledger/client.h): its trusting period is not checked. Returns 1 when
 * built, 0 when the source has nothing above the trusted height, -1 when it
 * cannot serve what is needed or no target verifies (why says). */
int ic_build_update(ic_fetch_fn fetch, void *ctx, const ic_params *p, const ic_consensus *trusted, uint64_t target,
                    uint64_t now_ms, bool revive, hbuf *out, uint64_t *height, char *why, size_t why_len);

/* The same, and when the update goes to target itself (the trust level
 * holds there), it carries kp: a proof of the chain's key record at that
 * height (ledger_key_proof), checked by ic_verify with the rest. A key
 * proof the client would refuse (a stale key, a forged proof) fails the
 * update: -1 with why. */
int ic_build_update_key(ic_fetch_fn fetch, void *ctx, const ic_params *p, const ic_consensus *trusted,
                        uint64_t target, const ic_key_proof *kp, uint64_t now_ms, bool revive, hbuf *out,
                        uint64_t *height, char *why, size_t why_len);

#endif
