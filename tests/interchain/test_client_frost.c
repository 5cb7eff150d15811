/* test_client_frost.c — the light client's FROST checkpoints (cert kind 2,
 * interchain/client.h): a client whose trust root names a group key follows
 * a forged chain (ic_forge.h) through two key changes by checkpoints and
 * handoffs (frost_forge.h), carries its key across a commit update, and
 * refuses, each for its own reason: a forged checkpoint signature, a
 * checkpoint of another header, a wrong epoch, a handoff signed by a wrong
 * key, a replayed or out-of-order handoff, another chain's checkpoint or
 * handoff, a key it has no handoff path to, a trusted state with no key, an
 * expired key, too many handoffs; an expired client is revived by a
 * checkpoint. The update's byte form round-trips and its
 * decoder refuses bad counts and nested objects at the right offset; the
 * trust root and records that name a key round-trip and keep one encoding. The
 * printed figures compare the bytes of a FROST update with a commit update.
 * Randomized (FROST nonces and keys): prints its seed (HANSA_SEED). */
#include "interchain/lc_harness.h"

#define CHAIN 0xa11c

static hansa_prng prng;
/* Key epochs: the forge's sets do not change (the light client does not
 * see which set holds a key), the keys do, at heights 1, 10 and 20. */
static ff_group G1, G2, G3, X; /* X: a key the chain never had */

/* A FROST update of header h from trusted height t: checkpoint by `by`,
 * with the handoffs given. */
static void frost_update(uint64_t t, const wire_header *h, const ff_group *by, const handoff *hs,
                         uint8_t n, ic_update *u) {
    memset(u, 0, sizeof *u);
    u->trusted_height = t;
    u->header = *h;
    u->cert_kind = IC_CERT_FROST;
    ff_checkpoint(by, &prng, h, &u->ckpt);
    u->n_handoffs = n;
    for (uint8_t i = 0; i < n; i++) u->handoffs[i] = hs[i];
}

static handoff H12, H23; /* the chain's two handoffs */

static void setup(uint64_t seed) {
    forge_init(&F, CHAIN, 1);
    forge_build(&F);
    prng_seed(&prng, seed);
    ff_group_make(&G1, &prng, 1);
    ff_group_make(&G2, &prng, 10);
    ff_group_make(&G3, &prng, 20);
    ff_group_make(&X, &prng, 10);
    ff_handoff(&G1, &G2, &prng, CHAIN, &H12);
    ff_handoff(&G2, &G3, &prng, CHAIN, &H23);
}

/* ---------------------------------------------------------------------------- */

static void test_follow_by_checkpoints(void) {
    lc l;
    lc_init(&l, &G1);
    ic_update u;
    /* adjacent, under the root's key */
    frost_update(0, &F.hdr[1], &G1, NULL, 0, &u);
    CHECK_ERR(lc_update(&l, &u, now_at(1)), HANSA_OK);
    CHECK(hash_eq(&l.cs[1].header_hash, &F.hash[1]));
    CHECK(frost_point_eq(&l.cs[1].group_key, &G1.g.key));
    CHECK_EQ_U64(l.cs[1].key_time_ms, F.time_of[1]);
    /* skipping to 15 across the key change at 10: one handoff */
    frost_update(1, &F.hdr[15], &G2, &H12, 1, &u);
    CHECK_ERR(lc_update(&l, &u, now_at(15)), HANSA_OK);
    CHECK_EQ_U64(l.cs[15].key_epoch, 10);
    CHECK(frost_point_eq(&l.cs[15].group_key, &G2.g.key));
    CHECK(hash_eq(&l.cs[15].app_hash, &F.hdr[15].app_hash));
    CHECK(hash_eq(&l.cs[15].next_validators_hash, &F.hdr[15].next_validators_hash));
    /* the same header again is a duplicate */
    CHECK_ERR(lc_update(&l, &u, now_at(15)), HANSA_ERR_DUPLICATE);
    /* a commit update carries the key (and its time) unchanged */
    ic_update cu;
    forge_update(&F, 15, 22, 0, &cu);
    CHECK_ERR(lc_update(&l, &cu, now_at(22)), HANSA_OK);
    ic_update_free(&cu);
    CHECK(frost_point_eq(&l.cs[22].group_key, &G2.g.key));
    CHECK_EQ_U64(l.cs[22].key_epoch, 10);
    CHECK_EQ_U64(l.cs[22].key_time_ms, F.time_of[15]);
    /* ... and a FROST update from there brings the handoff it missed */
    frost_update(22, &F.hdr[23], &G3, &H23, 1, &u);
    CHECK_ERR(lc_update(&l, &u, now_at(23)), HANSA_OK);
    CHECK_EQ_U64(l.cs[23].key_epoch, 20);
    /* both handoffs in one update, from the root */
    lc m;
    lc_init(&m, &G1);
    handoff both[2] = {H12, H23};
    frost_update(0, &F.hdr[30], &G3, both, 2, &u);
    CHECK_ERR(lc_update(&m, &u, now_at(30)), HANSA_OK);
    CHECK(frost_point_eq(&m.cs[30].group_key, &G3.g.key));
    /* two valid checkpoints of different headers at one height: a fork the
     * group signed; misbehaviour freezes the client, naming nobody (a
     * threshold signature hides its signers) */
    wire_header h31 = F.hdr[31];
    h31.app_hash.b[3] ^= 1;
    ic_update a, b;
    frost_update(30, &F.hdr[31], &G3, NULL, 0, &a);
    frost_update(30, &h31, &G3, NULL, 0, &b);
    ic_view v = lc_view(&m);
    CHECK_ERR(ic_client_misbehaviour(&m.c, &v, &a, &b, now_at(31), 9, NULL, &plan, why, sizeof why),
              HANSA_OK);
    CHECK(plan.frozen_now && plan.n_evidence == 0);
    CHECK_EQ_U64(plan.client.freeze_reason, IC_FREEZE_CONFLICT);
}

static void test_refusals(void) {
    lc l;
    lc_init(&l, &G1);
    ic_update u;
    /* forged checkpoint signature: G1 signed another header hash */
    frost_update(0, &F.hdr[2], &G1, NULL, 0, &u);
    ff_checkpoint_raw(&G1, &prng, CHAIN, 2, &F.hash[3], 1, &u.ckpt);
    u.ckpt.header_hash = F.hash[2];
    CHECK_ERR(lc_update(&l, &u, now_at(2)), HANSA_ERR_BAD_SIG);
    CHECK(why_has("does not verify under the trusted key"));
    /* a checkpoint of another header: of height 3 with header 2, and of a
     * changed header at height 2 */
    frost_update(0, &F.hdr[2], &G1, NULL, 0, &u);
    ff_checkpoint(&G1, &prng, &F.hdr[3], &u.ckpt);
    CHECK_ERR(lc_update(&l, &u, now_at(3)), HANSA_ERR_INVALID);
    CHECK(why_has("another header"));
    frost_update(0, &F.hdr[2], &G1, NULL, 0, &u);
    u.header.tx_count++;
    CHECK_ERR(lc_update(&l, &u, now_at(2)), HANSA_ERR_INVALID);
    CHECK(why_has("another header"));
    /* wrong epoch: the trusted key signing as if it were epoch 2's */
    frost_update(0, &F.hdr[2], &G1, NULL, 0, &u);
    ff_checkpoint_raw(&G1, &prng, CHAIN, 2, &F.hash[2], 2, &u.ckpt);
    CHECK_ERR(lc_update(&l, &u, now_at(2)), HANSA_ERR_STATE);
    CHECK(why_has("another epoch's key"));
    /* an epoch after the checkpoint's height names no current key */
    frost_update(0, &F.hdr[5], &G3, &H12, 1, &u);
    u.handoffs[1] = H23;
    u.n_handoffs = 2;
    CHECK_ERR(lc_update(&l, &u, now_at(5)), HANSA_ERR_INVALID);
    CHECK(why_has("which starts later"));
    /* a handoff signed by a wrong key (it names G1 as the old key) */
    handoff forged;
    ff_handoff_by(&G1, &G2, &X, &prng, CHAIN, &forged);
    frost_update(0, &F.hdr[12], &G2, &forged, 1, &u);
    CHECK_ERR(lc_update(&l, &u, now_at(12)), HANSA_ERR_BAD_SIG);
    CHECK(why_has("handoff 0") && why_has("old group's signature does not verify"));
    /* ... and one from a key the client does not hold (X to G2, by X) */
    ff_handoff(&X, &G2, &prng, CHAIN, &forged);
    forged.old_epoch = 1; /* even claiming the trusted epoch */
    frost_update(0, &F.hdr[12], &G2, &forged, 1, &u);
    CHECK_ERR(lc_update(&l, &u, now_at(12)), HANSA_ERR_STATE);
    CHECK(why_has("does not start at the trusted epoch and key"));
    /* replayed and out-of-order handoffs */
    handoff replay[2] = {H12, H12};
    frost_update(0, &F.hdr[25], &G2, replay, 2, &u);
    CHECK_ERR(lc_update(&l, &u, now_at(25)), HANSA_ERR_STATE);
    CHECK(why_has("handoff 1") && why_has("does not start at the trusted epoch"));
    handoff swapped[2] = {H23, H12};
    frost_update(0, &F.hdr[25], &G3, swapped, 2, &u);
    CHECK_ERR(lc_update(&l, &u, now_at(25)), HANSA_ERR_STATE);
    CHECK(why_has("handoff 0"));
    /* another chain's checkpoint and handoff, by the same keys */
    frost_update(0, &F.hdr[2], &G1, NULL, 0, &u);
    ff_checkpoint_raw(&G1, &prng, CHAIN + 1, 2, &F.hash[2], 1, &u.ckpt);
    CHECK_ERR(lc_update(&l, &u, now_at(2)), HANSA_ERR_BAD_SIG);
    CHECK(why_has("for this chain"));
    ff_handoff(&G1, &G2, &prng, CHAIN + 1, &forged);
    frost_update(0, &F.hdr[12], &G2, &forged, 1, &u);
    CHECK_ERR(lc_update(&l, &u, now_at(12)), HANSA_ERR_BAD_SIG);
    CHECK(why_has("handoff 0"));
    /* another chain's header is refused by the header rules first */
    forge other;
    forge_init(&other, CHAIN + 1, 2);
    forge_build(&other);
    frost_update(0, &other.hdr[2], &G1, NULL, 0, &u);
    CHECK_ERR(lc_update(&l, &u, now_at(2)), HANSA_ERR_WRONG_CHAIN);
    /* a key with no handoff path: the chain's next key, and a stranger's */
    frost_update(0, &F.hdr[12], &G2, NULL, 0, &u);
    CHECK_ERR(lc_update(&l, &u, now_at(12)), HANSA_ERR_STATE);
    CHECK(why_has("another epoch's key"));
    ff_group X1 = X;
    X1.epoch = 1;
    frost_update(0, &F.hdr[12], &X1, NULL, 0, &u);
    CHECK_ERR(lc_update(&l, &u, now_at(12)), HANSA_ERR_STATE);
    /* a stale key: once moved to G2, G1's checkpoints are refused */
    frost_update(0, &F.hdr[12], &G2, &H12, 1, &u);
    CHECK_ERR(lc_update(&l, &u, now_at(12)), HANSA_OK);
    frost_update(12, &F.hdr[13], &G1, NULL, 0, &u);
    CHECK_ERR(lc_update(&l, &u, now_at(13)), HANSA_ERR_STATE);
    /* too many handoffs; commit parts in a FROST update */
    frost_update(12, &F.hdr[13], &G2, NULL, 0, &u);
    u.n_handoffs = IC_FROST_HANDOFFS_MAX + 1;
    CHECK_ERR(lc_update(&l, &u, now_at(13)), HANSA_ERR_INVALID);
    CHECK(why_has("at most 16"));
    frost_update(12, &F.hdr[13], &G2, NULL, 0, &u);
    u.has_trusted_vals = true;
    CHECK_ERR(lc_update(&l, &u, now_at(13)), HANSA_ERR_INVALID);
    CHECK(why_has("carries no commit"));
    /* the header rules hold as for commits: adjacent link, time */
    wire_header h13 = F.hdr[13];
    h13.prev_block.b[0] ^= 1;
    frost_update(12, &h13, &G2, NULL, 0, &u);
    CHECK_ERR(lc_update(&l, &u, now_at(13)), HANSA_ERR_INVALID);
    CHECK(why_has("prev_block"));
    h13 = F.hdr[13];
    h13.validators_hash.b[0] ^= 1;
    frost_update(12, &h13, &G2, NULL, 0, &u);
    CHECK_ERR(lc_update(&l, &u, now_at(13)), HANSA_ERR_INVALID);
    CHECK(why_has("wrong validator set"));
    frost_update(12, &F.hdr[40], &G2, NULL, 0, &u);
    CHECK_ERR(lc_update(&l, &u, now_at(13)), HANSA_ERR_INVALID);
    CHECK(why_has("from the future"));
    /* the good one still passes */
    frost_update(12, &F.hdr[13], &G2, NULL, 0, &u);
    CHECK_ERR(lc_update(&l, &u, now_at(13)), HANSA_OK);
}

static void test_no_key_and_expired_key(void) {
    /* a root that names no key: FROST is refused, commits go on */
    lc l;
    lc_init(&l, NULL);
    ic_update u;
    frost_update(0, &F.hdr[1], &G1, NULL, 0, &u);
    CHECK_ERR(lc_update(&l, &u, now_at(1)), HANSA_ERR_STATE);
    CHECK(why_has("names no group key"));
    /* a key carried by commit updates past its trusting period: the
     * trusted header at 120 is recent, the key was last shown current at
     * the root (time 0), 121 s ago with a 100 s period */
    lc m;
    lc_init(&m, &G1);
    ic_update cu;
    forge_update(&F, 0, 60, 0, &cu);
    CHECK_ERR(lc_update(&m, &cu, now_at(60)), HANSA_OK);
    ic_update_free(&cu);
    forge_update(&F, 60, 120, 0, &cu);
    CHECK_ERR(lc_update(&m, &cu, now_at(120)), HANSA_OK);
    ic_update_free(&cu);
    CHECK(frost_point_eq(&m.cs[120].group_key, &G1.g.key));
    frost_update(120, &F.hdr[121], &G1, NULL, 0, &u);
    CHECK_ERR(lc_update(&m, &u, now_at(121)), HANSA_ERR_STATE);
    CHECK(why_has("trusted group key (epoch 1) expired"));
    /* the same key shown current by a checkpoint at 60 is fine */
    lc k;
    lc_init(&k, &G1);
    frost_update(0, &F.hdr[60], &G1, NULL, 0, &u);
    CHECK_ERR(lc_update(&k, &u, now_at(60)), HANSA_OK);
    forge_update(&F, 60, 120, 0, &cu);
    CHECK_ERR(lc_update(&k, &cu, now_at(120)), HANSA_OK);
    ic_update_free(&cu);
    frost_update(120, &F.hdr[121], &G1, NULL, 0, &u);
    CHECK_ERR(lc_update(&k, &u, now_at(121)), HANSA_OK);
}

/* Revival (docs/interchain.md): an expired client is proven onwards from
 * its latest state by its group's checkpoint, the trusting period of that
 * state and of its key not checked; the revived state names the key. */
static void test_revival(void) {
    lc l;
    lc_init(&l, &G1);
    ic_update u;
    frost_update(0, &F.hdr[5], &G1, NULL, 0, &u);
    CHECK_ERR(lc_update(&l, &u, now_at(5)), HANSA_OK);
    uint64_t late = F.time_of[5] + PERIOD + 1;
    ic_view v = lc_view(&l);
    CHECK(ic_client_expired(&l.c, &v, late));
    frost_update(5, &F.hdr[12], &G2, &H12, 1, &u);
    CHECK_ERR(lc_update(&l, &u, late), HANSA_ERR_STATE); /* expired: only a revival */
    /* the new header must itself be recent: move the forge's times on */
    forge G = F;
    for (uint64_t h = 6; h <= FORGE_HEIGHTS + 1; h++) G.time_of[h] = late - 1000 + h;
    forge_build(&G);
    G.hdr[5] = F.hdr[5]; /* the trusted header stays */
    wire_header h12;
    forge_header(&G, 12, NULL, &h12);
    frost_update(5, &h12, &G2, &H12, 1, &u);
    ic_consensus out;
    CHECK_ERR(ic_client_revive_check(&l.c, &v, &u, late + 100, NULL, &out, why, sizeof why), HANSA_OK);
    CHECK(frost_point_eq(&out.group_key, &G2.g.key));
    CHECK_EQ_U64(out.key_epoch, 10);
    CHECK_EQ_U64(out.key_time_ms, h12.time_ms);
    /* a forged handoff is still refused */
    handoff forged;
    ff_handoff_by(&G1, &G2, &X, &prng, CHAIN, &forged);
    frost_update(5, &h12, &G2, &forged, 1, &u);
    CHECK_ERR(ic_client_revive_check(&l.c, &v, &u, late + 100, NULL, &out, why, sizeof why), HANSA_ERR_BAD_SIG);
}

/* ---- the byte form ----------------------------------------------------------- */

static void test_codec(void) {
    ic_update u, d;
    handoff both[2] = {H12, H23};
    frost_update(0, &F.hdr[30], &G3, both, 2, &u);
    hbuf b = HBUF_INIT, b2 = HBUF_INIT;
    ic_update_encode(&b, &u);
    size_t frost_at = 8 + 4 + WIRE_HEADER_BYTES + 1; /* after trusted_height, header, cert_kind */
    CHECK_EQ_U64(b.len, frost_at + CHECKPOINT_BYTES + 1 + 2 * HANDOFF_BYTES);
    wire_rd r;
    CHECK_ERR(ic_update_decode(b.data, b.len, &d, &r), HANSA_OK);
    ic_update_encode(&b2, &d);
    CHECK(b.len == b2.len && memcmp(b.data, b2.data, b.len) == 0);
    CHECK_EQ_U64(d.n_handoffs, 2);
    CHECK(frost_point_eq(&d.handoffs[1].new_key, &G3.g.key));
    ic_update_free(&d);
    /* every prefix is refused */
    for (size_t n = 0; n < b.len; n++) CHECK(ic_update_decode(b.data, n, &d, &r) != HANSA_OK);
    /* trailing bytes */
    hbuf_put_u8(&b, 0);
    CHECK_ERR(ic_update_decode(b.data, b.len, &d, &r), HANSA_ERR_TRAILING);
    b.len--;
    /* a count over the bound, refused at the count before any handoff is read */
    size_t count_at = frost_at + CHECKPOINT_BYTES;
    b.data[count_at] = IC_FROST_HANDOFFS_MAX + 1;
    CHECK_ERR(ic_update_decode(b.data, b.len, &d, &r), HANSA_ERR_TOO_LONG);
    CHECK_EQ_U64(r.err_off, count_at);
    b.data[count_at] = 2;
    /* the checkpoint's version, reported at its offset in the update */
    b.data[frost_at] = 9;
    CHECK_ERR(ic_update_decode(b.data, b.len, &d, &r), HANSA_ERR_VERSION);
    CHECK_EQ_U64(r.err_off, frost_at);
    b.data[frost_at] = WIRE_VERSION;
    /* a handoff whose epochs do not grow (second handoff's new_epoch := 0) */
    size_t h2 = count_at + 1 + HANDOFF_BYTES;
    memset(b.data + h2 + 1 + 8, 0, 8);
    CHECK_ERR(ic_update_decode(b.data, b.len, &d, &r), HANSA_ERR_INVALID);
    CHECK_EQ_U64(r.err_off, h2 + 1 + 8);
    CHECK(strcmp(r.err_field, "new_epoch") == 0);
    /* an identity group key in the checkpoint */
    hbuf_reset(&b);
    ic_update_encode(&b, &u);
    memset(b.data + frost_at + 1 + 8 + 8 + HANSA_HASH_BYTES, 0, FROST_POINT_BYTES);
    CHECK_ERR(ic_update_decode(b.data, b.len, &d, &r), HANSA_ERR_INVALID);
    CHECK(strcmp(r.err_field, "group_key") == 0);
    hbuf_free(&b);
    hbuf_free(&b2);
}

/* The trust root and the records that name a key: a create body 40 bytes
 * longer, consensus and revival records of version 2; keyless ones keep
 * their old bytes (version 1), and a version 2 record without a key is
 * refused, so each state has one encoding. */
static void test_records(void) {
    ic_create cr, d;
    forge_root(&F, 0, PERIOD, &cr);
    hbuf b = HBUF_INIT, b2 = HBUF_INIT;
    ic_create_encode(&b, &cr);
    CHECK_EQ_U64(b.len, IC_CREATE_BYTES);
    cr.root.key_epoch = 1;
    cr.root.group_key = G1.g.key;
    cr.root.key_time_ms = cr.root.time_ms;
    CHECK_ERR(ic_create_check(&cr, why, sizeof why), HANSA_OK);
    hbuf_reset(&b);
    ic_create_encode(&b, &cr);
    CHECK_EQ_U64(b.len, IC_CREATE_KEY_BYTES);
    wire_rd r;
    CHECK_ERR(ic_create_decode(b.data, b.len, &d, &r), HANSA_OK);
    CHECK(frost_point_eq(&d.root.group_key, &G1.g.key));
    CHECK_EQ_U64(d.root.key_epoch, 1);
    CHECK_EQ_U64(d.root.key_time_ms, d.root.time_ms);
    CHECK_ERR(ic_create_check(&d, why, sizeof why), HANSA_OK);
    CHECK_ERR(ic_create_decode(b.data, b.len - 1, &d, &r), HANSA_ERR_TRUNCATED);
    CHECK_ERR(ic_create_decode(b.data, IC_CREATE_BYTES + 8, &d, &r), HANSA_ERR_TRUNCATED);
    memset(b.data + IC_CREATE_BYTES + 8, 0, FROST_POINT_BYTES); /* the identity: no key */
    CHECK_ERR(ic_create_decode(b.data, b.len, &d, &r), HANSA_ERR_INVALID);
    CHECK(strcmp(r.err_field, "group_key") == 0);
    /* a key current at another time than the root's, or an epoch without a key */
    ic_create bad = cr;
    bad.root.key_time_ms++;
    CHECK_ERR(ic_create_check(&bad, why, sizeof why), HANSA_ERR_INVALID);
    CHECK(why_has("current as of the root's time"));
    bad = cr;
    memset(&bad.root.group_key, 0, sizeof bad.root.group_key);
    CHECK_ERR(ic_create_check(&bad, why, sizeof why), HANSA_ERR_INVALID);
    /* consensus record */
    ic_consensus cs = cr.root, cd;
    cs.height = 9;
    cs.local_height = 3;
    cs.key_time_ms = cs.time_ms + 5;
    hbuf_reset(&b);
    ic_consensus_encode(&b, &cs);
    CHECK_EQ_U64(b.len, IC_CONSENSUS_KEY_RECORD_BYTES);
    CHECK_EQ_U64(b.data[0], IC_RECORD_VERSION_KEY);
    CHECK_ERR(ic_consensus_decode(b.data, b.len, 9, &cd, &r), HANSA_OK);
    CHECK(memcmp(&cd, &cs, sizeof cs) == 0);
    b.data[0] = IC_RECORD_VERSION; /* version 1 has no key fields: trailing */
    CHECK_ERR(ic_consensus_decode(b.data, b.len, 9, &cd, &r), HANSA_ERR_TRAILING);
    b.data[0] = 3;
    CHECK_ERR(ic_consensus_decode(b.data, b.len, 9, &cd, &r), HANSA_ERR_VERSION);
    b.data[0] = IC_RECORD_VERSION_KEY;
    memset(b.data + IC_CONSENSUS_RECORD_BYTES + 8, 0, FROST_POINT_BYTES);
    CHECK_ERR(ic_consensus_decode(b.data, b.len, 9, &cd, &r), HANSA_ERR_INVALID);
    ic_consensus keyless = cs;
    keyless.key_epoch = 0;
    keyless.key_time_ms = 0;
    memset(&keyless.group_key, 0, sizeof keyless.group_key);
    hbuf_reset(&b);
    ic_consensus_encode(&b, &keyless);
    CHECK_EQ_U64(b.len, IC_CONSENSUS_RECORD_BYTES);
    CHECK_EQ_U64(b.data[0], IC_RECORD_VERSION);
    /* revival record */
    ic_revival rv = {.proposed_at = 4, .cs = cs}, rd;
    rv.cs.local_height = rv.cs.local_time_ms = 0;
    hbuf_reset(&b);
    ic_revival_encode(&b, &rv);
    CHECK_EQ_U64(b.len, IC_REVIVAL_KEY_RECORD_BYTES);
    CHECK_ERR(ic_revival_decode(b.data, b.len, &rd, &r), HANSA_OK);
    ic_revival_encode(&b2, &rd);
    CHECK(b.len == b2.len && memcmp(b.data, b2.data, b.len) == 0);
    CHECK(frost_point_eq(&rd.cs.group_key, &G1.g.key));
    hbuf_free(&b);
    hbuf_free(&b2);
}

/* Figures, not assertions: the bytes of an update proving one header by a
 * commit of n delegates (all signing) and by a FROST checkpoint. */
static void test_sizes(void) {
    static const uint16_t ns[] = {4, 7, 32};
    hbuf b = HBUF_INIT;
    ic_update u;
    frost_update(0, &F.hdr[1], &G1, NULL, 0, &u);
    ic_update_encode(&b, &u);
    size_t frost0 = b.len;
    frost_update(0, &F.hdr[12], &G2, &H12, 1, &u);
    hbuf_reset(&b);
    ic_update_encode(&b, &u);
    size_t frost1 = b.len;
    for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++) {
        forge_set_from(&F, 1, (1ull << ns[i]) - 1);
        forge_build(&F);
        ic_update cu;
        forge_update(&F, 0, 1, 0, &cu);
        hbuf_reset(&b);
        ic_update_encode(&b, &cu);
        CHECK_EQ_U64(cu.commit.n_sigs, ns[i]);
        fprintf(stderr, "  update bytes at %2u delegates: commit %zu (adjacent), FROST %zu "
                "(+%u per key change)\n", ns[i], b.len, frost0, HANDOFF_BYTES);
        ic_update_free(&cu);
    }
    CHECK_EQ_U64(frost1, frost0 + HANDOFF_BYTES);
    forge_set_from(&F, 1, 0xf);
    forge_build(&F);
    hbuf_free(&b);
}

int main(void) {
    crypto_init();
    setup(check_seed("test_client_frost", 14));
    RUN(test_follow_by_checkpoints);
    RUN(test_refusals);
    RUN(test_no_key_and_expired_key);
    RUN(test_revival);
    RUN(test_codec);
    RUN(test_records);
    RUN(test_sizes);
    return check_summary();
}
