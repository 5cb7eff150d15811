/* cli_tx.c — `hansa tx HASH`: a committed transaction, and a light
 * client's check that it really is in the chain.
 *
 * The node's answer (RPC `tx`) is treated as a claim. From the encoded
 * bytes alone, this command checks, in order:
 *   1. the tx bytes hash to the hash asked for;
 *   2. the header decodes, and the RFC 6962 audit path leads from the tx's
 *      leaf, at its index in a tree of the header's tx_count leaves, to the
 *      header's tx_root;
 *   3. the commit certificate is for this header: same chain and height,
 *      and its block id is the hash computed here over the header bytes;
 *   4. the validator set (RPC `validators`) hashes to the header's
 *      validators_hash, and the certificate carries valid precommit
 *      signatures of more than 2/3 of that set's power (cert_commit_verify).
 * What stays trusted: the validator set itself. It comes from the same
 * node; step 4 only ties it to the header. A light client that knows the
 * chain's set from its genesis or an earlier verified header compares the
 * printed validators_hash with that. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/hex.h"
#include "cmd/lib/cli.h"
#include "consensus/engine.h"
#include "interchain/cert.h"
#include "crypto/merkle.h"
#include "crypto/sha256.h"
#include "crypto/sign.h"
#include "wire/codec.h"

#define CHECKS_MAX 8
#define CHECK_LINE_MAX 256

/* The outcome of the checks, one line each. */
typedef struct {
    char line[CHECKS_MAX][CHECK_LINE_MAX];
    bool ok[CHECKS_MAX];
    int n;
    bool all_ok;
} verdict;

/* Records one check; returns ok. */
__attribute__((format(printf, 3, 4))) static bool note(verdict *v, bool ok, const char *fmt, ...) {
    if (v->n < CHECKS_MAX) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(v->line[v->n], CHECK_LINE_MAX, fmt, ap);
        va_end(ap);
        v->ok[v->n++] = ok;
    }
    if (!ok) v->all_ok = false;
    return ok;
}

/* What the node sent, decoded here. */
typedef struct {
    uint8_t *tx;
    size_t tx_len;
    wire_header h;
    hansa_hash hh; /* computed over the header bytes */
    wire_commit c;
    bool have_commit;
} tx_claim;

static bool check_tx_bytes(verdict *v, const json_t *r, const hansa_hash *asked, tx_claim *t) {
    wire_tx tx;
    hansa_hash got;
    if (!cli_hex_alloc(json_object_get(r, "tx"), "encoded", WIRE_TX_BYTES_MAX, &t->tx, &t->tx_len) ||
        wire_tx_decode(t->tx, t->tx_len, &tx, NULL) != HANSA_OK)
        return note(v, false, "the tx bytes the node sent do not decode as a transaction");
    sha256(t->tx, t->tx_len, &got);
    return note(v, hash_eq(&got, asked), "the tx bytes hash to the hash asked for");
}

/* Reads the audit path; false if it is not a list of at most
 * MERKLE_PROOF_MAX hashes. */
static bool read_path(const json_t *proof, hansa_hash *path, size_t *n) {
    const json_t *arr = json_object_get(proof, "path");
    *n = json_array_size(arr);
    if (!json_is_array(arr) || *n > MERKLE_PROOF_MAX) return false;
    for (size_t i = 0; i < *n; i++) {
        json_t *wrap = json_pack("{s:O}", "h", json_array_get(arr, i));
        bool ok = cli_hex_fixed(wrap, "h", path[i].b, HANSA_HASH_BYTES);
        json_decref(wrap);
        if (!ok) return false;
    }
    return true;
}

static bool check_proof(verdict *v, const json_t *r, tx_claim *t) {
    uint8_t *hb = NULL;
    size_t hl = 0;
    bool ok = cli_hex_alloc(json_object_get(r, "header"), "encoded", WIRE_HEADER_BYTES, &hb, &hl) &&
              wire_header_decode(hb, hl, &t->h, NULL) == HANSA_OK;
    free(hb);
    if (!ok) return note(v, false, "the header bytes the node sent do not decode as a header");
    wire_header_hash(&t->h, &t->hh);
    hansa_hash path[MERKLE_PROOF_MAX], leaf;
    size_t n = 0;
    uint64_t index = cli_u64(r, "index");
    if (!read_path(json_object_get(r, "proof"), path, &n))
        return note(v, false, "the inclusion proof is not a list of hashes");
    merkle_leaf_hash(t->tx, t->tx_len, &leaf);
    ok = merkle_verify(&leaf, index, t->h.tx_count, path, n, &t->h.tx_root);
    return note(v, ok,
                "Merkle inclusion proof (RFC 6962, %zu hashes): leaf %llu of %u leads to the "
                "header's tx_root", n, (unsigned long long)index, t->h.tx_count);
}

static bool check_commit(verdict *v, const json_t *r, tx_claim *t) {
    uint8_t *cb = NULL;
    size_t cl = 0;
    bool ok = cli_hex_alloc(json_object_get(r, "commit"), "encoded", WIRE_COMMIT_BYTES(WIRE_VALIDATORS_MAX),
                            &cb, &cl) &&
              wire_commit_decode(cb, cl, &t->c, NULL) == HANSA_OK;
    free(cb);
    if (!ok) return note(v, false, "the commit certificate bytes do not decode");
    t->have_commit = true;
    ok = t->c.chain_id == t->h.chain_id && t->c.height == t->h.height && hash_eq(&t->c.block, &t->hh);
    return note(v, ok,
                "the header's hash (computed here) is the block id of the commit certificate "
                "(height %llu, round %u)", (unsigned long long)t->c.height, t->c.round);
}

/* Fetches the validator set and reads it into vs (owned array). */
static bool fetch_valset(const char *addr, wire_valset *vs, int *rc) {
    json_t *r = cli_call("tx", addr, "validators", NULL, CLI_CALL_TIMEOUT_MS, rc);
    const json_t *list = json_object_get(r, "validators");
    size_t n = json_array_size(list);
    bool ok = r && n > 0 && n <= WIRE_VALIDATORS_MAX;
    vs->n = (uint16_t)n;
    vs->v = calloc(n ? n : 1, sizeof *vs->v);
    for (size_t i = 0; ok && i < n; i++) {
        const json_t *e = json_array_get(list, i);
        vs->v[i].power = cli_u64(e, "power");
        ok = cli_hex_fixed(e, "pubkey", vs->v[i].pubkey.b, HANSA_PUBKEY_BYTES);
    }
    json_decref(r);
    return ok;
}

static void check_signatures(verdict *v, const char *addr, tx_claim *t, int *rc) {
    wire_valset vs = {0};
    if (!fetch_valset(addr, &vs, rc)) {
        note(v, false, "could not get the validator set from the node");
        free(vs.v);
        return;
    }
    hansa_hash vh;
    wire_valset_hash(&vs, &vh);
    bool ok = note(v, hash_eq(&vh, &t->h.validators_hash),
                   "the validator set (%u validator%s, from the node) hashes to the header's "
                   "validators_hash", vs.n, vs.n == 1 ? "" : "s");
    if (ok) {
        uint64_t total = 0, signed_power = 0;
        for (uint16_t i = 0; i < vs.n; i++) total += vs.v[i].power;
        for (uint16_t i = 0; i < t->c.n_sigs; i++)
            if (t->c.sigs[i].validator_index < vs.n) signed_power += vs.v[t->c.sigs[i].validator_index].power;
        hansa_err e = cert_commit_verify(&t->c, t->h.chain_id, vs.v, vs.n);
        note(v, e == HANSA_OK,
             "the commit carries valid precommit signatures of %u validator%s, power %llu of %llu "
             "(more than 2/3 needed)%s%s", t->c.n_sigs, t->c.n_sigs == 1 ? "" : "s", (unsigned long long)signed_power,
             (unsigned long long)total, e == HANSA_OK ? "" : ": ", e == HANSA_OK ? "" : hansa_strerror(e));
    }
    free(vs.v);
}

static void print_tx(const json_t *r, const tx_claim *t) {
    const json_t *tx = json_object_get(r, "tx");
    char when[64], hh[2 * HANSA_HASH_BYTES + 1];
    cli_format_time(t->h.time_ms, when, sizeof when);
    hex_encode(t->hh.b, HANSA_HASH_BYTES, hh);
    printf("tx %s\n  committed   height %llu, index %llu of %u, result %s\n  block       %s\n"
           "  time        %s\n  kind        %s\n  from        %s\n",
           cli_str(r, "hash"), (unsigned long long)cli_u64(r, "height"),
           (unsigned long long)cli_u64(r, "index"), t->h.tx_count, cli_str(r, "result"), hh, when,
           json_is_string(json_object_get(tx, "kind")) ? cli_str(tx, "kind") : "unknown",
           cli_str(tx, "sender_address"));
    if (json_object_get(tx, "to"))
        printf("  to          %s\n  amount      %s\n", cli_str(tx, "to"), cli_str(tx, "amount"));
    printf("  fee         %s\n  nonce       %s\n", cli_str(tx, "fee"), cli_str(tx, "nonce"));
}

static void print_verdict(FILE *f, const verdict *v, const tx_claim *t) {
    fprintf(f, "verified here, from the bytes the node sent:\n");
    for (int i = 0; i < v->n; i++) fprintf(f, "  [%s] %s\n", v->ok[i] ? " ok " : "FAIL", v->line[i]);
    char vh[2 * HANSA_HASH_BYTES + 1];
    hex_encode(t->h.validators_hash.b, HANSA_HASH_BYTES, vh);
    fprintf(f, "trusted: the validator set itself, validators_hash %s\n"
               "  (compare it with the chain's genesis or an earlier verified header)\n", vh);
    if (!v->all_ok) fprintf(f, "VERIFICATION FAILED: do not trust this answer\n");
}

int cmd_tx(int argc, char **argv) {
    cli_common c = {0};
    const char *arg = NULL;
    bool bad = false;
    for (int i = 1; i < argc && !bad; i++) {
        if (cli_common_opt(&c, argc, argv, &i)) continue;
        if (argv[i][0] != '-' && !arg) arg = argv[i];
        else bad = true;
    }
    hansa_hash asked;
    size_t got = 0;
    if (bad || !arg || strlen(arg) != 2 * HANSA_HASH_BYTES ||
        hex_decode(arg, strlen(arg), asked.b, HANSA_HASH_BYTES, &got, NULL) != HANSA_OK) {
        fprintf(stderr, "usage: hansa tx HASH [--node ip:port] [--json]   (HASH: 64 hex digits)\n");
        return CLI_USAGE;
    }
    crypto_init();
    char addr[CLI_ADDR_MAX];
    cli_node_addr(&c, addr);
    int rc = CLI_OK;
    json_t *r = cli_call("tx", addr, "tx", json_pack("{s:s}", "hash", arg), CLI_CALL_TIMEOUT_MS, &rc);
    if (!r) return rc;
    verdict v = {.all_ok = true};
    tx_claim t = {0};
    if (check_tx_bytes(&v, r, &asked, &t) && check_proof(&v, r, &t) && check_commit(&v, r, &t))
        check_signatures(&v, addr, &t, &rc);
    if (c.json) cli_print_json(r);
    else print_tx(r, &t);
    print_verdict(c.json ? stderr : stdout, &v, &t);
    if (t.have_commit) wire_commit_free(&t.c);
    free(t.tx);
    json_decref(r);
    return v.all_ok ? CLI_OK : CLI_FAILED;
}
