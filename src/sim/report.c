/* report.c — the simulator's text output, to a FILE* the caller chooses.
 *
 * The only file of src/sim/ that formats for people; the source rules let it
 * write to stdout when cmd/ hands it stdout. Everything here reads results,
 * never the world, so reports cannot change a run. */
#include <inttypes.h>
#include <stdio.h>

#include "base/hex.h"
#include "sim/check.h"
#include "sim/sim.h"

static const char *trace_kind_name(sim_trace_kind k) {
    switch (k) {
    case SIM_T_DELIVER: return "deliver";
    case SIM_T_DROP: return "drop";
    case SIM_T_REJECT: return "reject";
    case SIM_T_SIGNED: return "signed";
    case SIM_T_DECIDE: return "decide";
    case SIM_T_EQUIVOCATION_SEEN: return "equivocation-seen";
    case SIM_T_EVIDENCE: return "evidence";
    case SIM_T_HEIGHT_START: return "height-start";
    case SIM_T_CRASH: return "crash";
    case SIM_T_RESTART: return "restart";
    case SIM_T_PARTITION: return "partition";
    case SIM_T_HEAL: return "heal";
    case SIM_T_CLOG: return "clog";
    case SIM_T_UNCLOG: return "unclog";
    case SIM_T_TIMEOUT: return "timeout";
    case SIM_T_GST: return "gst";
    case SIM_T_SYNC: return "sync";
    case SIM_T_VALSET: return "valset";
    case SIM_T_STOPPED: return "stopped";
    case SIM_T_COMMITTED: return "committed";
    case SIM_T_TARGET: return "target";
    case SIM_T_VOTED_INVALID: return "voted-invalid";
    case SIM_T_PROPOSAL: return "proposal";
    case SIM_T_VOTED: return "voted";
    case SIM_T_ATTACK: return "attack";
    case SIM_T_BLOCK_TIME: return "block-time";
    case SIM_T_WRITE_FAILED: return "write-failed";
    }
    return "?";
}

void sim_trace_print(FILE *f, const sim_trace_ev *ev) {
    char id[17];
    hex_encode(ev->id.b, 8, id);
    fprintf(f, "%10.6f %-17s node=%u%s other=%u h=%" PRIu64 " r=%u step=%u flag=%u id=%s\n",
            (double)ev->time_us / 1e6, trace_kind_name(ev->kind), ev->node, ev->honest ? "" : "*",
            ev->other, ev->height, ev->round, ev->step, ev->flag, id);
}

void sim_report_run(FILE *f, const sim_options *o, const sim_result *r) {
    char digest[2 * HANSA_HASH_BYTES + 1];
    hex_encode(r->digest.b, HANSA_HASH_BYTES, digest);
    if (o->attack) fprintf(f, "attack %s\n", sim_attack_name(o->attack));
    if (o->chains > 1)
        fprintf(f, "chains %u\nrelay_updates %" PRIu64 "\nclients_checked %" PRIu64 " nodes, lag at most %" PRIu64
                   " heights\npackets %" PRIu64 " sent, %" PRIu64 " recvs and %" PRIu64 " acks relayed\n"
                   "conservation_checks %" PRIu64 "\n", o->chains, r->relay_updates, r->clients_checked,
                r->client_lag_max, r->packets_sent, r->packet_recvs, r->packet_acks, r->conservation_checks);
    if (o->chains > 1 && o->frost)
        fprintf(f, "relayed by FROST checkpoint %" PRIu64 ", with a key proof %" PRIu64 "\n", r->relay_frost,
                r->relay_key_proofs);
    if (o->receipts)
        fprintf(f, "receipts asked %" PRIu64 ", issued %" PRIu64 ", double-spent %" PRIu64 ", kept %" PRIu64
                   ", claims %" PRIu64 ", paid %" PRIu64 "\n", r->receipts_asked, r->receipts_issued,
                r->receipt_double_spends, r->receipts_kept, r->receipt_claims, r->receipts_paid);
    if (o->lifts)
        fprintf(f, "lifts local %" PRIu64 ", cross %" PRIu64 " (promises %" PRIu64 ", rulings %" PRIu64
                   "), committed %" PRIu64 ", expired %" PRIu64 ", liveness checked %" PRIu64 ", checks %" PRIu64
                   ", forged rulings %" PRIu64 " (taken %" PRIu64 ")\n",
                r->lifts_local, r->lifts_cross, r->lift_promises, r->lift_rulings, r->lifts_committed,
                r->lifts_expired, r->lifts_live_checked, r->lift_checks, r->lift_forgeries, r->lift_forgeries_taken);
    if (o->lifts)
        fprintf(f, "lift latency (simulated) local p50 %" PRIu64 " ms, p99 %" PRIu64 " ms (%" PRIu64
                   " lifts); cross p50 %" PRIu64 " ms, p99 %" PRIu64 " ms (%" PRIu64 " lifts)\n",
                r->lift_local_p50_ms, r->lift_local_p99_ms, r->lift_local_timed, r->lift_cross_p50_ms,
                r->lift_cross_p99_ms, r->lift_cross_timed);
    if (SIM_ATTACK_IS_LIFT(o->attack))
        fprintf(f, "attack lifts %" PRIu64 ", as ruled %" PRIu64 ", crashes %" PRIu64 "\n", r->attack_lifts,
                r->attack_lifts_as_ruled, r->attack_crashes);
    if (o->frost)
        fprintf(f, "frost keys %" PRIu64 " (DKG %" PRIu64 " ms simulated, mean), shares %" PRIu64
                   ", forged requests %" PRIu64 ", heights signed %" PRIu64 ", liveness checked %" PRIu64
                   " (missed %" PRIu64 "), checkpoints checked %" PRIu64 ", handoffs %" PRIu64
                   ", share requests %" PRIu64 ", handoffs judged %" PRIu64 "\n",
                r->frost_keys, r->frost_dkg_ms, r->frost_shares, r->frost_forged, r->frost_signed,
                r->frost_live_checked, r->frost_missed, r->frost_checked, r->frost_handoffs,
                r->frost_share_reqs, r->frost_handoffs_judged);
    fprintf(f, "seed %" PRIu64 "\nnodes %u\nbyzantine %u nodes, power %" PRIu64 " of %" PRIu64 "\n",
            o->seed, o->nodes, r->byz_nodes, r->byz_power, r->total_power);
    fprintf(f, "heights %" PRIu64 " of %" PRIu64 "\nsim_time_s %.3f\ngst_s %.3f\n",
            r->heights_decided, o->heights, (double)r->sim_time_us / 1e6, (double)r->gst_us / 1e6);
    fprintf(f, "events %" PRIu64 "\ndelivered %" PRIu64 "\ndropped %" PRIu64 "\nrejected %" PRIu64
            "\ncrashes %" PRIu64 "\nsyncs %" PRIu64 "\nevidence %" PRIu64 "\nmax_round %" PRIu64 "\n",
            r->events, r->delivered, r->dropped, r->rejected, r->crashes, r->syncs, r->evidence,
            r->max_round);
    fprintf(f, "txs submitted %" PRIu64 " committed %" PRIu64 "\n", r->txs_submitted,
            r->txs_committed);
    fprintf(f, "disk_writes %" PRIu64 "\nwrite_crashes %" PRIu64 "\nfull_stops %" PRIu64
            "\npower_losses %" PRIu64 "\nlazy_writes_lost %" PRIu64 "\n", r->disk_writes,
            r->write_crashes, r->full_stops, r->power_losses, r->lazy_writes_lost);
    fprintf(f, "honest_penalty_points %" PRIu64 "\n", r->honest_penalty_points);
    fprintf(f, "set_changes %" PRIu64 "\nslashed %" PRIu64 "\n", r->set_changes, r->slashed);
    fprintf(f, "coverage %d situations\n",
            __builtin_popcountll(r->coverage[0]) + __builtin_popcountll(r->coverage[1]));
    for (int v = 0; v < SIM_V_COUNT_; v++)
        if (r->violations[v])
            fprintf(f, "violation %s %" PRIu64 "\n", sim_violation_name((sim_violation)v),
                    r->violations[v]);
    if (r->first_violation[0]) fprintf(f, "first_violation %s\n", r->first_violation);
    fprintf(f, "safety_violations %" PRIu64 "\nliveness_failures %" PRIu64 "\ndigest %s\n",
            r->safety_violations, r->liveness_failures, digest);
}

void sim_report_replay(FILE *f, const char *prog, const sim_options *o, const char *faults) {
    fprintf(f, "%s sim --seed %" PRIu64 " --nodes %u --heights %" PRIu64 " --faults %s%s%s", prog,
            o->seed, o->nodes, o->heights, faults, o->byz_power_third ? " --byz-power-third" : "",
            o->break_line29 ? " --break-line29" : "");
    if (o->attack) fprintf(f, " --attack %s", sim_attack_name(o->attack));
    if (o->valset_change) fprintf(f, " --valset-change %" PRIu32, o->valset_change);
    if (o->chains > 1) fprintf(f, " --chains %u", o->chains);
    if (o->receipts) fprintf(f, " --receipts");
    if (o->lifts) fprintf(f, " --lifts");
    if (o->frost) fprintf(f, " --frost");
    fprintf(f, " --load %" PRIu32 "\n", o->load_tps);
}
