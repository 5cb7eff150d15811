/* frost_api.c — see frost_api.h. Everything is read from the committed
 * ledger state: the group key records (0x59) and, for the set deciding the
 * next block, its DKG window and the dealer records (0x58) it holds. */
#include "rpc/frost_api.h"

#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "ledger/state.h"
#include "ledger/tx_frost.h"
#include "node/frost_duty.h"
#include "node/frost_sign.h"
#include "store/store.h"
#include "threshold/checkpoint.h"
#include "rpc/node_json.h"

static json_t *ids_json(const uint8_t *bitmap, uint16_t n) {
    json_t *a = json_array();
    for (uint16_t d = 1; d <= n; d++)
        if (dkg_bitmap_get(bitmap, d)) json_array_append_new(a, json_integer(d));
    return a;
}

/* The handoff to epoch's key this node stored: {from, signature} (the old
 * group's signature, R || z in hex), or null. */
static json_t *handoff_json(node *n, uint64_t epoch) {
    hbuf b = HBUF_INIT;
    handoff h;
    bool ok = store_handoff_get(node_store(n), epoch, &b) == HANSA_OK &&
              handoff_decode(b.data, b.len, &h, NULL) == HANSA_OK;
    hbuf_free(&b);
    if (!ok) return json_null();
    uint8_t sig[FROST_SIG_BYTES];
    memcpy(sig, h.sig.R.b, FROST_POINT_BYTES);
    memcpy(sig + FROST_POINT_BYTES, h.sig.z.b, FROST_SCALAR_BYTES);
    return json_pack("{s:o, s:o, s:o}", "from", nj_u64(h.old_epoch), "from_key",
                     nj_hex(h.old_key.b, FROST_POINT_BYTES), "signature", nj_hex(sig, sizeof sig));
}

static json_t *key_json(node *n, uint64_t epoch, const frost_group_rec *g) {
    return json_pack("{s:o, s:o, s:i, s:i, s:o, s:o, s:o, s:o}", "epoch", nj_u64(epoch), "key",
                     nj_hex(g->key.b, FROST_POINT_BYTES), "n", (int)g->n, "t", (int)g->t, "qual",
                     ids_json(g->qual, g->n), "valset_hash", nj_hash(&g->valset_hash),
                     "keyed_at", nj_u64(g->keyed_at), "handoff_sig", handoff_json(n, epoch));
}

typedef struct {
    uint64_t epoch;
    frost_group_rec g;
} key_item;

typedef struct {
    key_item *items;
    size_t n, cap;
} key_list;

static void key_collect(void *ctx, uint64_t epoch, const frost_group_rec *g) {
    key_list *l = ctx;
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 8;
        l->items = hansa_realloc(l->items, l->cap * sizeof *l->items);
    }
    l->items[l->n++] = (key_item){epoch, *g};
}

static int by_epoch(const void *a, const void *b) {
    uint64_t x = ((const key_item *)a)->epoch, y = ((const key_item *)b)->epoch;
    return (x > y) - (x < y);
}

/* The key generation of the set deciding the next block. */
static json_t *dkg_json(const ledger_state *s) {
    frost_epoch *e = hansa_malloc(sizeof *e);
    frost_epoch_of(s, e);
    uint8_t committed[DKG_BITMAP_BYTES] = {0}, excluded[DKG_BITMAP_BYTES] = {0};
    frost_dealer_rec *d = hansa_malloc(sizeof *d);
    for (uint16_t i = 1; i <= e->ctx.n; i++) {
        if (!ledger_dkg_dealer_get(s, e->ctx.epoch, i, d)) continue;
        dkg_bitmap_set(committed, i);
        if (d->flags & FROST_DEALER_EXCLUDED) dkg_bitmap_set(excluded, i);
    }
    free(d);
    frost_group_rec g;
    const char *state = !e->keyable                               ? "not_keyable"
                        : ledger_group_key_get(s, e->ctx.epoch, &g) ? "keyed"
                        : ledger_height(s) + 1 < e->timing.reveal_end ? "open"
                                                                      : "failed";
    json_t *members = json_array();
    for (uint16_t i = 0; i < e->ctx.n; i++)
        json_array_append_new(members, nj_hex(e->members[i].b, HANSA_PUBKEY_BYTES));
    json_t *j = json_pack("{s:o, s:s, s:i, s:i, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "epoch",
                          nj_u64(e->ctx.epoch), "state", state, "n", (int)e->ctx.n, "t",
                          (int)dkg_threshold(e->ctx.n), "commit_end", nj_u64(e->timing.commit_end),
                          "complaint_end", nj_u64(e->timing.complaint_end), "reveal_end",
                          nj_u64(e->timing.reveal_end), "committed",
                          ids_json(committed, e->ctx.n), "excluded", ids_json(excluded, e->ctx.n),
                          "members", members, "valset_hash", nj_hash(&e->ctx.valset_hash));
    free(e);
    return j;
}

/* group_key {} -> {height, chain_id, current (the newest key, or null),
 * keys (every recorded key, oldest first, each with the handoff_sig this
 * node stored for it), dkg (the open set's key generation), duty (this
 * node's part, when it runs the duty)} */
static rpc_outcome m_group_key(rpc_call *call, json_t *params, void *ctx) {
    (void)call;
    node *n = ctx;
    rpc_outcome bad;
    static const char *const names[] = {NULL};
    if (!nj_params_only(params, names, &bad)) return bad;
    const ledger_state *s = node_ledger(n);
    key_list l = {0};
    ledger_group_keys_iter(s, key_collect, &l);
    if (l.n > 1) qsort(l.items, l.n, sizeof *l.items, by_epoch);
    json_t *keys = json_array();
    for (size_t i = 0; i < l.n; i++)
        json_array_append_new(keys, key_json(n, l.items[i].epoch, &l.items[i].g));
    json_t *current = l.n ? key_json(n, l.items[l.n - 1].epoch, &l.items[l.n - 1].g) : json_null();
    free(l.items);
    json_t *j = json_pack("{s:o, s:o, s:o, s:o, s:o}", "height", nj_u64(ledger_height(s)),
                          "chain_id", nj_u64(ledger_state_params(s)->chain_id), "current",
                          current, "keys", keys, "dkg", dkg_json(s));
    node_frost_state st;
    if (node_frost_status(n, &st))
        json_object_set_new(j, "duty", json_pack("{s:o, s:i, s:b, s:b}", "epoch", nj_u64(st.epoch),
                                                 "participant", (int)st.participant, "dealing",
                                                 st.dealing, "has_share", st.has_share));
    return rpc_ok(j);
}

/* checkpoint {height?} -> {height, header_hash, epoch, group_key, signature,
 * chain_id} for the stored checkpoint at height (default: the newest this
 * node stored), checked again against the group key before it is served. */
static rpc_outcome m_checkpoint(rpc_call *call, json_t *params, void *ctx) {
    (void)call;
    node *n = ctx;
    rpc_outcome bad;
    static const char *const names[] = {"height", NULL};
    if (!nj_params_only(params, names, &bad)) return bad;
    node_fsign_state st;
    node_fsign_status(n, &st);
    uint64_t height = st.last_stored;
    rpc_error err;
    if (!rpc_param_u64(params, "height", false, &height, &err)) return rpc_fail_with(&err);
    hbuf b = HBUF_INIT;
    checkpoint cp;
    uint32_t chain = ledger_state_params(node_ledger(n))->chain_id;
    hansa_err e = height ? store_checkpoint_get(node_store(n), height, &b) : HANSA_ERR_NOT_FOUND;
    if (e == HANSA_OK) e = checkpoint_decode(b.data, b.len, &cp, NULL);
    hbuf_free(&b);
    if (e == HANSA_ERR_NOT_FOUND)
        return rpc_fail(RPC_NOT_FOUND, json_pack("{s:o}", "height", nj_u64(height)),
                        "no signed checkpoint stored for this height");
    if (e != HANSA_OK || !checkpoint_verify(chain, &cp))
        return rpc_fail(RPC_INTERNAL_ERROR, NULL, "the stored checkpoint at %llu is unreadable (%s)",
                        (unsigned long long)height, hansa_errname(e));
    uint8_t sig[FROST_SIG_BYTES];
    memcpy(sig, cp.sig.R.b, FROST_POINT_BYTES);
    memcpy(sig + FROST_POINT_BYTES, cp.sig.z.b, FROST_SCALAR_BYTES);
    return rpc_ok(json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}", "height", nj_u64(cp.height),
                            "header_hash", nj_hash(&cp.header_hash), "epoch", nj_u64(cp.epoch),
                            "group_key", nj_hex(cp.group_key.b, FROST_POINT_BYTES), "signature",
                            nj_hex(sig, sizeof sig), "chain_id", nj_u64(chain)));
}

void rpc_frost_api_register(rpc_server *server, node *n) {
    rpc_register(server, "group_key", m_group_key, n);
    rpc_register(server, "checkpoint", m_checkpoint, n);
}
