/* Tests of node/mempool: admission rules, nonce sequences, signature checked
 * once, eviction by fee, the re-check after a commit, and the node message
 * codecs' rejections. */
#include "check.h"
#include "ledger/ledger_helpers.h"
#include "node/mempool.h"
#include "node/msg.h"

static int drops;
static hansa_err last_drop;

static void on_drop(void *ctx, const hansa_hash *tx, hansa_err err, const char *why) {
    (void)ctx;
    (void)tx;
    (void)why;
    drops++;
    last_drop = err;
}

static hansa_err add(mempool *m, const wire_tx *tx, hansa_hash *h) {
    hbuf b = HBUF_INIT;
    wire_tx_encode(&b, tx);
    char why[256];
    hansa_err err = mempool_add(m, b.data, b.len, h, why, sizeof why);
    hbuf_free(&b);
    return err;
}

static void test_admission(void) {
    ledger_params p = t_params();
    uint64_t bal[3] = {1000, 1000, 1};
    ledger_state *s = t_state(&p, bal, 3, t_hash_key_a);
    mempool *m = mempool_new(&(mempool_limits){0, 0}, s, on_drop, NULL);
    uint8_t b0[28], b1[28], b2[28], b3[28];
    hansa_hash h;
    wire_tx tx0 = t_transfer(0, &t_addrs[2], 100, 0, 10, b0);
    CHECK_ERR(add(m, &tx0, &h), HANSA_OK);
    CHECK(mempool_has(m, &h));
    CHECK_ERR(add(m, &tx0, &h), HANSA_ERR_DUPLICATE);
    wire_tx tx2 = t_transfer(0, &t_addrs[2], 100, 2, 10, b1); /* gap: nonce 1 missing */
    CHECK_ERR(add(m, &tx2, &h), HANSA_ERR_NONCE);
    wire_tx tx1 = t_transfer(0, &t_addrs[2], 100, 1, 10, b2); /* the next nonce */
    CHECK_ERR(add(m, &tx1, &h), HANSA_OK);
    wire_tx big = t_transfer(0, &t_addrs[2], 781, 2, 10, b3); /* 220 spent: 781+10 > 780 */
    CHECK_ERR(add(m, &big, &h), HANSA_ERR_FUNDS);
    wire_tx forged = t_transfer(1, &t_addrs[2], 5, 0, 10, b3);
    forged.sig.b[0] ^= 1;
    CHECK_ERR(add(m, &forged, &h), HANSA_ERR_BAD_SIG);
    CHECK(!mempool_has(m, &h));
    CHECK_EQ_U64(mempool_count(m), 2);
    uint8_t junk[10] = {1, 2, 3};
    char why[256];
    CHECK(mempool_add(m, junk, sizeof junk, &h, why, sizeof why) != HANSA_OK);
    mempool_free(m);
    ledger_state_free(s);
}

/* A full pool takes a higher-fee tx by evicting the cheapest last-of-sender
 * tx of another sender, refuses a tx that does not pay more, and reports
 * the eviction. */
static void test_eviction(void) {
    ledger_params p = t_params();
    uint64_t bal[4] = {1000, 1000, 1000, 1};
    ledger_state *s = t_state(&p, bal, 4, t_hash_key_a);
    drops = 0;
    mempool *m = mempool_new(&(mempool_limits){2, 0}, s, on_drop, NULL);
    uint8_t b0[28], b1[28], b2[28], b3[28];
    hansa_hash h0, h1, h;
    wire_tx a = t_transfer(0, &t_addrs[3], 1, 0, 20, b0);
    wire_tx b = t_transfer(1, &t_addrs[3], 1, 0, 15, b1);
    CHECK_ERR(add(m, &a, &h0), HANSA_OK);
    CHECK_ERR(add(m, &b, &h1), HANSA_OK);
    wire_tx cheap = t_transfer(2, &t_addrs[3], 1, 0, 15, b2);
    CHECK_ERR(add(m, &cheap, &h), HANSA_ERR_FULL);
    wire_tx rich = t_transfer(2, &t_addrs[3], 1, 0, 16, b3);
    CHECK_ERR(add(m, &rich, &h), HANSA_OK);
    CHECK(!mempool_has(m, &h1)); /* fee 15 was the cheapest */
    CHECK(mempool_has(m, &h0));
    CHECK_EQ_U64(drops, 1);
    CHECK_ERR(last_drop, HANSA_ERR_FULL);
    mempool_free(m);
    ledger_state_free(s);
}

/* A tx that would be refused anyway (a nonce gap here; any stranger can
 * sign one with a high fee for free) evicts nothing from a full pool. */
static void test_refused_tx_evicts_nothing(void) {
    ledger_params p = t_params();
    uint64_t bal[4] = {1000, 1000, 1000, 1};
    ledger_state *s = t_state(&p, bal, 4, t_hash_key_a);
    drops = 0;
    mempool *m = mempool_new(&(mempool_limits){2, 0}, s, on_drop, NULL);
    uint8_t b0[28], b1[28], b2[28];
    hansa_hash h0, h1, h;
    wire_tx a = t_transfer(0, &t_addrs[3], 1, 0, 20, b0);
    wire_tx b = t_transfer(1, &t_addrs[3], 1, 0, 15, b1);
    CHECK_ERR(add(m, &a, &h0), HANSA_OK);
    CHECK_ERR(add(m, &b, &h1), HANSA_OK);
    wire_tx gap = t_transfer(2, &t_addrs[3], 1, 5, 500, b2);
    CHECK_ERR(add(m, &gap, &h), HANSA_ERR_NONCE);
    CHECK(mempool_has(m, &h0));
    CHECK(mempool_has(m, &h1));
    CHECK_EQ_U64(drops, 0);
    mempool_free(m);
    ledger_state_free(s);
}

/* After a commit: included txs leave silently; txs that no longer apply
 * are dropped and reported; the rest stay in order. */
static void test_update_rechecks(void) {
    ledger_params p = t_params();
    uint64_t bal[3] = {1000, 1000, 1};
    ledger_state *s = t_state(&p, bal, 3, t_hash_key_a);
    drops = 0;
    mempool *m = mempool_new(&(mempool_limits){0, 0}, s, on_drop, NULL);
    uint8_t b0[28], b1[28], b2[28];
    hansa_hash h0, h1, hx;
    wire_tx t0 = t_transfer(0, &t_addrs[2], 100, 0, 10, b0);
    wire_tx t1 = t_transfer(0, &t_addrs[2], 100, 1, 10, b1);
    CHECK_ERR(add(m, &t0, &h0), HANSA_OK);
    CHECK_ERR(add(m, &t1, &h1), HANSA_OK);
    /* A competing block spends account 0's nonce 0 differently. */
    wire_tx other = t_transfer(0, &t_addrs[1], 950, 0, 10, b2);
    ledger_block *pb;
    ledger_block_info info = t_info(s, 60);
    char why[LEDGER_WHY_MAX];
    CHECK_ERR(ledger_block_begin(s, &info, &pb, why, sizeof why), HANSA_OK);
    CHECK_ERR(ledger_block_add_tx(pb, &other, false, why, sizeof why), HANSA_OK);
    ledger_block_finish(pb);
    ledger_block_commit(s, pb);
    wire_tx_hash(&other, &hx);
    mempool_update(m, s, &hx, 1);
    CHECK_EQ_U64(mempool_count(m), 0); /* t0 now has a stale nonce, t1 a gap */
    CHECK_EQ_U64(drops, 2);
    mempool_free(m);
    ledger_state_free(s);
}

static void test_msg_rejects(void) {
    hbuf b = HBUF_INIT;
    msg_status st = {0xe2e4, 7, {{1}}}, back;
    msg_status_encode(&b, &st);
    CHECK_ERR(msg_status_decode(b.data, b.len, &back, NULL), HANSA_OK);
    CHECK(back.height == 7 && back.chain_id == 0xe2e4);
    CHECK_ERR(msg_status_decode(b.data, b.len - 1, &back, NULL), HANSA_ERR_TRUNCATED);
    hbuf_put_u8(&b, 0);
    CHECK_ERR(msg_status_decode(b.data, b.len, &back, NULL), HANSA_ERR_TRAILING);
    b.data[0] = 9;
    CHECK_ERR(msg_status_decode(b.data, b.len - 1, &back, NULL), HANSA_ERR_VERSION);
    hbuf_reset(&b);
    hbuf_put_u32(&b, 0xffffffffu); /* a proposal length far over its bound */
    msg_proposal mp;
    CHECK_ERR(msg_proposal_decode(b.data, b.len, &mp, NULL), HANSA_ERR_TOO_LONG);
    hbuf_reset(&b);
    msg_block mb = {5, (const uint8_t *)"ab", 2, (const uint8_t *)"c", 1}, mb2;
    msg_block_encode(&b, &mb);
    CHECK_ERR(msg_block_decode(b.data, b.len, &mb2, NULL), HANSA_OK);
    CHECK(mb2.height == 5 && mb2.block_len == 2 && mb2.commit_len == 1);
    hbuf_free(&b);
}

int main(void) {
    t_init_keys();
    RUN(test_admission);
    RUN(test_eviction);
    RUN(test_refused_tx_evicts_nothing);
    RUN(test_update_rechecks);
    RUN(test_msg_rejects);
    return check_summary();
}
