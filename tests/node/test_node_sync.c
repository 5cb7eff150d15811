/* test_node_sync.c — the node driven by hand: a real store in a temp dir, a
 * fake clock and a fake node_io that records what the node sends. Node A is
 * the only delegate of its chain and commits blocks alone; node B follows as
 * a full node, fed A's blocks and proposals as a peer would send them.
 *
 * What is checked: a block's bytes that do not match its header (a peer
 * tampered with the body of a real, certified block) neither stop the node
 * as if its state had diverged nor spoil its verdict on the real block under
 * the same id; the real block is then committed. */
#include <dirent.h>
#include <unistd.h>

#include "base/assert.h"
#include "check.h"
#include "crypto/address.h"
#include "crypto/sign.h"
#include "node/msg.h"
#include "node/node.h"
#include "node/relay.h"
#include "wire/codec.h"

/* ---- a fake world ---- */

typedef struct {
    uint64_t mono_ms;
} fake_time;

static uint64_t fake_wall(void *ctx) { return 1767225600000ull + ((fake_time *)ctx)->mono_ms; }
static uint64_t fake_mono(void *ctx) { return ((fake_time *)ctx)->mono_ms; }
/* A second node's wall clock, off by `skew_ms` from the first one's. */
static int64_t skew_ms;
static uint64_t skewed_wall(void *ctx) { return (uint64_t)((int64_t)fake_wall(ctx) + skew_ms); }

#define SENT_MAX 256

typedef struct {
    uint8_t type;
    void *peer; /* NULL: broadcast */
    hbuf bytes;
} sent_msg;

typedef struct {
    sent_msg sent[SENT_MAX];
    size_t n_sent;
    size_t drops;
    uint64_t wake_ms;
    bool fatal;
    char fatal_why[512];
} fake_io;

static void record(fake_io *f, void *peer, uint8_t type, const uint8_t *b, size_t len) {
    if (f->n_sent == SENT_MAX) return;
    sent_msg *m = &f->sent[f->n_sent++];
    m->type = type;
    m->peer = peer;
    m->bytes = (hbuf)HBUF_INIT;
    hbuf_append(&m->bytes, b, len);
}

static void io_send(void *ctx, void *peer, uint8_t type, const uint8_t *b, size_t len) {
    record(ctx, peer, type, b, len);
}

static void io_broadcast(void *ctx, uint8_t type, const uint8_t *b, size_t len, void *except) {
    (void)except;
    record(ctx, NULL, type, b, len);
}

static void io_drop(void *ctx, void *peer, const char *reason) {
    (void)peer;
    (void)reason;
    ((fake_io *)ctx)->drops++;
}

static void io_wake_at(void *ctx, uint64_t mono_ms) { ((fake_io *)ctx)->wake_ms = mono_ms; }

static void io_fatal(void *ctx, const char *why) {
    fake_io *f = ctx;
    f->fatal = true;
    snprintf(f->fatal_why, sizeof f->fatal_why, "%s", why);
}

static void io_clear(fake_io *f) {
    for (size_t i = 0; i < f->n_sent; i++) hbuf_free(&f->sent[i].bytes);
    f->n_sent = 0;
}

typedef struct {
    char dir[256];
    store *st;
    node *n;
    fake_io io;
} test_node;

static fake_time now;
static hansa_keypair delegate, other;
static wire_validator delegates[2];
static ledger_genesis_account accounts[1];
static ledger_genesis genesis;
static const hansa_clock fake_clock = {fake_wall, fake_mono, &now};
static const hansa_clock skewed_clock = {skewed_wall, fake_mono, &now};

static void genesis_init(void) {
    uint8_t seed[HANSA_SEED_BYTES] = {7};
    keypair_from_seed(&delegate, seed);
    delegates[0] = (wire_validator){delegate.pub, 10};
    seed[0] = 8;
    keypair_from_seed(&other, seed);
    delegates[1] = (wire_validator){other.pub, 6};
    addr_from_pubkey(&delegate.pub, &accounts[0].addr);
    accounts[0].balance = 1000000;
    genesis.params = (ledger_params){0xe2e4, 1767225600000ull, 5000, 1, 1000,
                                     ledger_elect_params_default()};
    genesis.accounts = accounts;
    genesis.n_accounts = 1;
    genesis.delegates = delegates;
    genesis.n_delegates = 1;
}

static void node_up_clock(test_node *t, const hansa_keypair *key, const hansa_clock *clock);
static void node_up(test_node *t, const hansa_keypair *key) { node_up_clock(t, key, &fake_clock); }

static uint64_t keep_blocks; /* the next node's prune_keep_blocks */

/* Opens t's node on the store in t->dir, as it is. */
static void node_open_dir(test_node *t, const hansa_keypair *key, const hansa_clock *clock) {
    HANSA_ASSERT(store_open(t->dir, &(store_options){0}, &t->st) == HANSA_OK);
    node_config cfg;
    node_config_defaults(&cfg);
    cfg.st = t->st;
    cfg.genesis = &genesis;
    cfg.key = key;
    cfg.clock = clock;
    cfg.prune_keep_blocks = keep_blocks;
    memset(cfg.hash_key, 3, sizeof cfg.hash_key);
    node_io io = {&t->io, io_send, io_broadcast, io_drop, io_wake_at, NULL, io_fatal};
    char why[256];
    hansa_err err = node_open(&cfg, &io, &t->n, why, sizeof why);
    if (err != HANSA_OK) fprintf(stderr, "node_open: %s\n", why);
    HANSA_ASSERT(err == HANSA_OK);
    node_start(t->n);
}

static void node_up_clock(test_node *t, const hansa_keypair *key, const hansa_clock *clock) {
    const char *tmp = getenv("TMPDIR");
    snprintf(t->dir, sizeof t->dir, "%s/hansa-node-XXXXXX", tmp ? tmp : "/tmp");
    HANSA_ASSERT(mkdtemp(t->dir) != NULL);
    node_open_dir(t, key, clock);
}

static void node_down(test_node *t) {
    node_close(t->n);
    store_close(t->st);
    io_clear(&t->io);
    DIR *d = opendir(t->dir);
    struct dirent *e;
    char p[512];
    while (d && (e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        snprintf(p, sizeof p, "%s/%s", t->dir, e->d_name);
        unlink(p);
    }
    if (d) closedir(d);
    rmdir(t->dir);
}

static uint64_t height_of(const test_node *t) {
    node_status s;
    node_get_status(t->n, &s);
    return s.height;
}

/* Runs the lone delegate until it has committed `height`. */
static void run_until(test_node *a, uint64_t height) {
    for (int i = 0; i < 1000 && height_of(a) < height; i++) {
        if (a->io.wake_ms > now.mono_ms) now.mono_ms = a->io.wake_ms;
        node_on_wake(a->n);
    }
    HANSA_ASSERT(height_of(a) >= height);
}

/* The BLOCK message for height as a's store holds it; if tamper, with one
 * byte of the last commit's first signature flipped (the header, and so the
 * block id, unchanged). */
static void block_msg(test_node *a, uint64_t height, bool tamper, hbuf *out) {
    hbuf block = HBUF_INIT, commit = HBUF_INIT, bad = HBUF_INIT;
    hansa_hash id;
    HANSA_ASSERT(store_get_block(a->st, height, &block, &id) == HANSA_OK);
    HANSA_ASSERT(store_get_commit(a->st, height, &commit) == HANSA_OK);
    const uint8_t *bytes = block.data;
    size_t len = block.len;
    if (tamper) {
        wire_block blk;
        HANSA_ASSERT(wire_block_decode(block.data, block.len, &blk, NULL) == HANSA_OK);
        HANSA_ASSERT(blk.has_last_commit && blk.last_commit.n_sigs > 0);
        blk.last_commit.sigs[0].sig.b[0] ^= 1;
        wire_block_encode(&bad, &blk);
        wire_block_free(&blk);
        bytes = bad.data;
        len = bad.len;
    }
    msg_block m = {height, bytes, (uint32_t)len, commit.data, (uint32_t)commit.len};
    msg_block_encode(out, &m);
    hbuf_free(&block);
    hbuf_free(&commit);
    hbuf_free(&bad);
}

static void feed_block(test_node *b, void *peer, test_node *a, uint64_t height, bool tamper) {
    hbuf m = HBUF_INIT;
    block_msg(a, height, tamper, &m);
    node_on_message(b->n, peer, MSG_BLOCK, m.data, m.len);
    hbuf_free(&m);
    /* Let the next height start (after commit_delay_ms). */
    if (b->io.wake_ms > now.mono_ms) now.mono_ms = b->io.wake_ms;
    node_on_wake(b->n);
}

/* ---- tests ---- */

static hansa_err count_record(void *ctx, uint64_t height, uint32_t seq, const uint8_t *b, size_t len) {
    (void)height;
    (void)seq;
    (void)b;
    (void)len;
    (*(size_t *)ctx)++;
    return HANSA_OK;
}

static int peer_a, peer_x; /* peer handles: their addresses */

/* A certified block whose body a peer changed is that peer's lie, not a
 * sign that this node's state diverged; the real block still commits. */
static void test_tampered_sync_block(void) {
    test_node a = {0}, b = {0};
    node_up(&a, &delegate);
    run_until(&a, 3);
    node_up(&b, NULL);
    node_peer_up(b.n, &peer_a);
    node_peer_up(b.n, &peer_x);
    feed_block(&b, &peer_a, &a, 1, false);
    CHECK_EQ_U64(height_of(&b), 1);
    feed_block(&b, &peer_x, &a, 2, true);
    CHECK(!b.io.fatal);
    CHECK_EQ_U64(height_of(&b), 1);
    CHECK(b.io.drops >= 1); /* the liar is dropped */
    feed_block(&b, &peer_a, &a, 2, false);
    CHECK(!b.io.fatal);
    CHECK_EQ_U64(height_of(&b), 2);
    if (b.io.fatal) fprintf(stderr, "fatal: %s\n", b.io.fatal_why);
    node_down(&b);
    node_down(&a);
}

/* A relayed proposal carrying other bytes under the real block id must not
 * make the node judge the real block invalid when it arrives by sync. */
static void test_tampered_proposal(void) {
    test_node a = {0}, b = {0};
    node_up(&a, &delegate);
    run_until(&a, 2);
    node_up(&b, NULL);
    node_peer_up(b.n, &peer_a);
    feed_block(&b, &peer_a, &a, 1, false);
    feed_block(&b, &peer_a, &a, 2, false);
    CHECK_EQ_U64(height_of(&b), 2);
    /* A's proposal of height 3, as broadcast. */
    io_clear(&a.io);
    run_until(&a, 3);
    const sent_msg *prop = NULL;
    for (size_t i = 0; i < a.io.n_sent && !prop; i++)
        if (a.io.sent[i].type == MSG_PROPOSAL) prop = &a.io.sent[i];
    HANSA_ASSERT(prop != NULL);
    msg_proposal mp;
    HANSA_ASSERT(msg_proposal_decode(prop->bytes.data, prop->bytes.len, &mp, NULL) == HANSA_OK);
    wire_block blk;
    HANSA_ASSERT(wire_block_decode(mp.block, mp.block_len, &blk, NULL) == HANSA_OK);
    blk.last_commit.sigs[0].sig.b[0] ^= 1;
    hbuf bad = HBUF_INIT, msg = HBUF_INIT;
    wire_block_encode(&bad, &blk);
    wire_block_free(&blk);
    msg_proposal tampered = {mp.proposal, mp.proposal_len, bad.data, (uint32_t)bad.len};
    msg_proposal_encode(&msg, &tampered);
    node_on_message(b.n, &peer_x, MSG_PROPOSAL, msg.data, msg.len);
    hbuf_free(&bad);
    hbuf_free(&msg);
    feed_block(&b, &peer_a, &a, 3, false);
    CHECK(!b.io.fatal);
    CHECK_EQ_U64(height_of(&b), 3);
    if (b.io.fatal) fprintf(stderr, "fatal: %s\n", b.io.fatal_why);
    node_down(&b);
    node_down(&a);
}

/* A delegate that cannot decide (the other delegate is down) re-sends its
 * proposal and its prevote every rebroadcast_ms; the WAL keeps each once,
 * not once a send. */
static void test_rebroadcast_wal_once(void) {
    genesis.n_delegates = 2; /* 10 of 16: short of the 2/3 needed to decide */
    test_node a = {0};
    node_up(&a, &delegate);
    node_peer_up(a.n, &peer_x);
    size_t proposals = 0;
    for (int i = 0; i < 20; i++) {
        now.mono_ms += 1000;
        node_on_wake(a.n);
    }
    for (size_t i = 0; i < a.io.n_sent; i++) proposals += a.io.sent[i].type == MSG_PROPOSAL;
    CHECK_EQ_U64(height_of(&a), 0);
    CHECK(proposals > 5); /* it proposed, and re-sent */
    size_t records = 0;
    CHECK_ERR(store_wal_read(a.st, 1, count_record, &records), HANSA_OK);
    CHECK_EQ_U64(records, 2); /* the proposal and the prevote */
    node_down(&a);
    genesis.n_delegates = 1;
}

static wire_vote signed_prevote(const hansa_keypair *kp, uint64_t height, uint8_t block_byte) {
    wire_vote v = {.chain_id = 0xe2e4, .height = height, .round = 0, .type = VOTE_PREVOTE,
                   .block = {.present = true}, .validator = kp->pub};
    v.block.hash.b[0] = block_byte;
    hbuf b = HBUF_INIT;
    wire_vote_sign_bytes(&b, &v);
    sign_domain(kp, SIGN_DOMAIN_VOTE, b.data, b.len, &v.sig);
    hbuf_free(&b);
    return v;
}

static size_t evidence_relayed(test_node *t, const hansa_keypair *kp) {
    wire_vote x = signed_prevote(kp, 1, 1), y = signed_prevote(kp, 1, 2);
    wire_evidence ev;
    HANSA_ASSERT(wire_evidence_make(&x, &y, &ev) == HANSA_OK);
    hbuf b = HBUF_INIT;
    wire_evidence_encode(&b, &ev);
    io_clear(&t->io);
    node_on_message(t->n, &peer_x, MSG_EVIDENCE, b.data, b.len);
    hbuf_free(&b);
    size_t relayed = 0;
    for (size_t i = 0; i < t->io.n_sent; i++) relayed += t->io.sent[i].type == MSG_EVIDENCE;
    return relayed;
}

/* Evidence is signed by its offender, so anyone can make it with a key of
 * their own: only evidence against a validator that a block could carry is
 * pooled and relayed; the rest would fill the pool and the network. */
static void test_evidence_from_strangers(void) {
    test_node a = {0};
    node_up(&a, &delegate);
    node_peer_up(a.n, &peer_x);
    hansa_keypair stranger;
    uint8_t seed[HANSA_SEED_BYTES] = {99};
    keypair_from_seed(&stranger, seed);
    CHECK_EQ_U64(evidence_relayed(&a, &stranger), 0);
    CHECK_EQ_U64(evidence_relayed(&a, &delegate), 1); /* the control: a real offence */
    node_down(&a);
}

/* A peer that claims a height far ahead but never answers the requests for
 * it is dropped after NODE_SYNC_STRIKES_MAX timeouts; before the last one
 * it is only asked again (a slow peer gets its chances). */
static void test_lying_height_dropped(void) {
    genesis.n_delegates = 2; /* the node cannot decide alone: it stays behind */
    test_node a = {0};
    node_up(&a, &delegate);
    node_peer_up(a.n, &peer_x);
    hbuf b = HBUF_INIT;
    msg_status st = {0xe2e4, 1000000, {{9}}};
    msg_status_encode(&b, &st);
    node_on_message(a.n, &peer_x, MSG_STATUS, b.data, b.len);
    hbuf_free(&b);
    size_t requests = 0;
    for (int i = 0; i < 8 && a.io.drops == 0; i++) {
        now.mono_ms += 3500; /* past sync_timeout_ms */
        node_on_wake(a.n);
    }
    for (size_t i = 0; i < a.io.n_sent; i++) requests += a.io.sent[i].type == MSG_BLOCK_REQ;
    CHECK_EQ_U64(a.io.drops, 1);
    CHECK(requests >= 3);
    node_down(&a);
    genesis.n_delegates = 1;
}

/* Peer slots (node_int.h's NODE_PEERS_MAX, 160): every slot takes a peer
 * and the next is refused; a peer in the last slot is heard (its STATUS
 * makes the node ask it for a block); a slot freed below the highest is
 * taken by the next peer. The scans stop at the highest slot ever taken. */
static void test_peer_slots(void) {
    enum { SLOTS = 160 };
    static char handles[SLOTS + 2];
    genesis.n_delegates = 2; /* the node cannot decide alone: it stays behind */
    test_node a = {0};
    node_up(&a, &delegate);
    for (int i = 0; i < SLOTS; i++) node_peer_up(a.n, &handles[i]);
    node_status st;
    node_get_status(a.n, &st);
    CHECK_EQ_U64(st.peers, SLOTS);
    CHECK_EQ_U64(a.io.drops, 0);
    node_peer_up(a.n, &handles[SLOTS]);
    CHECK_EQ_U64(a.io.drops, 1); /* too many peers */
    node_peer_down(a.n, &handles[5]);
    node_peer_up(a.n, &handles[SLOTS + 1]); /* takes slot 5 */
    node_get_status(a.n, &st);
    CHECK_EQ_U64(st.peers, SLOTS);
    CHECK_EQ_U64(a.io.drops, 1);
    /* the peer in the top slot and one below leave; two others take their slots */
    node_peer_down(a.n, &handles[SLOTS - 1]);
    node_peer_down(a.n, &handles[7]);
    node_get_status(a.n, &st);
    CHECK_EQ_U64(st.peers, SLOTS - 2);
    node_peer_up(a.n, &handles[5]);      /* slot 7 */
    node_peer_up(a.n, &handles[SLOTS]);  /* the top slot */
    node_get_status(a.n, &st);
    CHECK_EQ_U64(st.peers, SLOTS);
    CHECK_EQ_U64(a.io.drops, 1);
    io_clear(&a.io);
    hbuf b = HBUF_INIT;
    msg_status ms = {0xe2e4, 1000000, {{9}}};
    msg_status_encode(&b, &ms);
    node_on_message(a.n, &handles[SLOTS], MSG_STATUS, b.data, b.len);
    hbuf_free(&b);
    size_t asked_last = 0;
    for (size_t i = 0; i < a.io.n_sent; i++)
        asked_last += a.io.sent[i].type == MSG_BLOCK_REQ && a.io.sent[i].peer == &handles[SLOTS];
    CHECK_EQ_U64(asked_last, 1);
    CHECK_EQ_U64(a.io.drops, 1);
    node_down(&a);
    genesis.n_delegates = 1;
}

/* The prevote b broadcast last for height 1, round 0 (false if none). */
static bool last_prevote(const test_node *b, wire_vote *out) {
    bool found = false;
    for (size_t i = 0; i < b->io.n_sent; i++) {
        wire_vote v;
        if (b->io.sent[i].type != MSG_VOTE) continue;
        if (wire_vote_decode(b->io.sent[i].bytes.data, b->io.sent[i].bytes.len, &v, NULL) != HANSA_OK)
            continue;
        if (v.type == VOTE_PREVOTE && v.height == 1 && v.round == 0) {
            *out = v;
            found = true;
        }
    }
    return found;
}

/* Proposer-based timestamps: B, the second delegate, prevotes A's proposal
 * only if the block time in it is within precision (500 ms) above, or
 * precision plus the message delay (2000 ms in round 0) below, B's own
 * clock when it arrives; else it prevotes nil. A cannot decide alone (10 of
 * 16), so height 1 stays open while B judges. */
static void test_pbts_prevote(void) {
    genesis.n_delegates = 2;
    static const struct {
        int64_t late_ms;  /* B's clock on arrival minus the block time */
        bool timely;
    } cases[] = {{0, true},     {-400, true},    {-600, false}, {2400, true},
                 {2600, false}, {-60000, false}, {60000, false}};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        test_node a = {0}, b = {0};
        skew_ms = 0;
        node_up(&a, &delegate);
        node_up_clock(&b, &other, &skewed_clock);
        node_peer_up(b.n, &peer_a);
        /* Both start height 1; the moment A proposes, B gets it. */
        const sent_msg *prop = NULL;
        for (int i = 0; i < 10 && !prop; i++) {
            for (size_t j = 0; j < a.io.n_sent && !prop; j++)
                if (a.io.sent[j].type == MSG_PROPOSAL) prop = &a.io.sent[j];
            if (prop) break;
            uint64_t next = a.io.wake_ms < b.io.wake_ms ? a.io.wake_ms : b.io.wake_ms;
            if (next > now.mono_ms) now.mono_ms = next;
            node_on_wake(a.n);
            node_on_wake(b.n);
        }
        HANSA_ASSERT(prop != NULL);
        msg_proposal mp;
        wire_header h;
        HANSA_ASSERT(msg_proposal_decode(prop->bytes.data, prop->bytes.len, &mp, NULL) == HANSA_OK);
        HANSA_ASSERT(wire_block_peek_header(mp.block, mp.block_len, &h) == HANSA_OK);
        skew_ms = (int64_t)h.time_ms + cases[k].late_ms - (int64_t)fake_wall(&now);
        node_on_message(b.n, &peer_a, MSG_PROPOSAL, prop->bytes.data, prop->bytes.len);
        wire_vote v = {0};
        CHECK(last_prevote(&b, &v));
        CHECK(v.block.present == cases[k].timely);
        node_status st;
        node_get_status(b.n, &st);
        CHECK_EQ_U64(st.untimely_proposals, cases[k].timely ? 0 : 1);
        if (v.block.present != cases[k].timely)
            fprintf(stderr, "  case late %lld ms\n", (long long)cases[k].late_ms);
        node_down(&b);
        node_down(&a);
    }
    skew_ms = 0;
    genesis.n_delegates = 1;
}

/* The relay duty (node/relay.h): a delegate is offered a foreign chain's
 * update only in its turn, (slot + chain) mod n; a full node never; an
 * update that does not verify is refused with the ledger's reason and not
 * remembered as waiting. Every delegate fetches every chain's packets (the
 * duty is per packet); acks only while packets are pending. */
static size_t updates_of(const relay_job *jobs, size_t n, size_t *packets, size_t *first) {
    size_t k = 0;
    *packets = 0;
    for (size_t i = 0; i < n; i++) {
        if (jobs[i].kind == RELAY_UPDATE && k++ == 0) *first = i;
        *packets += jobs[i].kind == RELAY_PACKETS;
        CHECK(jobs[i].kind != RELAY_ACKS);
    }
    return k;
}

static void test_relay_turns(void) {
    ic_create clients[2];
    memset(clients, 0, sizeof clients);
    for (int i = 0; i < 2; i++) {
        clients[i].params = (ic_params){0xa0 + (uint32_t)i, 3600000, 10000};
        clients[i].root.time_ms = genesis.params.genesis_time_ms;
        memset(clients[i].root.validators_hash.b, 9, HANSA_HASH_BYTES);
        clients[i].root.next_validators_hash = clients[i].root.validators_hash;
    }
    genesis.clients = clients;
    genesis.n_clients = 2;
    genesis.n_delegates = 2; /* A (10) and B (6): index by pubkey order */
    int a_index = pubkey_cmp(&delegate.pub, &other.pub) < 0 ? 0 : 1;
    test_node a = {0}, full = {0};
    node_up(&a, &delegate);
    node_up(&full, NULL);
    relay_job jobs[RELAY_JOBS_MAX];
    size_t n = node_relay_jobs(a.n, jobs, RELAY_JOBS_MAX), packets, u = 0;
    /* Height 0 + 1 is in slot 0: chain 0xa0 + i is A's when i == a_index. */
    CHECK_EQ_U64(updates_of(jobs, n, &packets, &u), 1);
    CHECK_EQ_U64(packets, 2);
    CHECK_EQ_U64(jobs[u].chain, 0xa0 + (uint32_t)a_index);
    CHECK_EQ_U64(jobs[u].trusted.height, 0);
    CHECK(hash_eq(&jobs[u].trusted.next_validators_hash, &clients[0].root.next_validators_hash));
    CHECK_EQ_U64(node_relay_jobs(full.n, jobs, RELAY_JOBS_MAX), 0);
    hansa_hash tx;
    char why[256] = "";
    uint8_t junk[8] = {0};
    CHECK(node_relay_update(a.n, 0xa0, junk, sizeof junk, &tx, why, sizeof why) != HANSA_OK);
    CHECK(strstr(why, "client update") != NULL);
    n = node_relay_jobs(a.n, jobs, RELAY_JOBS_MAX);
    CHECK_EQ_U64(updates_of(jobs, n, &packets, &u), 1);
    CHECK(node_relay_update(full.n, 0xa0, junk, sizeof junk, &tx, why, sizeof why) == HANSA_ERR_STATE);
    node_down(&full);
    node_down(&a);
    genesis.clients = NULL;
    genesis.n_clients = 0;
    genesis.n_delegates = 1;
}

/* ---- pruning ---- */

static int peer_y;

static void send_status(test_node *t, void *peer, uint64_t height, uint64_t lowest) {
    hbuf b = HBUF_INIT;
    msg_status st = {0xe2e4, height, {{9}}, lowest};
    msg_status_encode(&b, &st);
    node_on_message(t->n, peer, MSG_STATUS, b.data, b.len);
    hbuf_free(&b);
}

/* The block requests t sent to peer since message `from`. */
static size_t requests_to(const test_node *t, void *peer, size_t from) {
    size_t k = 0;
    for (size_t i = from; i < t->io.n_sent; i++)
        k += t->io.sent[i].type == MSG_BLOCK_REQ && t->io.sent[i].peer == peer;
    return k;
}

/* A node behind asks only a peer that keeps the block it needs; a peer that
 * says (by STATUS) it pruned the block asked of it is not struck for the
 * silence but passed over. With only pruned peers ahead the node waits
 * NODE_SYNC_PRUNED_WAITS request timeouts for one that keeps it, then
 * stops, naming the ways to join. */
static void test_sync_skips_pruned_peers(void) {
    genesis.n_delegates = 2; /* the node cannot decide alone: it stays behind */
    test_node a = {0};
    node_up(&a, &delegate);
    node_peer_up(a.n, &peer_x);
    node_peer_up(a.n, &peer_y);
    send_status(&a, &peer_x, 100, 50); /* pruned below 50 */
    send_status(&a, &peer_y, 100, 0);  /* lowest unsaid: every block */
    CHECK_EQ_U64(requests_to(&a, &peer_x, 0), 0);
    CHECK_EQ_U64(requests_to(&a, &peer_y, 0), 1);
    size_t mark = a.io.n_sent;
    send_status(&a, &peer_y, 101, 60); /* y pruned block 1 meanwhile */
    for (int i = 0; i < NODE_SYNC_PRUNED_WAITS; i++) {
        CHECK(!a.io.fatal);
        now.mono_ms += 3000; /* sync_timeout_ms */
        node_on_wake(a.n);
    }
    CHECK_EQ_U64(requests_to(&a, &peer_x, mark) + requests_to(&a, &peer_y, mark), 0);
    CHECK_EQ_U64(a.io.drops, 0);
    CHECK(a.io.fatal);
    CHECK(strstr(a.io.fatal_why, "needs block 1") && strstr(a.io.fatal_why, "lowest any keeps is 50") &&
          strstr(a.io.fatal_why, "archive peer") && strstr(a.io.fatal_why, "state sync"));
    node_down(&a);

    /* The control: an archive peer that comes in time is asked, no stop. */
    test_node b = {0};
    node_up(&b, &delegate);
    node_peer_up(b.n, &peer_x);
    send_status(&b, &peer_x, 100, 50);
    now.mono_ms += 3000 * (NODE_SYNC_PRUNED_WAITS - 1);
    node_on_wake(b.n);
    node_peer_up(b.n, &peer_y);
    send_status(&b, &peer_y, 100, 1);
    now.mono_ms += 3000 * NODE_SYNC_PRUNED_WAITS;
    node_on_wake(b.n);
    CHECK(!b.io.fatal);
    CHECK(requests_to(&b, &peer_y, 0) >= 1);
    node_down(&b);
    genesis.n_delegates = 1;
}

/* A pruning node keeps its last keep_blocks blocks, says the lowest in its
 * STATUS and node_status (also after a restart), serves the kept ones and
 * answers a request below them with its STATUS. */
static void test_pruned_node_serves_kept(void) {
    keep_blocks = 16;
    test_node a = {0};
    node_up(&a, &delegate);
    run_until(&a, 40);
    node_status st;
    node_get_status(a.n, &st);
    CHECK_EQ_U64(st.lowest_height, st.height - 16 + 1);
    node_close(a.n);
    store_close(a.st);
    io_clear(&a.io);
    node_open_dir(&a, &delegate, &fake_clock);
    node_get_status(a.n, &st); /* (the restart may have decided one more height) */
    CHECK_EQ_U64(st.lowest_height, st.height - 16 + 1);
    CHECK(st.height >= 40);
    node_peer_up(a.n, &peer_x);
    size_t mark = a.io.n_sent;
    hbuf b = HBUF_INIT;
    msg_block_req_encode(&b, st.lowest_height - 1);
    node_on_message(a.n, &peer_x, MSG_BLOCK_REQ, b.data, b.len);
    hbuf_reset(&b);
    msg_block_req_encode(&b, st.lowest_height);
    node_on_message(a.n, &peer_x, MSG_BLOCK_REQ, b.data, b.len);
    hbuf_free(&b);
    CHECK_EQ_U64(a.io.n_sent - mark, 2);
    const sent_msg *m = &a.io.sent[mark];
    msg_status back;
    CHECK(m->type == MSG_STATUS && m->peer == &peer_x);
    CHECK_ERR(msg_status_decode(m->bytes.data, m->bytes.len, &back, NULL), HANSA_OK);
    CHECK_EQ_U64(back.lowest, st.lowest_height);
    CHECK_EQ_U64(back.height, st.height);
    msg_block mb;
    CHECK(m[1].type == MSG_BLOCK && m[1].peer == &peer_x);
    CHECK_ERR(msg_block_decode(m[1].bytes.data, m[1].bytes.len, &mb, NULL), HANSA_OK);
    CHECK_EQ_U64(mb.height, st.lowest_height);
    node_down(&a);
    keep_blocks = 0;
}

int main(void) {
    genesis_init();
    RUN(test_relay_turns);
    RUN(test_pbts_prevote);
    RUN(test_evidence_from_strangers);
    RUN(test_lying_height_dropped);
    RUN(test_peer_slots);
    RUN(test_rebroadcast_wal_once);
    RUN(test_tampered_sync_block);
    RUN(test_tampered_proposal);
    RUN(test_sync_skips_pruned_peers);
    RUN(test_pruned_node_serves_kept);
    return check_summary();
}
