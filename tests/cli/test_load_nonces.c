/* test_load_nonces.c — the load's record of a sender's transactions by nonce
 * (cmd/lib/load_nonces.c), with the holes a commit of nonces the load never
 * sent leaves: the half-load run of `hansa bench` met one at once (the
 * saturated run's transactions still in the pools), and so could a `hansa
 * load` started right after another. A hole must be passed by when a commit
 * goes over it (its slot holds no index: reading it as one reads before the
 * result's array), recorded past without tripping on the gap (an assertion
 * that nonces come in order once did), and filled when a lagging node hands
 * it back. */
#include <string.h>

#include "check.h"
#include "cmd/lib/load_nonces.h"

static hansa_hash hash_of(uint64_t nonce) {
    hansa_hash h;
    memset(h.b, (int)(nonce & 0xff), sizeof h.b);
    return h;
}

static load_tx *record(load_nonces *m, load_result *r, uint64_t nonce) {
    hansa_hash h = hash_of(nonce);
    load_tx *t = load_nonces_record(m, r, 7, nonce, &h);
    CHECK(t != NULL && t->nonce == nonce && t->account == 7);
    CHECK(t != NULL && memcmp(t->hash.b, h.b, sizeof h.b) == 0);
    return t;
}

/* Sent 10 and 11; a commit up to 15 (12..14 another client's) moves the
 * next nonce to 15; then 15 is sent and committed, and a commit walks over
 * the holes again. */
static void test_hole_passed_by(void) {
    load_nonces m = {.base = 10};
    load_result r = {0};
    record(&m, &r, 10);
    record(&m, &r, 11)->state = LOAD_TX_ACCEPTED;
    load_nonces_committed(&m, &r, 10, 15, 1000);
    CHECK_EQ_U64(r.committed, 2);
    CHECK_EQ_U64(r.accepted, 1); /* 10: accepted by a node that did not answer in time */
    CHECK(load_nonces_at(&m, &r, 10)->commit_us == 1000);
    load_tx *t = record(&m, &r, 15); /* past the holes 12..14 */
    CHECK_EQ_U64(load_nonces_end(&m), 16);
    CHECK_EQ_U64(r.n_txs, 3);
    for (uint64_t k = 12; k < 15; k++) CHECK(load_nonces_at(&m, &r, k) == NULL);
    CHECK(t->state == LOAD_TX_NEW);
    load_nonces_committed(&m, &r, 10, 16, 2000); /* over every hole, and the first two again */
    CHECK_EQ_U64(r.committed, 3);
    CHECK_EQ_U64(r.accepted, 2);
    CHECK(load_nonces_at(&m, &r, 15)->state == LOAD_TX_COMMITTED);
    CHECK(load_nonces_at(&m, &r, 10)->commit_us == 1000); /* not committed twice */
    load_nonces_free(&m);
    load_result_free(&r);
}

/* A lagging node hands back a nonce in a hole (a resync): it is recorded in
 * its slot, the nonces after it keep theirs. */
static void test_hole_filled(void) {
    load_nonces m = {.base = 0};
    load_result r = {0};
    record(&m, &r, 0);
    record(&m, &r, 4);
    CHECK(load_nonces_at(&m, &r, 2) == NULL);
    load_tx *t = record(&m, &r, 2);
    CHECK(load_nonces_at(&m, &r, 2) == t);
    CHECK(load_nonces_at(&m, &r, 4)->nonce == 4);
    CHECK_EQ_U64(load_nonces_end(&m), 5);
    CHECK(record(&m, &r, 2) == t); /* a second record of it is the same one */
    CHECK_EQ_U64(r.n_txs, 3);
    load_nonces_committed(&m, &r, 0, 5, 10);
    CHECK_EQ_U64(r.committed, 3);
    load_nonces_free(&m);
    load_result_free(&r);
}

/* A committed nonce from a node far past what was sent (or below the base):
 * only the nonces sent are walked; nothing below the base is ours. */
static void test_commit_bounded(void) {
    load_nonces m = {.base = 100};
    load_result r = {0};
    for (uint64_t k = 100; k < 400; k++) record(&m, &r, k); /* past the first growth of tx_of */
    CHECK(load_nonces_at(&m, &r, 99) == NULL);
    CHECK(load_nonces_at(&m, &r, 400) == NULL);
    load_nonces_committed(&m, &r, 0, LOAD_NONCE_MAX, 5);
    CHECK_EQ_U64(r.committed, 300);
    CHECK_EQ_U64(r.accepted, 300);
    load_nonces_free(&m);
    load_result_free(&r);
}

/* A commit far past what was sent (another client used the account a lot,
 * or the base came from a lagging node) is followed without a slot per
 * nonce of the gap: everything sent is committed and the table starts again
 * there; a gap up to LOAD_NONCE_GAP_MAX is kept as holes. */
static void test_far_commit(void) {
    load_nonces m = {.base = 100};
    load_result r = {0};
    record(&m, &r, 100);
    record(&m, &r, 101);
    load_nonces_committed(&m, &r, 100, 102 + LOAD_NONCE_GAP_MAX, 7);
    CHECK_EQ_U64(load_nonces_end(&m), 102); /* a gap of exactly the bound: kept */
    record(&m, &r, 102 + LOAD_NONCE_GAP_MAX);
    CHECK_EQ_U64(load_nonces_end(&m), 103 + LOAD_NONCE_GAP_MAX);
    size_t cap = m.cap;
    uint64_t far = 1ull << 40;
    load_nonces_committed(&m, &r, 102 + LOAD_NONCE_GAP_MAX, far, 8);
    CHECK_EQ_U64(r.committed, 3);
    CHECK_EQ_U64(load_nonces_end(&m), far); /* started again: no 2^40 holes */
    record(&m, &r, far);
    CHECK(m.cap == cap);
    CHECK(load_nonces_at(&m, &r, far)->nonce == far);
    CHECK(load_nonces_at(&m, &r, 101) == NULL); /* committed, no longer by nonce */
    load_nonces_free(&m);
    load_result_free(&r);
}

int main(void) {
    RUN(test_hole_passed_by);
    RUN(test_hole_filled);
    RUN(test_commit_bounded);
    RUN(test_far_commit);
    return check_summary();
}
