/* join.c — see join.h.
 *
 * Trust: the only thing taken on faith is the home's genesis.json. Header h
 * is verified by the light client rules (interchain/client.h) from the
 * genesis validator set, following set changes by bisection; the snapshot's
 * info is accepted only if its own hashes give that header's app hash
 * (ledger_snap_info_consistent); the records only if their root is the
 * info's state root. The source can therefore lie about nothing but sizes,
 * and those are bounded as they arrive.
 *
 * Crash safety: nothing is written to the store until every check passed,
 * and then the whole state, block h, its commit and the tip go in one store
 * transaction. A join killed at any moment leaves an empty store (or the
 * complete one). What it downloaded is kept meanwhile in DIR/join.partial
 * (join_partial.h), one synced frame per chunk: run again, it resumes after
 * the last whole chunk when the source still offers that snapshot, checking
 * the kept chunks again as they are read back; the file goes once the join
 * is done, or when what it holds can no longer be used. */
#include "cmd/lib/join.h"
#include "cmd/lib/join_partial.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/clock.h"
#include "base/hex.h"
#include "base/mem.h"
#include "cmd/lib/cli.h"
#include "cmd/lib/lightfetch.h"
#include "cmd/lib/rpc_client.h"
#include "consensus/valset.h"
#include "crypto/merkle.h"
#include "crypto/sha256.h"
#include "interchain/codec.h"
#include "ledger/state.h"
#include "ledger/state_root.h"
#include "node/config.h"
#include "store/record.h"
#include "store/store.h"
#include "wire/codec.h"

#define JOIN_TRUSTING_PERIOD_MS (30ull * 24 * 3600 * 1000) /* see join.h */
#define JOIN_CLOCK_DRIFT_MS 10000ull
/* Refused above 3 GiB of records: they are held in one ledger_writes, whose
 * offsets are 32-bit. */
#define JOIN_STATE_BYTES_MAX (3ull << 30)
#define JOIN_STEPS_MAX 1000               /* light-client steps to reach h */
#define JOIN_TIMEOUT_MS 30000
#define JOIN_CHUNK_BYTES_MAX (4u << 20) /* --chunk-bytes */
#define JOIN_ATTEMPTS 3 /* snapshots a join may start on when the source drops one */
#define RPC_NOT_FOUND_CODE (-32001) /* docs/rpc.md: no snapshot of that height (any more) */

typedef struct {
    const char *source, *home, *conf; /* conf: where genesis.json is (default home) */
    uint64_t height; /* 0: the source's latest snapshot */
    uint64_t chunk_bytes, trusting_period_ms;
} join_opts;

static int usage(void) {
    fprintf(stderr,
            "usage: hansa join --source RPC_ADDR --home DIR [--conf DIR] [--height H]\n"
            "                  [--chunk-bytes N] [--trusting-period-ms MS]\n"
            "  starts DIR (made by hansad init, with the chain's genesis.json) from a state\n"
            "  snapshot served by the node at RPC_ADDR, checked against a header verified\n"
            "  from the genesis by the light client; then run hansad --home DIR\n");
    return CLI_USAGE;
}

/* A decimal option value in lo..hi. */
static bool u64_in(const char *v, uint64_t lo, uint64_t hi, uint64_t *out) {
    return cli_parse_u64(v, out) && *out >= lo && *out <= hi;
}

/* One option with its value v; false for an unknown one or a bad value. */
static bool option(const char *a, const char *v, join_opts *o) {
    if (strcmp(a, "--source") == 0) return (o->source = v) != NULL;
    if (strcmp(a, "--home") == 0) return (o->home = v) != NULL;
    if (strcmp(a, "--conf") == 0) return (o->conf = v) != NULL;
    if (strcmp(a, "--height") == 0) return u64_in(v, 1, UINT64_MAX, &o->height);
    if (strcmp(a, "--chunk-bytes") == 0) return u64_in(v, 1, JOIN_CHUNK_BYTES_MAX, &o->chunk_bytes);
    if (strcmp(a, "--trusting-period-ms") == 0)
        return u64_in(v, IC_TRUSTING_PERIOD_MIN_MS, IC_TRUSTING_PERIOD_MAX_MS,
                      &o->trusting_period_ms);
    return false;
}

static bool parse(int argc, char **argv, join_opts *o) {
    *o = (join_opts){.chunk_bytes = 1u << 20, .trusting_period_ms = JOIN_TRUSTING_PERIOD_MS};
    for (int i = 1; i < argc; i += 2)
        if (i + 1 >= argc || !option(argv[i], argv[i + 1], o)) return false;
    if (!o->conf) o->conf = o->home;
    return o->source && o->home && strlen(o->home) < CLI_PATH_MAX - 32 &&
           strlen(o->conf) < CLI_PATH_MAX - 32;
}

/* *gone (optional) is set when the source answers that the snapshot asked
 * for is not (or no longer) there. */
static json_t *call(const char *addr, const char *method, json_t *params, bool *gone, char *why,
                    size_t why_len) {
    rpcc_error err = {0};
    json_t *r = rpcc_call(addr, method, params, JOIN_TIMEOUT_MS, &err);
    if (!r) {
        snprintf(why, why_len, "%s %s: %s", addr, method, err.message);
        if (gone && err.code == RPC_NOT_FOUND_CODE) *gone = true;
        json_decref(err.data);
    }
    return r;
}

/* ---- the snapshot's info ---- */

static bool info_parse(const json_t *j, ledger_snap_info *out) {
    memset(out, 0, sizeof *out);
    out->height = cli_u64(j, "height");
    out->records = cli_u64(j, "records");
    out->bytes = cli_u64(j, "bytes");
    return out->height > 0 && cli_hex_fixed(j, "app_hash", out->app_hash.b, HANSA_HASH_BYTES) &&
           cli_hex_fixed(j, "prev_app_hash", out->prev_app_hash.b, HANSA_HASH_BYTES) &&
           cli_hex_fixed(j, "writes_hash", out->writes_hash.b, HANSA_HASH_BYTES) &&
           cli_hex_fixed(j, "state_root", out->state_root.b, HANSA_HASH_BYTES);
}

/* The source's snapshot of o->height, or else of `prefer` (the one a
 * partial download holds; 0: none) if it still has it, or its latest. */
static bool pick_snapshot(const join_opts *o, uint64_t prefer, ledger_snap_info *out, char *why,
                          size_t why_len) {
    json_t *r = call(o->source, "snapshot_info", json_object(), NULL, why, why_len);
    if (!r) return false;
    json_t *list = json_object_get(r, "snapshots");
    bool found = false, ok = true;
    for (size_t i = 0; ok && i < json_array_size(list); i++) {
        ledger_snap_info in;
        ok = info_parse(json_array_get(list, i), &in);
        bool better = !found || (in.height == prefer) ||
                      (out->height != prefer && in.height >= out->height);
        if (ok && (o->height == 0 ? better : in.height == o->height)) {
            *out = in;
            found = true;
        }
    }
    json_decref(r);
    if (!ok) snprintf(why, why_len, "%s: snapshot_info: a malformed entry", o->source);
    else if (!found && o->height)
        snprintf(why, why_len, "%s keeps no snapshot of height %llu", o->source,
                 (unsigned long long)o->height);
    else if (!found) snprintf(why, why_len, "%s keeps no snapshot yet", o->source);
    return ok && found;
}

/* ---- header h, verified from the genesis ---- */

/* The genesis trust root: the genesis delegates decide height 1. *set
 * (optional) gets their set, owned (free its v). */
static bool genesis_root(const genesis_file *g, ic_consensus *out, wire_valset *set) {
    cons_valset vs;
    if (valset_init(&vs, g->g.delegates, g->g.n_delegates) != HANSA_OK) return false;
    memset(out, 0, sizeof *out);
    out->time_ms = g->g.params.genesis_time_ms;
    wire_valset w = valset_as_wire(&vs);
    wire_valset_hash(&w, &out->validators_hash);
    out->next_validators_hash = out->validators_hash;
    if (set) *set = (wire_valset){w.n, hansa_memdup(w.v, w.n * sizeof *w.v)};
    return true;
}

/* One skip from the genesis straight to `height`, with the genesis set
 * known here: needs no header below `height`, so a pruning source serves
 * it. HANSA_ERR_QUORUM when the genesis delegates no longer hold more than
 * a third of the power (then only bisection over older headers helps). */
static hansa_err skip_from_genesis(const join_opts *o, const ic_params *p, const ic_consensus *root,
                                   const wire_valset *genesis_set, uint64_t height, uint64_t now,
                                   wire_header *hdr, hbuf *commit, char *why, size_t why_len) {
    light_block lb;
    if (!lf_fetch(o->source, height, &lb, why, why_len)) return HANSA_ERR_NOT_FOUND;
    ic_update u = {.trusted_height = 0, .header = lb.header, .cert_kind = IC_CERT_COMMIT,
                   .commit = lb.commit, .vals = lb.vals, .has_trusted_vals = height > 1};
    memset(&lb.commit, 0, sizeof lb.commit); /* u owns them now */
    memset(&lb.vals, 0, sizeof lb.vals);
    if (u.has_trusted_vals)
        u.trusted_vals = (wire_valset){genesis_set->n, hansa_memdup(genesis_set->v,
                                                                     genesis_set->n * sizeof *genesis_set->v)};
    char vwhy[IC_WHY_MAX] = "";
    hansa_err e = ic_verify(p, root, &u, now, true, NULL, vwhy, sizeof vwhy);
    if (e == HANSA_OK) {
        *hdr = u.header;
        wire_commit_encode(commit, &u.commit);
    } else {
        snprintf(why, why_len, "header %llu from %s does not verify from the genesis: %s (%s)",
                 (unsigned long long)height, o->source, vwhy, hansa_strerror(e));
    }
    ic_update_free(&u);
    light_block_free(&lb);
    return e;
}

/* Verifies header `height` step by step (bisection) from the genesis; on
 * success *hdr and *commit are that height's. */
static bool verify_header(const join_opts *o, const genesis_file *g, uint64_t height,
                          wire_header *hdr, hbuf *commit, char *why, size_t why_len) {
    ic_params p = {g->g.params.chain_id, o->trusting_period_ms, JOIN_CLOCK_DRIFT_MS};
    ic_consensus trusted;
    wire_valset genesis_set;
    if (!genesis_root(g, &trusted, &genesis_set)) {
        snprintf(why, why_len, "the genesis delegates do not make a validator set");
        return false;
    }
    uint64_t now = clock_wall_ms(&hansa_clock_system);
    hansa_err first = skip_from_genesis(o, &p, &trusted, &genesis_set, height, now, hdr, commit, why,
                                        why_len);
    free(genesis_set.v);
    if (first != HANSA_ERR_QUORUM) return first == HANSA_OK;
    for (int step = 0; step < JOIN_STEPS_MAX; step++) {
        hbuf enc = HBUF_INIT;
        uint64_t got = 0;
        int rc = lf_build_update(o->source, &p, &trusted, height, now, false, &enc, &got, why,
                                 why_len);
        if (rc <= 0) {
            if (rc == 0) snprintf(why, why_len, "%s serves nothing above height %llu", o->source,
                                  (unsigned long long)trusted.height);
            hbuf_free(&enc);
            return false;
        }
        ic_update u;
        char vwhy[IC_WHY_MAX] = "";
        hansa_err e = ic_update_decode(enc.data, enc.len, &u, NULL);
        hbuf_free(&enc);
        if (e != HANSA_OK) { /* the decoder freed u */
            snprintf(why, why_len, "the update to height %llu does not decode: %s",
                     (unsigned long long)got, hansa_strerror(e));
            return false;
        }
        e = ic_verify(&p, &trusted, &u, now, true, NULL, vwhy, sizeof vwhy);
        if (e != HANSA_OK) {
            snprintf(why, why_len, "header %llu from %s does not verify: %s (%s)",
                     (unsigned long long)got, o->source, vwhy, hansa_strerror(e));
            ic_update_free(&u);
            return false;
        }
        ic_consensus_of_header(&u.header, &trusted);
        bool done = u.header.height == height;
        if (done) {
            *hdr = u.header;
            wire_commit_encode(commit, &u.commit);
        }
        ic_update_free(&u);
        if (done) return true;
    }
    snprintf(why, why_len, "no verified path to height %llu in %d steps", (unsigned long long)height,
             JOIN_STEPS_MAX);
    return false;
}

/* ---- the records ---- */

typedef struct {
    ledger_writes recs;   /* every record received, in key order */
    merkle_stream root;
    uint64_t bytes;
    bool more;            /* the last chunk said more follow */
    bool spoilt;          /* the records cannot make the snapshot: none worth keeping */
    join_partial kept;    /* where each chunk goes once checked */
} download;

static void download_init(download *d) {
    *d = (download){.recs = LEDGER_WRITES_INIT, .more = true, .kept = {.fd = -1}};
    merkle_stream_init(&d->root);
}

static void download_free(download *d) {
    jp_close(&d->kept);
    ledger_writes_free(&d->recs);
}

/* Checks one chunk (what join.h lists) and takes its records. */
static bool take_chunk(download *d, const json_t *r, const ledger_snap_info *in, uint64_t max,
                       bool *more, char *why, size_t why_len) {
    json_t *list = json_object_get(r, "records");
    if (cli_u64(r, "height") != in->height || !json_is_array(list) ||
        !json_is_boolean(json_object_get(r, "more"))) {
        snprintf(why, why_len, "a malformed chunk (height, records or more missing)");
        return false;
    }
    *more = json_is_true(json_object_get(r, "more"));
    if (json_array_size(list) == 0 && *more) {
        snprintf(why, why_len, "an empty chunk that says more follows");
        return false;
    }
    uint64_t chunk = 0;
    for (size_t i = 0; i < json_array_size(list); i++) {
        json_t *pair = json_array_get(list, i);
        const char *k = json_string_value(json_array_get(pair, 0));
        const char *v = json_string_value(json_array_get(pair, 1));
        uint8_t key[STORE_KEY_BYTES_MAX];
        size_t kl = 0, vl = 0, kh = k ? strlen(k) : 0, vh = v ? strlen(v) : 0;
        if (json_array_size(pair) != 2 || !k || !v || kh == 0 || kh % 2 || vh == 0 || vh % 2 ||
            hex_decode(k, kh, key, sizeof key, &kl, NULL) != HANSA_OK) {
            snprintf(why, why_len, "record %zu of a chunk is not [key, value] hex (keys <= %d bytes)",
                     i, STORE_KEY_BYTES_MAX);
            return false;
        }
        chunk += kl + vh / 2;
        d->bytes += kl + vh / 2;
        if ((i > 0 && chunk > max) || d->bytes > JOIN_STATE_BYTES_MAX) {
            snprintf(why, why_len, "the chunk goes past %s",
                     chunk > max ? "max_bytes" : "3 GiB of state");
            return false;
        }
        if (d->recs.n > 0) {
            size_t pl;
            const uint8_t *prev = ledger_write_key(&d->recs, d->recs.n - 1, &pl);
            int c = memcmp(prev, key, pl < kl ? pl : kl);
            if (c > 0 || (c == 0 && pl >= kl)) {
                snprintf(why, why_len, "record %zu of a chunk is out of key order", i);
                return false;
            }
        }
        ledger_writes_begin(&d->recs, key, kl);
        size_t at = d->recs.data.len;
        hbuf_reserve(&d->recs.data, vh / 2);
        if (hex_decode(v, vh, d->recs.data.data + at, vh / 2, &vl, NULL) != HANSA_OK) {
            snprintf(why, why_len, "record %zu of a chunk: value is not hex", i);
            d->recs.n--; /* drop the half-added record */
            return false;
        }
        d->recs.data.len = at + vl;
        ledger_writes_end_value(&d->recs);
        hansa_hash leaf;
        ledger_record_leaf_hash(key, kl, d->recs.data.data + at, vl, &leaf);
        merkle_stream_add(&d->root, &leaf);
    }
    if (d->recs.n > in->records) {
        snprintf(why, why_len, "more records than the %llu the snapshot announced",
                 (unsigned long long)in->records);
        return false;
    }
    return true;
}

/* Keeps a checked chunk reply in the partial file. */
static bool keep_chunk(download *d, const json_t *r, char *why, size_t why_len) {
    char *text = json_dumps(r, JSON_COMPACT);
    HANSA_ASSERT(text != NULL);
    bool ok = jp_append(&d->kept, text, strlen(text), why, why_len);
    free(text);
    return ok;
}

static bool fetch_records(const join_opts *o, const ledger_snap_info *in, download *d, bool *gone,
                          char *why, size_t why_len) {
    while (d->more) {
        json_t *params = json_pack("{s:I, s:I}", "height", (json_int_t)in->height, "max_bytes",
                                   (json_int_t)o->chunk_bytes);
        if (d->recs.n > 0) {
            size_t kl;
            const uint8_t *k = ledger_write_key(&d->recs, d->recs.n - 1, &kl);
            char hex[2 * STORE_KEY_BYTES_MAX + 1];
            hex_encode(k, kl, hex);
            json_object_set_new(params, "after_key", json_string(hex));
        }
        json_t *r = call(o->source, "snapshot_chunk", params, gone, why, why_len);
        if (!r) return false;
        bool ok = take_chunk(d, r, in, o->chunk_bytes, &d->more, why, why_len) &&
                  keep_chunk(d, r, why, why_len);
        json_decref(r);
        if (!ok) return false;
    }
    d->recs.sorted = true; /* take_chunk checked the order */
    hansa_hash root;
    merkle_stream_root(&d->root, &root);
    if (!hash_eq(&root, &in->state_root)) {
        char a[65], b[65];
        hex_encode(root.b, HANSA_HASH_BYTES, a);
        hex_encode(in->state_root.b, HANSA_HASH_BYTES, b);
        snprintf(why, why_len, "snapshot %llu refused: its %zu records have root %s but header "
                 "%llu commits to %s", (unsigned long long)in->height, d->recs.n, a,
                 (unsigned long long)in->height, b);
        d->spoilt = true;
        return false;
    }
    return true;
}

/* ---- resuming a partial download ---- */

static bool info_same(const ledger_snap_info *a, const ledger_snap_info *b) {
    return a->height == b->height && a->records == b->records && a->bytes == b->bytes &&
           hash_eq(&a->app_hash, &b->app_hash) && hash_eq(&a->prev_app_hash, &b->prev_app_hash) &&
           hash_eq(&a->writes_hash, &b->writes_hash) && hash_eq(&a->state_root, &b->state_root);
}

/* The info as the first frame of the partial file keeps it (malloc'd). */
static char *info_text(const ledger_snap_info *in) {
    char app[65], prev[65], writes[65], root[65];
    hex_encode(in->app_hash.b, HANSA_HASH_BYTES, app);
    hex_encode(in->prev_app_hash.b, HANSA_HASH_BYTES, prev);
    hex_encode(in->writes_hash.b, HANSA_HASH_BYTES, writes);
    hex_encode(in->state_root.b, HANSA_HASH_BYTES, root);
    json_t *j = json_pack("{s:I, s:I, s:I, s:s, s:s, s:s, s:s}", "height", (json_int_t)in->height,
                          "records", (json_int_t)in->records, "bytes", (json_int_t)in->bytes,
                          "app_hash", app, "prev_app_hash", prev, "writes_hash", writes,
                          "state_root", root);
    char *text = json_dumps(j, JSON_COMPACT);
    HANSA_ASSERT(text != NULL);
    json_decref(j);
    return text;
}

/* The height of the snapshot the partial file holds (0: none). */
static bool peek_take(void *ctx, const char *text, size_t len) {
    json_t *j = json_loadb(text, len, 0, NULL);
    ledger_snap_info in;
    if (j && info_parse(j, &in)) *(uint64_t *)ctx = in.height;
    json_decref(j);
    return false; /* the first frame is enough */
}

static uint64_t kept_height(const char *home) {
    uint64_t h = 0;
    char why[256];
    jp_read(home, peek_take, &h, why, sizeof why);
    return h;
}

typedef struct {
    download *d;
    const ledger_snap_info *in;
    int frames;     /* read so far */
    char why[256];  /* why the file cannot be resumed */
} resume_ctx;

/* Takes one kept frame: the info first, which must be the snapshot chosen
 * now, then chunks, checked as when they arrived. */
static bool resume_take(void *ctx, const char *text, size_t len) {
    resume_ctx *rc = ctx;
    json_t *j = json_loadb(text, len, 0, NULL);
    ledger_snap_info kept;
    bool ok = j != NULL;
    if (!ok) snprintf(rc->why, sizeof rc->why, "frame %d is not JSON", rc->frames);
    else if (rc->frames == 0 && !(ok = info_parse(j, &kept) && info_same(&kept, rc->in)))
        snprintf(rc->why, sizeof rc->why, "it holds another snapshot than %llu",
                 (unsigned long long)rc->in->height);
    else if (rc->frames > 0)
        ok = take_chunk(rc->d, j, rc->in, JOIN_CHUNK_BYTES_MAX, &rc->d->more, rc->why,
                        sizeof rc->why);
    json_decref(j);
    rc->frames++;
    return ok;
}

/* Continues the download of *in from the partial file when it holds the
 * same snapshot, else starts the file afresh with *in's info. */
static bool resume_or_start(const join_opts *o, const ledger_snap_info *in, download *d, char *why,
                            size_t why_len) {
    resume_ctx rc = {.d = d, .in = in};
    int n = jp_read(o->home, resume_take, &rc, why, why_len);
    if (n < 0) return false;
    if (n >= 1 && n == rc.frames) {
        fprintf(stderr, "hansa join: resuming snapshot %llu after %zu records (%d chunks kept in "
                "%s/join.partial)\n", (unsigned long long)in->height, d->recs.n, n - 1, o->home);
        return jp_open(&d->kept, o->home, why, why_len);
    }
    if (rc.frames > 0) {
        fprintf(stderr, "hansa join: not resuming from %s/join.partial: %s\n", o->home, rc.why);
        download_free(d);
        download_init(d);
    }
    jp_remove(o->home);
    char *text = info_text(in);
    bool ok = jp_open(&d->kept, o->home, why, why_len) &&
              jp_append(&d->kept, text, strlen(text), why, why_len);
    free(text);
    return ok;
}

/* ---- writing the store ---- */

/* The records as a ledger state, checked as a restart checks them. */
static bool load_state(const genesis_file *g, const download *d, const ledger_snap_info *in,
                       ledger_state **out, char *why, size_t why_len) {
    static const uint8_t hash_key[ACCT_MAP_KEY_BYTES] = {0x6a, 0x6f, 0x69, 0x6e}; /* hashing only */
    ledger_state *s = ledger_state_load_begin(hash_key);
    hansa_err e = HANSA_OK;
    for (size_t i = 0; i < d->recs.n && e == HANSA_OK; i++) {
        size_t kl, vl;
        const uint8_t *k = ledger_write_key(&d->recs, i, &kl), *v = ledger_write_value(&d->recs, i, &vl);
        e = ledger_state_load_record(s, k, kl, v, vl, why, why_len);
    }
    if (e == HANSA_OK) e = ledger_state_load_finish(s, &in->app_hash, why, why_len);
    if (e == HANSA_OK && ledger_height(s) != in->height) {
        snprintf(why, why_len, "the snapshot's state is at height %llu, not %llu",
                 (unsigned long long)ledger_height(s), (unsigned long long)in->height);
        e = HANSA_ERR_INVALID;
    }
    if (e == HANSA_OK && ledger_state_params(s)->chain_id != g->g.params.chain_id) {
        snprintf(why, why_len, "the snapshot is of another chain");
        e = HANSA_ERR_WRONG_CHAIN;
    }
    if (e != HANSA_OK) {
        ledger_state_free(s);
        return false;
    }
    *out = s;
    return true;
}

/* Block h from the source: its header must be the verified one. */
static bool fetch_block(const join_opts *o, const wire_header *hdr, hbuf *bytes, wire_block *blk,
                        bool *gone, char *why, size_t why_len) {
    json_t *r = call(o->source, "snapshot_block", json_pack("{s:I}", "height", (json_int_t)hdr->height),
                     gone, why, why_len);
    if (!r) return false;
    uint8_t *raw = NULL;
    size_t len = 0;
    bool ok = cli_hex_alloc(r, "block", STORE_PAYLOAD_BYTES_MAX / 2, &raw, &len);
    json_decref(r);
    if (ok) hbuf_append(bytes, raw, len); /* blk borrows its tx bytes from here */
    free(raw);
    ok = ok && wire_block_decode(bytes->data, bytes->len, blk, NULL) == HANSA_OK;
    if (!ok) {
        snprintf(why, why_len, "block %llu from %s does not decode", (unsigned long long)hdr->height,
                 o->source);
        return false;
    }
    hansa_hash want, got, txr;
    wire_header_hash(hdr, &want);
    wire_header_hash(&blk->header, &got);
    hansa_hash *leaves = hansa_calloc(blk->n_txs ? blk->n_txs : 1, sizeof *leaves);
    for (uint32_t i = 0; i < blk->n_txs; i++)
        merkle_leaf_hash(blk->txs[i].bytes, blk->txs[i].len, &leaves[i]);
    merkle_root(leaves, blk->n_txs, &txr);
    free(leaves);
    if (!hash_eq(&want, &got) || !hash_eq(&txr, &blk->header.tx_root)) {
        snprintf(why, why_len, "block %llu from %s is not the verified one",
                 (unsigned long long)hdr->height, o->source);
        wire_block_free(blk);
        return false;
    }
    return true;
}

static hansa_err put_all(store_batch *b, const ledger_state *s, const download *d,
                         const hbuf *block, const wire_block *blk, const hbuf *commit) {
    hansa_hash id, h;
    wire_header_hash(&blk->header, &id);
    hansa_err e = store_batch_put_block(b, &id, block->data, block->len);
    if (e == HANSA_OK) e = store_batch_put_commit(b, commit->data, commit->len);
    for (uint32_t i = 0; i < blk->n_txs && e == HANSA_OK; i++) {
        sha256(blk->txs[i].bytes, blk->txs[i].len, &h);
        e = store_batch_put_tx(b, &h, i);
    }
    for (size_t i = 0; i < d->recs.n && e == HANSA_OK; i++) {
        size_t kl, vl;
        const uint8_t *k = ledger_write_key(&d->recs, i, &kl), *v = ledger_write_value(&d->recs, i, &vl);
        e = store_batch_put_state(b, k, kl, v, vl);
    }
    hbuf enc = HBUF_INIT;
    for (int w = LEDGER_SET_PREV; w <= LEDGER_SET_NEXT && e == HANSA_OK; w++) {
        const ledger_validators *lv = ledger_state_valset(s, (ledger_set_which)w, NULL);
        wire_valset ws = {.n = lv->n, .v = (wire_validator *)lv->v};
        hbuf_reset(&enc);
        wire_valset_encode(&enc, &ws);
        wire_valset_hash(&ws, &h);
        e = store_batch_put_valset(b, &h, enc.data, enc.len);
    }
    hbuf_free(&enc);
    return e;
}

static bool write_store(const join_opts *o, store *st, const ledger_state *s, const download *d,
                        const hbuf *block, const wire_block *blk, const hbuf *commit, char *why,
                        size_t why_len) {
    store_batch *b = NULL;
    hansa_err e = store_batch_begin(st, blk->header.height, &b);
    if (e == HANSA_OK) e = put_all(b, s, d, block, blk, commit);
    if (e == HANSA_OK) e = store_batch_commit(b, ledger_app_hash(s));
    else store_batch_abort(b);
    if (e != HANSA_OK)
        snprintf(why, why_len, "writing the store in %s/data: %s", o->home, store_errmsg(st));
    return e == HANSA_OK;
}

/* One attempt, after the store is open and empty. *gone: the source
 * dropped the snapshot meanwhile (the chain moved two checkpoints on). */
static bool join_once(const join_opts *o, const genesis_file *g, store *st, bool *gone, char *why,
                      size_t why_len) {
    ledger_snap_info in;
    wire_header hdr;
    hbuf commit = HBUF_INIT, block = HBUF_INIT;
    download d;
    download_init(&d);
    ledger_state *s = NULL;
    wire_block blk;
    bool have_blk = false, ok = pick_snapshot(o, kept_height(o->home), &in, why, why_len);
    if (ok) fprintf(stderr, "hansa join: snapshot %llu from %s (%llu records, %llu bytes)\n",
                    (unsigned long long)in.height, o->source, (unsigned long long)in.records,
                    (unsigned long long)in.bytes);
    ok = ok && verify_header(o, g, in.height, &hdr, &commit, why, why_len);
    if (ok && (!ledger_snap_info_consistent(&in) || !hash_eq(&in.app_hash, &hdr.app_hash))) {
        snprintf(why, why_len, "snapshot %llu refused: its hashes do not give the app hash of the "
                 "verified header %llu", (unsigned long long)in.height, (unsigned long long)hdr.height);
        ok = false;
    }
    ok = ok && resume_or_start(o, &in, &d, why, why_len) &&
         fetch_records(o, &in, &d, gone, why, why_len);
    if (ok && !load_state(g, &d, &in, &s, why, why_len)) {
        ok = false;
        d.spoilt = true;
    }
    ok = ok && (have_blk = fetch_block(o, &hdr, &block, &blk, gone, why, why_len));
    ok = ok && write_store(o, st, s, &d, &block, &blk, &commit, why, why_len);
    if (ok)
        printf("joined at height %llu: %zu records (%llu bytes) match the state root of the "
               "verified header; start hansad --home %s to follow from height %llu\n",
               (unsigned long long)in.height, d.recs.n, (unsigned long long)d.bytes, o->home,
               (unsigned long long)in.height + 1);
    if (have_blk) wire_block_free(&blk);
    ledger_state_free(s);
    download_free(&d);
    if (ok || *gone || d.spoilt) jp_remove(o->home);
    hbuf_free(&commit);
    hbuf_free(&block);
    return ok;
}

/* A source keeps its last two snapshots; one may go while it is being
 * fetched. Then (unless --height pinned it) the join starts over on the
 * newest, a few times. */
static bool join(const join_opts *o, const genesis_file *g, store *st, char *why, size_t why_len) {
    for (int attempt = 1;; attempt++) {
        bool gone = false;
        if (join_once(o, g, st, &gone, why, why_len)) return true;
        if (!gone || o->height != 0 || attempt == JOIN_ATTEMPTS) return false;
        fprintf(stderr, "hansa join: %s; starting over on the newest snapshot\n", why);
    }
}

int cmd_join(int argc, char **argv) {
    join_opts o;
    if (!parse(argc, argv, &o)) return usage();
    char path[CLI_PATH_MAX], why[CONFIG_WHY_MAX + 256];
    genesis_file g;
    snprintf(path, sizeof path, "%s/genesis.json", o.conf);
    if (genesis_load(path, &g, why) != HANSA_OK) {
        fprintf(stderr, "hansa join: %s\n", why);
        return CLI_USAGE;
    }
    snprintf(path, sizeof path, "%s/data", o.home);
    store *st = NULL;
    store_options so = {0};
    int rc = CLI_OK;
    store_tip tip;
    if (store_open(path, &so, &st) != HANSA_OK) {
        fprintf(stderr, "hansa join: cannot open the store in %s\n", path);
        rc = CLI_FAILED;
    } else if (store_get_tip(st, &tip) == HANSA_OK) {
        fprintf(stderr, "hansa join: %s already holds the chain up to height %llu; nothing to do\n",
                path, (unsigned long long)tip.height);
    } else if (!join(&o, &g, st, why, sizeof why)) {
        fprintf(stderr, "hansa join: %s\n", why);
        rc = CLI_FAILED;
    }
    store_close(st);
    genesis_free(&g);
    return rc;
}
