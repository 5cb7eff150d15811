/* cli_receipt.c — `hansa receipt` and `hansa send --receipt`
 * (docs/receipts.md, docs/cli.md):
 *
 *   hansa receipt bond|unbond --from NAME --amount N   receipt collateral
 *        [--term BLOCKS]                               (bond) locked for BLOCKS heights
 *   hansa receipt show RECEIPT                         decode, check signatures here
 *   hansa receipt verify RECEIPT                       the node's view: collateral, status
 *        [--source ip:port]                            a receipt of another chain: its
 *                                                      signers' bonds proven from there
 *   hansa receipt claim --from NAME RECEIPT            claim a broken receipt
 *   hansa receipt status                               the node's collateral and exposure
 *
 * RECEIPT is the receipt's hex, as `hansa send --receipt` prints it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/hex.h"
#include "cmd/lib/cli.h"
#include "crypto/address.h"
#include "crypto/sign.h"
#include "ledger/receipt.h"
#include "ledger/tx.h"
#include "ledger/tx_receipt.h"
#include "node/keyfile.h"
#include "wire/codec.h"

#define RECEIPT_TX_WAIT_MS 30000

typedef struct {
    cli_common c;
    const char *from, *amount, *arg, *term, *source;
} rc_opts;

static int usage(void) {
    fprintf(stderr,
            "usage: hansa receipt bond|unbond --from NAME --amount N [--keys FILE] [--node ip:port]\n"
            "                   [--term BLOCKS]   (bond: unbonding refused for BLOCKS heights)\n"
            "       hansa receipt show RECEIPT\n"
            "       hansa receipt verify RECEIPT [--node ip:port] [--source ip:port] [--json]\n"
            "         --source: a node of the receipt's chain, when it is not --node's\n"
            "       hansa receipt claim --from NAME RECEIPT [--keys FILE] [--node ip:port]\n"
            "       hansa receipt status [--node ip:port] [--json]\n"
            "RECEIPT is the hex `hansa send --receipt` prints.\n");
    return CLI_USAGE;
}

static bool parse(rc_opts *o, int argc, char **argv) {
    for (int i = 2; i < argc; i++) {
        if (cli_common_opt(&o->c, argc, argv, &i)) continue;
        bool has = i + 1 < argc;
        if (strcmp(argv[i], "--from") == 0 && has) o->from = argv[++i];
        else if (strcmp(argv[i], "--amount") == 0 && has) o->amount = argv[++i];
        else if (strcmp(argv[i], "--term") == 0 && has) o->term = argv[++i];
        else if (strcmp(argv[i], "--source") == 0 && has) o->source = argv[++i];
        else if (argv[i][0] != '-' && !o->arg) o->arg = argv[i];
        else return false;
    }
    return true;
}

/* Signs kind/body with --from's key at its next nonce and submits it,
 * waiting for the commit. Returns an exit code. */
static int sign_submit(const rc_opts *o, const char *cmd, uint16_t kind, const uint8_t *body,
                       size_t body_len) {
    char path[CLI_PATH_MAX], why[KEYFILE_WHY_MAX], addr[CLI_ADDR_MAX], from[ADDR_TEXT_MAX];
    cli_keys_path(&o->c, path);
    cli_node_addr(&o->c, addr);
    keyfile kf;
    if (keyfile_load(path, &kf, why) != HANSA_OK) {
        fprintf(stderr, "hansa receipt %s: %s\n", cmd, why);
        return CLI_USAGE;
    }
    const keyfile_key *k = keyfile_find(&kf, o->from);
    int rc = CLI_USAGE;
    json_t *st = NULL, *acct = NULL, *r = NULL;
    if (!k) {
        fprintf(stderr, "hansa receipt %s: no key named %s in %s\n", cmd, o->from, path);
        goto out;
    }
    st = cli_call("receipt", addr, "status", NULL, CLI_CALL_TIMEOUT_MS, &rc);
    keyfile_address(&kf, k, from);
    if (st) acct = cli_call("receipt", addr, "account", json_pack("{s:s}", "address", from),
                            CLI_CALL_TIMEOUT_MS, &rc);
    if (!st || !acct) goto out;
    wire_tx tx = {.chain_id = kf.chain_id, .sender = k->kp.pub, .nonce = cli_u64(acct, "nonce"),
                  .fee = cli_u64(st, "min_fee"), .kind = kind, .body = body,
                  .body_len = (uint32_t)body_len};
    hbuf sb = HBUF_INIT, enc = HBUF_INIT;
    wire_tx_sign_bytes(&sb, &tx);
    sign_domain(&k->kp, SIGN_DOMAIN_TX, sb.data, sb.len, &tx.sig);
    wire_tx_encode(&enc, &tx);
    char *txhex = malloc(2 * enc.len + 1);
    hex_encode(enc.data, enc.len, txhex);
    r = cli_call("receipt", addr, "submit_tx",
                 json_pack("{s:s, s:b, s:i}", "tx", txhex, "wait", 1, "timeout_ms", RECEIPT_TX_WAIT_MS),
                 RECEIPT_TX_WAIT_MS + 5000, &rc);
    free(txhex);
    hbuf_free(&sb);
    hbuf_free(&enc);
    if (!r) goto out;
    if (o->c.json) cli_print_json(r);
    else printf("committed %s at height %llu\n", cli_str(r, "hash"),
                (unsigned long long)cli_u64(r, "height"));
    rc = CLI_OK;
out:
    json_decref(st);
    json_decref(acct);
    json_decref(r);
    keyfile_free(&kf);
    return rc;
}

static int do_bond(const rc_opts *o, const char *cmd, uint16_t kind) {
    uint64_t amount;
    if (!o->from || !o->amount || !cli_parse_u64(o->amount, &amount) || amount == 0) {
        fprintf(stderr, "hansa receipt %s: needs --from NAME and --amount N > 0\n", cmd);
        return CLI_USAGE;
    }
    uint8_t body[16];
    le64_store(body, amount);
    if (!o->term) return sign_submit(o, cmd, kind, body, 8);
    uint64_t term;
    if (kind != TX_RECEIPT_BOND || !cli_parse_u64(o->term, &term) || term == 0 || term > RECEIPT_TERM_MAX) {
        fprintf(stderr, "hansa receipt %s: --term is for bond, 1..%u blocks\n", cmd, RECEIPT_TERM_MAX);
        return CLI_USAGE;
    }
    char addr[CLI_ADDR_MAX];
    cli_node_addr(&o->c, addr);
    int code = CLI_OK;
    json_t *st = cli_call("receipt", addr, "status", NULL, CLI_CALL_TIMEOUT_MS, &code);
    if (!st) return code;
    /* From the tip: the bond lands a block or two later, still inside the term's bound. */
    le64_store(body + 8, cli_u64(st, "height") + term);
    json_decref(st);
    return sign_submit(o, cmd, kind, body, sizeof body);
}

/* Decodes RECEIPT hex; prints why not. */
static bool receipt_arg(const char *text, receipt *rc, uint8_t *raw, size_t *raw_len) {
    size_t n = text ? strlen(text) : 0;
    if (n == 0 || n % 2 || n / 2 > RECEIPT_BYTES_MAX ||
        hex_decode(text, n, raw, RECEIPT_BYTES_MAX, raw_len, NULL) != HANSA_OK) {
        fprintf(stderr, "hansa receipt: RECEIPT must be the receipt's hex (at most %zu bytes)\n",
                (size_t)RECEIPT_BYTES_MAX);
        return false;
    }
    wire_rd r;
    if (receipt_decode(raw, *raw_len, rc, &r) != HANSA_OK) {
        char where[96];
        rd_describe(&r, where, sizeof where);
        fprintf(stderr, "hansa receipt: not a receipt: %s\n", where);
        return false;
    }
    return true;
}

static void print_receipt(const receipt *rc) {
    char to[ADDR_TEXT_MAX], tx[2 * HANSA_HASH_BYTES + 1], id[2 * HANSA_HASH_BYTES + 1];
    hansa_hash h;
    receipt_id(&rc->core, &h);
    hex_encode(h.b, HANSA_HASH_BYTES, id);
    hex_encode(rc->core.tx_hash.b, HANSA_HASH_BYTES, tx);
    addr_format(rc->core.chain_id, &rc->core.beneficiary, to);
    printf("receipt %s\n  tx %s (nonce %llu)\n  guarantees %llu to %s\n  issued at height %llu, "
           "deadline %llu\n", id, tx, (unsigned long long)rc->core.nonce,
           (unsigned long long)rc->core.amount, to, (unsigned long long)rc->core.issued_height,
           (unsigned long long)rc->core.deadline);
    for (uint8_t i = 0; i < rc->n_shares; i++) {
        hansa_addr a;
        char at[ADDR_TEXT_MAX];
        addr_from_pubkey(&rc->shares[i].signer, &a);
        addr_format(rc->core.chain_id, &a, at);
        printf("  guarantor %s  %llu\n", at, (unsigned long long)rc->shares[i].amount);
    }
}

static int do_show(const rc_opts *o) {
    receipt rc;
    uint8_t raw[RECEIPT_BYTES_MAX];
    size_t len;
    if (!receipt_arg(o->arg, &rc, raw, &len)) return CLI_USAGE;
    crypto_init();
    print_receipt(&rc);
    int bad = receipt_verify(&rc);
    if (bad >= 0) printf("  signature of guarantor %d does NOT verify\n", bad);
    else printf("  signatures verify\n");
    return bad >= 0 ? CLI_FAILED : CLI_OK;
}

/* The bonds of rc's signers, proven by a node of rc's chain at source:
 * a JSON array of hex proofs, or NULL after saying why. */
static json_t *bond_proofs(const receipt *rc, const char *source, int *code) {
    json_t *bonds = json_array();
    for (uint8_t i = 0; i < rc->n_shares; i++) {
        char pk[2 * HANSA_PUBKEY_BYTES + 1];
        hex_encode(rc->shares[i].signer.b, HANSA_PUBKEY_BYTES, pk);
        json_t *r = cli_call("receipt", source, "receipt_bond_proof", json_pack("{s:s}", "signer", pk),
                             CLI_CALL_TIMEOUT_MS, code);
        if (!r) {
            json_decref(bonds);
            return NULL;
        }
        json_array_append_new(bonds, json_string(cli_str(r, "proof")));
        json_decref(r);
    }
    return bonds;
}

static void print_backing(const json_t *r, uint32_t source_chain) {
    const json_t *sg = json_object_get(r, "signers");
    for (size_t i = 0; i < json_array_size(sg); i++) {
        const json_t *x = json_array_get(sg, i);
        printf("  guarantor %zu: bond %llu proven at %x height %llu, term %llu: backs deadlines to %llu\n",
               i, (unsigned long long)cli_u64(x, "bond"), source_chain,
               (unsigned long long)cli_u64(x, "bond_height"), (unsigned long long)cli_u64(x, "term"),
               (unsigned long long)cli_u64(x, "backs_until"));
    }
    if (json_is_true(json_object_get(r, "valid"))) printf("  valid on %s; risk: %s\n", cli_str(r, "proven_on"),
                                                          cli_str(r, "risk"));
    else printf("  NOT valid here: %s\n", cli_str(r, "why"));
}

static int do_verify(const rc_opts *o) {
    receipt rc;
    uint8_t raw[RECEIPT_BYTES_MAX];
    size_t len;
    if (!receipt_arg(o->arg, &rc, raw, &len)) return CLI_USAGE;
    char addr[CLI_ADDR_MAX];
    cli_node_addr(&o->c, addr);
    int code = CLI_OK;
    json_t *params = json_pack("{s:s}", "receipt", o->arg);
    if (o->source) {
        json_t *bonds = bond_proofs(&rc, o->source, &code);
        if (!bonds) {
            json_decref(params);
            return code;
        }
        json_object_set_new(params, "bonds", bonds);
    }
    json_t *r = cli_call("receipt", addr, "receipt_verify", params, CLI_CALL_TIMEOUT_MS, &code);
    if (!r) return code;
    bool valid = json_is_true(json_object_get(r, "valid"));
    if (o->c.json) cli_print_json(r);
    else if (o->source) {
        print_receipt(&rc);
        print_backing(r, rc.core.chain_id);
    } else {
        print_receipt(&rc);
        printf("  %s, status %s at height %llu\n", valid ? "valid (signed, signers bonded)" : "NOT valid",
               cli_str(r, "status"), (unsigned long long)cli_u64(r, "height"));
        if (!valid && cli_str(r, "why")[0]) printf("  %s\n", cli_str(r, "why"));
    }
    json_decref(r);
    return valid ? CLI_OK : CLI_FAILED;
}

static int do_claim(const rc_opts *o) {
    receipt rc;
    uint8_t raw[RECEIPT_BYTES_MAX];
    size_t len;
    if (!o->from || !receipt_arg(o->arg, &rc, raw, &len)) return o->from ? CLI_USAGE : usage();
    char addr[CLI_ADDR_MAX];
    cli_node_addr(&o->c, addr);
    int code = CLI_OK;
    json_t *r = cli_call("receipt", addr, "receipt_claim_body", json_pack("{s:s}", "receipt", o->arg),
                         CLI_CALL_TIMEOUT_MS, &code);
    if (!r) return code;
    if (!json_is_true(json_object_get(r, "claimable"))) {
        fprintf(stderr, "hansa receipt claim: not claimable now: %s\n", cli_str(r, "why"));
        json_decref(r);
        return CLI_FAILED;
    }
    uint8_t *body = NULL;
    size_t body_len = 0;
    bool ok = cli_hex_alloc(r, "body", WIRE_TX_BODY_MAX, &body, &body_len);
    if (!o->c.json) printf("claiming %llu\n", (unsigned long long)cli_u64(r, "payable"));
    json_decref(r);
    if (!ok) {
        fprintf(stderr, "hansa receipt claim: the node sent a bad claim body\n");
        return CLI_FAILED;
    }
    crypto_init();
    code = sign_submit(o, "claim", TX_RECEIPT_CLAIM, body, body_len);
    free(body);
    return code;
}

static int do_status(const rc_opts *o) {
    char addr[CLI_ADDR_MAX];
    cli_node_addr(&o->c, addr);
    int code = CLI_OK;
    json_t *r = cli_call("receipt", addr, "receipt_status", NULL, CLI_CALL_TIMEOUT_MS, &code);
    if (!r) return code;
    if (o->c.json) cli_print_json(r);
    else
        printf("bonded %llu, exposure %llu, free %llu\n%llu guarantees outstanding; issued %llu, "
               "underwrote %llu since start\n",
               (unsigned long long)cli_u64(r, "bonded"), (unsigned long long)cli_u64(r, "exposure"),
               (unsigned long long)cli_u64(r, "free"), (unsigned long long)cli_u64(r, "outstanding"),
               (unsigned long long)cli_u64(r, "issued"), (unsigned long long)cli_u64(r, "underwritten"));
    json_decref(r);
    return CLI_OK;
}

int cmd_receipt(int argc, char **argv) {
    rc_opts o = {0};
    if (argc < 2 || !parse(&o, argc, argv)) return usage();
    const char *sub = argv[1];
    if (strcmp(sub, "bond") == 0) return (crypto_init(), do_bond(&o, "bond", TX_RECEIPT_BOND));
    if (strcmp(sub, "unbond") == 0) return (crypto_init(), do_bond(&o, "unbond", TX_RECEIPT_UNBOND));
    if (strcmp(sub, "show") == 0) return do_show(&o);
    if (strcmp(sub, "verify") == 0) return do_verify(&o);
    if (strcmp(sub, "claim") == 0) return do_claim(&o);
    if (strcmp(sub, "status") == 0) return do_status(&o);
    return usage();
}

int cli_send_receipt(const char *addr, const uint8_t *tx, size_t tx_len, bool json) {
    char *txhex = malloc(2 * tx_len + 1);
    hex_encode(tx, tx_len, txhex);
    uint64_t start = clock_system_mono_us();
    int code = CLI_OK;
    json_t *r = cli_call("send", addr, "submit_receipt", json_pack("{s:s}", "tx", txhex),
                         CLI_CALL_TIMEOUT_MS, &code);
    uint64_t took_us = clock_system_mono_us() - start;
    free(txhex);
    if (!r) return code;
    json_object_set_new(r, "client_us", json_integer((json_int_t)took_us));
    if (json) {
        cli_print_json(r);
    } else {
        uint8_t raw[RECEIPT_BYTES_MAX];
        receipt rc;
        size_t len;
        if (receipt_arg(cli_str(r, "receipt"), &rc, raw, &len)) print_receipt(&rc);
        printf("  in %.2f ms (node %.2f ms)\n  %s\n", (double)took_us / 1000.0,
               (double)cli_u64(r, "elapsed_us") / 1000.0, cli_str(r, "receipt"));
    }
    json_decref(r);
    return CLI_OK;
}
