/* delegates_api.c — JSON-RPC methods about delegates (see delegates_api.h;
 * docs/rpc.md, "Delegates", has every method with its params and result).
 *
 * The views are built from the ledger's own ranking (ledger_ranking) and
 * validator sets, so what a client sees is exactly what the next election
 * would do; nothing here re-implements an election rule. Listings that come
 * from the ledger's hash tables (upgrades, unbonding, punished evidence)
 * arrive in table order and are sorted here, so two nodes with the same
 * state answer the same bytes. Record layouts are in ledger/stake.h. */
#include "rpc/delegates_api.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/buf.h"
#include "base/mem.h"
#include "crypto/address.h"
#include "ledger/elect.h"
#include "ledger/stake.h"
#include "rpc/node_json.h"
#include "wire/codec.h"

/* Proposals listed by `upgrade` at most: each costs a scan of the approval
 * records, and the answer must stay well under the server's reply sizes. */
#define LIST_MAX 10000

struct rpc_delegates_api {
    rpc_server *server;
    node *n;
};

static const ledger_state *state_of(const rpc_delegates_api *api) { return node_ledger(api->n); }

/* ---- roles ---- */

typedef enum { ROLE_ACTIVE, ROLE_BENCH, ROLE_NONE } role;

static const char *role_name(role r) {
    switch (r) {
    case ROLE_ACTIVE: return "active";
    case ROLE_BENCH: return "bench";
    case ROLE_NONE: return "none";
    }
    HANSA_UNREACHABLE();
}

/* The power of pk in set v, 0 if it is not a member. */
static uint64_t set_power(const ledger_validators *v, const hansa_pubkey *pk) {
    for (uint16_t i = 0; i < v->n; i++)
        if (pubkey_eq(&v->v[i].pubkey, pk)) return v->v[i].power;
    return 0;
}

/* Ranking with each entry's role: active = in the set deciding the next
 * block; bench = the first bench_max eligible candidates after them in
 * ranking order; the rest none. roles[] is allocated (free it). */
static void ranking_roles(const ledger_state *s, ledger_rank_entry **rank, size_t *n, role **roles) {
    ledger_ranking(s, rank, n);
    *roles = hansa_calloc(*n ? *n : 1, sizeof **roles);
    const ledger_validators *cur = ledger_state_valset(s, LEDGER_SET_CUR, NULL);
    size_t bench = 0, bench_max = ledger_state_params(s)->elect.bench_max;
    for (size_t i = 0; i < *n; i++) {
        const ledger_rank_entry *e = &(*rank)[i];
        if (set_power(cur, &e->pubkey) > 0) (*roles)[i] = ROLE_ACTIVE;
        else if (e->eligible && bench < bench_max) {
            (*roles)[i] = ROLE_BENCH;
            bench++;
        } else (*roles)[i] = ROLE_NONE;
    }
}

static json_t *candidate_view(const ledger_state *s, const ledger_rank_entry *e, role r) {
    uint32_t chain = ledger_state_params(s)->chain_id;
    const ledger_validators *cur = ledger_state_valset(s, LEDGER_SET_CUR, NULL);
    const ledger_validators *next = ledger_state_valset(s, LEDGER_SET_NEXT, NULL);
    json_t *j = json_object();
    json_object_set_new(j, "pubkey", nj_hex(e->pubkey.b, HANSA_PUBKEY_BYTES));
    json_object_set_new(j, "address", nj_address_of(chain, &e->pubkey));
    json_object_set_new(j, "self_bond", nj_u64(e->c.self_bond));
    json_object_set_new(j, "votes", nj_u64(e->c.voted));
    json_object_set_new(j, "weight", nj_u64(e->weight));
    json_object_set_new(j, "eligible", json_boolean(e->eligible));
    json_object_set_new(j, "jailed", json_boolean(e->c.flags & LEDGER_CAND_JAILED));
    json_object_set_new(j, "jailed_at", json_integer((json_int_t)e->c.jailed_at));
    json_object_set_new(j, "tombstoned", json_boolean(e->c.flags & LEDGER_CAND_TOMBSTONED));
    json_object_set_new(j, "missed", json_integer(ledger_missed_get(s, &e->pubkey)));
    json_object_set_new(j, "role", json_string(role_name(r)));
    json_object_set_new(j, "power", json_integer((json_int_t)set_power(cur, &e->pubkey)));
    json_object_set_new(j, "next_power", json_integer((json_int_t)set_power(next, &e->pubkey)));
    return j;
}

/* candidates {} -> {height, candidates: [...] in ranking order} */
static rpc_outcome m_candidates(rpc_call *call, json_t *params, void *ctx) {
    (void)call;
    rpc_delegates_api *api = ctx;
    rpc_outcome bad;
    static const char *const names[] = {NULL};
    if (!nj_params_only(params, names, &bad)) return bad;
    const ledger_state *s = state_of(api);
    ledger_rank_entry *rank;
    role *roles;
    size_t n;
    ranking_roles(s, &rank, &n, &roles);
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) json_array_append_new(list, candidate_view(s, &rank[i], roles[i]));
    free(rank);
    free(roles);
    return rpc_ok(json_pack("{s:I, s:o}", "height", (json_int_t)ledger_height(s), "candidates", list));
}

/* A validator list as [{pubkey, address, power}]. */
static json_t *set_view(const ledger_validators *v, uint32_t chain) {
    json_t *a = json_array();
    for (uint16_t i = 0; i < v->n; i++)
        json_array_append_new(a, json_pack("{s:o, s:o, s:I}", "pubkey",
                                           nj_hex(v->v[i].pubkey.b, HANSA_PUBKEY_BYTES), "address",
                                           nj_address_of(chain, &v->v[i].pubkey), "power",
                                           (json_int_t)v->v[i].power));
    return a;
}

/* The first height above h that is a multiple of epoch (an election). */
static uint64_t next_election(uint64_t h, uint32_t epoch) {
    HANSA_ASSERT(epoch > 0);
    return (h / epoch + 1) * epoch;
}

/* delegates {} -> {height, active, active_from, next, next_from, bench, epoch_blocks,
 *                  next_election} */
static rpc_outcome m_delegates(rpc_call *call, json_t *params, void *ctx) {
    (void)call;
    rpc_delegates_api *api = ctx;
    rpc_outcome bad;
    static const char *const names[] = {NULL};
    if (!nj_params_only(params, names, &bad)) return bad;
    const ledger_state *s = state_of(api);
    const ledger_params *p = ledger_state_params(s);
    uint64_t cur_from = 0, next_from = 0;
    const ledger_validators *cur = ledger_state_valset(s, LEDGER_SET_CUR, &cur_from);
    const ledger_validators *next = ledger_state_valset(s, LEDGER_SET_NEXT, &next_from);
    ledger_rank_entry *rank;
    role *roles;
    size_t n;
    ranking_roles(s, &rank, &n, &roles);
    json_t *bench = json_array();
    for (size_t i = 0; i < n; i++)
        if (roles[i] == ROLE_BENCH)
            json_array_append_new(bench, json_pack("{s:o, s:o, s:o}", "pubkey",
                                                   nj_hex(rank[i].pubkey.b, HANSA_PUBKEY_BYTES),
                                                   "address", nj_address_of(p->chain_id, &rank[i].pubkey),
                                                   "weight", nj_u64(rank[i].weight)));
    free(rank);
    free(roles);
    uint64_t h = ledger_height(s);
    json_t *r = json_object();
    json_object_set_new(r, "height", json_integer((json_int_t)h));
    json_object_set_new(r, "active", set_view(cur, p->chain_id));
    json_object_set_new(r, "active_from", json_integer((json_int_t)cur_from));
    json_object_set_new(r, "next", set_view(next, p->chain_id));
    json_object_set_new(r, "next_from", json_integer((json_int_t)next_from));
    json_object_set_new(r, "bench", bench);
    json_object_set_new(r, "epoch_blocks", json_integer((json_int_t)p->elect.epoch_blocks));
    json_object_set_new(r, "next_election",
                        json_integer((json_int_t)next_election(h, p->elect.epoch_blocks)));
    return rpc_ok(r);
}

/* ---- evidence ---- */

typedef struct {
    hansa_hash hash;
    uint64_t height;
} punished;

static void collect_punished(void *ctx, const uint8_t *key, size_t klen, const uint8_t *val,
                             size_t vlen) {
    hbuf *b = ctx;
    HANSA_ASSERT(klen == 1 + HANSA_HASH_BYTES);
    HANSA_ASSERT(vlen == 9);
    punished p;
    memcpy(p.hash.b, key + 1, HANSA_HASH_BYTES);
    p.height = le64_load(val + 1);
    hbuf_append(b, &p, sizeof p);
}

static int punished_cmp(const void *a, const void *b) {
    const punished *x = a, *y = b;
    if (x->height != y->height) return x->height < y->height ? -1 : 1;
    return memcmp(x->hash.b, y->hash.b, HANSA_HASH_BYTES);
}

static json_t *evidence_view(const wire_evidence *ev, uint32_t chain) {
    hansa_hash h;
    wire_evidence_hash(ev, &h);
    return json_pack("{s:o, s:o, s:o, s:I, s:i, s:s}", "hash", nj_hash(&h), "offender",
                     nj_hex(ev->a.validator.b, HANSA_PUBKEY_BYTES), "offender_address",
                     nj_address_of(chain, &ev->a.validator), "height", (json_int_t)ev->a.height,
                     "round", (int)ev->a.round, "type",
                     ev->a.type == VOTE_PREVOTE ? "prevote" : "precommit");
}

/* evidence {} -> {punished: [{hash, height}], pending: [evidence views]} */
static rpc_outcome m_evidence(rpc_call *call, json_t *params, void *ctx) {
    (void)call;
    rpc_delegates_api *api = ctx;
    rpc_outcome bad;
    static const char *const names[] = {NULL};
    if (!nj_params_only(params, names, &bad)) return bad;
    const ledger_state *s = state_of(api);
    hbuf b = HBUF_INIT;
    ledger_records_iter(s, LEDGER_TAB_EVIDENCE, collect_punished, &b);
    size_t np = b.len / sizeof(punished);
    punished *ps = (punished *)b.data;
    if (np) qsort(ps, np, sizeof *ps, punished_cmp);
    json_t *plist = json_array();
    for (size_t i = 0; i < np; i++)
        json_array_append_new(plist, json_pack("{s:o, s:I}", "hash", nj_hash(&ps[i].hash),
                                               "height", (json_int_t)ps[i].height));
    hbuf_free(&b);
    size_t n_pool;
    const wire_evidence *pool = node_evidence_pool(api->n, &n_pool);
    json_t *pending = json_array();
    for (size_t i = 0; i < n_pool; i++)
        json_array_append_new(pending, evidence_view(&pool[i], node_chain_id(api->n)));
    return rpc_ok(json_pack("{s:I, s:o, s:o}", "height", (json_int_t)ledger_height(s), "punished",
                            plist, "pending", pending));
}

/* ---- upgrades ---- */

typedef struct {
    hansa_hash hash;
    ledger_upgrade u;
} proposal;

typedef struct {
    const ledger_state *s;
    hbuf out;
} proposal_walk;

/* Collects each proposal's hash from its key and reads the record through
 * the ledger (ledger_upgrade_get), so its byte layout stays the ledger's. */
static void collect_proposal(void *ctx, const uint8_t *key, size_t klen, const uint8_t *val,
                             size_t vlen) {
    proposal_walk *w = ctx;
    (void)val;
    (void)vlen;
    HANSA_ASSERT(klen == 1 + HANSA_HASH_BYTES);
    proposal p;
    memcpy(p.hash.b, key + 1, HANSA_HASH_BYTES);
    bool found = ledger_upgrade_get(w->s, &p.hash, &p.u);
    HANSA_ASSERT(found); /* the iteration just yielded its key */
    hbuf_append(&w->out, &p, sizeof p);
}

static int proposal_cmp(const void *a, const void *b) {
    const proposal *x = a, *y = b;
    if (x->u.proposed_at != y->u.proposed_at) return x->u.proposed_at < y->u.proposed_at ? -1 : 1;
    return memcmp(x->hash.b, y->hash.b, HANSA_HASH_BYTES);
}

/* Every proposal, sorted by proposal height then hash. *out allocated. */
static size_t proposals_list(const ledger_state *s, proposal **out) {
    proposal_walk w = {s, HBUF_INIT};
    ledger_records_iter(s, LEDGER_TAB_UPGRADE, collect_proposal, &w);
    size_t n = w.out.len / sizeof(proposal);
    *out = hansa_calloc(n ? n : 1, sizeof **out);
    if (n) memcpy(*out, w.out.data, n * sizeof **out);
    hbuf_free(&w.out);
    if (n) qsort(*out, n, sizeof **out, proposal_cmp);
    return n;
}

bool rpc_latest_ratified(const ledger_state *s, hansa_hash *out) {
    proposal *ps;
    size_t n = proposals_list(s, &ps);
    const proposal *best = NULL;
    for (size_t i = 0; i < n; i++) {
        if (ps[i].u.ratified_at == 0) continue;
        if (!best || ps[i].u.ratified_at > best->u.ratified_at ||
            (ps[i].u.ratified_at == best->u.ratified_at &&
             memcmp(ps[i].hash.b, best->hash.b, HANSA_HASH_BYTES) < 0))
            best = &ps[i];
    }
    if (best) *out = best->hash;
    free(ps);
    return best != NULL;
}

typedef struct {
    const ledger_state *s;
    const hansa_hash *hash;
    uint64_t approvals, weight;
} approval_sum;

/* Upgrade vote key: 25 | software hash 32 | addr 20. */
static void sum_approval(void *ctx, const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen) {
    (void)val;
    (void)vlen;
    approval_sum *a = ctx;
    HANSA_ASSERT(klen == 1 + HANSA_HASH_BYTES + HANSA_ADDR_BYTES);
    if (memcmp(key + 1, a->hash->b, HANSA_HASH_BYTES) != 0) return;
    hansa_addr who;
    memcpy(who.b, key + 1 + HANSA_HASH_BYTES, HANSA_ADDR_BYTES);
    a->approvals++;
    a->weight += ledger_bonded_get(a->s, &who); /* bonds are parts of the supply: no overflow */
}

/* An open proposal's tally is its votes now; a closed one's, kept in its
 * record, is the tally when it closed (its votes are deleted after). */
static json_t *proposal_view(const ledger_state *s, const proposal *p) {
    approval_sum a = {s, &p->hash, p->u.approvals, p->u.approval_weight};
    if (p->u.closed_at == 0) ledger_records_iter(s, LEDGER_TAB_UPGRADE_VOTE, sum_approval, &a);
    uint64_t window = ledger_state_params(s)->elect.upgrade_window;
    json_t *j = json_object();
    json_object_set_new(j, "hash", nj_hash(&p->hash));
    json_object_set_new(j, "proposed_at", json_integer((json_int_t)p->u.proposed_at));
    json_object_set_new(j, "open_until", json_integer((json_int_t)(p->u.proposed_at + window)));
    json_object_set_new(j, "ratified", json_boolean(p->u.ratified_at != 0));
    json_object_set_new(j, "ratified_at", json_integer((json_int_t)p->u.ratified_at));
    json_object_set_new(j, "approvals", json_integer((json_int_t)a.approvals));
    json_object_set_new(j, "approval_weight", nj_u64(a.weight));
    json_object_set_new(j, "bonded_total", nj_u64(ledger_state_supply(s)->bonded));
    return j;
}

/* upgrade {hash?} -> {height, latest_ratified, proposals} or one proposal */
static rpc_outcome m_upgrade(rpc_call *call, json_t *params, void *ctx) {
    (void)call;
    rpc_delegates_api *api = ctx;
    rpc_outcome bad;
    static const char *const names[] = {"hash", NULL};
    if (!nj_params_only(params, names, &bad)) return bad;
    const ledger_state *s = state_of(api);
    if (params && json_object_get(params, "hash")) {
        proposal p;
        if (!nj_param_hash(params, &p.hash, &bad)) return bad;
        if (!ledger_upgrade_get(s, &p.hash, &p.u))
            return rpc_fail(RPC_NOT_FOUND, json_pack("{s:o}", "hash", nj_hash(&p.hash)),
                            "no upgrade proposal for this software hash");
        return rpc_ok(proposal_view(s, &p));
    }
    proposal *ps;
    size_t n = proposals_list(s, &ps);
    json_t *list = json_array();
    for (size_t i = 0; i < n && i < LIST_MAX; i++) json_array_append_new(list, proposal_view(s, &ps[i]));
    free(ps);
    hansa_hash latest;
    json_t *lj = rpc_latest_ratified(s, &latest) ? nj_hash(&latest) : json_null();
    return rpc_ok(json_pack("{s:I, s:o, s:o}", "height", (json_int_t)ledger_height(s),
                            "latest_ratified", lj, "proposals", list));
}

/* ---- unbonding ---- */

typedef struct {
    uint64_t release;
    hansa_pubkey cand;
    uint64_t amount;
} unbond_entry;

typedef struct {
    const hansa_addr *who;
    hbuf entries;
} unbond_scan;

/* Unbond key: 22 | release u64 BE | addr 20 | pubkey 32. */
static void collect_unbond(void *ctx, const uint8_t *key, size_t klen, const uint8_t *val,
                           size_t vlen) {
    unbond_scan *u = ctx;
    HANSA_ASSERT(klen == 1 + 8 + HANSA_ADDR_BYTES + HANSA_PUBKEY_BYTES);
    HANSA_ASSERT(vlen == 9);
    if (memcmp(key + 9, u->who->b, HANSA_ADDR_BYTES) != 0) return;
    unbond_entry e = {0, {{0}}, le64_load(val + 1)};
    for (int i = 0; i < 8; i++) e.release = e.release << 8 | key[1 + i];
    memcpy(e.cand.b, key + 9 + HANSA_ADDR_BYTES, HANSA_PUBKEY_BYTES);
    hbuf_append(&u->entries, &e, sizeof e);
}

static int unbond_cmp(const void *a, const void *b) {
    const unbond_entry *x = a, *y = b;
    if (x->release != y->release) return x->release < y->release ? -1 : 1;
    return memcmp(x->cand.b, y->cand.b, HANSA_PUBKEY_BYTES);
}

/* unbonding {address} -> {address, bonded, total, entries: [{candidate, amount, release_height}]} */
static rpc_outcome m_unbonding(rpc_call *call, json_t *params, void *ctx) {
    (void)call;
    rpc_delegates_api *api = ctx;
    rpc_outcome bad;
    static const char *const names[] = {"address", NULL};
    if (!nj_params_only(params, names, &bad)) return bad;
    uint32_t chain = node_chain_id(api->n);
    hansa_addr addr;
    if (!nj_param_address(params, chain, &addr, &bad)) return bad;
    const ledger_state *s = state_of(api);
    unbond_scan u = {&addr, HBUF_INIT};
    ledger_records_iter(s, LEDGER_TAB_UNBOND, collect_unbond, &u);
    size_t n = u.entries.len / sizeof(unbond_entry);
    unbond_entry *es = (unbond_entry *)u.entries.data;
    if (n) qsort(es, n, sizeof *es, unbond_cmp);
    json_t *list = json_array();
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++) {
        total += es[i].amount; /* parts of the supply: no overflow */
        json_array_append_new(list, json_pack("{s:o, s:o, s:o, s:I}", "candidate",
                                              nj_hex(es[i].cand.b, HANSA_PUBKEY_BYTES),
                                              "candidate_address", nj_address_of(chain, &es[i].cand),
                                              "amount", nj_u64(es[i].amount), "release_height",
                                              (json_int_t)es[i].release));
    }
    hbuf_free(&u.entries);
    return rpc_ok(json_pack("{s:o, s:I, s:o, s:o, s:o}", "address", nj_address(chain, &addr),
                            "height", (json_int_t)ledger_height(s), "bonded",
                            nj_u64(ledger_bonded_get(s, &addr)), "unbonding", nj_u64(total),
                            "entries", list));
}

rpc_delegates_api *rpc_delegates_api_new(rpc_server *server, node *n) {
    rpc_delegates_api *api = hansa_calloc(1, sizeof *api);
    api->server = server;
    api->n = n;
    rpc_register(server, "candidates", m_candidates, api);
    rpc_register(server, "delegates", m_delegates, api);
    rpc_register(server, "evidence", m_evidence, api);
    rpc_register(server, "upgrade", m_upgrade, api);
    rpc_register(server, "unbonding", m_unbonding, api);
    return api;
}

void rpc_delegates_api_free(rpc_delegates_api *api) { free(api); }
