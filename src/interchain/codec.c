/* codec.c — see codec.h. Encoders and decoders side by side, per object. */
#include "interchain/codec.h"

#include <string.h>

#include "base/assert.h"
#include "crypto/sha256.h"
#include "wire/frost_rd.h"

/* ---- helpers ---------------------------------------------------------------- */

static void put_hash(hbuf *b, const hansa_hash *h) { hbuf_append(b, h->b, HANSA_HASH_BYTES); }
static void rd_hash(wire_rd *r, hansa_hash *h, const char *field) {
    rd_fixed(r, h->b, HANSA_HASH_BYTES, field);
}

static hansa_err finish(wire_rd *r, wire_rd *out) {
    rd_end(r);
    if (out) *out = *r;
    return r->err;
}

/* Takes over the error of a nested object that started at byte `start` of
 * r's input, so the offset is counted from the outer object's start. */
static void fail_nested(wire_rd *r, const wire_rd *sub, size_t start) {
    if (r->err != HANSA_OK) return;
    r->err = sub->err;
    r->err_off = start + sub->err_off;
    r->err_field = sub->err_field;
}

/* A u32-length-prefixed nested object: its bytes (borrowed) or NULL. */
static const uint8_t *rd_nested(wire_rd *r, uint32_t max, size_t *len, size_t *start,
                                const char *field) {
    uint32_t n = rd_len(r, max, field);
    *start = r->off;
    *len = n;
    return rd_borrow(r, n, field);
}

static void put_nested_begin(hbuf *b, size_t *at) {
    *at = b->len;
    hbuf_put_u32(b, 0);
}
static void put_nested_end(hbuf *b, size_t at) {
    size_t n = b->len - at - 4;
    HANSA_ASSERT(n <= UINT32_MAX);
    le32_store(b->data + at, (uint32_t)n);
}

/* The consensus fields shared by create's root and the revival record. */
static void consensus_fields_encode(hbuf *b, const ic_consensus *cs) {
    hbuf_put_u64(b, cs->height);
    hbuf_put_u64(b, cs->time_ms);
    put_hash(b, &cs->header_hash);
    put_hash(b, &cs->app_hash);
    put_hash(b, &cs->tx_root);
    put_hash(b, &cs->validators_hash);
    put_hash(b, &cs->next_validators_hash);
}

static void rd_consensus_fields(wire_rd *r, ic_consensus *cs) {
    memset(cs, 0, sizeof *cs);
    cs->height = rd_u64(r, "root.height");
    cs->time_ms = rd_u64(r, "root.time_ms");
    rd_hash(r, &cs->header_hash, "root.header_hash");
    rd_hash(r, &cs->app_hash, "root.app_hash");
    rd_hash(r, &cs->tx_root, "root.tx_root");
    rd_hash(r, &cs->validators_hash, "root.validators_hash");
    rd_hash(r, &cs->next_validators_hash, "root.next_validators_hash");
}

/* The group key a consensus state trusts, when it trusts one: the key's
 * epoch, the key (a valid non-identity element: INVALID / NONCANONICAL) and,
 * unless with_time is false (a trust root: its own time), the time it was
 * last shown current. */
static bool has_key(const ic_consensus *cs) { return !ic_consensus_keyless(cs); }

static void key_fields_encode(hbuf *b, const ic_consensus *cs, bool with_time) {
    HANSA_ASSERT(has_key(cs));
    hbuf_put_u64(b, cs->key_epoch);
    hbuf_append(b, cs->group_key.b, FROST_POINT_BYTES);
    if (with_time) hbuf_put_u64(b, cs->key_time_ms);
}

static void rd_key_fields(wire_rd *r, ic_consensus *cs, bool with_time) {
    cs->key_epoch = rd_u64(r, "key_epoch");
    frd_point(r, &cs->group_key, "group_key");
    if (with_time) cs->key_time_ms = rd_u64(r, "key_time_ms");
}

/* ---- create / approve ------------------------------------------------------- */

void ic_create_encode(hbuf *b, const ic_create *c) {
    size_t start = b->len;
    hbuf_put_u32(b, c->params.chain_id);
    hbuf_put_u64(b, c->params.trusting_period_ms);
    hbuf_put_u64(b, c->params.max_clock_drift_ms);
    consensus_fields_encode(b, &c->root);
    if (has_key(&c->root)) {
        HANSA_ASSERT(c->root.key_time_ms == c->root.time_ms);
        key_fields_encode(b, &c->root, false);
    }
    HANSA_ASSERT(b->len - start == (has_key(&c->root) ? IC_CREATE_KEY_BYTES : IC_CREATE_BYTES));
}

hansa_err ic_create_decode(const uint8_t *p, size_t len, ic_create *out, wire_rd *ro) {
    wire_rd r;
    rd_init(&r, p, len);
    memset(out, 0, sizeof *out);
    out->params.chain_id = rd_u32(&r, "chain_id");
    out->params.trusting_period_ms = rd_u64(&r, "trusting_period_ms");
    out->params.max_clock_drift_ms = rd_u64(&r, "max_clock_drift_ms");
    rd_consensus_fields(&r, &out->root);
    /* A root that names a group key: it is current as of the root's time. */
    if (r.err == HANSA_OK && r.off < r.len) {
        rd_key_fields(&r, &out->root, false);
        out->root.key_time_ms = out->root.time_ms;
    }
    hansa_err err = finish(&r, ro);
    if (err != HANSA_OK) memset(out, 0, sizeof *out);
    return err;
}

void ic_create_hash(const ic_create *c, hansa_hash *out) {
    hbuf b = HBUF_INIT;
    ic_create_encode(&b, c);
    sha256(b.data, b.len, out);
    hbuf_free(&b);
}

void ic_approve_encode(hbuf *b, uint32_t chain_id, const hansa_hash *subject) {
    hbuf_put_u32(b, chain_id);
    put_hash(b, subject);
}

hansa_err ic_approve_decode(const uint8_t *p, size_t len, uint32_t *chain_id, hansa_hash *subject,
                            wire_rd *ro) {
    wire_rd r;
    rd_init(&r, p, len);
    *chain_id = rd_u32(&r, "chain_id");
    rd_hash(&r, subject, "subject");
    hansa_err err = finish(&r, ro);
    if (err != HANSA_OK) {
        *chain_id = 0;
        memset(subject, 0, sizeof *subject);
    }
    return err;
}

/* ---- update / misbehaviour -------------------------------------------------- */

void ic_update_free(ic_update *u) {
    wire_commit_free(&u->commit);
    wire_valset_free(&u->vals);
    wire_valset_free(&u->trusted_vals);
    memset(u, 0, sizeof *u);
}

_Static_assert(IC_UPDATE_FROST_BYTES_MAX == 2824, "the FROST update layout in docs/wire.md");
_Static_assert(IC_UPDATE_FROST_BYTES_MAX <= IC_UPDATE_BYTES_MAX, "IC_UPDATE_BYTES_MAX bounds both kinds");

_Static_assert(IC_KEY_PROOF_BYTES_MAX == 2267, "the key proof layout in docs/wire.md");

void ic_key_proof_encode(hbuf *b, const ic_key_proof *k) {
    HANSA_ASSERT(k->path_len <= MERKLE_PROOF_MAX);
    size_t at;
    hbuf_put_u8(b, 1);
    hbuf_put_u64(b, k->epoch);
    put_nested_begin(b, &at);
    frost_group_rec_encode(b, &k->rec);
    put_nested_end(b, at);
    put_hash(b, &k->prev_app_hash);
    put_hash(b, &k->writes_hash);
    put_hash(b, &k->state_root);
    hbuf_put_u64(b, k->leaf_index);
    hbuf_put_u64(b, k->n_leaves);
    hbuf_put_u8(b, k->path_len);
    for (uint8_t i = 0; i < k->path_len; i++) put_hash(b, &k->path[i]);
}

void ic_update_encode(hbuf *b, const ic_update *u) {
    HANSA_ASSERT(u->cert_kind == IC_CERT_COMMIT || u->cert_kind == IC_CERT_FROST);
    size_t at;
    hbuf_put_u64(b, u->trusted_height);
    put_nested_begin(b, &at);
    wire_header_encode(b, &u->header);
    put_nested_end(b, at);
    hbuf_put_u8(b, u->cert_kind);
    if (u->cert_kind == IC_CERT_FROST) {
        HANSA_ASSERT(u->n_handoffs <= IC_FROST_HANDOFFS_MAX);
        checkpoint_encode(b, &u->ckpt);
        hbuf_put_u8(b, u->n_handoffs);
        for (uint8_t i = 0; i < u->n_handoffs; i++) handoff_encode(b, &u->handoffs[i]);
        return;
    }
    put_nested_begin(b, &at);
    wire_commit_encode(b, &u->commit);
    put_nested_end(b, at);
    put_nested_begin(b, &at);
    wire_valset_encode(b, &u->vals);
    put_nested_end(b, at);
    hbuf_put_u8(b, u->has_trusted_vals ? 1 : 0);
    if (u->has_trusted_vals) {
        put_nested_begin(b, &at);
        wire_valset_encode(b, &u->trusted_vals);
        put_nested_end(b, at);
    }
    if (u->has_key_proof) ic_key_proof_encode(b, &u->key_proof);
}

/* A fixed-size object of n bytes at r's position: its bytes (borrowed) or
 * NULL, *start its offset in r's input. */
static const uint8_t *rd_object(wire_rd *r, size_t n, size_t *start, const char *field) {
    *start = r->off;
    return rd_borrow(r, n, field);
}

/* The FROST part of an update, after its cert_kind: the checkpoint, then a
 * count (at most IC_FROST_HANDOFFS_MAX, checked before any is read) and the
 * handoffs, each fixed-size. Every key and signature is canonical (the
 * object decoders); whether they chain and verify is ic_verify's business. */
static void rd_frost_cert(wire_rd *r, ic_update *u) {
    size_t start;
    wire_rd sub;
    const uint8_t *q = rd_object(r, CHECKPOINT_BYTES, &start, "checkpoint");
    if (q != NULL && checkpoint_decode(q, CHECKPOINT_BYTES, &u->ckpt, &sub) != HANSA_OK)
        fail_nested(r, &sub, start);
    size_t at = r->off;
    uint8_t n = rd_u8(r, "n_handoffs");
    if (r->err == HANSA_OK && n > IC_FROST_HANDOFFS_MAX) {
        rd_fail(r, HANSA_ERR_TOO_LONG, "n_handoffs (at most 16)");
        r->err_off = at;
    }
    for (uint8_t i = 0; i < n && r->err == HANSA_OK; i++) {
        q = rd_object(r, HANDOFF_BYTES, &start, "handoff");
        if (q != NULL && handoff_decode(q, HANDOFF_BYTES, &u->handoffs[i], &sub) != HANSA_OK)
            fail_nested(r, &sub, start);
    }
    if (r->err == HANSA_OK) u->n_handoffs = n;
}

/* The optional key proof that ends a commit update: its tag is 1 (no tag at
 * all is the only form of "none", so any other byte there is trailing
 * after an update without one), the record decodes as a key record, the
 * path is at most MERKLE_PROOF_MAX long (checked before it is read).
 * Whether it proves anything is ic_verify's business. */
static void rd_key_proof(wire_rd *r, ic_key_proof *k) {
    size_t at = r->off;
    if (rd_u8(r, "key_proof") != 1 && r->err == HANSA_OK) {
        rd_fail(r, HANSA_ERR_TRAILING, "key_proof (trailing bytes: a key proof starts with 1)");
        r->err_off = at;
    }
    k->epoch = rd_u64(r, "epoch");
    size_t len, start;
    wire_rd sub;
    const uint8_t *q = rd_nested(r, FROST_GROUP_REC_BYTES, &len, &start, "record");
    if (q != NULL && r->err == HANSA_OK && frost_group_rec_decode(q, len, &k->rec, &sub) != HANSA_OK)
        fail_nested(r, &sub, start);
    rd_hash(r, &k->prev_app_hash, "prev_app_hash");
    rd_hash(r, &k->writes_hash, "writes_hash");
    rd_hash(r, &k->state_root, "state_root");
    k->leaf_index = rd_u64(r, "leaf_index");
    k->n_leaves = rd_u64(r, "n_leaves");
    at = r->off;
    uint8_t n = rd_u8(r, "path_len");
    if (r->err == HANSA_OK && n > MERKLE_PROOF_MAX) {
        rd_fail(r, HANSA_ERR_TOO_LONG, "path_len (at most 64)");
        r->err_off = at;
    }
    for (uint8_t i = 0; i < n && r->err == HANSA_OK; i++) rd_hash(r, &k->path[i], "path");
    if (r->err == HANSA_OK) k->path_len = n;
}

hansa_err ic_key_proof_decode(const uint8_t *p, size_t len, ic_key_proof *out, wire_rd *ro) {
    wire_rd r;
    rd_init(&r, p, len);
    memset(out, 0, sizeof *out);
    rd_key_proof(&r, out);
    hansa_err err = finish(&r, ro);
    if (err != HANSA_OK) memset(out, 0, sizeof *out);
    return err;
}

/* Reads an update from r's current position (no end check). */
static void rd_update(wire_rd *r, ic_update *u) {
    memset(u, 0, sizeof *u);
    u->trusted_height = rd_u64(r, "trusted_height");
    size_t len, start;
    const uint8_t *q = rd_nested(r, WIRE_HEADER_BYTES, &len, &start, "header");
    wire_rd sub;
    if (q != NULL && wire_header_decode(q, len, &u->header, &sub) != HANSA_OK)
        fail_nested(r, &sub, start);
    u->cert_kind = rd_u8(r, "cert_kind");
    if (r->err == HANSA_OK && u->cert_kind != IC_CERT_COMMIT && u->cert_kind != IC_CERT_FROST)
        rd_fail(r, HANSA_ERR_INVALID, "cert_kind (1 = commit certificate, 2 = FROST checkpoint)");
    if (r->err == HANSA_OK && u->cert_kind == IC_CERT_FROST) {
        rd_frost_cert(r, u);
        return;
    }
    q = rd_nested(r, (uint32_t)WIRE_COMMIT_BYTES(WIRE_VALIDATORS_MAX), &len, &start, "commit");
    if (q != NULL && r->err == HANSA_OK && wire_commit_decode(q, len, &u->commit, &sub) != HANSA_OK)
        fail_nested(r, &sub, start);
    q = rd_nested(r, (uint32_t)WIRE_VALSET_BYTES(WIRE_VALIDATORS_MAX), &len, &start, "vals");
    if (q != NULL && r->err == HANSA_OK && wire_valset_decode(q, len, &u->vals, &sub) != HANSA_OK)
        fail_nested(r, &sub, start);
    u->has_trusted_vals = rd_bool(r, "has_trusted_vals");
    if (u->has_trusted_vals && r->err == HANSA_OK) {
        q = rd_nested(r, (uint32_t)WIRE_VALSET_BYTES(WIRE_VALIDATORS_MAX), &len, &start,
                      "trusted_vals");
        if (q != NULL && wire_valset_decode(q, len, &u->trusted_vals, &sub) != HANSA_OK)
            fail_nested(r, &sub, start);
    }
    if (r->err == HANSA_OK && r->off < r->len) {
        u->has_key_proof = true;
        rd_key_proof(r, &u->key_proof);
    }
}

hansa_err ic_update_decode(const uint8_t *p, size_t len, ic_update *out, wire_rd *ro) {
    wire_rd r;
    rd_init(&r, p, len);
    rd_update(&r, out);
    hansa_err err = finish(&r, ro);
    if (err != HANSA_OK) ic_update_free(out);
    return err;
}

void ic_misbehaviour_encode(hbuf *out, const ic_update *a, const ic_update *b) {
    size_t at;
    put_nested_begin(out, &at);
    ic_update_encode(out, a);
    put_nested_end(out, at);
    put_nested_begin(out, &at);
    ic_update_encode(out, b);
    put_nested_end(out, at);
}

hansa_err ic_misbehaviour_decode(const uint8_t *p, size_t len, ic_update *a, ic_update *b,
                                 wire_rd *ro) {
    wire_rd r;
    rd_init(&r, p, len);
    memset(a, 0, sizeof *a);
    memset(b, 0, sizeof *b);
    ic_update *both[2] = {a, b};
    static const char *const names[2] = {"a", "b"};
    for (int i = 0; i < 2 && r.err == HANSA_OK; i++) {
        size_t n, start;
        const uint8_t *q = rd_nested(&r, IC_UPDATE_BYTES_MAX, &n, &start, names[i]);
        wire_rd sub;
        if (q != NULL && ic_update_decode(q, n, both[i], &sub) != HANSA_OK) fail_nested(&r, &sub, start);
    }
    hansa_err err = finish(&r, ro);
    if (err != HANSA_OK) {
        ic_update_free(a);
        ic_update_free(b);
    }
    return err;
}

/* ---- records ---------------------------------------------------------------- */

void ic_client_encode(hbuf *b, const ic_client *c) {
    HANSA_ASSERT(c->n_heights >= 1 && c->n_heights <= IC_HISTORY_MAX);
    HANSA_ASSERT((c->status == IC_STATUS_FROZEN) == (c->freeze_reason != IC_FREEZE_NONE));
    hbuf_put_u8(b, IC_RECORD_VERSION);
    hbuf_put_u64(b, c->params.trusting_period_ms);
    hbuf_put_u64(b, c->params.max_clock_drift_ms);
    hbuf_put_u8(b, c->status);
    hbuf_put_u8(b, c->freeze_reason);
    hbuf_put_u64(b, c->frozen_height);
    hbuf_put_u64(b, c->since);
    put_hash(b, &c->root_hash);
    hbuf_put_u16(b, c->n_heights);
    for (uint16_t i = 0; i < c->n_heights; i++) {
        HANSA_ASSERT(i == 0 || c->heights[i] > c->heights[i - 1]);
        hbuf_put_u64(b, c->heights[i]);
    }
}

static void check_client(wire_rd *r, const ic_client *c) {
    if (r->err != HANSA_OK) return;
    if (ic_params_check(&c->params, NULL, 0) != HANSA_OK)
        rd_fail(r, HANSA_ERR_INVALID, "trusting_period_ms or max_clock_drift_ms");
    else if (c->status < IC_STATUS_PENDING || c->status > IC_STATUS_FROZEN)
        rd_fail(r, HANSA_ERR_NONCANONICAL, "status");
    else if (c->freeze_reason > IC_FREEZE_TIME)
        rd_fail(r, HANSA_ERR_NONCANONICAL, "freeze_reason");
    else if ((c->status == IC_STATUS_FROZEN) != (c->freeze_reason != IC_FREEZE_NONE) ||
             (c->status == IC_STATUS_FROZEN) != (c->frozen_height != 0))
        rd_fail(r, HANSA_ERR_NONCANONICAL, "frozen_height (set exactly when frozen)");
}

hansa_err ic_client_decode(const uint8_t *p, size_t len, uint32_t chain_id, ic_client *out,
                           wire_rd *ro) {
    wire_rd r;
    rd_init(&r, p, len);
    memset(out, 0, sizeof *out);
    if (rd_u8(&r, "version") != IC_RECORD_VERSION && r.err == HANSA_OK) rd_fail(&r, HANSA_ERR_VERSION, "version");
    out->params.chain_id = chain_id;
    out->params.trusting_period_ms = rd_u64(&r, "trusting_period_ms");
    out->params.max_clock_drift_ms = rd_u64(&r, "max_clock_drift_ms");
    out->status = rd_u8(&r, "status");
    out->freeze_reason = rd_u8(&r, "freeze_reason");
    out->frozen_height = rd_u64(&r, "frozen_height");
    out->since = rd_u64(&r, "since");
    rd_hash(&r, &out->root_hash, "root_hash");
    check_client(&r, out);
    out->n_heights = rd_u16(&r, "n_heights");
    if (r.err == HANSA_OK && (out->n_heights == 0 || out->n_heights > IC_HISTORY_MAX))
        rd_fail(&r, HANSA_ERR_TOO_LONG, "n_heights (1..32)");
    for (uint16_t i = 0; i < out->n_heights && r.err == HANSA_OK; i++) {
        out->heights[i] = rd_u64(&r, "heights");
        if (r.err == HANSA_OK && i > 0 && out->heights[i] <= out->heights[i - 1])
            rd_fail(&r, HANSA_ERR_NONCANONICAL, "heights (strictly increasing)");
    }
    hansa_err err = finish(&r, ro);
    if (err != HANSA_OK) memset(out, 0, sizeof *out);
    return err;
}

void ic_consensus_encode(hbuf *b, const ic_consensus *cs) {
    size_t start = b->len;
    hbuf_put_u8(b, has_key(cs) ? IC_RECORD_VERSION_KEY : IC_RECORD_VERSION);
    hbuf_put_u64(b, cs->time_ms);
    put_hash(b, &cs->header_hash);
    put_hash(b, &cs->app_hash);
    put_hash(b, &cs->tx_root);
    put_hash(b, &cs->validators_hash);
    put_hash(b, &cs->next_validators_hash);
    hbuf_put_u64(b, cs->local_height);
    hbuf_put_u64(b, cs->local_time_ms);
    if (has_key(cs)) key_fields_encode(b, cs, true);
    HANSA_ASSERT(b->len - start ==
                 (has_key(cs) ? IC_CONSENSUS_KEY_RECORD_BYTES : IC_CONSENSUS_RECORD_BYTES));
}

/* The version byte of a record that may name a group key: 1 (none) or 2. */
static uint8_t rd_version_key(wire_rd *r) {
    uint8_t v = rd_u8(r, "version");
    if (r->err == HANSA_OK && v != IC_RECORD_VERSION && v != IC_RECORD_VERSION_KEY)
        rd_fail(r, HANSA_ERR_VERSION, "version");
    return v;
}

hansa_err ic_consensus_decode(const uint8_t *p, size_t len, uint64_t height, ic_consensus *out,
                              wire_rd *ro) {
    wire_rd r;
    rd_init(&r, p, len);
    memset(out, 0, sizeof *out);
    uint8_t version = rd_version_key(&r);
    out->height = height;
    out->time_ms = rd_u64(&r, "time_ms");
    rd_hash(&r, &out->header_hash, "header_hash");
    rd_hash(&r, &out->app_hash, "app_hash");
    rd_hash(&r, &out->tx_root, "tx_root");
    rd_hash(&r, &out->validators_hash, "validators_hash");
    rd_hash(&r, &out->next_validators_hash, "next_validators_hash");
    out->local_height = rd_u64(&r, "local_height");
    out->local_time_ms = rd_u64(&r, "local_time_ms");
    if (r.err == HANSA_OK && version == IC_RECORD_VERSION_KEY) rd_key_fields(&r, out, true);
    hansa_err err = finish(&r, ro);
    if (err != HANSA_OK) memset(out, 0, sizeof *out);
    return err;
}

void ic_evidence_list_encode(hbuf *b, const ic_evidence_list *l) {
    HANSA_ASSERT(l->n >= 1 && l->n <= WIRE_VALIDATORS_MAX);
    hbuf_put_u8(b, IC_RECORD_VERSION);
    hbuf_put_u64(b, l->height);
    hbuf_put_u16(b, l->n);
    for (uint16_t i = 0; i < l->n; i++) {
        HANSA_ASSERT(i == 0 || pubkey_cmp(&l->ev[i - 1].a.validator, &l->ev[i].a.validator) < 0);
        wire_evidence_encode(b, &l->ev[i]);
    }
}

hansa_err ic_evidence_list_decode(const uint8_t *p, size_t len, ic_evidence_list *out,
                                  wire_rd *ro) {
    wire_rd r;
    rd_init(&r, p, len);
    out->height = 0;
    out->n = 0;
    if (rd_u8(&r, "version") != IC_RECORD_VERSION && r.err == HANSA_OK) rd_fail(&r, HANSA_ERR_VERSION, "version");
    out->height = rd_u64(&r, "height");
    uint16_t n = rd_u16(&r, "n");
    if (r.err == HANSA_OK && (n == 0 || n > WIRE_VALIDATORS_MAX))
        rd_fail(&r, HANSA_ERR_TOO_LONG, "n (1..128)");
    for (uint16_t i = 0; i < n && r.err == HANSA_OK; i++) {
        size_t start = r.off;
        const uint8_t *q = rd_borrow(&r, WIRE_EVIDENCE_BYTES, "evidence");
        wire_rd sub;
        if (q == NULL) break;
        if (wire_evidence_decode(q, WIRE_EVIDENCE_BYTES, &out->ev[i], &sub) != HANSA_OK) {
            fail_nested(&r, &sub, start);
            break;
        }
        if (out->ev[i].a.height != out->height)
            rd_fail(&r, HANSA_ERR_INVALID, "evidence (another height)");
        else if (i > 0 && pubkey_cmp(&out->ev[i - 1].a.validator, &out->ev[i].a.validator) >= 0)
            rd_fail(&r, HANSA_ERR_NONCANONICAL, "evidence (offenders strictly increasing)");
        out->n = (uint16_t)(i + 1);
    }
    hansa_err err = finish(&r, ro);
    if (err != HANSA_OK) memset(out, 0, sizeof *out);
    return err;
}

void ic_revival_encode(hbuf *b, const ic_revival *rv) {
    size_t start = b->len;
    HANSA_ASSERT(rv->proposed_at > 0);
    hbuf_put_u8(b, has_key(&rv->cs) ? IC_RECORD_VERSION_KEY : IC_RECORD_VERSION);
    hbuf_put_u64(b, rv->proposed_at);
    consensus_fields_encode(b, &rv->cs);
    if (has_key(&rv->cs)) key_fields_encode(b, &rv->cs, true);
    HANSA_ASSERT(b->len - start ==
                 (has_key(&rv->cs) ? IC_REVIVAL_KEY_RECORD_BYTES : IC_REVIVAL_RECORD_BYTES));
}

hansa_err ic_revival_decode(const uint8_t *p, size_t len, ic_revival *out, wire_rd *ro) {
    wire_rd r;
    rd_init(&r, p, len);
    memset(out, 0, sizeof *out);
    uint8_t version = rd_version_key(&r);
    out->proposed_at = rd_u64(&r, "proposed_at");
    rd_consensus_fields(&r, &out->cs);
    if (r.err == HANSA_OK && version == IC_RECORD_VERSION_KEY) rd_key_fields(&r, &out->cs, true);
    if (r.err == HANSA_OK && out->proposed_at == 0) rd_fail(&r, HANSA_ERR_INVALID, "proposed_at");
    hansa_err err = finish(&r, ro);
    if (err != HANSA_OK) memset(out, 0, sizeof *out);
    return err;
}
