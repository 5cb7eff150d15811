/* Tests of net/: the framing state machine on its own, then two and three
 * net_hosts in one process on loopback (ephemeral ports): handshake and
 * identities, messages both ways up to a multi-frame 3 MiB one, broadcast,
 * reconnection after the remote host is destroyed and recreated, a dropped
 * slow peer, drops by the upper layer, and raw-socket attackers (garbage,
 * oversize frame, bad ciphertext, truncated handshake) that are cut off
 * while the hosts keep talking. No timing assertions: waits are bounded
 * loops that end as soon as the awaited state is reached. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <uv.h>

#include "base/assert.h"
#include "base/log.h"
#include "base/mem.h"
#include "check.h"
#include "crypto/noise.h"
#include "crypto/sign.h"
#include "net/frame.h"
#include "net/host.h"

/* ---- frame.c, without sockets ---- */

static size_t make_frame(uint8_t *out, uint8_t type, uint8_t flags, uint32_t total,
                         const void *chunk, size_t n) {
    net_frame_header h = {type, flags, total};
    net_frame_header_encode(&h, out);
    if (n) memcpy(out + NET_FRAME_HEADER_BYTES, chunk, n);
    return NET_FRAME_HEADER_BYTES + n;
}

static void test_reassembly_rules(void) {
    net_reasm r;
    net_reasm_init(&r, 100);
    uint8_t f[200];
    bool done = false;
    /* A two-frame message. */
    CHECK_ERR(net_reasm_feed(&r, f, make_frame(f, 5, NET_FRAME_FIRST, 6, "abc", 3), &done),
              HANSA_OK);
    CHECK(!done);
    CHECK_ERR(net_reasm_feed(&r, f, make_frame(f, 5, NET_FRAME_LAST, 6, "def", 3), &done),
              HANSA_OK);
    CHECK(done && r.type == 5 && r.buf.len == 6 && memcmp(r.buf.data, "abcdef", 6) == 0);
    /* An empty message. */
    CHECK_ERR(net_reasm_feed(&r, f, make_frame(f, 1, 3, 0, NULL, 0), &done), HANSA_OK);
    CHECK(done && r.buf.len == 0);
    /* Each rule, on a fresh reassembler. */
    struct {
        uint8_t flags;
        uint32_t total;
        size_t n;
        hansa_err want;
    } bad[] = {
        {NET_FRAME_LAST, 3, 3, HANSA_ERR_PROTOCOL},  /* continuation with no FIRST */
        {NET_FRAME_FIRST | 0x04, 3, 3, HANSA_ERR_INVALID}, /* unknown flag bit */
        {NET_FRAME_FIRST | NET_FRAME_LAST, 101, 3, HANSA_ERR_TOO_LONG},
        {NET_FRAME_FIRST | NET_FRAME_LAST, 5, 3, HANSA_ERR_PROTOCOL}, /* ends short */
        {NET_FRAME_FIRST | NET_FRAME_LAST, 2, 3, HANSA_ERR_PROTOCOL}, /* overruns */
        {NET_FRAME_FIRST, 3, 3, HANSA_ERR_PROTOCOL},  /* full but not LAST */
        {NET_FRAME_FIRST, 3, 0, HANSA_ERR_PROTOCOL},  /* empty chunk */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        net_reasm q;
        net_reasm_init(&q, 100);
        size_t len = make_frame(f, 2, bad[i].flags & 3, bad[i].total, "xyz", bad[i].n);
        f[1] = bad[i].flags;
        CHECK_ERR(net_reasm_feed(&q, f, len, &done), bad[i].want);
        net_reasm_free(&q);
    }
    /* Type or total changing mid-message, FIRST inside a message, no header. */
    net_reasm q;
    net_reasm_init(&q, 100);
    CHECK_ERR(net_reasm_feed(&q, f, make_frame(f, 2, NET_FRAME_FIRST, 6, "abc", 3), &done),
              HANSA_OK);
    CHECK_ERR(net_reasm_feed(&q, f, make_frame(f, 3, NET_FRAME_LAST, 6, "abc", 3), &done),
              HANSA_ERR_PROTOCOL);
    net_reasm_free(&q);
    net_reasm_init(&q, 100);
    CHECK_ERR(net_reasm_feed(&q, f, make_frame(f, 2, NET_FRAME_FIRST, 6, "abc", 3), &done),
              HANSA_OK);
    CHECK_ERR(net_reasm_feed(&q, f, make_frame(f, 2, NET_FRAME_LAST, 7, "abc", 3), &done),
              HANSA_ERR_PROTOCOL);
    net_reasm_free(&q);
    net_reasm_init(&q, 100);
    CHECK_ERR(net_reasm_feed(&q, f, make_frame(f, 2, NET_FRAME_FIRST, 6, "abc", 3), &done),
              HANSA_OK);
    CHECK_ERR(net_reasm_feed(&q, f, make_frame(f, 2, NET_FRAME_FIRST, 6, "abc", 3), &done),
              HANSA_ERR_PROTOCOL);
    CHECK_ERR(net_reasm_feed(&q, f, 5, &done), HANSA_ERR_TRUNCATED);
    net_reasm_free(&q);
    net_reasm_free(&r);
}

/* After a large message the buffer goes back to a small one: a peer that
 * sent one big message must not pin its size for the link's lifetime. */
static void test_reassembly_shrinks(void) {
    net_reasm r;
    net_reasm_init(&r, 4u << 20);
    size_t big = 1u << 20, off = 0;
    uint8_t *f = hansa_malloc(NET_FRAME_HEADER_BYTES + NET_FRAME_CHUNK_MAX);
    uint8_t *chunk = hansa_calloc(1, NET_FRAME_CHUNK_MAX);
    bool done = false;
    while (off < big) {
        size_t n = big - off < NET_FRAME_CHUNK_MAX ? big - off : NET_FRAME_CHUNK_MAX;
        uint8_t flags = (off == 0 ? NET_FRAME_FIRST : 0) | (off + n == big ? NET_FRAME_LAST : 0);
        CHECK_ERR(net_reasm_feed(&r, f, make_frame(f, 3, flags, (uint32_t)big, chunk, n), &done),
                  HANSA_OK);
        off += n;
    }
    CHECK(done && r.buf.len == big);
    CHECK_ERR(net_reasm_feed(&r, f, make_frame(f, 4, 3, 5, "small", 5), &done), HANSA_OK);
    CHECK(done && r.buf.len == 5 && memcmp(r.buf.data, "small", 5) == 0);
    CHECK(r.buf.cap <= NET_REASM_KEEP_BYTES);
    net_reasm_free(&r);
    free(chunk);
    free(f);
}

static void test_stream_and_sizes(void) {
    uint8_t buf[10] = {0, 3, 'a', 'b', 'c', 0, 5, 'x'};
    const uint8_t *msg = NULL;
    size_t len = 0;
    CHECK_EQ_U64(net_stream_next(buf, 1, &msg, &len), 0);
    CHECK_EQ_U64(net_stream_next(buf, 4, &msg, &len), 0);
    CHECK_EQ_U64(net_stream_next(buf, 8, &msg, &len), 5);
    CHECK(len == 3 && msg == buf + 2);
    CHECK_EQ_U64(net_stream_next(buf + 5, 3, &msg, &len), 0);
    CHECK_EQ_U64(net_frame_count(0), 1);
    CHECK_EQ_U64(net_frame_count(NET_FRAME_CHUNK_MAX), 1);
    CHECK_EQ_U64(net_frame_count(NET_FRAME_CHUNK_MAX + 1), 2);
    CHECK_EQ_U64(net_frame_wire_bytes(10), 10 + 2 + 16 + 6);
}

/* ---- hosts on one loop ---- */

#define MAX_SEEN 8

typedef struct {
    const char *name;
    net_host *host;
    noise_keypair key;
    hansa_prng prng;
    net_peer *peers[MAX_SEEN];
    size_t n_peers;
    size_t ups, downs, msgs;
    uint8_t last_type;
    uint8_t *last; /* copy of the last message */
    size_t last_len;
    char last_down[64];
} node;

static void on_up(void *ctx, net_peer *p) {
    node *n = ctx;
    n->ups++;
    HANSA_ASSERT(n->n_peers < MAX_SEEN);
    n->peers[n->n_peers++] = p;
}

static void on_down(void *ctx, net_peer *p, const char *reason) {
    node *n = ctx;
    n->downs++;
    snprintf(n->last_down, sizeof n->last_down, "%s", reason);
    for (size_t i = 0; i < n->n_peers; i++)
        if (n->peers[i] == p) n->peers[i] = n->peers[--n->n_peers];
}

static void on_msg(void *ctx, net_peer *p, uint8_t type, const uint8_t *b, size_t len) {
    (void)p;
    node *n = ctx;
    n->msgs++;
    n->last_type = type;
    free(n->last);
    n->last = hansa_memdup(b, len);
    n->last_len = len;
}

static uv_loop_t loop;

static void node_init(node *n, const char *name, uint64_t seed) {
    memset(n, 0, sizeof *n);
    n->name = name;
    prng_seed(&n->prng, seed);
    uint8_t priv[32];
    prng_fill(&n->prng, priv, sizeof priv);
    noise_keypair_from_private(&n->key, priv);
}

/* A test's changes to the config of the next node_start (NULL: none). */
static void (*tweak)(net_config *cfg);

/* listen: "127.0.0.1:0" or a fixed port; dial: up to 2 ports (0 = none). */
static hansa_err node_start(node *n, const char *listen, int dial1, int dial2) {
    char d[2][32];
    const char *dial[2];
    size_t nd = 0;
    if (dial1) snprintf(d[nd], 32, "127.0.0.1:%d", dial1), dial[nd] = d[nd], nd++;
    if (dial2) snprintf(d[nd], 32, "127.0.0.1:%d", dial2), dial[nd] = d[nd], nd++;
    net_config cfg = {
        .listen_addr = listen,
        .dial = dial,
        .n_dial = nd,
        .identity = n->key,
        .rng = prng_as_rng(&n->prng),
        .max_message_bytes = 4u << 20,
        .send_queue_max_bytes = 9u << 20,
        .handshake_timeout_ms = 500,
        .backoff_min_ms = 10,
        .backoff_max_ms = 80,
        .keepalive_ms = 50,
        /* Long enough that a loaded machine stalling this process for a
         * moment does not make live links look silent. */
        .link_timeout_ms = 1500,
        .cb = {on_up, on_msg, on_down, n},
    };
    if (tweak) tweak(&cfg);
    return net_host_new(&loop, &cfg, &n->host);
}

static void node_stop(node *n) {
    if (n->host) net_host_destroy(n->host);
    n->host = NULL;
    free(n->last);
    n->last = NULL;
}

typedef bool (*pred_fn)(void *ctx);
typedef struct {
    pred_fn pred;
    void *ctx;
    uint64_t deadline;
    bool met;
} waiter;

static void wait_tick(uv_timer_t *t) {
    waiter *w = t->data;
    if (w->pred(w->ctx)) w->met = true;
    if (w->met || uv_now(t->loop) > w->deadline) uv_stop(t->loop);
}

/* Runs the loop until pred holds (returns true) or 10 s pass (false). */
static bool run_until(pred_fn pred, void *ctx) {
    waiter w = {pred, ctx, 0, false};
    uv_update_time(&loop);
    w.deadline = uv_now(&loop) + 10000;
    uv_timer_t t;
    uv_timer_init(&loop, &t);
    t.data = &w;
    uv_timer_start(&t, wait_tick, 1, 2);
    if (!pred(ctx)) uv_run(&loop, UV_RUN_DEFAULT);
    else w.met = true;
    uv_close((uv_handle_t *)&t, NULL);
    uv_run(&loop, UV_RUN_NOWAIT);
    return w.met;
}

typedef struct {
    node *a, *b, *c;
    size_t want_a, want_b, want_c; /* peers, or message counts */
} expect;

static bool peers_reached(void *ctx) {
    expect *e = ctx;
    return e->a->n_peers == e->want_a && e->b->n_peers == e->want_b &&
           (!e->c || e->c->n_peers == e->want_c);
}

static bool msgs_reached(void *ctx) {
    expect *e = ctx;
    return e->a->msgs >= e->want_a && e->b->msgs >= e->want_b && (!e->c || e->c->msgs >= e->want_c);
}

static void pattern(uint8_t *p, size_t n, uint8_t seed) {
    for (size_t i = 0; i < n; i++) p[i] = (uint8_t)(i * 31 + seed + (i >> 16));
}

/* A listens; B dials A; both come up knowing each other's key. */
static bool pair_up(node *a, node *b) {
    CHECK_ERR(node_start(a, "127.0.0.1:0", 0, 0), HANSA_OK);
    CHECK(net_host_port(a->host) != 0);
    CHECK_ERR(node_start(b, NULL, net_host_port(a->host), 0), HANSA_OK);
    expect e = {a, b, NULL, 1, 1, 0};
    bool ok = run_until(peers_reached, &e);
    CHECK(ok);
    return ok;
}

static void test_two_hosts_exchange(void) {
    node a, b;
    node_init(&a, "a", 1);
    node_init(&b, "b", 2);
    if (pair_up(&a, &b)) {
        CHECK(memcmp(net_peer_get_id(a.peers[0])->b, b.key.pub, 32) == 0);
        CHECK(memcmp(net_peer_get_id(b.peers[0])->b, a.key.pub, 32) == 0);
        CHECK(net_peer_outbound(b.peers[0]) && !net_peer_outbound(a.peers[0]));
        CHECK_ERR(net_send(b.peers[0], 7, "hello", 5), HANSA_OK);
        size_t big_len = 3u << 20;
        uint8_t *big = hansa_malloc(big_len);
        pattern(big, big_len, 9);
        CHECK_ERR(net_send(a.peers[0], 9, big, big_len), HANSA_OK);
        expect e = {&a, &b, NULL, 1, 1, 0};
        CHECK(run_until(msgs_reached, &e));
        CHECK(a.last_type == 7 && a.last_len == 5 && memcmp(a.last, "hello", 5) == 0);
        CHECK(b.last_type == 9 && b.last_len == big_len && memcmp(b.last, big, big_len) == 0);
        /* An empty message, and one just over the limit (refused locally). */
        CHECK_ERR(net_send(a.peers[0], 3, NULL, 0), HANSA_OK);
        e.want_b = 2;
        CHECK(run_until(msgs_reached, &e));
        CHECK(b.last_type == 3 && b.last_len == 0);
        CHECK_ERR(net_send(a.peers[0], 3, big, (4u << 20) + 1), HANSA_ERR_TOO_LONG);
        free(big);
    }
    CHECK_EQ_U64(net_host_protocol_drops(a.host), 0);
    node_stop(&a);
    node_stop(&b);
    uv_run(&loop, UV_RUN_DEFAULT);
}

static void test_broadcast_three_hosts(void) {
    node a, b, c;
    node_init(&a, "a", 11);
    node_init(&b, "b", 12);
    node_init(&c, "c", 13);
    CHECK_ERR(node_start(&a, "127.0.0.1:0", 0, 0), HANSA_OK);
    CHECK_ERR(node_start(&b, "127.0.0.1:0", net_host_port(a.host), 0), HANSA_OK);
    CHECK_ERR(node_start(&c, NULL, net_host_port(a.host), net_host_port(b.host)), HANSA_OK);
    expect e = {&a, &b, &c, 2, 2, 2};
    CHECK(run_until(peers_reached, &e));
    CHECK_EQ_U64(net_broadcast(a.host, 4, "all", 3, NULL), 2);
    e = (expect){&a, &b, &c, 0, 1, 1};
    CHECK(run_until(msgs_reached, &e));
    CHECK(b.last_len == 3 && c.last_len == 3 && c.last_type == 4);
    /* Except B: only C hears it; then a message from C proves B got nothing in between. */
    net_peer *to_b = memcmp(net_peer_get_id(a.peers[0])->b, b.key.pub, 32) == 0 ? a.peers[0]
                                                                                  : a.peers[1];
    CHECK_EQ_U64(net_broadcast(a.host, 5, "not b", 5, to_b), 1);
    e = (expect){&a, &b, &c, 0, 1, 2};
    CHECK(run_until(msgs_reached, &e));
    CHECK(c.last_type == 5);
    CHECK_EQ_U64(net_broadcast(c.host, 6, "from c", 6, NULL), 2);
    e = (expect){&a, &b, &c, 1, 2, 2};
    CHECK(run_until(msgs_reached, &e));
    CHECK(b.last_type == 6);
    CHECK_EQ_U64(b.msgs, 2);
    node_stop(&a);
    node_stop(&b);
    node_stop(&c);
    uv_run(&loop, UV_RUN_DEFAULT);
}

/* Bundled items of one loop turn arrive as one message, (len u32 | item)*,
 * before a message sent after them; an item of another type starts a new
 * bundle. */
static void test_bundles(void) {
    node a, b;
    node_init(&a, "a", 21);
    node_init(&b, "b", 22);
    if (pair_up(&a, &b)) {
        net_peer *p = a.peers[0];
        CHECK_ERR(net_send_bundled(p, 56, "one", 3), HANSA_OK);
        CHECK_ERR(net_send_bundled(p, 56, "two!", 4), HANSA_OK);
        expect e = {&a, &b, NULL, 0, 1, 0};
        CHECK(run_until(msgs_reached, &e));
        CHECK(b.msgs == 1 && b.last_type == 56 && b.last_len == 4 + 3 + 4 + 4);
        CHECK(le32_load(b.last) == 3 && memcmp(b.last + 4, "one", 3) == 0);
        CHECK(le32_load(b.last + 7) == 4 && memcmp(b.last + 11, "two!", 4) == 0);
        /* A message sent after an item goes after it; a new type, a new bundle. */
        CHECK_ERR(net_send_bundled(p, 56, "x", 1), HANSA_OK);
        CHECK_ERR(net_send(p, 7, "after", 5), HANSA_OK);
        CHECK_ERR(net_send_bundled(p, 57, "y", 1), HANSA_OK);
        e.want_b = 4;
        CHECK(run_until(msgs_reached, &e));
        CHECK(b.msgs == 4 && b.last_type == 57 && b.last_len == 5);
        CHECK_EQ_U64(net_broadcast_bundled(a.host, 56, "z", 1, p), 0); /* b is the only peer */
        CHECK(net_peer_is_up(p));
    }
    CHECK_EQ_U64(net_host_protocol_drops(b.host), 0);
    node_stop(&a);
    node_stop(&b);
    uv_run(&loop, UV_RUN_DEFAULT);
}

static bool b_reconnected(void *ctx) {
    node **n = ctx;
    return n[0]->n_peers == 1 && n[1]->n_peers == 1 && n[1]->ups == 2;
}

static bool b_lost_peer(void *ctx) { return ((node *)ctx)->downs >= 1; }

static void test_reconnect_after_restart(void) {
    node a, b;
    node_init(&a, "a", 21);
    node_init(&b, "b", 22);
    if (pair_up(&a, &b)) {
        char listen[32];
        snprintf(listen, sizeof listen, "127.0.0.1:%u", net_host_port(a.host));
        net_host_destroy(a.host);
        a.host = NULL;
        CHECK(run_until(b_lost_peer, &b));
        CHECK_EQ_U64(b.n_peers, 0);
        /* A comes back on the same port with the same key; B redials. */
        node_init(&a, "a", 21);
        CHECK_ERR(node_start(&a, listen, 0, 0), HANSA_OK);
        node *both[2] = {&a, &b};
        CHECK(run_until(b_reconnected, both));
        CHECK(memcmp(net_peer_get_id(b.peers[0])->b, a.key.pub, 32) == 0);
        CHECK_ERR(net_send(b.peers[0], 1, "again", 5), HANSA_OK);
        expect e = {&a, &b, NULL, 1, 0, 0};
        CHECK(run_until(msgs_reached, &e));
        CHECK(a.last_len == 5 && memcmp(a.last, "again", 5) == 0);
    }
    node_stop(&a);
    node_stop(&b);
    uv_run(&loop, UV_RUN_DEFAULT);
}

/* A peer that reads slower than this host sends: messages beyond the
 * send-queue bound are skipped (the protocol re-sends what matters), and
 * the link stays up: a burst (a big proposal to a peer on a slow line) must
 * not cut an honest link. */
static void test_slow_peer_skipped_not_dropped(void) {
    node a, b;
    node_init(&a, "a", 31);
    node_init(&b, "b", 32);
    if (pair_up(&a, &b)) {
        size_t len = 3u << 20;
        uint8_t *big = hansa_calloc(1, len);
        /* B does not read while the loop is not run: the third 3 MiB message
         * would take A's queue past 9 MiB, so it is skipped. */
        net_peer *p = a.peers[0];
        CHECK_ERR(net_send(p, 1, big, len), HANSA_OK);
        CHECK_ERR(net_send(p, 1, big, len), HANSA_OK);
        CHECK_ERR(net_send(p, 1, big, len), HANSA_ERR_FULL);
        CHECK_EQ_U64(a.downs, 0);
        CHECK_EQ_U64(a.n_peers, 1);
        expect e = {&a, &b, NULL, 0, 2, 0};
        CHECK(run_until(msgs_reached, &e));
        CHECK_ERR(net_send(p, 2, "after", 5), HANSA_OK);
        e.want_b = 3;
        CHECK(run_until(msgs_reached, &e));
        CHECK(b.last_type == 2 && b.last_len == 5);
        CHECK_EQ_U64(b.downs, 0);
        free(big);
    }
    node_stop(&a);
    node_stop(&b);
    uv_run(&loop, UV_RUN_DEFAULT);
}

static void test_drop_by_upper_layer(void) {
    node a, b;
    node_init(&a, "a", 41);
    node_init(&b, "b", 42);
    if (pair_up(&a, &b)) {
        net_peer_drop(a.peers[0], "banned for testing");
        CHECK_EQ_U64(a.downs, 1);
        CHECK(strcmp(a.last_down, "banned for testing") == 0);
        CHECK(run_until(b_lost_peer, &b));
        /* B is the dialer and redials; A (with no ban list of its own) accepts. */
        node *both[2] = {&a, &b};
        CHECK(run_until(b_reconnected, both));
    }
    node_stop(&a);
    node_stop(&b);
    uv_run(&loop, UV_RUN_DEFAULT);
}

/* Both dial each other: both ends settle on the one link dialed by the side
 * with the smaller static key (docs/protocol.md, duplicate links). */
static bool one_preferred_link(void *ctx) {
    node **n = ctx;
    node *a = n[0], *b = n[1];
    if (a->n_peers != 1 || b->n_peers != 1) return false;
    if (net_host_pending_count(a->host) || net_host_pending_count(b->host)) return false;
    bool a_smaller = memcmp(a->key.pub, b->key.pub, 32) < 0;
    return net_peer_outbound(a->peers[0]) == a_smaller &&
           net_peer_outbound(b->peers[0]) == !a_smaller;
}

static void test_dial_each_other_one_link(void) {
    node a, b, t;
    node_init(&t, "t", 70);
    /* Learn a free port for A, so B can be told to dial it before A exists. */
    CHECK_ERR(node_start(&t, "127.0.0.1:0", 0, 0), HANSA_OK);
    int port_a = net_host_port(t.host);
    node_stop(&t);
    uv_run(&loop, UV_RUN_DEFAULT);
    for (int swap = 0; swap < 2; swap++) { /* A's key smaller, then larger */
        node_init(&a, "a", swap ? 72 : 71);
        node_init(&b, "b", swap ? 71 : 72);
        char listen_a[32];
        snprintf(listen_a, sizeof listen_a, "127.0.0.1:%d", port_a);
        CHECK_ERR(node_start(&b, "127.0.0.1:0", port_a, 0), HANSA_OK);
        CHECK_ERR(node_start(&a, listen_a, net_host_port(b.host), 0), HANSA_OK);
        node *both[2] = {&a, &b};
        CHECK(run_until(one_preferred_link, both));
        if (a.n_peers == 1) CHECK_ERR(net_send(a.peers[0], 9, "one", 3), HANSA_OK);
        expect e = {&a, &b, NULL, 0, 1, 0};
        CHECK(run_until(msgs_reached, &e));
        CHECK_EQ_U64(net_host_protocol_drops(a.host) + net_host_protocol_drops(b.host), 0);
        node_stop(&a);
        node_stop(&b);
        uv_run(&loop, UV_RUN_DEFAULT);
    }
}

static void test_bad_config(void) {
    node a;
    node_init(&a, "a", 51);
    CHECK_ERR(node_start(&a, "localhost:1", 0, 0), HANSA_ERR_CONFIG);
    CHECK_ERR(node_start(&a, "127.0.0.1:99999", 0, 0), HANSA_ERR_CONFIG);
    CHECK_ERR(node_start(&a, "127.0.0.1", 0, 0), HANSA_ERR_CONFIG);
    uv_run(&loop, UV_RUN_DEFAULT); /* closes what the failed attempts opened */
}

/* ---- attackers on raw sockets, in a thread of their own ---- */

typedef struct {
    int port;
    hansa_prng prng;
    atomic_int done;
    int dropped; /* attacks that ended with the host closing the socket */
} attack;

/* Connects from 127.0.0.<from> (a host bans the addresses of peers that
 * break the protocol, so each attack comes from an address of its own). */
static int raw_connect_from(int port, int from) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    struct sockaddr_in src = {.sin_family = AF_INET};
    src.sin_addr.s_addr = htonl(0x7f000000u | (uint32_t)from);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&src, sizeof src) != 0 ||
        connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static atomic_int next_source = 10;

static int raw_connect(int port) {
    return raw_connect_from(port, 10 + atomic_fetch_add(&next_source, 1) % 240);
}

static bool raw_send(int fd, const void *p, size_t n) {
    return send(fd, p, n, MSG_NOSIGNAL) == (ssize_t)n;
}

/* True if the host closes the connection (EOF or reset) within the timeout. */
static bool closed_by_host(int fd) {
    uint8_t buf[4096];
    for (;;) {
        ssize_t r = recv(fd, buf, sizeof buf, 0);
        if (r == 0) return true;
        if (r < 0) return errno == ECONNRESET;
    }
}

static bool frame_send(int fd, const uint8_t *msg, size_t len) {
    uint8_t hdr[2] = {(uint8_t)(len >> 8), (uint8_t)len};
    return raw_send(fd, hdr, 2) && raw_send(fd, msg, len);
}

static bool frame_recv(int fd, uint8_t *msg, size_t *len) {
    uint8_t hdr[2];
    if (recv(fd, hdr, 2, MSG_WAITALL) != 2) return false;
    *len = ((size_t)hdr[0] << 8) | hdr[1];
    return recv(fd, msg, *len, MSG_WAITALL) == (ssize_t)*len;
}

/* A genuine XX handshake as initiator, so the attack can reach the frame layer. */
static int attacker_handshake_from(attack *at, noise_cipher *tx, int from) {
    int fd = from ? raw_connect_from(at->port, from) : raw_connect(at->port);
    if (fd < 0) return -1;
    hansa_rng rng = prng_as_rng(&at->prng);
    uint8_t priv[32], msg[512], pl[512];
    prng_fill(&at->prng, priv, 32);
    noise_keypair kp;
    noise_keypair_from_private(&kp, priv);
    noise_handshake hs;
    noise_cipher rx;
    size_t n = 0, m = 0;
    bool ok = noise_handshake_init(&hs, NOISE_XX, NOISE_INITIATOR, NET_PROLOGUE_DEFAULT,
                                   strlen(NET_PROLOGUE_DEFAULT), &kp, NULL, &rng) == HANSA_OK;
    ok = ok && noise_handshake_write(&hs, NULL, 0, msg, sizeof msg, &n) == HANSA_OK;
    ok = ok && frame_send(fd, msg, n) && frame_recv(fd, msg, &n);
    ok = ok && noise_handshake_read(&hs, msg, n, pl, sizeof pl, &m) == HANSA_OK;
    ok = ok && noise_handshake_write(&hs, NULL, 0, msg, sizeof msg, &n) == HANSA_OK;
    ok = ok && frame_send(fd, msg, n);
    if (!ok) {
        close(fd);
        return -1;
    }
    noise_handshake_split(&hs, tx, &rx);
    return fd;
}

static int attacker_handshake(attack *at, noise_cipher *tx) {
    return attacker_handshake_from(at, tx, 0);
}

static void attack_garbage(attack *at) {
    int fd = raw_connect(at->port);
    uint8_t junk[1000];
    prng_fill(&at->prng, junk, sizeof junk);
    junk[0] = 0, junk[1] = 200; /* a 200-byte "handshake message" of noise */
    if (fd >= 0 && raw_send(fd, junk, sizeof junk) && closed_by_host(fd)) at->dropped++;
    if (fd >= 0) close(fd);
}

static void attack_truncated_handshake(attack *at) {
    int fd = raw_connect(at->port);
    uint8_t part[12] = {0, 100}; /* announces 100 bytes, sends 10, then waits */
    if (fd >= 0 && raw_send(fd, part, sizeof part) && closed_by_host(fd)) at->dropped++;
    if (fd >= 0) close(fd);
}

static void attack_after_handshake(attack *at, bool oversize) {
    noise_cipher tx;
    int fd = attacker_handshake(at, &tx);
    if (fd < 0) return;
    uint8_t plain[64], ct[128];
    size_t n = 0;
    size_t len = make_frame(plain, 1, NET_FRAME_FIRST, (4u << 20) + 1, "x", 1);
    bool ok = noise_cipher_encrypt(&tx, NULL, 0, plain, len, ct, sizeof ct, &n) == HANSA_OK;
    if (!oversize) ct[3] ^= 0x40; /* the ciphertext no longer authenticates */
    if (ok && frame_send(fd, ct, n) && closed_by_host(fd)) at->dropped++;
    close(fd);
}

static void *attacker_main(void *arg) {
    attack *at = arg;
    attack_garbage(at);
    attack_truncated_handshake(at);
    attack_after_handshake(at, true);
    attack_after_handshake(at, false);
    atomic_store(&at->done, 1);
    return NULL;
}

static bool attack_over(void *ctx) { return atomic_load(&((attack *)ctx)->done) != 0; }

static void test_attackers_dropped(void) {
    node a, b;
    node_init(&a, "a", 61);
    node_init(&b, "b", 62);
    if (pair_up(&a, &b)) {
        attack at = {.port = net_host_port(a.host)};
        prng_seed(&at.prng, check_seed("test_attackers_dropped", 63));
        pthread_t t;
        CHECK(pthread_create(&t, NULL, attacker_main, &at) == 0);
        CHECK(run_until(attack_over, &at));
        pthread_join(t, NULL);
        CHECK_EQ_U64(at.dropped, 4);
        CHECK_EQ_U64(net_host_protocol_drops(a.host), 4);
        /* The two attackers that finished a handshake were peers for a
         * moment (up, then down); the honest link is untouched and still
         * carries messages. */
        CHECK_EQ_U64(a.ups, 3);
        CHECK_EQ_U64(a.downs, 2);
        CHECK_EQ_U64(b.downs, 0);
        CHECK_EQ_U64(a.n_peers, 1);
        CHECK_ERR(net_send(b.peers[0], 2, "still here", 10), HANSA_OK);
        expect e = {&a, &b, NULL, 1, 0, 0};
        CHECK(run_until(msgs_reached, &e));
        CHECK(a.last_len == 10 && memcmp(a.last, "still here", 10) == 0);
    }
    node_stop(&a);
    node_stop(&b);
    uv_run(&loop, UV_RUN_DEFAULT);
}

/* ---- link upkeep ---- */

typedef struct {
    uv_timer_t t;
    bool fired;
} sleeper;

static void sleeper_fire(uv_timer_t *t) { ((sleeper *)t->data)->fired = true; }
static bool sleeper_done(void *ctx) { return ((sleeper *)ctx)->fired; }

/* Runs the loop for about ms (a floor, not a measurement). */
static void run_for(uint64_t ms) {
    sleeper s = {.fired = false};
    uv_timer_init(&loop, &s.t);
    s.t.data = &s;
    uv_timer_start(&s.t, sleeper_fire, ms, 0);
    run_until(sleeper_done, &s);
    uv_close((uv_handle_t *)&s.t, NULL);
    uv_run(&loop, UV_RUN_NOWAIT);
}

/* Two hosts with nothing to say keep their link across many timeouts:
 * keepalives carry it, and the upper layer never sees them. */
static void test_idle_link_kept_alive(void) {
    node a, b;
    node_init(&a, "a", 81);
    node_init(&b, "b", 82);
    if (pair_up(&a, &b)) {
        run_for(4500); /* 3 link timeouts */
        CHECK_EQ_U64(a.downs + b.downs, 0);
        CHECK_EQ_U64(a.msgs + b.msgs, 0);
        net_peer_info info;
        net_peer_info_get(a.peers[0], &info);
        CHECK(info.heard_ms_ago < 1500);
        CHECK(!info.outbound && strncmp(info.addr, "127.0.0.1:", 10) == 0);
        net_peer_info all[4];
        CHECK_EQ_U64(net_host_peers(b.host, all, 4), 1);
        CHECK(all[0].outbound && memcmp(all[0].id.b, a.key.pub, 32) == 0);
    }
    node_stop(&a);
    node_stop(&b);
    uv_run(&loop, UV_RUN_DEFAULT);
}

/* A peer that completes the handshake and then falls silent (cut off
 * without a reset, as far as this host can tell) is closed after
 * link_timeout_ms instead of counting as connected for ever. */
static void *silent_main(void *arg) {
    attack *at = arg;
    noise_cipher tx;
    int fd = attacker_handshake(at, &tx);
    if (fd >= 0 && closed_by_host(fd)) at->dropped++;
    if (fd >= 0) close(fd);
    atomic_store(&at->done, 1);
    return NULL;
}

static void test_silent_link_closed(void) {
    node a, b;
    node_init(&a, "a", 91);
    node_init(&b, "b", 92);
    if (pair_up(&a, &b)) {
        attack at = {.port = net_host_port(a.host)};
        prng_seed(&at.prng, 93);
        pthread_t t;
        CHECK(pthread_create(&t, NULL, silent_main, &at) == 0);
        CHECK(run_until(attack_over, &at));
        pthread_join(t, NULL);
        CHECK_EQ_U64(at.dropped, 1);
        CHECK(strstr(a.last_down, "silent for") != NULL);
        CHECK_EQ_U64(a.n_peers, 1); /* the honest link, kept alive */
    }
    node_stop(&a);
    node_stop(&b);
    uv_run(&loop, UV_RUN_DEFAULT);
}

/* ---- eclipse resistance ---- */

/* An address that broke the protocol is refused at accept, before any
 * handshake work: a connection from it gets no handshake reply. Another
 * address is served as before. */
static void *ban_main(void *arg) {
    attack *at = arg;
    int fd = raw_connect_from(at->port, 200);
    uint8_t junk[300] = {0, 200};
    if (fd >= 0 && raw_send(fd, junk, sizeof junk) && closed_by_host(fd)) at->dropped++;
    if (fd >= 0) close(fd);
    /* Again from .200: a valid first handshake message, and no answer. */
    noise_cipher tx;
    fd = attacker_handshake_from(at, &tx, 200);
    if (fd < 0) at->dropped++;
    else close(fd);
    fd = attacker_handshake_from(at, &tx, 201);
    if (fd >= 0) at->dropped += 10; /* served: counted apart */
    if (fd >= 0) close(fd);
    atomic_store(&at->done, 1);
    return NULL;
}

static void test_banned_address_refused(void) {
    node a;
    node_init(&a, "a", 101);
    CHECK_ERR(node_start(&a, "127.0.0.1:0", 0, 0), HANSA_OK);
    attack at = {.port = net_host_port(a.host)};
    prng_seed(&at.prng, 102);
    pthread_t t;
    CHECK(pthread_create(&t, NULL, ban_main, &at) == 0);
    CHECK(run_until(attack_over, &at));
    pthread_join(t, NULL);
    CHECK_EQ_U64(at.dropped, 12); /* dropped, refused, then .201 served */
    CHECK_EQ_U64(net_host_protocol_drops(a.host), 1);
    node_stop(&a);
    uv_run(&loop, UV_RUN_DEFAULT);
}

static void two_inbound(net_config *cfg) { cfg->max_inbound = 2; }

static bool count_is(void *ctx) {
    size_t *want = ctx;
    return *(size_t *)want[0] == want[1];
}

static bool count_at_least(void *ctx) {
    size_t *want = ctx;
    return *(size_t *)want[0] >= want[1];
}

/* Inbound strangers are counted apart and bounded: a third one is refused
 * while the two links are fresh and clean; a reserved key gets in anyway;
 * a penalized stranger gives way to a newcomer. Counts are awaited, not
 * sampled: on a loaded machine a link may drop and be redialed meanwhile. */
static void test_inbound_limit_reserved_and_eviction(void) {
    node a, b, c, d, e;
    node_init(&a, "a", 111);
    node_init(&b, "b", 112);
    node_init(&c, "c", 113);
    node_init(&d, "d", 114);
    node_init(&e, "e", 115);
    tweak = two_inbound;
    CHECK_ERR(node_start(&a, "127.0.0.1:0", 0, 0), HANSA_OK);
    tweak = NULL;
    int port = net_host_port(a.host);
    CHECK_ERR(node_start(&b, NULL, port, 0), HANSA_OK);
    CHECK_ERR(node_start(&c, NULL, port, 0), HANSA_OK);
    size_t w[2] = {(size_t)&a.n_peers, 2};
    CHECK(run_until(count_is, w));
    CHECK_ERR(node_start(&d, NULL, port, 0), HANSA_OK);
    size_t wdd[2] = {(size_t)&d.downs, 1};
    CHECK(run_until(count_at_least, wdd)); /* its handshake completed on its side, then A closed it */
    CHECK(a.n_peers <= 2);
    net_peer_id rid;
    memcpy(rid.b, d.key.pub, 32);
    net_host_set_reserved(a.host, &rid, 1);
    size_t wd[2] = {(size_t)&d.n_peers, 1};
    CHECK(run_until(count_is, wd));
    size_t w3[2] = {(size_t)&a.n_peers, 3};
    CHECK(run_until(count_is, w3));
    /* E finds the stranger slots full; B is penalized and gives way. */
    CHECK_ERR(node_start(&e, NULL, port, 0), HANSA_OK);
    size_t wed[2] = {(size_t)&e.downs, 1};
    CHECK(run_until(count_at_least, wed));
    CHECK(run_until(count_is, w3));
    net_peer *to_b = NULL;
    for (size_t i = 0; i < a.n_peers; i++)
        if (memcmp(net_peer_get_id(a.peers[i])->b, b.key.pub, 32) == 0) to_b = a.peers[i];
    CHECK(to_b != NULL);
    if (to_b) net_peer_penalize(to_b, 5, "test");
    size_t we[2] = {(size_t)&e.n_peers, 1};
    CHECK(run_until(count_is, we));
    CHECK(strstr(a.last_down, "evicted") != NULL);
    CHECK(run_until(count_is, w3));
    net_peer_info info[8];
    size_t n = net_host_peers(a.host, info, 8), reserved = 0;
    for (size_t i = 0; i < n; i++) reserved += info[i].reserved;
    CHECK_EQ_U64(n, 3);
    CHECK_EQ_U64(reserved, 1);
    node_stop(&a);
    node_stop(&b);
    node_stop(&c);
    node_stop(&d);
    node_stop(&e);
    uv_run(&loop, UV_RUN_DEFAULT);
}

static void low_ban_score(net_config *cfg) { cfg->ban_score = 10; }

/* Penalty points add up to a ban: the peer is dropped, and its redials are
 * refused (its address is banned). */
static void test_penalties_ban(void) {
    node a, b;
    node_init(&a, "a", 121);
    node_init(&b, "b", 122);
    tweak = low_ban_score;
    bool up = pair_up(&a, &b);
    tweak = NULL;
    if (up) {
        for (int i = 0; i < 9; i++) net_peer_penalize(a.peers[0], 1, "refused tx");
        CHECK_EQ_U64(a.downs, 0);
        net_peer_penalize(a.peers[0], 1, "refused tx");
        CHECK_EQ_U64(a.downs, 1);
        CHECK(strstr(a.last_down, "score 10") != NULL);
        run_for(500); /* B redials every 10-80 ms: refused at accept each time */
        CHECK_EQ_U64(a.ups, 1);
        CHECK_EQ_U64(b.ups, 1);
    }
    node_stop(&a);
    node_stop(&b);
    uv_run(&loop, UV_RUN_DEFAULT);
}

/* Connections left half-open (a flood of them) cannot keep an honest peer
 * out: the oldest handshake gives way to each new connection. */
static void *half_open_main(void *arg) {
    attack *at = arg;
    int fds[64];
    size_t n = 0;
    for (int i = 0; i < 64; i++) {
        int fd = raw_connect(at->port);
        if (fd >= 0) fds[n++] = fd;
    }
    while (!atomic_load(&at->done)) usleep(10000);
    for (size_t i = 0; i < n; i++) close(fds[i]);
    return NULL;
}

static void slow_handshakes(net_config *cfg) { cfg->handshake_timeout_ms = 20000; }

static bool a_has_b(void *ctx) { return ((node *)ctx)->n_peers == 1; }

static void test_half_open_flood(void) {
    node a, b;
    node_init(&a, "a", 131);
    node_init(&b, "b", 132);
    tweak = slow_handshakes;
    CHECK_ERR(node_start(&a, "127.0.0.1:0", 0, 0), HANSA_OK);
    tweak = NULL;
    attack at = {.port = net_host_port(a.host)};
    pthread_t t;
    CHECK(pthread_create(&t, NULL, half_open_main, &at) == 0);
    run_for(300); /* the flood is in */
    CHECK(net_host_pending_count(a.host) >= 16);
    CHECK_ERR(node_start(&b, NULL, net_host_port(a.host), 0), HANSA_OK);
    CHECK(run_until(a_has_b, &a));
    atomic_store(&at.done, 1);
    pthread_join(t, NULL);
    node_stop(&a);
    node_stop(&b);
    uv_run(&loop, UV_RUN_DEFAULT);
}

int main(void) {
    crypto_init();
    log_set_level(LOG_WARN);
    HANSA_ASSERT(uv_loop_init(&loop) == 0);
    RUN(test_reassembly_rules);
    RUN(test_reassembly_shrinks);
    RUN(test_stream_and_sizes);
    RUN(test_two_hosts_exchange);
    RUN(test_broadcast_three_hosts);
    RUN(test_bundles);
    RUN(test_reconnect_after_restart);
    RUN(test_slow_peer_skipped_not_dropped);
    RUN(test_drop_by_upper_layer);
    RUN(test_dial_each_other_one_link);
    RUN(test_bad_config);
    RUN(test_attackers_dropped);
    RUN(test_idle_link_kept_alive);
    RUN(test_silent_link_closed);
    RUN(test_banned_address_refused);
    RUN(test_inbound_limit_reserved_and_eviction);
    RUN(test_penalties_ban);
    RUN(test_half_open_flood);
    CHECK(uv_loop_close(&loop) == 0);
    return check_summary();
}
