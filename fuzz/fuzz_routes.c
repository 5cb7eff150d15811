/* fuzz_routes.c — libFuzzer harness for the routing table parser
 * (route_table_parse): routes.json is a config file an operator or a tool
 * writes, read again every second by hansad's relay driver. Any input gets
 * a table or an error, never a crash; an accepted table keeps its bounds
 * and every entry passes the checks route_put makes. */
#include "fuzz_common.h"
#include "node/route.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    route_table t;
    char why[CONFIG_WHY_MAX];
    if (route_table_parse((const char *)data, size, "fuzz", &t, why) != HANSA_OK) {
        HANSA_ASSERT(t.n == 0 && t.e == NULL);
        return 0;
    }
    HANSA_ASSERT(t.n <= ROUTES_MAX);
    for (size_t i = 0; i < t.n; i++) {
        HANSA_ASSERT(t.e[i].n_seeds >= 1 && t.e[i].n_seeds <= ROUTE_SEEDS_MAX);
        for (size_t k = 0; k < t.e[i].n_seeds; k++) HANSA_ASSERT(route_seed_ok(t.e[i].seeds[k]));
        HANSA_ASSERT(i == 0 || t.e[i - 1].chain_id < t.e[i].chain_id);
        HANSA_ASSERT(!t.e[i].has_root || t.e[i].root.params.chain_id == t.e[i].chain_id);
    }
    route_table_free(&t);
    return 0;
}
