/* test_sim_msg.c — a simulated message's vote is decoded and its signature
 * verified once (net.c, msg_vote and msg_vote_sig_ok), and what a message
 * remembers never outlives it: a message made from a freed one's memory
 * (the spare list) is decoded and verified afresh. */
#include <string.h>

#include "check.h"
#include "crypto/sign.h"
#include "node/msg.h"
#include "sim/world.h"

/* A vote of height h signed by kp, encoded into out; bad: a signature
 * byte flipped after signing. */
static void make_vote(const hansa_keypair *kp, uint64_t h, bool bad, hbuf *out) {
    wire_vote v;
    memset(&v, 0, sizeof v);
    v.chain_id = 7;
    v.height = h;
    v.round = 2;
    v.type = VOTE_PRECOMMIT;
    v.block.present = true;
    memset(v.block.hash.b, 0xab, sizeof v.block.hash.b);
    v.validator = kp->pub;
    hbuf sb = HBUF_INIT;
    wire_vote_sign_bytes(&sb, &v);
    sign_domain(kp, SIGN_DOMAIN_VOTE, sb.data, sb.len, &v.sig);
    hbuf_free(&sb);
    if (bad) v.sig.b[5] ^= 1;
    hbuf_reset(out);
    wire_vote_encode(out, &v);
}

static void test_vote_decoded_once(void) {
    hansa_keypair kp;
    uint8_t seed[HANSA_SEED_BYTES] = {3};
    keypair_from_seed(&kp, seed);
    hbuf b = HBUF_INIT;
    make_vote(&kp, 41, false, &b);
    sim_msg *m = msg_new(MSG_VOTE, b.data, b.len);
    const wire_vote *v = msg_vote(m);
    CHECK(v != NULL);
    CHECK(v && v->height == 41 && v->round == 2 && v->type == VOTE_PRECOMMIT && v->chain_id == 7);
    CHECK(v && pubkey_eq(&v->validator, &kp.pub));
    CHECK(msg_vote(m) == v); /* the same decode, not another */
    CHECK(msg_vote_sig_ok(m));
    CHECK(msg_vote_sig_ok(m));
    msg_release_unsent(m);

    /* Not a vote: another type, or bytes that do not decode. */
    m = msg_new(MSG_PROPOSAL, b.data, b.len);
    CHECK(msg_vote(m) == NULL);
    msg_release_unsent(m);
    m = msg_new(MSG_VOTE, b.data, b.len - 1);
    CHECK(msg_vote(m) == NULL);
    CHECK(msg_vote(m) == NULL);
    msg_release_unsent(m);
    hbuf_free(&b);
}

/* Good and bad signatures, heights that differ, in turn through the spare
 * messages: each verdict and decode is the message's own. Sanitizer builds
 * keep no spares (net.c), so this test checks the spare path only in a
 * release build (build/release/test_sim_msg); under ASan it checks the
 * same verdicts on fresh messages. */
static void test_spares_forget(void) {
    hansa_keypair kp;
    uint8_t seed[HANSA_SEED_BYTES] = {4};
    keypair_from_seed(&kp, seed);
    hbuf b = HBUF_INIT;
    for (int i = 0; i < 6; i++) {
        bool bad = i % 2 == 1;
        make_vote(&kp, 100 + (uint64_t)i, bad, &b);
        sim_msg *m = msg_new(MSG_VOTE, b.data, b.len);
        const wire_vote *v = msg_vote(m);
        CHECK(v && v->height == 100 + (uint64_t)i);
        CHECK(msg_vote_sig_ok(m) == !bad);
        msg_release_unsent(m);
        /* A message that is not a vote, in the memory the vote had. */
        m = msg_new(MSG_TX, b.data, 20);
        CHECK(msg_vote(m) == NULL);
        msg_release_unsent(m);
    }
    hbuf_free(&b);
}

int main(void) {
    RUN(test_vote_decoded_once);
    RUN(test_spares_forget);
    return check_summary();
}
