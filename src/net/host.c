/* host.c — Noise-encrypted, framed peer links on libuv; see host.h.
 *
 * The idea: each TCP connection is a net_peer that moves through
 * CONNECTING -> HANDSHAKE -> UP -> CLOSING. Bytes from the socket land in one
 * fixed buffer per connection, just big enough for the largest Noise message
 * and its prefix; frame.c cuts them into Noise messages and reassembles
 * application messages. Nothing is freed while a callback may still hold it:
 * closing only changes state and asks libuv to close the handles, and the
 * memory goes in the last close callback. That is what makes it safe for
 * callbacks to drop peers or destroy the host in the middle of a read. */
#include "net/host.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/hex.h"
#include "base/log.h"
#include "base/mem.h"
#include "net/ban.h"
#include "net/frame.h"

#define INBUF_BYTES (NET_LEN_PREFIX_BYTES + NOISE_MSG_MAX)
/* A peer's messages of one loop turn go out in one write of up to this many
 * bytes: under load a node gossips thousands of small messages a second,
 * and a write (and the peer's wake-up and read) per message cost more CPU
 * than the messages themselves. A message at least this long is its own
 * write. */
#define COALESCE_BYTES (64u * 1024)
#define ADDR_TEXT_MAX 80

typedef enum { CONN_CONNECTING, CONN_HANDSHAKE, CONN_UP, CONN_CLOSING } conn_state;

typedef struct dial_slot {
    net_host *host;
    struct sockaddr_storage addr;
    char text[ADDR_TEXT_MAX];
    uv_timer_t timer;
    net_peer *conn;      /* the current outbound connection, or NULL */
    uint32_t backoff_ms; /* the next delay before jitter */
    bool has_id;         /* id of the peer last reached at this address */
    net_peer_id id;
} dial_slot;

struct net_peer {
    net_host *host;
    net_peer *prev, *next; /* host->conns, until freed */
    dial_slot *slot;       /* NULL for an inbound connection */
    conn_state state;
    bool has_id;      /* handshake finished: id is the remote static key */
    uv_tcp_t tcp;
    uv_timer_t timer; /* handshake deadline */
    uv_connect_t connect_req;
    int open_handles;
    noise_handshake hs;
    noise_cipher tx, rx;
    net_peer_id id;
    uint8_t *in; /* INBUF_BYTES */
    size_t in_len;
    net_reasm reasm;
    size_t queued_bytes; /* written to libuv, not yet confirmed */
    struct write_req *pend; /* sealed messages not yet handed to libuv, or NULL */
    size_t pend_cap;        /* bytes pend has room for */
    hbuf bundle;            /* net_send_bundled items of this loop turn, not yet sealed */
    uint8_t bundle_type;
    size_t bundle_items;
    uint64_t full_since_ms; /* the queue overflowed at this time and has not drained; 0: not */
    uint64_t skipped;    /* messages not sent because the queue was full */
    struct sockaddr_storage addr; /* the remote end */
    uint64_t up_at_ms;   /* handshake completed */
    uint64_t rx_at_ms;   /* last authenticated message received (keepalives count) */
    uint64_t tx_at_ms;   /* last message queued for sending */
    uint64_t app_rx_at_ms; /* last application message (not a keepalive), or up_at_ms */
    uint64_t created_ms;
    /* A configured peer or a key of the reserved set (the validators): its
     * link does not count against max_inbound, is never evicted for a
     * newcomer or for idling, and is never banned. Set when it comes up. */
    bool reserved;
    uint64_t score;      /* penalty points (net_peer_penalize), decaying */
    uint64_t score_at_ms;
};

struct net_host {
    uv_loop_t *loop;
    net_config cfg; /* defaults filled in */
    char *prologue;
    uv_tcp_t listener;
    bool listening;
    uint16_t port;
    dial_slot *slots;
    size_t n_slots;
    net_peer *conns;
    size_t n_up, n_pending;      /* every link, established and in handshake */
    size_t n_in_up, n_in_pending; /* inbound: established unreserved ones, handshakes */
    net_peer_id *reserved;       /* net_host_set_reserved */
    size_t n_reserved;
    net_bans bans;
    uint64_t protocol_drops;
    uint64_t skipped;   /* messages skipped on full send queues, all peers */
    uv_timer_t upkeep; /* keepalives and timeouts of established links */
    /* Both flush the coalesced writes: check after the loop's I/O
     * callbacks, prepare before it blocks for I/O (what timers and close
     * callbacks queued), so no message waits past one loop turn. */
    uv_prepare_t flush_prepare;
    uv_check_t flush_check;
    bool has_pend; /* some peer may have a pend */
    int open_handles; /* listener, slot timers, upkeep and the two flush handles */
    bool destroying;
    uint8_t *scratch; /* NOISE_MSG_MAX: decrypted input, or plaintext being sent */
};

/* A uv_write request and the bytes it carries, in one allocation. */
typedef struct write_req {
    uv_write_t req;
    net_peer *conn;
    size_t len;
    uint8_t data[];
} write_req;

static void conn_close(net_peer *c, const char *reason, bool protocol);
static void conn_flush(net_peer *c);
static void bundle_flush(net_peer *c);
static uint64_t peer_score(const net_peer *c, uint64_t now);
static bool conn_is_reserved(const net_host *h, const net_peer *c);
static bool inbound_admit(net_host *h, net_peer *c);

/* The loop's time, ms, monotonic. */
static uint64_t host_now(const net_host *h) { return uv_now(h->loop); }

/* ---- addresses ---- */

/* Parses "a.b.c.d:port" or "[v6]:port". */
static hansa_err parse_addr(const char *text, struct sockaddr_storage *out) {
    char host[ADDR_TEXT_MAX];
    const char *colon = strrchr(text, ':');
    if (!colon || strlen(text) >= ADDR_TEXT_MAX) return HANSA_ERR_CONFIG;
    char *end = NULL;
    long port = strtol(colon + 1, &end, 10);
    if (colon[1] < '0' || colon[1] > '9') return HANSA_ERR_CONFIG; /* strtol takes " +5" */
    if (*end != '\0' || port > 65535) return HANSA_ERR_CONFIG;
    size_t hlen = (size_t)(colon - text);
    memcpy(host, text, hlen);
    host[hlen] = '\0';
    memset(out, 0, sizeof *out);
    if (hlen >= 2 && host[0] == '[' && host[hlen - 1] == ']') {
        host[hlen - 1] = '\0';
        if (uv_ip6_addr(host + 1, (int)port, (struct sockaddr_in6 *)out) != 0)
            return HANSA_ERR_CONFIG;
        return HANSA_OK;
    }
    if (uv_ip4_addr(host, (int)port, (struct sockaddr_in *)out) != 0) return HANSA_ERR_CONFIG;
    return HANSA_OK;
}

static void addr_text(const struct sockaddr_storage *a, char *out, size_t len) {
    char ip[INET6_ADDRSTRLEN] = "?";
    if (a->ss_family == AF_INET6) {
        const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)a;
        uv_ip6_name(a6, ip, sizeof ip);
        snprintf(out, len, "[%s]:%u", ip, ntohs(a6->sin6_port));
    } else if (a->ss_family == AF_INET) {
        const struct sockaddr_in *a4 = (const struct sockaddr_in *)a;
        uv_ip4_name(a4, ip, sizeof ip);
        snprintf(out, len, "%s:%u", ip, ntohs(a4->sin_port));
    } else {
        snprintf(out, len, "?");
    }
}

/* A short name for logs: the first 8 bytes of the peer id, once known. */
static void conn_name(const net_peer *c, char out[17]) {
    if (c->has_id) hex_encode(c->id.b, 8, out);
    else snprintf(out, 17, "%s", c->slot ? "(outbound)" : "(inbound)");
}

/* ---- freeing, once libuv is done with every handle ---- */

static void host_maybe_free(net_host *h) {
    if (!h->destroying || h->open_handles > 0 || h->conns != NULL) return;
    for (size_t i = 0; i < h->n_slots; i++) HANSA_ASSERT(h->slots[i].conn == NULL);
    noise_keypair_wipe(&h->cfg.identity);
    free(h->slots);
    free(h->reserved);
    free(h->prologue);
    free(h->scratch);
    free(h);
}

static void conn_free(net_peer *c) {
    net_host *h = c->host;
    if (c->prev) c->prev->next = c->next;
    else h->conns = c->next;
    if (c->next) c->next->prev = c->prev;
    noise_handshake_wipe(&c->hs);
    noise_cipher_wipe(&c->tx);
    noise_cipher_wipe(&c->rx);
    net_reasm_free(&c->reasm);
    hbuf_free(&c->bundle);
    free(c->pend);
    free(c->in);
    free(c);
    host_maybe_free(h);
}

static void conn_handle_closed(uv_handle_t *handle) {
    net_peer *c = handle->data;
    HANSA_ASSERT(c->open_handles > 0);
    if (--c->open_handles == 0) conn_free(c);
}

static void host_handle_closed_of(net_host *h) {
    HANSA_ASSERT(h->open_handles > 0);
    h->open_handles--;
    host_maybe_free(h);
}

static void listener_closed(uv_handle_t *handle) { host_handle_closed_of(handle->data); }

static void slot_timer_closed(uv_handle_t *handle) {
    dial_slot *s = handle->data;
    host_handle_closed_of(s->host);
}

/* ---- dialing with backoff ---- */

static void slot_fire(uv_timer_t *t);

/* Schedules the next dial: "equal jitter" — half the backoff fixed, half
 * random — so peers that lost a common neighbour do not redial in step. */
static void slot_schedule(dial_slot *s, uint32_t backoff_ms) {
    net_host *h = s->host;
    if (h->destroying) return;
    uint32_t r = 0;
    rng_fill(&h->cfg.rng, &r, sizeof r);
    uint32_t half = backoff_ms / 2;
    uint64_t delay = half + (uint64_t)r % ((uint64_t)backoff_ms - half + 1);
    uint64_t next = (uint64_t)backoff_ms * 2;
    s->backoff_ms = next > h->cfg.backoff_max_ms ? h->cfg.backoff_max_ms : (uint32_t)next;
    uv_timer_start(&s->timer, slot_fire, delay, 0);
}

static net_peer *host_find_up(net_host *h, const net_peer_id *id) {
    for (net_peer *c = h->conns; c; c = c->next)
        if (c->state == CONN_UP && memcmp(c->id.b, id->b, NOISE_DH_BYTES) == 0) return c;
    return NULL;
}

static void conn_hs_timeout(uv_timer_t *t);

/* A new connection object with both handles initialised; linked into host. */
static net_peer *conn_new(net_host *h, dial_slot *slot) {
    net_peer *c = hansa_calloc(1, sizeof *c);
    c->host = h;
    c->slot = slot;
    c->in = hansa_malloc(INBUF_BYTES);
    net_reasm_init(&c->reasm, h->cfg.max_message_bytes);
    HANSA_ASSERT(uv_tcp_init(h->loop, &c->tcp) == 0);
    HANSA_ASSERT(uv_timer_init(h->loop, &c->timer) == 0);
    c->tcp.data = c;
    c->timer.data = c;
    c->open_handles = 2;
    c->next = h->conns;
    if (h->conns) h->conns->prev = c;
    h->conns = c;
    h->n_pending++;
    if (!slot) h->n_in_pending++;
    c->created_ms = host_now(h);
    uv_timer_start(&c->timer, conn_hs_timeout, h->cfg.handshake_timeout_ms, 0);
    return c;
}

static hansa_err conn_start_handshake(net_peer *c, noise_role role);

static void conn_connected(uv_connect_t *req, int status) {
    net_peer *c = req->data;
    if (c->state == CONN_CLOSING) return; /* closed while connecting (UV_ECANCELED) */
    if (status < 0) {
        LOG_D("net", "dial %s: %s", c->slot->text, uv_strerror(status));
        conn_close(c, "connect failed", false);
        return;
    }
    if (conn_start_handshake(c, NOISE_INITIATOR) != HANSA_OK)
        conn_close(c, "cannot start handshake", false);
}

static void slot_dial(dial_slot *s) {
    net_host *h = s->host;
    net_peer *c = conn_new(h, s);
    c->addr = s->addr;
    s->conn = c;
    c->state = CONN_CONNECTING;
    c->connect_req.data = c;
    int rc = uv_tcp_connect(&c->connect_req, &c->tcp, (const struct sockaddr *)&s->addr,
                            conn_connected);
    if (rc != 0) {
        LOG_W("net", "dial %s: %s", s->text, uv_strerror(rc));
        conn_close(c, "connect failed", false);
    }
}

static void slot_fire(uv_timer_t *t) {
    dial_slot *s = t->data;
    net_host *h = s->host;
    if (h->destroying || s->conn != NULL) return;
    /* Already linked to this peer through its own dial: check again later
     * rather than make a duplicate link that one side would close. */
    if (s->has_id && host_find_up(h, &s->id)) {
        uv_timer_start(&s->timer, slot_fire, h->cfg.backoff_max_ms, 0);
        return;
    }
    slot_dial(s);
}

/* ---- closing ---- */

static void conn_close(net_peer *c, const char *reason, bool protocol) {
    net_host *h = c->host;
    if (c->state == CONN_CLOSING) return;
    /* Bundled items go out like the messages already sealed (below); a
     * write that fails in doing so has closed the link already. */
    if (c->state == CONN_UP) bundle_flush(c);
    if (c->state == CONN_CLOSING) return;
    bool was_up = c->state == CONN_UP;
    c->state = CONN_CLOSING;
    if (was_up) h->n_up--;
    else h->n_pending--;
    if (was_up && !c->slot && !c->reserved) h->n_in_up--;
    if (!was_up && !c->slot) h->n_in_pending--;
    if (protocol) h->protocol_drops++;
    /* What this turn queued goes out first, as it did before the close
     * (a failed write re-enters here and returns: the state is CLOSING). */
    if (was_up) conn_flush(c);
    char name[17];
    conn_name(c, name);
    LOG_D("net", "closing %s: %s", name, reason);
    uv_close((uv_handle_t *)&c->tcp, conn_handle_closed);
    uv_close((uv_handle_t *)&c->timer, conn_handle_closed);
    if (c->slot) {
        dial_slot *s = c->slot;
        s->conn = NULL;
        slot_schedule(s, s->backoff_ms);
    }
    if (was_up && !h->destroying && h->cfg.cb.on_peer_down)
        h->cfg.cb.on_peer_down(h->cfg.cb.ctx, c, reason);
}

/* ---- bans ---- */

static void addr_subject(const struct sockaddr_storage *a, uint8_t out[NET_BAN_SUBJECT_BYTES]) {
    memset(out, 0, NET_BAN_SUBJECT_BYTES);
    if (a->ss_family == AF_INET6) {
        memcpy(out, &((const struct sockaddr_in6 *)a)->sin6_addr, 16);
    } else if (a->ss_family == AF_INET) {
        out[10] = out[11] = 0xff; /* v4-mapped */
        memcpy(out + 12, &((const struct sockaddr_in *)a)->sin_addr, 4);
    }
}

/* The addresses of configured peers are never banned: on a shared address
 * (loopback, a NAT) a stranger's ban would shut the operator's own peers
 * out. Their keys are reserved anyway. */
static bool addr_exempt(const net_host *h, const struct sockaddr_storage *a) {
    uint8_t x[NET_BAN_SUBJECT_BYTES], y[NET_BAN_SUBJECT_BYTES];
    addr_subject(a, x);
    for (size_t i = 0; i < h->n_slots; i++) {
        addr_subject(&h->slots[i].addr, y);
        if (memcmp(x, y, sizeof x) == 0) return true;
    }
    return false;
}

static bool addr_banned(net_host *h, const struct sockaddr_storage *a) {
    uint8_t x[NET_BAN_SUBJECT_BYTES];
    addr_subject(a, x);
    return !addr_exempt(h, a) && net_bans_has(&h->bans, NET_BAN_ADDR, x, host_now(h));
}

static bool key_banned(net_host *h, const net_peer_id *id) {
    return net_bans_has(&h->bans, NET_BAN_KEY, id->b, host_now(h));
}

/* Remembers c's key (once known) and address as misbehaving, unless it is
 * reserved or its address exempt; a configured peer is redialed only after
 * the longest backoff. */
static void conn_ban(net_peer *c) {
    net_host *h = c->host;
    uint64_t now = host_now(h);
    if (c->slot) c->slot->backoff_ms = h->cfg.backoff_max_ms;
    if (c->reserved) return;
    if (c->has_id) net_bans_add(&h->bans, NET_BAN_KEY, c->id.b, now);
    if (!addr_exempt(h, &c->addr)) {
        uint8_t x[NET_BAN_SUBJECT_BYTES];
        addr_subject(&c->addr, x);
        uint64_t d = net_bans_add(&h->bans, NET_BAN_ADDR, x, now);
        char text[64];
        addr_text(&c->addr, text, sizeof text);
        LOG_I("net", "banning %s for %llu s", text, (unsigned long long)(d / 1000));
    }
}

/* The remote broke the protocol: say what and why in the log, ban it,
 * close. */
static void conn_violation(net_peer *c, const char *what, hansa_err err) {
    char name[17];
    conn_name(c, name);
    LOG_I("net", "dropping %s: %s (%s)", name, what, hansa_strerror(err));
    conn_ban(c);
    conn_close(c, what, true);
}

static void conn_hs_timeout(uv_timer_t *t) {
    net_peer *c = t->data;
    if (c->state == CONN_CONNECTING) conn_close(c, "connect timeout", false);
    else if (c->state == CONN_HANDSHAKE) conn_violation(c, "handshake timeout", HANSA_ERR_STATE);
}

/* ---- writing ---- */

static void conn_written(uv_write_t *req, int status) {
    write_req *w = (write_req *)req;
    net_peer *c = w->conn;
    HANSA_ASSERT(c->queued_bytes >= w->len);
    c->queued_bytes -= w->len;
    /* Half the queue drained: the peer reads again. */
    if (c->queued_bytes <= c->host->cfg.send_queue_max_bytes / 2) c->full_since_ms = 0;
    free(w);
    if (status < 0 && c->state != CONN_CLOSING) conn_close(c, "write failed", false);
}

/* Hands w to libuv; it is freed in conn_written (or here on failure). */
static void conn_write(net_peer *c, write_req *w) {
    w->conn = c;
    c->tx_at_ms = host_now(c->host);
    uv_buf_t buf = uv_buf_init((char *)w->data, (unsigned)w->len);
    c->queued_bytes += w->len;
    int rc = uv_write(&w->req, (uv_stream_t *)&c->tcp, &buf, 1, conn_written);
    if (rc != 0) {
        c->queued_bytes -= w->len;
        free(w);
        conn_close(c, "write failed", false);
    }
}

static write_req *write_req_new(size_t len) {
    write_req *w = hansa_malloc(sizeof *w + len);
    w->len = len;
    return w;
}

static void put_len_prefix(uint8_t *p, size_t len) {
    HANSA_ASSERT(len <= NOISE_MSG_MAX);
    p[0] = (uint8_t)(len >> 8);
    p[1] = (uint8_t)len;
}

/* ---- handshake ---- */

static void conn_up(net_peer *c);

/* Writes the next handshake message (always with an empty payload). */
static void conn_hs_write(net_peer *c) {
    size_t max = NET_LEN_PREFIX_BYTES + noise_handshake_overhead(&c->hs), n = 0;
    write_req *w = write_req_new(max);
    hansa_err err = noise_handshake_write(&c->hs, NULL, 0, w->data + NET_LEN_PREFIX_BYTES,
                                          max - NET_LEN_PREFIX_BYTES, &n);
    if (err != HANSA_OK) {
        free(w);
        conn_violation(c, "handshake write failed", err);
        return;
    }
    put_len_prefix(w->data, n);
    w->len = NET_LEN_PREFIX_BYTES + n;
    conn_write(c, w);
    if (c->state == CONN_HANDSHAKE && noise_handshake_done(&c->hs)) conn_up(c);
}

static void conn_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf);
static void conn_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf);

static hansa_err conn_start_handshake(net_peer *c, noise_role role) {
    net_host *h = c->host;
    c->state = CONN_HANDSHAKE;
    hansa_err err = noise_handshake_init(&c->hs, NOISE_XX, role, h->prologue,
                                         strlen(h->prologue), &h->cfg.identity, NULL, &h->cfg.rng);
    if (err != HANSA_OK) return err;
    uv_tcp_nodelay(&c->tcp, 1); /* best effort: votes are small and urgent */
    if (uv_read_start((uv_stream_t *)&c->tcp, conn_alloc, conn_read) != 0) return HANSA_ERR_IO;
    if (role == NOISE_INITIATOR) conn_hs_write(c);
    return HANSA_OK;
}

/* Two links to one peer (both dialed at once, or a redial racing a link
 * that is not yet seen dead): both ends keep the link dialed by the side
 * with the smaller static key, and the newer one when both were dialed by
 * the same side. Returns true if c should replace `old`. */
static bool conn_preferred_over(const net_peer *c, const net_peer *old) {
    const uint8_t *own = c->host->cfg.identity.pub;
    bool own_smaller = memcmp(own, c->id.b, NOISE_DH_BYTES) < 0;
    bool c_by_smaller = (c->slot != NULL) == own_smaller;
    bool old_by_smaller = (old->slot != NULL) == own_smaller;
    return c_by_smaller || !old_by_smaller;
}

/* ---- who gets a slot ---- */

static bool id_in(const net_peer_id *ids, size_t n, const net_peer_id *id) {
    for (size_t i = 0; i < n; i++)
        if (memcmp(ids[i].b, id->b, NOISE_DH_BYTES) == 0) return true;
    return false;
}

/* Configured peers (dialed by us, or known by the key they showed when we
 * dialed them) and the reserved keys. */
static bool conn_is_reserved(const net_host *h, const net_peer *c) {
    if (c->slot) return true;
    for (size_t i = 0; i < h->n_slots; i++)
        if (h->slots[i].has_id && memcmp(h->slots[i].id.b, c->id.b, NOISE_DH_BYTES) == 0)
            return true;
    return id_in(h->reserved, h->n_reserved, &c->id);
}

/* An unreserved inbound link that may give way to a newcomer: it has a
 * penalty score, or it delivered no message for NET_EVICT_IDLE_MS (an
 * honest hansa peer sends STATUS every second). The worst such: highest
 * score, then idle longest. NULL if none may go. */
static net_peer *eviction_candidate(net_host *h) {
    uint64_t now = host_now(h);
    net_peer *best = NULL;
    uint64_t best_score = 0;
    for (net_peer *c = h->conns; c; c = c->next) {
        if (c->state != CONN_UP || c->slot || c->reserved) continue;
        uint64_t score = peer_score(c, now);
        if (score == 0 && now - c->app_rx_at_ms < NET_EVICT_IDLE_MS) continue;
        if (!best || score > best_score ||
            (score == best_score && c->app_rx_at_ms < best->app_rx_at_ms)) {
            best = c;
            best_score = score;
        }
    }
    return best;
}

/* An unreserved inbound link that just finished its handshake: refused if
 * its key is banned; if the inbound links are all taken, the worst
 * evictable one gives way, or else the newcomer is refused. Returns true
 * if c may come up (else c is closed). */
static bool inbound_admit(net_host *h, net_peer *c) {
    if (key_banned(h, &c->id)) {
        conn_close(c, "key banned", false);
        return false;
    }
    if (h->n_in_up < h->cfg.max_inbound) return true;
    net_peer *v = eviction_candidate(h);
    if (!v) {
        conn_close(c, "inbound links full", false);
        return false;
    }
    conn_close(v, "evicted for a newcomer (idle or scored)", false);
    return c->state != CONN_CLOSING; /* on_peer_down may have done anything */
}

static void conn_up(net_peer *c) {
    net_host *h = c->host;
    memcpy(c->id.b, noise_handshake_remote_static(&c->hs), NOISE_DH_BYTES);
    c->has_id = true;
    if (c->slot) {
        c->slot->has_id = true;
        c->slot->id = c->id;
    }
    if (memcmp(c->id.b, h->cfg.identity.pub, NOISE_DH_BYTES) == 0) {
        conn_close(c, "connected to itself", false);
        return;
    }
    net_peer *old = host_find_up(h, &c->id);
    if (old && !conn_preferred_over(c, old)) {
        conn_close(c, "duplicate link", false);
        return;
    }
    if (old) conn_close(old, "replaced by a newer link", false);
    if (c->state == CONN_CLOSING) return; /* a callback dropped it */
    c->reserved = conn_is_reserved(h, c);
    if (!c->slot && !c->reserved && !inbound_admit(h, c)) return;
    noise_handshake_split(&c->hs, &c->tx, &c->rx);
    uv_timer_stop(&c->timer);
    c->state = CONN_UP;
    c->up_at_ms = c->rx_at_ms = c->app_rx_at_ms = host_now(h);
    h->n_pending--;
    h->n_up++;
    if (!c->slot) h->n_in_pending--;
    if (!c->slot && !c->reserved) h->n_in_up++;
    if (c->slot) c->slot->backoff_ms = h->cfg.backoff_min_ms;
    char name[17];
    conn_name(c, name);
    LOG_D("net", "peer %s up (%s)", name, c->slot ? c->slot->text : "inbound");
    if (h->cfg.cb.on_peer_up) h->cfg.cb.on_peer_up(h->cfg.cb.ctx, c);
}

static void conn_hs_read(net_peer *c, const uint8_t *msg, size_t len) {
    size_t n = 0;
    hansa_err err = noise_handshake_read(&c->hs, msg, len, c->host->scratch, NOISE_MSG_MAX, &n);
    if (err != HANSA_OK) {
        conn_violation(c, "bad handshake message", err);
        return;
    }
    /* Version 1 sends empty handshake payloads; anything else is not ours. */
    if (n != 0) {
        conn_violation(c, "non-empty handshake payload", HANSA_ERR_PROTOCOL);
        return;
    }
    if (noise_handshake_done(&c->hs)) conn_up(c);
    else conn_hs_write(c);
}

/* ---- reading ---- */

static void conn_transport_read(net_peer *c, const uint8_t *msg, size_t len) {
    net_host *h = c->host;
    size_t n = 0;
    hansa_err err = noise_cipher_decrypt(&c->rx, NULL, 0, msg, len, h->scratch, NOISE_MSG_MAX, &n);
    if (err != HANSA_OK) {
        conn_violation(c, "transport message does not decrypt", err);
        return;
    }
    c->rx_at_ms = host_now(h);
    bool done = false;
    err = net_reasm_feed(&c->reasm, h->scratch, n, &done);
    if (err != HANSA_OK) {
        conn_violation(c, "bad frame", err);
        return;
    }
    /* A keepalive is link upkeep: that it was heard is all it says. */
    if (done && c->reasm.type == NET_MSG_KEEPALIVE) return;
    if (done) c->app_rx_at_ms = c->rx_at_ms;
    if (done && h->cfg.cb.on_message)
        h->cfg.cb.on_message(h->cfg.cb.ctx, c, c->reasm.type, c->reasm.buf.data, c->reasm.buf.len);
}

static void conn_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf) {
    (void)suggested;
    net_peer *c = handle->data;
    /* Whole messages are consumed after every read, so what stays is a
     * prefix of one message and there is always room for more. */
    HANSA_ASSERT(c->in_len < INBUF_BYTES);
    *buf = uv_buf_init((char *)c->in + c->in_len, (unsigned)(INBUF_BYTES - c->in_len));
}

static void conn_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf) {
    (void)buf;
    net_peer *c = stream->data;
    if (c->state == CONN_CLOSING) return;
    if (nread < 0) {
        conn_close(c, nread == UV_EOF ? "closed by peer" : uv_strerror((int)nread), false);
        return;
    }
    c->in_len += (size_t)nread;
    HANSA_ASSERT(c->in_len <= INBUF_BYTES);
    size_t off = 0;
    while (c->state == CONN_HANDSHAKE || c->state == CONN_UP) {
        const uint8_t *msg = NULL;
        size_t len = 0, used = net_stream_next(c->in + off, c->in_len - off, &msg, &len);
        if (used == 0) break;
        off += used;
        if (c->state == CONN_HANDSHAKE) conn_hs_read(c, msg, len);
        else conn_transport_read(c, msg, len);
    }
    if (c->state == CONN_CLOSING) return;
    memmove(c->in, c->in + off, c->in_len - off);
    c->in_len -= off;
}

/* ---- sending ---- */

/* Frames, encrypts and length-prefixes a whole message into out, which
 * has room for net_frame_wire_bytes(len). */
static void conn_seal(net_peer *c, uint8_t type, const uint8_t *data, size_t len, uint8_t *out) {
    size_t frames = net_frame_count(len);
    uint8_t *start = out, *plain = c->host->scratch;
    for (size_t i = 0, off = 0; i < frames; i++) {
        size_t chunk = len - off < NET_FRAME_CHUNK_MAX ? len - off : NET_FRAME_CHUNK_MAX;
        net_frame_header hdr = {type, 0, (uint32_t)len};
        if (i == 0) hdr.flags |= NET_FRAME_FIRST;
        if (i + 1 == frames) hdr.flags |= NET_FRAME_LAST;
        net_frame_header_encode(&hdr, plain);
        if (chunk) memcpy(plain + NET_FRAME_HEADER_BYTES, data + off, chunk);
        size_t n = 0;
        HANSA_ASSERT(noise_cipher_encrypt(&c->tx, NULL, 0, plain, NET_FRAME_HEADER_BYTES + chunk,
                                          out + NET_LEN_PREFIX_BYTES, NOISE_MSG_MAX,
                                          &n) == HANSA_OK);
        put_len_prefix(out, n);
        out += NET_LEN_PREFIX_BYTES + n;
        off += chunk;
    }
    HANSA_ASSERT((size_t)(out - start) == net_frame_wire_bytes(len));
}

/* Hands c's coalesced messages to libuv as one write. */
static void conn_flush(net_peer *c) {
    write_req *w = c->pend;
    if (!w) return;
    c->pend = NULL;
    c->pend_cap = 0;
    conn_write(c, w);
}

/* Flushes every peer's coalesced messages (the loop turn's sends). A
 * failed write closes its link, whose on_peer_down may send to others
 * (has_pend is set again) or destroy the host (links are freed only in
 * later close callbacks, so the walk stays valid). */
static void host_flush(net_host *h) {
    if (!h->has_pend) return;
    h->has_pend = false;
    for (net_peer *c = h->conns; c; c = c->next) {
        if (c->state == CONN_UP) bundle_flush(c);
        if (c->state == CONN_UP) conn_flush(c);
    }
}

static void flush_on_prepare(uv_prepare_t *p) { host_flush(p->data); }
static void flush_on_check(uv_check_t *k) { host_flush(k->data); }

/* Room for `more` bytes after c's pending ones, in a buffer grown by
 * doubling up to COALESCE_BYTES. */
static void pend_reserve(net_peer *c, size_t more) {
    size_t used = c->pend ? c->pend->len : 0;
    if (used + more <= c->pend_cap) return;
    size_t cap = c->pend_cap ? 2 * c->pend_cap : 4096;
    while (cap < used + more) cap *= 2;
    write_req *w = hansa_realloc(c->pend, sizeof *w + cap);
    if (!c->pend) w->len = 0;
    c->pend = w;
    c->pend_cap = cap;
}

/* Seals the message after c's pending ones; it goes out with them at the
 * end of the loop turn. A long one (or one that would make the write too
 * long) flushes what is pending first, and a long one is written at once. */
static void conn_enqueue(net_peer *c, uint8_t type, const uint8_t *data, size_t len) {
    size_t wire = net_frame_wire_bytes(len);
    c->tx_at_ms = host_now(c->host);
    if (c->pend && c->pend->len + wire > COALESCE_BYTES) conn_flush(c);
    if (c->state != CONN_UP) return; /* the flush's write failed: closed */
    if (wire >= COALESCE_BYTES) {
        write_req *w = write_req_new(wire);
        conn_seal(c, type, data, len, w->data);
        conn_write(c, w);
        return;
    }
    pend_reserve(c, wire);
    conn_seal(c, type, data, len, c->pend->data + c->pend->len);
    c->pend->len += wire;
    c->host->has_pend = true;
}

/* net_send without the bundle: the message goes after what is queued. */
static hansa_err send_now(net_peer *c, uint8_t type, const void *data, size_t len) {
    net_host *h = c->host;
    HANSA_ASSERT(data != NULL || len == 0);
    if (c->state != CONN_UP) return HANSA_ERR_STATE;
    if (len > h->cfg.max_message_bytes) return HANSA_ERR_TOO_LONG;
    /* A burst the peer cannot take yet (a big proposal on a slow line) is
     * skipped, not a reason to cut an honest link: the protocol re-sends
     * what matters. A peer that stops reading for good is closed by the
     * upkeep tick once its queue has stayed full for link_timeout_ms. */
    size_t pending = c->pend ? c->pend->len : 0;
    if (c->queued_bytes + pending + net_frame_wire_bytes(len) > h->cfg.send_queue_max_bytes) {
        if (!c->full_since_ms) c->full_since_ms = host_now(h);
        c->skipped++;
        h->skipped++;
        return HANSA_ERR_FULL;
    }
    conn_enqueue(c, type, data, len);
    return c->state == CONN_UP ? HANSA_OK : HANSA_ERR_STATE;
}

/* Sends c's bundle as one message (skipped as a whole if the queue is
 * full, as any message is). */
static void bundle_flush(net_peer *c) {
    size_t items = c->bundle_items;
    if (items == 0) return;
    c->bundle_items = 0;
    if (send_now(c, c->bundle_type, c->bundle.data, c->bundle.len) == HANSA_ERR_FULL) {
        c->skipped += items - 1; /* send_now counted the bundle as one */
        c->host->skipped += items - 1;
    }
    hbuf_reset(&c->bundle);
}

hansa_err net_send(net_peer *c, uint8_t type, const void *data, size_t len) {
    bundle_flush(c); /* what was bundled before this message goes before it */
    hansa_err err = send_now(c, type, data, len);
    /* Only bundled items wait for the end of the loop turn: a vote or a
     * proposal held until the turn's other reads were judged (each perhaps
     * a bundle of signatures to check) would add that wait to every round. */
    if (c->state == CONN_UP) conn_flush(c);
    return err;
}

hansa_err net_send_bundled(net_peer *c, uint8_t type, const void *data, size_t len) {
    HANSA_ASSERT(len > 0 && len <= NET_BUNDLE_BYTES_MAX - 4);
    if (c->state != CONN_UP) return HANSA_ERR_STATE;
    if (c->bundle_items && (c->bundle_type != type || c->bundle_items == NET_BUNDLE_ITEMS_MAX ||
                            c->bundle.len + 4 + len > NET_BUNDLE_BYTES_MAX))
        bundle_flush(c);
    if (c->state != CONN_UP) return HANSA_ERR_STATE;
    c->bundle_type = type;
    hbuf_put_u32(&c->bundle, (uint32_t)len);
    hbuf_append(&c->bundle, data, len);
    c->bundle_items++;
    c->host->has_pend = true;
    return HANSA_OK;
}

size_t net_broadcast_bundled(net_host *h, uint8_t type, const void *data, size_t len,
                             const net_peer *except) {
    size_t sent = 0;
    for (net_peer *c = h->conns; c; c = c->next) {
        if (c == except || c->state != CONN_UP) continue;
        if (net_send_bundled(c, type, data, len) == HANSA_OK) sent++;
    }
    return sent;
}

bool net_peer_is_up(const net_peer *c) { return c->state == CONN_UP; }

size_t net_broadcast(net_host *h, uint8_t type, const void *data, size_t len,
                     const net_peer *except) {
    size_t sent = 0;
    for (net_peer *c = h->conns; c; c = c->next) {
        if (c == except || c->state != CONN_UP) continue;
        if (net_send(c, type, data, len) == HANSA_OK) sent++;
    }
    return sent;
}

void net_peer_drop(net_peer *c, const char *reason) { conn_close(c, reason, false); }

void net_peer_ban(net_peer *c, const char *reason) {
    if (c->state == CONN_CLOSING) return;
    conn_ban(c);
    conn_close(c, reason, false);
}

/* The score after decay: NET_SCORE_DECAY_PER_S points a second. */
static uint64_t peer_score(const net_peer *c, uint64_t now) {
    uint64_t decay = (now - c->score_at_ms) * NET_SCORE_DECAY_PER_S / 1000;
    return c->score > decay ? c->score - decay : 0;
}

void net_peer_penalize(net_peer *c, uint32_t points, const char *reason) {
    if (c->state != CONN_UP) return;
    uint64_t now = host_now(c->host);
    c->score = peer_score(c, now) + points;
    c->score_at_ms = now;
    if (c->reserved || c->score < c->host->cfg.ban_score) return;
    char why[128];
    snprintf(why, sizeof why, "score %llu: %s", (unsigned long long)c->score, reason);
    net_peer_ban(c, why);
}

void net_host_set_reserved(net_host *h, const net_peer_id *ids, size_t n) {
    free(h->reserved);
    h->reserved = n ? hansa_memdup(ids, n * sizeof *ids) : NULL;
    h->n_reserved = n;
    for (net_peer *c = h->conns; c; c = c->next) {
        if (c->state != CONN_UP || c->slot) continue;
        bool now_reserved = conn_is_reserved(h, c);
        if (now_reserved == c->reserved) continue;
        c->reserved = now_reserved;
        if (now_reserved) h->n_in_up--;
        else h->n_in_up++;
    }
}

const net_peer_id *net_peer_get_id(const net_peer *c) { return &c->id; }
bool net_peer_outbound(const net_peer *c) { return c->slot != NULL; }

/* ---- upkeep: keepalives and timeouts ---- */

/* Every established link, on each tick: a keepalive if this side has sent
 * nothing for keepalive_ms (so the remote hears from us even when idle),
 * and closed if nothing was heard from it for link_timeout_ms (a peer cut
 * off without a TCP reset, or gone silent) or its send queue has stayed
 * full that long (it no longer reads); an unreserved inbound link that
 * delivered no application message for inbound_idle_ms is closed too. */
static void host_upkeep(uv_timer_t *t) {
    net_host *h = t->data;
    uint64_t now = host_now(h), timeout = h->cfg.link_timeout_ms;
    for (net_peer *c = h->conns; c; c = c->next) {
        if (c->state != CONN_UP) continue;
        char why[64];
        if (now - c->rx_at_ms >= timeout) {
            snprintf(why, sizeof why, "silent for %llu ms",
                     (unsigned long long)(now - c->rx_at_ms));
            conn_close(c, why, false);
        } else if (c->full_since_ms && now - c->full_since_ms >= timeout) {
            snprintf(why, sizeof why, "not reading: send queue full for %llu ms",
                     (unsigned long long)(now - c->full_since_ms));
            conn_close(c, why, false);
        } else if (!c->slot && !c->reserved && now - c->app_rx_at_ms >= h->cfg.inbound_idle_ms) {
            snprintf(why, sizeof why, "idle: no message for %llu ms",
                     (unsigned long long)(now - c->app_rx_at_ms));
            conn_close(c, why, false);
        } else if (now - c->tx_at_ms >= h->cfg.keepalive_ms) {
            net_send(c, NET_MSG_KEEPALIVE, NULL, 0);
        }
    }
}

static void upkeep_closed(uv_handle_t *handle) { host_handle_closed_of(handle->data); }

void net_peer_info_get(const net_peer *c, net_peer_info *out) {
    uint64_t now = host_now(c->host);
    memset(out, 0, sizeof *out);
    out->id = c->id;
    out->outbound = c->slot != NULL;
    addr_text(&c->addr, out->addr, sizeof out->addr);
    out->up_ms = now - c->up_at_ms;
    out->heard_ms_ago = now - c->rx_at_ms;
    out->queued_bytes = c->queued_bytes + (c->pend ? c->pend->len : 0);
    out->skipped = c->skipped;
    out->reserved = c->reserved;
    out->score = peer_score(c, now);
}

size_t net_host_peers(const net_host *h, net_peer_info *out, size_t max) {
    size_t k = 0;
    for (const net_peer *c = h->conns; c && k < max; c = c->next)
        if (c->state == CONN_UP) net_peer_info_get(c, &out[k++]);
    return k;
}

uint64_t net_host_skipped(const net_host *h) { return h->skipped; }

/* ---- the host ---- */

static void host_accept(uv_stream_t *server, int status) {
    net_host *h = server->data;
    if (status < 0 || h->destroying) return;
    net_peer *c = conn_new(h, NULL);
    c->state = CONN_HANDSHAKE; /* for conn_close's counting until it starts */
    int alen = sizeof c->addr;
    if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0 ||
        uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&c->addr, &alen) != 0) {
        conn_close(c, "accept failed", false);
        return;
    }
    /* Accept first (to drain the backlog), then refuse a banned address
     * before spending anything on it. */
    if (addr_banned(h, &c->addr)) {
        conn_close(c, "address banned", false);
        return;
    }
    /* Handshakes in progress are bounded; when all are taken the oldest
     * gives way, so connections left half-open cannot keep out honest
     * handshakes, which finish in a round trip. */
    if (h->n_in_pending > h->cfg.max_pending) {
        net_peer *oldest = NULL;
        for (net_peer *o = h->conns; o; o = o->next)
            if (o != c && !o->slot && o->state == CONN_HANDSHAKE) oldest = o; /* newest first */
        if (oldest) conn_close(oldest, "handshakes full: the oldest gives way", false);
    }
    if (conn_start_handshake(c, NOISE_RESPONDER) != HANSA_OK)
        conn_close(c, "cannot start handshake", false);
}

static void config_defaults(net_config *cfg) {
    if (!cfg->max_inbound) cfg->max_inbound = 24;
    if (!cfg->max_pending) cfg->max_pending = 16;
    if (!cfg->inbound_idle_ms) cfg->inbound_idle_ms = 120000;
    if (!cfg->ban_ms) cfg->ban_ms = 60000;
    if (!cfg->ban_max_ms) cfg->ban_max_ms = 3600000;
    if (!cfg->ban_score) cfg->ban_score = 1000;
    if (!cfg->max_message_bytes) cfg->max_message_bytes = NET_MESSAGE_MAX_DEFAULT;
    if (!cfg->send_queue_max_bytes)
        cfg->send_queue_max_bytes = 2 * net_frame_wire_bytes(cfg->max_message_bytes);
    if (!cfg->handshake_timeout_ms) cfg->handshake_timeout_ms = 10000;
    if (!cfg->backoff_min_ms) cfg->backoff_min_ms = 250;
    if (!cfg->backoff_max_ms) cfg->backoff_max_ms = 30000;
    if (!cfg->keepalive_ms) cfg->keepalive_ms = 5000;
    if (!cfg->link_timeout_ms) cfg->link_timeout_ms = 30000;
}

static hansa_err config_check(const net_config *cfg) {
    if (cfg->max_message_bytes > NET_MESSAGE_MAX_CEILING) return HANSA_ERR_CONFIG;
    if (cfg->send_queue_max_bytes < net_frame_wire_bytes(cfg->max_message_bytes))
        return HANSA_ERR_CONFIG;
    if (cfg->backoff_min_ms > cfg->backoff_max_ms) return HANSA_ERR_CONFIG;
    if (cfg->keepalive_ms >= cfg->link_timeout_ms) return HANSA_ERR_CONFIG;
    if (cfg->ban_ms > cfg->ban_max_ms) return HANSA_ERR_CONFIG;
    if (strlen(cfg->prologue ? cfg->prologue : "") > NOISE_PROLOGUE_MAX) return HANSA_ERR_CONFIG;
    if (cfg->rng.fill == NULL) return HANSA_ERR_CONFIG;
    return HANSA_OK;
}

static hansa_err host_listen(net_host *h, const char *text) {
    struct sockaddr_storage addr;
    if (parse_addr(text, &addr) != HANSA_OK) {
        LOG_E("net", "listen address '%s' is not ip:port", text);
        return HANSA_ERR_CONFIG;
    }
    HANSA_ASSERT(uv_tcp_init(h->loop, &h->listener) == 0);
    h->listener.data = h;
    h->open_handles++;
    h->listening = true;
    int rc = uv_tcp_bind(&h->listener, (const struct sockaddr *)&addr, 0);
    if (rc == 0) rc = uv_listen((uv_stream_t *)&h->listener, 128, host_accept);
    if (rc != 0) {
        LOG_E("net", "listen on %s: %s", text, uv_strerror(rc));
        return HANSA_ERR_IO;
    }
    struct sockaddr_storage bound;
    int len = sizeof bound;
    HANSA_ASSERT(uv_tcp_getsockname(&h->listener, (struct sockaddr *)&bound, &len) == 0);
    h->port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
                                                : ((struct sockaddr_in *)&bound)->sin_port);
    return HANSA_OK;
}

static hansa_err host_slots(net_host *h, const net_config *cfg) {
    h->slots = hansa_calloc(cfg->n_dial, sizeof *h->slots);
    for (size_t i = 0; i < cfg->n_dial; i++) {
        dial_slot *s = &h->slots[i];
        if (parse_addr(cfg->dial[i], &s->addr) != HANSA_OK) {
            LOG_E("net", "peer address '%s' is not ip:port", cfg->dial[i]);
            return HANSA_ERR_CONFIG;
        }
        snprintf(s->text, sizeof s->text, "%s", cfg->dial[i]);
        s->host = h;
        s->backoff_ms = h->cfg.backoff_min_ms;
        HANSA_ASSERT(uv_timer_init(h->loop, &s->timer) == 0);
        s->timer.data = s;
        h->open_handles++;
        h->n_slots++;
        uv_timer_start(&s->timer, slot_fire, 0, 0);
    }
    return HANSA_OK;
}

hansa_err net_host_new(uv_loop_t *loop, const net_config *cfg_in, net_host **out) {
    net_config cfg = *cfg_in;
    config_defaults(&cfg);
    hansa_err err = config_check(&cfg);
    if (err != HANSA_OK) return err;
    net_host *h = hansa_calloc(1, sizeof *h);
    h->loop = loop;
    h->cfg = cfg;
    h->cfg.dial = NULL; /* copied into slots */
    h->prologue = hansa_strdup(cfg.prologue ? cfg.prologue : NET_PROLOGUE_DEFAULT);
    net_bans_init(&h->bans, cfg.ban_ms, cfg.ban_max_ms);
    h->scratch = hansa_malloc(NOISE_MSG_MAX);
    HANSA_ASSERT(uv_timer_init(loop, &h->upkeep) == 0);
    h->upkeep.data = h;
    h->open_handles++;
    /* Often enough that a timeout is noticed within a tenth of itself. */
    uint64_t tick = cfg.keepalive_ms / 2 < cfg.link_timeout_ms / 10 ? cfg.keepalive_ms / 2
                                                                     : cfg.link_timeout_ms / 10;
    if (tick == 0) tick = 1;
    uv_timer_start(&h->upkeep, host_upkeep, tick, tick);
    HANSA_ASSERT(uv_prepare_init(loop, &h->flush_prepare) == 0);
    HANSA_ASSERT(uv_check_init(loop, &h->flush_check) == 0);
    h->flush_prepare.data = h->flush_check.data = h;
    h->open_handles += 2;
    uv_prepare_start(&h->flush_prepare, flush_on_prepare);
    uv_check_start(&h->flush_check, flush_on_check);
    /* They run every loop turn but are no reason for the loop to go on. */
    uv_unref((uv_handle_t *)&h->flush_prepare);
    uv_unref((uv_handle_t *)&h->flush_check);
    if (cfg.listen_addr) err = host_listen(h, cfg.listen_addr);
    if (err == HANSA_OK) err = host_slots(h, &cfg);
    if (err != HANSA_OK) {
        net_host_destroy(h);
        return err;
    }
    *out = h;
    return HANSA_OK;
}

void net_host_destroy(net_host *h) {
    if (h->destroying) return;
    h->destroying = true;
    for (net_peer *c = h->conns; c; c = c->next) conn_close(c, "host shutting down", false);
    for (size_t i = 0; i < h->n_slots; i++)
        uv_close((uv_handle_t *)&h->slots[i].timer, slot_timer_closed);
    uv_close((uv_handle_t *)&h->upkeep, upkeep_closed);
    uv_close((uv_handle_t *)&h->flush_prepare, upkeep_closed);
    uv_close((uv_handle_t *)&h->flush_check, upkeep_closed);
    if (h->listening) uv_close((uv_handle_t *)&h->listener, listener_closed);
    host_maybe_free(h);
}

uint16_t net_host_port(const net_host *h) { return h->port; }
size_t net_host_peer_count(const net_host *h) { return h->n_up; }
size_t net_host_pending_count(const net_host *h) { return h->n_pending; }
uint64_t net_host_protocol_drops(const net_host *h) { return h->protocol_drops; }
