/* host.h — encrypted, framed peer links on libuv: a net_host listens, dials
 * the peers in its configuration (and redials them with exponential backoff
 * and jitter), runs the Noise_XX handshake on every connection, and then
 * carries typed application messages of up to a configured size
 * (frame.h, docs/protocol.md). It does not know what messages mean.
 *
 * Identity: a peer is named by its Noise static public key (X25519), which
 * hansa derives from the node's Ed25519 identity key
 * (noise_keypair_from_ed25519); noise_pubkey_from_ed25519 gives the id a
 * known validator must present. One key to keep, and an upper layer can map
 * a link to a validator without a second key registry.
 *
 * Robustness: every length from the network is bounded before it is
 * stored; a connection that sends a bad frame, fails decryption or the
 * handshake, or does not finish the handshake in time is closed and the
 * host goes on. Each peer's queue of unsent bytes is bounded: a message
 * that would overflow it is skipped, so a slow reader cannot grow memory.
 * Links carry keepalives; one silent for link_timeout_ms is closed, so a
 * peer cut off without a TCP reset does not count as connected.
 *
 * Eclipse resistance: configured peers and the reserved keys (the
 * validators) never compete with strangers. Outbound links are bounded by
 * the dial list alone; inbound strangers are counted apart (max_inbound),
 * and when they are all taken an idle or penalized one gives way to a
 * newcomer; handshakes in progress are bounded and the oldest gives way;
 * misbehaviour bans key and address (ban.h) and backs off redials.
 *
 * Threading: everything runs on the caller's uv loop thread; callbacks are
 * called from the loop. Callbacks may call any function here, including
 * net_peer_drop and net_host_destroy. */
#ifndef HANSA_NET_HOST_H
#define HANSA_NET_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "base/err.h"
#include "base/rng.h"
#include "crypto/noise.h"

#define NET_PROLOGUE_DEFAULT "hansa/noise/v1"
/* Link upkeep: an empty message the host sends when it has sent nothing
 * for keepalive_ms and consumes on receipt (never passed to on_message).
 * Types 8-15 are the link's (docs/protocol.md); 8 is the only one used. */
#define NET_MSG_KEEPALIVE 8
#define NET_MESSAGE_MAX_DEFAULT (24u * 1024 * 1024) /* a full block with margin */

/* A peer id: the remote Noise static public key. */
typedef struct {
    uint8_t b[NOISE_DH_BYTES];
} net_peer_id;

typedef struct net_host net_host;
typedef struct net_peer net_peer;

typedef struct {
    /* Called when a handshake completes and the link is usable. */
    void (*on_peer_up)(void *ctx, net_peer *peer);
    /* A whole message; bytes are borrowed for the duration of the call. */
    void (*on_message)(void *ctx, net_peer *peer, uint8_t type, const uint8_t *bytes,
                       size_t len);
    /* The link is gone (either side closed it, an error, or net_peer_drop);
     * peer is invalid once this returns. Not called by net_host_destroy. */
    void (*on_peer_down)(void *ctx, net_peer *peer, const char *reason);
    void *ctx;
} net_callbacks;

typedef struct {
    /* "ip:port" (IPv4, or "[ipv6]:port"); port 0 picks a free port (see
     * net_host_port). NULL: do not listen. Numeric only, no DNS. */
    const char *listen_addr;
    /* Peers to keep a link to, same syntax; copied. */
    const char *const *dial;
    size_t n_dial;
    noise_keypair identity;   /* static key; copied */
    const char *prologue;     /* NULL: NET_PROLOGUE_DEFAULT; peers must agree */
    /* Randomness for ephemeral keys and backoff jitter: a CSPRNG in a node
     * (crypto_os_rng), seeded in tests. Must outlive the host. */
    hansa_rng rng;
    /* Established inbound links from strangers (neither configured nor
     * reserved); 0: 24. Outbound links are bounded by the dial list and
     * reserved peers by the reserved set, so neither competes for these. */
    size_t max_inbound;
    /* Inbound connections still in handshake; 0: 16. When all are taken
     * the oldest gives way to a new one. */
    size_t max_pending;
    size_t max_message_bytes;     /* 0: NET_MESSAGE_MAX_DEFAULT; <= 2^32-1 */
    size_t send_queue_max_bytes;  /* 0: wire size of 2 largest messages */
    uint32_t handshake_timeout_ms; /* 0: 10000 */
    uint32_t backoff_min_ms;      /* 0: 250 */
    uint32_t backoff_max_ms;      /* 0: 30000 */
    uint32_t keepalive_ms;        /* 0: 5000; send KEEPALIVE after this long without sending */
    /* 0: 30000; close a link that sent nothing for this long, or whose
     * send queue stayed full this long. > keepalive_ms. */
    uint32_t link_timeout_ms;
    /* 0: 120000; close an unreserved inbound link that delivered no
     * application message for this long. */
    uint32_t inbound_idle_ms;
    uint32_t ban_ms;              /* 0: 60000; first ban, doubled per repeat ... */
    uint32_t ban_max_ms;          /* 0: 3600000; ... up to this */
    uint32_t ban_score;           /* 0: 1000 penalty points ban an unreserved peer */
    net_callbacks cb;
} net_config;

/* An unreserved inbound link idle this long (no application message) may
 * be evicted to make room for a newcomer. */
#define NET_EVICT_IDLE_MS 10000
/* Penalty points forgiven per second (net_peer_penalize). */
#define NET_SCORE_DECAY_PER_S 50

/* What status pages show about a link. */
typedef struct {
    net_peer_id id;
    bool outbound;
    char addr[64];          /* the remote "ip:port" */
    uint64_t up_ms;         /* since the handshake completed */
    uint64_t heard_ms_ago;  /* since its last message (keepalives count) */
    size_t queued_bytes;    /* waiting to be written to it */
    uint64_t skipped;       /* messages not sent to it: its queue was full */
    bool reserved;          /* configured or a reserved key: never evicted or banned */
    uint64_t score;         /* penalty points, after decay */
} net_peer_info;

/* Creates a host on loop, binds and listens, and schedules the first dial
 * of each peer at once. Returns HANSA_ERR_CONFIG for an address that does
 * not parse or a bound that cannot work (send queue smaller than one
 * message), HANSA_ERR_IO if bind/listen fails. *out is set only on success. */
hansa_err net_host_new(uv_loop_t *loop, const net_config *cfg, net_host **out);

/* Closes every link, the listener and the timers, without calling
 * on_peer_down; the memory is freed once libuv has closed every handle, so
 * the caller keeps running the loop (uv_run returns when nothing is left).
 * host is invalid after this call. */
void net_host_destroy(net_host *host);

/* The port the listener is bound to (useful with port 0), or 0. */
uint16_t net_host_port(const net_host *host);
/* Established links, and connections still in handshake. */
size_t net_host_peer_count(const net_host *host);
size_t net_host_pending_count(const net_host *host);
/* Connections closed because the remote broke the protocol (bad handshake,
 * bad frame, failed decryption, oversize length, handshake timeout). */
uint64_t net_host_protocol_drops(const net_host *host);

/* Queues a message of len bytes (data is copied and encrypted now) and
 * hands it to the socket at once, after the peer's bundled items. Returns
 * HANSA_ERR_TOO_LONG above max_message_bytes, HANSA_ERR_STATE if the peer
 * is closing, HANSA_ERR_FULL if the send queue would overflow: the message
 * is then skipped and the link kept (a burst must not cut an honest link;
 * one whose queue stays full for link_timeout_ms is closed). */
hansa_err net_send(net_peer *peer, uint8_t type, const void *data, size_t len);

/* Sends to every established peer except `except` (may be NULL); returns how
 * many peers it was queued for (not those whose queue was full). */
size_t net_broadcast(net_host *host, uint8_t type, const void *data, size_t len,
                     const net_peer *except);

/* Bundling: small messages of one kind that a node sends by the thousand
 * (transactions) cost less as one message. An item queued with
 * net_send_bundled waits in the peer's bundle until the end of the loop
 * turn, or until any other message is sent to that peer (which then goes
 * after it), the bundle holds NET_BUNDLE_ITEMS_MAX items or 64 KiB, or an
 * item of another type comes. The bundle goes out as one message of the
 * items' type whose payload is every item behind its length:
 * (len u32 LE | item)*, len >= 1. The receiver must know that the type is a
 * bundle (net/ passes it up like any message). Returns HANSA_ERR_STATE if
 * the peer is closing; a full queue skips the bundle as a whole. */
#define NET_BUNDLE_ITEMS_MAX 1024
#define NET_BUNDLE_BYTES_MAX (64u * 1024) /* the bundle's payload, items' lengths included */
hansa_err net_send_bundled(net_peer *peer, uint8_t type, const void *data, size_t len);
size_t net_broadcast_bundled(net_host *host, uint8_t type, const void *data, size_t len,
                             const net_peer *except);

/* True while the link is established (not closing). */
bool net_peer_is_up(const net_peer *peer);

/* Closes the link at the upper layer's request: calls on_peer_down with
 * reason before returning. No-op for a closing peer. */
void net_peer_drop(net_peer *peer, const char *reason);

/* Closes the link for misbehaviour and bans the peer's key and address
 * (ban_ms, doubled per repeat up to ban_max_ms): a banned address is
 * refused at accept, before any handshake work, and a banned key once its
 * handshake shows it. Reserved peers are not banned and the addresses of
 * configured peers never are; a configured peer is redialed only after
 * backoff_max_ms. The host bans protocol violations by itself. */
void net_peer_ban(net_peer *peer, const char *reason);

/* Adds penalty points to an established link (forgiven at
 * NET_SCORE_DECAY_PER_S): the upper layer's verdict on traffic that is
 * useless but not provably malicious. At ban_score an unreserved peer is
 * banned (net_peer_ban); a scored link is the first evicted for a
 * newcomer. */
void net_peer_penalize(net_peer *peer, uint32_t points, const char *reason);

/* The reserved keys (the validator set's, from the upper layer); copied,
 * replacing the last call's. Links to them and to configured peers never
 * compete with strangers for slots, are never evicted or banned. */
void net_host_set_reserved(net_host *host, const net_peer_id *ids, size_t n);

/* Messages skipped on full send queues since start, all peers. */
uint64_t net_host_skipped(const net_host *host);
/* Fills out[0..max) with the established links; returns how many. */
size_t net_host_peers(const net_host *host, net_peer_info *out, size_t max);
void net_peer_info_get(const net_peer *peer, net_peer_info *out);

/* The remote static key; valid while the peer is. */
const net_peer_id *net_peer_get_id(const net_peer *peer);
/* True if this host dialed the link. */
bool net_peer_outbound(const net_peer *peer);

#endif
