/* conns.c — see conns.h. */
#include "rpc/conns.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "base/assert.h"
#include "base/log.h"
#include "base/mem.h"

void conns_init(rpc_conns *b, uv_loop_t *loop, unsigned max_connections, unsigned max_per_client,
                unsigned operator_reserve, uint64_t slow_request_ms, conns_gone_fn gone,
                conns_closed_fn closed, void *ctx) {
    HANSA_ASSERT(max_connections > 0);
    HANSA_ASSERT(max_per_client > 0);
    memset(b, 0, sizeof *b);
    b->loop = loop;
    b->max_connections = max_connections;
    b->max_per_client = max_per_client;
    b->operator_reserve = operator_reserve;
    b->slow_request_ms = slow_request_ms;
    b->gone = gone;
    b->closed = closed;
    b->ctx = ctx;
}

/* The client's address as text (the per-client key), and whether it is a
 * local operator's: 127.0.0.1 or ::1 (also as ::ffff:127.0.0.1). Not all of
 * 127/8: a test (or a local proxy) can stand for remote clients by binding
 * to 127.0.0.2. */
static bool client_of(const struct sockaddr *addr, char out[RPC_CLIENT_TEXT_MAX]) {
    out[0] = '\0';
    if (addr->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)addr;
        inet_ntop(AF_INET, &in->sin_addr, out, RPC_CLIENT_TEXT_MAX);
        return ntohl(in->sin_addr.s_addr) == INADDR_LOOPBACK;
    }
    if (addr->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)addr;
        inet_ntop(AF_INET6, &in6->sin6_addr, out, RPC_CLIENT_TEXT_MAX);
        if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr)) return true;
        static const uint8_t v4_loopback[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1};
        return memcmp(&in6->sin6_addr, v4_loopback, 16) == 0;
    }
    return false;
}

static unsigned per_client(const rpc_conns *b, const char *client) {
    unsigned n = 0;
    for (const rpc_conn *c = b->head; c; c = c->next) n += !c->shut && strcmp(c->client, client) == 0;
    return n;
}

/* The connection whose slot a newcomer may take: the longest idle one, else
 * the oldest still sending its request after slow_request_ms. */
static rpc_conn *victim(const rpc_conns *b) {
    uint64_t now = uv_now(b->loop);
    rpc_conn *idle = NULL, *slow = NULL;
    for (rpc_conn *c = b->head; c; c = c->next) {
        if (c->shut || c->reserved) continue;
        if (c->phase == CONN_IDLE && (!idle || c->phase_seq < idle->phase_seq)) idle = c;
        if (c->phase == CONN_REQUEST && now - c->phase_since_ms >= b->slow_request_ms &&
            (!slow || c->phase_seq < slow->phase_seq))
            slow = c;
    }
    return idle ? idle : slow;
}

bool conns_admit(rpc_conns *b, const struct sockaddr *addr, socklen_t len) {
    (void)len;
    char client[RPC_CLIENT_TEXT_MAX];
    bool op = client_of(addr, client);
    if (!op && per_client(b, client) >= b->max_per_client) {
        b->counters.refused_per_client++;
        LOG_D("rpc", "refusing a connection from %s: %u open, the most one client may hold",
              client, b->max_per_client);
        return false;
    }
    if (b->open - b->reserved_open < b->max_connections) return true;
    if (op && b->reserved_open < b->operator_reserve) return true;
    rpc_conn *v = victim(b);
    if (v) {
        LOG_D("rpc", "slots full: closing %s connection from %s for a newcomer from %s",
              v->phase == CONN_IDLE ? "an idle" : "a slow", v->client, client);
        b->counters.evicted++;
        conns_shut(v);
        return true;
    }
    b->counters.refused_full++;
    LOG_D("rpc", "refusing a connection from %s: every slot is busy", client);
    return false;
}

static void on_hangup(uv_poll_t *h, int status, int events) {
    rpc_conn *c = h->data;
    if (status >= 0 && !(events & UV_DISCONNECT)) return;
    uv_poll_stop(h);
    c->watching = false;
    if (c->shut) return;
    c->book->counters.gone++;
    /* A client that half-closed after its whole request may still read the
     * answer being sent; anything else can never be answered. */
    if (c->phase == CONN_RESPONDING) return;
    LOG_D("rpc", "client %s closed its connection; closing ours", c->client);
    if (c->phase == CONN_WAITING) c->book->gone(c->book->ctx, c);
    conns_shut(c);
}

rpc_conn *conns_started(rpc_conns *b, struct MHD_Connection *mhd, int fd,
                        const struct sockaddr *addr) {
    rpc_conn *c = hansa_calloc(1, sizeof *c);
    c->book = b;
    c->mhd = mhd;
    c->fd = fd;
    c->operator_ = client_of(addr, c->client);
    c->reserved = b->open - b->reserved_open >= b->max_connections;
    HANSA_ASSERT(!c->reserved || c->operator_);
    c->phase = CONN_IDLE;
    c->phase_since_ms = uv_now(b->loop);
    c->phase_seq = ++b->seq;
    b->open++;
    b->reserved_open += c->reserved;
    c->next = b->head;
    if (c->next) c->next->prev = c;
    b->head = c;
    HANSA_ASSERT(uv_poll_init_socket(b->loop, &c->hangup, fd) == 0);
    c->hangup.data = c;
    HANSA_ASSERT(uv_poll_start(&c->hangup, UV_DISCONNECT, on_hangup) == 0);
    c->watching = true;
    return c;
}

static void conn_freed(uv_handle_t *h) {
    rpc_conn *c = h->data;
    rpc_conns *b = c->book;
    free(c);
    b->closed(b->ctx);
}

/* Takes c out of the slot counts (once). */
static void conn_release(rpc_conn *c) {
    if (c->shut) return;
    c->shut = true;
    HANSA_ASSERT(c->book->open > 0);
    c->book->open--;
    if (c->reserved) c->book->reserved_open--;
}

void conns_closing(rpc_conns *b, rpc_conn *c) {
    conn_release(c);
    if (c->prev) c->prev->next = c->next;
    else b->head = c->next;
    if (c->next) c->next->prev = c->prev;
    /* uv_close stops the poll at once, before MHD closes the socket. */
    uv_close((uv_handle_t *)&c->hangup, conn_freed);
}

void conns_phase(rpc_conn *c, conn_phase phase) {
    c->phase = phase;
    c->phase_since_ms = uv_now(c->book->loop);
    c->phase_seq = ++c->book->seq;
}

void conns_shut(rpc_conn *c) {
    conn_release(c);
    /* The socket's new state (EOF both ways) wakes MHD's epoll, and MHD's
     * next read or write on it fails, so MHD closes the connection. */
    shutdown(c->fd, SHUT_RDWR);
}

unsigned conns_open(const rpc_conns *b) { return b->open; }
