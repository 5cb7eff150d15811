/* bisect.c — see bisect.h. */
#include "interchain/bisect.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/mem.h"
#include "interchain/codec.h"
#include "wire/codec.h"

void ic_light_block_free(ic_light_block *lb) {
    wire_commit_free(&lb->commit);
    wire_valset_free(&lb->vals);
    wire_valset_free(&lb->next_vals);
    memset(lb, 0, sizeof *lb);
}

bool ic_light_block_check(ic_light_block *lb, const char *from, char *why, size_t why_len) {
    hansa_hash id, vh, nh;
    wire_header_hash(&lb->header, &id);
    wire_valset_hash(&lb->vals, &vh);
    wire_valset_hash(&lb->next_vals, &nh);
    if (!hash_eq(&id, &lb->commit.block) || lb->commit.height != lb->header.height) {
        snprintf(why, why_len, "%s: the commit is for another block", from);
        ic_light_block_free(lb);
        return false;
    }
    if (!hash_eq(&vh, &lb->header.validators_hash) || !hash_eq(&nh, &lb->header.next_validators_hash)) {
        snprintf(why, why_len, "%s: the validator sets are not the header's", from);
        ic_light_block_free(lb);
        return false;
    }
    lb->chain_id = lb->header.chain_id;
    lb->height = lb->header.height;
    return true;
}

/* The pre-check does not verify signatures: the ledger will, and a
 * relayer's choice of target only needs the power arithmetic. */
static bool sigs_later(void *ctx, const hansa_pubkey *pk, const char *domain, const uint8_t *msg, size_t len,
                       const hansa_sig *sig) {
    (void)ctx, (void)pk, (void)domain, (void)msg, (void)len, (void)sig;
    return true;
}

/* u takes lb's parts (lb's arrays move into u). */
static void update_of(ic_light_block *lb, const ic_consensus *trusted, const wire_valset *trusted_vals,
                      ic_update *u) {
    memset(u, 0, sizeof *u);
    u->trusted_height = trusted->height;
    u->header = lb->header;
    u->cert_kind = IC_CERT_COMMIT;
    u->commit = lb->commit;
    u->vals = lb->vals;
    memset(&lb->commit, 0, sizeof lb->commit);
    memset(&lb->vals, 0, sizeof lb->vals);
    if (lb->height != trusted->height + 1) {
        u->has_trusted_vals = true;
        u->trusted_vals.n = trusted_vals->n;
        u->trusted_vals.v = hansa_memdup(trusted_vals->v, trusted_vals->n * sizeof *trusted_vals->v);
    }
}

int ic_build_update(ic_fetch_fn fetch, void *ctx, const ic_params *p, const ic_consensus *trusted, uint64_t target,
                    uint64_t now_ms, bool revive, hbuf *out, uint64_t *height, char *why, size_t why_len) {
    return ic_build_update_key(fetch, ctx, p, trusted, target, NULL, now_ms, revive, out, height, why, why_len);
}

int ic_build_update_key(ic_fetch_fn fetch, void *ctx, const ic_params *p, const ic_consensus *trusted,
                        uint64_t target, const ic_key_proof *kp, uint64_t now_ms, bool revive, hbuf *out,
                        uint64_t *height, char *why, size_t why_len) {
    ic_light_block tip;
    if (!fetch(ctx, target, &tip, why, why_len)) return -1;
    if (tip.chain_id != p->chain_id) {
        snprintf(why, why_len, "the source serves chain %x, not %x", tip.chain_id, p->chain_id);
        ic_light_block_free(&tip);
        return -1;
    }
    if (tip.height <= trusted->height) {
        snprintf(why, why_len, "the source has nothing above height %" PRIu64, trusted->height);
        ic_light_block_free(&tip);
        return 0;
    }
    /* The trusted height's next set: the set of height trusted + 1. */
    ic_light_block first;
    if (!fetch(ctx, trusted->height + 1, &first, why, why_len)) {
        ic_light_block_free(&tip);
        return -1;
    }
    uint64_t goal = tip.height;
    int result = -1;
    cert_verifier no_sigs = {sigs_later, NULL};
    for (;;) {
        ic_light_block lb;
        if (goal == tip.height) {
            lb = tip;
            memset(&tip, 0, sizeof tip);
        } else if (!fetch(ctx, goal, &lb, why, why_len)) {
            break;
        }
        ic_update u;
        update_of(&lb, trusted, &first.vals, &u);
        ic_light_block_free(&lb);
        if (kp && goal == target) {
            u.has_key_proof = true;
            u.key_proof = *kp;
        }
        hansa_err err = ic_verify(p, trusted, &u, now_ms, !revive, &no_sigs, why, why_len);
        if (err == HANSA_OK) {
            ic_update_encode(out, &u);
            *height = goal;
            result = 1;
        }
        ic_update_free(&u);
        if (err != HANSA_ERR_QUORUM || goal == trusted->height + 1) break;
        goal = trusted->height + (goal - trusted->height) / 2; /* bisect towards the trusted height */
    }
    ic_light_block_free(&tip);
    ic_light_block_free(&first);
    return result;
}
