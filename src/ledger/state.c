/* state.c — see state.h: genesis, loading from records, accessors and the
 * supply audit. */
#include "ledger/state.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/hex.h"
#include "base/mem.h"
#include "crypto/address.h"
#include "ledger/client.h"
#include "ledger/tx_receipt.h"
#include "ledger/xfer.h"

static int validator_cmp(const void *a, const void *b) {
    return pubkey_cmp(&((const wire_validator *)a)->pubkey, &((const wire_validator *)b)->pubkey);
}

/* Sorts the genesis delegates into *out and checks them. */
static hansa_err genesis_delegates(const ledger_genesis *g, ledger_validators *out, char *why,
                                   size_t why_len) {
    if (g->n_delegates == 0 || g->n_delegates > WIRE_VALIDATORS_MAX) {
        ledger_why(why, why_len, "genesis has %zu delegates, need 1..%u", g->n_delegates,
                   WIRE_VALIDATORS_MAX);
        return HANSA_ERR_CONFIG;
    }
    memset(out, 0, sizeof *out);
    out->n = (uint16_t)g->n_delegates;
    memcpy(out->v, g->delegates, g->n_delegates * sizeof *g->delegates);
    qsort(out->v, out->n, sizeof out->v[0], validator_cmp);
    for (uint16_t i = 1; i < out->n; i++) {
        if (pubkey_eq(&out->v[i - 1].pubkey, &out->v[i].pubkey)) {
            char hex[2 * HANSA_PUBKEY_BYTES + 1];
            hex_encode(out->v[i].pubkey.b, HANSA_PUBKEY_BYTES, hex);
            ledger_why(why, why_len, "genesis delegate %s appears twice", hex);
            return HANSA_ERR_DUPLICATE;
        }
    }
    char inner[LEDGER_WHY_MAX];
    hansa_err err = ledger_validators_check(out, inner, sizeof inner);
    if (err != HANSA_OK) {
        ledger_why(why, why_len, "genesis delegates: %s", inner);
        return HANSA_ERR_CONFIG;
    }
    return HANSA_OK;
}

/* Puts the genesis accounts into m, checking each; sums them into *supply. */
static hansa_err genesis_accounts(const ledger_genesis *g, acct_map *m, uint64_t *supply,
                                  char *why, size_t why_len) {
    if (g->n_accounts > LEDGER_GENESIS_ACCOUNTS_MAX) {
        ledger_why(why, why_len, "genesis has %zu accounts, at most %u", g->n_accounts,
                   LEDGER_GENESIS_ACCOUNTS_MAX);
        return HANSA_ERR_CONFIG;
    }
    *supply = 0;
    for (size_t i = 0; i < g->n_accounts; i++) {
        const ledger_genesis_account *a = &g->accounts[i];
        char hex[2 * HANSA_ADDR_BYTES + 1];
        hex_encode(a->addr.b, HANSA_ADDR_BYTES, hex);
        if (a->balance == 0) {
            ledger_why(why, why_len, "genesis account %zu (%s) has balance 0", i, hex);
            return HANSA_ERR_CONFIG;
        }
        if (acct_map_get(m, &a->addr) != NULL) {
            ledger_why(why, why_len, "genesis account %zu (%s) appears twice", i, hex);
            return HANSA_ERR_DUPLICATE;
        }
        if (!u64_add(*supply, a->balance, supply)) {
            ledger_why(why, why_len, "genesis supply overflows a u64 at account %zu (%s)", i, hex);
            return HANSA_ERR_OVERFLOW;
        }
        ledger_account acct = {.balance = a->balance, .nonce = 0};
        acct_map_put(m, &a->addr, &acct);
    }
    return HANSA_OK;
}

/* Each genesis delegate's power becomes its self bond: a candidate record
 * and a bonder record for the delegate's address. */
static void genesis_bonds(ledger_state *s, const ledger_validators *vals) {
    hbuf enc = HBUF_INIT;
    for (uint16_t i = 0; i < vals->n; i++) {
        uint8_t key[KVMAP_KEY_MAX];
        ledger_candidate c = {.self_bond = vals->v[i].power};
        size_t klen = stake_key_candidate(&vals->v[i].pubkey, key);
        hbuf_reset(&enc);
        stake_candidate_encode(&enc, &c);
        kvmap_put(&s->tabs[LEDGER_TAB_CANDIDATE], key, klen, enc.data, enc.len);
        hansa_addr a;
        addr_from_pubkey(&vals->v[i].pubkey, &a);
        klen = stake_key_bonder(&a, key);
        hbuf_reset(&enc);
        stake_u64_encode(&enc, vals->v[i].power);
        kvmap_put(&s->tabs[LEDGER_TAB_BONDER], key, klen, enc.data, enc.len);
    }
    hbuf_free(&enc);
}

/* Validates g into a fresh state (accounts, delegates, counters). */
static hansa_err genesis_build(const ledger_genesis *g, ledger_state *s, char *why,
                               size_t why_len) {
    hansa_err err = ledger_params_check(&g->params, why, why_len);
    if (err != HANSA_OK) return err;
    s->params = g->params;
    ledger_validators *vals = &s->sets.set[LEDGER_SET_CUR].vals;
    err = genesis_delegates(g, vals, why, why_len);
    if (err != HANSA_OK) return err;
    for (int k = 0; k < 3; k++) s->sets.set[k] = (ledger_valset_at){1, *vals};
    uint64_t supply = 0;
    err = genesis_accounts(g, &s->accounts, &supply, why, why_len);
    if (err != HANSA_OK) return err;
    uint64_t bonded = 0;
    for (uint16_t i = 0; i < vals->n; i++) HANSA_ASSERT(u64_add(bonded, vals->v[i].power, &bonded));
    if (!u64_add(supply, bonded, &supply)) {
        ledger_why(why, why_len, "genesis supply plus delegate bonds overflows a u64");
        return HANSA_ERR_OVERFLOW;
    }
    genesis_bonds(s, vals);
    err = client_genesis(s, g->params.chain_id, g->clients, g->n_clients, why, why_len);
    if (err != HANSA_OK) return err;
    s->supply = (ledger_supply){.genesis = supply, .bonded = bonded};
    s->meta = (ledger_meta){.height = 0, .time_ms = g->params.genesis_time_ms};
    return HANSA_OK;
}

/* Each of the state's hash tables keys its SipHash by its own key, derived
 * from the secret hash_key with a label per use (ledger_siphash_key_derive):
 * the account map "accounts", table t "table-<t>", the leaf cache's noted
 * keys "leaves". A block's overlays take the state's keys (block.c). */
static ledger_state *state_new(const uint8_t hash_key[ACCT_MAP_KEY_BYTES]) {
    ledger_state *s = hansa_calloc(1, sizeof *s);
    uint64_t k0 = le64_load(hash_key), k1 = le64_load(hash_key + 8), d0, d1;
    ledger_siphash_key_derive(k0, k1, "accounts", &d0, &d1);
    uint8_t key[ACCT_MAP_KEY_BYTES];
    le64_store(key, d0);
    le64_store(key + 8, d1);
    acct_map_init(&s->accounts, key);
    for (int t = 0; t < LEDGER_TAB_COUNT_; t++) {
        char label[16];
        snprintf(label, sizeof label, "table-%d", t);
        ledger_siphash_key_derive(k0, k1, label, &d0, &d1);
        kvmap_init(&s->tabs[t], d0, d1);
    }
    ledger_siphash_key_derive(k0, k1, "leaves", &d0, &d1);
    ledger_leaves_set_key(&s->leaves, d0, d1);
    return s;
}

hansa_err ledger_genesis_validate(const ledger_genesis *g, char *why, size_t why_len) {
    static const uint8_t key[ACCT_MAP_KEY_BYTES];
    ledger_state *s = state_new(key);
    hansa_err err = genesis_build(g, s, why, why_len);
    ledger_state_free(s);
    return err;
}

static void leaves_build(ledger_state *s, const ledger_writes *records);

hansa_err ledger_genesis_state(const ledger_genesis *g, const uint8_t hash_key[ACCT_MAP_KEY_BYTES],
                               ledger_state **out, ledger_writes *writes, char *why,
                               size_t why_len) {
    *out = NULL;
    ledger_state *s = state_new(hash_key);
    hansa_err err = genesis_build(g, s, why, why_len);
    if (err != HANSA_OK) {
        ledger_state_free(s);
        return err;
    }
    ledger_writes local = LEDGER_WRITES_INIT;
    ledger_writes *ws = writes ? writes : &local;
    HANSA_ASSERT(ws->n == 0);
    s->ready = true;
    ledger_state_records(s, ws);
    leaves_build(s, ws);
    hansa_hash writes_hash, zero = {{0}};
    ledger_writes_hash(ws, &writes_hash);
    ledger_app_hash_next(&zero, 0, &writes_hash, &s->app_hash);
    ledger_writes_free(&local);
    *out = s;
    return HANSA_OK;
}

/* Encodes singleton record `type` (meta, params, supply, validators). */
static void singleton_encode(const ledger_state *s, ledger_key_type type, hbuf *out) {
    switch (type) {
    case LEDGER_KEY_META: ledger_meta_encode(out, &s->meta); return;
    case LEDGER_KEY_PARAMS: ledger_params_encode(out, &s->params); return;
    case LEDGER_KEY_SUPPLY: ledger_supply_encode(out, &s->supply); return;
    case LEDGER_KEY_VALIDATORS: ledger_valsets_encode(out, &s->sets); return;
    case LEDGER_KEY_ACCOUNT: break;
    }
    HANSA_UNREACHABLE();
}

void ledger_state_records(const ledger_state *s, ledger_writes *ws) {
    HANSA_ASSERT(s->ready);
    for (uint8_t key = LEDGER_KEY_META; key <= LEDGER_KEY_VALIDATORS; key++) {
        ledger_writes_begin(ws, &key, 1);
        singleton_encode(s, (ledger_key_type)key, &ws->data);
        ledger_writes_end_value(ws);
    }
    for (int t = 0; t < LEDGER_TAB_COUNT_; t++) {
        const kvmap *m = &s->tabs[t];
        for (size_t i = 0; i < m->cap; i++) {
            if (!m->slots[i].used) continue;
            ledger_writes_begin(ws, m->slots[i].key, m->slots[i].klen);
            hbuf_append(&ws->data, m->slots[i].val, m->slots[i].vlen);
            ledger_writes_end_value(ws);
        }
    }
    for (size_t i = 0; i < acct_map_cap(&s->accounts); i++) {
        const acct_slot *slot = &s->accounts.slots[i];
        if (!slot->used) continue;
        uint8_t akey[LEDGER_KEY_ACCOUNT_BYTES];
        ledger_key_account(&slot->addr, akey);
        ledger_writes_begin(ws, akey, sizeof akey);
        ledger_account_encode(&ws->data, &slot->acct);
        ledger_writes_end_value(ws);
    }
    ledger_writes_sort(ws);
}

bool ledger_state_record_value(const ledger_state *s, const uint8_t *key, size_t klen, hbuf *out) {
    HANSA_ASSERT(klen >= 1);
    if (key[0] <= LEDGER_KEY_VALIDATORS && klen == 1) {
        singleton_encode(s, (ledger_key_type)key[0], out);
        return true;
    }
    if (key[0] == LEDGER_KEY_ACCOUNT) {
        if (klen != LEDGER_KEY_ACCOUNT_BYTES) return false;
        hansa_addr addr;
        memcpy(addr.b, key + 1, HANSA_ADDR_BYTES);
        const ledger_account *a = acct_map_get(&s->accounts, &addr);
        if (a == NULL) return false;
        ledger_account_encode(out, a);
        return true;
    }
    int tab = stake_tab_of_key(key, klen);
    if (tab < 0) return false;
    const kvmap_slot *sl = kvmap_get(&s->tabs[tab], key, klen);
    if (sl == NULL || sl->deleted) return false;
    hbuf_append(out, sl->val, sl->vlen);
    return true;
}

void ledger_state_record_touched(ledger_state *s, const uint8_t *key, size_t klen) {
    ledger_leaves_note(&s->leaves, key, klen);
}

/* The leaf cache starts from the whole state, once the state is whole. */
static void leaves_build(ledger_state *s, const ledger_writes *records) {
    ledger_writes local = LEDGER_WRITES_INIT;
    if (records == NULL) {
        ledger_state_records(s, &local);
        records = &local;
    }
    ledger_leaves_build(&s->leaves, records); /* keyed by state_new */
    ledger_writes_free(&local);
}

void ledger_state_free(ledger_state *s) {
    if (s == NULL) return;
    ledger_leaves_free(&s->leaves);
    acct_map_free(&s->accounts);
    for (int t = 0; t < LEDGER_TAB_COUNT_; t++) kvmap_free(&s->tabs[t]);
    free(s);
}

/* ---- loading ------------------------------------------------------------ */

ledger_state *ledger_state_load_begin(const uint8_t hash_key[ACCT_MAP_KEY_BYTES]) {
    return state_new(hash_key);
}

/* Marks s failed and reports a corrupt record, with the decoder's reason. */
static hansa_err load_fail(ledger_state *s, const char *what, const wire_rd *r, char *why,
                           size_t why_len) {
    s->failed = true;
    if (r != NULL) {
        char where[128];
        rd_describe(r, where, sizeof where);
        ledger_why(why, why_len, "stored %s record is corrupt: %s (%s)", what,
                   hansa_errname(r->err), where);
    } else {
        ledger_why(why, why_len, "stored state is corrupt: %s", what);
    }
    return HANSA_ERR_CORRUPT;
}

/* Loads one singleton record (meta, params, supply, validators). */
static hansa_err load_singleton(ledger_state *s, uint8_t type, const uint8_t *val,
                                size_t val_len, char *why, size_t why_len) {
    static const char *const names[] = {"meta", "params", "supply", "validators"};
    HANSA_ASSERT(type < 4);
    if (s->have & (1u << type)) return load_fail(s, "a record appears twice", NULL, why, why_len);
    wire_rd r;
    hansa_err err = HANSA_OK;
    switch ((ledger_key_type)type) {
    case LEDGER_KEY_META: err = ledger_meta_decode(val, val_len, &s->meta, &r); break;
    case LEDGER_KEY_PARAMS: err = ledger_params_decode(val, val_len, &s->params, &r); break;
    case LEDGER_KEY_SUPPLY: err = ledger_supply_decode(val, val_len, &s->supply, &r); break;
    case LEDGER_KEY_VALIDATORS:
        err = ledger_valsets_decode(val, val_len, &s->sets, &r);
        break;
    case LEDGER_KEY_ACCOUNT: HANSA_UNREACHABLE();
    }
    if (err != HANSA_OK) return load_fail(s, names[type], &r, why, why_len);
    s->have |= (uint8_t)(1u << type);
    return HANSA_OK;
}

static hansa_err load_account(ledger_state *s, const uint8_t *key, size_t key_len,
                              const uint8_t *val, size_t val_len, char *why, size_t why_len) {
    if (key_len != LEDGER_KEY_ACCOUNT_BYTES)
        return load_fail(s, "an account key has the wrong length", NULL, why, why_len);
    hansa_addr addr;
    memcpy(addr.b, key + 1, HANSA_ADDR_BYTES);
    char what[64];
    memcpy(what, "account ", 8);
    hex_encode(addr.b, HANSA_ADDR_BYTES, what + 8);
    if (acct_map_get(&s->accounts, &addr) != NULL)
        return load_fail(s, "an account record appears twice", NULL, why, why_len);
    ledger_account acct;
    wire_rd r;
    if (ledger_account_decode(val, val_len, &acct, &r) != HANSA_OK)
        return load_fail(s, what, &r, why, why_len);
    acct_map_put(&s->accounts, &addr, &acct);
    return HANSA_OK;
}

static hansa_err load_stake(ledger_state *s, ledger_tab tab, const uint8_t *key, size_t key_len,
                            const uint8_t *val, size_t val_len, char *why, size_t why_len) {
    wire_rd r;
    if (stake_record_check(tab, key, key_len, val, val_len, &r) != HANSA_OK)
        return load_fail(s, "delegate", &r, why, why_len);
    if (kvmap_get(&s->tabs[tab], key, key_len) != NULL)
        return load_fail(s, "a delegate record appears twice", NULL, why, why_len);
    kvmap_put(&s->tabs[tab], key, key_len, val, val_len);
    return HANSA_OK;
}

hansa_err ledger_state_load_record(ledger_state *s, const uint8_t *key, size_t key_len,
                                   const uint8_t *val, size_t val_len, char *why, size_t why_len) {
    if (s->failed || s->ready) {
        ledger_why(why, why_len, "state is %s: no more records", s->failed ? "failed" : "loaded");
        return HANSA_ERR_STATE;
    }
    if (key_len == 0) return load_fail(s, "an empty key", NULL, why, why_len);
    if (key[0] == LEDGER_KEY_ACCOUNT)
        return load_account(s, key, key_len, val, val_len, why, why_len);
    if (key[0] <= LEDGER_KEY_VALIDATORS && key_len == 1)
        return load_singleton(s, key[0], val, val_len, why, why_len);
    int tab = stake_tab_of_key(key, key_len);
    if (tab >= 0) return load_stake(s, (ledger_tab)tab, key, key_len, val, val_len, why, why_len);
    return load_fail(s, "a record has an unknown key", NULL, why, why_len);
}

hansa_err ledger_state_load_finish(ledger_state *s, const hansa_hash *app_hash, char *why,
                                   size_t why_len) {
    if (s->failed || s->ready) {
        ledger_why(why, why_len, "state is %s", s->failed ? "failed" : "already loaded");
        return HANSA_ERR_STATE;
    }
    static const char *const missing[] = {"the meta record is missing",
                                          "the params record is missing",
                                          "the supply record is missing",
                                          "the validators record is missing"};
    for (unsigned t = 0; t < 4; t++)
        if (!(s->have & (1u << t))) return load_fail(s, missing[t], NULL, why, why_len);
    char inner[LEDGER_WHY_MAX];
    if (ledger_supply_check(s, inner, sizeof inner) != HANSA_OK)
        return load_fail(s, inner, NULL, why, why_len);
    s->app_hash = *app_hash;
    s->ready = true;
    leaves_build(s, NULL);
    return HANSA_OK;
}

/* ---- accessors ---------------------------------------------------------- */

uint64_t ledger_height(const ledger_state *s) {
    HANSA_ASSERT(s->ready);
    return s->meta.height;
}

const hansa_hash *ledger_app_hash(const ledger_state *s) {
    HANSA_ASSERT(s->ready);
    return &s->app_hash;
}

const ledger_params *ledger_state_params(const ledger_state *s) { return &s->params; }
const ledger_supply *ledger_state_supply(const ledger_state *s) { return &s->supply; }
const ledger_validators *ledger_state_validators(const ledger_state *s) {
    return &s->sets.set[LEDGER_SET_CUR].vals;
}

const ledger_validators *ledger_state_valset(const ledger_state *s, ledger_set_which which,
                                             uint64_t *activation) {
    HANSA_ASSERT(which <= LEDGER_SET_NEXT);
    if (activation) *activation = s->sets.set[which].activation;
    return &s->sets.set[which].vals;
}
uint64_t ledger_last_block_time_ms(const ledger_state *s) { return s->meta.time_ms; }
size_t ledger_account_count(const ledger_state *s) { return s->accounts.count; }

bool ledger_account_get(const ledger_state *s, const hansa_addr *addr, ledger_account *out) {
    const ledger_account *a = acct_map_get(&s->accounts, addr);
    *out = a ? *a : (ledger_account){0, 0};
    return a != NULL;
}

/* Sums of the delegate records, recomputed for the audit. */
typedef struct {
    uint64_t cand_bonds, cand_voted, votes, bonders, unbonding;
    bool overflow;
} bond_sums;

static void sum_tab(const kvmap *m, size_t off, uint64_t *sum, bool *overflow) {
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].used && !u64_add(*sum, le64_load(m->slots[i].val + off), sum)) *overflow = true;
}

static void bond_sums_get(const ledger_state *s, bond_sums *out) {
    memset(out, 0, sizeof *out);
    sum_tab(&s->tabs[LEDGER_TAB_CANDIDATE], 1, &out->cand_bonds, &out->overflow);
    sum_tab(&s->tabs[LEDGER_TAB_CANDIDATE], 9, &out->cand_voted, &out->overflow);
    sum_tab(&s->tabs[LEDGER_TAB_VOTE], 1, &out->votes, &out->overflow);
    sum_tab(&s->tabs[LEDGER_TAB_BONDER], 1, &out->bonders, &out->overflow);
    sum_tab(&s->tabs[LEDGER_TAB_UNBOND], 1, &out->unbonding, &out->overflow);
}

/* The bond records agree with each other and with the counters. */
static hansa_err bonds_check(const ledger_state *s, char *why, size_t why_len) {
    bond_sums b;
    bond_sums_get(s, &b);
    uint64_t bonded = 0;
    if (b.overflow || !u64_add(b.cand_bonds, b.cand_voted, &bonded)) {
        ledger_why(why, why_len, "supply: the bond records overflow a u64");
        return HANSA_ERR_CORRUPT;
    }
    if (b.cand_voted != b.votes || bonded != b.bonders || bonded != s->supply.bonded ||
        b.unbonding != s->supply.unbonding) {
        ledger_why(why, why_len,
                   "supply: bonds disagree (self %" PRIu64 " + voted %" PRIu64 ", votes %" PRIu64
                   ", bonders %" PRIu64 ", counter %" PRIu64 "; unbonding %" PRIu64
                   ", counter %" PRIu64 ")",
                   b.cand_bonds, b.cand_voted, b.votes, b.bonders, s->supply.bonded, b.unbonding,
                   s->supply.unbonding);
        return HANSA_ERR_CORRUPT;
    }
    return HANSA_OK;
}

hansa_err ledger_supply_check(const ledger_state *s, char *why, size_t why_len) {
    uint64_t sum = 0;
    for (size_t i = 0; i < acct_map_cap(&s->accounts); i++) {
        const acct_slot *slot = &s->accounts.slots[i];
        if (slot->used && !u64_add(sum, slot->acct.balance, &sum)) {
            ledger_why(why, why_len, "supply: the sum of balances overflows a u64");
            return HANSA_ERR_CORRUPT;
        }
    }
    hansa_err err = bonds_check(s, why, why_len);
    if (err == HANSA_OK) err = ledger_receipts_check(s, NULL, why, why_len);
    uint64_t escrow = 0; /* own tokens sent to other chains (ledger/xfer.h) */
    if (err == HANSA_OK) err = ledger_xfer_audit(s, &escrow, why, why_len);
    if (err != HANSA_OK) return err;
    uint64_t lhs, rhs;
    if (!u64_add(sum, s->supply.bonded, &sum) || !u64_add(sum, s->supply.unbonding, &sum) ||
        !u64_add(sum, s->supply.receipts, &sum) || !u64_add(sum, escrow, &sum)) {
        ledger_why(why, why_len, "supply: balances plus bonds overflow a u64");
        return HANSA_ERR_CORRUPT;
    }
    if (!u64_add(sum, s->supply.burned, &lhs) || !u64_add(s->supply.genesis, s->supply.minted, &rhs)) {
        ledger_why(why, why_len,
                   "supply: overflow (balances %" PRIu64 " + burned %" PRIu64
                   ", genesis %" PRIu64 " + minted %" PRIu64 ")",
                   sum, s->supply.burned, s->supply.genesis, s->supply.minted);
        return HANSA_ERR_CORRUPT;
    }
    if (lhs != rhs) {
        ledger_why(why, why_len,
                   "supply: balances+bonds %" PRIu64 " + burned %" PRIu64 " = %" PRIu64
                   " but genesis %" PRIu64 " + minted %" PRIu64 " = %" PRIu64
                   " (off by %s%" PRIu64 ")",
                   sum, s->supply.burned, lhs, s->supply.genesis, s->supply.minted, rhs,
                   lhs > rhs ? "+" : "-", lhs > rhs ? lhs - rhs : rhs - lhs);
        return HANSA_ERR_CORRUPT;
    }
    return HANSA_OK;
}
