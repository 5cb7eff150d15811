/* route.h — the routing table (seed 001): foreign chain id -> seed nodes
 * and trust root. One file per node, routes.json in its home, shown and
 * changed with `hansa route add|list|remove` (docs/cli.md) and read by
 * hansad's relay driver, which fetches foreign headers from the seeds.
 *
 *   { "routes": [ { "chain_id": "a1",
 *                   "seeds": ["127.0.0.1:26757", ...],    (RPC address:port)
 *                   "trust_root": <trust root> },         (optional; node/config.h)
 *                 ... ] }
 *
 * The file is untrusted input like every config file: bounded (ROUTES_MAX
 * entries, ROUTE_SEEDS_MAX seeds each), every field checked, errors name
 * the file, the entry and the field. A missing file is an empty table. The
 * trust root is what an operator registers a foreign chain's light client
 * with (`hansa client register`); the chain's own record of it, once
 * approved, is what counts (ledger/client.h). */
#ifndef HANSA_NODE_ROUTE_H
#define HANSA_NODE_ROUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "interchain/client.h"
#include "node/config.h"

#define ROUTES_MAX 256
#define ROUTE_SEEDS_MAX 16

typedef struct {
    uint32_t chain_id;
    char seeds[ROUTE_SEEDS_MAX][CONFIG_ADDR_MAX];
    size_t n_seeds;
    bool has_root;
    ic_create root;
} route_entry;

typedef struct {
    route_entry *e; /* owned, sorted by chain id */
    size_t n;
} route_table;

/* Reads path into *out (a missing file: empty table). On error *out is
 * empty and why names file, entry and field. */
hansa_err route_table_load(const char *path, route_table *out, char why[CONFIG_WHY_MAX]);
/* The same from the file's text (len bytes); path names it in messages. */
hansa_err route_table_parse(const char *text, size_t len, const char *path, route_table *out,
                            char why[CONFIG_WHY_MAX]);
/* Writes t to path through a temporary file and rename, so a reader never
 * sees half a table. */
hansa_err route_table_save(const char *path, const route_table *t, char why[CONFIG_WHY_MAX]);
void route_table_free(route_table *t);

/* The entry of chain, or NULL; borrowed until t changes. */
const route_entry *route_find(const route_table *t, uint32_t chain);
/* Adds e, replacing the entry of the same chain. HANSA_ERR_FULL at
 * ROUTES_MAX; HANSA_ERR_INVALID for no seeds or a seed not "host:port". */
hansa_err route_put(route_table *t, const route_entry *e, char why[CONFIG_WHY_MAX]);
/* Removes chain's entry; false if there was none. */
bool route_remove(route_table *t, uint32_t chain);

/* Checks a seed address: "a.b.c.d:port" or "host:port", port 1..65535. */
bool route_seed_ok(const char *addr);

#endif
