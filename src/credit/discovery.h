/* discovery.h — route discovery between sites (seed 003 "Route Discovery
 * Protocol"; a site is a chain): does value have a way from an entry entity
 * to a target, and with what capacity? Sans-I/O state machine per site,
 * the bytes of its messages, and the view a site builds from its tallies;
 * nodes carry the messages between chains (rpc/route_api.h,
 * cmd/lib/route_driver.h; docs/credit.md "Route discovery").
 *
 * A site knows only its own ledger: from an entity on it, which local
 * entities it can reach (its segments, with their path capacity) and which
 * foreign tallies leave from them (to an entity on another site). A search
 * goes upstream, against the flow of queries' answers:
 *
 *   query   search id | entry (site, key) | target (site, key) | ttl
 *   answer  search id | entry (site, key) | ttl | found | capacity (min,
 *           max, margin) | hops
 *
 * The search id is 16 random bytes per search: queries name no originator
 * (the entry is the entity the value would arrive at on the receiving site),
 * and each site answers the site that asked, so the answer retraces the
 * query's path without any site learning more than its neighbours. Bounds:
 * a query travels at most ttl <= DISC_TTL_MAX site hops; a site forwards
 * at most DISC_FORWARD_MAX queries: first one per neighbouring site (its
 * widest way there), then, while there is room, the next widest ways to
 * other entries of those sites (an entry may reach the target where the
 * widest way's cannot). It keeps at most DISC_SEARCHES_MAX open searches
 * (more are answered "none"), each a fixed-size slot, sends a query still
 * unanswered halfway to its deadline once more (it or its answer may have
 * been lost), and gives up waiting after timeout_ms x (ttl + 1) /
 * (DISC_TTL_MAX + 1), answering with what it has: a site further upstream
 * gives up sooner, so its late answer still reaches a site that waits.
 *
 * An answer names the query it answers (entry and ttl), so a site that
 * asked one entry several times (with different ttls, or from several of
 * its own entries) knows which search it is for. A site takes a search id
 * once per entry, and again only with more ttl left than any time before (a
 * shorter branch arriving after a longer one may reach what the longer could
 * not): a search of its own at that ttl, beside one still open. Every other
 * arrival is answered at once with the widest route found from that entry
 * so far that fits the query's ttl (remembered with the id, the widest per
 * hop count), or "none"; a search takes an answer only when its route fits
 * its own ttl. A search only waits on searches
 * taken with one ttl less, so none waits on itself and loops end; per entry
 * ttl only grows, so a site takes an id at most DISC_TTL_MAX + 1 times per
 * entry.
 *
 * The originating site keeps route records per (entry, target): DRAFT while
 * a search runs, GOOD (with capacity, hops and the time) or NONE; a GOOD
 * record younger than fresh_ms is used without searching, a NONE younger than
 * retry_ms is not retried (a one-way search takes only records a one-way
 * search set: the bidirectional stops where it meets a mark, and a route
 * the one-way finds may be wider).
 *
 * Bidirectional search (docs/credit.md "Bidirectional search"): the target's
 * site sends a beacon against the flow of value, a mark to each neighbouring
 * site whose tallies pay into an entity that reaches the target:
 *
 *   mark    beacon id | entity (site, key) | target (site, key) | ttl |
 *           capacity (min, max, margin) | hops
 *
 * "this entity of mine reaches the target in hops site hops with this
 * capacity". A site keeps the marks (a ring of DISC_MARKS_MAX, used while
 * younger than fresh_ms) and, with ttl left, passes its own mark on to the
 * sites paying into its entities that reach the marked one: at most
 * DISC_FORWARD_MAX per mark, looking at most at DISC_FORWARD_MAX of its
 * entities (bounded work per mark received), again for an
 * entity only with more ttl left or a new beacon. Nothing waits on a mark, so a beacon ends when its ttl runs
 * out. A query carries a floor: a site forwards it only while its ttl is
 * above the floor, and (a floor above 0: a bidirectional search) takes a
 * route from a mark when one of its ways out leads to a marked entity within
 * the ttl. The bidirectional search is the
 * target's beacon with DISC_HALF hops and the originator's query with the
 * floor at DISC_HALF: each side floods half the hop budget and they meet
 * where the query finds a mark. */
#ifndef HANSA_CREDIT_DISC_H
#define HANSA_CREDIT_DISC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/bytes.h"
#include "base/err.h"
#include "credit/credit.h"
#include "credit/lift.h"
#include "credit/tally.h"
#include "wire/codec.h"

#define DISC_TTL_MAX 8
#define DISC_FORWARD_MAX 8
#define DISC_SEARCHES_MAX 64
#define DISC_RECORDS_MAX 64
#define DISC_HALF (DISC_TTL_MAX / 2) /* each side's hops in a bidirectional search */
#define DISC_MARKS_MAX 256

typedef struct {
    uint32_t site;
    hansa_pubkey key;
} disc_ent;

/* A way out of the site: from the entry, through local segments to `via`,
 * then over a foreign tally to `next` (on next.site); cap is the path's. */
typedef struct {
    disc_ent next;
    credit_lift_cap cap;
} disc_hop;

/* A way into the site: a foreign tally that can pay `from` (on another
 * site) -> `to` (an entity of this site). */
typedef struct {
    disc_ent from, to;
} disc_in;

/* The site's view of its own ledger. local: whether target (on this site)
 * is reachable from entry, with the path's capacity. hops: the ways out from
 * entry (at most max), capacity > 0 only. ins: the ways into site (this
 * one; at most max), capacity > 0 only; a beacon passes marks along them. */
typedef struct {
    bool (*local)(void *ctx, const disc_ent *entry, const disc_ent *target, credit_lift_cap *cap);
    size_t (*hops)(void *ctx, const disc_ent *entry, disc_hop *out, size_t max);
    size_t (*ins)(void *ctx, uint32_t site, disc_in *out, size_t max);
    void *ctx;
} disc_view;

typedef enum { DISC_QUERY = 1, DISC_ANSWER = 2, DISC_MARK = 3 } disc_msg_kind;

typedef struct {
    uint8_t kind; /* disc_msg_kind */
    credit_id search;        /* mark: the beacon's id */
    disc_ent entry;          /* query: where the value arrives; answer: the query's; mark: the sender's entity */
    disc_ent target;         /* query, mark */
    uint8_t ttl;             /* query: site hops left; answer: the query's; mark: hops it may still travel */
    uint8_t floor;           /* query: forwarded only while ttl > floor (0: one-way search) */
    bool found;              /* answer */
    credit_lift_cap cap;     /* answer: from the query's entry to the target; mark: from its entity */
    uint8_t hops;            /* answer: site hops of the route; mark: from its entity to the target */
} disc_msg;

typedef struct {
    size_t n;
    struct {
        uint32_t to_site;
        disc_msg m;
    } s[DISC_FORWARD_MAX + 1];
} disc_out;

typedef enum { DISC_DRAFT = 1, DISC_GOOD = 2, DISC_NONE = 3 } disc_state;
typedef enum { DISC_ONEWAY = 1, DISC_BIDIR = 2 } disc_mode;

typedef struct {
    disc_ent entry, target;
    uint8_t state; /* disc_state */
    uint8_t mode;  /* disc_mode of the search that set it */
    credit_lift_cap cap;
    uint8_t hops;
    uint64_t updated_ms;
} disc_record;

/* One open search at a site: who asked (0 and origin = this site's own),
 * the hops it forwarded (one per site) and the best answer so far. */
typedef struct {
    bool used, origin;
    credit_id search;
    uint32_t asker;
    disc_ent entry, target;
    uint64_t started_ms, deadline_ms;
    uint8_t n_fwd, waiting;
    uint32_t fwd_site[DISC_FORWARD_MAX];
    disc_ent fwd_entry[DISC_FORWARD_MAX];
    credit_lift_cap fwd_cap[DISC_FORWARD_MAX];
    bool fwd_done[DISC_FORWARD_MAX];
    bool fwd_resent[DISC_FORWARD_MAX]; /* sent once more, unanswered halfway to the deadline */
    uint8_t ttl, floor;
    bool found;
    credit_lift_cap best;
    uint8_t best_hops;
} disc_search;

/* Searches a site has taken, by id and entry (a ring: the most recent
 * DISC_SEEN_MAX), with the largest ttl taken with and the widest route found
 * from that entry so far for each number of site hops (by_hops[h].max == 0:
 * none of h hops): a query asking with less ttl than the search that found
 * the widest is answered with the widest that fits its ttl. */
#define DISC_SEEN_MAX 256

typedef struct {
    credit_id search;
    disc_ent entry;
    uint8_t ttl;
    credit_lift_cap by_hops[DISC_TTL_MAX + 1];
} disc_seen;

/* A mark a neighbour sent: its entity `via` reaches target in hops site
 * hops with cap; ttl is what the mark could still travel (kept the largest
 * per beacon). */
typedef struct {
    credit_id beacon;
    disc_ent via, target;
    credit_lift_cap cap;
    uint8_t hops, ttl;
    uint64_t updated_ms;
} disc_mark;

typedef struct {
    uint32_t site;
    disc_view view;
    uint64_t timeout_ms, fresh_ms, retry_ms;
    disc_search s[DISC_SEARCHES_MAX];
    disc_record rec[DISC_RECORDS_MAX];
    size_t n_rec;
    disc_seen seen[DISC_SEEN_MAX];
    size_t n_seen;
    disc_mark mark[DISC_MARKS_MAX];
    size_t n_mark;
} disc_site;

void disc_site_init(disc_site *rs, uint32_t site, disc_view view, uint64_t timeout_ms, uint64_t fresh_ms,
                     uint64_t retry_ms);

/* A local user asks for a route from entry (on this site) to target, now.
 * Returns the record (GOOD or NONE, possibly fresh from memory, or DRAFT
 * with the queries to send in out). search: 16 random bytes from the
 * caller's rng, used only if a search starts. DISC_BIDIR floods only
 * DISC_HALF site hops and meets the target's beacon (disc_beacon, sent
 * before); DISC_ONEWAY floods all DISC_TTL_MAX. */
const disc_record *disc_find(disc_site *rs, const disc_ent *entry, const disc_ent *target, uint64_t now_ms,
                               const credit_id *search, disc_mode mode, disc_out *out);
/* The record disc_find would answer with at now without starting a search
 * (a search under way, a fresh GOOD, a NONE not yet to be retried), or
 * NULL when it would start one. */
const disc_record *disc_find_kept(const disc_site *rs, const disc_ent *entry, const disc_ent *target,
                                  uint64_t now_ms, disc_mode mode);
/* The target's site (target on it) sends a beacon of DISC_HALF site hops:
 * marks to the neighbouring sites that pay into its entities reaching the
 * target. id: 16 random bytes. Returns the marks sent. */
size_t disc_beacon(disc_site *rs, const disc_ent *target, const credit_id *id, disc_out *out);
/* A message from site `from`: queries and answers to send go in out. */
void disc_recv(disc_site *rs, uint32_t from, const disc_msg *m, uint64_t now_ms, disc_out *out);
/* Time passed: searches past the timeout answer with what they have. */
void disc_tick(disc_site *rs, uint64_t now_ms, disc_out *out);

/* ---- a site's view built from its tallies ----------------------------------
 * The graph a chain's node loads from its ledger's open tallies and serves
 * as the machine's disc_view. A tally with both parties on the site gives an
 * edge each way (to the receiving side, its credit_lift_edge_cap, zero
 * dropped); a tally across sites gives only the way out (the foreign side
 * receiving). Paths inside the site are widest (largest max) within
 * CREDIT_LIFT_HOPS_MAX tallies; a tally across sites is also a way in (the
 * local side receiving) for beacons. Pending lift holds are not counted: the
 * capacity is what the tallies show, an estimate as every route record is. */
#define DISC_GRAPH_EDGES_MAX 4096

typedef struct {
    uint32_t from;        /* index of a local entity in node[] */
    int32_t to;           /* index of a local entity, or -1: leaves the site */
    disc_ent to_ent;
    credit_lift_cap cap;
} disc_edge;

typedef struct {
    uint32_t site;
    size_t n_edges, n_nodes, n_in;
    disc_edge *edge;  /* DISC_GRAPH_EDGES_MAX */
    disc_in *in;      /* ways in over tallies across sites, DISC_GRAPH_EDGES_MAX */
    hansa_pubkey *node; /* local entities, at most DISC_GRAPH_EDGES_MAX */
    credit_lift_cap *best, *next; /* scratch, per node */
    bool *reached, *reached_next;
} disc_graph;

void disc_graph_init(disc_graph *g, uint32_t site);
void disc_graph_free(disc_graph *g);
/* Adds t's edges; false (nothing added) when the graph is full. A tally
 * not OPEN or not touching the site adds nothing. */
bool disc_graph_add_tally(disc_graph *g, const credit_tally *t);
/* The view over g (g outlives it). */
disc_view disc_graph_view(disc_graph *g);

/* The message's bytes between sites (docs/wire.md "Route discovery
 * message"): version u8 | kind u8 | search 16, then a query's entry and
 * target (site u32, key 32 each), ttl u8 and floor u8, or an answer's entry
 * (site u32, key 32), ttl u8, found u8, min u64, max u64, margin i32 and
 * hops u8, or a mark's entity and target, ttl u8, min, max, margin and hops
 * u8. DISC_MSG_BYTES bounds all three (the mark is the longest). */
#define DISC_MSG_BYTES (1 + 1 + 16 + 2 * (4 + 32) + 1 + 8 + 8 + 4 + 1)
void disc_msg_encode(hbuf *b, const disc_msg *m);
/* Reads exactly one message; refuses an unknown kind, a ttl above
 * DISC_TTL_MAX, a floor above the ttl, a capacity with min > max or a margin
 * beyond one, hops above DISC_TTL_MAX + 1, a "none" answer carrying a
 * capacity or hops (one encoding per message), and a mark with no capacity
 * or with hops + ttl beyond DISC_TTL_MAX - 1. On refusal out is all zeros and r says where. */
hansa_err disc_msg_decode(const uint8_t *p, size_t len, disc_msg *out, wire_rd *r);

/* The ways out from entry (on this site) a search from there forwards
 * over, into out (room for DISC_FORWARD_MAX): a route that leaves entry by
 * none of them is beyond what the bounded search can find (the tests'
 * oracle uses it to say why a search missed a route). */
size_t disc_forwards(disc_site *rs, const disc_ent *entry, disc_hop *out);

/* The record of (entry, target), or NULL. */
const disc_record *disc_record_get(const disc_site *rs, const disc_ent *entry, const disc_ent *target);
/* Open searches (for the memory bound's checks). */
size_t disc_open(const disc_site *rs);

/* ---- the beacon duty: whom a site beacons for by itself ---------------------
 * An entity of the site that asked to be paid (an invoice it issued, still
 * pending) gets beacons without anyone asking, so that payers'
 * bidirectional searches toward it (`hansa route find --mode auto`) meet its
 * marks. The duty keeps at most DISC_DUTY_MAX entities (a new one takes the
 * place of the one whose time ends first), each until life_ms after its
 * last invoice or until none of its invoices is pending, and beacons for
 * each at once and then again every refresh_ms while it stays (the marks
 * are used while younger than fresh_ms, so refresh_ms below that keeps them
 * fresh): however many invoices a chain holds, its duty sends at most
 * DISC_DUTY_MAX beacons a refresh_ms. The beacon is disc_beacon's: its marks
 * name the target and the site's entities, a fresh random id each, nothing
 * of the invoice. */
#define DISC_DUTY_MAX 32

typedef struct {
    bool used;
    disc_ent who;
    uint32_t pending; /* its invoices seen pending, less those seen paid or refused */
    uint64_t until_ms, next_ms;
} disc_duty_ent;

typedef struct {
    uint64_t life_ms, refresh_ms;
    disc_duty_ent e[DISC_DUTY_MAX];
} disc_duty;

void disc_duty_init(disc_duty *d, uint64_t life_ms, uint64_t refresh_ms);
/* who (an entity of the site) issued an invoice, pending, at now. */
void disc_duty_invoice(disc_duty *d, const disc_ent *who, uint64_t now_ms);
/* One of who's invoices was paid or refused: with none left pending, who
 * leaves the duty. */
void disc_duty_settled(disc_duty *d, const disc_ent *who);
/* The entities to beacon for at now (at most max, into out), each then not
 * again before refresh_ms has passed; those past their time leave. */
size_t disc_duty_due(disc_duty *d, uint64_t now_ms, disc_ent *out, size_t max);

/* Test switch: the seed's rules instead (one query per neighbouring site, a
 * search id taken once whatever the entry, any later arrival answered
 * "none"), to measure what the rules above find beyond them. Never set
 * outside tests. */
void disc_test_seed_rules(bool on);

#endif
