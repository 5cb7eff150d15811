/* Interop of hansa's FROST with an independent implementation, the npm
 * package @noble/curves (ristretto255_FROST, RFC 9591), run as a child
 * process (tests/interop/frost/peer.mjs) that answers JSON lines:
 *   - noble verifies the signature of a hansa group (key from hansa's DKG,
 *     signed through hansa's ROAST coordinator and signers), and refuses a
 *     tampered one;
 *   - noble holds one share of a hansa group and signs in a hansa ROAST run:
 *     hansa's coordinator checks its share with per-share verification and
 *     aggregates it with hansa's shares; noble checks hansa's shares and its
 *     own aggregate of the same shares is byte for byte hansa's;
 *   - noble runs its own DKG: hansa verifies each proof of knowledge (the
 *     empty-context form of frost_pok_verify) and derives from noble's
 *     commitments the same group key and verifying shares.
 * If node or the package cannot be had (no network for npm), the test says
 * SKIP and exits 77, which ctest and scripts/test count as skipped. */
#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/hex.h"
#include "check.h"
#include "crypto/frost.h"
#include "crypto/sign.h"
#include "threshold/dkg_harness.h"
#include "threshold/roast.h"

#define PEER_DIR "tests/interop/frost"
#define SKIP 77

static FILE *to_peer, *from_peer;
static pid_t peer_pid;

static bool start_peer(void) {
    int in[2], out[2];
    if (pipe(in) != 0 || pipe(out) != 0) return false;
    peer_pid = fork();
    if (peer_pid < 0) return false;
    if (peer_pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        close(in[1]);
        close(out[0]);
        execlp("node", "node", PEER_DIR "/peer.mjs", (char *)NULL);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    to_peer = fdopen(in[1], "w");
    from_peer = fdopen(out[0], "r");
    return to_peer && from_peer;
}

static void stop_peer(void) {
    if (to_peer) fclose(to_peer);
    if (from_peer) fclose(from_peer);
    if (peer_pid > 0) {
        kill(peer_pid, SIGTERM);
        waitpid(peer_pid, NULL, 0);
    }
}

/* Sends req (consumed) and returns the reply (caller decrefs), or NULL if
 * the peer is gone. */
static json_t *ask(json_t *req) {
    char *line = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    fprintf(to_peer, "%s\n", line);
    fflush(to_peer);
    free(line);
    char *buf = NULL;
    size_t cap = 0;
    ssize_t n = getline(&buf, &cap, from_peer);
    json_t *reply = n > 0 ? json_loads(buf, 0, NULL) : NULL;
    free(buf);
    if (reply && json_object_get(reply, "error"))
        fprintf(stderr, "  peer error: %s\n", json_string_value(json_object_get(reply, "error")));
    return reply;
}

static json_t *hexj(const void *p, size_t n) {
    char *s = malloc(2 * n + 1);
    hex_encode(p, n, s);
    json_t *j = json_string(s);
    free(s);
    return j;
}

static bool unhex(json_t *j, void *out, size_t n) {
    const char *s = json_string_value(j);
    size_t got = 0;
    return s && strlen(s) == 2 * n && hex_decode(s, 2 * n, out, n, &got, NULL) == HANSA_OK && got == n;
}

static json_t *id_json(uint16_t id) {
    frost_scalar s;
    frost_id_scalar(id, &s);
    return hexj(s.b, 32);
}

static bool peer_verify(const frost_point *key, const uint8_t *msg, size_t len, const frost_sig *sig) {
    json_t *r = ask(json_pack("{s:s, s:o, s:o, s:o}", "op", "verify", "key", hexj(key->b, 32), "msg",
                              hexj(msg, len), "sig", hexj(sig, 64)));
    bool ok = r && json_is_true(json_object_get(r, "ok"));
    json_decref(r);
    return ok;
}

/* Node and the package are there, or can be installed; else a reason. */
static const char *prepare(void) {
    if (system("node --version >/dev/null 2>&1") != 0) return "node is not installed";
    struct stat st;
    if (stat(PEER_DIR "/node_modules/@noble/curves/package.json", &st) != 0) {
        fprintf(stderr, "installing @noble/curves with npm\n");
        if (system("cd " PEER_DIR " && npm install --ignore-scripts --no-audit --no-fund "
                   "--fetch-retries=4 --fetch-retry-maxtimeout=20000 "
                   ">/dev/null 2>&1") != 0)
            return "npm install failed (no network?)";
        if (stat(PEER_DIR "/node_modules/@noble/curves/package.json", &st) != 0)
            return "@noble/curves missing after npm install";
    }
    return NULL;
}

/* The RFC 9591 vector's signature verifies in noble too. */
static void test_noble_rfc_vector(void) {
    frost_point key;
    frost_sig sig;
    uint8_t raw[64];
    size_t n;
    CHECK_ERR(hex_decode("e2a62f39eede11269e3bd5a7d97554f5ca384f9f6d3dd9c3c0d05083c7254f57", 64, key.b,
                         32, &n, NULL),
              HANSA_OK);
    CHECK_ERR(hex_decode("fc45655fbc66bbffad654ea4ce5fdae253a49a64ace25d9adb62010dd9fb2555"
                         "2164141787162e5b4cab915b4aa45d94655dbb9ed7c378a53b980a0be220a802",
                         128, raw, 64, &n, NULL),
              HANSA_OK);
    CHECK_ERR(frost_sig_decode(raw, &sig), HANSA_OK);
    CHECK(peer_verify(&key, (const uint8_t *)"test", 4, &sig));
    CHECK(frost_verify(&key, (const uint8_t *)"test", 4, &sig));
}

/* ---- hansa group, noble verifies ---------------------------------------------------------- */

static const uint8_t MSG[] = "hansa checkpoint: chain e2e4, height 7";

static bool persist_ok(void *ctx, const roast_nonce_rec *rec) {
    (void)ctx;
    (void)rec;
    return true;
}

static bool approve_msg(void *ctx, uint64_t round, const uint8_t *msg, size_t len) {
    (void)ctx;
    return round == 7 && len == sizeof MSG && memcmp(msg, MSG, len) == 0;
}

typedef struct {
    net w;
    const dkg_result *res;
    roast_signer *signer[8];
    hansa_prng prng;
} group5;

static void group5_init(group5 *g) {
    net_init(&g->w, 5, 77, 1);
    net_run(&g->w, 45);
    g->res = dkg_result_get(g->w.s[0]);
    HANSA_ASSERT(g->res && dkg_accepted(g->w.s[0]));
    prng_seed(&g->prng, 78);
    for (uint16_t i = 1; i <= 5; i++) {
        roast_signer_config sc = {.group = g->res->group, .id = i,
                                  .share = dkg_result_get(g->w.s[i])->share,
                                  .rng = prng_as_rng(&g->prng), .persist = persist_ok,
                                  .approve = approve_msg};
        g->signer[i] = roast_signer_new(&sc, NULL, 0);
    }
}

static void group5_free(group5 *g) {
    for (uint16_t i = 1; i <= 5; i++) roast_signer_free(g->signer[i]);
    net_free(&g->w);
}

static roast_coord *coord(const group5 *g) {
    roast_coord_config cc = {.group = g->res->group, .round = 7, .msg = MSG, .msg_len = sizeof MSG};
    return roast_coord_new(&cc);
}

/* Hands COMMIT of hansa signer i to the coordinator. */
static void hansa_commit(group5 *g, roast_coord *c, uint16_t i) {
    hbuf b = HBUF_INIT;
    CHECK_ERR(roast_signer_commit(g->signer[i], 7, &b), HANSA_OK);
    CHECK_ERR(roast_coord_on_message(c, i, b.data, b.len, NULL), HANSA_OK);
    hbuf_free(&b);
}

static group5 grp;

static void test_noble_verifies_hansa(void) {
    group5 *g = &grp;
    roast_coord *c = coord(g);
    for (uint16_t i = 1; i <= 4; i++) hansa_commit(g, c, i);
    const roast_out *o;
    size_t n = roast_coord_drain(c, &o);
    CHECK(n == 1 && o[0].kind == ROAST_OUT_REQUEST);
    hbuf req = HBUF_INIT, sh = HBUF_INIT;
    hbuf_append(&req, o[0].bytes, o[0].len);
    for (uint16_t i = 1; i <= 4; i++) {
        hbuf_reset(&sh);
        CHECK_ERR(roast_signer_on_request(g->signer[i], req.data, req.len, &sh, NULL), HANSA_OK);
        CHECK_ERR(roast_coord_on_message(c, i, sh.data, sh.len, NULL), HANSA_OK);
    }
    const frost_sig *sig = roast_coord_signature(c);
    CHECK(sig != NULL);
    if (sig) {
        CHECK(peer_verify(&g->res->group.key, MSG, sizeof MSG, sig));
        frost_sig bad = *sig;
        bad.z.b[0] ^= 1;
        CHECK(!peer_verify(&g->res->group.key, MSG, sizeof MSG, &bad));
        CHECK(!peer_verify(&g->res->group.key, (const uint8_t *)"other", 5, sig));
    }
    hbuf_free(&req);
    hbuf_free(&sh);
    roast_coord_free(c);
}

/* ---- noble signs inside a hansa group ------------------------------------------------------ */

static json_t *list_json(const roast_msg *req) {
    json_t *list = json_array();
    for (uint16_t i = 0; i < req->n; i++)
        json_array_append_new(list, json_pack("{s:o, s:o, s:o}", "identifier", id_json(req->list[i].id),
                                              "hiding", hexj(req->list[i].hiding.b, 32), "binding",
                                              hexj(req->list[i].binding.b, 32)));
    return list;
}

/* A noble commitment for participant id, as a hansa ROAST commitment. */
static bool noble_commit(uint16_t id, frost_commitment *out) {
    json_t *r = ask(json_pack("{s:s}", "op", "commit"));
    bool ok = r && unhex(json_object_get(r, "hiding"), out->hiding.b, 32) &&
              unhex(json_object_get(r, "binding"), out->binding.b, 32);
    out->id = id;
    json_decref(r);
    return ok;
}

static void test_noble_share_in_hansa_group(void) {
    group5 *g = &grp;
    const uint16_t noble_id = 2;
    const dkg_result *mine = dkg_result_get(g->w.s[noble_id]);
    /* noble gets the group's public package (the summed commitments of the
     * DKG's qualified dealers, every verifying share) and share 2. */
    json_t *commits = json_array(), *shares = json_object();
    for (uint16_t k = 0; k < g->res->group.t; k++) json_array_append_new(commits, hexj(g->res->poly[k].b, 32));
    for (uint16_t i = 1; i <= 5; i++) {
        char id[65];
        frost_scalar s;
        frost_id_scalar(i, &s);
        hex_encode(s.b, 32, id);
        json_object_set_new(shares, id, hexj(g->res->group.shares[i - 1].b, 32));
    }
    json_t *r = ask(json_pack("{s:s, s:i, s:i, s:o, s:o, s:o, s:o}", "op", "setup", "min",
                              (int)g->res->group.t, "max", 5, "commitments", commits,
                              "verifyingShares", shares, "identifier", id_json(noble_id),
                              "signingShare", hexj(mine->share.b, 32)));
    CHECK(r && json_is_true(json_object_get(r, "ok")));
    json_decref(r);

    roast_coord *c = coord(g);
    hansa_commit(g, c, 1);
    frost_commitment nc;
    CHECK(noble_commit(noble_id, &nc));
    roast_msg cm = {.kind = ROAST_MSG_COMMIT, .group_key = g->res->group.key, .round = 7, .commitment = nc};
    hbuf b = HBUF_INIT;
    roast_msg_encode(&b, &cm);
    CHECK_ERR(roast_coord_on_message(c, noble_id, b.data, b.len, NULL), HANSA_OK);
    hansa_commit(g, c, 3);
    hansa_commit(g, c, 5);
    const roast_out *o;
    size_t n = roast_coord_drain(c, &o);
    CHECK(n == 1 && o[0].kind == ROAST_OUT_REQUEST);
    if (n != 1) {
        hbuf_free(&b);
        roast_coord_free(c);
        return;
    }
    hbuf req = HBUF_INIT;
    hbuf_append(&req, o[0].bytes, o[0].len);
    roast_msg rq;
    CHECK_ERR(roast_msg_decode(req.data, req.len, &rq, NULL), HANSA_OK);

    /* hansa signers 1, 3, 5 answer; noble answers for 2. */
    json_t *hansa_shares = json_object();
    for (uint16_t i = 1; i <= 5; i++) {
        if (i == 2 || i == 4) continue;
        hbuf_reset(&b);
        CHECK_ERR(roast_signer_on_request(g->signer[i], req.data, req.len, &b, NULL), HANSA_OK);
        roast_msg sm;
        CHECK_ERR(roast_msg_decode(b.data, b.len, &sm, NULL), HANSA_OK);
        char id[65];
        frost_scalar s;
        frost_id_scalar(i, &s);
        hex_encode(s.b, 32, id);
        json_object_set_new(hansa_shares, id, hexj(sm.z.b, 32));
        /* noble checks hansa's share with its own per-share verification. */
        r = ask(json_pack("{s:s, s:o, s:o, s:o, s:o}", "op", "verifyShare", "list", list_json(&rq), "msg",
                          hexj(MSG, sizeof MSG), "identifier", id_json(i), "share", hexj(sm.z.b, 32)));
        CHECK(r && json_is_true(json_object_get(r, "ok")));
        json_decref(r);
        CHECK_ERR(roast_coord_on_message(c, i, b.data, b.len, NULL), HANSA_OK);
    }
    r = ask(json_pack("{s:s, s:o, s:o}", "op", "sign", "list", list_json(&rq), "msg", hexj(MSG, sizeof MSG)));
    roast_msg share = {.kind = ROAST_MSG_SHARE, .group_key = g->res->group.key, .round = 7,
                       .session = rq.session};
    CHECK(r && unhex(json_object_get(r, "share"), share.z.b, 32));
    char nid[65];
    frost_scalar ns;
    frost_id_scalar(noble_id, &ns);
    hex_encode(ns.b, 32, nid);
    json_object_set(hansa_shares, nid, json_object_get(r, "share"));
    json_decref(r);
    CHECK(noble_commit(noble_id, &share.commitment)); /* its next commitment, as ROAST wants */
    hbuf_reset(&b);
    roast_msg_encode(&b, &share);
    CHECK_ERR(roast_coord_on_message(c, noble_id, b.data, b.len, NULL), HANSA_OK);
    n = roast_coord_drain(c, &o);
    /* hansa's per-share verification accepted noble's share: no BLAME, DONE. */
    CHECK(n == 1 && o[0].kind == ROAST_OUT_DONE);
    const frost_sig *sig = roast_coord_signature(c);
    CHECK(sig && frost_verify(&g->res->group.key, MSG, sizeof MSG, sig));
    if (sig) {
        CHECK(peer_verify(&g->res->group.key, MSG, sizeof MSG, sig));
        r = ask(json_pack("{s:s, s:o, s:o, s:O}", "op", "aggregate", "list", list_json(&rq), "msg",
                          hexj(MSG, sizeof MSG), "shares", hansa_shares));
        uint8_t theirs[64];
        CHECK(r && unhex(json_object_get(r, "sig"), theirs, 64));
        CHECK(memcmp(theirs, sig, 64) == 0);
        json_decref(r);
        fprintf(stderr, "  a 4-of-5 hansa group signed with one noble share: "
                        "same signature bytes from both aggregators\n");
    }
    json_decref(hansa_shares);
    hbuf_free(&b);
    hbuf_free(&req);
    roast_coord_free(c);
}

/* ---- noble's DKG, checked by hansa ------------------------------------------------------------ */

static void test_noble_dkg(void) {
    enum { T = 3, N = 4 };
    json_t *r = ask(json_pack("{s:s, s:i, s:i}", "op", "dkg", "min", T, "max", N));
    json_t *r1 = json_object_get(r, "round1"), *pub = json_object_get(r, "public");
    CHECK(json_array_size(r1) == N);
    frost_point rows[N * T], sum[T];
    for (size_t d = 0; d < json_array_size(r1) && d < N; d++) {
        json_t *p = json_array_get(r1, d);
        frost_scalar ids;
        CHECK(unhex(json_object_get(p, "identifier"), ids.b, 32));
        uint16_t id = (uint16_t)(ids.b[0] | ids.b[1] << 8);
        CHECK(id == d + 1);
        json_t *cm = json_object_get(p, "commitment");
        CHECK(json_array_size(cm) == T); /* the threshold is the vector length */
        for (size_t k = 0; k < T; k++) {
            uint8_t raw[32];
            CHECK(unhex(json_array_get(cm, k), raw, 32));
            CHECK_ERR(frost_point_decode(raw, &rows[d * T + k]), HANSA_OK);
        }
        uint8_t pok_raw[64];
        frost_sig pok;
        CHECK(unhex(json_object_get(p, "pok"), pok_raw, 64));
        CHECK_ERR(frost_sig_decode(pok_raw, &pok), HANSA_OK);
        CHECK(frost_pok_verify(id, NULL, 0, &rows[d * T], &pok));
        CHECK(!frost_pok_verify((uint16_t)(id % N + 1), NULL, 0, &rows[d * T], &pok));
    }
    frost_group g;
    CHECK(frost_group_build(rows, N, T, N, sum, &g));
    json_t *commits = json_object_get(pub, "commitments"), *vs = json_object_get(pub, "verifyingShares");
    for (size_t k = 0; k < T; k++) {
        frost_point p;
        CHECK(unhex(json_array_get(commits, k), p.b, 32));
        CHECK(frost_point_eq(&p, &sum[k]));
    }
    for (uint16_t i = 1; i <= N; i++) {
        char id[65];
        frost_scalar s;
        frost_id_scalar(i, &s);
        hex_encode(s.b, 32, id);
        frost_point p;
        CHECK(unhex(json_object_get(vs, id), p.b, 32));
        CHECK(frost_point_eq(&p, &g.shares[i - 1]));
    }
    json_decref(r);
}

int main(void) {
    crypto_init();
    signal(SIGPIPE, SIG_IGN);
    const char *why = prepare();
    if (why) {
        fprintf(stderr, "SKIP test_frost_interop: %s\n", why);
        return SKIP;
    }
    if (!start_peer()) {
        fprintf(stderr, "SKIP test_frost_interop: cannot start node\n");
        return SKIP;
    }
    /* The peer answers at all (node can load @noble/curves). */
    json_t *probe = ask(json_pack("{s:s}", "op", "ping"));
    if (!probe) {
        stop_peer();
        fprintf(stderr, "SKIP test_frost_interop: node cannot run the peer (too old for @noble/curves?)\n");
        return SKIP;
    }
    json_decref(probe);
    RUN(test_noble_rfc_vector);
    group5_init(&grp);
    RUN(test_noble_verifies_hansa);
    RUN(test_noble_share_in_hansa_group);
    group5_free(&grp);
    RUN(test_noble_dkg);
    stop_peer();
    return check_summary();
}
