/* cli_wait.c — `hansa status --wait-sync` (see cli.h, cli_wait_synced). */
#include <stdio.h>
#include <unistd.h>

#include "base/clock.h"
#include "cmd/lib/cli.h"
#include "cmd/lib/rpc_client.h"

/* --wait-sync: polls status until the node answers, has committed a block
 * and no peer is ahead of it, with progress on stderr (a node still starting
 * is waited for too). Returns the last status, or NULL (message printed,
 * *rc set) when timeout_ms passes. */
json_t *cli_wait_synced(const char *addr, uint64_t timeout_ms, int *rc) {
    uint64_t start = clock_system_mono_us(), h0 = 0;
    cli_progress prog = cli_progress_start();
    const char *state = "not answering";
    for (;;) {
        rpcc_error err;
        json_t *r = rpcc_call(addr, "status", NULL, CLI_CALL_TIMEOUT_MS, &err);
        bool answered = r != NULL;
        double s = (double)(clock_system_mono_us() - start) / 1e6;
        if (!r) {
            json_decref(err.data);
            cli_progress_tick(&prog, "waiting for the node at %s to answer (%s)", addr, err.message);
        } else {
            uint64_t h = cli_u64(r, "height");
            bool syncing = json_is_true(json_object_get(r, "syncing"));
            if (!syncing && h > 0) {
                cli_progress_end(&prog);
                return r;
            }
            if (h0 == 0) h0 = h;
            state = syncing ? "catching up" : "without a block";
            cli_progress_tick(&prog, "%s: height %llu (%.1f blocks/s), %llu peers",
                              syncing ? "catching up" : "waiting for the first block", (unsigned long long)h,
                              s > 0 ? (double)(h - h0) / s : 0.0, (unsigned long long)cli_u64(r, "peers"));
            json_decref(r);
        }
        if (clock_system_mono_us() - start > timeout_ms * 1000) {
            cli_progress_end(&prog);
            fprintf(stderr, "hansa status: the node at %s is still %s after %llu ms\n", addr, state,
                    (unsigned long long)timeout_ms);
            *rc = answered ? CLI_FAILED : CLI_UNREACHABLE;
            return NULL;
        }
        usleep(250000);
    }
}
