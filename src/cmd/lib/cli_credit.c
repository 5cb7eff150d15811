/* cli_credit.c — the credit commands of `hansa`: tallies, chits and invoices
 * (docs/credit.md; docs/cli.md "Credit").
 *
 *   hansa tally offer   --from NAME --with NAME|PUBKEY[@CHAIN] --as stock|foil
 *                       [--foil-limit N] [--stock-limit N] [--call-days D] [--id HEX]
 *   hansa tally counter --from NAME --id ID [--foil-limit N] [--stock-limit N] [--call-days D]
 *   hansa tally accept|refuse|close --from NAME --id ID
 *   hansa tally trade   --from NAME --id ID [--target N] [--bound N] [--reward PPM] [--clutch PPM]
 *   hansa tally show    --id ID            hansa tally list --address ADDR | --from NAME
 *   hansa tally sync    --from NAME --id ID --peer NODE   (a cross-chain tally: send its half's messages)
 *   hansa chit pay      --from NAME --id TALLY --amount N [--memo TEXT]
 *   hansa chit list     --id TALLY
 *   hansa invoice create --from NAME --id TALLY --amount N [--item TEXT=N].. [--hint TEXT]..
 *   hansa invoice show  --id INVOICE [--qr]
 *   hansa invoice pay|refuse --from NAME --id INVOICE
 *   hansa lift pay      --from NAME --route TALLY[,TALLY].. --amount N [--circular]
 *                       [--expiry-s S] [--id HEX]
 *   hansa lift show     --id LIFT      hansa lift list [--tally TALLY]
 *   hansa lift cross    --from NAME --referee NODE --amount N --seg NODE=TALLY[,TALLY].. (2-4x)
 *                       [--expiry-s S] [--id HEX]
 *   hansa lift promise  --from NAME --xlift HEX      (on a segment's chain)
 *   hansa lift rule     --from NAME --xlift HEX --to CHAIN   (on the referee chain)
 *   hansa lift xshow    --id LIFT | --xlift HEX
 *   hansa lift agent    --from NAME [--max-hops N]   (clears cycles of debt around --from)
 *
 * Amounts are milli-CHIPs. Every signature (the contract, a chit, trading
 * variables, the transaction) is made here with the party's own key, which
 * never leaves this process; the node gives the chain id, fee and nonce and
 * takes the signed transaction through submit_tx. New ids (tally, chit,
 * invoice) are 16 random bytes. */
#include <qrencode.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/hex.h"
#include "cmd/lib/cli.h"
#include "credit/clearing.h"
#include "credit/lift.h"
#include "credit/tally.h"
#include "credit/xlift.h"
#include "credit/xmsg.h"
#include "crypto/address.h"
#include "crypto/sign.h"
#include "interchain/packet.h"
#include "ledger/tx.h"
#include "ledger/xtally.h"
#include "node/keyfile.h"
#include "wire/codec.h"

#define OPT_MAX 8

typedef struct {
    cli_common c;
    const char *cmd;
    const char *from, *with, *as, *id, *amount, *memo, *address, *fee, *nonce, *peer;
    const char *foil_limit, *stock_limit, *call_days;
    const char *target, *bound, *reward, *clutch;
    const char *route, *expiry_s, *tally, *referee, *xlift, *to, *max_hops;
    const char *items[OPT_MAX], *hints[OPT_MAX], *segs[CREDIT_XLIFT_SEGS_MAX];
    int n_items, n_hints, n_segs;
    bool no_wait, qr, circular, quiet;
} copts;

static bool parse(copts *o, int argc, char **argv, int first) {
    for (int i = first; i < argc; i++) {
        if (cli_common_opt(&o->c, argc, argv, &i)) continue;
        const char *a = argv[i];
        bool has = i + 1 < argc;
        const char **slot = NULL;
        if (strcmp(a, "--no-wait") == 0) o->no_wait = true;
        else if (strcmp(a, "--qr") == 0) o->qr = true;
        else if (strcmp(a, "--circular") == 0) o->circular = true;
        else if (strcmp(a, "--item") == 0 && has && o->n_items < OPT_MAX) o->items[o->n_items++] = argv[++i];
        else if (strcmp(a, "--hint") == 0 && has && o->n_hints < OPT_MAX) o->hints[o->n_hints++] = argv[++i];
        else if (strcmp(a, "--seg") == 0 && has && o->n_segs < CREDIT_XLIFT_SEGS_MAX) o->segs[o->n_segs++] = argv[++i];
        else {
            static const struct { const char *name; size_t off; } opts[] = {
                {"--from", offsetof(copts, from)}, {"--with", offsetof(copts, with)},
                {"--as", offsetof(copts, as)}, {"--id", offsetof(copts, id)},
                {"--amount", offsetof(copts, amount)}, {"--memo", offsetof(copts, memo)},
                {"--address", offsetof(copts, address)}, {"--fee", offsetof(copts, fee)},
                {"--nonce", offsetof(copts, nonce)},
                {"--foil-limit", offsetof(copts, foil_limit)},
                {"--stock-limit", offsetof(copts, stock_limit)},
                {"--call-days", offsetof(copts, call_days)}, {"--target", offsetof(copts, target)},
                {"--bound", offsetof(copts, bound)}, {"--reward", offsetof(copts, reward)},
                {"--clutch", offsetof(copts, clutch)}, {"--peer", offsetof(copts, peer)},
                {"--route", offsetof(copts, route)},
                {"--expiry-s", offsetof(copts, expiry_s)}, {"--tally", offsetof(copts, tally)},
                {"--referee", offsetof(copts, referee)}, {"--xlift", offsetof(copts, xlift)},
                {"--to", offsetof(copts, to)}, {"--max-hops", offsetof(copts, max_hops)},
            };
            for (size_t k = 0; k < sizeof opts / sizeof opts[0]; k++)
                if (strcmp(a, opts[k].name) == 0) slot = (const char **)((char *)o + opts[k].off);
            if (slot == NULL || !has) {
                fprintf(stderr, "hansa %s: unknown option or missing value: %s\n", o->cmd, a);
                return false;
            }
            *slot = argv[++i];
        }
    }
    return true;
}

static bool need(const copts *o, const char *v, const char *name) {
    if (v) return true;
    fprintf(stderr, "hansa %s: %s is required (docs/cli.md, \"Credit\")\n", o->cmd, name);
    return false;
}

static bool num(const copts *o, const char *name, const char *text, uint64_t max, uint64_t *out) {
    if (cli_parse_u64(text, out) && *out <= max) return true;
    fprintf(stderr, "hansa %s: %s %s: must be a whole number of at most %llu\n", o->cmd, name, text,
            (unsigned long long)max);
    return false;
}

static bool ppm(const copts *o, const char *name, const char *text, int32_t *out) {
    char *end;
    long v = text ? strtol(text, &end, 10) : 0;
    if (text && (*text == '\0' || *end != '\0' || v < -CREDIT_PPM_ONE || v > CREDIT_PPM_ONE)) {
        fprintf(stderr, "hansa %s: %s %s: parts per million in [-1000000, 1000000]\n", o->cmd, name, text);
        return false;
    }
    *out = (int32_t)v;
    return true;
}

static bool parse_id(const copts *o, const char *text, credit_id *out) {
    size_t n = 0;
    if (text && hex_decode(text, strlen(text), out->b, CREDIT_ID_BYTES, &n, NULL) == HANSA_OK &&
        n == CREDIT_ID_BYTES)
        return true;
    fprintf(stderr, "hansa %s: --id %s: must be %d hex digits\n", o->cmd, text ? text : "",
            2 * CREDIT_ID_BYTES);
    return false;
}

static void new_id(credit_id *out) { crypto_random(out->b, CREDIT_ID_BYTES); }

/* ---- the node ---------------------------------------------------------------- */

typedef struct {
    char addr[CLI_ADDR_MAX];
    keyfile kf;
    const keyfile_key *k;
    bool have_keys;
} ctx;

static int ctx_open(const copts *o, ctx *x, bool with_key) {
    crypto_init();
    memset(x, 0, sizeof *x);
    cli_node_addr(&o->c, x->addr);
    if (!with_key) return CLI_OK;
    if (!need(o, o->from, "--from")) return CLI_USAGE;
    char path[CLI_PATH_MAX], why[KEYFILE_WHY_MAX];
    cli_keys_path(&o->c, path);
    if (keyfile_load(path, &x->kf, why) != HANSA_OK) {
        fprintf(stderr, "hansa %s: %s\n", o->cmd, why);
        return CLI_USAGE;
    }
    x->have_keys = true;
    x->k = keyfile_find(&x->kf, o->from);
    if (x->k) return CLI_OK;
    fprintf(stderr, "hansa %s: no key named %s in %s\n", o->cmd, o->from, path);
    return CLI_USAGE;
}

static void ctx_close(ctx *x) {
    if (x->have_keys) keyfile_free(&x->kf);
}

/* Signs kind/body with the --from key, submits, waits unless --no-wait. */
static int submit(const copts *o, const ctx *x, tx_kind kind, const hbuf *body, const char *done) {
    int rc = CLI_OK;
    json_t *st = cli_call(o->cmd, x->addr, "status", NULL, CLI_CALL_TIMEOUT_MS, &rc);
    if (!st) return rc;
    uint64_t fee = cli_u64(st, "min_fee");
    json_decref(st);
    if (o->fee && !num(o, "--fee", o->fee, UINT64_MAX, &fee)) return CLI_USAGE;
    char from[ADDR_TEXT_MAX];
    keyfile_address(&x->kf, x->k, from);
    json_t *acct = cli_call(o->cmd, x->addr, "account", json_pack("{s:s}", "address", from),
                            CLI_CALL_TIMEOUT_MS, &rc);
    if (!acct) return rc;
    uint64_t nonce = cli_u64(acct, "nonce");
    json_decref(acct);
    /* --nonce lets a burst of transactions go out before any commits */
    if (o->nonce && !num(o, "--nonce", o->nonce, UINT64_MAX, &nonce)) return CLI_USAGE;
    wire_tx tx = {.chain_id = x->kf.chain_id, .sender = x->k->kp.pub, .nonce = nonce, .fee = fee,
                  .kind = (uint16_t)kind, .body = body->data, .body_len = (uint32_t)body->len};
    int timeout;
    json_t *params = cli_submit_params(&tx, &x->k->kp, o->no_wait, &timeout);
    json_t *r = cli_call(o->cmd, x->addr, "submit_tx", params, timeout, &rc);
    if (!r) return rc;
    if (o->quiet) {
        /* the caller reports (the agent's summary) */
    } else if (o->c.json) {
        json_object_set_new(r, "done", json_string(done));
        cli_print_json(r);
    } else {
        printf("%s\n  tx %s%s\n", done, cli_str(r, "hash"), o->no_wait ? " (submitted)" : " (committed)");
    }
    json_decref(r);
    return CLI_OK;
}

/* The tally's JSON from the node, or NULL (message printed, *rc set). */
static json_t *fetch(const copts *o, const ctx *x, const char *method, const char *param,
                     const char *id, int *rc) {
    return cli_call(o->cmd, x->addr, method, json_pack("{s:s}", param, id), CLI_CALL_TIMEOUT_MS, rc);
}

/* A tally message: on one chain the transaction kind/body; across chains
 * (the parties' chain ids differ) the same message m as a tally packet to
 * the other party's chain (docs/credit.md "Cross-chain tallies"), which
 * must be credited by the destination's time in a day. */

static int send_packet(const copts *o, const ctx *x, uint32_t dest, const credit_xmsg *m, const char *done) {
    hbuf pay = HBUF_INIT, body = HBUF_INIT;
    credit_xmsg_encode(&pay, m);
    int rc = CLI_FAILED;
    if (pay.len > PKT_PAYLOAD_MAX) {
        fprintf(stderr, "hansa %s: the message is %zu bytes, over a packet's %d\n", o->cmd, pay.len, PKT_PAYLOAD_MAX);
    } else {
        /* The destination's BFT time follows the wall clock (docs/consensus.md). */
        pkt_send ps = {dest, clock_wall_ms(&hansa_clock_system) + XTALLY_TIMEOUT_MS, PKT_TYPE_TALLY,
                       (uint16_t)pay.len, pay.data};
        pkt_send_encode(&body, &ps);
        rc = submit(o, x, TX_PACKET_SEND, &body, done);
    }
    hbuf_free(&pay);
    hbuf_free(&body);
    return rc;
}

static int submit_msg(const copts *o, const ctx *x, const credit_contract *c, tx_kind kind,
                      const hbuf *body, credit_xmsg *m, const char *done) {
    if (c->stock.chain_id == c->foil.chain_id) return submit(o, x, kind, body, done);
    m->from = (uint8_t)credit_contract_side_of(c, &x->k->kp.pub);
    credit_side other = credit_side_other((credit_side)m->from);
    uint32_t dest = other == CREDIT_STOCK ? c->stock.chain_id : c->foil.chain_id;
    char msg[192];
    snprintf(msg, sizeof msg, "%s (a tally packet to chain %x)", done, dest);
    return send_packet(o, x, dest, m, msg);
}

/* Rebuilds a contract from the tally JSON of rpc/credit_api.c. */
static bool contract_of(const json_t *t, credit_contract *c) {
    memset(c, 0, sizeof *c);
    const json_t *st = json_object_get(t, "stock"), *fo = json_object_get(t, "foil");
    const json_t *sg = json_object_get(t, "stock_grants"), *fg = json_object_get(t, "foil_grants");
    c->stock.chain_id = (uint32_t)cli_u64(st, "chain_id");
    c->foil.chain_id = (uint32_t)cli_u64(fo, "chain_id");
    c->stock_grants = (credit_terms){cli_u64(sg, "limit"), (uint32_t)cli_u64(sg, "call_days")};
    c->foil_grants = (credit_terms){cli_u64(fg, "limit"), (uint32_t)cli_u64(fg, "call_days")};
    c->revision = (uint32_t)cli_u64(t, "revision");
    return cli_hex_fixed(t, "tally_id", c->tally_id.b, CREDIT_ID_BYTES) &&
           cli_hex_fixed(st, "key", c->stock.key.b, HANSA_PUBKEY_BYTES) &&
           cli_hex_fixed(fo, "key", c->foil.key.b, HANSA_PUBKEY_BYTES);
}

/* Rebuilds the contract of tally `id` as the node at x->addr holds it.
 * Returns CLI_OK; the call's exit code (CLI_FAILED or CLI_UNREACHABLE,
 * message printed) when the node does not give the tally; or `unreadable`
 * when its answer is not a tally's JSON (each caller says what that means
 * for its command's exit code). */
static int fetch_contract(const copts *o, const ctx *x, const char *id, credit_contract *c, int unreadable) {
    int rc = CLI_OK;
    json_t *t = fetch(o, x, "tally", "id", id, &rc);
    if (!t) return rc;
    bool ok = contract_of(t, c);
    json_decref(t);
    return ok ? CLI_OK : unreadable;
}

static credit_side my_side(const copts *o, const ctx *x, const credit_contract *c) {
    credit_side s = credit_contract_side_of(c, &x->k->kp.pub);
    if (s == 0) fprintf(stderr, "hansa %s: %s is not a party to this tally\n", o->cmd, o->from);
    return s;
}

/* ---- tally ------------------------------------------------------------------------ */

/* Applies --foil-limit, --stock-limit, --call-days to c. */
static bool terms(const copts *o, credit_contract *c) {
    uint64_t v;
    if (o->foil_limit) {
        if (!num(o, "--foil-limit", o->foil_limit, CREDIT_AMOUNT_MAX, &v)) return false;
        c->stock_grants.limit = v;
    }
    if (o->stock_limit) {
        if (!num(o, "--stock-limit", o->stock_limit, CREDIT_AMOUNT_MAX, &v)) return false;
        c->foil_grants.limit = v;
    }
    if (o->call_days) {
        if (!num(o, "--call-days", o->call_days, CREDIT_CALL_DAYS_MAX, &v)) return false;
        c->stock_grants.call_days = c->foil_grants.call_days = (uint32_t)v;
    }
    return true;
}

/* --with NAME|PUBKEY[@CHAIN]: the other party's key and chain (this
 * chain unless @CHAIN names another, in the chain id form of `hansa key
 * show`). */
static bool partner_key(const copts *o, const ctx *x, hansa_pubkey *out, uint32_t *chain) {
    char who[160];
    snprintf(who, sizeof who, "%s", o->with ? o->with : "");
    char *at = strchr(who, '@');
    const char *cwhy = "";
    *chain = x->kf.chain_id;
    if (at != NULL) {
        *at = '\0';
        if (chain_id_parse(at + 1, chain, &cwhy) != HANSA_OK) {
            fprintf(stderr, "hansa %s: --with ...@%s: %s\n", o->cmd, at + 1, cwhy);
            return false;
        }
    }
    const keyfile_key *k = o->with ? keyfile_find(&x->kf, who) : NULL;
    if (k) {
        *out = k->kp.pub;
        return true;
    }
    size_t n = 0;
    if (o->with && hex_decode(who, strlen(who), out->b, HANSA_PUBKEY_BYTES, &n, NULL) == HANSA_OK &&
        n == HANSA_PUBKEY_BYTES)
        return true;
    fprintf(stderr, "hansa %s: --with: a key name in the key file or a 64-hex-digit public key "
                    "(`hansa key show` prints it), then @CHAIN for a party on another chain\n", o->cmd);
    return false;
}

static int offer_signed(const copts *o, const ctx *x, tx_kind kind, const credit_contract *c,
                        const char *done) {
    credit_xmsg m = {.kind = kind == TX_TALLY_OFFER ? CREDIT_XMSG_OFFER : CREDIT_XMSG_COUNTER, .contract = *c};
    credit_contract_sign(c, &x->k->kp, &m.sig);
    hbuf b = HBUF_INIT;
    credit_contract_encode(&b, c);
    hbuf_append(&b, m.sig.b, HANSA_SIG_BYTES);
    char msg[160], hex[2 * CREDIT_ID_BYTES + 1];
    hex_encode(c->tally_id.b, CREDIT_ID_BYTES, hex);
    snprintf(msg, sizeof msg, "%s tally %s (revision %u)", done, hex, c->revision);
    int rc = submit_msg(o, x, c, kind, &b, &m, msg);
    hbuf_free(&b);
    return rc;
}

static int tally_offer(const copts *o, ctx *x) {
    credit_contract c;
    memset(&c, 0, sizeof c);
    hansa_pubkey partner;
    uint32_t partner_chain;
    if (!need(o, o->as, "--as stock|foil") || !partner_key(o, x, &partner, &partner_chain)) return CLI_USAGE;
    bool stock = strcmp(o->as, "stock") == 0;
    if (!stock && strcmp(o->as, "foil") != 0) {
        fprintf(stderr, "hansa %s: --as is stock (you are owed: the vendor) or foil (the client)\n", o->cmd);
        return CLI_USAGE;
    }
    if (o->id ? !parse_id(o, o->id, &c.tally_id) : (new_id(&c.tally_id), false)) return CLI_USAGE;
    c.stock = stock ? (credit_party){x->kf.chain_id, x->k->kp.pub} : (credit_party){partner_chain, partner};
    c.foil = stock ? (credit_party){partner_chain, partner} : (credit_party){x->kf.chain_id, x->k->kp.pub};
    c.revision = 1;
    if (!terms(o, &c)) return CLI_USAGE;
    if (o->id) { /* a re-offer of a refused tally raises its revision */
        int rc = CLI_OK;
        json_t *t = cli_call_ex(o->cmd, x->addr, "tally", json_pack("{s:s}", "id", o->id),
                                CLI_CALL_TIMEOUT_MS, &rc, NULL, NULL);
        if (t) c.revision = (uint32_t)cli_u64(t, "revision") + 1;
        json_decref(t);
    }
    return offer_signed(o, x, TX_TALLY_OFFER, &c, "offered");
}

static int tally_counter(const copts *o, ctx *x) {
    credit_contract c;
    int rc = fetch_contract(o, x, o->id, &c, CLI_USAGE);
    if (rc != CLI_OK) return rc;
    if (!terms(o, &c)) return CLI_USAGE;
    c.revision++;
    return offer_signed(o, x, TX_TALLY_COUNTER, &c, "countered");
}

static int tally_answer(const copts *o, ctx *x, tx_kind kind) {
    credit_contract c;
    int rc = fetch_contract(o, x, o->id, &c, CLI_FAILED);
    if (rc != CLI_OK) return rc;
    if (my_side(o, x, &c) == 0) return CLI_USAGE;
    hbuf b = HBUF_INIT;
    hbuf_append(&b, c.tally_id.b, CREDIT_ID_BYTES);
    const char *done = "closing requested on";
    credit_xmsg m = {.kind = CREDIT_XMSG_CLOSE, .id = c.tally_id};
    if (kind != TX_TALLY_CLOSE) {
        hbuf_put_u32(&b, c.revision);
        m.revision = c.revision;
        m.kind = CREDIT_XMSG_REFUSE;
    }
    if (kind == TX_TALLY_ACCEPT) {
        credit_contract_sign(&c, &x->k->kp, &m.sig);
        hbuf_append(&b, m.sig.b, HANSA_SIG_BYTES);
        m.kind = CREDIT_XMSG_ACCEPT;
        done = "accepted";
    } else if (kind == TX_TALLY_REFUSE) {
        done = "refused";
    }
    char msg[128];
    snprintf(msg, sizeof msg, "%s tally %s", done, o->id);
    rc = submit_msg(o, x, &c, kind, &b, &m, msg);
    hbuf_free(&b);
    return rc;
}

static int tally_trade(const copts *o, ctx *x) {
    int rc = CLI_OK;
    json_t *t = fetch(o, x, "tally", "id", o->id, &rc);
    if (!t) return rc;
    credit_contract c;
    bool ok = contract_of(t, &c);
    credit_side side = ok ? my_side(o, x, &c) : 0;
    credit_trade_signed ts;
    memset(&ts, 0, sizeof ts);
    if (side != 0) {
        const json_t *cur = json_object_get(t, side == CREDIT_STOCK ? "stock_trade" : "foil_trade");
        ts.seq = (uint32_t)cli_u64(cur, "seq") + 1;
        ts.tv = (credit_trade){cli_u64(cur, "target"), cli_u64(cur, "bound"),
                               (int32_t)json_integer_value(json_object_get(cur, "reward_ppm")),
                               (int32_t)json_integer_value(json_object_get(cur, "clutch_ppm"))};
    }
    json_decref(t);
    if (side == 0) return CLI_USAGE;
    ts.tally_id = c.tally_id;
    ts.side = (uint8_t)side;
    if ((o->target && !num(o, "--target", o->target, CREDIT_AMOUNT_MAX, &ts.tv.target)) ||
        (o->bound && !num(o, "--bound", o->bound, CREDIT_AMOUNT_MAX, &ts.tv.bound)) ||
        (o->reward && !ppm(o, "--reward", o->reward, &ts.tv.reward_ppm)) ||
        (o->clutch && !ppm(o, "--clutch", o->clutch, &ts.tv.clutch_ppm)))
        return CLI_USAGE;
    char why[128];
    if (credit_trade_check(&ts.tv, why, sizeof why) != HANSA_OK) {
        fprintf(stderr, "hansa %s: %s\n", o->cmd, why);
        return CLI_USAGE;
    }
    credit_trade_sign(&ts, &x->k->kp);
    hbuf b = HBUF_INIT;
    credit_trade_signed_encode(&b, &ts);
    credit_xmsg m = {.kind = CREDIT_XMSG_TRADE, .trade = ts};
    rc = submit_msg(o, x, &c, TX_TALLY_TRADE, &b, &m, "trading variables signed");
    hbuf_free(&b);
    return rc;
}

static void print_tally(const json_t *t) {
    const json_t *st = json_object_get(t, "stock"), *fo = json_object_get(t, "foil");
    printf("tally %s  %s (revision %llu)\n", cli_str(t, "tally_id"), cli_str(t, "state"),
           (unsigned long long)cli_u64(t, "revision"));
    printf("  stock   %s\n  foil    %s\n", cli_str(st, "address"), cli_str(fo, "address"));
    printf("  balance %s milli-CHIPs (positive: the foil owes the stock)\n", cli_str(t, "balance"));
    printf("  limits  foil may owe %llu, stock may owe %llu\n",
           (unsigned long long)cli_u64(json_object_get(t, "stock_grants"), "limit"),
           (unsigned long long)cli_u64(json_object_get(t, "foil_grants"), "limit"));
    const json_t *h = json_object_get(t, "foil_half");
    printf("  chits   %llu, chain end %s\n", (unsigned long long)cli_u64(h, "chits"),
           cli_str(h, "end_hash"));
}

/* `show` of a record by --id: the node's `method` answer, printed as JSON
 * with --json, else by print. Returns the call's exit code. */
static int show_by_id(const copts *o, const ctx *x, const char *method, void (*print)(const json_t *)) {
    int rc = CLI_OK;
    json_t *j = fetch(o, x, method, "id", o->id, &rc);
    if (!j) return rc;
    if (o->c.json) cli_print_json(j);
    else print(j);
    json_decref(j);
    return CLI_OK;
}

static int tally_show(const copts *o, ctx *x) { return show_by_id(o, x, "tally", print_tally); }

static int tally_list(const copts *o, ctx *x) {
    char addr[ADDR_TEXT_MAX];
    if (o->address) snprintf(addr, sizeof addr, "%s", o->address);
    else if (x->k) keyfile_address(&x->kf, x->k, addr);
    else return need(o, NULL, "--address ADDR or --from NAME") ? CLI_OK : CLI_USAGE;
    int rc = CLI_OK;
    json_t *r = fetch(o, x, "tallies", "address", addr, &rc);
    if (!r) return rc;
    if (o->c.json) {
        cli_print_json(r);
    } else {
        const json_t *list = json_object_get(r, "tallies");
        printf("%zu tallies of %s\n", json_array_size(list), addr);
        for (size_t i = 0; i < json_array_size(list); i++) print_tally(json_array_get(list, i));
    }
    json_decref(r);
    return CLI_OK;
}

/* ---- chits ---------------------------------------------------------------------- */

static int chit_submit(const copts *o, ctx *x, const credit_contract *c, credit_chit *chit,
                       tx_kind kind) {
    credit_side side = my_side(o, x, c);
    if (side == 0) return CLI_USAGE;
    new_id(&chit->chit_id);
    chit->tally_id = c->tally_id;
    chit->by = (uint8_t)side;
    credit_chit_sign(chit, &x->k->kp);
    hbuf b = HBUF_INIT;
    credit_chit_encode(&b, chit);
    char msg[160], hex[2 * CREDIT_ID_BYTES + 1];
    hex_encode(chit->chit_id.b, CREDIT_ID_BYTES, hex);
    snprintf(msg, sizeof msg, "chit %s: %s pays %llu milli-CHIPs", hex, credit_side_name(side),
             (unsigned long long)chit->amount);
    int rc = submit(o, x, kind, &b, msg);
    hbuf_free(&b);
    return rc;
}

static int chit_pay(const copts *o, ctx *x) {
    credit_chit chit;
    memset(&chit, 0, sizeof chit);
    if (!need(o, o->amount, "--amount") || !num(o, "--amount", o->amount, CREDIT_AMOUNT_MAX, &chit.amount))
        return CLI_USAGE;
    if (o->memo) {
        size_t n = strlen(o->memo);
        if (n > CREDIT_MEMO_MAX) {
            fprintf(stderr, "hansa %s: --memo is over %d bytes\n", o->cmd, CREDIT_MEMO_MAX);
            return CLI_USAGE;
        }
        memcpy(chit.memo, o->memo, n);
        chit.memo_len = (uint16_t)n;
    }
    chit.kind = CREDIT_CHIT_DIRECT;
    credit_contract c;
    int rc = fetch_contract(o, x, o->id, &c, CLI_FAILED);
    return rc == CLI_OK ? chit_submit(o, x, &c, &chit, TX_CHIT) : rc;
}

static int chit_list(const copts *o, ctx *x) {
    int rc = CLI_OK;
    json_t *r = fetch(o, x, "chits", "tally", o->id, &rc);
    if (!r) return rc;
    if (o->c.json) {
        cli_print_json(r);
    } else {
        const json_t *list = json_object_get(r, "chits");
        printf("tally %s: %llu chits\n", o->id, (unsigned long long)cli_u64(r, "length"));
        for (size_t i = 0; i < json_array_size(list); i++) {
            const json_t *e = json_array_get(list, i), *ch = json_object_get(e, "chit");
            printf("  %4llu  %-5s %-7s %12s  %s  %s\n", (unsigned long long)cli_u64(e, "index"),
                   cli_str(ch, "by"), cli_str(ch, "kind"), cli_str(ch, "amount"),
                   cli_str(ch, "chit_id"), cli_str(ch, "memo"));
        }
    }
    json_decref(r);
    return CLI_OK;
}

/* ---- invoices ------------------------------------------------------------------------ */

static bool text_field(const copts *o, const char *what, const char *s, size_t n, size_t max,
                       char *out, uint16_t *len) {
    if (n > max) {
        fprintf(stderr, "hansa %s: %s \"%s\" is over %zu bytes\n", o->cmd, what, s, max);
        return false;
    }
    for (size_t i = 0; i < n; i++)
        if (s[i] < 0x20 || s[i] > 0x7e) {
            fprintf(stderr, "hansa %s: %s \"%s\": printable ASCII only\n", o->cmd, what, s);
            return false;
        }
    memcpy(out, s, n);
    *len = (uint16_t)n;
    return true;
}

static int invoice_create(const copts *o, ctx *x) {
    credit_invoice inv;
    memset(&inv, 0, sizeof inv);
    if (!need(o, o->amount, "--amount") || !num(o, "--amount", o->amount, CREDIT_AMOUNT_MAX, &inv.amount))
        return CLI_USAGE;
    if (o->n_items > CREDIT_ITEMS_MAX || o->n_hints > CREDIT_HINTS_MAX) {
        fprintf(stderr, "hansa %s: at most %d items and %d hints\n", o->cmd, CREDIT_ITEMS_MAX,
                CREDIT_HINTS_MAX);
        return CLI_USAGE;
    }
    for (int i = 0; i < o->n_items; i++) {
        const char *eq = strrchr(o->items[i], '=');
        credit_item *it = &inv.items[i];
        if (!eq || !text_field(o, "--item", o->items[i], (size_t)(eq - o->items[i]),
                               CREDIT_ITEM_TEXT_MAX, it->text, &it->len) ||
            !num(o, "--item amount", eq + 1, CREDIT_AMOUNT_MAX, &it->amount)) {
            fprintf(stderr, "hansa %s: --item is TEXT=AMOUNT\n", o->cmd);
            return CLI_USAGE;
        }
    }
    inv.n_items = (uint8_t)o->n_items;
    for (int i = 0; i < o->n_hints; i++)
        if (!text_field(o, "--hint", o->hints[i], strlen(o->hints[i]), CREDIT_HINT_TEXT_MAX,
                        inv.hints[i].text, &inv.hints[i].len))
            return CLI_USAGE;
    inv.n_hints = (uint8_t)o->n_hints;
    credit_contract c;
    int rc = fetch_contract(o, x, o->id, &c, CLI_FAILED);
    if (rc != CLI_OK) return rc;
    credit_side side = my_side(o, x, &c);
    if (side == 0) return CLI_USAGE;
    new_id(&inv.invoice_id);
    inv.tally_id = c.tally_id;
    inv.payee = (uint8_t)side;
    hbuf b = HBUF_INIT;
    credit_invoice_encode(&b, &inv);
    char msg[128], hex[2 * CREDIT_ID_BYTES + 1];
    hex_encode(inv.invoice_id.b, CREDIT_ID_BYTES, hex);
    snprintf(msg, sizeof msg, "invoice %s for %llu milli-CHIPs", hex, (unsigned long long)inv.amount);
    credit_xmsg m = {.kind = CREDIT_XMSG_INVOICE, .invoice = inv};
    rc = submit_msg(o, x, &c, TX_INVOICE_CREATE, &b, &m, msg);
    hbuf_free(&b);
    return rc;
}

/* Draws the QR code of text with two modules per character cell (upper
 * and lower half blocks), with the quiet zone the standard asks for. */
static int print_qr(const char *text) {
    QRcode *q = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
    if (!q) {
        fprintf(stderr, "hansa invoice show: the QR code could not be made\n");
        return CLI_FAILED;
    }
    int w = q->width, quiet = 2;
    for (int y = -quiet; y < w + quiet; y += 2) {
        for (int xx = -quiet; xx < w + quiet; xx++) {
            bool top = y >= 0 && y < w && xx >= 0 && xx < w && (q->data[y * w + xx] & 1);
            bool bot = y + 1 >= 0 && y + 1 < w && xx >= 0 && xx < w && (q->data[(y + 1) * w + xx] & 1);
            /* dark modules print as spaces on a light background */
            fputs(top && bot ? " " : top ? "\u2584" : bot ? "\u2580" : "\u2588", stdout);
        }
        putchar('\n');
    }
    QRcode_free(q);
    return CLI_OK;
}

static int invoice_show(const copts *o, ctx *x) {
    int rc = CLI_OK;
    json_t *inv = fetch(o, x, "invoice", "id", o->id, &rc);
    if (!inv) return rc;
    /* What a payer's wallet scans: enough to fetch and check the invoice. */
    char uri[512];
    snprintf(uri, sizeof uri, "hansa:invoice?id=%s&payee=%s&amount=%s&node=%s", cli_str(inv, "invoice_id"),
             cli_str(inv, "payee"), cli_str(inv, "amount"), x->addr);
    json_object_set_new(inv, "uri", json_string(uri));
    if (o->c.json) {
        cli_print_json(inv);
    } else {
        printf("invoice %s  %s\n  payee   %s\n  payer   %s\n  amount  %s milli-CHIPs\n",
               cli_str(inv, "invoice_id"), cli_str(inv, "state"), cli_str(inv, "payee"),
               cli_str(inv, "payer"), cli_str(inv, "amount"));
        const json_t *items = json_object_get(inv, "items");
        for (size_t i = 0; i < json_array_size(items); i++)
            printf("    %-40s %s\n", cli_str(json_array_get(items, i), "text"),
                   cli_str(json_array_get(items, i), "amount"));
        printf("  %s\n", uri);
    }
    if (o->qr) rc = print_qr(uri);
    json_decref(inv);
    return rc;
}

static int invoice_pay(const copts *o, ctx *x) {
    int rc = CLI_OK;
    json_t *inv = fetch(o, x, "invoice", "id", o->id, &rc);
    if (!inv) return rc;
    credit_chit chit;
    memset(&chit, 0, sizeof chit);
    chit.kind = CREDIT_CHIT_INVOICE;
    chit.amount = cli_u64(inv, "amount");
    bool ok = cli_hex_fixed(inv, "invoice_id", chit.invoice_id.b, CREDIT_ID_BYTES);
    char tally[2 * CREDIT_ID_BYTES + 1];
    snprintf(tally, sizeof tally, "%s", cli_str(inv, "tally_id"));
    json_decref(inv);
    if (!ok) return CLI_FAILED;
    credit_contract c;
    rc = fetch_contract(o, x, tally, &c, CLI_FAILED);
    return rc == CLI_OK ? chit_submit(o, x, &c, &chit, TX_INVOICE_PAY) : rc;
}

static int invoice_refuse(const copts *o, ctx *x) {
    credit_id id;
    if (!parse_id(o, o->id, &id)) return CLI_USAGE;
    int rc = CLI_OK;
    json_t *inv = fetch(o, x, "invoice", "id", o->id, &rc);
    if (!inv) return rc;
    char tally[2 * CREDIT_ID_BYTES + 1];
    snprintf(tally, sizeof tally, "%s", cli_str(inv, "tally_id"));
    json_decref(inv);
    credit_contract c;
    rc = fetch_contract(o, x, tally, &c, CLI_FAILED);
    if (rc != CLI_OK) return rc;
    hbuf b = HBUF_INIT;
    hbuf_append(&b, id.b, CREDIT_ID_BYTES);
    credit_xmsg m = {.kind = CREDIT_XMSG_INV_REFUSE, .id = c.tally_id, .invoice_id = id};
    rc = submit_msg(o, x, &c, TX_INVOICE_REFUSE, &b, &m, "invoice refused");
    hbuf_free(&b);
    return rc;
}

/* ---- cross-chain sync ---------------------------------------------------------------- */

/* hansa tally sync --from NAME --id ID --peer NODE: sends what this chain's
 * half of a cross-chain tally has to tell the other half (rpc tally_outbox)
 * as tally packets from --from (any funded key: the chain checks each
 * message is true of its half). --peer is a node of the other chain, asked
 * how much of the foil's chain its stock confirmed. Prints how many it sent:
 * 0 means this half has nothing to say. A message the chain refuses as no
 * longer true (the half moved on since the outbox was read) is skipped:
 * the next sync sends what is true then. */
static int tally_sync(const copts *o, ctx *x) {
    if (!need(o, o->peer, "--peer (a node of the other party's chain)")) return CLI_USAGE;
    credit_contract c;
    int rc = fetch_contract(o, x, o->id, &c, CLI_FAILED);
    if (rc != CLI_OK) return rc;
    if (c.stock.chain_id == c.foil.chain_id) {
        fprintf(stderr, "hansa %s: the tally is on one chain: nothing to sync\n", o->cmd);
        return CLI_USAGE;
    }
    bool here_stock = c.stock.chain_id == x->kf.chain_id;
    uint32_t dest = here_stock ? c.foil.chain_id : c.stock.chain_id;
    json_t *pt = cli_call(o->cmd, o->peer, "tally", json_pack("{s:s}", "id", o->id), CLI_CALL_TIMEOUT_MS, &rc);
    json_t *params = json_pack("{s:s}", "id", o->id);
    if (pt) json_object_set_new(params, "peer_acked",
                                json_integer((json_int_t)cli_u64(json_object_get(pt, "foil_half"), "acked")));
    json_decref(pt);
    json_t *box = cli_call(o->cmd, x->addr, "tally_outbox", params, CLI_CALL_TIMEOUT_MS, &rc);
    if (!box) return rc;
    const json_t *msgs = json_object_get(box, "messages");
    size_t sent = 0, stale = 0;
    for (size_t i = 0; i < json_array_size(msgs) && rc == CLI_OK; i++) {
        const char *hex = json_string_value(json_array_get(msgs, i));
        uint8_t *raw = malloc(PKT_PAYLOAD_MAX);
        size_t n = 0;
        credit_xmsg *m = malloc(sizeof *m);
        if (hex && hex_decode(hex, strlen(hex), raw, PKT_PAYLOAD_MAX, &n, NULL) == HANSA_OK &&
            credit_xmsg_decode(raw, n, m, NULL) == HANSA_OK) {
            if (send_packet(o, x, dest, m, "sent a chain message") == CLI_OK) sent++;
            else stale++;
        } else {
            fprintf(stderr, "hansa %s: the node's outbox holds a message that does not decode\n", o->cmd);
            rc = CLI_FAILED;
        }
        free(m);
        free(raw);
    }
    json_decref(box);
    if (rc == CLI_OK && !o->c.json)
        printf("%zu chain message(s) sent to chain %x, %zu refused as stale\n", sent, dest, stale);
    return rc;
}

/* ---- lifts ---------------------------------------------------------------------------- */

/* Builds l's route from `route` (tally ids, comma-separated) as the node
 * at y->addr knows the tallies: each tally's other party receives from the
 * one before, starting with `start` on `chain` (docs/credit.md "Lifts"). */
static int route_walk(const copts *o, const ctx *y, const char *route, uint32_t chain,
                      const hansa_pubkey *start, credit_lift *l) {
    char buf[CREDIT_LIFT_HOPS_MAX * (2 * CREDIT_ID_BYTES + 1) + 1];
    if (strlen(route) >= sizeof buf) {
        fprintf(stderr, "hansa %s: --route: at most %d tallies\n", o->cmd, CREDIT_LIFT_HOPS_MAX);
        return CLI_USAGE;
    }
    snprintf(buf, sizeof buf, "%s", route);
    l->parties[0] = (credit_party){chain, *start};
    int rc = CLI_OK;
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (l->n_hops == CREDIT_LIFT_HOPS_MAX) {
            fprintf(stderr, "hansa %s: --route: at most %d tallies\n", o->cmd, CREDIT_LIFT_HOPS_MAX);
            return CLI_USAGE;
        }
        if (!parse_id(o, tok, &l->tallies[l->n_hops])) return CLI_USAGE;
        json_t *t = fetch(o, y, "tally", "id", tok, &rc);
        if (!t) return rc;
        credit_contract c;
        bool ok = contract_of(t, &c);
        json_decref(t);
        credit_side s = ok ? credit_contract_side_of(&c, &l->parties[l->n_hops].key) : 0;
        if (s == 0) {
            fprintf(stderr, "hansa %s: --route: tally %s does not continue the route\n", o->cmd, tok);
            return CLI_USAGE;
        }
        l->parties[l->n_hops + 1] = s == CREDIT_STOCK ? c.foil : c.stock;
        l->n_hops++;
    }
    return CLI_OK;
}

static int lift_route(const copts *o, ctx *x, credit_lift *l) {
    return route_walk(o, x, o->route, x->kf.chain_id, &x->k->kp.pub, l);
}

static int lift_pay(const copts *o, ctx *x) {
    if (!need(o, o->route, "--route") || !need(o, o->amount, "--amount")) return CLI_USAGE;
    credit_lift *l = calloc(1, sizeof *l);
    uint64_t expiry_s = 60;
    int rc = CLI_USAGE;
    if (!num(o, "--amount", o->amount, CREDIT_AMOUNT_MAX, &l->amount) ||
        (o->expiry_s && !num(o, "--expiry-s", o->expiry_s, 86400, &expiry_s)))
        goto out;
    if (o->id ? !parse_id(o, o->id, &l->lift_id) : (new_id(&l->lift_id), false)) goto out;
    rc = lift_route(o, x, l);
    if (rc != CLI_OK) goto out;
    /* On one chain the chain is the referee; the expiry is in its BFT time. */
    json_t *st = cli_call(o->cmd, x->addr, "status", NULL, CLI_CALL_TIMEOUT_MS, &rc);
    if (!st) goto out;
    l->expiry_ms = cli_u64(st, "block_time_ms") + expiry_s * 1000;
    json_decref(st);
    l->kind = o->circular ? CREDIT_LIFT_CIRCULAR : CREDIT_LIFT_LINEAR;
    l->referee_chain = x->kf.chain_id;
    char why[160];
    if (credit_lift_check(l, why, sizeof why) != HANSA_OK) {
        fprintf(stderr, "hansa %s: %s\n", o->cmd, why);
        rc = CLI_USAGE;
        goto out;
    }
    hbuf b = HBUF_INIT;
    credit_lift_encode(&b, l);
    char hex[2 * CREDIT_ID_BYTES + 1], done[64];
    hex_encode(l->lift_id.b, CREDIT_ID_BYTES, hex);
    snprintf(done, sizeof done, "lift %s committed", hex);
    rc = submit(o, x, TX_LIFT, &b, done);
    hbuf_free(&b);
out:
    free(l);
    return rc;
}

static void print_lift(const json_t *j) {
    printf("lift %s  %s %s  %s milli-CHIPs  (height %s)\n", cli_str(j, "lift_id"), cli_str(j, "kind"),
           cli_str(j, "ruling"), cli_str(j, "amount"), cli_str(j, "height"));
    const json_t *route = json_object_get(j, "route");
    for (size_t i = 0; i < json_array_size(route); i++) {
        const json_t *leg = json_array_get(route, i);
        printf("  %s  %s -> %s\n", cli_str(leg, "tally_id"),
               cli_str(json_object_get(leg, "payer"), "address"),
               cli_str(json_object_get(leg, "receiver"), "address"));
    }
}

static int lift_show(const copts *o, ctx *x) { return show_by_id(o, x, "lift", print_lift); }

static int lift_list(const copts *o, ctx *x) {
    int rc = CLI_OK;
    json_t *j = o->tally ? fetch(o, x, "lifts", "tally", o->tally, &rc)
                         : cli_call(o->cmd, x->addr, "lifts", json_object(), CLI_CALL_TIMEOUT_MS, &rc);
    if (!j) return rc;
    if (o->c.json) {
        cli_print_json(j);
    } else {
        const json_t *list = json_object_get(j, "lifts");
        for (size_t i = 0; i < json_array_size(list); i++) print_lift(json_array_get(list, i));
        if (json_array_size(list) == 0) printf("no lifts\n");
    }
    json_decref(j);
    return CLI_OK;
}

/* ---- the clearing agent (credit/clearing.h) ------------------------------------------ */

#define AGENT_PARTIES_MAX 256
#define AGENT_TALLIES_MAX 2048

/* What the agent learned: parties by key, open tallies, and the lift graph. */
typedef struct {
    hansa_pubkey party[AGENT_PARTIES_MAX];
    char addr[AGENT_PARTIES_MAX][ADDR_TEXT_MAX];
    uint32_t n_parties;
    credit_id tally[AGENT_TALLIES_MAX];
    size_t n_tallies;
    clr_edge edge[2 * AGENT_TALLIES_MAX];
    size_t edge_tally[2 * AGENT_TALLIES_MAX], n_edges;
    uint32_t lifts, refused;
} agent;

static uint32_t agent_party(agent *a, const json_t *p) {
    hansa_pubkey k;
    if (!cli_hex_fixed(p, "key", k.b, HANSA_PUBKEY_BYTES)) return UINT32_MAX;
    for (uint32_t i = 0; i < a->n_parties; i++)
        if (pubkey_eq(&a->party[i], &k)) return i;
    if (a->n_parties == AGENT_PARTIES_MAX) return UINT32_MAX;
    a->party[a->n_parties] = k;
    snprintf(a->addr[a->n_parties], ADDR_TEXT_MAX, "%s", cli_str(p, "address"));
    return a->n_parties++;
}

/* One open tally from its JSON: an edge toward each side with what that
 * side takes freely under its own trading variables (credit_lift_edge_cap). */
static void agent_tally(agent *a, const json_t *j) {
    credit_tally *t = calloc(1, sizeof *t);
    uint32_t st = agent_party(a, json_object_get(j, "stock")), fo = agent_party(a, json_object_get(j, "foil"));
    bool seen = false;
    if (contract_of(j, &t->contract))
        for (size_t i = 0; i < a->n_tallies && !seen; i++) seen = credit_id_eq(&a->tally[i], &t->contract.tally_id);
    if (!seen && st != UINT32_MAX && fo != UINT32_MAX && a->n_tallies < AGENT_TALLIES_MAX &&
        strcmp(cli_str(j, "state"), "open") == 0) {
        t->state = CREDIT_TALLY_OPEN;
        t->balance = strtoll(cli_str(j, "balance"), NULL, 10);
        static const char *const trade[] = {"", "stock_trade", "foil_trade"};
        for (int s = CREDIT_STOCK; s <= CREDIT_FOIL; s++) {
            const json_t *tv = json_object_get(j, trade[s]);
            t->trade[s].tv.target = cli_u64(tv, "target");
            t->trade[s].tv.bound = cli_u64(tv, "bound");
        }
        size_t k = a->n_tallies++;
        a->tally[k] = t->contract.tally_id;
        for (int s = CREDIT_STOCK; s <= CREDIT_FOIL; s++) {
            uint64_t cap = credit_lift_edge_cap(t, (credit_side)s, 0).min;
            if (cap == 0) continue;
            a->edge[a->n_edges] = s == CREDIT_FOIL ? (clr_edge){st, fo, cap} : (clr_edge){fo, st, cap};
            a->edge_tally[a->n_edges++] = k;
        }
    }
    free(t);
}

typedef struct {
    const copts *o;
    ctx *x;
    agent *a;
} agent_run;

/* A circular lift around the cycle, sent (and its fee paid) by --from. */
static bool agent_lift(void *arg, const clr_cycle *c) {
    agent_run *r = arg;
    credit_lift *l = calloc(1, sizeof *l);
    int rc = CLI_FAILED;
    json_t *st = cli_call(r->o->cmd, r->x->addr, "status", NULL, CLI_CALL_TIMEOUT_MS, &rc);
    if (st && c->n <= CREDIT_LIFT_HOPS_MAX) {
        new_id(&l->lift_id);
        l->kind = CREDIT_LIFT_CIRCULAR;
        l->amount = c->amount;
        l->expiry_ms = cli_u64(st, "block_time_ms") + 60000;
        l->referee_chain = r->x->kf.chain_id;
        l->n_hops = (uint8_t)c->n;
        for (size_t i = 0; i < c->n; i++) {
            l->tallies[i] = r->a->tally[r->a->edge_tally[c->edge[i]]];
            l->parties[i] = (credit_party){r->x->kf.chain_id, r->a->party[r->a->edge[c->edge[i]].from]};
        }
        l->parties[c->n] = l->parties[0];
        hbuf b = HBUF_INIT;
        credit_lift_encode(&b, l);
        char done[96], hex[2 * CREDIT_ID_BYTES + 1];
        hex_encode(l->lift_id.b, CREDIT_ID_BYTES, hex);
        snprintf(done, sizeof done, "agent: lift %s of %llu around %zu tallies committed", hex,
                 (unsigned long long)c->amount, c->n);
        copts quiet = *r->o;
        quiet.quiet = r->o->c.json;
        rc = submit(&quiet, r->x, TX_LIFT, &b, done);
        hbuf_free(&b);
    }
    json_decref(st);
    free(l);
    if (rc == CLI_OK) r->a->lifts++;
    else r->a->refused++;
    return rc == CLI_OK;
}

/* Learns the tallies reachable from --from (breadth first over parties, at
 * most AGENT_PARTIES_MAX), then lifts the optimum of that view cycle by cycle (clr_agent). */
static int lift_agent(const copts *o, ctx *x) {
    uint64_t max_hops = CREDIT_LIFT_HOPS_MAX;
    if (o->max_hops && !num(o, "--max-hops", o->max_hops, CREDIT_LIFT_HOPS_MAX, &max_hops)) return CLI_USAGE;
    if (max_hops < 2) max_hops = 2;
    agent *a = calloc(1, sizeof *a);
    a->party[0] = x->k->kp.pub;
    keyfile_address(&x->kf, x->k, a->addr[0]);
    a->n_parties = 1;
    int rc = CLI_OK;
    for (uint32_t p = 0; p < a->n_parties && rc == CLI_OK; p++) {
        json_t *r = cli_call(o->cmd, x->addr, "tallies", json_pack("{s:s}", "address", a->addr[p]),
                             CLI_CALL_TIMEOUT_MS, &rc);
        const json_t *list = json_object_get(r, "tallies");
        for (size_t i = 0; i < json_array_size(list); i++) agent_tally(a, json_array_get(list, i));
        json_decref(r);
    }
    uint64_t gross = 0, cleared = 0;
    for (size_t e = 0; e < a->n_edges; e++) gross += a->edge[e].cap;
    if (rc == CLI_OK) {
        clr_graph g = {a->n_parties, a->n_edges, a->edge};
        agent_run run = {o, x, a};
        cleared = clr_agent(&g, max_hops, agent_lift, &run);
    }
    json_t *j = json_pack("{s:I, s:I, s:I, s:I, s:I}", "parties", (json_int_t)a->n_parties, "tallies",
                          (json_int_t)a->n_tallies, "lifts", (json_int_t)a->lifts, "refused",
                          (json_int_t)a->refused, "cleared", (json_int_t)cleared);
    if (o->c.json) cli_print_json(j);
    else
        printf("agent: %u parties, %zu open tallies seen; %u lifts committed, %u refused; cleared %llu of "
               "%llu milli-CHIPs of liftable debt\n", a->n_parties, a->n_tallies, a->lifts, a->refused,
               (unsigned long long)cleared, (unsigned long long)gross);
    json_decref(j);
    free(a);
    return rc;
}

/* ---- lifts across chains (docs/credit.md "Lifts across chains") ------------------- */

/* The chain id and block time of the node at addr. */
static int node_status(const copts *o, const char *addr, uint32_t *chain, uint64_t *time_ms) {
    int rc = CLI_OK;
    json_t *st = cli_call(o->cmd, addr, "status", NULL, CLI_CALL_TIMEOUT_MS, &rc);
    if (!st) return rc;
    const char *why = "";
    if (chain_id_parse(cli_str(st, "chain_id"), chain, &why) != HANSA_OK) {
        fprintf(stderr, "hansa %s: the node at %s gave no chain id %s\n", o->cmd, addr, why);
        rc = CLI_FAILED;
    }
    *time_ms = cli_u64(st, "block_time_ms");
    json_decref(st);
    return rc;
}

/* Builds the descriptor from --seg NODE=TALLY,..: each segment walked on its
 * own chain's node, from --from's key, then from where the last one ended. */
static int lift_cross(const copts *o, ctx *x) {
    if (!need(o, o->referee, "--referee") || !need(o, o->amount, "--amount")) return CLI_USAGE;
    credit_xlift *xl = calloc(1, sizeof *xl);
    credit_lift proto;
    memset(&proto, 0, sizeof proto);
    uint64_t expiry_s = 120, now_ms = 0;
    int rc = CLI_USAGE;
    if (!num(o, "--amount", o->amount, CREDIT_AMOUNT_MAX, &proto.amount) ||
        (o->expiry_s && !num(o, "--expiry-s", o->expiry_s, 86400, &expiry_s)))
        goto out;
    if (o->id ? !parse_id(o, o->id, &proto.lift_id) : (new_id(&proto.lift_id), false)) goto out;
    if ((rc = node_status(o, o->referee, &proto.referee_chain, &now_ms)) != CLI_OK) goto out;
    proto.expiry_ms = now_ms + expiry_s * 1000;
    proto.kind = CREDIT_LIFT_LINEAR;
    hansa_pubkey start = x->k->kp.pub;
    for (int j = 0; j < o->n_segs; j++) {
        const char *eq = strchr(o->segs[j], '=');
        ctx y = *x;
        if (!eq || (size_t)(eq - o->segs[j]) >= sizeof y.addr) {
            fprintf(stderr, "hansa %s: --seg %s: NODE=TALLY[,TALLY]..\n", o->cmd, o->segs[j]);
            rc = CLI_USAGE;
            goto out;
        }
        snprintf(y.addr, sizeof y.addr, "%.*s", (int)(eq - o->segs[j]), o->segs[j]);
        uint32_t chain;
        uint64_t t;
        xl->seg[j] = proto;
        if ((rc = node_status(o, y.addr, &chain, &t)) != CLI_OK ||
            (rc = route_walk(o, &y, eq + 1, chain, &start, &xl->seg[j])) != CLI_OK)
            goto out;
        start = xl->seg[j].parties[xl->seg[j].n_hops].key;
        xl->n_segs++;
    }
    char why[160];
    if (credit_xlift_check(xl, why, sizeof why) != HANSA_OK) {
        fprintf(stderr, "hansa %s: %s\n", o->cmd, why);
        rc = CLI_USAGE;
        goto out;
    }
    hbuf b = HBUF_INIT;
    credit_xlift_encode(&b, xl);
    char *hex = malloc(2 * b.len + 1), id[2 * CREDIT_ID_BYTES + 1];
    hex_encode(b.data, b.len, hex);
    hex_encode(proto.lift_id.b, CREDIT_ID_BYTES, id);
    hansa_hash h;
    char hx[2 * HANSA_HASH_BYTES + 1];
    credit_xlift_hash(xl, &h);
    hex_encode(h.b, HANSA_HASH_BYTES, hx);
    json_t *j = json_pack("{s:s, s:s, s:s, s:I, s:b}", "xlift", hex, "lift_id", id, "xlift_hash", hx,
                          "expiry_ms", (json_int_t)proto.expiry_ms, "circular", credit_xlift_circular(xl));
    if (o->c.json) cli_print_json(j);
    else printf("%s\n", hex);
    json_decref(j);
    free(hex);
    hbuf_free(&b);
    rc = CLI_OK;
out:
    free(xl);
    return rc;
}

/* --xlift HEX, decoded (heap, caller frees), or NULL with a message. */
static credit_xlift *xlift_arg(const copts *o) {
    if (!need(o, o->xlift, "--xlift")) return NULL;
    size_t n = strlen(o->xlift) / 2;
    uint8_t *bytes = malloc(n + 1);
    credit_xlift *xl = malloc(sizeof *xl);
    wire_rd r;
    hansa_err err = hex_decode(o->xlift, strlen(o->xlift), bytes, n + 1, &n, NULL);
    if (err == HANSA_OK) err = credit_xlift_decode(bytes, n, xl, &r);
    free(bytes);
    if (err == HANSA_OK) return xl;
    fprintf(stderr, "hansa %s: --xlift is not a cross-chain lift (hansa lift cross prints one): %s\n", o->cmd,
            hansa_strerror(err));
    free(xl);
    return NULL;
}

static int send_lift_packet(const copts *o, ctx *x, const credit_xlift *xl, uint8_t type, uint8_t tail,
                            uint32_t dest, uint64_t timeout_ms, const char *done) {
    hbuf pay = HBUF_INIT, body = HBUF_INIT;
    credit_xlift_payload_encode(&pay, xl, tail);
    pkt_send s = {dest, timeout_ms, type, (uint16_t)pay.len, pay.data};
    pkt_send_encode(&body, &s);
    int rc = submit(o, x, TX_PACKET_SEND, &body, done);
    hbuf_free(&pay);
    hbuf_free(&body);
    return rc;
}

/* This chain's segment: the promise goes to the referee, timing out at the expiry. */
static int lift_promise(const copts *o, ctx *x) {
    credit_xlift *xl = xlift_arg(o);
    if (!xl) return CLI_USAGE;
    int k = credit_xlift_seg_on(xl, x->kf.chain_id), rc = CLI_USAGE;
    char done[96], id[2 * CREDIT_ID_BYTES + 1];
    hex_encode(xl->seg[0].lift_id.b, CREDIT_ID_BYTES, id);
    if (k < 0) {
        fprintf(stderr, "hansa %s: the lift has no segment on this chain\n", o->cmd);
    } else {
        snprintf(done, sizeof done, "lift %s: segment %d promised", id, k);
        rc = send_lift_packet(o, x, xl, PKT_TYPE_LIFT_PROMISE, (uint8_t)k, xl->seg[0].referee_chain,
                              xl->seg[0].expiry_ms, done);
    }
    free(xl);
    return rc;
}

/* The referee's ruling to chain --to: its record's, or EXPIRED once past the
 * expiry with none (the chain rules it then). */
static int lift_rule(const copts *o, ctx *x) {
    credit_xlift *xl = xlift_arg(o);
    if (!xl) return CLI_USAGE;
    uint32_t to = 0, chain;
    uint64_t now_ms;
    const char *cwhy = "";
    int rc = CLI_USAGE;
    if (!need(o, o->to, "--to") || chain_id_parse(o->to, &to, &cwhy) != HANSA_OK) {
        fprintf(stderr, "hansa %s: --to needs a chain id %s\n", o->cmd, cwhy);
    } else if ((rc = node_status(o, x->addr, &chain, &now_ms)) == CLI_OK) {
        hansa_hash h;
        credit_xlift_hash(xl, &h);
        char hx[2 * HANSA_HASH_BYTES + 1];
        hex_encode(h.b, HANSA_HASH_BYTES, hx);
        int qrc = CLI_OK;
        json_t *f = cli_call(o->cmd, x->addr, "xlift_ruling", json_pack("{s:s}", "hash", hx), CLI_CALL_TIMEOUT_MS,
                             &qrc);
        const char *ruling = f ? cli_str(f, "ruling") : "none";
        uint8_t outcome = strcmp(ruling, "commit") == 0 ? CREDIT_RULING_COMMIT : CREDIT_RULING_EXPIRED;
        if (strcmp(ruling, "none") == 0 && now_ms < xl->seg[0].expiry_ms) {
            fprintf(stderr, "hansa %s: no ruling yet: the lift may commit until %llu (now %llu)\n", o->cmd,
                    (unsigned long long)xl->seg[0].expiry_ms, (unsigned long long)now_ms);
            rc = CLI_FAILED;
        } else {
            char done[96];
            snprintf(done, sizeof done, "ruling %s sent to chain %s", outcome == CREDIT_RULING_COMMIT ? "commit" : "expired",
                     o->to);
            rc = send_lift_packet(o, x, xl, PKT_TYPE_LIFT_RULING, outcome, to, now_ms + 600000, done);
        }
        json_decref(f);
    }
    free(xl);
    return rc;
}

/* This chain's segment (--id) or the referee's record (--xlift). */
static int lift_xshow(const copts *o, ctx *x) {
    int rc = CLI_OK;
    json_t *j = NULL;
    if (o->id) {
        j = fetch(o, x, "xlift", "id", o->id, &rc);
    } else {
        credit_xlift *xl = xlift_arg(o);
        if (!xl) return CLI_USAGE;
        hansa_hash h;
        credit_xlift_hash(xl, &h);
        free(xl);
        char hx[2 * HANSA_HASH_BYTES + 1];
        hex_encode(h.b, HANSA_HASH_BYTES, hx);
        j = fetch(o, x, "xlift_ruling", "hash", hx, &rc);
    }
    if (!j) return rc;
    cli_print_json(j);
    json_decref(j);
    return CLI_OK;
}

/* ---- dispatch ------------------------------------------------------------------------- */

typedef struct {
    const char *name;
    int (*run)(const copts *o, ctx *x);
    bool key; /* needs --from */
    bool id;  /* needs --id */
} sub;

static int run_accept(const copts *o, ctx *x) { return tally_answer(o, x, TX_TALLY_ACCEPT); }
static int run_refuse(const copts *o, ctx *x) { return tally_answer(o, x, TX_TALLY_REFUSE); }
static int run_close(const copts *o, ctx *x) { return tally_answer(o, x, TX_TALLY_CLOSE); }

static int dispatch(const char *group, const sub *subs, size_t n, int argc, char **argv) {
    copts o;
    memset(&o, 0, sizeof o);
    const sub *s = NULL;
    for (size_t i = 0; argc > 1 && i < n; i++)
        if (strcmp(argv[1], subs[i].name) == 0) s = &subs[i];
    if (s == NULL) {
        fprintf(stderr, "usage: hansa %s", group);
        for (size_t i = 0; i < n; i++) fprintf(stderr, "%s%s", i ? "|" : " ", subs[i].name);
        fprintf(stderr, " [options]   (docs/cli.md, \"Credit\")\n");
        return CLI_USAGE;
    }
    char cmd[64];
    snprintf(cmd, sizeof cmd, "%s %s", group, s->name);
    o.cmd = cmd;
    if (!parse(&o, argc, argv, 2)) return CLI_USAGE;
    if (s->id && !need(&o, o.id, "--id")) return CLI_USAGE;
    ctx x;
    int rc = ctx_open(&o, &x, s->key || (o.from != NULL));
    if (rc == CLI_OK) rc = s->run(&o, &x);
    ctx_close(&x);
    return rc;
}

int cmd_tally(int argc, char **argv) {
    static const sub subs[] = {
        {"offer", tally_offer, true, false},    {"counter", tally_counter, true, true},
        {"accept", run_accept, true, true},     {"refuse", run_refuse, true, true},
        {"close", run_close, true, true},       {"trade", tally_trade, true, true},
        {"show", tally_show, false, true},      {"list", tally_list, false, false},
        {"sync", tally_sync, true, true},
    };
    return dispatch("tally", subs, sizeof subs / sizeof subs[0], argc, argv);
}

int cmd_chit(int argc, char **argv) {
    static const sub subs[] = {{"pay", chit_pay, true, true}, {"list", chit_list, false, true}};
    return dispatch("chit", subs, sizeof subs / sizeof subs[0], argc, argv);
}

int cmd_invoice(int argc, char **argv) {
    static const sub subs[] = {
        {"create", invoice_create, true, true},
        {"show", invoice_show, false, true},
        {"pay", invoice_pay, true, true},
        {"refuse", invoice_refuse, true, true},
    };
    return dispatch("invoice", subs, sizeof subs / sizeof subs[0], argc, argv);
}

int cmd_lift(int argc, char **argv) {
    static const sub subs[] = {
        {"pay", lift_pay, true, false},
        {"show", lift_show, false, true},
        {"list", lift_list, false, false},
        {"cross", lift_cross, true, false},
        {"promise", lift_promise, true, false},
        {"rule", lift_rule, true, false},
        {"xshow", lift_xshow, false, false},
        {"agent", lift_agent, true, false},
    };
    return dispatch("lift", subs, sizeof subs / sizeof subs[0], argc, argv);
}
