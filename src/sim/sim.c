/* sim.c — setting up a simulated world, scheduling its faults, running it.
 *
 * The run is a loop over a discrete-event queue (heap.h) in simulated
 * microseconds. Setup draws from the seed, in a fixed order: node keys and
 * voting powers, the Byzantine nodes and what each does, clock offsets and
 * skews, GST, and the schedule of partitions, clogs and crashes before GST.
 * From then on the events themselves consume randomness (latencies, losses,
 * values), and since events pop in (time, sequence) order the whole run is a
 * function of the seed and options.
 *
 * Faults are confined to [0, GST): after GST the network is reliable with
 * short delays, every crashed node is back, and only Byzantine behaviour
 * (which never ends) and clock skew remain. That is when the liveness
 * checker starts counting rounds. */
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/log.h"
#include "base/mem.h"
#include "crypto/sigbatch.h"
#include "ledger/leaves.h"
#include "ledger/writes.h"
#include "sim/sig.h"
#include "sim/world.h"
#include "wire/codec.h"

#define MS 1000ull
#define S 1000000ull
#define SETTLE_US (4 * S)
#define LIVE_US (2 * S) /* heights started after GST + settle are checked this long at least */
#define HEIGHT_BUDGET_US (20 * S)
#define POWER_MAX 100
#define CHURN_POWER_MIN 50 /* with elections, honest powers are 50..100 (fault budget) */
#define CHURN_BYZ_POWER_MAX 25 /* ... and Byzantine ones 1..25 */

/* --- small services for the other files ------------------------------------ */

void world_trace(world *w, sim_trace_kind kind, const sim_node *nd, uint16_t other,
                 uint64_t height, uint32_t round, uint8_t step, const hansa_hash *id, bool flag,
                 uint32_t bound) {
    sim_trace_ev ev = {kind, w->now_us, nd->idx, other, nd->byz == BYZ_NONE, flag, height, round,
                       bound, step, {{0}}};
    if (id) ev.id = *id;
    if (w->o.trace) sim_trace_print(w->o.trace, &ev);
    if (kind == SIM_T_PARTITION || kind == SIM_T_HEAL || kind == SIM_T_GST) { /* the world's */
        for (uint16_t c = 0; c < w->n_chains; c++) sim_checker_feed(&w->chk[c], &ev);
        return;
    }
    /* The chain's checker sees its nodes as 0 .. n_nodes - 1. */
    const sim_chain *c = nd->chain;
    ev.node = (uint16_t)(nd->idx - c->first_node);
    if (other >= c->first_node && other < c->first_node + c->n_nodes)
        ev.other = (uint16_t)(other - c->first_node);
    sim_checker_feed(&w->chk[c->idx], &ev);
}

/* EV_CRASH's peer field for a crash the fault mix drew (0: a scripted one,
 * which is never a power loss: scripts keep their schedules). */
#define CRASH_OF_MIX 1

void world_push(world *w, uint64_t time_us, uint32_t kind, const sim_node *nd, uint16_t peer,
                uint64_t height, uint32_t round, uint8_t sub, void *ptr) {
    sim_event ev = {time_us, 0, kind, nd ? nd->idx : 0, peer, nd ? nd->inc : 0, round, height,
                    sub, ptr};
    HANSA_ASSERT(time_us >= w->now_us);
    sim_heap_push(&w->q, &ev);
}

int world_node_of_key(const world *w, const hansa_pubkey *pk) {
    size_t lo = 0, hi = w->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = pubkey_cmp(&w->nodes[w->by_key[mid]].key.pub, pk);
        if (c == 0) return w->by_key[mid];
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return -1;
}

/* a * b / d, rounded up when up. While the product fits 64 bits (the clocks:
 * the first ~213 days of simulated time, 2^64 / 10^6 us: every run) a 64-bit division
 * gives the same quotient as the 128-bit one, which is a libgcc call
 * (__udivti3, ~1% of a run: the nodes read their clocks at every input). */
static inline uint64_t mul_div(uint64_t a, uint64_t b, uint64_t d, bool up) {
    uint64_t p, add = up ? d - 1 : 0;
    if (!__builtin_mul_overflow(a, b, &p) && p <= UINT64_MAX - add) return (p + add) / d;
    return (uint64_t)(((unsigned __int128)a * b + add) / d);
}

uint64_t world_local_ms(const sim_node *nd, uint64_t now_us) {
    uint64_t rate = (uint64_t)(1000000 + nd->skew_ppm);
    return ((uint64_t)nd->offset_us + mul_div(now_us, rate, 1000000, false)) / 1000;
}

uint64_t world_global_us(const sim_node *nd, uint64_t local_ms) {
    uint64_t target = local_ms * 1000;
    if (target <= (uint64_t)nd->offset_us) return 0;
    uint64_t rate = (uint64_t)(1000000 + nd->skew_ppm);
    return mul_div(target - (uint64_t)nd->offset_us, 1000000, rate, true);
}

uint64_t world_between(world *w, uint64_t lo_us, uint64_t hi_us) {
    return lo_us + prng_below(&w->rng, hi_us - lo_us);
}

/* --- options ---------------------------------------------------------------- */

void sim_options_default(sim_options *o) {
    memset(o, 0, sizeof *o);
    o->seed = 1;
    o->nodes = 4;
    o->chains = 1;
    o->heights = 10;
    o->load_tps = 20;
}

static const struct {
    const char *name;
    uint32_t bits;
} fault_names[] = {
    {"none", 0},
    {"net", SIM_F_NET},
    {"partition", SIM_F_PARTITION},
    {"clog", SIM_F_CLOG},
    {"crash", SIM_F_CRASH},
    {"drift", SIM_F_DRIFT},
    {"byzantine", SIM_F_BYZ_ALL},
    {"byz-equivocate", SIM_F_BYZ_EQUIVOCATE},
    {"byz-double-vote", SIM_F_BYZ_DOUBLE_VOTE},
    {"byz-silent", SIM_F_BYZ_SILENT},
    {"byz-garbage", SIM_F_BYZ_GARBAGE},
    {"byz-invalid", SIM_F_BYZ_INVALID},
    {"byz-amnesia", SIM_F_BYZ_AMNESIA},
    {"targeted", SIM_F_TARGETED},
    {"byz-lockbreak", SIM_F_BYZ_LOCKBREAK},
    {"all", SIM_F_ALL},
};

hansa_err sim_faults_parse(const char *s, uint32_t *out, const char **why) {
    uint32_t bits = 0;
    while (*s) {
        size_t len = strcspn(s, "+");
        size_t i;
        for (i = 0; i < sizeof fault_names / sizeof fault_names[0]; i++)
            if (strlen(fault_names[i].name) == len && memcmp(fault_names[i].name, s, len) == 0)
                break;
        if (i == sizeof fault_names / sizeof fault_names[0]) {
            if (why) *why = "unknown fault mix (none, net, partition, clog, crash, drift, "
                            "targeted, byzantine, byz-equivocate, byz-double-vote, byz-silent, "
                            "byz-garbage, byz-invalid, byz-amnesia, byz-lockbreak, all; join "
                            "with '+')";
            return HANSA_ERR_CONFIG;
        }
        bits |= fault_names[i].bits;
        s += len;
        if (*s == '+') s++;
    }
    *out = bits;
    return HANSA_OK;
}

_Static_assert(SIM_F_ALL == (1u << SIM_FAULT_BITS) - 1, "one weight per fault bit");
#define PLAIN_FAULTS (SIM_F_NET | SIM_F_PARTITION | SIM_F_CLOG | SIM_F_CRASH | SIM_F_DRIFT | SIM_F_TARGETED)
#define GUIDE_WEIGHT_MAX 4

void sim_guide_init(sim_guide *g) {
    memset(g, 0, sizeof *g);
    for (int i = 0; i < SIM_FAULT_BITS; i++) g->weight[i] = 1;
}

uint32_t sim_faults_guided(const sim_guide *g, uint64_t seed) {
    hansa_prng p;
    prng_seed(&p, seed ^ 0x6661756c7473ull);
    uint64_t plain_sum = 0, plain_n = 0, byz_sum = 0;
    for (int i = 0; i < SIM_FAULT_BITS; i++) {
        if (PLAIN_FAULTS & (1u << i)) plain_sum += g->weight[i], plain_n++;
        else byz_sum += g->weight[i];
    }
    uint32_t bits = 0;
    for (int i = 0; i < SIM_FAULT_BITS; i++) /* w / (w + mean): with n * w against n * w + sum */
        if ((PLAIN_FAULTS & (1u << i)) &&
            prng_chance(&p, g->weight[i] * plain_n, g->weight[i] * plain_n + plain_sum))
            bits |= 1u << i;
    if (prng_chance(&p, 2, 3)) {
        uint64_t kinds = 1 + prng_below(&p, 2);
        for (uint64_t k = 0; k < kinds; k++) {
            uint64_t x = prng_below(&p, byz_sum);
            for (int i = 0; i < SIM_FAULT_BITS; i++) {
                if (PLAIN_FAULTS & (1u << i)) continue;
                if (x < g->weight[i]) {
                    bits |= 1u << i;
                    break;
                }
                x -= g->weight[i];
            }
        }
    }
    return bits;
}

unsigned sim_guide_update(sim_guide *g, uint32_t faults, const sim_result *r) {
    unsigned fresh = 0;
    for (int i = 0; i < 2; i++) {
        fresh += (unsigned)__builtin_popcountll(r->coverage[i] & ~g->seen[i]);
        g->seen[i] |= r->coverage[i];
    }
    /* One step per run that found something, capped: a lean, not a rut. */
    for (int i = 0; i < SIM_FAULT_BITS && fresh; i++)
        if ((faults & (1u << i)) && g->weight[i] < GUIDE_WEIGHT_MAX) g->weight[i]++;
    return fresh;
}

void sim_faults_format(uint32_t bits, char *out, size_t out_len) {
    size_t k = 0;
    out[0] = '\0';
    for (size_t i = 1; i < sizeof fault_names / sizeof fault_names[0]; i++) {
        uint32_t b = fault_names[i].bits;
        if (b == 0 || (b & (b - 1)) != 0 || !(bits & b)) continue; /* single bits only */
        int n = snprintf(out + k, out_len - k, "%s%s", k ? "+" : "", fault_names[i].name);
        if (n < 0 || (size_t)n >= out_len - k) break;
        k += (size_t)n;
    }
    if (k == 0) snprintf(out, out_len, "none");
}

/* --- setup -------------------------------------------------------------------- */

/* Insertion sort of node indices by public key (n <= 100, once per run). */
static void sort_by_key(world *w) {
    for (uint16_t i = 0; i < w->n; i++) w->by_key[i] = i;
    for (uint16_t i = 1; i < w->n; i++) {
        uint16_t x = w->by_key[i], j = i;
        while (j > 0 && pubkey_cmp(&w->nodes[w->by_key[j - 1]].key.pub, &w->nodes[x].key.pub) > 0) {
            w->by_key[j] = w->by_key[j - 1];
            j--;
        }
        w->by_key[j] = x;
    }
}

static void shuffle(world *w, uint16_t *a, uint16_t n) {
    for (uint16_t i = 0; i < n; i++) a[i] = i;
    for (uint16_t i = n; i > 1; i--) {
        uint16_t j = (uint16_t)prng_below(&w->rng, i);
        uint16_t t = a[i - 1];
        a[i - 1] = a[j];
        a[j] = t;
    }
}

static byz_kind pick_kind(world *w) {
    static const struct {
        uint32_t bit;
        byz_kind kind;
    } kinds[] = {{SIM_F_BYZ_EQUIVOCATE, BYZ_EQUIVOCATE}, {SIM_F_BYZ_DOUBLE_VOTE, BYZ_DOUBLE_VOTE},
                 {SIM_F_BYZ_SILENT, BYZ_SILENT},         {SIM_F_BYZ_GARBAGE, BYZ_GARBAGE},
                 {SIM_F_BYZ_INVALID, BYZ_INVALID},       {SIM_F_BYZ_AMNESIA, BYZ_AMNESIA},
                 {SIM_F_BYZ_LOCKBREAK, BYZ_LOCKBREAK}};
    byz_kind enabled[sizeof kinds / sizeof kinds[0]];
    size_t n = 0;
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (w->o.faults & kinds[i].bit) enabled[n++] = kinds[i].kind;
    HANSA_ASSERT(n > 0);
    return enabled[prng_below(&w->rng, n)];
}

/* Within budget: Byzantine power stays below 1/3 — with elections, of any
 * set the ledger can elect (byz power * 3 below the active set's other
 * members at the lowest honest power). Over budget: it reaches 1/3 (at
 * least two honest nodes remain, to be split in halves), and every
 * Byzantine node joins the coordinated attack. */
static void choose_byzantine(world *w, const sim_chain *c, uint64_t total) {
    bool over = w->o.byz_power_third;
    if (!over && !(w->o.faults & SIM_F_BYZ_ALL)) return;
    uint16_t order[SIM_NODES_MAX], n = c->n_nodes;
    shuffle(w, order, n);
    uint64_t byz = 0;
    uint16_t count = 0;
    uint16_t active = (uint16_t)(n - (n / 4 > 1 ? n / 4 : 1));
    for (uint16_t k = 0; k < n; k++) {
        sim_node *nd = &w->nodes[c->first_node + order[k]];
        if (over) {
            if (byz * 3 >= total || n - count <= 2) break;
        } else if (w->o.valset_change) {
            /* Under --frost every power stays equal (a set must be keyable). */
            uint64_t power = w->o.frost ? nd->power : 1 + prng_below(&w->rng, CHURN_BYZ_POWER_MAX);
            uint64_t honest_min = w->o.frost ? nd->power : CHURN_POWER_MIN;
            if (count + 1 >= active ||
                (byz + power) * 3 >= (uint64_t)(active - count - 1) * honest_min)
                continue;
            w->res->total_power -= nd->power - power;
            nd->power = power;
        } else if ((byz + nd->power) * 3 >= total) {
            continue;
        }
        nd->byz = over ? BYZ_COORDINATED : pick_kind(w);
        byz += nd->power;
        count++;
    }
    w->res->byz_nodes += count;
    w->res->byz_power += byz;
}

/* A chain's honest nodes in two halves of near-equal power (greedy,
 * heaviest first). */
static void split_halves(world *w, const sim_chain *c) {
    uint64_t load[2] = {0, 0};
    bool placed[SIM_NODES_MAX] = {false};
    uint16_t end = (uint16_t)(c->first_node + c->n_nodes);
    for (;;) {
        int best = -1;
        for (uint16_t i = c->first_node; i < end; i++)
            if (!placed[i] && w->nodes[i].byz == BYZ_NONE &&
                (best < 0 || w->nodes[i].power > w->nodes[best].power))
                best = i;
        if (best < 0) break;
        uint8_t h = load[1] < load[0];
        w->nodes[best].half = h;
        load[h] += w->nodes[best].power;
        placed[best] = true;
    }
    for (uint16_t i = c->first_node; i < end; i++)
        if (w->nodes[i].byz != BYZ_NONE) w->nodes[i].half = (i - c->first_node) & 1;
}

/* Wall clocks (block times, PBTS) are disciplined as NTP keeps a server's:
 * an honest node's lies within half the PBTS precision of true time, so
 * any two honest clocks differ by at most the precision PBTS assumes. A
 * Byzantine node's may be anywhere within a minute: it proposes blocks
 * that honest nodes must find untimely (the block-time checker, check.h).
 * The monotonic clocks keep their offsets and +-5% rate skew: timeouts
 * are what the rate skew stresses. */
static void set_wall_offset(world *w, sim_node *nd) {
    int64_t half = w->cfg.pbts_precision_ms / 2;
    if (nd->byz != BYZ_NONE) half = 60000;
    nd->wall_offset_ms = (int64_t)prng_below(&w->rng, (uint64_t)(2 * half + 1)) - half;
}

/* Chain k holds nodes k * nodes .. (k + 1) * nodes - 1. */
static void layout_chains(world *w) {
    w->n_chains = w->o.chains ? w->o.chains : 1;
    for (uint16_t k = 0; k < w->n_chains; k++) {
        sim_chain *c = &w->chains[k];
        c->idx = k;
        c->first_node = (uint16_t)(k * w->o.nodes);
        c->n_nodes = w->o.nodes;
        for (uint16_t i = c->first_node; i < c->first_node + c->n_nodes; i++) w->nodes[i].chain = c;
    }
}

static void setup_nodes(world *w) {
    layout_chains(w);
    for (uint16_t i = 0; i < w->n; i++) {
        sim_node *nd = &w->nodes[i];
        uint8_t seed[HANSA_SEED_BYTES];
        prng_fill(&w->rng, seed, sizeof seed);
        nd->w = w;
        nd->idx = i;
        keypair_from_seed(&nd->key, seed);
        nd->power = 1 + prng_below(&w->rng, POWER_MAX);
        if (w->o.valset_change && nd->power < CHURN_POWER_MIN) nd->power += CHURN_POWER_MIN;
        if (SIM_ATTACK_IS_SCRIPT(w->o.attack)) nd->power = SCRIPT_POWER;
        if (w->o.frost) nd->power = w->o.valset_change ? SIM_FROST_CHURN_POWER : SIM_FROST_POWER;
        w->res->total_power += nd->power;
        host_init(nd);
    }
    sort_by_key(w);
    for (uint16_t k = 0; k < w->n_chains; k++) {
        const sim_chain *c = &w->chains[k];
        uint64_t total = 0;
        for (uint16_t i = c->first_node; i < c->first_node + c->n_nodes; i++) total += w->nodes[i].power;
        choose_byzantine(w, c, total);
        split_halves(w, c);
    }
    for (uint16_t i = 0; i < w->n; i++) {
        sim_node *nd = &w->nodes[i];
        if (!(w->o.faults & SIM_F_DRIFT)) continue;
        nd->offset_us = (int64_t)prng_below(&w->rng, 10 * S);
        nd->skew_ppm = (int32_t)prng_below(&w->rng, 100001) - 50000;
        set_wall_offset(w, nd);
    }
    if (SIM_ATTACK_IS_SCRIPT(w->o.attack)) script_setup(w);
    for (uint16_t i = 0; i < w->n; i++) w->honest_count += w->nodes[i].byz == BYZ_NONE;
}

/* What every node runs with: hansad's defaults, with the simulator's
 * shorter timeouts (rounds of 1–2 s). */
static void setup_config(world *w) {
    node_config *c = &w->cfg;
    node_config_defaults(c);
    c->timeouts = (cons_timeouts){1000, 500, 500, 250, 500, 250};
    if (w->o.no_pacing) c->commit_delay_ms = 0;
    memset(c->hash_key, 0x5a, sizeof c->hash_key);
    c->frost_dkg = w->o.frost; /* and a checkpoint every block (the default) */
}

/* --- faults ------------------------------------------------------------------ */

static uint64_t min_u64(uint64_t a, uint64_t b) { return a < b ? a : b; }

static void schedule_faults(world *w) {
    uint32_t f = w->o.faults;
    /* A lockbreak node's attack holds messages too: it needs a GST. */
    if (f & (SIM_F_NET | SIM_F_PARTITION | SIM_F_CLOG | SIM_F_CRASH | SIM_F_TARGETED |
             SIM_F_BYZ_LOCKBREAK))
        w->gst_us = world_between(w, 2 * S, 10 * S);
    w->settle_us = SETTLE_US;
    if (SIM_ATTACK_IS_SCRIPT(w->o.attack)) w->gst_us = script_gst_us(w);
    if (SIM_ATTACK_IS_LIFT(w->o.attack)) w->gst_us = lift_attack_gst_us(w);
    if (f & SIM_F_PARTITION) {
        for (uint64_t t = world_between(w, 0, S); t < w->gst_us;) {
            uint64_t end = min_u64(t + world_between(w, 500 * MS, 4 * S), w->gst_us);
            world_push(w, t, EV_PARTITION, NULL, 0, 0, 0, 0, NULL);
            world_push(w, end, EV_HEAL, NULL, 0, 0, 0, 0, NULL);
            t = end + world_between(w, 200 * MS, 2 * S);
        }
    }
    if (f & SIM_F_CLOG) {
        uint64_t clogs = 1 + prng_below(&w->rng, w->n);
        for (uint64_t k = 0; k < clogs; k++) {
            uint64_t t = prng_below(&w->rng, w->gst_us);
            uint64_t end = min_u64(t + world_between(w, 500 * MS, 5 * S), w->gst_us);
            uint16_t a = (uint16_t)prng_below(&w->rng, w->n); /* b: of a's chain */
            const sim_chain *c = w->nodes[a].chain;
            uint16_t b = (uint16_t)(c->first_node +
                                    (a - c->first_node + 1 + prng_below(&w->rng, c->n_nodes - 1)) % c->n_nodes);
            world_push(w, t, EV_CLOG, &w->nodes[a], b, end, 0, 0, NULL);
            world_push(w, end, EV_UNCLOG, &w->nodes[a], b, 0, 0, 0, NULL);
        }
    }
    if (f & SIM_F_CRASH) {
        /* A crash comes at a random instant, in the middle of the node's
         * next disk write, or right after its next own proposal or vote
         * leaves; or its disk fills up, and it stops cleanly at the first
         * write that fails (host.c, full_write_fails). The node is back
         * 0.1–3 s later. */
        for (uint64_t t = world_between(w, 200 * MS, S); t < w->gst_us;
             t += world_between(w, 300 * MS, 2 * S)) {
            const sim_node *nd = &w->nodes[prng_below(&w->rng, w->n)];
            world_push(w, t, EV_CRASH, nd, CRASH_OF_MIX, 0, 0, (uint8_t)prng_below(&w->rng, 4), NULL);
            world_push(w, min_u64(t + world_between(w, 100 * MS, 3 * S), w->gst_us), EV_RESTART, nd, 0,
                       0, 0, 0, NULL);
        }
    }
    if (f & SIM_F_TARGETED)
        for (uint64_t t = world_between(w, 0, S); t < w->gst_us; t += world_between(w, S, 4 * S))
            world_push(w, t, EV_TARGET, NULL, 0, 0, 0, 0, NULL);
    for (uint16_t i = 0; i < w->n; i++) {
        const sim_node *nd = &w->nodes[i];
        if (nd->byz == BYZ_GARBAGE) world_push(w, world_between(w, 0, S), EV_GARBAGE, nd, 0, 0, 0, 0, NULL);
        if (nd->byz == BYZ_AMNESIA)
            world_push(w, world_between(w, S, 4 * S), EV_AMNESIA, nd, 0, 0, 0, 0, NULL);
    }
    world_push(w, w->gst_us, EV_GST, NULL, 0, 0, 0, 0, NULL);
    w->deadline_us = w->gst_us + w->settle_us + w->o.heights * HEIGHT_BUDGET_US;
}

static void on_partition(world *w) {
    /* A random non-empty proper subset on one side. */
    uint16_t side = (uint16_t)(1 + prng_below(&w->rng, w->n - 1));
    uint16_t order[SIM_NODES_MAX];
    shuffle(w, order, w->n);
    for (uint16_t i = 0; i < w->n; i++) w->group[order[i]] = i < side;
    w->partitioned = true;
    world_trace(w, SIM_T_PARTITION, &w->nodes[0], side, 0, 0, 0, NULL, false, UINT32_MAX);
}

/* The targeted delay: a random honest node's current height and, for its
 * current round and the next few, every (kind, signer, receiver) of
 * proposals, prevotes and precommits held until the window (0.5–4 s) ends
 * with a probability drawn per round (1/8 to 1/2). Timed against the
 * engines' timeouts, the partial views it leaves make quorums and
 * proposals that only some nodes see: they lock, or decide, and the others
 * move on without it — the shape of the line-29 attack, drawn at random. */
static void on_target(world *w) {
    sim_node *nd = &w->nodes[prng_below(&w->rng, w->n)];
    if (!nd->up || nd->byz != BYZ_NONE) return;
    node_status st;
    node_get_status(nd->n, &st);
    sim_target *t = &w->target;
    t->height = st.cons_height;
    t->first_round = st.cons_round;
    t->until_us = w->now_us + world_between(w, 500 * MS, 4 * S);
    memset(t->held, 0, sizeof t->held);
    for (int r = 0; r < SIM_TARGET_ROUNDS; r++) {
        uint64_t per8 = 1 + prng_below(&w->rng, 4); /* held with probability per8/8 */
        for (int k = 0; k < 3; k++)
            for (uint16_t from = 0; from < w->n; from++)
                for (uint16_t to = 0; to < w->n; to++)
                    if (prng_chance(&w->rng, per8, 8)) t->held[r][k][from] |= 1ull << to;
    }
    world_trace(w, SIM_T_TARGET, nd, 0, t->height, t->first_round, 0, NULL, false, UINT32_MAX);
}

/* --- the event loop ------------------------------------------------------------ */

/* Events scheduled for an incarnation that has since crashed are void. */
static bool node_current(const world *w, const sim_event *ev) {
    const sim_node *nd = &w->nodes[ev->node];
    return nd->up && nd->inc == ev->inc;
}

static void on_deliver(world *w, const sim_event *ev) {
    sim_msg *m = ev->ptr;
    sim_node *nd = &w->nodes[ev->node];
    if (!nd->up) {
        w->res->dropped++;
        world_trace(w, SIM_T_DROP, nd, ev->peer, 0, 0, 2, &m->hash, false, UINT32_MAX);
    } else {
        host_deliver(nd, ev->peer, m);
    }
    msg_unref(m);
}

/* Half the crashes the mix draws (at an instant, in a write, after a send)
 * are power losses, drawn from their own stream (world.h, power_rng). */
static bool draw_power_loss(world *w, const sim_event *ev) {
    return ev->peer == CRASH_OF_MIX && prng_below(&w->power_rng, 2) == 0;
}

/* The crash kinds a write can meet: lost, durable but unacknowledged, torn
 * (and half the mix's are power losses: a crash in the write that would
 * carry the lazy writes, or after a relaxed commit carried them). */
static void arm_crash(world *w, sim_node *nd, const sim_event *ev) {
    static const sim_disk_op ops[] = {SIM_DISK_SIGNER, SIM_DISK_WAL, SIM_DISK_BLOCK};
    static const sim_disk_fault faults[] = {SIM_DISK_CRASH_LOST, SIM_DISK_CRASH_AFTER,
                                            SIM_DISK_CRASH_TORN};
    nd->crash_armed = true;
    nd->crash_op = ops[prng_below(&w->rng, 3)];
    nd->crash_fault = faults[prng_below(&w->rng, 3)];
    nd->armed_power_loss = draw_power_loss(w, ev);
}

/* Crash right after the node's next own message of a random step leaves:
 * the moment "persist, then release" exists for. */
static void arm_crash_after_send(world *w, sim_node *nd, const sim_event *ev) {
    nd->crash_after_send = true;
    nd->crash_step = (uint8_t)prng_below(&w->rng, 3);
    nd->armed_power_loss = draw_power_loss(w, ev);
}

/* Its disk fills up: writes of one kind fail from now on (host.c,
 * full_write_fails) and the node must stop cleanly at the first. */
static void arm_disk_full(world *w, sim_node *nd) {
    static const sim_disk_op ops[] = {SIM_DISK_SIGNER, SIM_DISK_WAL, SIM_DISK_BLOCK};
    nd->disk_full = true;
    nd->full_op = ops[prng_below(&w->rng, 3)];
}

static void on_restart(world *w, sim_node *nd, const sim_event *ev) {
    if (nd->up && (nd->crash_armed || nd->crash_after_send || nd->disk_full)) { /* it never came: crash now */
        host_crash(nd, false);
        world_push(w, w->now_us + world_between(w, 10 * MS, 100 * MS), EV_RESTART, nd, 0, 0, 0,
                   ev->sub, NULL);
        return;
    }
    if (nd->up) return;
    world_trace(w, SIM_T_RESTART, nd, 0, nd->height + 1, 0, 0, NULL, ev->sub, UINT32_MAX);
    host_boot(nd, ev->sub);
}

static void dispatch(world *w, const sim_event *ev) {
    sim_node *nd = &w->nodes[ev->node];
    switch (ev->kind) {
    case EV_DELIVER: on_deliver(w, ev); return;
    case EV_WAKE:
        if (node_current(w, ev) && ev->time_us == nd->wake_ev_us) host_wake(nd);
        return;
    case EV_CRASH:
        if (nd->up && ev->sub == 1) arm_crash(w, nd, ev);
        else if (nd->up && ev->sub == 2) arm_crash_after_send(w, nd, ev);
        else if (nd->up && ev->sub == 3) arm_disk_full(w, nd);
        else if (nd->up) host_crash(nd, draw_power_loss(w, ev));
        return;
    case EV_RESTART: on_restart(w, nd, ev); return;
    case EV_AMNESIA:
        if (nd->up) {
            host_crash(nd, false);
            world_push(w, w->now_us + world_between(w, 10 * MS, 300 * MS), EV_RESTART, nd, 0, 0,
                       0, 1, NULL);
        }
        world_push(w, w->now_us + world_between(w, S, 4 * S), EV_AMNESIA, nd, 0, 0, 0, 0, NULL);
        return;
    case EV_GARBAGE:
        if (nd->up) byz_garbage(nd);
        world_push(w, w->now_us + world_between(w, 50 * MS, 300 * MS), EV_GARBAGE, nd, 0, 0, 0,
                   0, NULL);
        return;
    case EV_PARTITION: on_partition(w); return;
    case EV_HEAL:
        w->partitioned = false;
        world_trace(w, SIM_T_HEAL, nd, 0, 0, 0, 0, NULL, false, UINT32_MAX);
        return;
    case EV_CLOG:
        if (w->clog_until[ev->node][ev->peer] < ev->height) w->clog_until[ev->node][ev->peer] = ev->height;
        world_trace(w, SIM_T_CLOG, nd, ev->peer, 0, 0, 0, NULL, false, UINT32_MAX);
        return;
    case EV_UNCLOG:
        world_trace(w, SIM_T_UNCLOG, nd, ev->peer, 0, 0, 0, NULL, false, UINT32_MAX);
        return;
    case EV_GST:
        w->stable = true;
        w->partitioned = false;
        world_trace(w, SIM_T_GST, nd, 0, 0, 0, 0, NULL, false, UINT32_MAX);
        return;
    case EV_LINK_DOWN: host_link_down(nd, ev->peer); return;
    case EV_LINK_UP: host_link_up(nd, ev->peer); return;
    case EV_CLIENT: chain_client_act(w, &w->chains[ev->peer]); return;
    case EV_TARGET: on_target(w); return;
    }
    HANSA_UNREACHABLE();
}

static void run_loop(world *w) {
    sim_event ev;
    /* Run past GST + settle (and then some) even when the target comes
     * early, so every run has heights whose rounds the liveness checker
     * bounds; a lift attack runs until its last lift's deadline. */
    while ((w->honest_done < w->honest_count || w->now_us < w->gst_us + w->settle_us + LIVE_US ||
            lift_attack_running(w)) &&
           sim_heap_pop(&w->q, &ev)) {
        if (ev.time_us > w->deadline_us) {
            if (ev.kind == EV_DELIVER) msg_unref(ev.ptr);
            break;
        }
        HANSA_ASSERT(ev.time_us >= w->now_us);
        w->now_us = ev.time_us;
        w->res->events++;
        dispatch(w, &ev);
    }
}

static void teardown(world *w) {
    sim_event ev;
    while (sim_heap_pop(&w->q, &ev))
        if (ev.kind == EV_DELIVER) msg_unref(ev.ptr);
    sim_heap_free(&w->q);
    for (uint16_t i = 0; i < w->n; i++) host_free(&w->nodes[i]);
    sim_block_pool_free(w->block_pool);
    script_free(w);
    smap_free(&w->invalid_blocks);
    fed_free(w);
    frost_free(w);
    free(w->rcpts);
    lifts_free(w);
    for (uint16_t k = 0; k < w->n_chains; k++) sim_checker_free(&w->chk[k]);
    hbuf_free(&w->scratch);
}

static void collect(world *w, sim_result *r) {
    uint64_t low = UINT64_MAX;
    for (uint16_t i = 0; i < w->n; i++) {
        const sim_node *nd = &w->nodes[i];
        if (nd->byz == BYZ_NONE && nd->height < low) low = nd->height;
        r->disk_writes += sim_disk_writes(nd->disk);
    }
    r->heights_decided = low == UINT64_MAX ? 0 : low;
    chain_finish(w);
    /* The chains' checkers combined: counts add up, coverage joins, the
     * first violation is the first chain's that has one (named when there
     * are several chains), and the digest is chain 0's alone with one
     * chain (so one-chain runs keep theirs), else that of all of them. */
    sha256_ctx all;
    sha256_init(&all);
    _Static_assert(SIM_V_COUNT_ <= sizeof r->violations / sizeof r->violations[0], "room");
    _Static_assert(sizeof r->coverage == sizeof w->chk[0].coverage, "coverage words");
    for (uint16_t k = 0; k < w->n_chains; k++) {
        sim_checker *chk = &w->chk[k];
        r->txs_committed += chain_committed_txs(w, &w->chains[k]);
        sim_checker_finish(chk, w->o.heights, &r->digest);
        sha256_update(&all, r->digest.b, sizeof r->digest.b);
        r->safety_violations += sim_checker_safety(chk);
        r->liveness_failures += sim_checker_liveness(chk);
        for (int v = 0; v < SIM_V_COUNT_; v++) r->violations[v] += chk->count[v];
        for (int i = 0; i < SIM_COVERAGE_WORDS; i++) r->coverage[i] |= chk->coverage[i];
        if (r->first_violation[0] == '\0' && chk->first[0] != '\0') {
            if (w->n_chains == 1) memcpy(r->first_violation, chk->first, sizeof r->first_violation);
            else snprintf(r->first_violation, sizeof r->first_violation, "chain %u: %s", k, chk->first);
        }
    }
    if (w->n_chains > 1) sha256_final(&all, &r->digest);
    fed_finish(w, r);
    rcpt_finish(w, r);
    lifts_finish(w, r);
    frost_finish(w, r);
    r->sim_time_us = w->now_us;
    r->gst_us = w->gst_us;
}

/* The memos of a simulation's length: every simulated node judges the same
 * blocks, so the tx root, the header hash, the last commit's hash, the
 * writes hash and the app hash are asked of the same bytes once per node
 * (hansad, which judges each block once, never turns them on). Each
 * answers only bytes equal to its last in full (base/memo.h). The nodes'
 * state roots share one memo of runs of leaves, sized for the run's chains
 * (leaves.h), which compares a run's leaves in full. The stand-in
 * signature's memo (sig.c) needs no switch: its verdict depends on nothing
 * but its inputs. sim_run puts back what its caller had (a test may keep
 * them on around several runs). */
typedef struct {
    bool wire, writes;
    size_t leaf_chains;
} sim_memo_state;

static sim_memo_state sim_memos_get(void) {
    return (sim_memo_state){.wire = wire_memos_on(), .writes = ledger_writes_hash_memo_on(),
                            .leaf_chains = ledger_leaf_memo_shared()};
}

static void sim_memos_set(sim_memo_state s) {
    wire_memos(s.wire);
    ledger_writes_hash_memo(s.writes);
    ledger_leaf_memo_share(s.leaf_chains);
}

hansa_err sim_run(const sim_options *o, sim_result *r) {
    uint16_t chains = o->chains ? o->chains : 1;
    if (chains > SIM_CHAINS_MAX || (chains > 1 && SIM_ATTACK_IS_SCRIPT(o->attack))) return HANSA_ERR_CONFIG;
    if (o->nodes < SIM_NODES_MIN || (uint32_t)o->nodes * chains > SIM_NODES_MAX) return HANSA_ERR_CONFIG;
    if (o->heights < 1 || o->heights > SIM_HEIGHTS_MAX) return HANSA_ERR_CONFIG;
    if (o->faults & ~(uint32_t)SIM_F_ALL) return HANSA_ERR_CONFIG;
    if (SIM_ATTACK_IS_SCRIPT(o->attack) && script_check_options(o) != HANSA_OK) return HANSA_ERR_CONFIG;
    if (SIM_ATTACK_IS_LIFT(o->attack) && lift_attack_check_options(o) != HANSA_OK) return HANSA_ERR_CONFIG;
    if (o->valset_change > SIM_VALSET_CHANGE_MAX) return HANSA_ERR_CONFIG;
    if (o->load_tps > SIM_LOAD_TPS_MAX) return HANSA_ERR_CONFIG;
    if (o->lifts && (chains < 3 || !o->load_tps)) return HANSA_ERR_CONFIG; /* clients drive the lifts */
    /* The scripted attacks' worlds have no room for it but its own, on one chain. */
    bool frost_attack = o->attack == SIM_ATTACK_FROST_HANDOFF;
    if (o->frost && o->attack && !frost_attack) return HANSA_ERR_CONFIG;
    if (frost_attack && (!o->frost || !o->valset_change || chains > 1)) return HANSA_ERR_CONFIG;
    crypto_init();
    /* The run owns the process's signature scheme and log for its length. */
    sign_scheme_install(o->frost ? &sim_sign_scheme_frost : &sim_sign_scheme);
    sim_memo_state saved_memos = sim_memos_get();
    sim_memos_set((sim_memo_state){.wire = true, .writes = true, .leaf_chains = chains});
    /* Single-threaded: batches of signatures (commits, blocks) are checked
     * inline, on the one thread whose order the seed fixes. */
    unsigned saved_threads = sig_batch_threads();
    sig_batch_set_threads(1);
    log_level saved_level = log_get_level();
    log_set_level(o->trace ? LOG_INFO : LOG_OFF); /* with a trace, the nodes' warnings too */
    memset(r, 0, sizeof *r);
    world *w = hansa_calloc(1, sizeof *w);
    w->o = *o;
    w->res = r;
    w->n = (uint16_t)(o->nodes * chains);
    prng_seed(&w->rng, o->seed);
    prng_seed(&w->power_rng, o->seed ^ 0x706f776572ull);
    sim_heap_init(&w->q);
    w->block_pool = sim_block_pool_new();
    setup_config(w);
    setup_nodes(w);
    chain_setup(w);
    for (uint16_t k = 0; k < w->n_chains; k++) {
        const sim_chain *c = &w->chains[k];
        bool honest[SIM_NODES_MAX];
        for (uint16_t i = 0; i < c->n_nodes; i++) honest[i] = w->nodes[c->first_node + i].byz == BYZ_NONE;
        sim_checker_init(&w->chk[k], c->n_nodes, honest);
        sim_checker_time_bound(&w->chk[k], c->genesis.params.genesis_time_ms, w->cfg.pbts_precision_ms / 2,
                               w->cfg.pbts_precision_ms, w->cfg.pbts_msg_delay_ms);
    }
    smap_init(&w->invalid_blocks);
    fed_setup(w);
    frost_setup(w);
    schedule_faults(w);
    for (uint16_t i = 0; i < w->n; i++) host_boot(&w->nodes[i], false);
    run_loop(w);
    collect(w, r);
    teardown(w);
    free(w);
    log_set_level(saved_level);
    log_set_prefix(NULL);
    sign_scheme_install(NULL);
    sim_memos_set(saved_memos);
    sig_batch_set_threads(saved_threads);
    return HANSA_OK;
}
