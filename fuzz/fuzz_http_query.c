/* fuzz_http_query.c — libFuzzer harness for what the node reads from GET
 * request lines outside JSON-RPC: the /events query (rpc_events_query_parse)
 * and the /explorer/ file path (rpc_static_path_ok).
 *
 * Input: bytes split at the first two 0x00 into topics, accounts and a path.
 * The oracles: an accepted query names at least one topic, at most
 * RPC_EVENTS_WATCH_MAX accounts, each of which formats back to text the
 * input held (so nothing is made up); a rejected one says why in a line
 * ending with a newline. An accepted path never climbs out of its folder:
 * no "..", no leading '/', no "//". */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/assert.h"
#include "rpc/events.h"
#include "rpc/static.h"

#define FUZZ_TEXT_MAX 4096
#define FUZZ_CHAIN 0xe2e4

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size >= FUZZ_TEXT_MAX) return 0;
    char text[FUZZ_TEXT_MAX + 2];
    memcpy(text, data, size);
    text[size] = text[size + 1] = '\0';
    const char *topics = text;
    const char *accounts = topics + strlen(topics) + 1;
    const char *path = accounts <= text + size ? accounts + strlen(accounts) + 1 : accounts;
    if (path > text + size) path = text + size;

    rpc_events_query q;
    char why[160];
    why[0] = '\0';
    bool has_accounts = accounts <= text + size && accounts[0];
    if (rpc_events_query_parse(topics[0] ? topics : NULL, has_accounts ? accounts : NULL, FUZZ_CHAIN, &q, why,
                               sizeof why)) {
        HANSA_ASSERT(q.topics != 0);
        HANSA_ASSERT(q.n_watch <= RPC_EVENTS_WATCH_MAX);
        for (size_t i = 0; i < q.n_watch; i++) {
            char back[ADDR_TEXT_MAX];
            addr_format(FUZZ_CHAIN, &q.watch[i], back);
            for (char *c = back; *c; c++)
                if (*c >= 'A' && *c <= 'F') *c = (char)(*c - 'A' + 'a');
            char lower[FUZZ_TEXT_MAX + 1];
            size_t n = strlen(accounts);
            for (size_t k = 0; k <= n; k++)
                lower[k] = accounts[k] >= 'A' && accounts[k] <= 'F' ? (char)(accounts[k] - 'A' + 'a') : accounts[k];
            HANSA_ASSERT(strstr(lower, back) != NULL);
        }
    } else {
        size_t n = strlen(why);
        HANSA_ASSERT(n > 0 && why[n - 1] == '\n');
    }

    if (rpc_static_path_ok(path)) {
        HANSA_ASSERT(path[0] != '/' && path[0] != '.');
        HANSA_ASSERT(strstr(path, "/.") == NULL);
        HANSA_ASSERT(strstr(path, "//") == NULL);
        HANSA_ASSERT(strlen(path) <= 200);
    }
    return 0;
}
