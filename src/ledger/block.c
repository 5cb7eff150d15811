/* block.c — see block.h: the pending-block overlay, its write set and app
 * hash, whole-block execution, and the app hash comparison. */
#include "ledger/block.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/hex.h"
#include "base/mem.h"
#include "crypto/address.h"
#include "ledger/client.h"
#include "ledger/state_root.h"
#include "ledger/elect.h"
#include "ledger/tx.h"
#include "ledger/tx_frost.h"
#include "ledger/tx_receipt.h"
#include "ledger/xfer.h"
#include "wire/codec.h"

/* The memory of the last few freed blocks, kept for the next block_new. A
 * ledger_block is about 16 KB (three validator sets inline), and a node
 * begins several per height (proposal check, its own proposal, each mempool
 * recheck) while others are still pending: a fresh allocation each time was
 * about 8% of the simulator's time in malloc and page faults. Per thread, so
 * threads never share one; a thread that ends would leave its spares behind
 * (at most 8 x 16 KB), which is why only the node's and the simulator's one
 * ledger thread should build blocks. */
#define SPARE_BLOCKS 8
static _Thread_local ledger_block *spare_blocks[SPARE_BLOCKS];
static _Thread_local size_t n_spare_blocks;
/* Sanitizer builds keep none, so that a use of a freed block stays an error
 * the tests report rather than a read of the next block. */
#if defined(__SANITIZE_ADDRESS__)
#define SPARE_KEEP false
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SPARE_KEEP false
#endif
#endif
#ifndef SPARE_KEEP
#define SPARE_KEEP true
#endif
/* A spare also keeps its overlay's account slots and its writes' buffers
 * (made again for every block: ~5 allocations per block judged), up to
 * these sizes, so that one large block does not leave every later one
 * clearing a large table. */
#define SPARE_ACCT_SLOTS_MAX 256
#define SPARE_WRITES_BYTES_MAX (64 * 1024)

/* A pending block over s with an empty overlay; info is not checked here. */
static ledger_block *block_new(const ledger_state *s, const ledger_block_info *info) {
    ledger_block *b;
    acct_map kept_touched = {0};
    ledger_writes kept_writes = LEDGER_WRITES_INIT;
    if (n_spare_blocks > 0) {
        b = spare_blocks[--n_spare_blocks];
        kept_touched = b->touched; /* emptied by ledger_block_free */
        kept_writes = b->writes;
    } else {
        b = hansa_malloc(sizeof *b);
    }
    /* Zero all but the validator sets (15 of the block's 16 KB), which are
     * copied below by the validators in use. */
    size_t sets_at = offsetof(ledger_block, sets), sets_end = sets_at + sizeof b->sets;
    memset(b, 0, sets_at);
    memset((uint8_t *)b + sets_end, 0, sizeof *b - sets_end);
    b->base = s;
    b->base_height = s->meta.height;
    b->addr_memo = &b->addr_memo_store; /* zeroed above: empty */
    b->info = *info;
    b->supply = s->supply;
    /* The overlay uses the state's hash key: same secrecy, no new input. */
    uint8_t key[ACCT_MAP_KEY_BYTES];
    le64_store(key, s->accounts.k0);
    le64_store(key + 8, s->accounts.k1);
    acct_map_init(&b->touched, key);
    acct_map_take_slots(&b->touched, &kept_touched);
    for (int t = 0; t < LEDGER_TAB_COUNT_; t++)
        kvmap_init(&b->tabs[t], s->tabs[t].k0, s->tabs[t].k1);
    ledger_valsets_copy(&b->sets, &s->sets);
    b->writes = kept_writes;
    b->info.signers = NULL;
    b->info.evidence = NULL;
    return b;
}

hansa_err ledger_block_begin(const ledger_state *s, const ledger_block_info *info,
                             ledger_block **out, char *why, size_t why_len) {
    HANSA_ASSERT(s->ready);
    *out = NULL;
    if (info->height != s->meta.height + 1) {
        ledger_why(why, why_len, "block height %" PRIu64 ", the state is at %" PRIu64
                   " and expects %" PRIu64, info->height, s->meta.height, s->meta.height + 1);
        return HANSA_ERR_INVALID;
    }
    if (info->time_ms <= s->meta.time_ms) {
        ledger_why(why, why_len, "block time %" PRIu64 " ms is not after the last block's %" PRIu64
                   " ms", info->time_ms, s->meta.time_ms);
        return HANSA_ERR_INVALID;
    }
    ledger_block *b = block_new(s, info);
    hansa_err err = elect_block_begin(b, info, why, why_len);
    if (err != HANSA_OK) {
        ledger_block_free(b);
        return err;
    }
    receipt_block_begin(b);
    *out = b;
    return HANSA_OK;
}

ledger_block *ledger_block_begin_check(const ledger_state *s) {
    HANSA_ASSERT(s->ready);
    ledger_block_info info = {.height = s->meta.height + 1, .time_ms = s->meta.time_ms};
    ledger_block *b = block_new(s, &info);
    b->check_only = true;
    return b;
}

/* acct_map_hash of addr under the state's key (the overlay has it too,
 * block_new), from the memo when addr was one of the last few hashed. */
static uint64_t addr_hash(const ledger_block *b, const hansa_addr *addr) {
    ledger_addr_memo *m = b->addr_memo;
    for (unsigned i = 0; i < m->n; i++)
        if (addr_eq(&m->e[i].addr, addr)) return m->e[i].h;
    uint64_t h = acct_map_hash(&b->base->accounts, addr);
    m->e[m->next].addr = *addr;
    m->e[m->next].h = h;
    m->next = (uint8_t)((m->next + 1) % LEDGER_BLOCK_ADDR_MEMO);
    if (m->n < LEDGER_BLOCK_ADDR_MEMO) m->n++;
    return h;
}

bool ledger_block_account(const ledger_block *b, const hansa_addr *addr, ledger_account *out) {
    /* The overlay has the state's key (block_new), so one SipHash serves both lookups. */
    const acct_map *state = &b->base->accounts;
    HANSA_ASSERT(b->touched.k0 == state->k0);
    HANSA_ASSERT(b->touched.k1 == state->k1);
    uint64_t h = addr_hash(b, addr);
    const ledger_account *a = acct_map_get_hashed(&b->touched, addr, h);
    if (a == NULL) a = acct_map_get_hashed(state, addr, h);
    *out = a ? *a : (ledger_account){0, 0};
    return a != NULL;
}

void ledger_block_account_put(ledger_block *b, const hansa_addr *addr, const ledger_account *a) {
    HANSA_ASSERT(!b->finished);
    HANSA_ASSERT(a->balance != 0 || a->nonce != 0); /* record.h: never an empty account */
    acct_map_put_hashed(&b->touched, addr, addr_hash(b, addr), a);
}

hansa_err ledger_block_add_tx(ledger_block *b, const wire_tx *tx, bool sig_verified, char *why,
                              size_t why_len) {
    HANSA_ASSERT(!b->finished);
    if (!b->check_only && b->n_txs >= b->base->params.max_block_txs) {
        ledger_why(why, why_len, "block already holds max_block_txs = %u transactions",
                   b->base->params.max_block_txs);
        return HANSA_ERR_FULL;
    }
    ledger_tx_ctx c;
    hansa_err err = ledger_tx_check_pending(b, tx, &c, why, why_len);
    if (err != HANSA_OK) return err;
    /* Last: the signature is the most expensive check. */
    if (!sig_verified && ledger_tx_verify_sig(tx) != HANSA_OK) {
        ledger_why(why, why_len, "signature does not verify");
        return HANSA_ERR_BAD_SIG;
    }
    ledger_tx_apply_pending(b, &c);
    b->n_txs++;
    return HANSA_OK;
}

/* The delegate records and validator sets this block changed; a deleted
 * record is a write with an empty value (writes.h). */
static void collect_stake_writes(ledger_block *b) {
    ledger_writes *ws = &b->writes;
    if (!ledger_valsets_equal(&b->sets, &b->base->sets)) {
        uint8_t key = LEDGER_KEY_VALIDATORS;
        ledger_writes_begin(ws, &key, 1);
        ledger_valsets_encode(&ws->data, &b->sets);
        ledger_writes_end_value(ws);
    }
    for (int t = 0; t < LEDGER_TAB_COUNT_; t++) {
        const kvmap *m = &b->tabs[t];
        for (size_t i = 0; i < m->cap; i++) {
            const kvmap_slot *s = &m->slots[i];
            if (!s->used) continue;
            if (s->deleted && kvmap_get(&b->base->tabs[t], s->key, s->klen) == NULL) continue;
            ledger_writes_begin(ws, s->key, s->klen);
            if (s->deleted) ledger_writes_end_delete(ws);
            else {
                hbuf_append(&ws->data, s->val, s->vlen);
                ledger_writes_end_value(ws);
            }
        }
    }
}

/* Appends the records this block changed to b->writes: meta always, supply
 * if it moved, every touched account, the delegate records. */
static void collect_writes(ledger_block *b) {
    ledger_writes *ws = &b->writes;
    uint8_t key = LEDGER_KEY_META;
    ledger_meta meta = {.height = b->info.height, .time_ms = b->info.time_ms};
    ledger_writes_begin(ws, &key, 1);
    ledger_meta_encode(&ws->data, &meta);
    ledger_writes_end_value(ws);
    if (memcmp(&b->supply, &b->base->supply, sizeof b->supply) != 0) {
        key = LEDGER_KEY_SUPPLY;
        ledger_writes_begin(ws, &key, 1);
        ledger_supply_encode(&ws->data, &b->supply);
        ledger_writes_end_value(ws);
    }
    for (size_t i = 0; i < acct_map_cap(&b->touched); i++) {
        const acct_slot *slot = &b->touched.slots[i];
        if (!slot->used) continue;
        uint8_t akey[LEDGER_KEY_ACCOUNT_BYTES];
        ledger_key_account(&slot->addr, akey);
        ledger_writes_begin(ws, akey, sizeof akey);
        ledger_account_encode(&ws->data, &slot->acct);
        ledger_writes_end_value(ws);
    }
    collect_stake_writes(b);
    ledger_writes_sort(ws);
}

void ledger_block_finish(ledger_block *b) {
    HANSA_ASSERT(!b->check_only);
    if (b->finished) return;
    elect_block_finish(b);
    client_block_finish(b); /* approvals count the bonds as elect left them */
    receipt_block_finish(b);
    xfer_block_finish(b); /* after client_block_finish: a client frozen by now pays out */
    frost_block_finish(b); /* reads the set that decided this block, not elect's new ones */
    b->finished = true;
    collect_writes(b);
    ledger_writes_hash(&b->writes, &b->writes_hash);
    b->checkpoint = ledger_is_checkpoint(&b->base->params, b->info.height);
    if (!b->checkpoint) {
        ledger_app_hash_next(&b->base->app_hash, b->info.height, &b->writes_hash, &b->app_hash);
        return;
    }
    ledger_state_root_after(b->base, &b->writes, &b->state_root);
    ledger_app_hash_checkpoint(&b->base->app_hash, b->info.height, &b->writes_hash,
                               &b->state_root, &b->app_hash);
}

const hansa_hash *ledger_block_writes_hash(const ledger_block *b) {
    HANSA_ASSERT(b->finished);
    return &b->writes_hash;
}

bool ledger_block_state_root(const ledger_block *b, hansa_hash *state_root) {
    HANSA_ASSERT(b->finished);
    if (b->checkpoint) *state_root = b->state_root;
    return b->checkpoint;
}

const ledger_writes *ledger_block_writes(const ledger_block *b) {
    HANSA_ASSERT(b->finished);
    return &b->writes;
}

const hansa_hash *ledger_block_app_hash(const ledger_block *b) {
    HANSA_ASSERT(b->finished);
    return &b->app_hash;
}

void ledger_block_commit(ledger_state *s, ledger_block *b) {
    HANSA_ASSERT(b->finished);
    HANSA_ASSERT(b->base == s);
    HANSA_ASSERT(s->meta.height == b->base_height); /* not a stale proposal */
    HANSA_ASSERT(b->info.height == s->meta.height + 1);
    for (size_t i = 0; i < acct_map_cap(&b->touched); i++) {
        const acct_slot *slot = &b->touched.slots[i];
        if (slot->used) acct_map_put(&s->accounts, &slot->addr, &slot->acct);
    }
    for (int t = 0; t < LEDGER_TAB_COUNT_; t++) {
        const kvmap *m = &b->tabs[t];
        for (size_t i = 0; i < m->cap; i++) {
            const kvmap_slot *sl = &m->slots[i];
            if (!sl->used) continue;
            if (sl->deleted) kvmap_del(&s->tabs[t], sl->key, sl->klen);
            else kvmap_put(&s->tabs[t], sl->key, sl->klen, sl->val, sl->vlen);
        }
    }
    ledger_valsets_copy(&s->sets, &b->sets);
    s->supply = b->supply;
    s->meta = (ledger_meta){.height = b->info.height, .time_ms = b->info.time_ms};
    s->app_hash = b->app_hash;
    ledger_leaves_note_writes(&s->leaves, &b->writes);
    /* Hash the changed leaves once here, not in every proposal judged at
     * the checkpoint (nor at every commit: most records a block writes are
     * written again before the checkpoint), or when the notes would
     * otherwise grow without bound (no checkpoints, or far apart). */
    if (ledger_is_checkpoint(&s->params, s->meta.height + 1) || ledger_leaves_notes_full(&s->leaves))
        ledger_state_leaves_refresh(s);
    ledger_block_free(b);
}

void ledger_block_free(ledger_block *b) {
    if (b == NULL) return;
    for (int t = 0; t < LEDGER_TAB_COUNT_; t++) kvmap_free(&b->tabs[t]);
    if (SPARE_KEEP && n_spare_blocks < SPARE_BLOCKS) {
        acct_map_clear(&b->touched, SPARE_ACCT_SLOTS_MAX);
        ledger_writes_clear(&b->writes, SPARE_WRITES_BYTES_MAX);
        spare_blocks[n_spare_blocks++] = b;
        return;
    }
    acct_map_free(&b->touched);
    ledger_writes_free(&b->writes);
    free(b);
}

hansa_err ledger_apply_block(const ledger_state *s, const ledger_block_info *info,
                             const wire_bytes *txs, uint32_t n_txs, const bool *sig_verified,
                             ledger_block **out, ledger_block_result *res) {
    memset(res, 0, sizeof *res);
    *out = NULL;
    if (n_txs > s->params.max_block_txs) {
        ledger_why(res->why, sizeof res->why, "block has %" PRIu32 " transactions, at most %" PRIu32,
                   n_txs, s->params.max_block_txs);
        return res->err = HANSA_ERR_TOO_LONG;
    }
    ledger_block *b = NULL;
    res->err = ledger_block_begin(s, info, &b, res->why, sizeof res->why);
    if (res->err != HANSA_OK) return res->err;
    for (uint32_t i = 0; i < n_txs; i++) {
        wire_tx tx;
        wire_rd rd;
        char inner[LEDGER_WHY_MAX];
        hansa_err err = wire_tx_decode(txs[i].bytes, txs[i].len, &tx, &rd);
        if (err != HANSA_OK)
            rd_describe(&rd, inner, sizeof inner);
        else
            err = ledger_block_add_tx(b, &tx, sig_verified && sig_verified[i], inner, sizeof inner);
        if (err != HANSA_OK) {
            ledger_block_free(b);
            res->err = err;
            res->tx_failed = true;
            res->failed_index = i;
            ledger_why(res->why, sizeof res->why, "tx %" PRIu32 ": %s", i, inner);
            return err;
        }
    }
    ledger_block_finish(b);
    *out = b;
    return HANSA_OK;
}

hansa_err ledger_app_hash_check(uint64_t height, const hansa_hash *computed,
                                const hansa_hash *committed, char *why, size_t why_len) {
    if (hash_eq(computed, committed)) return HANSA_OK;
    char a[2 * HANSA_HASH_BYTES + 1], c[2 * HANSA_HASH_BYTES + 1];
    hex_encode(computed->b, HANSA_HASH_BYTES, a);
    hex_encode(committed->b, HANSA_HASH_BYTES, c);
    ledger_why(why, why_len,
               "app hash mismatch at height %" PRIu64 ": computed %s, committed %s; this node's "
               "state diverged from the chain, stopping", height, a, c);
    return HANSA_ERR_APP_HASH;
}
