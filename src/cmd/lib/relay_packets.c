/* relay_packets.c — see relay_packets.h. */
#include "cmd/lib/relay_packets.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/hex.h"
#include "base/log.h"
#include "base/mem.h"
#include "cmd/lib/lightfetch.h"
#include "cmd/lib/rpc_client.h"
#include "crypto/address.h"
#include "ledger/client.h"
#include "ledger/state.h"
#include "ledger/xfer.h"

void rp_free(relay_pk *p) {
    for (size_t i = 0; i < p->n_items; i++) free((void *)p->items[i].proof.tx);
    free(p->items);
    free(p->asked);
    for (size_t i = 0; i < RELAY_UPDATES_MAX; i++) hbuf_free(&p->body[i]);
    memset(p, 0, sizeof *p);
}

static bool waiting(const hmap *backoff, const hansa_hash *h, uint64_t height) {
    uint64_t next;
    return hmap_get(backoff, h, &next) && next > height;
}

bool rp_prepare(relay_pk *p, node *n, const relay_job *job, const hmap *backoff) {
    const ledger_state *s = node_ledger(n);
    *p = (relay_pk){.own_chain = ledger_state_params(s)->chain_id};
    if (!ledger_client_get(s, job->chain, &p->client) || !node_relay_packet_share(n, &p->mod, &p->rem)) return false;
    for (uint16_t i = 0; i < p->client.n_heights; i++)
        HANSA_ASSERT(ledger_client_consensus(s, job->chain, p->client.heights[i], &p->states[i]));
    if (job->kind != RELAY_ACKS) return true;
    xfer_pending *pend = hansa_calloc(RELAY_PACKETS_MAX, sizeof *pend);
    size_t total = ledger_xfer_pending(s, job->chain, p->mod, p->rem, pend, RELAY_PACKETS_MAX);
    node_status st;
    node_get_status(n, &st);
    p->asked = hansa_calloc(RELAY_PACKETS_MAX, sizeof *p->asked);
    for (size_t i = 0; i < total && i < RELAY_PACKETS_MAX; i++)
        if (node_relay_packet_duty(n, &pend[i].hash) && !waiting(backoff, &pend[i].hash, st.height))
            p->asked[p->n_asked++] = pend[i].hash;
    free(pend);
    if (p->n_asked == 0) rp_free(p);
    return p->n_asked > 0;
}

/* ---- the worker ---- */

static bool parse_hash(json_t *j, hansa_hash *out) {
    const char *s = json_string_value(j);
    size_t len;
    return s && hex_decode(s, strlen(s), out->b, HANSA_HASH_BYTES, &len, NULL) == HANSA_OK &&
           len == HANSA_HASH_BYTES;
}

/* One {hash, proof} of a reply; false if malformed (the ledger checks the
 * rest: nothing here is trusted). */
static bool parse_item(json_t *j, relay_item *out) {
    memset(out, 0, sizeof *out);
    json_t *pr = json_object_get(j, "proof"), *path = json_object_get(pr, "path");
    const char *tx = json_string_value(json_object_get(pr, "tx"));
    json_int_t height = json_integer_value(json_object_get(pr, "height"));
    json_int_t index = json_integer_value(json_object_get(pr, "index"));
    json_int_t count = json_integer_value(json_object_get(pr, "count"));
    if (!parse_hash(json_object_get(j, "hash"), &out->hash) || !json_is_array(path) ||
        json_array_size(path) > PKT_PATH_MAX || tx == NULL || strlen(tx) / 2 > WIRE_TX_BYTES_MAX || height <= 0 ||
        index < 0 || count <= 0 || index >= count || count > WIRE_BLOCK_TXS_MAX)
        return false;
    pkt_proof *p = &out->proof;
    p->height = (uint64_t)height;
    p->index = (uint32_t)index;
    p->count = (uint32_t)count;
    p->path_len = (uint8_t)json_array_size(path);
    for (uint8_t i = 0; i < p->path_len; i++)
        if (!parse_hash(json_array_get(path, i), &p->path[i])) return false;
    size_t cap = strlen(tx) / 2 + 1, len;
    uint8_t *bytes = hansa_malloc(cap);
    if (hex_decode(tx, strlen(tx), bytes, cap, &len, NULL) != HANSA_OK) {
        free(bytes);
        return false;
    }
    p->tx = bytes;
    p->tx_len = (uint32_t)len;
    return true;
}

static bool stored(const relay_pk *p, uint64_t height) {
    for (uint16_t i = 0; i < p->client.n_heights; i++)
        if (p->client.heights[i] == height) return true;
    return false;
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The highest stored state below height (height is above the lowest). */
static const ic_consensus *below(const relay_pk *p, uint64_t height) {
    const ic_consensus *t = &p->states[0];
    for (uint16_t i = 0; i < p->client.n_heights; i++)
        if (p->states[i].height < height) t = &p->states[i];
    return t;
}

/* Updates to the lowest RELAY_UPDATES_MAX fetched heights the client lacks
 * (and can reach: above its lowest stored height), each proven from the
 * highest stored height below it (so that a key learned at a stored height
 * goes on into the states above it: docs/interchain.md "Learning a key by
 * proof"). */
static void build_updates(relay_pk *p, const relay_job *job, const char *seed) {
    uint64_t *want = hansa_calloc(p->n_items ? p->n_items : 1, sizeof *want);
    size_t n = 0;
    for (size_t i = 0; i < p->n_items; i++) {
        uint64_t h = p->items[i].proof.height;
        if (!stored(p, h) && h > p->client.heights[0]) want[n++] = h;
    }
    qsort(want, n, sizeof *want, cmp_u64);
    const ic_consensus *trusted = n > 0 ? below(p, want[0]) : NULL;
    /* A keyless client is first taught the chain's key, when the proof's
     * height comes before every packet's and above the latest state: the
     * packets wait a round and are then proven by checkpoints. Packets
     * keep the client fresh, so the header duty, which also teaches the
     * key, seldom comes round under load (docs/interchain.md). */
    if (n > 0 && trusted == &p->states[p->client.n_heights - 1] && ic_consensus_keyless(trusted)) {
        uint64_t got = 0;
        if (lf_build_key_update(seed, &job->params, trusted, want[0], job->now_ms, false, &p->body[0], &got, p->why,
                                sizeof p->why) == 1) {
            p->update_height[p->n_updates++] = got;
            free(want);
            return;
        }
        hbuf_reset(&p->body[0]);
    }
    for (size_t i = 0; i < n && p->n_updates < RELAY_UPDATES_MAX; i++) {
        if (i > 0 && want[i] == want[i - 1]) continue;
        hbuf *b = &p->body[p->n_updates];
        uint64_t got = 0;
        int r = lf_build_update(seed, &job->params, below(p, want[i]), want[i], job->now_ms, false, b, &got, p->why,
                                sizeof p->why);
        if (r < 0) {
            p->update_failed = true;
            break;
        }
        if (r > 0 && got == want[i]) p->update_height[p->n_updates++] = got;
        else hbuf_reset(b); /* bisected elsewhere: the next round gets there */
    }
    free(want);
}

void rp_work(relay_pk *p, const relay_job *job, const route_entry *route) {
    char own[CHAIN_ID_TEXT_MAX];
    chain_id_format(p->own_chain, own);
    for (size_t s = 0; s < route->n_seeds && !p->fetched; s++) {
        json_t *params;
        const char *method;
        if (job->kind == RELAY_ACKS) {
            json_t *hashes = json_array();
            for (size_t i = 0; i < p->n_asked; i++) {
                char hex[2 * HANSA_HASH_BYTES + 1];
                hex_encode(p->asked[i].b, HANSA_HASH_BYTES, hex);
                json_array_append_new(hashes, json_string(hex));
            }
            params = json_pack("{s:s, s:o}", "chain_id", own, "hashes", hashes);
            method = "packet_acks";
        } else {
            params = json_pack("{s:s, s:i, s:i, s:i}", "chain_id", own, "max", RELAY_PACKETS_MAX, "mod", (int)p->mod,
                               "rem", (int)p->rem);
            method = "packets_pending";
        }
        rpcc_error err = {0};
        json_t *r = rpcc_call(route->seeds[s], method, params, LF_TIMEOUT_MS, &err);
        if (r == NULL) {
            snprintf(p->why, sizeof p->why, "%s: %s", route->seeds[s], err.message);
            json_decref(err.data);
            continue;
        }
        p->fetched = true;
        json_t *list = json_object_get(r, job->kind == RELAY_ACKS ? "acks" : "packets");
        size_t n = json_is_array(list) ? json_array_size(list) : 0;
        if (n > RELAY_PACKETS_MAX) n = RELAY_PACKETS_MAX;
        p->items = hansa_calloc(n ? n : 1, sizeof *p->items);
        for (size_t i = 0; i < n; i++) {
            if (parse_item(json_array_get(list, i), &p->items[p->n_items])) p->n_items++;
            else free((void *)p->items[p->n_items].proof.tx);
        }
        json_decref(r);
        build_updates(p, job, route->seeds[s]);
    }
}

/* ---- back on the loop ---- */

void rp_finish(relay_pk *p, node *n, const relay_job *job, hmap *backoff, uint64_t submitted[2]) {
    if (!p->fetched) {
        LOG_W("relay", "packets of chain %x: %s", job->chain, p->why);
        return;
    }
    const ledger_state *s = node_ledger(n);
    node_status st;
    node_get_status(n, &st);
    char why[256] = "";
    bool updated[RELAY_UPDATES_MAX] = {false};
    hansa_hash txh;
    for (size_t u = 0; u < p->n_updates; u++) {
        hansa_err err = node_relay_update(n, job->chain, p->body[u].data, p->body[u].len, &txh, why, sizeof why);
        updated[u] = err == HANSA_OK || err == HANSA_ERR_DUPLICATE; /* DUPLICATE: another delegate's got there first */
        if (!updated[u])
            LOG_W("relay", "update of chain %x to height %llu for a packet refused: %s", job->chain,
                  (unsigned long long)p->update_height[u], why);
    }
    if (p->update_failed) LOG_W("relay", "chain %x: %s", job->chain, p->why);
    if (backoff->len > RELAY_BACKOFF_MAX) hmap_clear(backoff);
    for (size_t i = 0; i < p->n_items; i++) {
        relay_item *it = &p->items[i];
        xfer_in in;
        xfer_out o;
        if (job->kind == RELAY_PACKETS && ledger_xfer_in(s, job->chain, &it->hash, &in)) continue;
        if (job->kind == RELAY_ACKS && (!ledger_xfer_out(s, &it->hash, &o) || o.state != XFER_PENDING)) continue;
        if (!node_relay_packet_duty(n, &it->hash) || waiting(backoff, &it->hash, st.height)) continue;
        ic_consensus cs;
        bool provable = ledger_client_consensus(s, job->chain, it->proof.height, &cs);
        for (size_t u = 0; u < p->n_updates && !provable; u++)
            provable = updated[u] && p->update_height[u] == it->proof.height;
        if (!provable) continue;
        hbuf body = HBUF_INIT;
        uint16_t kind;
        if (job->kind == RELAY_PACKETS) {
            pkt_recv v = {.src_chain = job->chain, .proof = it->proof,
                          .outcome = ledger_xfer_outcome(s, job->chain, it->proof.tx, it->proof.tx_len,
                                                         ledger_last_block_time_ms(s))};
            pkt_recv_encode(&body, &v);
            kind = TX_PACKET_RECV;
        } else {
            pkt_ack a = {.dest_chain = job->chain, .proof = it->proof};
            pkt_ack_encode(&body, &a);
            kind = TX_PACKET_ACK;
        }
        if (node_relay_packet(n, kind, body.data, body.len, &txh, why, sizeof why) == HANSA_OK) {
            hmap_put(backoff, &it->hash, st.height + RELAY_PACKET_RETRY_BLOCKS);
            submitted[kind == TX_PACKET_RECV ? 0 : 1]++;
        } else {
            LOG_W("relay", "%s of a packet %s chain %x refused: %s", kind == TX_PACKET_RECV ? "recv" : "ack",
                  kind == TX_PACKET_RECV ? "from" : "to", job->chain, why);
            hmap_put(backoff, &it->hash, st.height + RELAY_PACKET_RETRY_BLOCKS);
        }
        hbuf_free(&body);
    }
}
