/* test_ledger_client.c — light clients inside the ledger (ledger/client.h):
 * registration by anyone and approval by more than 2/3 of bonded stake (or
 * a genesis entry), updates as transactions judged in the verifying chain's
 * BFT time, misbehaviour freezing with its evidence kept for relayers,
 * revival by approval, stale subjects dropped, FROST checkpoint updates
 * from a trust root that names a group key, and every record surviving a
 * reload of the state. The foreign chain is ic_forge.h's, its FROST groups
 * frost_forge.h's (seeded: HANSA_SEED). */
#include "check.h"
#include "interchain/frost_forge.h"
#include "interchain/ic_forge.h"
#include "ledger/client.h"
#include "ledger/elect.h"
#include "ledger_helpers.h"

#define FOREIGN 0xa11cu
#define PERIOD 60000ull

static forge F;
static char why[LEDGER_WHY_MAX];

/* The local chain starts next to the forge's time, so foreign header h and
 * local block h are about as old as each other. Delegates 60..63 hold all
 * 40 bonded tokens; upgrade_window (the approval window) is 5. */
static ledger_state *l_state(const ic_create *genesis_clients, size_t n_clients) {
    ledger_params p = t_params();
    p.genesis_time_ms = FORGE_T0;
    p.elect.upgrade_window = 5;
    p.elect.block_reward = 0;
    uint64_t balances[4] = {1000000, 1000000, 1000000, 1000000};
    ledger_genesis_account accts[4];
    for (int i = 0; i < 4; i++) accts[i] = (ledger_genesis_account){t_addrs[i], balances[i]};
    ledger_genesis_account dacc[4];
    wire_validator dels[4];
    for (int i = 0; i < 4; i++) {
        dels[i] = (wire_validator){t_keys[60 + i].pub, 10};
        dacc[i] = (ledger_genesis_account){t_addrs[60 + i], 100000};
    }
    ledger_genesis_account all[8];
    memcpy(all, accts, sizeof accts);
    memcpy(all + 4, dacc, sizeof dacc);
    ledger_genesis g = {p, all, 8, dels, 4, genesis_clients, n_clients};
    ledger_state *s = NULL;
    hansa_err err = ledger_genesis_state(&g, t_hash_key_a, &s, NULL, why, sizeof why);
    if (err != HANSA_OK) fprintf(stderr, "genesis: %s\n", why);
    HANSA_ASSERT(err == HANSA_OK);
    return s;
}

static uint64_t nonces[T_KEYS];

/* A block at `time` (0: last + 1000) with every prev-set member signing. */
static hansa_err block_at(ledger_state *s, const wire_tx *txs, size_t n, uint64_t time) {
    ledger_block_info info = t_info(s, 60);
    if (time) info.time_ms = time;
    uint16_t signers[WIRE_VALIDATORS_MAX];
    const ledger_validators *prev = ledger_state_valset(s, LEDGER_SET_PREV, NULL);
    if (info.height > 1)
        for (uint16_t i = 0; i < prev->n; i++) signers[info.n_signers++] = i;
    info.signers = signers;
    ledger_block *b;
    why[0] = 0;
    hansa_err err = ledger_block_begin(s, &info, &b, why, sizeof why);
    for (size_t i = 0; i < n && err == HANSA_OK; i++) err = ledger_block_add_tx(b, &txs[i], false, why, sizeof why);
    if (err != HANSA_OK) {
        ledger_block_free(b);
        return err;
    }
    ledger_block_finish(b);
    ledger_block_commit(s, b);
    CHECK(t_supply_ok(s));
    return HANSA_OK;
}

/* One transaction of `kind` from key `from` in a block of its own. */
static hansa_err tx_block(ledger_state *s, int from, uint16_t kind, const hbuf *body, uint64_t time) {
    wire_tx tx = t_tx_raw(from, T_CHAIN, nonces[from], 10, kind, body->data, (uint32_t)body->len);
    hansa_err err = block_at(s, &tx, 1, time);
    if (err == HANSA_OK) nonces[from]++;
    return err;
}

static hansa_err create_tx(ledger_state *s, int from, const ic_create *cr) {
    hbuf b = HBUF_INIT;
    ic_create_encode(&b, cr);
    hansa_err err = tx_block(s, from, TX_CLIENT_CREATE, &b, 0);
    hbuf_free(&b);
    return err;
}

static hansa_err approve_tx(ledger_state *s, int from, uint32_t chain, const hansa_hash *subject) {
    hbuf b = HBUF_INIT;
    ic_approve_encode(&b, chain, subject);
    hansa_err err = tx_block(s, from, TX_CLIENT_APPROVE, &b, 0);
    hbuf_free(&b);
    return err;
}

static hansa_err update_tx(ledger_state *s, uint16_t kind, uint64_t t, uint64_t h, uint64_t time) {
    ic_update u;
    forge_update(&F, t, h, 0, &u);
    hbuf b = HBUF_INIT;
    ic_update_encode(&b, &u);
    hansa_err err = tx_block(s, 0, kind, &b, time);
    hbuf_free(&b);
    ic_update_free(&u);
    return err;
}

static ic_client client_of(const ledger_state *s) {
    ic_client c;
    memset(&c, 0, sizeof c);
    CHECK(ledger_client_get(s, FOREIGN, &c));
    return c;
}

static void reset(void) {
    memset(nonces, 0, sizeof nonces);
    forge_init(&F, FOREIGN, 4);
    forge_set_from(&F, 8, 0x3c);
    forge_build(&F);
}

static void test_register_and_approve(void) {
    reset();
    ledger_state *s = l_state(NULL, 0);
    ic_create cr;
    forge_root(&F, 0, PERIOD, &cr);
    /* anyone may register (key 0 holds no bond) */
    CHECK_ERR(create_tx(s, 0, &cr), HANSA_OK);
    ic_client c = client_of(s);
    CHECK_EQ_U64(c.status, IC_STATUS_PENDING);
    hansa_hash subject;
    ic_create_hash(&cr, &subject);
    CHECK(hash_eq(&c.root_hash, &subject));
    /* a second registration of that chain, or of this chain itself */
    CHECK_ERR(create_tx(s, 1, &cr), HANSA_ERR_DUPLICATE);
    ic_create self = cr;
    self.params.chain_id = T_CHAIN;
    CHECK_ERR(create_tx(s, 1, &self), HANSA_ERR_INVALID);
    /* not approved yet: updates are refused */
    CHECK_ERR(update_tx(s, TX_CLIENT_UPDATE, 0, 1, 0), HANSA_ERR_STATE);
    CHECK(strstr(why, "not approved") != NULL);
    /* approvals: only bonded addresses, once each, for the right subject */
    CHECK_ERR(approve_tx(s, 1, FOREIGN, &subject), HANSA_ERR_INVALID);
    hansa_hash other = subject;
    other.b[0] ^= 1;
    CHECK_ERR(approve_tx(s, 60, FOREIGN, &other), HANSA_ERR_NOT_FOUND);
    CHECK_ERR(approve_tx(s, 60, FOREIGN, &subject), HANSA_OK);
    CHECK_ERR(approve_tx(s, 60, FOREIGN, &subject), HANSA_ERR_DUPLICATE);
    CHECK_ERR(approve_tx(s, 61, FOREIGN, &subject), HANSA_OK);
    /* 20 of 40 bonded: not more than 2/3 */
    CHECK_EQ_U64(ledger_client_approvals(s, FOREIGN, &subject), 20);
    CHECK_EQ_U64(client_of(s).status, IC_STATUS_PENDING);
    CHECK_ERR(approve_tx(s, 62, FOREIGN, &subject), HANSA_OK);
    c = client_of(s);
    CHECK_EQ_U64(c.status, IC_STATUS_ACTIVE);
    CHECK_EQ_U64(c.since, ledger_height(s));
    CHECK_EQ_U64(ledger_client_approvals(s, FOREIGN, &subject), 0); /* votes dropped */
    CHECK_ERR(approve_tx(s, 63, FOREIGN, &subject), HANSA_ERR_NOT_FOUND);
    /* now it follows: adjacent through the set change at 8, then skipping */
    for (uint64_t h = 1; h <= 9; h++) CHECK_ERR(update_tx(s, TX_CLIENT_UPDATE, h - 1, h, 0), HANSA_OK);
    CHECK_ERR(update_tx(s, TX_CLIENT_UPDATE, 9, 12, 0), HANSA_OK);
    ic_consensus cs;
    CHECK(ledger_client_consensus(s, FOREIGN, 12, &cs));
    CHECK(hash_eq(&cs.header_hash, &F.hash[12]));
    CHECK(hash_eq(&cs.tx_root, &F.hdr[12].tx_root));
    CHECK_EQ_U64(cs.local_height, ledger_height(s));
    CHECK(!ledger_client_consensus(s, FOREIGN, 11, &cs));
    /* a stale one is refused with its reason */
    CHECK_ERR(update_tx(s, TX_CLIENT_UPDATE, 9, 12, 0), HANSA_ERR_DUPLICATE);
    /* the mempool's check runs at the last block's time */
    ic_update u;
    forge_update(&F, 12, 13, 0, &u);
    hbuf b = HBUF_INIT;
    ic_update_encode(&b, &u);
    wire_tx tx = t_tx_raw(0, T_CHAIN, nonces[0], 10, TX_CLIENT_UPDATE, b.data, (uint32_t)b.len);
    CHECK_ERR(ledger_tx_check(s, &tx, why, sizeof why), HANSA_OK);
    u.commit.sigs[0].sig.b[0] ^= 1;
    hbuf_reset(&b);
    ic_update_encode(&b, &u);
    tx = t_tx_raw(0, T_CHAIN, nonces[0], 10, TX_CLIENT_UPDATE, b.data, (uint32_t)b.len);
    CHECK_ERR(ledger_tx_check(s, &tx, why, sizeof why), HANSA_ERR_BAD_SIG);
    CHECK(strstr(why, "forged") != NULL);
    hbuf_free(&b);
    ic_update_free(&u);
    uint32_t chains[4];
    CHECK_EQ_U64(ledger_clients_list(s, chains, 4), 1);
    CHECK_EQ_U64(chains[0], FOREIGN);
    ledger_state_free(s);
}

static void test_registration_window(void) {
    reset();
    ledger_state *s = l_state(NULL, 0);
    ic_create cr;
    forge_root(&F, 0, PERIOD, &cr);
    CHECK_ERR(create_tx(s, 0, &cr), HANSA_OK);
    uint64_t since = ledger_height(s);
    hansa_hash subject;
    ic_create_hash(&cr, &subject);
    CHECK_ERR(approve_tx(s, 60, FOREIGN, &subject), HANSA_OK);
    while (ledger_height(s) < since + 5) CHECK_ERR(block_at(s, NULL, 0, 0), HANSA_OK);
    /* dropped at the end of block since + window, with its votes and root */
    CHECK(!ledger_client_get(s, FOREIGN, &(ic_client){0}));
    CHECK(!ledger_client_consensus(s, FOREIGN, 0, &(ic_consensus){0}));
    CHECK_EQ_U64(ledger_client_approvals(s, FOREIGN, &subject), 0);
    CHECK_ERR(approve_tx(s, 61, FOREIGN, &subject), HANSA_ERR_NOT_FOUND);
    /* and the chain may be registered again */
    CHECK_ERR(create_tx(s, 0, &cr), HANSA_OK);
    ledger_state_free(s);
}

/* Reloads s from its records and checks the client records came back. */
static ledger_state *reload(ledger_state *s) {
    ledger_writes ws = LEDGER_WRITES_INIT;
    ledger_state_records(s, &ws);
    ledger_state *t = ledger_state_load_begin(t_hash_key_b);
    for (size_t i = 0; i < ws.n; i++) {
        size_t kl, vl;
        const uint8_t *k = ledger_write_key(&ws, i, &kl), *v = ledger_write_value(&ws, i, &vl);
        CHECK_ERR(ledger_state_load_record(t, k, kl, v, vl, why, sizeof why), HANSA_OK);
    }
    CHECK_ERR(ledger_state_load_finish(t, ledger_app_hash(s), why, sizeof why), HANSA_OK);
    ledger_writes ws2 = LEDGER_WRITES_INIT;
    ledger_state_records(t, &ws2);
    hansa_hash h1, h2;
    ledger_writes_hash(&ws, &h1);
    ledger_writes_hash(&ws2, &h2);
    CHECK(hash_eq(&h1, &h2));
    ledger_writes_free(&ws);
    ledger_writes_free(&ws2);
    ledger_state_free(s);
    return t;
}

static void test_genesis_client_and_misbehaviour(void) {
    reset();
    forge_set_from(&F, 1, 0x1f);
    forge_build(&F);
    ic_create cr;
    forge_root(&F, 0, PERIOD, &cr);
    /* genesis entries: checked (not this chain, not twice) */
    ic_create two[2] = {cr, cr};
    ledger_params p = t_params();
    ledger_genesis g = {p, NULL, 0, (wire_validator[]){{t_keys[60].pub, 10}}, 1, two, 2};
    CHECK_ERR(ledger_genesis_validate(&g, why, sizeof why), HANSA_ERR_DUPLICATE);
    two[1].params.chain_id = T_CHAIN;
    CHECK_ERR(ledger_genesis_validate(&g, why, sizeof why), HANSA_ERR_CONFIG);
    ledger_state *s = l_state(&cr, 1);
    CHECK_EQ_U64(client_of(s).status, IC_STATUS_ACTIVE);
    for (uint64_t h = 1; h <= 3; h++) CHECK_ERR(update_tx(s, TX_CLIENT_UPDATE, h - 1, h, 0), HANSA_OK);
    /* keys 0..3 sign header 5 and a fork of it, both proven from 3 */
    wire_header f5 = F.hdr[5];
    f5.app_hash.b[9] ^= 1;
    ic_update a, b;
    forge_update_of(&F, 3, &F.hdr[5], 0x1f, 0, &a);
    forge_update_of(&F, 3, &f5, 0xf, 0, &b);
    hbuf body = HBUF_INIT;
    ic_misbehaviour_encode(&body, &a, &b);
    CHECK_ERR(tx_block(s, 2, TX_CLIENT_MISBEHAVIOUR, &body, 0), HANSA_OK);
    ic_client c = client_of(s);
    CHECK_EQ_U64(c.status, IC_STATUS_FROZEN);
    CHECK_EQ_U64(c.freeze_reason, IC_FREEZE_CONFLICT);
    CHECK_EQ_U64(c.frozen_height, 5);
    static ic_evidence_list evl;
    CHECK(ledger_client_evidence(s, FOREIGN, &evl));
    CHECK_EQ_U64(evl.height, 5);
    CHECK_EQ_U64(evl.n, 4);
    for (uint16_t i = 0; i < evl.n; i++) CHECK_ERR(cert_evidence_verify(&evl.ev[i], FOREIGN), HANSA_OK);
    /* twice is refused; so is any update */
    CHECK_ERR(tx_block(s, 2, TX_CLIENT_MISBEHAVIOUR, &body, 0), HANSA_ERR_DUPLICATE);
    CHECK_ERR(update_tx(s, TX_CLIENT_UPDATE, 3, 4, 0), HANSA_ERR_STATE);
    CHECK(strstr(why, "frozen") != NULL);
    hbuf_free(&body);
    ic_update_free(&a);
    ic_update_free(&b);
    s = reload(s);
    CHECK_EQ_U64(client_of(s).status, IC_STATUS_FROZEN);
    CHECK(ledger_client_evidence(s, FOREIGN, &evl));
    CHECK_EQ_U64(evl.n, 4);
    ledger_state_free(s);
}

static void test_expiry_and_revival(void) {
    reset();
    /* The foreign chain goes on while the client sleeps: its headers from
     * 5 on are recent when the revival comes. */
    uint64_t late = F.time_of[4] + PERIOD;
    for (uint64_t h = 5; h <= FORGE_HEIGHTS + 1; h++) F.time_of[h] = late + (h - 6) * 1000;
    forge_build(&F);
    ic_create cr;
    forge_root(&F, 0, PERIOD, &cr);
    ledger_state *s = l_state(&cr, 1);
    for (uint64_t h = 1; h <= 4; h++) CHECK_ERR(update_tx(s, TX_CLIENT_UPDATE, h - 1, h, 0), HANSA_OK);
    /* The local chain's BFT time passes the trusting period of header 4. */
    CHECK_ERR(block_at(s, NULL, 0, late), HANSA_OK);
    ic_client c = client_of(s);
    CHECK(ledger_client_expired(s, &c, late));
    CHECK_ERR(update_tx(s, TX_CLIENT_UPDATE, 4, 5, 0), HANSA_ERR_STATE);
    CHECK(strstr(why, "revived") != NULL);
    /* Revival: proven from the last trusted height by its set ... */
    CHECK_ERR(update_tx(s, TX_CLIENT_REVIVE, 3, 5, 0), HANSA_ERR_INVALID);
    CHECK_ERR(update_tx(s, TX_CLIENT_REVIVE, 4, 6, 0), HANSA_OK);
    ic_revival rv;
    CHECK(ledger_client_revival(s, FOREIGN, &rv));
    CHECK_EQ_U64(rv.cs.height, 6);
    CHECK_ERR(update_tx(s, TX_CLIENT_REVIVE, 4, 7, 0), HANSA_ERR_DUPLICATE); /* one at a time */
    /* ... then approved by more than 2/3 of bonded stake. */
    CHECK_ERR(approve_tx(s, 60, FOREIGN, &rv.cs.header_hash), HANSA_OK);
    CHECK_ERR(approve_tx(s, 61, FOREIGN, &rv.cs.header_hash), HANSA_OK);
    CHECK(ledger_client_revival(s, FOREIGN, &rv));
    s = reload(s); /* the pending revival and its approvals survive a restart */
    CHECK_ERR(approve_tx(s, 62, FOREIGN, &rv.cs.header_hash), HANSA_OK);
    CHECK(!ledger_client_revival(s, FOREIGN, &rv));
    c = client_of(s);
    CHECK_EQ_U64(c.status, IC_STATUS_ACTIVE);
    CHECK_EQ_U64(c.n_heights, 1);
    CHECK_EQ_U64(ic_client_latest(&c), 6);
    CHECK(!ledger_client_consensus(s, FOREIGN, 4, &(ic_consensus){0}));
    /* and follows again from there */
    CHECK_ERR(update_tx(s, TX_CLIENT_UPDATE, 6, 7, 0), HANSA_OK);
    c = client_of(s);
    CHECK_EQ_U64(ic_client_latest(&c), 7);
    ledger_state_free(s);
}

static void test_revival_window(void) {
    reset();
    uint64_t late = F.time_of[1] + PERIOD;
    for (uint64_t h = 2; h <= FORGE_HEIGHTS + 1; h++) F.time_of[h] = late + h * 1000;
    forge_build(&F);
    ic_create cr;
    forge_root(&F, 0, PERIOD, &cr);
    ledger_state *s = l_state(&cr, 1);
    CHECK_ERR(update_tx(s, TX_CLIENT_UPDATE, 0, 1, 0), HANSA_OK);
    CHECK_ERR(block_at(s, NULL, 0, late), HANSA_OK);
    CHECK_ERR(update_tx(s, TX_CLIENT_REVIVE, 1, 2, 0), HANSA_OK);
    uint64_t at = ledger_height(s);
    while (ledger_height(s) < at + 5) CHECK_ERR(block_at(s, NULL, 0, 0), HANSA_OK);
    CHECK(!ledger_client_revival(s, FOREIGN, &(ic_revival){0}));
    /* dropped; another may be submitted */
    CHECK_ERR(update_tx(s, TX_CLIENT_REVIVE, 1, 3, 0), HANSA_OK);
    ledger_state_free(s);
}

static hansa_prng prng;

/* A FROST update of header h from trusted height t (checkpoint by `by`,
 * with handoffs) in a block of its own. */
static hansa_err frost_tx(ledger_state *s, uint64_t t, uint64_t h, const ff_group *by, const handoff *hs,
                          uint8_t n) {
    ic_update u;
    memset(&u, 0, sizeof u);
    u.trusted_height = t;
    u.header = F.hdr[h];
    u.cert_kind = IC_CERT_FROST;
    ff_checkpoint(by, &prng, &F.hdr[h], &u.ckpt);
    u.n_handoffs = n;
    for (uint8_t i = 0; i < n; i++) u.handoffs[i] = hs[i];
    hbuf b = HBUF_INIT;
    ic_update_encode(&b, &u);
    hansa_err err = tx_block(s, 0, TX_CLIENT_UPDATE, &b, 0);
    hbuf_free(&b);
    return err;
}

static void test_frost_updates(void) {
    reset();
    ff_group g1, g6;
    ff_group_make(&g1, &prng, 1);
    ff_group_make(&g6, &prng, 6);
    handoff h16;
    ff_handoff(&g1, &g6, &prng, FOREIGN, &h16);
    ledger_state *s = l_state(NULL, 0);
    /* registered by a transaction whose trust root names epoch 1's key */
    ic_create cr;
    forge_root(&F, 0, PERIOD, &cr);
    cr.root.key_epoch = 1;
    cr.root.group_key = g1.g.key;
    cr.root.key_time_ms = cr.root.time_ms;
    CHECK_ERR(create_tx(s, 0, &cr), HANSA_OK);
    hansa_hash subject;
    ic_create_hash(&cr, &subject);
    for (int k = 60; k <= 62; k++) CHECK_ERR(approve_tx(s, k, FOREIGN, &subject), HANSA_OK);
    CHECK_EQ_U64(client_of(s).status, IC_STATUS_ACTIVE);
    /* followed by checkpoints, across the key change at 6 */
    CHECK_ERR(frost_tx(s, 0, 1, &g1, NULL, 0), HANSA_OK);
    CHECK_ERR(frost_tx(s, 1, 7, &g6, NULL, 0), HANSA_ERR_STATE); /* no handoff path */
    CHECK(strstr(why, "another epoch") != NULL);
    CHECK_ERR(frost_tx(s, 1, 7, &g6, &h16, 1), HANSA_OK);
    ic_consensus cs;
    CHECK(ledger_client_consensus(s, FOREIGN, 7, &cs));
    CHECK(frost_point_eq(&cs.group_key, &g6.g.key));
    CHECK_EQ_U64(cs.key_epoch, 6);
    CHECK_EQ_U64(cs.key_time_ms, F.time_of[7]);
    /* a commit update carries the key; the records survive a reload */
    CHECK_ERR(update_tx(s, TX_CLIENT_UPDATE, 7, 8, 0), HANSA_OK);
    s = reload(s);
    CHECK(ledger_client_consensus(s, FOREIGN, 8, &cs));
    CHECK(frost_point_eq(&cs.group_key, &g6.g.key));
    CHECK_EQ_U64(cs.key_time_ms, F.time_of[7]);
    CHECK_ERR(frost_tx(s, 8, 9, &g1, NULL, 0), HANSA_ERR_STATE); /* the stale key */
    CHECK_ERR(frost_tx(s, 8, 9, &g6, NULL, 0), HANSA_OK);
    ic_client c = client_of(s);
    CHECK_EQ_U64(ic_client_latest(&c), 9);
    /* the group signing two headers at height 10: misbehaviour freezes the
     * client with no evidence record (a threshold signature names nobody) */
    wire_header h10 = F.hdr[10];
    h10.app_hash.b[1] ^= 1;
    ic_update a, bb;
    memset(&a, 0, sizeof a);
    memset(&bb, 0, sizeof bb);
    a.trusted_height = bb.trusted_height = 9;
    a.cert_kind = bb.cert_kind = IC_CERT_FROST;
    a.header = F.hdr[10];
    bb.header = h10;
    ff_checkpoint(&g6, &prng, &a.header, &a.ckpt);
    ff_checkpoint(&g6, &prng, &bb.header, &bb.ckpt);
    hbuf body = HBUF_INIT;
    ic_misbehaviour_encode(&body, &a, &bb);
    CHECK_ERR(tx_block(s, 2, TX_CLIENT_MISBEHAVIOUR, &body, 0), HANSA_OK);
    hbuf_free(&body);
    c = client_of(s);
    CHECK_EQ_U64(c.status, IC_STATUS_FROZEN);
    CHECK_EQ_U64(c.frozen_height, 10);
    static ic_evidence_list evl;
    CHECK(!ledger_client_evidence(s, FOREIGN, &evl));
    ledger_state_free(s);
}

int main(void) {
    t_init_keys();
    prng_seed(&prng, check_seed("test_ledger_client", 14));
    RUN(test_register_and_approve);
    RUN(test_registration_window);
    RUN(test_genesis_client_and_misbehaviour);
    RUN(test_expiry_and_revival);
    RUN(test_revival_window);
    RUN(test_frost_updates);
    return check_summary();
}
