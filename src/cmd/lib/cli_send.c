/* cli_send.c — `hansa send`: a transfer from a named key, built and signed
 * here, submitted to a node, and (unless --no-wait) followed until it is
 * committed. An address of another chain (its chain id prefix decides)
 * makes it a cross-chain transfer: a packet (ledger/xfer.h) that the
 * chains' delegates relay; `hansa xfer status HASH` follows it from there.
 *
 * The node is asked for three things only: its chain id and minimum fee
 * (status), the sender's next nonce (account), and to take the signed bytes
 * (submit_tx). The key never leaves this process. Waiting uses submit_tx's
 * own wait, so there is no gap between "admitted" and "watching": the call
 * runs on a helper thread while the main thread draws progress on stderr. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/hex.h"
#include "cmd/lib/cli.h"
#include "cmd/lib/rpc_client.h"
#include "crypto/address.h"
#include "crypto/sha256.h"
#include "crypto/sign.h"
#include "interchain/packet.h"
#include "ledger/tx.h"
#include "node/keyfile.h"
#include "wire/codec.h"

#define SEND_TIMEOUT_MS_DEFAULT 30000
#define SEND_TIMEOUT_MS_MAX 300000

typedef struct {
    cli_common c;
    const char *from, *to, *amount, *fee, *nonce, *timeout, *denom, *xfer_timeout;
    bool no_wait, dry_run, receipt;
} send_opts;

static int usage(void) {
    fprintf(stderr,
            "usage: hansa send --from NAME --to ADDRESS --amount N [--fee F] [--keys FILE]\n"
            "                  [--node ip:port] [--no-wait] [--timeout-ms T] [--nonce K]\n"
            "                  [--dry-run] [--receipt] [--json]\n"
            "                  [--denom TRACE] [--xfer-timeout-s S]\n"
            "--fee defaults to the node's minimum fee, --nonce to the sender's next one;\n"
            "an address of another chain sends a cross-chain transfer: --denom names what\n"
            "is sent (native, the default, or a voucher's trace such as a/b), and it is\n"
            "refunded if not credited by the destination's time now + S (default 600);\n"
            "--dry-run prints the signed transaction instead of submitting it;\n"
            "--receipt asks the node for a stake-backed receipt instead of waiting.\n");
    return CLI_USAGE;
}

static bool parse_args(send_opts *o, int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        if (cli_common_opt(&o->c, argc, argv, &i)) continue;
        const char *a = argv[i];
        bool has = i + 1 < argc;
        if (strcmp(a, "--no-wait") == 0) o->no_wait = true;
        else if (strcmp(a, "--dry-run") == 0) o->dry_run = true;
        else if (strcmp(a, "--receipt") == 0) o->receipt = true;
        else if (strcmp(a, "--from") == 0 && has) o->from = argv[++i];
        else if (strcmp(a, "--to") == 0 && has) o->to = argv[++i];
        else if (strcmp(a, "--amount") == 0 && has) o->amount = argv[++i];
        else if (strcmp(a, "--fee") == 0 && has) o->fee = argv[++i];
        else if (strcmp(a, "--nonce") == 0 && has) o->nonce = argv[++i];
        else if (strcmp(a, "--timeout-ms") == 0 && has) o->timeout = argv[++i];
        else if (strcmp(a, "--denom") == 0 && has) o->denom = argv[++i];
        else if (strcmp(a, "--xfer-timeout-s") == 0 && has) o->xfer_timeout = argv[++i];
        else return false;
    }
    return o->from && o->to && o->amount;
}

/* A u64 option, with a message naming it when malformed. */
static bool opt_u64(const char *name, const char *text, uint64_t *out) {
    if (cli_parse_u64(text, out)) return true;
    fprintf(stderr, "hansa send: %s %s: must be a whole number (digits only, at most 2^64-1)\n",
            name, text);
    return false;
}

/* What the transfer needs that comes from the node or the command line. */
typedef struct {
    uint32_t chain_id;
    uint64_t amount, fee, nonce, timeout_ms;
    hansa_addr to;
    uint32_t to_chain;        /* != chain_id: a cross-chain transfer */
    pkt_denom denom;
    uint64_t xfer_timeout_ms; /* the destination's time by which it must be credited */
} send_plan;

/* Asks the node for its chain, min fee and the sender's nonce, for
 * whatever the command line did not fix. Returns an exit code. */
static int plan_from_node(const send_opts *o, const keyfile *kf, const keyfile_key *k,
                          const char *addr, send_plan *p) {
    int rc = CLI_OK;
    json_t *st = cli_call("send", addr, "status", NULL, CLI_CALL_TIMEOUT_MS, &rc);
    if (!st) return rc;
    char mine[CHAIN_ID_TEXT_MAX];
    chain_id_format(kf->chain_id, mine);
    if (strcmp(cli_str(st, "chain_id"), mine) != 0) {
        fprintf(stderr, "hansa send: the key file is for chain %s but the node at %s runs chain %s\n",
                mine, addr, cli_str(st, "chain_id"));
        json_decref(st);
        return CLI_USAGE;
    }
    if (!o->fee) p->fee = cli_u64(st, "min_fee");
    json_decref(st);
    if (o->nonce) return CLI_OK;
    char from[ADDR_TEXT_MAX];
    keyfile_address(kf, k, from);
    json_t *acct = cli_call("send", addr, "account", json_pack("{s:s}", "address", from),
                            CLI_CALL_TIMEOUT_MS, &rc);
    if (!acct) return rc;
    p->nonce = cli_u64(acct, "nonce");
    json_decref(acct);
    return CLI_OK;
}

/* Builds and signs the transfer; appends its encoding to out. */
static void build_tx(const keyfile_key *k, const send_plan *p, hbuf *out, hansa_hash *hash) {
    uint8_t body[LEDGER_TRANSFER_BODY_BYTES];
    memcpy(body, p->to.b, HANSA_ADDR_BYTES);
    le64_store(body + HANSA_ADDR_BYTES, p->amount);
    wire_tx tx = {.chain_id = p->chain_id, .sender = k->kp.pub, .nonce = p->nonce, .fee = p->fee,
                  .kind = TX_TRANSFER, .body = body, .body_len = sizeof body};
    hbuf pay = HBUF_INIT, packet = HBUF_INIT;
    if (p->to_chain != p->chain_id) {
        pkt_transfer t = {.to = p->to, .amount = p->amount, .denom = p->denom};
        pkt_transfer_encode(&pay, &t);
        pkt_send s = {p->to_chain, p->xfer_timeout_ms, PKT_TYPE_TRANSFER, (uint16_t)pay.len, pay.data};
        pkt_send_encode(&packet, &s);
        tx.kind = TX_PACKET_SEND;
        tx.body = packet.data;
        tx.body_len = (uint32_t)packet.len;
    }
    hbuf sb = HBUF_INIT;
    wire_tx_sign_bytes(&sb, &tx);
    sign_domain(&k->kp, SIGN_DOMAIN_TX, sb.data, sb.len, &tx.sig);
    hbuf_free(&sb);
    wire_tx_encode(out, &tx);
    wire_tx_hash(&tx, hash);
    hbuf_free(&pay);
    hbuf_free(&packet);
}

/* ---- waiting with progress ---- */

typedef struct {
    const char *addr;
    json_t *params;
    int timeout_ms;
    json_t *result;
    rpcc_error err;
    atomic_bool done;
} submit_job;

static void *submit_thread(void *arg) {
    submit_job *j = arg;
    j->result = rpcc_call(j->addr, "submit_tx", j->params, j->timeout_ms, &j->err);
    atomic_store(&j->done, true);
    return NULL;
}

/* Runs the waiting submit on a thread; while it runs, a spinner with the
 * elapsed time on a terminal, or one plain line otherwise. */
static void submit_with_progress(submit_job *j, const char *hash_hex) {
    bool tty = isatty(STDERR_FILENO);
    if (!tty) fprintf(stderr, "waiting for %s to be admitted and committed\n", hash_hex);
    pthread_t t;
    if (pthread_create(&t, NULL, submit_thread, j) != 0) {
        submit_thread(j);
        return;
    }
    static const char spin[] = "|/-\\";
    uint64_t start = clock_system_mono_us();
    for (unsigned n = 0; !atomic_load(&j->done); n++) {
        if (tty)
            fprintf(stderr, "\r%c waiting for commit of %.16s...  %.1fs", spin[n % 4], hash_hex,
                    (double)(clock_system_mono_us() - start) / 1e6);
        usleep(100000);
    }
    if (tty) fprintf(stderr, "\r\033[K");
    pthread_join(t, NULL);
}

static int report(const send_opts *o, const send_plan *p, const char *hash_hex, submit_job *j) {
    if (!j->result) {
        bool transport = j->err.code == 0;
        if (j->err.code == -32004)
            fprintf(stderr, "hansa send: %s was not committed within %llu ms; it may still be: "
                            "check with `hansa tx %s`\n", hash_hex,
                    (unsigned long long)p->timeout_ms, hash_hex);
        else
            fprintf(stderr, "hansa send: %s%s\n", transport ? "" : "the node says: ", j->err.message);
        if (transport)
            fprintf(stderr, "  start a local network with `hansa testnet up`, or name a node "
                            "with --node ip:port or HANSA_NODE\n");
        json_decref(j->err.data);
        return transport ? CLI_UNREACHABLE : CLI_FAILED;
    }
    if (o->c.json) cli_print_json(j->result);
    else if (o->no_wait) printf("submitted %s\n", hash_hex);
    else
        printf("committed %s\n  height %llu, index %llu\n  amount %llu, fee %llu, nonce %llu\n",
               hash_hex, (unsigned long long)cli_u64(j->result, "height"),
               (unsigned long long)cli_u64(j->result, "index"), (unsigned long long)p->amount,
               (unsigned long long)p->fee, (unsigned long long)p->nonce);
    if (!o->c.json && p->to_chain != p->chain_id)
        printf("  a packet to chain %x: follow it with `hansa xfer status %s`\n", p->to_chain, hash_hex);
    json_decref(j->result);
    return CLI_OK;
}

static int submit(const send_opts *o, const char *addr, const send_plan *p, const hbuf *tx,
                  const hansa_hash *hash) {
    char hash_hex[2 * HANSA_HASH_BYTES + 1];
    hex_encode(hash->b, HANSA_HASH_BYTES, hash_hex);
    json_t *params = json_pack("{s:o}", "tx", json_null());
    char *txhex = malloc(2 * tx->len + 1);
    hex_encode(tx->data, tx->len, txhex);
    json_object_set_new(params, "tx", json_string(txhex));
    free(txhex);
    if (o->dry_run) {
        json_object_set_new(params, "hash", json_string(hash_hex));
        if (o->c.json) cli_print_json(params);
        else printf("tx %s\nhash %s\n", cli_str(params, "tx"), hash_hex);
        json_decref(params);
        return CLI_OK;
    }
    submit_job j = {.addr = addr, .params = params, .timeout_ms = CLI_CALL_TIMEOUT_MS};
    if (o->no_wait) {
        submit_thread(&j);
    } else {
        json_object_set_new(params, "wait", json_true());
        json_object_set_new(params, "timeout_ms", json_integer((json_int_t)p->timeout_ms));
        j.timeout_ms = (int)p->timeout_ms + 5000;
        submit_with_progress(&j, hash_hex);
    }
    return report(o, p, hash_hex, &j);
}

static int send_with_key(const send_opts *o, const keyfile *kf, const keyfile_key *k) {
    send_plan p = {.chain_id = kf->chain_id, .timeout_ms = SEND_TIMEOUT_MS_DEFAULT};
    const char *why = NULL;
    if (addr_parse(o->to, NULL, &p.to_chain, &p.to, &why) != HANSA_OK) {
        fprintf(stderr, "hansa send: --to %s: %s\n", o->to, why);
        return CLI_USAGE;
    }
    uint64_t xfer_s = 600;
    if ((o->denom || o->xfer_timeout) && p.to_chain == p.chain_id) {
        fprintf(stderr, "hansa send: --denom and --xfer-timeout-s are for an address of another chain\n");
        return CLI_USAGE;
    }
    if (o->denom && pkt_denom_parse(o->denom, &p.denom, &why) != HANSA_OK) {
        fprintf(stderr, "hansa send: --denom %s: %s\n", o->denom, why);
        return CLI_USAGE;
    }
    if (o->xfer_timeout && (!opt_u64("--xfer-timeout-s", o->xfer_timeout, &xfer_s) || xfer_s == 0 ||
                            xfer_s > 365 * 24 * 3600)) {
        fprintf(stderr, "hansa send: --xfer-timeout-s must be 1 s to a year\n");
        return CLI_USAGE;
    }
    /* The destination's BFT time follows the wall clock (docs/consensus.md). */
    p.xfer_timeout_ms = clock_wall_ms(&hansa_clock_system) + xfer_s * 1000;
    if (!opt_u64("--amount", o->amount, &p.amount) || (o->fee && !opt_u64("--fee", o->fee, &p.fee)) ||
        (o->nonce && !opt_u64("--nonce", o->nonce, &p.nonce)) ||
        (o->timeout && !opt_u64("--timeout-ms", o->timeout, &p.timeout_ms)))
        return CLI_USAGE;
    if (p.timeout_ms == 0 || p.timeout_ms > SEND_TIMEOUT_MS_MAX) {
        fprintf(stderr, "hansa send: --timeout-ms must be 1..%d\n", SEND_TIMEOUT_MS_MAX);
        return CLI_USAGE;
    }
    char addr[CLI_ADDR_MAX];
    cli_node_addr(&o->c, addr);
    bool offline = o->dry_run && o->fee && o->nonce;
    int rc = offline ? CLI_OK : plan_from_node(o, kf, k, addr, &p);
    if (rc != CLI_OK) return rc;
    hbuf tx = HBUF_INIT;
    hansa_hash hash;
    build_tx(k, &p, &tx, &hash);
    if (o->receipt && !o->dry_run) rc = cli_send_receipt(addr, tx.data, tx.len, o->c.json);
    else rc = submit(o, addr, &p, &tx, &hash);
    hbuf_free(&tx);
    return rc;
}

int cmd_send(int argc, char **argv) {
    send_opts o = {0};
    if (!parse_args(&o, argc, argv)) return usage();
    crypto_init();
    char path[CLI_PATH_MAX], why[KEYFILE_WHY_MAX];
    cli_keys_path(&o.c, path);
    keyfile kf;
    int rc = CLI_USAGE;
    if (keyfile_load(path, &kf, why) != HANSA_OK) {
        fprintf(stderr, "hansa send: %s\n", why);
    } else {
        const keyfile_key *k = keyfile_find(&kf, o.from);
        if (k) rc = send_with_key(&o, &kf, k);
        else
            fprintf(stderr, "hansa send: no key named %s in %s (`hansa key list --keys %s` shows "
                            "the names)\n", o.from, path, path);
    }
    keyfile_free(&kf);
    return rc;
}
