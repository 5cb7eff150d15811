/* test_route.c — the routing table file (node/route.h): what `hansa route`
 * writes reads back the same; every malformed entry is refused naming the
 * entry and the field; bounds hold. */
#include <unistd.h>

#include "check.h"
#include "crypto/frost.h"
#include "node/route.h"

static char why[CONFIG_WHY_MAX];

static hansa_err parse(const char *text, route_table *t) {
    why[0] = 0;
    return route_table_parse(text, strlen(text), "routes.json", t, why);
}

static route_entry entry(uint32_t chain, const char *seed) {
    route_entry e = {.chain_id = chain, .n_seeds = 1};
    snprintf(e.seeds[0], CONFIG_ADDR_MAX, "%s", seed);
    return e;
}

static void test_roundtrip(void) {
    route_table t = {0}, u;
    route_entry a = entry(0xa1, "127.0.0.1:26657"), b = entry(0xfed2, "node.example:1");
    b.n_seeds = 2;
    snprintf(b.seeds[1], CONFIG_ADDR_MAX, "10.0.0.2:65535");
    b.has_root = true;
    b.root.params = (ic_params){0xfed2, 60000, 1000};
    b.root.root.height = 7;
    b.root.root.time_ms = 1767225600000ull;
    memset(b.root.root.validators_hash.b, 3, HANSA_HASH_BYTES);
    memset(b.root.root.next_validators_hash.b, 4, HANSA_HASH_BYTES);
    memset(b.root.root.header_hash.b, 5, HANSA_HASH_BYTES);
    /* a root naming the chain's FROST group key */
    frost_scalar sk = {.b = {7}};
    CHECK(frost_base_mul(&sk, &b.root.root.group_key));
    b.root.root.key_epoch = 3;
    b.root.root.key_time_ms = b.root.root.time_ms;
    CHECK_ERR(route_put(&t, &b, why), HANSA_OK);
    CHECK_ERR(route_put(&t, &a, why), HANSA_OK);
    CHECK_EQ_U64(t.n, 2);
    CHECK_EQ_U64(t.e[0].chain_id, 0xa1); /* kept sorted */
    char path[] = "/tmp/hansa-route-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    CHECK_ERR(route_table_save(path, &t, why), HANSA_OK);
    CHECK_ERR(route_table_load(path, &u, why), HANSA_OK);
    CHECK_EQ_U64(u.n, 2);
    const route_entry *r = route_find(&u, 0xfed2);
    CHECK(r != NULL && r->has_root && r->n_seeds == 2);
    CHECK(r && memcmp(&r->root, &b.root, sizeof b.root) == 0);
    CHECK(r && strcmp(r->seeds[1], "10.0.0.2:65535") == 0);
    CHECK(route_remove(&u, 0xa1));
    CHECK(!route_remove(&u, 0xa1));
    CHECK(route_find(&u, 0xa1) == NULL);
    route_table_free(&u);
    /* replacing an entry keeps one per chain */
    a.n_seeds = 1;
    snprintf(a.seeds[0], CONFIG_ADDR_MAX, "127.0.0.1:1");
    CHECK_ERR(route_put(&t, &a, why), HANSA_OK);
    CHECK_EQ_U64(t.n, 2);
    CHECK(strcmp(route_find(&t, 0xa1)->seeds[0], "127.0.0.1:1") == 0);
    route_table_free(&t);
    unlink(path);
    /* a missing file is an empty table */
    CHECK_ERR(route_table_load("/nonexistent/hansa/routes.json", &u, why), HANSA_OK);
    CHECK_EQ_U64(u.n, 0);
}

static void test_rejections(void) {
    route_table t;
    CHECK_ERR(parse("{\"routes\": [{\"chain_id\": \"a1\", \"seeds\": [\"127.0.0.1:9\"]}]}", &t), HANSA_OK);
    CHECK_EQ_U64(t.n, 1);
    route_table_free(&t);
    CHECK_ERR(parse("not json", &t), HANSA_ERR_CONFIG);
    CHECK_ERR(parse("{\"routes\": 3}", &t), HANSA_ERR_CONFIG);
    CHECK_ERR(parse("{\"routes\": [{\"chain_id\": \"xyz\", \"seeds\": [\"a:1\"]}]}", &t), HANSA_ERR_CONFIG);
    CHECK(strstr(why, "routes[0].chain_id") != NULL);
    CHECK_ERR(parse("{\"routes\": [{\"chain_id\": \"a1\", \"seeds\": []}]}", &t), HANSA_ERR_CONFIG);
    CHECK(strstr(why, "routes[0].seeds") != NULL);
    CHECK_ERR(parse("{\"routes\": [{\"chain_id\": \"a1\", \"seeds\": [\"nohost\"]}]}", &t), HANSA_ERR_CONFIG);
    CHECK_ERR(parse("{\"routes\": [{\"chain_id\": \"a1\", \"seeds\": [\"h:70000\"]}]}", &t), HANSA_ERR_CONFIG);
    CHECK(strstr(why, "seeds[0]") != NULL);
    CHECK_ERR(parse("{\"routes\": [{\"chain_id\": \"a1\", \"seeds\": [\"h:1\"]},"
                    " {\"chain_id\": \"a1\", \"seeds\": [\"h:2\"]}]}", &t), HANSA_ERR_DUPLICATE);
    CHECK(strstr(why, "twice") != NULL);
    /* a trust root for another chain, or a bad one */
    CHECK_ERR(parse("{\"routes\": [{\"chain_id\": \"a1\", \"seeds\": [\"h:1\"], \"trust_root\": {}}]}", &t),
              HANSA_ERR_CONFIG);
    CHECK(strstr(why, "trust_root") != NULL);
    /* a trust root whose group key is no key (the identity) */
    const char *zeros = "0000000000000000000000000000000000000000000000000000000000000000";
    const char *ones = "0101010101010101010101010101010101010101010101010101010101010101";
    char text[2048];
    snprintf(text, sizeof text,
             "{\"routes\": [{\"chain_id\": \"a1\", \"seeds\": [\"h:1\"], \"trust_root\": "
             "{\"chain_id\": \"a1\", \"trusting_period_ms\": 60000, \"max_clock_drift_ms\": 1000, "
             "\"root\": {\"height\": 1, \"time_ms\": 5, \"header_hash\": \"%s\", \"app_hash\": \"%s\", "
             "\"tx_root\": \"%s\", \"validators_hash\": \"%s\", \"next_validators_hash\": \"%s\", "
             "\"group_key\": {\"epoch\": 1, \"key\": \"%s\"}}}}]}",
             zeros, zeros, zeros, ones, ones, zeros);
    CHECK_ERR(parse(text, &t), HANSA_ERR_CONFIG);
    CHECK(strstr(why, "root.group_key.key") != NULL && strstr(why, "not a valid group key") != NULL);
    CHECK(!route_seed_ok(":1"));
    CHECK(!route_seed_ok("h:"));
    CHECK(!route_seed_ok("h:0"));
    CHECK(route_seed_ok("h:65535"));
}

static void test_bounds(void) {
    route_table t = {0};
    for (uint32_t c = 1; c <= ROUTES_MAX; c++) {
        route_entry e = entry(c, "h:1");
        CHECK_ERR(route_put(&t, &e, why), HANSA_OK);
    }
    route_entry e = entry(ROUTES_MAX + 1, "h:1");
    CHECK_ERR(route_put(&t, &e, why), HANSA_ERR_FULL);
    e.n_seeds = 0;
    CHECK_ERR(route_put(&t, &e, why), HANSA_ERR_INVALID);
    route_table_free(&t);
}

int main(void) {
    RUN(test_roundtrip);
    RUN(test_rejections);
    RUN(test_bounds);
    return check_summary();
}
