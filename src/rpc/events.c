/* events.c — server-sent events of committed blocks, transactions and
 * watched accounts (see events.h; the contract is docs/rpc.md,
 * "Subscriptions").
 *
 * Why it can never stall the node: the node's loop thread runs consensus,
 * the HTTP server and this endpoint. A commit formats each event once and
 * appends it to the buffer of every subscriber that wants it; nothing here
 * waits for a socket. Each stream is an MHD response whose content reader
 * hands out the buffered bytes when the socket can take them, and suspends
 * the connection when the buffer is empty (so an idle stream costs no CPU);
 * a new event resumes it. A subscriber whose unsent bytes would pass
 * max_buffer_bytes has fallen behind: its unsent bytes are discarded and its
 * stream is ended (the client reconnects and re-reads what it needs over
 * RPC), and the drop is counted.
 * The number of streams is bounded too, so the memory of all streams
 * together is at most max_subscribers × max_buffer_bytes.
 *
 * Lifetimes: a subscriber belongs to its MHD response (freed by MHD's free
 * callback when the connection ends) and is linked into the hub while the
 * hub wants to write to it. Detaching (dropped, or the hub freed) unlinks
 * it and resumes its connection, so the reader ends the stream. */
#include "rpc/events.h"

#include <stdio.h>
#include <string.h>

#include "base/assert.h"
#include "base/log.h"
#include "base/mem.h"
#include "crypto/address.h"
#include "crypto/sha256.h"
#include "ledger/state.h"
#include "rpc/node_json.h"
#include "rpc/server_internal.h"
#include "store/store.h"
#include "wire/codec.h"

#define EVENTS_PATH "/events"
#define EVENTS_DEFAULT_SUBSCRIBERS 16
#define EVENTS_DEFAULT_BUFFER (1u << 20)
#define EVENTS_DEFAULT_KEEPALIVE_MS 15000
#define EVENTS_RETRY_MS 2000       /* what EventSource waits before reconnecting */


typedef struct sub {
    rpc_events *hub; /* NULL once detached */
    struct MHD_Connection *conn;
    bool suspended;
    rpc_events_query q;
    ledger_account last[RPC_EVENTS_WATCH_MAX]; /* what the stream last said of each watched account */
    hbuf out;   /* event bytes; [off, out.len) not yet handed to MHD */
    size_t off;
    struct sub *prev, *next;
} sub;

struct rpc_events {
    rpc_server *server;
    node *n;
    rpc_events_config cfg;
    uv_timer_t keepalive;
    sub *head;
    unsigned count;
    uint64_t dropped;
};

/* ---------- one subscriber ---------- */

static void sub_unlink(sub *s) {
    rpc_events *ev = s->hub;
    HANSA_ASSERT(ev != NULL);
    HANSA_ASSERT(ev->count > 0);
    if (s->prev) s->prev->next = s->next;
    else ev->head = s->next;
    if (s->next) s->next->prev = s->prev;
    s->prev = s->next = NULL;
    s->hub = NULL;
    ev->count--;
}

/* Unlinks s and lets its reader end the stream. */
static void sub_detach(sub *s) {
    sub_unlink(s);
    if (s->suspended) {
        s->suspended = false;
        MHD_resume_connection(s->conn);
    }
}

/* Appends an event to s, or drops s if it has fallen too far behind.
 * Returns true if the connection was resumed (the server needs a wake). */
static bool sub_push(sub *s, const char *text, size_t len) {
    rpc_events *ev = s->hub;
    if (s->out.len - s->off + len > ev->cfg.max_buffer_bytes) {
        ev->dropped++;
        LOG_I("rpc", "events: dropping a subscriber %zu bytes behind", s->out.len - s->off);
        /* Its unsent bytes go now, so the memory bound holds even before its
         * connection closes. A client sees the stream end, perhaps inside an
         * event, which SSE readers discard at the end of a stream. */
        hbuf_free(&s->out);
        s->off = 0;
        sub_detach(s);
        return true;
    }
    hbuf_append(&s->out, text, len);
    if (!s->suspended) return false;
    s->suspended = false;
    MHD_resume_connection(s->conn);
    return true;
}

/* One SSE message: "event: name\n" ["id: id\n"] "data: <json>\n\n". Takes data. */
static void format_event(hbuf *out, const char *name, uint64_t id, json_t *data) {
    char *json = json_dumps(data, JSON_COMPACT);
    json_decref(data);
    HANSA_ASSERT(json != NULL);
    char head[96];
    int n = id ? snprintf(head, sizeof head, "event: %s\nid: %llu\ndata: ", name, (unsigned long long)id)
               : snprintf(head, sizeof head, "event: %s\ndata: ", name);
    HANSA_ASSERT(n > 0 && (size_t)n < sizeof head);
    hbuf_append(out, head, (size_t)n);
    hbuf_append(out, json, strlen(json)); /* compact JSON holds no newline */
    hbuf_append(out, "\n\n", 2);
    free(json);
}

static json_t *account_json(uint32_t chain, const hansa_addr *a, const ledger_account *acc,
                            uint64_t height) {
    return json_pack("{s:o, s:o, s:o, s:I}", "address", nj_address(chain, a), "balance",
                     nj_u64(acc->balance), "nonce", nj_u64(acc->nonce), "height", (json_int_t)height);
}

/* Pushes an `account` event for each watched account whose balance or nonce
 * differs from what s last said (every one when force). */
static bool sub_accounts(sub *s, uint64_t height, bool force) {
    rpc_events *ev = s->hub;
    uint32_t chain = node_chain_id(ev->n);
    bool wake = false;
    for (size_t i = 0; i < s->q.n_watch && s->hub; i++) {
        ledger_account now;
        ledger_account_get(node_ledger(ev->n), &s->q.watch[i], &now);
        if (!force && now.balance == s->last[i].balance && now.nonce == s->last[i].nonce) continue;
        s->last[i] = now;
        hbuf e = HBUF_INIT;
        format_event(&e, "account", height, account_json(chain, &s->q.watch[i], &now, height));
        wake |= sub_push(s, (const char *)e.data, e.len);
        hbuf_free(&e);
    }
    return wake;
}

/* MHD asks for more of the stream. */
static ssize_t sub_read(void *cls, uint64_t pos, char *buf, size_t max) {
    (void)pos;
    sub *s = cls;
    size_t left = s->out.len - s->off;
    if (left == 0) {
        if (!s->hub) return MHD_CONTENT_READER_END_OF_STREAM;
        /* Nothing to send: park the connection until the next event. */
        s->suspended = true;
        MHD_suspend_connection(s->conn);
        return 0;
    }
    size_t n = left < max ? left : max;
    memcpy(buf, s->out.data + s->off, n);
    s->off += n;
    if (s->off == s->out.len) {
        hbuf_reset(&s->out);
        s->off = 0;
    } else if (s->off > s->out.len / 2) {
        memmove(s->out.data, s->out.data + s->off, s->out.len - s->off);
        s->out.len -= s->off;
        s->off = 0;
    }
    return (ssize_t)n;
}

/* MHD is done with the stream (client gone, stream ended, server stopped). */
static void sub_free(void *cls) {
    sub *s = cls;
    if (s->hub) sub_unlink(s);
    hbuf_free(&s->out);
    free(s);
}

/* ---------- GET /events ---------- */

static enum MHD_Result refuse(struct MHD_Connection *conn, unsigned status, const char *msg) {
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(strlen(msg), (void *)msg, MHD_RESPMEM_MUST_COPY);
    if (!resp) return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
    enum MHD_Result r = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    return r;
}

/* Parses "block,tx,account" into a topic mask; false on an unknown name. */
static bool parse_topics(const char *text, unsigned *out, char *why, size_t why_len) {
    unsigned mask = 0;
    const char *p = text;
    while (*p) {
        size_t n = strcspn(p, ",");
        if (n == 5 && strncmp(p, "block", 5) == 0) mask |= RPC_TOPIC_BLOCK;
        else if (n == 2 && strncmp(p, "tx", 2) == 0) mask |= RPC_TOPIC_TX;
        else if (n == 7 && strncmp(p, "account", 7) == 0) mask |= RPC_TOPIC_ACCOUNT;
        else {
            snprintf(why, why_len, "unknown topic \"%.*s\" (topics: block, tx, account)\n",
                     (int)(n > 32 ? 32 : n), p);
            return false;
        }
        p += n;
        if (*p == ',') p++;
    }
    if (mask == 0) {
        snprintf(why, why_len, "topics is empty (topics: block, tx, account)\n");
        return false;
    }
    *out = mask;
    return true;
}

/* Parses a comma-separated address list of chain into q->watch. */
static bool parse_accounts(const char *text, uint32_t chain, rpc_events_query *q, char *why,
                           size_t why_len) {
    if (strlen(text) > RPC_EVENTS_QUERY_MAX) {
        snprintf(why, why_len, "account list longer than %d bytes\n", RPC_EVENTS_QUERY_MAX);
        return false;
    }
    const char *p = text;
    while (*p) {
        size_t n = strcspn(p, ",");
        char one[ADDR_TEXT_MAX];
        if (q->n_watch == RPC_EVENTS_WATCH_MAX) {
            snprintf(why, why_len, "more than %d accounts\n", RPC_EVENTS_WATCH_MAX);
            return false;
        }
        if (n >= sizeof one) {
            snprintf(why, why_len, "account %zu: too long for an address\n", q->n_watch + 1);
            return false;
        }
        memcpy(one, p, n);
        one[n] = '\0';
        const char *bad = NULL;
        if (addr_parse(one, &chain, NULL, &q->watch[q->n_watch], &bad) != HANSA_OK) {
            snprintf(why, why_len, "account %zu: %s\n", q->n_watch + 1, bad ? bad : "not an address");
            return false;
        }
        q->n_watch++;
        p += n;
        if (*p == ',') p++;
    }
    return true;
}

bool rpc_events_query_parse(const char *topics, const char *accounts, uint32_t chain_id,
                            rpc_events_query *out, char *why, size_t why_len) {
    HANSA_ASSERT(out != NULL && why != NULL && why_len > 0);
    memset(out, 0, sizeof *out);
    out->topics = RPC_TOPIC_BLOCK;
    if (topics && !parse_topics(topics, &out->topics, why, why_len)) return false;
    if (accounts && !parse_accounts(accounts, chain_id, out, why, why_len)) return false;
    if ((out->topics & RPC_TOPIC_ACCOUNT) && out->n_watch == 0) {
        snprintf(why, why_len, "topic account needs account=ADDRESS[,ADDRESS...]\n");
        return false;
    }
    return true;
}

static enum MHD_Result on_get(struct MHD_Connection *conn, const char *url, void *ctx) {
    rpc_events *ev = ctx;
    if (strcmp(url, EVENTS_PATH) != 0) return refuse(conn, MHD_HTTP_NOT_FOUND, "not found\n");
    if (ev->count >= ev->cfg.max_subscribers)
        return refuse(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "too many subscribers; retry later\n");
    char why[160];
    rpc_events_query q;
    const char *topics = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "topics");
    const char *accounts = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "account");
    if (!rpc_events_query_parse(topics, accounts, node_chain_id(ev->n), &q, why, sizeof why))
        return refuse(conn, MHD_HTTP_BAD_REQUEST, why);
    sub *s = hansa_calloc(1, sizeof *s);
    s->conn = conn;
    s->q = q;
    struct MHD_Response *resp =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16 * 1024, sub_read, s, sub_free);
    if (!resp) {
        free(s);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    MHD_add_response_header(resp, "X-Accel-Buffering", "no");
    s->hub = ev;
    s->next = ev->head;
    if (ev->head) ev->head->prev = s;
    ev->head = s;
    ev->count++;
    /* The hello event says where the stream starts, so a client can fetch
     * what it missed over RPC before trusting the stream. */
    node_status st;
    node_get_status(ev->n, &st);
    char chain[CHAIN_ID_TEXT_MAX];
    chain_id_format(node_chain_id(ev->n), chain);
    char retry[32];
    snprintf(retry, sizeof retry, "retry: %d\n\n", EVENTS_RETRY_MS);
    hbuf_append(&s->out, retry, strlen(retry));
    format_event(&s->out, "hello", 0,
                 json_pack("{s:s, s:I}", "chain_id", chain, "height", (json_int_t)st.height));
    if (s->q.topics & RPC_TOPIC_ACCOUNT) sub_accounts(s, st.height, true);
    enum MHD_Result r = MHD_queue_response(conn, MHD_HTTP_OK, resp);
    MHD_destroy_response(resp); /* MHD keeps its own reference; sub_free runs at the end */
    return r;
}

/* ---------- commits ---------- */

/* The `tx` event of one committed tx; *sender and *to (if a transfer) say
 * whom it concerns, for account filters. */
static json_t *tx_event(const wire_bytes *raw, uint64_t height, uint32_t index, hansa_addr *sender,
                        hansa_addr *to, bool *has_to) {
    json_t *t = nj_tx(raw->bytes, raw->len);
    json_object_del(t, "encoded");
    json_object_del(t, "signature");
    json_object_set_new(t, "height", json_integer((json_int_t)height));
    json_object_set_new(t, "index", json_integer((json_int_t)index));
    wire_tx tx;
    *has_to = false;
    HANSA_ASSERT(wire_tx_decode(raw->bytes, raw->len, &tx, NULL) == HANSA_OK); /* committed */
    addr_from_pubkey(&tx.sender, sender);
    if (tx.kind == TX_TRANSFER && tx.body_len >= HANSA_ADDR_BYTES) {
        memcpy(to->b, tx.body, HANSA_ADDR_BYTES);
        *has_to = true;
    }
    return t;
}

static bool watches_any(const sub *s, const hansa_addr *a, const hansa_addr *b, bool has_b) {
    for (size_t i = 0; i < s->q.n_watch; i++) {
        if (memcmp(s->q.watch[i].b, a->b, HANSA_ADDR_BYTES) == 0) return true;
        if (has_b && memcmp(s->q.watch[i].b, b->b, HANSA_ADDR_BYTES) == 0) return true;
    }
    return false;
}

/* Pushes the tx events of blk to every subscriber of the tx topic (all
 * txs, or those naming a watched account when the stream watches some). */
static bool push_txs(rpc_events *ev, const wire_block *blk, uint64_t height) {
    bool wake = false;
    for (uint32_t i = 0; i < blk->n_txs; i++) {
        hansa_addr sender, to;
        bool has_to;
        json_t *t = tx_event(&blk->txs[i], height, i, &sender, &to, &has_to);
        hbuf e = HBUF_INIT;
        format_event(&e, "tx", height, t);
        for (sub *s = ev->head, *next; s; s = next) {
            next = s->next;
            if (!(s->q.topics & RPC_TOPIC_TX)) continue;
            if (s->q.n_watch && !watches_any(s, &sender, &to, has_to)) continue;
            wake |= sub_push(s, (const char *)e.data, e.len);
        }
        hbuf_free(&e);
    }
    return wake;
}

static json_t *block_event(rpc_events *ev, const wire_block *blk, uint64_t height) {
    hansa_hash id;
    wire_header_hash(&blk->header, &id);
    return json_pack("{s:I, s:o, s:I, s:i, s:i, s:o, s:o}", "height", (json_int_t)height, "hash",
                     nj_hash(&id), "time_ms", (json_int_t)blk->header.time_ms, "tx_count",
                     (int)blk->n_txs, "evidence_count", (int)blk->n_evidence, "proposer_address",
                     nj_address_of(node_chain_id(ev->n), &blk->header.proposer), "app_hash",
                     nj_hash(&blk->header.app_hash));
}

void rpc_events_on_commit(rpc_events *ev, uint64_t height) {
    if (!ev->head) return;
    hbuf raw = HBUF_INIT;
    wire_block blk;
    if (store_get_block(node_store(ev->n), height, &raw, NULL) != HANSA_OK ||
        wire_block_decode(raw.data, raw.len, &blk, NULL) != HANSA_OK) {
        LOG_W("rpc", "events: cannot read committed block %llu", (unsigned long long)height);
        hbuf_free(&raw);
        return;
    }
    bool wake = false;
    hbuf e = HBUF_INIT;
    format_event(&e, "block", height, block_event(ev, &blk, height));
    for (sub *s = ev->head, *next; s; s = next) {
        next = s->next;
        if (s->q.topics & RPC_TOPIC_BLOCK) wake |= sub_push(s, (const char *)e.data, e.len);
    }
    hbuf_free(&e);
    bool any_tx = false;
    for (sub *s = ev->head; s; s = s->next) any_tx |= (s->q.topics & RPC_TOPIC_TX) != 0;
    if (any_tx) wake |= push_txs(ev, &blk, height);
    for (sub *s = ev->head, *next; s; s = next) {
        next = s->next;
        if (s->q.topics & RPC_TOPIC_ACCOUNT) wake |= sub_accounts(s, height, false);
    }
    wire_block_free(&blk);
    hbuf_free(&raw);
    if (wake) rpc_server_wake(ev->server);
}

/* ---------- life cycle ---------- */

static void on_keepalive(uv_timer_t *t) {
    rpc_events *ev = t->data;
    static const char line[] = ": keepalive\n\n";
    bool wake = false;
    for (sub *s = ev->head, *next; s; s = next) {
        next = s->next;
        wake |= sub_push(s, line, sizeof line - 1);
    }
    if (wake) rpc_server_wake(ev->server);
}

rpc_events *rpc_events_new(uv_loop_t *loop, rpc_server *server, node *n, const rpc_events_config *cfg) {
    HANSA_ASSERT(server != NULL);
    HANSA_ASSERT(n != NULL);
    rpc_events *ev = hansa_calloc(1, sizeof *ev);
    ev->server = server;
    ev->n = n;
    if (cfg) ev->cfg = *cfg;
    if (!ev->cfg.max_subscribers) ev->cfg.max_subscribers = EVENTS_DEFAULT_SUBSCRIBERS;
    if (!ev->cfg.max_buffer_bytes) ev->cfg.max_buffer_bytes = EVENTS_DEFAULT_BUFFER;
    if (!ev->cfg.keepalive_ms) ev->cfg.keepalive_ms = EVENTS_DEFAULT_KEEPALIVE_MS;
    HANSA_ASSERT(uv_timer_init(loop, &ev->keepalive) == 0);
    ev->keepalive.data = ev;
    HANSA_ASSERT(uv_timer_start(&ev->keepalive, on_keepalive, ev->cfg.keepalive_ms,
                                ev->cfg.keepalive_ms) == 0);
    rpc_route_get(server, EVENTS_PATH, on_get, ev);
    return ev;
}

void rpc_events_metrics_write(const rpc_events *ev, hbuf *out) {
    rpc_metrics_printf(out, "# HELP hansa_rpc_events_subscribers Open GET /events streams.\n");
    rpc_metrics_printf(out, "# TYPE hansa_rpc_events_subscribers gauge\n");
    rpc_metrics_printf(out, "hansa_rpc_events_subscribers %u\n", ev->count);
    rpc_metrics_printf(out, "# HELP hansa_rpc_events_dropped_total Streams ended because the "
                            "subscriber fell behind.\n");
    rpc_metrics_printf(out, "# TYPE hansa_rpc_events_dropped_total counter\n");
    rpc_metrics_printf(out, "hansa_rpc_events_dropped_total %llu\n", (unsigned long long)ev->dropped);
}

static void on_timer_closed(uv_handle_t *h) { free(h->data); }

void rpc_events_free(rpc_events *ev) {
    if (!ev) return;
    bool any = ev->head != NULL;
    while (ev->head) sub_detach(ev->head);
    if (any) rpc_server_wake(ev->server);
    rpc_route_remove(ev->server, ev);
    uv_timer_stop(&ev->keepalive);
    uv_close((uv_handle_t *)&ev->keepalive, on_timer_closed);
}
