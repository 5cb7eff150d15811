/* bench_xfer.c — `hansa bench --chains 2`: cross-chain transfers between two
 * local chains, with local transfers in the same run for comparison.
 *
 * Starts a federation of two chains (hansa federation up) in a fresh folder,
 * and for --duration seconds keeps acct0..acct7 of fed1 sending packets to
 * fed2 and acct8..acct15 of fed1 sending local transfers, each sender with
 * up to BX_WINDOW transactions submitted and not yet committed (batches of
 * submit_tx to its own node, nonces consecutive). Then it waits until every
 * packet is acknowledged, stops the federation and reports:
 *   - cross-chain transfers/s: packets credited on fed2 per second, from the
 *     first submission to the last credit;
 *   - send-to-credited latency p50/p99 over a sample of packets: from the
 *     moment the transfer was submitted to fed1 to the BFT time of the fed2
 *     block that credited it (the user's view of "it arrived");
 *   - redundant submissions: recvs and acks the relayers submitted (their
 *     own count, logged at stop) beyond one of each per packet;
 *   - local transfers/s and submit-to-commit latency from the same run.
 * Figures are printed, not asserted (docs/interchain.md has the last ones). */
#define _GNU_SOURCE /* nftw */
#include <ftw.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/assert.h"
#include "base/clock.h"
#include "base/hex.h"
#include "base/mem.h"
#include "cmd/lib/cli.h"
#include "cmd/lib/rpc_client.h"
#include "crypto/address.h"
#include "crypto/sha256.h"
#include "crypto/sign.h"
#include "interchain/packet.h"
#include "ledger/tx.h"
#include "node/keyfile.h"
#include "wire/codec.h"

#define BX_SENDERS 16       /* acct0..acct7 cross-chain; acct8..acct15 local */
#define BX_CROSS 8
#define BX_WINDOW 200       /* transactions in flight per sender */
#define BX_BATCH 100        /* submit_tx calls per HTTP request */
#define BX_TXS_MAX 400000   /* transactions recorded over a run */
#define BX_SAMPLE 300       /* packets and local transfers whose latency is read */
#define BX_NODES_MAX 16
#define BX_TIMEOUT_MS 10000

typedef struct {
    hansa_hash hash;
    uint64_t submit_ms; /* wall clock */
    bool cross;
} bx_tx;

typedef struct {
    const keyfile_key *key;
    hansa_addr to;
    uint32_t to_chain;
    uint64_t next_nonce, committed; /* next to sign; committed nonce (account's) */
    int node;
} bx_sender;

typedef struct {
    int validators, duration_s;
    const char *dir;
    bool keep;
    char addrs[2][BX_NODES_MAX][CLI_ADDR_MAX];
    bx_sender s[BX_SENDERS];
    bx_tx *txs;
    size_t n_txs;
    uint64_t fee;
} bx_ctx;

static int fed(const char *verb, bx_ctx *c) {
    char chains[] = "2", vals[8];
    snprintf(vals, sizeof vals, "%d", c->validators);
    char accts[] = "16";
    char *argv[] = {"federation", (char *)verb, "--dir", (char *)c->dir, "--chains", chains, "--validators", vals,
                    "--accounts", accts};
    int argc = strcmp(verb, "up") == 0 ? 10 : 4;
    return federation_run(argc, argv, true); /* no nodes left running if the bench dies */
}

static bool read_addrs(bx_ctx *c) {
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < c->validators; i++) {
            char path[CLI_PATH_MAX];
            snprintf(path, sizeof path, "%s/chain-%x/node%d/config.json", c->dir, 0xfed1u + (unsigned)k, i);
            json_t *j = json_load_file(path, 0, NULL);
            const char *rpc = json_string_value(json_object_get(j, "rpc"));
            if (rpc) snprintf(c->addrs[k][i], CLI_ADDR_MAX, "%s", rpc);
            json_decref(j);
            if (!rpc) {
                fprintf(stderr, "hansa bench: no rpc address in %s\n", path);
                return false;
            }
        }
    return true;
}

static json_t *call(const char *addr, const char *method, json_t *params) {
    rpcc_error err = {0};
    json_t *r = rpcc_call(addr, method, params, BX_TIMEOUT_MS, &err);
    json_decref(err.data);
    return r;
}

static uint64_t u64_of(json_t *j) {
    if (json_is_integer(j)) return (uint64_t)json_integer_value(j);
    const char *s = json_string_value(j);
    return s ? strtoull(s, NULL, 10) : 0;
}

static uint64_t nonce_of(bx_ctx *c, const bx_sender *s) {
    char text[ADDR_TEXT_MAX];
    hansa_addr a;
    addr_from_pubkey(&s->key->kp.pub, &a);
    addr_format(0xfed1, &a, text);
    json_t *r = call(c->addrs[0][s->node], "account", json_pack("{s:s}", "address", text));
    uint64_t n = r ? u64_of(json_object_get(r, "nonce")) : s->committed;
    json_decref(r);
    return n;
}

/* Signs sender s's next transaction and appends its submit_tx call. */
static void sign_next(bx_ctx *c, bx_sender *s, json_t *calls, int id) {
    uint8_t body[128];
    hbuf pay = HBUF_INIT, pk = HBUF_INIT, enc = HBUF_INIT;
    wire_tx tx = {.chain_id = 0xfed1, .sender = s->key->kp.pub, .nonce = s->next_nonce++, .fee = c->fee};
    if (s->to_chain != 0xfed1) {
        pkt_transfer t = {.to = s->to, .amount = 1};
        pkt_transfer_encode(&pay, &t);
        pkt_send snd = {s->to_chain, clock_wall_ms(&hansa_clock_system) + 600000, PKT_TYPE_TRANSFER,
                        (uint16_t)pay.len, pay.data};
        pkt_send_encode(&pk, &snd);
        tx.kind = TX_PACKET_SEND;
        tx.body = pk.data;
        tx.body_len = (uint32_t)pk.len;
    } else {
        memcpy(body, s->to.b, HANSA_ADDR_BYTES);
        le64_store(body + HANSA_ADDR_BYTES, 1);
        tx.kind = TX_TRANSFER;
        tx.body = body;
        tx.body_len = LEDGER_TRANSFER_BODY_BYTES;
    }
    wire_tx_sign_bytes(&enc, &tx);
    sign_domain(&s->key->kp, SIGN_DOMAIN_TX, enc.data, enc.len, &tx.sig);
    hbuf_reset(&enc);
    wire_tx_encode(&enc, &tx);
    char *hex = hansa_malloc(2 * enc.len + 1);
    hex_encode(enc.data, enc.len, hex);
    json_array_append_new(calls, json_pack("{s:s, s:i, s:s, s:{s:s}}", "jsonrpc", "2.0", "id", id, "method",
                                           "submit_tx", "params", "tx", hex));
    free(hex);
    if (c->n_txs < BX_TXS_MAX) {
        bx_tx *r = &c->txs[c->n_txs++];
        sha256(enc.data, enc.len, &r->hash);
        r->submit_ms = clock_wall_ms(&hansa_clock_system);
        r->cross = s->to_chain != 0xfed1;
    }
    hbuf_free(&pay);
    hbuf_free(&pk);
    hbuf_free(&enc);
}

/* One sender's part of a round, on its own thread: its batch, then its nonce. */
typedef struct {
    bx_ctx *c;
    bx_sender *s;
    json_t *calls; /* NULL: no room this round */
} bx_job;

static void *sender_round(void *arg) {
    bx_job *j = arg;
    if (j->calls) {
        rpcc_error err = {0};
        json_t *r = rpcc_batch(j->c->addrs[0][j->s->node], j->calls, BX_TIMEOUT_MS, &err);
        json_decref(err.data);
        json_decref(r);
    }
    j->s->committed = nonce_of(j->c, j->s);
    return NULL;
}

/* One round: every sender with room signs a batch; the senders submit them
 * and read their nonces in parallel (one after another, the HTTP round
 * trips, not the chains, limited the load: about 640 packets/s). */
static void round_once(bx_ctx *c) {
    bx_job jobs[BX_SENDERS];
    pthread_t t[BX_SENDERS];
    for (int i = 0; i < BX_SENDERS; i++) {
        bx_sender *s = &c->s[i];
        int room = BX_WINDOW - (int)(s->next_nonce - s->committed);
        jobs[i] = (bx_job){c, s, room > 0 ? json_array() : NULL};
        for (int k = 0; k < room && k < BX_BATCH; k++) sign_next(c, s, jobs[i].calls, k);
    }
    for (int i = 0; i < BX_SENDERS; i++) HANSA_ASSERT(pthread_create(&t[i], NULL, sender_round, &jobs[i]) == 0);
    for (int i = 0; i < BX_SENDERS; i++) pthread_join(t[i], NULL);
    for (int i = 0; i < BX_SENDERS; i++) {
        /* a refused transaction leaves a gap: sign again from the chain's nonce */
        if (c->s[i].next_nonce - c->s[i].committed >= (uint64_t)BX_WINDOW) c->s[i].next_nonce = c->s[i].committed + BX_WINDOW;
    }
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Latency (ms) of a sample of one kind of transaction; *last_ms gets the
 * latest credit/commit time seen. Returns the sample size. */
static size_t sample(bx_ctx *c, bool cross, uint64_t *lat, uint64_t *last_ms) {
    size_t n_kind = 0, got = 0;
    for (size_t i = 0; i < c->n_txs; i++) n_kind += c->txs[i].cross == cross;
    size_t step = n_kind / BX_SAMPLE + 1, k = 0;
    for (size_t i = 0; i < c->n_txs && got < BX_SAMPLE; i++) {
        if (c->txs[i].cross != cross || k++ % step != 0) continue;
        char hex[2 * HANSA_HASH_BYTES + 1];
        hex_encode(c->txs[i].hash.b, HANSA_HASH_BYTES, hex);
        uint64_t t = 0;
        if (cross) {
            json_t *r = call(c->addrs[1][0], "xfer_status", json_pack("{s:s}", "hash", hex));
            const char *outcome = r ? json_string_value(json_object_get(r, "outcome")) : NULL;
            if (outcome && strcmp(outcome, "credited") == 0) t = u64_of(json_object_get(r, "time_ms"));
            json_decref(r);
        } else {
            json_t *r = call(c->addrs[0][0], "tx", json_pack("{s:s}", "hash", hex));
            if (r) t = u64_of(json_object_get(json_object_get(r, "header"), "time_ms"));
            json_decref(r);
        }
        if (t == 0) continue; /* refused (a nonce gap) or never committed */
        lat[got++] = t > c->txs[i].submit_ms ? t - c->txs[i].submit_ms : 0;
        if (t > *last_ms) *last_ms = t;
    }
    qsort(lat, got, sizeof *lat, cmp_u64);
    return got;
}

/* Sums "packets relayed: R recvs and A acks submitted" over every node's log. */
static void relay_counts(bx_ctx *c, uint64_t *recvs, uint64_t *acks) {
    *recvs = *acks = 0;
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < c->validators; i++) {
            char path[CLI_PATH_MAX], line[512];
            snprintf(path, sizeof path, "%s/chain-%x/node%d/hansad.log", c->dir, 0xfed1u + (unsigned)k, i);
            FILE *f = fopen(path, "r");
            while (f && fgets(line, sizeof line, f)) {
                const char *p = strstr(line, "packets relayed: ");
                unsigned long long r, a;
                if (p && sscanf(p, "packets relayed: %llu recvs and %llu acks", &r, &a) == 2) {
                    *recvs += r;
                    *acks += a;
                }
            }
            if (f) fclose(f);
        }
}

static uint64_t pending_packets(bx_ctx *c) {
    json_t *r = call(c->addrs[0][0], "packets_pending", json_pack("{s:s, s:i}", "chain_id", "fed2", "max", 1));
    uint64_t n = r ? u64_of(json_object_get(r, "pending")) : UINT64_MAX;
    json_decref(r);
    return n;
}

static int run(bx_ctx *c, const keyfile *k1, const keyfile *k2) {
    json_t *st = call(c->addrs[0][0], "status", NULL);
    c->fee = st ? u64_of(json_object_get(st, "min_fee")) : 1;
    json_decref(st);
    for (int i = 0; i < BX_SENDERS; i++) {
        char name[16];
        snprintf(name, sizeof name, "acct%d", i);
        bx_sender *s = &c->s[i];
        s->key = keyfile_find(k1, name);
        const keyfile_key *to = i < BX_CROSS ? keyfile_find(k2, name) : keyfile_find(k1, "acct0");
        if (!s->key || !to) {
            fprintf(stderr, "hansa bench: the federation has no %s\n", name);
            return CLI_FAILED;
        }
        addr_from_pubkey(&to->kp.pub, &s->to);
        s->to_chain = i < BX_CROSS ? 0xfed2 : 0xfed1;
        s->node = i % c->validators;
        s->committed = s->next_nonce = nonce_of(c, s);
    }
    fprintf(stderr, "loading fed1 for %d s: %d senders of packets to fed2, %d of local transfers\n", c->duration_s,
            BX_CROSS, BX_SENDERS - BX_CROSS);
    uint64_t start = clock_wall_ms(&hansa_clock_system), end = start + (uint64_t)c->duration_s * 1000;
    while (clock_wall_ms(&hansa_clock_system) < end) round_once(c);
    uint64_t sent_cross = 0, sent_local = 0;
    for (int i = 0; i < BX_SENDERS; i++) {
        c->s[i].committed = nonce_of(c, &c->s[i]);
        *(i < BX_CROSS ? &sent_cross : &sent_local) += c->s[i].committed;
    }
    fprintf(stderr, "waiting for every packet to be acknowledged\n");
    for (int t = 0; t < 1200 && pending_packets(c) != 0; t++) usleep(100000);
    uint64_t *lat = hansa_calloc(BX_SAMPLE, sizeof *lat), last_cross = 0, last_local = 0;
    size_t nc = sample(c, true, lat, &last_cross);
    double cross_s = last_cross > start ? (double)(last_cross - start) / 1000 : 1;
    printf("cross-chain fed1 -> fed2: %llu transfers committed on fed1, %.0f transfers/s sent to credited\n",
           (unsigned long long)sent_cross, (double)sent_cross / cross_s);
    if (nc > 0)
        printf("  send-to-credited latency over %zu packets: p50 %.2f s, p99 %.2f s\n", nc,
               (double)lat[nc / 2] / 1000, (double)lat[nc * 99 / 100] / 1000);
    size_t nl = sample(c, false, lat, &last_local);
    double local_s = last_local > start ? (double)(last_local - start) / 1000 : 1;
    printf("local on fed1 (same run): %llu transfers, %.0f transfers/s\n", (unsigned long long)sent_local,
           (double)sent_local / local_s);
    if (nl > 0)
        printf("  submit-to-commit latency over %zu transfers: p50 %.2f s, p99 %.2f s\n", nl,
               (double)lat[nl / 2] / 1000, (double)lat[nl * 99 / 100] / 1000);
    free(lat);
    fed("down", c); /* the relayers log their counts as they stop */
    uint64_t recvs, acks;
    relay_counts(c, &recvs, &acks);
    if (sent_cross > 0)
        printf("relay submissions: %llu recvs and %llu acks for %llu packets: %.1f%% redundant\n",
               (unsigned long long)recvs, (unsigned long long)acks, (unsigned long long)sent_cross,
               recvs + acks > 2 * sent_cross ? 100.0 * (double)(recvs + acks - 2 * sent_cross) / (double)(2 * sent_cross)
                                             : 0.0);
    return CLI_OK;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

int bench_xfer(int validators, int duration_s, const char *dir, bool keep) {
    char def[64];
    if (dir == NULL) {
        snprintf(def, sizeof def, "/tmp/hansa-xbench-%d", (int)getpid());
        dir = def;
    }
    if (validators > BX_NODES_MAX) validators = BX_NODES_MAX;
    bx_ctx *c = hansa_calloc(1, sizeof *c);
    *c = (bx_ctx){.validators = validators, .duration_s = duration_s, .dir = dir, .keep = keep};
    c->txs = hansa_calloc(BX_TXS_MAX, sizeof *c->txs);
    crypto_init();
    int rc = fed("up", c);
    keyfile k1, k2;
    char p1[CLI_PATH_MAX], p2[CLI_PATH_MAX], why[KEYFILE_WHY_MAX];
    snprintf(p1, sizeof p1, "%s/chain-fed1/accounts.key", dir);
    snprintf(p2, sizeof p2, "%s/chain-fed2/accounts.key", dir);
    if (rc == CLI_OK && read_addrs(c) && keyfile_load(p1, &k1, why) == HANSA_OK) {
        if (keyfile_load(p2, &k2, why) == HANSA_OK) {
            rc = run(c, &k1, &k2);
            keyfile_free(&k2);
        } else {
            fprintf(stderr, "hansa bench: %s\n", why);
            rc = CLI_FAILED;
        }
        keyfile_free(&k1);
    } else if (rc == CLI_OK) {
        rc = CLI_FAILED;
    }
    fed("down", c);
    if (!keep) nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(c->txs);
    free(c);
    return rc;
}
