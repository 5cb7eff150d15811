/* sim_cmd.c — `hansa sim`: the command-line face of src/sim/.
 *
 *   hansa sim [--seed S] [--seeds K] [--nodes N] [--chains C] [--heights H]
 *             [--faults mix[,mix...]] [--byz-power-third] [--break-line29]
 *             [--attack NAME] [--trace] [--valset-change K] [--load TPS]
 *             [--first-failure] [--receipts] [--lifts] [--frost]
 *
 * One seed (K = 1) prints the run's figures and digest. A campaign (K > 1)
 * runs seeds S..S+K-1 for every mix in the list and prints, per mix, the
 * seeds run, heights decided, safety violations, liveness failures and
 * simulated heights per wall-clock second; each failing seed is printed with
 * the exact command that replays it. --chains C runs C chains of N nodes
 * each that follow one another with light clients (docs/sim.md, "Several
 * chains"). Without --nodes a campaign draws each
 * run's node count (4..10) from its seed; the replay command names it. The
 * mix "random" draws each seed's faults from the seed, guided by the
 * coverage the campaign has reached so far (sim_guide); the replay command
 * names the mix drawn. The last column of a campaign counts the protocol
 * situations its runs reached. --first-failure ends a campaign
 * at its first failing seed (scripts/mutate counts seeds to the first
 * catch).
 * --attack line29 runs the scripted line-29 attack (src/sim/script.c) on 4
 * nodes with no random faults: with --break-line29 it must report an
 * agreement violation, without it none. --attack crash-precommit crashes
 * three of the 4 nodes in an open height, two of them locked on a value
 * only their WALs keep (it must end live; scripts/mutate's wal-no-replay
 * stalls it). With --lifts (3 chains) --attack
 * interlocking, unilateral-timeout, crashed-relay, silent-originator,
 * forged-commit, invoice-overlift or all runs the scripted DSR lift attack (src/sim/
 * lift_attack.c) in place of the random lifts. With --frost and --valset-change,
 * --attack frost-handoff crashes an old member at the first set change so that the
 * handoff needs it restarted (src/sim/frost.c). The wall clock is read here, never
 * inside the simulator. */
#include "cmd/lib/sim_cmd.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/rng.h"
#include "sim/sim.h"

#define MIXES_MAX 16

typedef struct {
    sim_options base;
    uint64_t seeds;
    bool nodes_given, trace, first_failure;
    char *mixes[MIXES_MAX];
    size_t n_mixes;
    char mix_buf[512];
} sim_args;

static void usage(void) {
    fprintf(stderr,
            "usage: hansa sim [--seed S] [--seeds K] [--nodes N] [--chains C] [--heights H]\n"
            "                 [--faults mix[,mix...]] [--byz-power-third] [--break-line29]\n"
            "                 [--attack NAME] [--trace] [--valset-change K] [--load TPS]\n"
            "                 [--first-failure] [--receipts] [--lifts] [--frost]\n"
            "--valset-change K: an election every K heights while clients' votes move\n"
            "       weight between candidates (evidence in a block always slashes)\n"
            "--chains C: C chains (1..4) of N nodes each, following one another with\n"
            "       light clients their nodes relay to (C * N <= 64)\n"
            "--load TPS: client transactions per simulated second (default 20, 0: none)\n"
            "--first-failure: a campaign stops at its first failing seed\n"
            "--receipts: delegates bond receipt collateral, clients ask for receipts,\n"
            "       double-spend some and claim the broken ones (checked: paid in full)\n"
            "--lifts: (3 chains) debts on chains 0 and 1, circular lifts inside each and\n"
            "       across both with chain 2 as referee (checked: bounds, agreement,\n"
            "       conservation, every lift resolved after its expiry)\n"
            "--frost: the delegates run the DKG at genesis and at each set change and\n"
            "       sign every block's checkpoint (checked on chain 0: one key per epoch,\n"
            "       no nonce reused, every height signed while a threshold is up); with\n"
            "       --chains, clients learn keys by proof and follow by checkpoints\n"
            "--attack NAME: line29 (4 nodes, no faults), or with --lifts a scripted DSR\n"
            "       lift attack: interlocking, unilateral-timeout, crashed-relay,\n"
            "       silent-originator, forged-commit, invoice-overlift, all (docs/sim.md\n"
            "       \"Lift attacks\"), or with --frost --valset-change K frost-handoff\n"
            "mixes: none net partition clog crash drift targeted byzantine byz-equivocate\n"
            "       byz-double-vote byz-silent byz-garbage byz-invalid byz-amnesia byz-lockbreak\n"
            "       all (join with '+'), or random (each seed draws its own mix, guided by\n"
            "       the coverage the campaign reached)\n");
}

static bool parse_u64(const char *s, uint64_t *out) {
    char *end;
    if (!s || !*s) return false;
    *out = strtoull(s, &end, 0);
    return *end == '\0';
}

static int parse_args(int argc, char **argv, sim_args *a) {
    memset(a, 0, sizeof *a);
    sim_options_default(&a->base);
    a->seeds = 1;
    snprintf(a->mix_buf, sizeof a->mix_buf, "none");
    for (int i = 1; i < argc; i++) {
        const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        uint64_t x;
        if (strcmp(k, "--byz-power-third") == 0) a->base.byz_power_third = true;
        else if (strcmp(k, "--break-line29") == 0) a->base.break_line29 = true;
        else if (strcmp(k, "--trace") == 0) a->trace = true;
        else if (strcmp(k, "--first-failure") == 0) a->first_failure = true;
        else if (strcmp(k, "--receipts") == 0) a->base.receipts = true;
        else if (strcmp(k, "--lifts") == 0) a->base.lifts = true;
        else if (strcmp(k, "--frost") == 0) a->base.frost = true;
        else if (strcmp(k, "--attack") == 0 && v && sim_attack_parse(v, &a->base.attack) == HANSA_OK) {
            /* The script's world has four nodes; a campaign must not draw
             * other sizes (an explicit --nodes is kept, and refused). */
            if (a->base.attack && !a->nodes_given) a->base.nodes = 4;
            a->nodes_given = a->nodes_given || a->base.attack;
            i++;
        }
        else if (strcmp(k, "--faults") == 0 && v) {
            snprintf(a->mix_buf, sizeof a->mix_buf, "%s", v);
            i++;
        } else if (parse_u64(v, &x) && strcmp(k, "--seed") == 0) a->base.seed = x, i++;
        else if (parse_u64(v, &x) && strcmp(k, "--seeds") == 0 && x > 0) a->seeds = x, i++;
        else if (parse_u64(v, &x) && strcmp(k, "--heights") == 0) a->base.heights = x, i++;
        else if (parse_u64(v, &x) && strcmp(k, "--chains") == 0 && x >= 1 && x <= SIM_CHAINS_MAX)
            a->base.chains = (uint8_t)x, i++;
        else if (parse_u64(v, &x) && strcmp(k, "--load") == 0 && x <= SIM_LOAD_TPS_MAX)
            a->base.load_tps = (uint32_t)x, i++;
        else if (parse_u64(v, &x) && strcmp(k, "--valset-change") == 0 && x > 0 &&
                 x <= SIM_VALSET_CHANGE_MAX)
            a->base.valset_change = (uint32_t)x, i++;
        else if (parse_u64(v, &x) && strcmp(k, "--nodes") == 0 && x <= SIM_NODES_MAX) {
            a->base.nodes = (uint16_t)x;
            a->nodes_given = true;
            i++;
        } else {
            fprintf(stderr, "hansa sim: bad option '%s'\n", k);
            return 2;
        }
    }
    for (char *save = NULL, *m = strtok_r(a->mix_buf, ",", &save); m;
         m = strtok_r(NULL, ",", &save)) {
        uint32_t bits;
        const char *why = NULL;
        if (a->n_mixes == MIXES_MAX ||
            (strcmp(m, "random") != 0 && sim_faults_parse(m, &bits, &why) != HANSA_OK)) {
            fprintf(stderr, "hansa sim: --faults '%s': %s\n", m, why ? why : "too many mixes");
            return 2;
        }
        a->mixes[a->n_mixes++] = m;
    }
    return 0;
}

/* Without --nodes, each campaign seed picks its own size, 4..10. */
static uint16_t nodes_for_seed(uint64_t seed) {
    hansa_prng p;
    prng_seed(&p, seed ^ 0x6e6f646573ull);
    return (uint16_t)(4 + prng_below(&p, 7));
}

/* The faults of mix for seed (guided by g for "random"), and their name
 * for the replay command. */
static void resolve_mix(const char *mix, uint64_t seed, const sim_guide *g, uint32_t *bits,
                        char *name, size_t n) {
    if (strcmp(mix, "random") == 0) {
        *bits = sim_faults_guided(g, seed);
        sim_faults_format(*bits, name, n);
    } else {
        (void)sim_faults_parse(mix, bits, NULL);
        snprintf(name, n, "%s", mix);
    }
}

static int run_single(const sim_args *a) {
    sim_options o = a->base;
    sim_result r;
    char mix[256];
    sim_guide g;
    sim_guide_init(&g);
    resolve_mix(a->mixes[0], o.seed, &g, &o.faults, mix, sizeof mix);
    if (a->trace) o.trace = stdout;
    uint64_t t0 = clock_system_mono_us();
    if (sim_run(&o, &r) != HANSA_OK) {
        fprintf(stderr, "hansa sim: options out of range (nodes %d..%d, heights 1..%d; "
                "--attack line29|crash-precommit: 4 nodes, --faults none, no --byz-power-third; "
                "lift attacks: --lifts, --chains 3, --faults none; "
                "--lifts: --chains 3 or more, --load above 0; --frost: no --attack "
                "but frost-handoff, which needs --valset-change and one chain)\n",
                SIM_NODES_MIN, SIM_NODES_MAX, SIM_HEIGHTS_MAX);
        return 2;
    }
    double wall_s = (double)(clock_system_mono_us() - t0) / 1e6;
    printf("faults %s\n", mix);
    sim_report_run(stdout, &o, &r);
    printf("wall_s %.3f\nheights_per_s %.1f\n", wall_s,
           wall_s > 0 ? (double)r.heights_decided / wall_s : 0.0);
    bool bad = r.safety_violations || r.liveness_failures;
    if (bad) {
        printf("replay: ");
        sim_report_replay(stdout, "hansa", &o, mix);
    }
    return bad ? 1 : 0;
}

static int run_campaign(const sim_args *a) {
    int status = 0;
    printf("%-28s %6s %8s %7s %9s %10s %9s\n", "faults", "seeds", "heights", "safety", "liveness",
           "heights/s", "coverage");
    for (size_t m = 0; m < a->n_mixes; m++) {
        uint64_t heights = 0, safety = 0, liveness = 0;
        sim_guide g;
        sim_guide_init(&g);
        uint64_t t0 = clock_system_mono_us();
        for (uint64_t s = 0; s < a->seeds; s++) {
            sim_options o = a->base;
            sim_result r;
            o.seed = a->base.seed + s;
            if (!a->nodes_given) o.nodes = nodes_for_seed(o.seed);
            char mix[256];
            resolve_mix(a->mixes[m], o.seed, &g, &o.faults, mix, sizeof mix);
            /* Which seed, should this one die (scripts/mutate reads it). */
            if (a->first_failure) fprintf(stderr, "seed %" PRIu64 " (%" PRIu64 " of the campaign)\n", o.seed, s + 1);
            if (sim_run(&o, &r) != HANSA_OK) {
                fprintf(stderr, "hansa sim: options out of range for seed %" PRIu64 "\n", o.seed);
                return 2;
            }
            heights += r.heights_decided;
            safety += r.safety_violations;
            liveness += r.liveness_failures;
            sim_guide_update(&g, o.faults, &r);
            if (r.safety_violations || r.liveness_failures) {
                printf("  FAIL seed %" PRIu64 " (%" PRIu64 " of the campaign): %s\n  replay: ",
                       o.seed, s + 1, r.first_violation);
                sim_report_replay(stdout, "hansa", &o, mix);
                fflush(stdout);
                status = 1;
                if (a->first_failure) return status;
            }
        }
        double wall_s = (double)(clock_system_mono_us() - t0) / 1e6;
        printf("%-28s %6" PRIu64 " %8" PRIu64 " %7" PRIu64 " %9" PRIu64 " %10.1f %9d\n", a->mixes[m],
               a->seeds, heights, safety, liveness, wall_s > 0 ? (double)heights / wall_s : 0.0,
               __builtin_popcountll(g.seen[0]) + __builtin_popcountll(g.seen[1]));
        fflush(stdout);
    }
    return status;
}

/* Runs this command again in a process whose heap glibc backs with
 * transparent huge pages (the tunable is read only at process start). A
 * long run's heap holds every node's blocks and indexes, hundreds of MB, and
 * first touching it 4 KB at a time cost a fifth of the CPU in page faults
 * (20000 heights: 74k faults -> 12k, user CPU -21%). Blocks of 128 KB and
 * more (mempools, hash tables as they double) would still get mmap'd regions
 * of their own, outside the huge-page heap, each faulted in 4 KB at a time:
 * a fixed mmap threshold of 32 MB keeps them in the heap (10000 heights:
 * faults 9-10k -> 1.1k, CPU -9%), and a high trim threshold keeps the heap
 * from shrinking and faulting in again. The run itself is the same: the
 * digest does not depend on the allocator. Left as it is when the caller
 * set GLIBC_TUNABLES, under valgrind, or when the exec fails (no /proc). */
#define SIM_MALLOC_TUNABLES                                                                    \
    "glibc.malloc.hugetlb=1:glibc.malloc.mmap_threshold=33554432:"                             \
    "glibc.malloc.trim_threshold=1073741824"
/* True when /proc/self/exe is the program the kernel was asked to run: not
 * under valgrind (or another loader), where it is the tool, which would run
 * without the program's own arguments. */
static bool exe_is_this_program(void) {
    const char *fn = (const char *)getauxval(AT_EXECFN);
    struct stat a, b;
    return fn != NULL && stat(fn, &a) == 0 && stat("/proc/self/exe", &b) == 0 &&
           a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

static void exec_with_huge_pages(int argc, char **argv) {
    if (getenv("GLIBC_TUNABLES") != NULL || !exe_is_this_program()) return;
    char **args = calloc((size_t)argc + 2, sizeof *args);
    if (!args) return;
    args[0] = "hansa";
    for (int i = 0; i < argc; i++) args[i + 1] = argv[i];
    if (setenv("GLIBC_TUNABLES", SIM_MALLOC_TUNABLES, 1) == 0) {
        fflush(NULL);
        execv("/proc/self/exe", args);
        unsetenv("GLIBC_TUNABLES");
    }
    free(args);
}

int cmd_sim(int argc, char **argv) {
    exec_with_huge_pages(argc, argv);
    sim_args *a = calloc(1, sizeof *a);
    if (!a) return 1;
    int rc = parse_args(argc, argv, a);
    if (rc == 0) rc = a->seeds == 1 && a->n_mixes == 1 ? run_single(a) : run_campaign(a);
    else usage();
    free(a);
    return rc;
}
