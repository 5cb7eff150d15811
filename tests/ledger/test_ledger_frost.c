/* test_ledger_frost.c — the ledger's check of DKG COMMIT transactions (tx
 * kind 60) and its group key derivation, against real DKG sessions. */
#include <string.h>

#include "../threshold/dkg_harness.h"
#include "ledger/tx_frost.h"

static uint64_t base_seed;

/* Runs an honest 4-member session; returns the COMMITs of the log by dealer. */
static void honest_commits(net *w, hbuf commits[5]) {
    net_init(w, 4, base_seed, 1);
    net_run(w, 50);
    for (size_t k = 0; k < w->log_len; k++) {
        dkg_msg m;
        wire_rd r;
        if (dkg_msg_decode(w->log[k].bytes, w->log[k].len, &m, &r) != HANSA_OK) continue;
        if (m.kind != DKG_MSG_COMMIT) continue;
        hbuf_reset(&commits[m.u.commit.dealer]);
        hbuf_append(&commits[m.u.commit.dealer], w->log[k].bytes, w->log[k].len);
    }
}

static void test_key_equals_sessions(void) {
    net w;
    hbuf c[5] = {HBUF_INIT, HBUF_INIT, HBUF_INIT, HBUF_INIT, HBUF_INIT};
    honest_commits(&w, c);
    frost_point c0[4];
    uint8_t qual[DKG_BITMAP_BYTES] = {0};
    for (uint16_t d = 1; d <= 4; d++) {
        dkg_commit_body body;
        const char *why = NULL;
        CHECK_ERR(frost_tx_check_commit(&w.ctx, &w.keys[d].pub, c[d].data, c[d].len, &body, &why),
                  HANSA_OK);
        c0[d - 1] = body.commits[0];
        dkg_bitmap_set(qual, d);
    }
    frost_point mine, theirs;
    CHECK_ERR(frost_tx_group_key(4, c0, qual, &mine, NULL), HANSA_OK);
    CHECK(net_all_agree(&w, &theirs));
    CHECK(frost_point_eq(&mine, &theirs));
    /* Below the threshold (3 of 4) there is no key. */
    uint8_t two[DKG_BITMAP_BYTES] = {0};
    dkg_bitmap_set(two, 1);
    dkg_bitmap_set(two, 3);
    CHECK_ERR(frost_tx_group_key(4, c0, two, &mine, NULL), HANSA_ERR_STATE);
    for (int i = 0; i < 5; i++) hbuf_free(&c[i]);
    net_free(&w);
}

static void test_refusals(void) {
    net w;
    hbuf c[5] = {HBUF_INIT, HBUF_INIT, HBUF_INIT, HBUF_INIT, HBUF_INIT};
    honest_commits(&w, c);
    dkg_commit_body body;
    const char *why = NULL;
    /* Another delegate submitting dealer 1's COMMIT, or an outsider. */
    CHECK_ERR(frost_tx_check_commit(&w.ctx, &w.keys[2].pub, c[1].data, c[1].len, &body, &why),
              HANSA_ERR_PROTOCOL);
    /* A COMMIT of this set presented for the next set (stale epoch). */
    dkg_context next = w.ctx;
    next.epoch = 2;
    CHECK_ERR(frost_tx_check_commit(&next, &w.keys[1].pub, c[1].data, c[1].len, &body, &why),
              HANSA_ERR_PROTOCOL);
    /* A proof of knowledge that does not verify, properly signed. */
    dkg_msg m;
    wire_rd r;
    CHECK_ERR(dkg_msg_decode(c[1].data, c[1].len, &m, &r), HANSA_OK);
    m.u.commit.pok.z.b[0] ^= 1;
    hbuf bad = HBUF_INIT;
    net_sign_encode(&w, 1, &m, &bad);
    CHECK_ERR(frost_tx_check_commit(&w.ctx, &w.keys[1].pub, bad.data, bad.len, &body, &why),
              HANSA_ERR_CRYPTO);
    /* A bad signature. */
    bad.data[bad.len - 1] ^= 1;
    CHECK(frost_tx_check_commit(&w.ctx, &w.keys[1].pub, bad.data, bad.len, &body, &why) !=
          HANSA_OK);
    /* Truncated bytes. */
    CHECK(frost_tx_check_commit(&w.ctx, &w.keys[1].pub, c[1].data, c[1].len - 1, &body, &why) !=
          HANSA_OK);
    hbuf_free(&bad);
    for (int i = 0; i < 5; i++) hbuf_free(&c[i]);
    net_free(&w);
}

static void test_keyable(void) {
    uint64_t equal[4] = {10, 10, 10, 10};
    CHECK(frost_set_keyable(equal, 4)); /* 3 of 4 hold 30/40 */
    /* 3 of 4 members (t = 3) with 3 of 103 power must not hold a key alone. */
    uint64_t skewed[4] = {1, 100, 1, 1};
    CHECK(!frost_set_keyable(skewed, 4));
    uint64_t big[3] = {UINT64_MAX, UINT64_MAX, UINT64_MAX};
    CHECK(frost_set_keyable(big, 3)); /* no overflow: t = 3 of 3 */
    uint64_t edge[7] = {1, 1, 1, 1, 1, 1, 4}; /* t = 5: least five hold 5 of 10 */
    CHECK(!frost_set_keyable(edge, 7));
}

int main(void) {
    crypto_init();
    base_seed = check_seed("test_ledger_frost", 2026);
    RUN(test_key_equals_sessions);
    RUN(test_refusals);
    RUN(test_keyable);
    return check_summary();
}
