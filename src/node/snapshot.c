/* snapshot.c — see snapshot.h. The copy is written in one LMDB transaction
 * on the consensus thread, once every checkpoint_blocks heights; its cost
 * is about that of the state root the same height already paid for
 * (`hansa bench-root`). */
#include "node/snapshot.h"

#include "base/assert.h"
#include "base/log.h"
#include "ledger/tx_frost.h"
#include "node/node_int.h"

bool node_snapshot_due(const node *n, const ledger_block *pb, ledger_snap_info *out) {
    hansa_hash root;
    if (!ledger_block_state_root(pb, &root)) return false;
    *out = (ledger_snap_info){.height = pb->info.height,
                              .app_hash = *ledger_block_app_hash(pb),
                              .prev_app_hash = *ledger_app_hash(n->state),
                              .writes_hash = *ledger_block_writes_hash(pb),
                              .state_root = root};
    return true;
}

static bool next_record(void *ctx, size_t i, const uint8_t **key, size_t *klen,
                        const uint8_t **val, size_t *vlen) {
    const ledger_writes *ws = ctx;
    if (i >= ws->n) return false;
    *key = ledger_write_key(ws, i, klen);
    *val = ledger_write_value(ws, i, vlen);
    return true;
}

static void any_key(void *ctx, uint64_t epoch, const frost_group_rec *g) {
    (void)epoch;
    (void)g;
    *(bool *)ctx = true;
}

void node_snapshot_write(node *n, ledger_snap_info *info) {
    bool keyed = false, snap = store_keeps_snapshots(n->cfg.st);
    ledger_group_keys_iter(n->state, any_key, &keyed);
    if (!keyed && !snap) return;
    HANSA_ASSERT(ledger_height(n->state) == info->height);
    ledger_writes ws = LEDGER_WRITES_INIT;
    ledger_state_records(n->state, &ws);
    /* Only a chain with a key pays for the proof: one more pass over the
     * records than the state root's. */
    if (keyed && ledger_key_proof(&ws, &info->prev_app_hash, &info->writes_hash, &n->key_proof))
        n->key_proof_height = info->height;
    if (!snap) {
        ledger_writes_free(&ws);
        return;
    }
    info->records = ws.n;
    info->bytes = ws.data.len;
    hbuf enc = HBUF_INIT;
    ledger_snap_info_encode(&enc, info);
    uint64_t k = ledger_state_params(n->state)->checkpoint_blocks;
    uint64_t drop_below = info->height > k ? info->height - k : 0; /* keeps h - K and h */
    hansa_err e = store_snap_write(n->cfg.st, info->height, enc.data, enc.len, next_record, &ws,
                                   drop_below);
    hbuf_free(&enc);
    ledger_writes_free(&ws);
    if (e != HANSA_OK) {
        chain_fatal(n, "height %llu: writing the state snapshot failed: %s",
                    (unsigned long long)info->height, store_errmsg(n->cfg.st));
        return;
    }
    LOG_I("node", "snapshot height=%llu records=%llu bytes=%llu", (unsigned long long)info->height,
          (unsigned long long)info->records, (unsigned long long)info->bytes);
}

const ic_key_proof *node_key_proof(const node *n, uint64_t *height) {
    *height = n->key_proof_height;
    return n->key_proof_height ? &n->key_proof : NULL;
}

uint64_t node_snapshot_prune_floor(node *n, uint64_t below) {
    uint64_t heights[1];
    size_t count = 0;
    if (!store_keeps_snapshots(n->cfg.st) ||
        store_snap_heights(n->cfg.st, heights, 1, &count) != HANSA_OK || count == 0)
        return below; /* a failed read prunes as before: the store reports it on its own */
    return heights[0] < below ? heights[0] : below;
}
