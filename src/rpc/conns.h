/* conns.h — the rpc server's book of its HTTP connections (internal to rpc/).
 *
 * libmicrohttpd accepts, parses and closes connections; this book decides
 * who gets one and notices clients that are gone, which MHD does badly on
 * its own:
 *
 *  - A client that closes its socket is noticed at once (a uv_poll per
 *    connection waiting for the peer's FIN, EPOLLRDHUP). MHD, driven with
 *    edge-triggered epoll, misses a FIN that arrives right behind the last
 *    bytes of a request and then waits out its idle timeout (30 s), so 500
 *    half-sent requests whose clients left kept every slot for minutes.
 *    A gone client's connection is shut down (MHD then closes it) and, if
 *    it was waiting for a deferred answer, that call is dropped.
 *  - Slots: max_connections for anyone, plus operator_reserve more that only
 *    local operators may use (a client connecting from 127.0.0.1 or ::1,
 *    the address an operator's `hansa` uses on the node's machine). A
 *    client from any other address holds at most max_per_client.
 *  - When the shared slots are full, a local operator takes a reserved slot
 *    while there is one; any other newcomer takes the slot of the
 *    connection that has waited longest without a request in progress (idle
 *    keep-alive, or connected and silent), else of the oldest one still
 *    sending a request after slow_request_ms (slowloris). Connections
 *    being answered, or waiting for a deferred answer, keep theirs. With
 *    nothing to take, the newcomer is refused at once (its socket closed)
 *    rather than left in the kernel's backlog.
 *
 * Everything runs on the server's loop thread. */
#ifndef HANSA_RPC_CONNS_H
#define HANSA_RPC_CONNS_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

/* Longest client address text (an IPv6 literal). */
#define RPC_CLIENT_TEXT_MAX 48

/* Where a connection is in its request cycle. */
typedef enum {
    CONN_IDLE,       /* no request in progress: just connected, or between keep-alive requests */
    CONN_REQUEST,    /* headers read, body coming */
    CONN_WAITING,    /* suspended until a deferred call is answered */
    CONN_RESPONDING, /* a response is queued or being sent */
} conn_phase;

typedef struct rpc_conn rpc_conn;
typedef struct rpc_conns rpc_conns;

/* Called when the client of c is gone while c waits for a deferred answer:
 * the server drops the waiting calls. c->exchange is the request. */
typedef void (*conns_gone_fn)(void *ctx, rpc_conn *c);
/* Called when one of the book's libuv handles has closed. */
typedef void (*conns_closed_fn)(void *ctx);

struct rpc_conn {
    rpc_conns *book;
    struct MHD_Connection *mhd;
    int fd;
    uv_poll_t hangup;    /* waits for the peer's FIN */
    bool watching;       /* hangup is started */
    bool operator_;      /* from 127.0.0.1 or ::1 */
    bool reserved;       /* holds one of the operators' reserved slots */
    bool shut;           /* shut down by the book; MHD is closing it */
    char client[RPC_CLIENT_TEXT_MAX];
    conn_phase phase;
    uint64_t phase_since_ms;
    uint64_t phase_seq;  /* order of phase changes: the book's clock ticks in ms */
    void *exchange;      /* server.c's request in flight, or NULL */
    rpc_conn *prev, *next;
};

/* The counters /metrics shows. */
typedef struct {
    uint64_t refused_per_client; /* over max_per_client */
    uint64_t refused_full;       /* no slot free and none to take */
    uint64_t evicted;            /* idle or slow connections whose slot a newcomer took */
    uint64_t gone;               /* clients noticed gone (closed their socket) */
} conns_counters;

struct rpc_conns {
    uv_loop_t *loop;
    unsigned max_connections, max_per_client, operator_reserve;
    uint64_t slow_request_ms;
    conns_gone_fn gone;
    conns_closed_fn closed;
    void *ctx;
    rpc_conn *head;
    unsigned open;          /* connections not shut down */
    unsigned reserved_open; /* of which in reserved slots */
    uint64_t seq;           /* phase changes so far */
    conns_counters counters;
};

/* The limits are rpc_config's (conns.h's file comment says what they do). */
void conns_init(rpc_conns *b, uv_loop_t *loop, unsigned max_connections, unsigned max_per_client,
                unsigned operator_reserve, uint64_t slow_request_ms, conns_gone_fn gone,
                conns_closed_fn closed, void *ctx);

/* MHD's accept policy: whether a client at addr gets a connection now
 * (taking an idle or slow connection's slot if need be). */
bool conns_admit(rpc_conns *b, const struct sockaddr *addr, socklen_t len);

/* MHD started connection mhd (socket fd, client addr): books it and starts
 * watching for the client's close. Returns the record, owned by the book. */
rpc_conn *conns_started(rpc_conns *b, struct MHD_Connection *mhd, int fd,
                        const struct sockaddr *addr);

/* MHD is closing c (its socket is still open): stops watching it; c is freed
 * once its handle has closed (closed is called then). */
void conns_closing(rpc_conns *b, rpc_conn *c);

/* c moved to phase (at now_ms). */
void conns_phase(rpc_conn *c, conn_phase phase);

/* Shuts c's socket down so that MHD closes it. */
void conns_shut(rpc_conn *c);

/* Connections open and not shut down. */
unsigned conns_open(const rpc_conns *b);

#endif
