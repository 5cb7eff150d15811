/* client.c — see client.h: light-client records, transaction kinds and
 * approvals. The verification itself is interchain/client.c; here its
 * verdicts become records in the pending block's overlay. */
#include "ledger/client.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/mem.h"
#include "crypto/address.h"
#include "ledger/block.h"
#include "ledger/state.h"

/* ---- keys ------------------------------------------------------------------ */

/* Client, evidence and revival records: table byte | chain. */
static size_t key_chain(ledger_tab tab, uint32_t chain, uint8_t *out) {
    out[0] = stake_tab_key_byte(tab);
    be32_store(out + 1, chain);
    return CLIENT_KEY_BYTES;
}

static size_t key_consensus(uint32_t chain, uint64_t height, uint8_t *out) {
    out[0] = stake_tab_key_byte(LEDGER_TAB_IC_CONSENSUS);
    be32_store(out + 1, chain);
    be64_store(out + 5, height);
    return CLIENT_KEY_CONSENSUS_BYTES;
}

static size_t key_vote(uint32_t chain, const hansa_hash *subject, const hansa_addr *who, uint8_t *out) {
    out[0] = stake_tab_key_byte(LEDGER_TAB_IC_VOTE);
    be32_store(out + 1, chain);
    memcpy(out + 5, subject->b, HANSA_HASH_BYTES);
    memcpy(out + 5 + HANSA_HASH_BYTES, who->b, HANSA_ADDR_BYTES);
    return CLIENT_KEY_VOTE_BYTES;
}

hansa_err client_record_check(ledger_tab tab, const uint8_t *key, size_t klen, const uint8_t *val,
                              size_t vlen, wire_rd *r) {
    HANSA_ASSERT(klen >= CLIENT_KEY_BYTES);
    uint32_t chain = be32_load(key + 1);
    static ic_evidence_list evl; /* large: not on the stack; loading is single-threaded */
    ic_client c;
    ic_consensus cs;
    ic_revival rv;
    switch (tab) {
    case LEDGER_TAB_IC_CLIENT: return ic_client_decode(val, vlen, chain, &c, r);
    case LEDGER_TAB_IC_CONSENSUS: return ic_consensus_decode(val, vlen, be64_load(key + 5), &cs, r);
    case LEDGER_TAB_IC_EVIDENCE: return ic_evidence_list_decode(val, vlen, &evl, r);
    case LEDGER_TAB_IC_REVIVAL: return ic_revival_decode(val, vlen, &rv, r);
    case LEDGER_TAB_IC_VOTE:
        rd_init(r, val, vlen);
        if (rd_u8(r, "version") != LEDGER_RECORD_VERSION && r->err == HANSA_OK)
            rd_fail(r, HANSA_ERR_VERSION, "version");
        rd_end(r);
        return r->err;
    case LEDGER_TAB_CANDIDATE:
    case LEDGER_TAB_VOTE:
    case LEDGER_TAB_UNBOND:
    case LEDGER_TAB_EVIDENCE:
    case LEDGER_TAB_UPGRADE:
    case LEDGER_TAB_UPGRADE_VOTE:
    case LEDGER_TAB_BONDER:
    case LEDGER_TAB_LIVENESS:
    case LEDGER_TAB_CREDIT:
    case LEDGER_TAB_RECEIPT:
    case LEDGER_TAB_RECEIPT_RELEASE:
    case LEDGER_TAB_RECEIPT_ROOT:
    case LEDGER_TAB_XFER:
    case LEDGER_TAB_FROST:
    case LEDGER_TAB_COUNT_: break;
    }
    HANSA_UNREACHABLE();
}

/* ---- reading and writing through a block ------------------------------------- */

bool ledger_block_client(const ledger_block *b, uint32_t chain, ic_client *out) {
    uint8_t key[KVMAP_KEY_MAX];
    size_t klen = key_chain(LEDGER_TAB_IC_CLIENT, chain, key), vlen;
    const uint8_t *v = stake_raw_get(b, LEDGER_TAB_IC_CLIENT, key, klen, &vlen);
    if (v == NULL) return false;
    HANSA_ASSERT(ic_client_decode(v, vlen, chain, out, NULL) == HANSA_OK); /* checked at load */
    return true;
}

bool ledger_block_client_consensus(const ledger_block *b, uint32_t chain, uint64_t height,
                                   ic_consensus *out) {
    uint8_t key[KVMAP_KEY_MAX];
    size_t klen = key_consensus(chain, height, key), vlen;
    const uint8_t *v = stake_raw_get(b, LEDGER_TAB_IC_CONSENSUS, key, klen, &vlen);
    if (v == NULL) return false;
    HANSA_ASSERT(ic_consensus_decode(v, vlen, height, out, NULL) == HANSA_OK);
    return true;
}

static void client_put(ledger_block *b, const ic_client *c) {
    uint8_t key[KVMAP_KEY_MAX];
    size_t klen = key_chain(LEDGER_TAB_IC_CLIENT, c->params.chain_id, key);
    hbuf enc = HBUF_INIT;
    ic_client_encode(&enc, c);
    stake_raw_put(b, LEDGER_TAB_IC_CLIENT, key, klen, enc.data, enc.len);
    hbuf_free(&enc);
}

static void consensus_put(ledger_block *b, uint32_t chain, const ic_consensus *cs) {
    uint8_t key[KVMAP_KEY_MAX];
    size_t klen = key_consensus(chain, cs->height, key);
    hbuf enc = HBUF_INIT;
    ic_consensus_encode(&enc, cs);
    stake_raw_put(b, LEDGER_TAB_IC_CONSENSUS, key, klen, enc.data, enc.len);
    hbuf_free(&enc);
}

static void record_del(ledger_block *b, ledger_tab tab, const uint8_t *key, size_t klen) {
    stake_raw_put(b, tab, key, klen, NULL, 0);
}

typedef struct {
    const ledger_block *b;
    uint32_t chain;
} view_ctx;

static bool view_get(void *ctx, uint64_t height, ic_consensus *out) {
    const view_ctx *v = ctx;
    return ledger_block_client_consensus(v->b, v->chain, height, out);
}

/* Carries out what the rules decided. */
static void plan_apply(ledger_block *b, const ic_plan *p) {
    uint32_t chain = p->client.params.chain_id;
    uint8_t key[KVMAP_KEY_MAX];
    for (uint16_t i = 0; i < p->n_del; i++)
        record_del(b, LEDGER_TAB_IC_CONSENSUS, key, key_consensus(chain, p->del[i], key));
    if (p->has_put) consensus_put(b, chain, &p->put);
    client_put(b, &p->client);
    if (p->frozen_now && p->n_evidence > 0) {
        ic_evidence_list *l = hansa_malloc(sizeof *l);
        l->height = p->client.frozen_height;
        l->n = p->n_evidence;
        memcpy(l->ev, p->evidence, p->n_evidence * sizeof p->evidence[0]);
        hbuf enc = HBUF_INIT;
        ic_evidence_list_encode(&enc, l);
        size_t klen = key_chain(LEDGER_TAB_IC_EVIDENCE, chain, key);
        stake_raw_put(b, LEDGER_TAB_IC_EVIDENCE, key, klen, enc.data, enc.len);
        hbuf_free(&enc);
        free(l);
    }
}

/* The signatures of this transaction were verified by its check on this
 * same, unchanged pending block (tx.h: apply runs only after check), so
 * apply re-derives the plan without paying for them again. */
static bool already_verified(void *ctx, const hansa_pubkey *pk, const char *domain,
                             const uint8_t *msg, size_t len, const hansa_sig *sig) {
    (void)ctx, (void)pk, (void)domain, (void)msg, (void)len, (void)sig;
    return true;
}
static const cert_verifier verified_in_check = {already_verified, NULL};

static hansa_err client_must(const ledger_block *b, uint32_t chain, ic_client *out, char *why,
                             size_t why_len) {
    if (ledger_block_client(b, chain, out)) return HANSA_OK;
    ledger_why(why, why_len, "no light client of chain %" PRIx32 " on this chain", chain);
    return HANSA_ERR_NOT_FOUND;
}

/* Reports a body decoder's failure with where it happened. */
static hansa_err body_fail(const char *what, const wire_rd *r, char *why, size_t why_len) {
    char where[96];
    rd_describe(r, where, sizeof where);
    ledger_why(why, why_len, "%s body: %s", what, where);
    return r->err;
}

/* A growable list of keys from one table, to change it after the walk. */
typedef struct {
    uint8_t (*k)[KVMAP_KEY_MAX];
    size_t n, cap;
    const uint8_t *prefix; /* optional: keys starting with these bytes */
    size_t prefix_len;
} keys;

static void keys_add(void *ctx, const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen) {
    (void)val, (void)vlen;
    keys *l = ctx;
    if (l->prefix && (klen < l->prefix_len || memcmp(key, l->prefix, l->prefix_len) != 0)) return;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->k = hansa_realloc(l->k, l->cap * sizeof *l->k);
    }
    HANSA_ASSERT(klen <= KVMAP_KEY_MAX);
    memcpy(l->k[l->n++], key, klen);
}

/* ---- genesis ------------------------------------------------------------------ */

static void put_state_record(ledger_state *s, ledger_tab tab, const uint8_t *key, size_t klen,
                             const hbuf *val) {
    kvmap_put(&s->tabs[tab], key, klen, val->data, val->len);
}

hansa_err client_genesis(ledger_state *s, uint32_t own_chain, const ic_create *clients, size_t n,
                         char *why, size_t why_len) {
    if (n > LEDGER_CLIENTS_MAX) {
        ledger_why(why, why_len, "genesis has %zu clients, at most %u", n, LEDGER_CLIENTS_MAX);
        return HANSA_ERR_CONFIG;
    }
    for (size_t i = 0; i < n; i++) {
        const ic_create *cr = &clients[i];
        char inner[IC_WHY_MAX];
        if (ic_create_check(cr, inner, sizeof inner) != HANSA_OK) {
            ledger_why(why, why_len, "genesis client %zu (chain %" PRIx32 "): %s", i, cr->params.chain_id, inner);
            return HANSA_ERR_CONFIG;
        }
        if (cr->params.chain_id == own_chain) {
            ledger_why(why, why_len, "genesis client %zu follows this chain itself", i);
            return HANSA_ERR_CONFIG;
        }
        for (size_t j = 0; j < i; j++)
            if (clients[j].params.chain_id == cr->params.chain_id) {
                ledger_why(why, why_len, "genesis client of chain %" PRIx32 " appears twice", cr->params.chain_id);
                return HANSA_ERR_DUPLICATE;
            }
        if (s == NULL) continue;
        ic_client c = {.params = cr->params, .status = IC_STATUS_ACTIVE, .n_heights = 1};
        c.heights[0] = cr->root.height;
        ic_create_hash(cr, &c.root_hash);
        ic_consensus root = cr->root;
        root.local_height = 0;
        root.local_time_ms = s->params.genesis_time_ms;
        uint8_t key[KVMAP_KEY_MAX];
        hbuf enc = HBUF_INIT;
        ic_client_encode(&enc, &c);
        put_state_record(s, LEDGER_TAB_IC_CLIENT, key, key_chain(LEDGER_TAB_IC_CLIENT, c.params.chain_id, key), &enc);
        hbuf_reset(&enc);
        ic_consensus_encode(&enc, &root);
        put_state_record(s, LEDGER_TAB_IC_CONSENSUS, key, key_consensus(c.params.chain_id, root.height, key), &enc);
        hbuf_free(&enc);
    }
    return HANSA_OK;
}

/* ---- TX_CLIENT_CREATE ------------------------------------------------------------ */

hansa_err txc_create_decode(const uint8_t *body, uint32_t len, ledger_tx_body *out, char *why,
                            size_t why_len) {
    wire_rd r;
    if (ic_create_decode(body, len, &out->client_create, &r) != HANSA_OK)
        return body_fail("client create", &r, why, why_len);
    return HANSA_OK;
}

hansa_err txc_create_check(const ledger_block *b, const ledger_tx_ctx *c, char *why, size_t why_len) {
    const ic_create *cr = &c->body.client_create;
    char inner[IC_WHY_MAX];
    if (ic_create_check(cr, inner, sizeof inner) != HANSA_OK) {
        ledger_why(why, why_len, "client create: %s", inner);
        return HANSA_ERR_INVALID;
    }
    if (cr->params.chain_id == b->base->params.chain_id) {
        ledger_why(why, why_len, "a chain does not follow itself");
        return HANSA_ERR_INVALID;
    }
    ic_client old;
    if (ledger_block_client(b, cr->params.chain_id, &old)) {
        ledger_why(why, why_len, "chain %" PRIx32 " already has a client (%s since height %" PRIu64 ")",
                   cr->params.chain_id, ic_status_name((ic_status)old.status), old.since);
        return HANSA_ERR_DUPLICATE;
    }
    keys l = {0};
    stake_iter(b, LEDGER_TAB_IC_CLIENT, keys_add, &l);
    free(l.k);
    if (l.n >= LEDGER_CLIENTS_MAX) {
        ledger_why(why, why_len, "this chain already has %u light clients", LEDGER_CLIENTS_MAX);
        return HANSA_ERR_INVALID; /* not FULL: that tells a block builder the block is full */
    }
    return HANSA_OK;
}

void txc_create_apply(ledger_block *b, const ledger_tx_ctx *c) {
    const ic_create *cr = &c->body.client_create;
    ic_client cl = {.params = cr->params, .status = IC_STATUS_PENDING, .since = b->info.height,
                    .n_heights = 1};
    cl.heights[0] = cr->root.height;
    ic_create_hash(cr, &cl.root_hash);
    ic_consensus root = cr->root;
    root.local_height = b->info.height;
    root.local_time_ms = b->info.time_ms;
    consensus_put(b, cl.params.chain_id, &root);
    client_put(b, &cl);
}

/* ---- TX_CLIENT_APPROVE -------------------------------------------------------------- */

hansa_err txc_approve_decode(const uint8_t *body, uint32_t len, ledger_tx_body *out, char *why,
                             size_t why_len) {
    wire_rd r;
    if (ic_approve_decode(body, len, &out->client_approve.chain, &out->client_approve.subject, &r) !=
        HANSA_OK)
        return body_fail("client approve", &r, why, why_len);
    return HANSA_OK;
}

static bool revival_get(const ledger_block *b, uint32_t chain, ic_revival *out) {
    uint8_t key[KVMAP_KEY_MAX];
    size_t klen = key_chain(LEDGER_TAB_IC_REVIVAL, chain, key), vlen;
    const uint8_t *v = stake_raw_get(b, LEDGER_TAB_IC_REVIVAL, key, klen, &vlen);
    if (v == NULL) return false;
    HANSA_ASSERT(ic_revival_decode(v, vlen, out, NULL) == HANSA_OK);
    return true;
}

/* The local height a pending subject was submitted at, or 0 if (chain,
 * subject) names nothing pending. */
static uint64_t subject_since(const ledger_block *b, uint32_t chain, const hansa_hash *subject) {
    ic_client c;
    if (!ledger_block_client(b, chain, &c)) return 0;
    if (c.status == IC_STATUS_PENDING && hash_eq(&c.root_hash, subject)) return c.since; /* >= 1 */
    ic_revival rv;
    if (revival_get(b, chain, &rv) && hash_eq(&rv.cs.header_hash, subject)) return rv.proposed_at;
    return 0;
}

static uint64_t window(const ledger_block *b) { return b->base->params.elect.upgrade_window; }

hansa_err txc_approve_check(const ledger_block *b, const ledger_tx_ctx *c, char *why, size_t why_len) {
    uint32_t chain = c->body.client_approve.chain;
    const hansa_hash *subject = &c->body.client_approve.subject;
    uint64_t since = subject_since(b, chain, subject);
    if (since == 0) {
        ledger_why(why, why_len, "nothing of chain %" PRIx32 " waits for approval under this subject", chain);
        return HANSA_ERR_NOT_FOUND;
    }
    if (b->info.height - since > window(b)) {
        ledger_why(why, why_len, "the approval window (%" PRIu64 " heights) is over", window(b));
        return HANSA_ERR_INVALID;
    }
    uint8_t key[KVMAP_KEY_MAX];
    size_t klen = stake_key_bonder(&c->sender, key);
    if (stake_u64_get(b, LEDGER_TAB_BONDER, key, klen) == 0) {
        ledger_why(why, why_len, "only an address with bonded tokens may approve");
        return HANSA_ERR_INVALID;
    }
    klen = key_vote(chain, subject, &c->sender, key);
    if (stake_raw_get(b, LEDGER_TAB_IC_VOTE, key, klen, &(size_t){0}) != NULL) {
        ledger_why(why, why_len, "this address already approved it");
        return HANSA_ERR_DUPLICATE;
    }
    return HANSA_OK;
}

void txc_approve_apply(ledger_block *b, const ledger_tx_ctx *c) {
    uint8_t key[KVMAP_KEY_MAX];
    size_t klen = key_vote(c->body.client_approve.chain, &c->body.client_approve.subject, &c->sender, key);
    const uint8_t version = LEDGER_RECORD_VERSION;
    stake_raw_put(b, LEDGER_TAB_IC_VOTE, key, klen, &version, 1);
}

/* ---- TX_CLIENT_UPDATE ------------------------------------------------------------------ */

hansa_err txc_update_decode(const uint8_t *body, uint32_t len, ledger_tx_body *out, char *why,
                            size_t why_len) {
    (void)out;
    ic_update u;
    wire_rd r;
    if (ic_update_decode(body, len, &u, &r) != HANSA_OK) return body_fail("client update", &r, why, why_len);
    ic_update_free(&u);
    return HANSA_OK;
}

/* Runs the update rules; *plan is what apply writes. */
static hansa_err update_plan(const ledger_block *b, const wire_tx *tx, const cert_verifier *vf,
                             ic_plan *plan, char *why, size_t why_len) {
    ic_update u;
    HANSA_ASSERT(ic_update_decode(tx->body, tx->body_len, &u, NULL) == HANSA_OK); /* decode passed */
    ic_client cl;
    hansa_err err = client_must(b, u.header.chain_id, &cl, why, why_len);
    if (err == HANSA_OK) {
        view_ctx vc = {b, cl.params.chain_id};
        ic_view v = {&vc, view_get};
        char inner[IC_WHY_MAX] = "";
        err = ic_client_update(&cl, &v, &u, b->info.time_ms, b->info.height, vf, plan, inner, sizeof inner);
        if (err != HANSA_OK) ledger_why(why, why_len, "client update: %s", inner);
    }
    ic_update_free(&u);
    return err;
}

hansa_err txc_update_check(const ledger_block *b, const ledger_tx_ctx *c, char *why, size_t why_len) {
    ic_plan *plan = hansa_malloc(sizeof *plan);
    hansa_err err = update_plan(b, c->tx, NULL, plan, why, why_len);
    free(plan);
    return err;
}

void txc_update_apply(ledger_block *b, const ledger_tx_ctx *c) {
    ic_plan *plan = hansa_malloc(sizeof *plan);
    HANSA_ASSERT(update_plan(b, c->tx, &verified_in_check, plan, NULL, 0) == HANSA_OK);
    plan_apply(b, plan);
    free(plan);
}

/* ---- TX_CLIENT_MISBEHAVIOUR ----------------------------------------------------------- */

hansa_err txc_misbehaviour_decode(const uint8_t *body, uint32_t len, ledger_tx_body *out, char *why,
                                  size_t why_len) {
    (void)out;
    ic_update a, bb;
    wire_rd r;
    if (ic_misbehaviour_decode(body, len, &a, &bb, &r) != HANSA_OK)
        return body_fail("client misbehaviour", &r, why, why_len);
    ic_update_free(&a);
    ic_update_free(&bb);
    return HANSA_OK;
}

static hansa_err misbehaviour_plan(const ledger_block *b, const wire_tx *tx, const cert_verifier *vf,
                                   ic_plan *plan, char *why, size_t why_len) {
    ic_update u1, u2;
    HANSA_ASSERT(ic_misbehaviour_decode(tx->body, tx->body_len, &u1, &u2, NULL) == HANSA_OK);
    ic_client cl;
    hansa_err err = client_must(b, u1.header.chain_id, &cl, why, why_len);
    if (err == HANSA_OK) {
        view_ctx vc = {b, cl.params.chain_id};
        ic_view v = {&vc, view_get};
        char inner[IC_WHY_MAX] = "";
        err = ic_client_misbehaviour(&cl, &v, &u1, &u2, b->info.time_ms, b->info.height, vf, plan, inner,
                                     sizeof inner);
        if (err != HANSA_OK) ledger_why(why, why_len, "client misbehaviour: %s", inner);
    }
    ic_update_free(&u1);
    ic_update_free(&u2);
    return err;
}

hansa_err txc_misbehaviour_check(const ledger_block *b, const ledger_tx_ctx *c, char *why,
                                 size_t why_len) {
    ic_plan *plan = hansa_malloc(sizeof *plan);
    hansa_err err = misbehaviour_plan(b, c->tx, NULL, plan, why, why_len);
    free(plan);
    return err;
}

void txc_misbehaviour_apply(ledger_block *b, const ledger_tx_ctx *c) {
    ic_plan *plan = hansa_malloc(sizeof *plan);
    HANSA_ASSERT(misbehaviour_plan(b, c->tx, &verified_in_check, plan, NULL, 0) == HANSA_OK);
    plan_apply(b, plan);
    free(plan);
}

/* ---- TX_CLIENT_REVIVE -------------------------------------------------------------------- */

/* Runs the revival rules; *cs is the state to approve, *chain its chain. */
static hansa_err revive_state(const ledger_block *b, const wire_tx *tx, const cert_verifier *vf,
                              ic_consensus *cs, uint32_t *chain, char *why, size_t why_len) {
    ic_update u;
    HANSA_ASSERT(ic_update_decode(tx->body, tx->body_len, &u, NULL) == HANSA_OK);
    *chain = u.header.chain_id;
    ic_client cl;
    ic_revival pending;
    hansa_err err = client_must(b, *chain, &cl, why, why_len);
    if (err == HANSA_OK && revival_get(b, *chain, &pending)) {
        ledger_why(why, why_len, "a revival of chain %" PRIx32 " (header %" PRIu64 ") is waiting for approval",
                   *chain, pending.cs.height);
        err = HANSA_ERR_DUPLICATE;
    }
    if (err == HANSA_OK) {
        view_ctx vc = {b, *chain};
        ic_view v = {&vc, view_get};
        char inner[IC_WHY_MAX] = "";
        err = ic_client_revive_check(&cl, &v, &u, b->info.time_ms, vf, cs, inner, sizeof inner);
        if (err != HANSA_OK) ledger_why(why, why_len, "client revive: %s", inner);
    }
    ic_update_free(&u);
    return err;
}

hansa_err txc_revive_check(const ledger_block *b, const ledger_tx_ctx *c, char *why, size_t why_len) {
    ic_consensus cs;
    uint32_t chain;
    return revive_state(b, c->tx, NULL, &cs, &chain, why, why_len);
}

void txc_revive_apply(ledger_block *b, const ledger_tx_ctx *c) {
    ic_revival rv = {.proposed_at = b->info.height};
    uint32_t chain;
    HANSA_ASSERT(revive_state(b, c->tx, &verified_in_check, &rv.cs, &chain, NULL, 0) == HANSA_OK);
    uint8_t key[KVMAP_KEY_MAX];
    size_t klen = key_chain(LEDGER_TAB_IC_REVIVAL, chain, key);
    hbuf enc = HBUF_INIT;
    ic_revival_encode(&enc, &rv);
    stake_raw_put(b, LEDGER_TAB_IC_REVIVAL, key, klen, enc.data, enc.len);
    hbuf_free(&enc);
}

/* ---- approvals, at the end of each block ---------------------------------------------------- */

/* The approval records of (chain, subject), collected (free l->k). */
static void votes_of(const ledger_block *b, uint32_t chain, const hansa_hash *subject, keys *l) {
    uint8_t prefix[1 + 4 + HANSA_HASH_BYTES];
    prefix[0] = stake_tab_key_byte(LEDGER_TAB_IC_VOTE);
    be32_store(prefix + 1, chain);
    memcpy(prefix + 5, subject->b, HANSA_HASH_BYTES);
    *l = (keys){.prefix = prefix, .prefix_len = sizeof prefix};
    stake_iter(b, LEDGER_TAB_IC_VOTE, keys_add, l);
    l->prefix = NULL;
}

/* Sum of the current bonds of the approvers of (chain, subject). */
static uint64_t approved_power(const ledger_block *b, uint32_t chain, const hansa_hash *subject) {
    keys l;
    votes_of(b, chain, subject, &l);
    uint64_t sum = 0;
    for (size_t i = 0; i < l.n; i++) {
        hansa_addr who;
        memcpy(who.b, l.k[i] + 5 + HANSA_HASH_BYTES, HANSA_ADDR_BYTES);
        uint8_t bk[KVMAP_KEY_MAX];
        size_t bl = stake_key_bonder(&who, bk);
        HANSA_ASSERT(u64_add(sum, stake_u64_get(b, LEDGER_TAB_BONDER, bk, bl), &sum)); /* <= supply */
    }
    free(l.k);
    return sum;
}

static bool approved(const ledger_block *b, uint32_t chain, const hansa_hash *subject) {
    uint64_t bonded = b->supply.bonded;
    return bonded > 0 && (unsigned __int128)approved_power(b, chain, subject) * 3 >
                             (unsigned __int128)bonded * 2;
}

static void votes_drop(ledger_block *b, uint32_t chain, const hansa_hash *subject) {
    keys l;
    votes_of(b, chain, subject, &l);
    for (size_t i = 0; i < l.n; i++) record_del(b, LEDGER_TAB_IC_VOTE, l.k[i], CLIENT_KEY_VOTE_BYTES);
    free(l.k);
}

static void registration_tally(ledger_block *b, ic_client *c) {
    uint32_t chain = c->params.chain_id;
    uint8_t key[KVMAP_KEY_MAX];
    if (approved(b, chain, &c->root_hash)) {
        c->status = IC_STATUS_ACTIVE;
        c->since = b->info.height;
        client_put(b, c);
        votes_drop(b, chain, &c->root_hash);
    } else if (b->info.height - c->since >= window(b)) {
        /* The last height an approval was accepted at is since + window. */
        for (uint16_t i = 0; i < c->n_heights; i++)
            record_del(b, LEDGER_TAB_IC_CONSENSUS, key, key_consensus(chain, c->heights[i], key));
        record_del(b, LEDGER_TAB_IC_CLIENT, key, key_chain(LEDGER_TAB_IC_CLIENT, chain, key));
        votes_drop(b, chain, &c->root_hash);
    }
}

static void revival_tally(ledger_block *b, uint32_t chain) {
    ic_revival rv;
    ic_client c;
    if (!revival_get(b, chain, &rv)) return;
    HANSA_ASSERT(ledger_block_client(b, chain, &c));
    bool ok = approved(b, chain, &rv.cs.header_hash);
    bool stale = b->info.height - rv.proposed_at >= window(b) || rv.cs.height <= ic_client_latest(&c) ||
                 ic_consensus_expired(&c.params, &rv.cs, b->info.time_ms);
    if (!ok && !stale) return;
    if (ok && rv.cs.height > ic_client_latest(&c) && !ic_consensus_expired(&c.params, &rv.cs, b->info.time_ms)) {
        ic_plan *plan = hansa_malloc(sizeof *plan);
        ic_client_revive_plan(&c, &rv.cs, b->info.height, b->info.time_ms, plan);
        plan_apply(b, plan);
        free(plan);
    }
    uint8_t key[KVMAP_KEY_MAX];
    record_del(b, LEDGER_TAB_IC_REVIVAL, key, key_chain(LEDGER_TAB_IC_REVIVAL, chain, key));
    votes_drop(b, chain, &rv.cs.header_hash);
}

void client_block_finish(ledger_block *b) {
    keys l = {0};
    stake_iter(b, LEDGER_TAB_IC_CLIENT, keys_add, &l);
    for (size_t i = 0; i < l.n; i++) {
        uint32_t chain = be32_load(l.k[i] + 1);
        ic_client c;
        HANSA_ASSERT(ledger_block_client(b, chain, &c));
        if (c.status == IC_STATUS_PENDING) registration_tally(b, &c);
        else revival_tally(b, chain);
    }
    free(l.k);
}

/* ---- reading the committed state ------------------------------------------------------------ */

bool ledger_client_get(const ledger_state *s, uint32_t chain, ic_client *out) {
    ledger_block *b = ledger_block_begin_check(s);
    bool ok = ledger_block_client(b, chain, out);
    ledger_block_free(b);
    return ok;
}

bool ledger_client_consensus(const ledger_state *s, uint32_t chain, uint64_t height,
                             ic_consensus *out) {
    ledger_block *b = ledger_block_begin_check(s);
    bool ok = ledger_block_client_consensus(b, chain, height, out);
    ledger_block_free(b);
    return ok;
}

bool ledger_client_evidence(const ledger_state *s, uint32_t chain, ic_evidence_list *out) {
    ledger_block *b = ledger_block_begin_check(s);
    uint8_t key[KVMAP_KEY_MAX];
    size_t klen = key_chain(LEDGER_TAB_IC_EVIDENCE, chain, key), vlen;
    const uint8_t *v = stake_raw_get(b, LEDGER_TAB_IC_EVIDENCE, key, klen, &vlen);
    if (v != NULL) HANSA_ASSERT(ic_evidence_list_decode(v, vlen, out, NULL) == HANSA_OK);
    ledger_block_free(b);
    return v != NULL;
}

bool ledger_client_revival(const ledger_state *s, uint32_t chain, ic_revival *out) {
    ledger_block *b = ledger_block_begin_check(s);
    bool ok = revival_get(b, chain, out);
    ledger_block_free(b);
    return ok;
}

bool ledger_client_expired(const ledger_state *s, const ic_client *c, uint64_t now_ms) {
    ledger_block *b = ledger_block_begin_check(s);
    view_ctx vc = {b, c->params.chain_id};
    ic_view v = {&vc, view_get};
    bool expired = ic_client_expired(c, &v, now_ms);
    ledger_block_free(b);
    return expired;
}

uint64_t ledger_client_approvals(const ledger_state *s, uint32_t chain, const hansa_hash *subject) {
    ledger_block *b = ledger_block_begin_check(s);
    uint64_t power = approved_power(b, chain, subject);
    ledger_block_free(b);
    return power;
}

static int u32_cmp(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

size_t ledger_clients_list(const ledger_state *s, uint32_t *chains, size_t max) {
    ledger_block *b = ledger_block_begin_check(s);
    keys l = {0};
    stake_iter(b, LEDGER_TAB_IC_CLIENT, keys_add, &l);
    ledger_block_free(b);
    uint32_t *all = hansa_calloc(l.n ? l.n : 1, sizeof *all);
    for (size_t i = 0; i < l.n; i++) all[i] = be32_load(l.k[i] + 1);
    qsort(all, l.n, sizeof *all, u32_cmp);
    for (size_t i = 0; i < l.n && i < max; i++) chains[i] = all[i];
    free(all);
    free(l.k);
    return l.n;
}
