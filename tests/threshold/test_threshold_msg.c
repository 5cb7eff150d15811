/* Round-trip and rejection tests of the DKG and ROAST message decoders:
 * every kind re-encodes to its input; every truncation, a trailing byte, a
 * wrong version or kind, out-of-range participants and thresholds, identity
 * and non-canonical elements, scalars >= L, unsorted or repeated signer
 * lists and oversize messages are refused with their own error at the right
 * offset, leaving the output zeroed. */
#include "base/rng.h"
#include "check.h"
#include "crypto/frost.h"
#include "crypto/sign.h"
#include "threshold/dkg_msg.h"
#include "threshold/roast_msg.h"

static hansa_prng prng;
static hansa_rng rng;

static void rand_point(frost_point *p) {
    frost_scalar s;
    frost_scalar_random(&rng, &s);
    CHECK(frost_base_mul(&s, p));
}

static bool all_zero(const void *p, size_t n) {
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i]) return false;
    return true;
}

/* Decodes `b` expecting `want`; on success the re-encoding must be b. */
static void expect_dkg(const hbuf *b, hansa_err want, size_t at) {
    dkg_msg m;
    wire_rd r;
    CHECK_ERR(dkg_msg_decode(b->data, b->len, &m, &r), want);
    if (want == HANSA_OK) {
        hbuf again = HBUF_INIT;
        dkg_msg_encode(&again, &m);
        CHECK(again.len == b->len && memcmp(again.data, b->data, b->len) == 0);
        hbuf_free(&again);
    } else {
        CHECK(all_zero(&m, sizeof m));
        if (at != SIZE_MAX) CHECK_EQ_U64(r.err_off, at);
    }
}

static void expect_roast(const hbuf *b, hansa_err want, size_t at) {
    roast_msg m;
    wire_rd r;
    CHECK_ERR(roast_msg_decode(b->data, b->len, &m, &r), want);
    if (want == HANSA_OK) {
        hbuf again = HBUF_INIT;
        roast_msg_encode(&again, &m);
        CHECK(again.len == b->len && memcmp(again.data, b->data, b->len) == 0);
        hbuf_free(&again);
    } else {
        CHECK(all_zero(&m, sizeof m));
        if (at != SIZE_MAX) CHECK_EQ_U64(r.err_off, at);
    }
}

/* Every proper prefix is TRUNCATED; one more byte is TRAILING. */
static void expect_cuts(const hbuf *b, bool dkg) {
    for (size_t n = 0; n < b->len; n++) {
        hbuf cut = HBUF_INIT;
        hbuf_append(&cut, b->data, n);
        if (dkg)
            expect_dkg(&cut, HANSA_ERR_TRUNCATED, SIZE_MAX);
        else
            expect_roast(&cut, HANSA_ERR_TRUNCATED, SIZE_MAX);
        hbuf_free(&cut);
    }
    hbuf longer = HBUF_INIT;
    hbuf_append(&longer, b->data, b->len);
    hbuf_put_u8(&longer, 0);
    if (dkg)
        expect_dkg(&longer, HANSA_ERR_TRAILING, b->len);
    else
        expect_roast(&longer, HANSA_ERR_TRAILING, b->len);
    hbuf_free(&longer);
}

static void sample_signed_share(dkg_signed_share *ss) {
    frost_scalar_random(&rng, &ss->share);
    prng_fill(&prng, ss->commit_hash.b, 32);
    prng_fill(&prng, ss->sig.b, 64);
}

static void sample_dkg(dkg_msg_kind kind, dkg_msg *m) {
    memset(m, 0, sizeof *m);
    m->kind = kind;
    prng_fill(&prng, m->session.b, 32);
    switch (kind) {
    case DKG_MSG_COMMIT:
        m->u.commit.dealer = 3;
        m->u.commit.t = 5;
        for (int k = 0; k < 5; k++) rand_point(&m->u.commit.commits[k]);
        rand_point(&m->u.commit.pok.R);
        frost_scalar_random(&rng, &m->u.commit.pok.z);
        prng_fill(&prng, m->u.commit.sig.b, 64);
        break;
    case DKG_MSG_SHARE:
        m->u.share.dealer = 1;
        m->u.share.recipient = 128;
        prng_fill(&prng, m->u.share.sealed, DKG_SEALED_BYTES);
        break;
    case DKG_MSG_COMPLAINT:
        m->u.complaint.accuser = 2;
        m->u.complaint.dealer = 7;
        m->u.complaint.reason = DKG_COMPLAINT_BAD_SHARE;
        sample_signed_share(&m->u.complaint.evidence);
        prng_fill(&prng, m->u.complaint.sig.b, 64);
        break;
    case DKG_MSG_REVEAL:
        m->u.reveal.dealer = 4;
        m->u.reveal.recipient = 2;
        sample_signed_share(&m->u.reveal.share);
        break;
    case DKG_MSG_RESULT:
        m->u.result.participant = 9;
        prng_fill(&prng, m->u.result.qual, DKG_BITMAP_BYTES);
        rand_point(&m->u.result.key);
        prng_fill(&prng, m->u.result.transcript.b, 32);
        prng_fill(&prng, m->u.result.sig.b, 64);
        break;
    }
}

static void test_dkg_roundtrip(void) {
    const size_t sizes[] = {0, DKG_COMMIT_BYTES(5), DKG_SHARE_BYTES, DKG_COMPLAINT_BYTES(1),
                            DKG_REVEAL_BYTES, DKG_RESULT_BYTES};
    for (int k = DKG_MSG_COMMIT; k <= DKG_MSG_RESULT; k++) {
        dkg_msg m;
        sample_dkg((dkg_msg_kind)k, &m);
        hbuf b = HBUF_INIT;
        dkg_msg_encode(&b, &m);
        CHECK_EQ_U64(b.len, sizes[k]);
        expect_dkg(&b, HANSA_OK, 0);
        expect_cuts(&b, true);
        /* Version and kind. */
        b.data[0] = 2;
        expect_dkg(&b, HANSA_ERR_VERSION, 0);
        b.data[0] = 1;
        uint8_t kind = b.data[1];
        b.data[1] = 0;
        expect_dkg(&b, HANSA_ERR_NONCANONICAL, 1);
        b.data[1] = 6;
        expect_dkg(&b, HANSA_ERR_NONCANONICAL, 1);
        b.data[1] = kind;
        /* The first participant field (offset 34): 0 and 129 are out of range. */
        uint16_t id = le16_load(b.data + 34);
        le16_store(b.data + 34, 0);
        expect_dkg(&b, HANSA_ERR_INVALID, 34);
        le16_store(b.data + 34, FROST_PARTICIPANTS_MAX + 1);
        expect_dkg(&b, HANSA_ERR_INVALID, 34);
        le16_store(b.data + 34, id);
        expect_dkg(&b, HANSA_OK, 0);
        hbuf_free(&b);
    }
    /* A MISSING complaint has no evidence. */
    dkg_msg m;
    sample_dkg(DKG_MSG_COMPLAINT, &m);
    m.u.complaint.reason = DKG_COMPLAINT_MISSING;
    memset(&m.u.complaint.evidence, 0, sizeof m.u.complaint.evidence);
    hbuf b = HBUF_INIT;
    dkg_msg_encode(&b, &m);
    CHECK_EQ_U64(b.len, DKG_COMPLAINT_BYTES(0));
    expect_dkg(&b, HANSA_OK, 0);
    b.data[38] = 3; /* reason */
    expect_dkg(&b, HANSA_ERR_NONCANONICAL, 38);
    hbuf_free(&b);
}

static void test_dkg_rejects(void) {
    dkg_msg m;
    hbuf b = HBUF_INIT;
    sample_dkg(DKG_MSG_COMMIT, &m);
    dkg_msg_encode(&b, &m);
    /* t = 0, t over the bound (before the bytes run out). */
    le16_store(b.data + 36, 0);
    expect_dkg(&b, HANSA_ERR_INVALID, 36);
    le16_store(b.data + 36, FROST_PARTICIPANTS_MAX + 1);
    expect_dkg(&b, HANSA_ERR_TOO_LONG, 36);
    le16_store(b.data + 36, 6); /* claims one more commitment than there is */
    dkg_msg tmp;
    CHECK(dkg_msg_decode(b.data, b.len, &tmp, NULL) != HANSA_OK);
    le16_store(b.data + 36, 5);
    /* An identity commitment, a non-canonical one (bit 255), a negative one. */
    size_t c2 = 38 + 2 * 32;
    uint8_t save[32];
    memcpy(save, b.data + c2, 32);
    memset(b.data + c2, 0, 32);
    expect_dkg(&b, HANSA_ERR_INVALID, c2);
    memcpy(b.data + c2, save, 32);
    b.data[c2 + 31] |= 0x80;
    expect_dkg(&b, HANSA_ERR_NONCANONICAL, c2);
    memcpy(b.data + c2, save, 32);
    b.data[c2] |= 1;
    expect_dkg(&b, HANSA_ERR_NONCANONICAL, c2);
    memcpy(b.data + c2, save, 32);
    /* The proof's z >= L. */
    size_t z = 38 + 5 * 32 + 32;
    memset(b.data + z, 0xff, 32);
    expect_dkg(&b, HANSA_ERR_NONCANONICAL, z);
    hbuf_free(&b);

    /* A revealed share >= L. */
    sample_dkg(DKG_MSG_REVEAL, &m);
    dkg_msg_encode(&b, &m);
    memset(b.data + 38, 0xff, 32);
    expect_dkg(&b, HANSA_ERR_NONCANONICAL, 38);
    hbuf_free(&b);

    /* The sealed plaintext decoder refuses a share >= L too. */
    uint8_t plain[DKG_SIGNED_SHARE_BYTES];
    memset(plain, 0xff, sizeof plain);
    dkg_signed_share ss;
    CHECK_ERR(dkg_signed_share_decode(plain, &ss), HANSA_ERR_NONCANONICAL);
    CHECK(all_zero(&ss, sizeof ss));
    sample_signed_share(&ss);
    dkg_signed_share back;
    dkg_signed_share_encode(plain, &ss);
    CHECK_ERR(dkg_signed_share_decode(plain, &back), HANSA_OK);
    CHECK(memcmp(&ss, &back, sizeof ss) == 0);
}

static void sample_roast(roast_msg_kind kind, roast_msg *m, uint16_t n) {
    memset(m, 0, sizeof *m);
    m->kind = kind;
    rand_point(&m->group_key);
    m->round = 0x0102030405060708ull;
    m->session = 77;
    m->commitment.id = 5;
    rand_point(&m->commitment.hiding);
    rand_point(&m->commitment.binding);
    frost_scalar_random(&rng, &m->z);
    static const uint8_t msg[] = "checkpoint bytes";
    if (kind == ROAST_MSG_REQUEST) {
        m->msg = msg;
        m->msg_len = sizeof msg;
        m->n = n;
        for (uint16_t i = 0; i < n; i++) {
            m->list[i].id = (uint16_t)(2 * i + 1);
            rand_point(&m->list[i].hiding);
            rand_point(&m->list[i].binding);
        }
    }
}

static void test_roast_roundtrip_and_rejects(void) {
    for (int k = ROAST_MSG_COMMIT; k <= ROAST_MSG_SHARE; k++) {
        roast_msg m;
        sample_roast((roast_msg_kind)k, &m, 3);
        hbuf b = HBUF_INIT;
        roast_msg_encode(&b, &m);
        size_t want = k == ROAST_MSG_COMMIT ? ROAST_COMMIT_BYTES
                      : k == ROAST_MSG_SHARE ? ROAST_SHARE_BYTES
                                             : ROAST_REQUEST_BYTES(m.msg_len, 3);
        CHECK_EQ_U64(b.len, want);
        expect_roast(&b, HANSA_OK, 0);
        expect_cuts(&b, false);
        b.data[0] = 0;
        expect_roast(&b, HANSA_ERR_VERSION, 0);
        b.data[0] = 1;
        b.data[1] = 4;
        expect_roast(&b, HANSA_ERR_NONCANONICAL, 1);
        b.data[1] = (uint8_t)k;
        memset(b.data + 2, 0, 32); /* identity group key */
        expect_roast(&b, HANSA_ERR_INVALID, 2);
        hbuf_free(&b);
    }
    roast_msg m;
    hbuf b = HBUF_INIT;
    /* A share's z >= L; its signer 0. */
    sample_roast(ROAST_MSG_SHARE, &m, 0);
    roast_msg_encode(&b, &m);
    memset(b.data + 48, 0xff, 32);
    expect_roast(&b, HANSA_ERR_NONCANONICAL, 48);
    le16_store(b.data + 46, 0);
    expect_roast(&b, HANSA_ERR_INVALID, 46);
    hbuf_free(&b);

    /* A request: msg over the bound, empty and oversize lists, unsorted and
     * repeated signers. */
    sample_roast(ROAST_MSG_REQUEST, &m, 3);
    roast_msg_encode(&b, &m);
    size_t len_at = 42 + 4, n_at = len_at + 4 + m.msg_len;
    le32_store(b.data + len_at, ROAST_MSG_MAX + 1);
    expect_roast(&b, HANSA_ERR_TOO_LONG, len_at);
    le32_store(b.data + len_at, m.msg_len);
    le16_store(b.data + n_at, 0);
    expect_roast(&b, HANSA_ERR_INVALID, n_at);
    le16_store(b.data + n_at, FROST_PARTICIPANTS_MAX + 1);
    expect_roast(&b, HANSA_ERR_TOO_LONG, n_at);
    le16_store(b.data + n_at, 3);
    size_t second = n_at + 2 + 66;
    le16_store(b.data + second, 1); /* equal to the first id */
    expect_roast(&b, HANSA_ERR_NONCANONICAL, second);
    le16_store(b.data + second, 0);
    expect_roast(&b, HANSA_ERR_INVALID, second);
    le16_store(b.data + second, 3);
    expect_roast(&b, HANSA_OK, 0);
    hbuf_free(&b);
    sample_roast(ROAST_MSG_REQUEST, &m, FROST_PARTICIPANTS_MAX);
    for (uint16_t i = 0; i < FROST_PARTICIPANTS_MAX; i++) m.list[i].id = (uint16_t)(i + 1);
    roast_msg_encode(&b, &m);
    expect_roast(&b, HANSA_OK, 0);
    hbuf_free(&b);
}

int main(void) {
    crypto_init();
    prng_seed(&prng, check_seed("test_threshold_msg", 5));
    rng = prng_as_rng(&prng);
    RUN(test_dkg_roundtrip);
    RUN(test_dkg_rejects);
    RUN(test_roast_roundtrip_and_rejects);
    return check_summary();
}
