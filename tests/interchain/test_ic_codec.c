/* test_ic_codec.c — the light client's byte forms (interchain/codec.h):
 * every body and record round-trips, every prefix of a valid encoding and
 * a trailing byte are refused with an offset inside the input, and each
 * non-canonical or out-of-range field is refused with its own code. */
#include "check.h"
#include "interchain/ic_forge.h"

static forge F;

typedef hansa_err (*dec_fn)(const uint8_t *p, size_t len, void *obj, wire_rd *r);
typedef void (*free_fn)(void *obj);

/* Every strict prefix and the input plus one byte are refused. */
static void expect_prefixes_refused(const hbuf *b, dec_fn dec, void *obj, free_fn fr) {
    for (size_t n = 0; n < b->len; n++) {
        wire_rd r;
        hansa_err err = dec(n ? b->data : NULL, n, obj, &r);
        CHECK(err != HANSA_OK);
        CHECK(r.err_off <= n);
        if (err == HANSA_OK && fr) fr(obj);
    }
    hbuf c = HBUF_INIT;
    hbuf_append(&c, b->data, b->len);
    hbuf_put_u8(&c, 0);
    wire_rd r;
    CHECK_ERR(dec(c.data, c.len, obj, &r), HANSA_ERR_TRAILING);
    hbuf_free(&c);
}

static hansa_err dec_update(const uint8_t *p, size_t n, void *o, wire_rd *r) { return ic_update_decode(p, n, o, r); }
static void free_update(void *o) { ic_update_free(o); }
static hansa_err dec_client(const uint8_t *p, size_t n, void *o, wire_rd *r) { return ic_client_decode(p, n, 0xa1, o, r); }
static hansa_err dec_cons(const uint8_t *p, size_t n, void *o, wire_rd *r) { return ic_consensus_decode(p, n, 9, o, r); }
static hansa_err dec_evl(const uint8_t *p, size_t n, void *o, wire_rd *r) { return ic_evidence_list_decode(p, n, o, r); }
static hansa_err dec_revival(const uint8_t *p, size_t n, void *o, wire_rd *r) { return ic_revival_decode(p, n, o, r); }

static void test_create_and_approve(void) {
    ic_create c, d;
    forge_root(&F, 5, 60000, &c);
    hbuf b = HBUF_INIT;
    ic_create_encode(&b, &c);
    CHECK_EQ_U64(b.len, IC_CREATE_BYTES);
    CHECK_ERR(ic_create_decode(b.data, b.len, &d, NULL), HANSA_OK);
    CHECK(memcmp(&c, &d, sizeof c) == 0);
    for (size_t n = 0; n < b.len; n++) CHECK(ic_create_decode(n ? b.data : NULL, n, &d, NULL) != HANSA_OK);
    /* a byte more is the start of a group key cut short (test_client_frost.c) */
    hbuf_put_u8(&b, 0);
    CHECK_ERR(ic_create_decode(b.data, b.len, &d, NULL), HANSA_ERR_TRUNCATED);
    b.len--;
    hansa_hash h1, h2;
    ic_create_hash(&c, &h1);
    d.root.app_hash.b[0] ^= 1;
    ic_create_hash(&d, &h2);
    CHECK(!hash_eq(&h1, &h2));
    hbuf_reset(&b);
    ic_approve_encode(&b, 0xe2e4, &h1);
    CHECK_EQ_U64(b.len, IC_APPROVE_BYTES);
    uint32_t chain;
    hansa_hash subj;
    CHECK_ERR(ic_approve_decode(b.data, b.len, &chain, &subj, NULL), HANSA_OK);
    CHECK_EQ_U64(chain, 0xe2e4);
    CHECK(hash_eq(&subj, &h1));
    CHECK_ERR(ic_approve_decode(b.data, b.len - 1, &chain, &subj, NULL), HANSA_ERR_TRUNCATED);
    CHECK_EQ_U64(chain, 0);
    hbuf_free(&b);
}

static void roundtrip_update(const ic_update *u) {
    hbuf b = HBUF_INIT, b2 = HBUF_INIT;
    ic_update_encode(&b, u);
    CHECK(b.len <= IC_UPDATE_BYTES_MAX);
    ic_update d;
    CHECK_ERR(ic_update_decode(b.data, b.len, &d, NULL), HANSA_OK);
    ic_update_encode(&b2, &d);
    CHECK(b.len == b2.len && memcmp(b.data, b2.data, b.len) == 0);
    CHECK_EQ_U64(d.trusted_height, u->trusted_height);
    CHECK_EQ_U64(d.commit.n_sigs, u->commit.n_sigs);
    CHECK_EQ_U64(d.has_trusted_vals, u->has_trusted_vals);
    ic_update_free(&d);
    expect_prefixes_refused(&b, dec_update, &d, free_update);
    hbuf_free(&b);
    hbuf_free(&b2);
}

static void test_update(void) {
    ic_update u;
    forge_update(&F, 3, 4, 0, &u); /* adjacent: no trusted set */
    roundtrip_update(&u);
    hbuf b = HBUF_INIT;
    ic_update_encode(&b, &u);
    ic_update d;
    wire_rd r;
    /* cert_kind sits after trusted_height(8), header len(4) and header */
    size_t kind_off = 8 + 4 + WIRE_HEADER_BYTES;
    b.data[kind_off] = 3;
    CHECK_ERR(ic_update_decode(b.data, b.len, &d, &r), HANSA_ERR_INVALID);
    CHECK_EQ_U64(r.err_off, kind_off + 1);
    b.data[kind_off] = 1;
    /* has_trusted is the last byte: 2 is not a bool */
    b.data[b.len - 1] = 2;
    CHECK_ERR(ic_update_decode(b.data, b.len, &d, &r), HANSA_ERR_NONCANONICAL);
    b.data[b.len - 1] = 0;
    /* an error inside the nested header is reported at its offset in the update */
    b.data[12] = 9; /* the header's version byte */
    CHECK_ERR(ic_update_decode(b.data, b.len, &d, &r), HANSA_ERR_VERSION);
    CHECK_EQ_U64(r.err_off, 12);
    b.data[12] = WIRE_VERSION;
    /* a header length over the header's size */
    le32_store(b.data + 8, WIRE_HEADER_BYTES + 1);
    CHECK_ERR(ic_update_decode(b.data, b.len, &d, &r), HANSA_ERR_TOO_LONG);
    hbuf_free(&b);
    ic_update_free(&u);
    forge_update(&F, 3, 9, 0x7, &u); /* skipping, with the trusted set */
    CHECK(u.has_trusted_vals);
    roundtrip_update(&u);
    /* misbehaviour: two updates */
    ic_update v, a2, b2;
    forge_update(&F, 2, 9, 0, &v);
    hbuf m = HBUF_INIT;
    ic_misbehaviour_encode(&m, &u, &v);
    CHECK(m.len <= IC_MISBEHAVIOUR_BYTES_MAX);
    CHECK_ERR(ic_misbehaviour_decode(m.data, m.len, &a2, &b2, NULL), HANSA_OK);
    CHECK_EQ_U64(a2.trusted_height, 3);
    CHECK_EQ_U64(b2.trusted_height, 2);
    ic_update_free(&a2);
    ic_update_free(&b2);
    CHECK_ERR(ic_misbehaviour_decode(m.data, m.len - 1, &a2, &b2, &r), HANSA_ERR_TRUNCATED);
    CHECK(a2.commit.sigs == NULL && b2.commit.sigs == NULL);
    hbuf_free(&m);
    ic_update_free(&u);
    ic_update_free(&v);
}

static void test_client_record(void) {
    ic_client c = {0}, d;
    c.params = (ic_params){0xa1, 60000, 5000};
    c.status = IC_STATUS_ACTIVE;
    c.since = 4;
    c.root_hash.b[0] = 7;
    c.n_heights = 3;
    c.heights[0] = 2;
    c.heights[1] = 5;
    c.heights[2] = 9;
    hbuf b = HBUF_INIT;
    ic_client_encode(&b, &c);
    CHECK_ERR(ic_client_decode(b.data, b.len, 0xa1, &d, NULL), HANSA_OK);
    CHECK(memcmp(&c, &d, sizeof c) == 0);
    expect_prefixes_refused(&b, dec_client, &d, NULL);
    wire_rd r;
    size_t status_off = 1 + 8 + 8;
    b.data[status_off] = 4;
    CHECK_ERR(ic_client_decode(b.data, b.len, 0xa1, &d, &r), HANSA_ERR_NONCANONICAL);
    b.data[status_off] = IC_STATUS_FROZEN; /* frozen without reason or height */
    CHECK_ERR(ic_client_decode(b.data, b.len, 0xa1, &d, &r), HANSA_ERR_NONCANONICAL);
    b.data[status_off] = IC_STATUS_ACTIVE;
    b.data[status_off + 1] = IC_FREEZE_CONFLICT; /* a reason without being frozen */
    CHECK_ERR(ic_client_decode(b.data, b.len, 0xa1, &d, &r), HANSA_ERR_NONCANONICAL);
    b.data[status_off + 1] = 0;
    b.data[0] = 2;
    CHECK_ERR(ic_client_decode(b.data, b.len, 0xa1, &d, &r), HANSA_ERR_VERSION);
    b.data[0] = IC_RECORD_VERSION;
    le64_store(b.data + 1, 10); /* trusting period under the minimum */
    CHECK_ERR(ic_client_decode(b.data, b.len, 0xa1, &d, &r), HANSA_ERR_INVALID);
    le64_store(b.data + 1, 60000);
    size_t heights_off = b.len - 3 * 8;
    le64_store(b.data + heights_off + 8, 2); /* 2, 2, 9 */
    CHECK_ERR(ic_client_decode(b.data, b.len, 0xa1, &d, &r), HANSA_ERR_NONCANONICAL);
    hbuf_free(&b);
    c.n_heights = 0;
    c.heights[0] = 0;
    b = (hbuf)HBUF_INIT;
    hbuf_put_u8(&b, IC_RECORD_VERSION); /* hand-made: the encoder asserts n >= 1 */
    hbuf_put_u64(&b, 60000);
    hbuf_put_u64(&b, 0);
    hbuf_put_u8(&b, IC_STATUS_ACTIVE);
    hbuf_put_u8(&b, 0);
    hbuf_put_u64(&b, 0);
    hbuf_put_u64(&b, 1);
    hbuf_append(&b, c.root_hash.b, HANSA_HASH_BYTES);
    hbuf_put_u16(&b, 0);
    CHECK_ERR(ic_client_decode(b.data, b.len, 0xa1, &d, &r), HANSA_ERR_TOO_LONG);
    hbuf_free(&b);
}

static void test_consensus_and_revival(void) {
    ic_consensus cs, d;
    ic_consensus_of_header(&F.hdr[9], &cs);
    cs.local_height = 77;
    cs.local_time_ms = 123456;
    hbuf b = HBUF_INIT;
    ic_consensus_encode(&b, &cs);
    CHECK_EQ_U64(b.len, IC_CONSENSUS_RECORD_BYTES);
    CHECK_ERR(ic_consensus_decode(b.data, b.len, 9, &d, NULL), HANSA_OK);
    CHECK(memcmp(&cs, &d, sizeof cs) == 0);
    expect_prefixes_refused(&b, dec_cons, &d, NULL);
    hbuf_reset(&b);
    ic_revival rv = {.proposed_at = 5, .cs = cs}, rd;
    rv.cs.local_height = rv.cs.local_time_ms = 0;
    ic_revival_encode(&b, &rv);
    CHECK_EQ_U64(b.len, IC_REVIVAL_RECORD_BYTES);
    CHECK_ERR(ic_revival_decode(b.data, b.len, &rd, NULL), HANSA_OK);
    CHECK(memcmp(&rv, &rd, sizeof rv) == 0);
    expect_prefixes_refused(&b, dec_revival, &rd, NULL);
    le64_store(b.data + 1, 0);
    CHECK_ERR(ic_revival_decode(b.data, b.len, &rd, NULL), HANSA_ERR_INVALID);
    hbuf_free(&b);
}

static void test_evidence_list(void) {
    static ic_evidence_list l, d;
    memset(&l, 0, sizeof l);
    l.height = 6;
    wire_header f6 = F.hdr[6];
    f6.app_hash.b[2] ^= 1;
    wire_commit c1, c2;
    forge_commit(&F, &F.hdr[6], 0xf, 0, &c1);
    forge_commit(&F, &f6, 0xf, 0, &c2);
    wire_valset vs;
    forge_valset(&F, 6, &vs);
    for (uint16_t i = 0; i < 3; i++) {
        wire_vote a, b;
        wire_commit_vote(&c1, i, &vs.v[i].pubkey, &a);
        wire_commit_vote(&c2, i, &vs.v[i].pubkey, &b);
        CHECK_ERR(wire_evidence_make(&a, &b, &l.ev[i]), HANSA_OK);
    }
    l.n = 3;
    hbuf b = HBUF_INIT;
    ic_evidence_list_encode(&b, &l);
    CHECK_EQ_U64(b.len, 1 + 8 + 2 + 3 * WIRE_EVIDENCE_BYTES);
    CHECK_ERR(ic_evidence_list_decode(b.data, b.len, &d, NULL), HANSA_OK);
    CHECK_EQ_U64(d.n, 3);
    CHECK(memcmp(&d.ev[2], &l.ev[2], sizeof d.ev[2]) == 0);
    expect_prefixes_refused(&b, dec_evl, &d, NULL);
    /* offenders out of order */
    hbuf u = HBUF_INIT;
    hbuf_put_u8(&u, IC_RECORD_VERSION);
    hbuf_put_u64(&u, 6);
    hbuf_put_u16(&u, 2);
    wire_evidence_encode(&u, &l.ev[1]);
    wire_evidence_encode(&u, &l.ev[0]);
    wire_rd r;
    CHECK_ERR(ic_evidence_list_decode(u.data, u.len, &d, &r), HANSA_ERR_NONCANONICAL);
    CHECK(d.n == 0 && d.height == 0);
    /* evidence of another height than the list's */
    le64_store(u.data + 1, 7);
    CHECK_ERR(ic_evidence_list_decode(u.data, u.len, &d, &r), HANSA_ERR_INVALID);
    hbuf_free(&u);
    hbuf_free(&b);
    wire_commit_free(&c1);
    wire_commit_free(&c2);
    wire_valset_free(&vs);
}

int main(void) {
    crypto_init();
    forge_init(&F, 0xa1, 2);
    forge_build(&F);
    RUN(test_create_and_approve);
    RUN(test_update);
    RUN(test_client_record);
    RUN(test_consensus_and_revival);
    RUN(test_evidence_list);
    return check_summary();
}
