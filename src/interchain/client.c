/* client.c — see client.h. The rules, each quoting the CometBFT / IBC rule
 * it follows (light/verifier.go, 07-tendermint) where there is one. */
#include "interchain/client.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/assert.h"
#include "wire/codec.h"
#include "wire/state_hash.h"

static void why_set(char *why, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void why_set(char *why, size_t n, const char *fmt, ...) {
    if (why == NULL || n == 0) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, n, fmt, ap);
    va_end(ap);
}

hansa_err ic_params_check(const ic_params *p, char *why, size_t why_len) {
    if (p->trusting_period_ms < IC_TRUSTING_PERIOD_MIN_MS ||
        p->trusting_period_ms > IC_TRUSTING_PERIOD_MAX_MS) {
        why_set(why, why_len, "trusting_period_ms %" PRIu64 " is outside 1000..%llu", p->trusting_period_ms,
                IC_TRUSTING_PERIOD_MAX_MS);
        return HANSA_ERR_INVALID;
    }
    if (p->max_clock_drift_ms > p->trusting_period_ms) {
        why_set(why, why_len, "max_clock_drift_ms %" PRIu64 " exceeds the trusting period", p->max_clock_drift_ms);
        return HANSA_ERR_INVALID;
    }
    return HANSA_OK;
}

bool ic_consensus_keyless(const ic_consensus *cs) {
    /* The identity's encoding (all zero) stands for "no key": no group key
     * decodes to it (RFC 9591 section 3.1 refuses the identity). */
    static const frost_point none;
    return frost_point_eq(&cs->group_key, &none);
}

hansa_err ic_create_check(const ic_create *c, char *why, size_t why_len) {
    hansa_err err = ic_params_check(&c->params, why, why_len);
    if (err != HANSA_OK) return err;
    if (hash_is_zero(&c->root.validators_hash) || hash_is_zero(&c->root.next_validators_hash)) {
        why_set(why, why_len, "the trust root has no validators_hash or next_validators_hash");
        return HANSA_ERR_INVALID;
    }
    const ic_consensus *r = &c->root;
    if (ic_consensus_keyless(r) ? (r->key_epoch != 0 || r->key_time_ms != 0) : r->key_time_ms != r->time_ms) {
        why_set(why, why_len, "the trust root's group key must be current as of the root's time "
                              "(and a root without a key names no epoch)");
        return HANSA_ERR_INVALID;
    }
    return HANSA_OK;
}

void ic_consensus_of_header(const wire_header *h, ic_consensus *out) {
    memset(out, 0, sizeof *out);
    out->height = h->height;
    out->time_ms = h->time_ms;
    wire_header_hash(h, &out->header_hash);
    out->app_hash = h->app_hash;
    out->tx_root = h->tx_root;
    out->validators_hash = h->validators_hash;
    out->next_validators_hash = h->next_validators_hash;
}

void ic_consensus_after(const ic_consensus *trusted, const ic_update *u, ic_consensus *out) {
    ic_consensus_of_header(&u->header, out);
    switch ((ic_cert_kind)u->cert_kind) {
    case IC_CERT_COMMIT:
        if (u->has_key_proof) {
            out->key_epoch = u->key_proof.epoch;
            out->group_key = u->key_proof.rec.key;
            out->key_time_ms = u->header.time_ms;
            return;
        }
        out->key_epoch = trusted->key_epoch;
        out->group_key = trusted->group_key;
        out->key_time_ms = trusted->key_time_ms;
        return;
    case IC_CERT_FROST:
        out->key_epoch = u->ckpt.epoch;
        out->group_key = u->ckpt.group_key;
        out->key_time_ms = u->header.time_ms;
        return;
    }
    HANSA_ASSERT(!"ic_consensus_after: a verified update has a known kind");
}

/* Whether `time_ms + trusting period <= now` (saturating). */
static bool period_over(const ic_params *p, uint64_t time_ms, uint64_t now_ms) {
    uint64_t end = time_ms > UINT64_MAX - p->trusting_period_ms ? UINT64_MAX
                                                                : time_ms + p->trusting_period_ms;
    return end <= now_ms;
}

bool ic_consensus_expired(const ic_params *p, const ic_consensus *cs, uint64_t now_ms) {
    /* 07-tendermint IsExpired: expirationTime = time + trustingPeriod;
     * expired when !expirationTime.After(now). */
    return period_over(p, cs->time_ms, now_ms);
}

/* Sum of the power, in the trusted set, of the commit's signers (found by
 * public key: the commit's indices point into the header's own set). */
static uint64_t trusted_signed_power(const wire_commit *c, const wire_valset *own,
                                     const wire_valset *trusted) {
    uint64_t sum = 0;
    for (uint16_t i = 0; i < c->n_sigs; i++) {
        const hansa_pubkey *pk = &own->v[c->sigs[i].validator_index].pubkey;
        size_t lo = 0, hi = trusted->n;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            int cmp = pubkey_cmp(&trusted->v[mid].pubkey, pk);
            if (cmp == 0) {
                sum += trusted->v[mid].power; /* <= WIRE_TOTAL_POWER_MAX in all */
                break;
            }
            if (cmp < 0) lo = mid + 1;
            else hi = mid;
        }
    }
    return sum;
}

static bool valset_total(const wire_valset *vs, uint64_t *total) {
    *total = 0;
    for (uint16_t i = 0; i < vs->n; i++) {
        if (vs->v[i].power > WIRE_TOTAL_POWER_MAX - *total) return false;
        *total += vs->v[i].power;
    }
    return vs->n > 0;
}

/* Rules on the header alone against the trusted state and the clock. */
static hansa_err header_rules(const ic_params *p, const ic_consensus *trusted, const wire_header *h,
                              uint64_t now_ms, bool check_expiry, char *why, size_t why_len) {
    if (h->chain_id != p->chain_id) {
        why_set(why, why_len, "the header is for chain %x, the client follows chain %x", h->chain_id,
                p->chain_id);
        return HANSA_ERR_WRONG_CHAIN;
    }
    /* verifyNewHeaderAndVals: untrustedHeader.Height > trustedHeader.Height */
    if (h->height <= trusted->height) {
        why_set(why, why_len, "header height %" PRIu64 " is not above the trusted height %" PRIu64,
                h->height, trusted->height);
        return HANSA_ERR_INVALID;
    }
    /* VerifyNonAdjacent/VerifyAdjacent: HeaderExpired(trustedHeader, trustingPeriod, now) */
    if (check_expiry && ic_consensus_expired(p, trusted, now_ms)) {
        why_set(why, why_len, "the trusted state at height %" PRIu64 " (time %" PRIu64
                " ms) expired: trusting period %" PRIu64 " ms, now %" PRIu64 " ms",
                trusted->height, trusted->time_ms, p->trusting_period_ms, now_ms);
        return HANSA_ERR_STATE;
    }
    /* untrustedHeader.Time.After(trustedHeader.Time) */
    if (h->time_ms <= trusted->time_ms) {
        why_set(why, why_len, "header time %" PRIu64 " ms is not after the trusted header's %" PRIu64 " ms",
                h->time_ms, trusted->time_ms);
        return HANSA_ERR_INVALID;
    }
    /* untrustedHeader.Time.Before(now.Add(maxClockDrift)) */
    uint64_t limit = now_ms > UINT64_MAX - p->max_clock_drift_ms ? UINT64_MAX : now_ms + p->max_clock_drift_ms;
    if (h->time_ms >= limit) {
        why_set(why, why_len, "header time %" PRIu64 " ms is from the future: our BFT time is %" PRIu64
                " ms and max_clock_drift %" PRIu64 " ms", h->time_ms, now_ms, p->max_clock_drift_ms);
        return HANSA_ERR_INVALID;
    }
    return HANSA_OK;
}

/* VerifyAdjacent: the header is decided by the set the trusted header
 * announced (untrustedHeader.ValidatorsHash == trustedHeader.NextValidatorsHash)
 * and links to it. A genesis trust root has no header hash to link to. */
static hansa_err adjacent_links(const ic_consensus *trusted, const wire_header *h, char *why,
                                size_t why_len) {
    if (!hash_eq(&h->validators_hash, &trusted->next_validators_hash)) {
        why_set(why, why_len, "wrong validator set: header %" PRIu64 " is not decided by the set "
                "the trusted header announced (next_validators_hash)", h->height);
        return HANSA_ERR_INVALID;
    }
    if (!hash_is_zero(&trusted->header_hash) && !hash_eq(&h->prev_block, &trusted->header_hash)) {
        why_set(why, why_len, "header %" PRIu64 " does not link to the trusted header (prev_block)",
                h->height);
        return HANSA_ERR_INVALID;
    }
    return HANSA_OK;
}

/* The certificate names the header, and the sets are the ones the header
 * and the trusted state name. */
static hansa_err binding_rules(const ic_params *p, const ic_consensus *trusted, const ic_update *u,
                               char *why, size_t why_len) {
    const wire_header *h = &u->header;
    hansa_hash hh, vh;
    wire_valset_hash(&u->vals, &vh);
    if (!hash_eq(&vh, &h->validators_hash)) {
        why_set(why, why_len, "the validator set given does not hash to the header's validators_hash");
        return HANSA_ERR_INVALID;
    }
    if (u->commit.chain_id != p->chain_id) {
        why_set(why, why_len, "the commit is for chain %x", u->commit.chain_id);
        return HANSA_ERR_WRONG_CHAIN;
    }
    wire_header_hash(h, &hh);
    if (u->commit.height != h->height || !hash_eq(&u->commit.block, &hh)) {
        why_set(why, why_len, "the commit is for another block (height %" PRIu64 ")", u->commit.height);
        return HANSA_ERR_INVALID;
    }
    bool adjacent = h->height == trusted->height + 1;
    if (adjacent) {
        if (u->has_trusted_vals) {
            why_set(why, why_len, "an adjacent update carries no trusted set (its own set is the one "
                                  "the trusted header announced)");
            return HANSA_ERR_INVALID;
        }
        return adjacent_links(trusted, h, why, why_len);
    }
    if (!u->has_trusted_vals) {
        why_set(why, why_len, "a skipping update (trusted %" PRIu64 ", header %" PRIu64
                ") must carry the trusted height's next validator set", trusted->height, h->height);
        return HANSA_ERR_INVALID;
    }
    wire_valset_hash(&u->trusted_vals, &vh);
    if (!hash_eq(&vh, &trusted->next_validators_hash)) {
        why_set(why, why_len, "wrong trusted set: it does not hash to the trusted header's "
                              "next_validators_hash");
        return HANSA_ERR_INVALID;
    }
    return HANSA_OK;
}

/* Power rules: trust level of the trusted set when skipping, then more
 * than 2/3 of the header's own set; then every signature. */
static hansa_err power_rules(const ic_consensus *trusted, const ic_update *u, const cert_verifier *vf,
                             char *why, size_t why_len) {
    uint64_t signed_power = 0, total = 0;
    hansa_err err = cert_commit_shape(&u->commit, u->vals.v, u->vals.n, &signed_power, &total);
    if (err != HANSA_OK) {
        why_set(why, why_len, "the commit does not fit the header's set: %s", hansa_strerror(err));
        return err;
    }
    if (u->header.height != trusted->height + 1) {
        /* VerifyNonAdjacent: trustedNextVals.VerifyCommitLightTrusting(trustLevel) */
        uint64_t t_total;
        if (!valset_total(&u->trusted_vals, &t_total)) {
            why_set(why, why_len, "the trusted set's power is out of range");
            return HANSA_ERR_INVALID;
        }
        uint64_t t_signed = trusted_signed_power(&u->commit, &u->vals, &u->trusted_vals);
        if (!((unsigned __int128)t_signed * IC_TRUST_DEN > (unsigned __int128)t_total * IC_TRUST_NUM)) {
            why_set(why, why_len, "insufficient power: %" PRIu64 " of the trusted set's %" PRIu64
                    " signed, more than 1/3 needed to skip from height %" PRIu64,
                    t_signed, t_total, trusted->height);
            return HANSA_ERR_QUORUM;
        }
    }
    /* untrustedVals.VerifyCommitLight: more than 2/3 of the header's set */
    if (!(signed_power * 3 > total * 2)) {
        why_set(why, why_len, "insufficient power: %" PRIu64 " of the header's set's %" PRIu64
                " signed, more than 2/3 needed", signed_power, total);
        return HANSA_ERR_QUORUM;
    }
    size_t bad = 0;
    err = cert_commit_sigs(vf, &u->commit, u->vals.v, u->vals.n, &bad);
    if (err != HANSA_OK) {
        why_set(why, why_len, "forged commit: signature %zu (validator index %u) does not verify", bad,
                u->commit.sigs[bad].validator_index);
        return err;
    }
    return HANSA_OK;
}

/* The FROST rules (docs/interchain.md, "FROST checkpoints"), after the
 * header rules: the cheap checks of what the checkpoint names first, then
 * the handoffs from the trusted key, each verified by the key before it,
 * then the checkpoint under the key reached: 1 + n_handoffs verifications. */
static hansa_err frost_rules(const ic_params *p, const ic_consensus *trusted, const ic_update *u,
                             uint64_t now_ms, bool check_expiry, char *why, size_t why_len) {
    const wire_header *h = &u->header;
    const checkpoint *c = &u->ckpt;
    if (u->commit.n_sigs != 0 || u->vals.n != 0 || u->has_trusted_vals || u->has_key_proof) {
        why_set(why, why_len, "a FROST update carries no commit, no validator set and no key proof");
        return HANSA_ERR_INVALID;
    }
    if (u->n_handoffs > IC_FROST_HANDOFFS_MAX) {
        why_set(why, why_len, "%u handoffs: at most %u per update", u->n_handoffs, IC_FROST_HANDOFFS_MAX);
        return HANSA_ERR_INVALID;
    }
    hansa_hash hh;
    wire_header_hash(h, &hh);
    if (c->height != h->height || !hash_eq(&c->header_hash, &hh)) {
        why_set(why, why_len, "the checkpoint is for another header (height %" PRIu64 ")", c->height);
        return HANSA_ERR_INVALID;
    }
    /* A key's epoch is its set's activation height: it signs no earlier
     * height, and a checkpoint claiming so names no key that was current. */
    if (c->epoch > c->height) {
        why_set(why, why_len, "the checkpoint of height %" PRIu64 " names key epoch %" PRIu64
                ", which starts later", c->height, c->epoch);
        return HANSA_ERR_INVALID;
    }
    /* Adjacent: the same links a commit update needs. A header the group
     * signed always has them; checking costs nothing and keeps the two kinds'
     * adjacent headers alike. */
    if (h->height == trusted->height + 1) {
        hansa_err err = adjacent_links(trusted, h, why, why_len);
        if (err != HANSA_OK) return err;
    }
    if (ic_consensus_keyless(trusted)) {
        why_set(why, why_len, "the trusted state at height %" PRIu64 " names no group key of chain %x: "
                "a client learns one from its trust root or a key proof", trusted->height, p->chain_id);
        return HANSA_ERR_STATE;
    }
    if (check_expiry && period_over(p, trusted->key_time_ms, now_ms)) {
        why_set(why, why_len, "the trusted group key (epoch %" PRIu64 ") expired: last shown current at "
                "%" PRIu64 " ms, trusting period %" PRIu64 " ms, now %" PRIu64 " ms",
                trusted->key_epoch, trusted->key_time_ms, p->trusting_period_ms, now_ms);
        return HANSA_ERR_STATE;
    }
    frost_trust t = {.chain_id = p->chain_id, .epoch = trusted->key_epoch, .key = trusted->group_key};
    char inner[IC_WHY_MAX];
    for (uint8_t i = 0; i < u->n_handoffs; i++) {
        hansa_err err = frost_trust_follow(&t, &u->handoffs[i], inner, sizeof inner);
        if (err != HANSA_OK) {
            why_set(why, why_len, "handoff %u (epoch %" PRIu64 " to %" PRIu64 ", the key reached is of "
                    "epoch %" PRIu64 "): %s", i, u->handoffs[i].old_epoch, u->handoffs[i].new_epoch,
                    t.epoch, inner);
            return err;
        }
    }
    hansa_err err = frost_trust_checkpoint(&t, c, inner, sizeof inner);
    if (err != HANSA_OK) {
        why_set(why, why_len, "%s (checkpoint epoch %" PRIu64 ", key reached of epoch %" PRIu64 ")",
                inner, c->epoch, t.epoch);
        return err;
    }
    return HANSA_OK;
}

/* The key proof of a commit update whose header is already proven: the
 * record is in the state the header's app hash commits to, it is the key
 * of the set deciding that header (an older set's key is stale there), and
 * it is not older than the key the client trusts. Then the client trusts
 * it from the header's time on, as if the trust root had named it. */
static hansa_err key_proof_rules(const ic_consensus *trusted, const ic_update *u, char *why,
                                 size_t why_len) {
    const ic_key_proof *k = &u->key_proof;
    const wire_header *h = &u->header;
    if (k->rec.keyed_at > h->height || k->epoch >= k->rec.keyed_at) {
        why_set(why, why_len, "key proof: the key of epoch %" PRIu64 ", recorded at height %" PRIu64
                ", cannot be in the state after height %" PRIu64, k->epoch, k->rec.keyed_at, h->height);
        return HANSA_ERR_INVALID;
    }
    hansa_hash app;
    state_app_hash_checkpoint(&k->prev_app_hash, h->height, &k->writes_hash, &k->state_root, &app);
    if (!hash_eq(&app, &h->app_hash)) {
        why_set(why, why_len, "key proof: the state root does not make the app hash of header %" PRIu64
                " (not a state-root height, or a forged root)", h->height);
        return HANSA_ERR_PROOF;
    }
    uint8_t key[FROST_KEY_GROUP_BYTES];
    hbuf val = HBUF_INIT;
    frost_group_rec_encode(&val, &k->rec);
    hansa_hash leaf;
    state_record_leaf_hash(key, frost_group_rec_key(k->epoch, key), val.data, val.len, &leaf);
    hbuf_free(&val);
    if (!merkle_verify(&leaf, k->leaf_index, k->n_leaves, k->path, k->path_len, &k->state_root)) {
        why_set(why, why_len, "key proof: the path of the key record of epoch %" PRIu64 " (leaf %" PRIu64
                " of %" PRIu64 ") does not lead to the state root: a forged proof", k->epoch, k->leaf_index,
                k->n_leaves);
        return HANSA_ERR_PROOF;
    }
    if (!hash_eq(&k->rec.valset_hash, &h->validators_hash)) {
        why_set(why, why_len, "key proof: the key of epoch %" PRIu64 " is of another set than the one "
                "deciding header %" PRIu64 ": a stale epoch's key is not learned", k->epoch, h->height);
        return HANSA_ERR_STATE;
    }
    if (ic_consensus_keyless(trusted)) return HANSA_OK;
    if (k->epoch < trusted->key_epoch) {
        why_set(why, why_len, "key proof: the key of epoch %" PRIu64 " is older than the trusted key of "
                "epoch %" PRIu64 ": a key never replaces a newer one", k->epoch, trusted->key_epoch);
        return HANSA_ERR_STATE;
    }
    if (k->epoch == trusted->key_epoch && !frost_point_eq(&k->rec.key, &trusted->group_key)) {
        why_set(why, why_len, "key proof: another key for the trusted epoch %" PRIu64, k->epoch);
        return HANSA_ERR_STATE;
    }
    return HANSA_OK;
}

hansa_err ic_verify(const ic_params *p, const ic_consensus *trusted, const ic_update *u,
                    uint64_t now_ms, bool check_expiry, const cert_verifier *vf, char *why,
                    size_t why_len) {
    HANSA_ASSERT(p != NULL && trusted != NULL && u != NULL);
    if (u->cert_kind != IC_CERT_COMMIT && u->cert_kind != IC_CERT_FROST) {
        why_set(why, why_len, "unknown certificate kind %u", u->cert_kind);
        return HANSA_ERR_INVALID;
    }
    hansa_err err = header_rules(p, trusted, &u->header, now_ms, check_expiry, why, why_len);
    if (err != HANSA_OK) return err;
    if (u->cert_kind == IC_CERT_FROST) return frost_rules(p, trusted, u, now_ms, check_expiry, why, why_len);
    err = binding_rules(p, trusted, u, why, why_len);
    if (err == HANSA_OK) err = power_rules(trusted, u, vf, why, why_len);
    if (err == HANSA_OK && u->has_key_proof) err = key_proof_rules(trusted, u, why, why_len);
    return err;
}

/* ---- bookkeeping ------------------------------------------------------------ */

uint64_t ic_client_latest(const ic_client *c) {
    HANSA_ASSERT(c->n_heights >= 1 && c->n_heights <= IC_HISTORY_MAX);
    return c->heights[c->n_heights - 1];
}

static bool has_height(const ic_client *c, uint64_t h) {
    for (uint16_t i = 0; i < c->n_heights; i++)
        if (c->heights[i] == h) return true;
    return false;
}

/* Reads a stored state the client's record lists: missing is a broken
 * invariant of the caller's storage, not bad input. */
static void must_get(const ic_view *v, uint64_t h, ic_consensus *out) {
    HANSA_ASSERT(v->get(v->ctx, h, out));
    HANSA_ASSERT(out->height == h);
}

bool ic_client_expired(const ic_client *c, const ic_view *v, uint64_t now_ms) {
    if (c->status != IC_STATUS_ACTIVE) return false;
    ic_consensus latest;
    must_get(v, ic_client_latest(c), &latest);
    return ic_consensus_expired(&c->params, &latest, now_ms);
}

static hansa_err usable(const ic_client *c, const ic_view *v, uint64_t now_ms, char *why,
                        size_t why_len) {
    switch ((ic_status)c->status) {
    case IC_STATUS_PENDING:
        why_set(why, why_len, "the client of chain %x is not approved yet", c->params.chain_id);
        return HANSA_ERR_STATE;
    case IC_STATUS_FROZEN:
        why_set(why, why_len, "the client of chain %x is frozen (%s at height %" PRIu64 ")",
                c->params.chain_id, ic_freeze_reason_name((ic_freeze_reason)c->freeze_reason),
                c->frozen_height);
        return HANSA_ERR_STATE;
    case IC_STATUS_ACTIVE: break;
    }
    if (ic_client_expired(c, v, now_ms)) {
        why_set(why, why_len, "the client of chain %x expired (latest height %" PRIu64
                "): it can only be revived", c->params.chain_id, ic_client_latest(c));
        return HANSA_ERR_STATE;
    }
    return HANSA_OK;
}

static void plan_init(const ic_client *c, ic_plan *plan) {
    plan->client = *c;
    plan->has_put = false;
    plan->n_del = 0;
    plan->frozen_now = false;
    plan->n_evidence = 0;
}

static void plan_freeze(ic_plan *plan, ic_freeze_reason reason, uint64_t height, uint64_t local_height) {
    plan->client.status = IC_STATUS_FROZEN;
    plan->client.freeze_reason = (uint8_t)reason;
    plan->client.frozen_height = height;
    plan->client.since = local_height;
    plan->frozen_now = true;
}

/* Adds cs to the plan's history, then prunes: expired states except the
 * latest, then the lowest beyond IC_HISTORY_MAX. */
static void plan_insert(ic_plan *plan, const ic_view *v, const ic_consensus *cs, uint64_t now_ms) {
    ic_client *c = &plan->client;
    uint64_t hs[IC_HISTORY_MAX + 1];
    uint16_t n = 0;
    bool placed = false;
    for (uint16_t i = 0; i < c->n_heights; i++) {
        if (!placed && cs->height < c->heights[i]) {
            hs[n++] = cs->height;
            placed = true;
        }
        hs[n++] = c->heights[i];
    }
    if (!placed) hs[n++] = cs->height;
    HANSA_ASSERT(n == c->n_heights + 1);
    uint64_t latest = hs[n - 1];
    uint16_t kept = 0;
    for (uint16_t i = 0; i < n; i++) {
        bool drop = false;
        if (hs[i] != latest && hs[i] != cs->height) {
            ic_consensus old;
            must_get(v, hs[i], &old);
            drop = ic_consensus_expired(&c->params, &old, now_ms);
        }
        if (drop) plan->del[plan->n_del++] = hs[i];
        else hs[kept++] = hs[i];
    }
    uint16_t first = kept > IC_HISTORY_MAX ? (uint16_t)(kept - IC_HISTORY_MAX) : 0;
    for (uint16_t i = 0; i < first; i++) plan->del[plan->n_del++] = hs[i];
    c->n_heights = (uint16_t)(kept - first);
    memcpy(c->heights, hs + first, c->n_heights * sizeof hs[0]);
    HANSA_ASSERT(c->n_heights >= 1);
    plan->has_put = true;
    plan->put = *cs;
}

/* The stored neighbours of height h: largest below, smallest above. */
static void neighbours(const ic_client *c, uint64_t h, int *below, int *above) {
    *below = *above = -1;
    for (uint16_t i = 0; i < c->n_heights; i++) {
        if (c->heights[i] < h) *below = i;
        else if (c->heights[i] > h && *above < 0) *above = i;
    }
}

static hansa_err trusted_get(const ic_client *c, const ic_view *v, uint64_t h, ic_consensus *out,
                             char *why, size_t why_len) {
    if (!has_height(c, h)) {
        why_set(why, why_len, "trusted height %" PRIu64 " is not stored (the client keeps %" PRIu64
                "..%" PRIu64 ")", h, c->heights[0], ic_client_latest(c));
        return HANSA_ERR_NOT_FOUND;
    }
    must_get(v, h, out);
    return HANSA_OK;
}

hansa_err ic_client_update(const ic_client *c, const ic_view *v, const ic_update *u,
                           uint64_t now_ms, uint64_t local_height, const cert_verifier *vf,
                           ic_plan *plan, char *why, size_t why_len) {
    plan_init(c, plan);
    hansa_err err = usable(c, v, now_ms, why, why_len);
    if (err != HANSA_OK) return err;
    ic_consensus trusted, cs, stored;
    err = trusted_get(c, v, u->trusted_height, &trusted, why, why_len);
    if (err != HANSA_OK) return err;
    ic_consensus_of_header(&u->header, &cs);
    bool exists = has_height(c, cs.height);
    if (exists) {
        must_get(v, cs.height, &stored);
        if (hash_eq(&stored.header_hash, &cs.header_hash)) {
            why_set(why, why_len, "height %" PRIu64 " is already verified with this header", cs.height);
            return HANSA_ERR_DUPLICATE;
        }
    }
    err = ic_verify(&c->params, &trusted, u, now_ms, true, vf, why, why_len);
    if (err != HANSA_OK) return err;
    ic_consensus_after(&trusted, u, &cs);
    cs.local_height = local_height;
    cs.local_time_ms = now_ms;
    /* 07-tendermint CheckForMisbehaviour: a valid header that differs from
     * the stored one at its height proves the chain forked. */
    if (exists) {
        plan_freeze(plan, IC_FREEZE_CONFLICT, cs.height, local_height);
        why_set(why, why_len, "conflicting header at height %" PRIu64 ": the client is frozen", cs.height);
        return HANSA_OK;
    }
    /* ... and so does one whose time does not fit between its neighbours'. */
    int below, above;
    neighbours(c, cs.height, &below, &above);
    ic_consensus nb;
    bool broken = false;
    if (below >= 0) {
        must_get(v, c->heights[below], &nb);
        broken = nb.time_ms >= cs.time_ms;
    }
    if (!broken && above >= 0) {
        must_get(v, c->heights[above], &nb);
        broken = nb.time_ms <= cs.time_ms;
    }
    if (broken) {
        plan_freeze(plan, IC_FREEZE_TIME, cs.height, local_height);
        why_set(why, why_len, "header %" PRIu64 " breaks time monotonicity: the client is frozen", cs.height);
        return HANSA_OK;
    }
    plan_insert(plan, v, &cs, now_ms);
    return HANSA_OK;
}

/* The duplicate precommits of validators that signed both commits (same
 * round, different blocks). Both signer lists are sorted by public key
 * (increasing indices into sorted sets), so one merge pass finds them. */
static void collect_evidence(const ic_update *a, const ic_update *b, ic_plan *plan) {
    if (a->commit.round != b->commit.round) return;
    uint16_t i = 0, j = 0;
    while (i < a->commit.n_sigs && j < b->commit.n_sigs) {
        const hansa_pubkey *pa = &a->vals.v[a->commit.sigs[i].validator_index].pubkey;
        const hansa_pubkey *pb = &b->vals.v[b->commit.sigs[j].validator_index].pubkey;
        int cmp = pubkey_cmp(pa, pb);
        if (cmp < 0) { i++; continue; }
        if (cmp > 0) { j++; continue; }
        wire_vote va, vb;
        wire_commit_vote(&a->commit, i, pa, &va);
        wire_commit_vote(&b->commit, j, pb, &vb);
        HANSA_ASSERT(plan->n_evidence < WIRE_VALIDATORS_MAX);
        HANSA_ASSERT(wire_evidence_make(&va, &vb, &plan->evidence[plan->n_evidence]) == HANSA_OK);
        plan->n_evidence++;
        i++;
        j++;
    }
}

hansa_err ic_client_misbehaviour(const ic_client *c, const ic_view *v, const ic_update *a,
                                 const ic_update *b, uint64_t now_ms, uint64_t local_height,
                                 const cert_verifier *vf, ic_plan *plan, char *why,
                                 size_t why_len) {
    plan_init(c, plan);
    if (c->status == IC_STATUS_FROZEN) {
        why_set(why, why_len, "the client of chain %x is already frozen", c->params.chain_id);
        return HANSA_ERR_DUPLICATE;
    }
    if (c->status == IC_STATUS_PENDING) {
        why_set(why, why_len, "the client of chain %x is not approved yet", c->params.chain_id);
        return HANSA_ERR_STATE;
    }
    const ic_update *both[2] = {a, b};
    for (int k = 0; k < 2; k++) {
        ic_consensus trusted;
        char inner[IC_WHY_MAX];
        hansa_err err = trusted_get(c, v, both[k]->trusted_height, &trusted, inner, sizeof inner);
        if (err == HANSA_OK)
            err = ic_verify(&c->params, &trusted, both[k], now_ms, true, vf, inner, sizeof inner);
        if (err != HANSA_OK) {
            why_set(why, why_len, "header %c: %s", k == 0 ? 'a' : 'b', inner);
            return err;
        }
    }
    const wire_header *ha = &a->header, *hb = &b->header;
    if (ha->height == hb->height) {
        hansa_hash x, y;
        wire_header_hash(ha, &x);
        wire_header_hash(hb, &y);
        if (hash_eq(&x, &y)) {
            why_set(why, why_len, "not misbehaviour: the two headers are the same");
            return HANSA_ERR_INVALID;
        }
        plan_freeze(plan, IC_FREEZE_CONFLICT, ha->height, local_height);
        collect_evidence(a, b, plan);
        return HANSA_OK;
    }
    const wire_header *lo = ha->height < hb->height ? ha : hb, *hi = lo == ha ? hb : ha;
    if (lo->time_ms < hi->time_ms) {
        why_set(why, why_len, "not misbehaviour: heights %" PRIu64 " < %" PRIu64 " with growing times",
                lo->height, hi->height);
        return HANSA_ERR_INVALID;
    }
    plan_freeze(plan, IC_FREEZE_TIME, hi->height, local_height);
    return HANSA_OK;
}

hansa_err ic_client_revive_check(const ic_client *c, const ic_view *v, const ic_update *u,
                                 uint64_t now_ms, const cert_verifier *vf, ic_consensus *out,
                                 char *why, size_t why_len) {
    bool frozen = c->status == IC_STATUS_FROZEN;
    if (!frozen && !ic_client_expired(c, v, now_ms)) {
        why_set(why, why_len, "the client of chain %x is %s: only an expired or frozen client is revived",
                c->params.chain_id, c->status == IC_STATUS_PENDING ? "not approved yet" : "live");
        return HANSA_ERR_STATE;
    }
    uint64_t latest = ic_client_latest(c);
    if (u->trusted_height != latest) {
        why_set(why, why_len, "a revival is proven from the latest trusted height %" PRIu64 ", not %" PRIu64,
                latest, u->trusted_height);
        return HANSA_ERR_INVALID;
    }
    ic_consensus trusted;
    must_get(v, latest, &trusted);
    hansa_err err = ic_verify(&c->params, &trusted, u, now_ms, false, vf, why, why_len);
    if (err != HANSA_OK) return err;
    ic_consensus_after(&trusted, u, out);
    /* A revived client must be able to go on from its new state. */
    if (ic_consensus_expired(&c->params, out, now_ms)) {
        why_set(why, why_len, "the revival header %" PRIu64 " is itself past the trusting period: "
                "bring a recent one", out->height);
        return HANSA_ERR_INVALID;
    }
    return HANSA_OK;
}

void ic_client_revive_plan(const ic_client *c, const ic_consensus *cs, uint64_t local_height,
                           uint64_t local_time_ms, ic_plan *plan) {
    HANSA_ASSERT(cs->height > ic_client_latest(c));
    plan_init(c, plan);
    for (uint16_t i = 0; i < c->n_heights; i++) plan->del[plan->n_del++] = c->heights[i];
    plan->client.status = IC_STATUS_ACTIVE;
    plan->client.freeze_reason = IC_FREEZE_NONE;
    plan->client.frozen_height = 0;
    plan->client.since = local_height;
    plan->client.n_heights = 1;
    plan->client.heights[0] = cs->height;
    plan->has_put = true;
    plan->put = *cs;
    plan->put.local_height = local_height;
    plan->put.local_time_ms = local_time_ms;
}

const char *ic_status_name(ic_status s) {
    switch (s) {
    case IC_STATUS_PENDING: return "pending";
    case IC_STATUS_ACTIVE: return "active";
    case IC_STATUS_FROZEN: return "frozen";
    }
    return "unknown";
}

const char *ic_freeze_reason_name(ic_freeze_reason r) {
    switch (r) {
    case IC_FREEZE_NONE: return "none";
    case IC_FREEZE_CONFLICT: return "conflicting headers";
    case IC_FREEZE_TIME: return "time not monotonic";
    }
    return "unknown";
}
