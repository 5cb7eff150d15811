/* test_http_query.c — the two GET inputs outside JSON-RPC: the /events query
 * (rpc_events_query_parse) and the /explorer/ file path
 * (rpc_static_path_ok). Accepted forms give exactly what they name; every
 * rejected form says why. fuzz/fuzz_http_query.c covers the rest. */
#include <string.h>

#include "check.h"
#include "crypto/address.h"
#include "crypto/sha256.h"
#include "rpc/events.h"
#include "rpc/static.h"

#define CHAIN 0xe2e4

/* The address text of a made-up account i, checksummed, on chain. */
static void addr_text(uint32_t chain, uint8_t i, char out[ADDR_TEXT_MAX], hansa_addr *a) {
    memset(a->b, 0, sizeof a->b);
    a->b[0] = i;
    a->b[19] = (uint8_t)(0xa0 + i);
    addr_format(chain, a, out);
}

static void test_topics(void) {
    rpc_events_query q;
    char why[160];
    CHECK(rpc_events_query_parse(NULL, NULL, CHAIN, &q, why, sizeof why));
    CHECK(q.topics == RPC_TOPIC_BLOCK && q.n_watch == 0); /* the default */
    CHECK(rpc_events_query_parse("tx,block", NULL, CHAIN, &q, why, sizeof why));
    CHECK(q.topics == (RPC_TOPIC_TX | RPC_TOPIC_BLOCK));
    CHECK(rpc_events_query_parse("tx,tx", NULL, CHAIN, &q, why, sizeof why) && q.topics == RPC_TOPIC_TX);
    CHECK(!rpc_events_query_parse("blocks", NULL, CHAIN, &q, why, sizeof why));
    CHECK(strstr(why, "unknown topic \"blocks\"") != NULL);
    CHECK(!rpc_events_query_parse("", NULL, CHAIN, &q, why, sizeof why));
    CHECK(strstr(why, "empty") != NULL);
    CHECK(!rpc_events_query_parse(",", NULL, CHAIN, &q, why, sizeof why));
    CHECK(!rpc_events_query_parse("account", NULL, CHAIN, &q, why, sizeof why));
    CHECK(strstr(why, "needs account=") != NULL);
    CHECK(why[strlen(why) - 1] == '\n');
}

static void test_accounts(void) {
    rpc_events_query q;
    char why[160], t1[ADDR_TEXT_MAX], t2[ADDR_TEXT_MAX], list[2 * ADDR_TEXT_MAX + 2];
    hansa_addr a1, a2;
    addr_text(CHAIN, 1, t1, &a1);
    addr_text(CHAIN, 2, t2, &a2);
    snprintf(list, sizeof list, "%s,%s", t1, t2);
    CHECK(rpc_events_query_parse("account,tx", list, CHAIN, &q, why, sizeof why));
    CHECK(q.n_watch == 2);
    CHECK(memcmp(q.watch[0].b, a1.b, HANSA_ADDR_BYTES) == 0 && memcmp(q.watch[1].b, a2.b, HANSA_ADDR_BYTES) == 0);
    /* Another chain's address, a broken checksum, garbage: refused with the item's number. */
    char other[ADDR_TEXT_MAX];
    hansa_addr ao;
    addr_text(0xe2e5, 1, other, &ao);
    snprintf(list, sizeof list, "%s,%s", t1, other);
    CHECK(!rpc_events_query_parse("tx", list, CHAIN, &q, why, sizeof why));
    CHECK(strncmp(why, "account 2:", 10) == 0);
    char bad[ADDR_TEXT_MAX];
    memcpy(bad, t1, sizeof bad);
    for (char *c = bad + 5; *c; c++) /* flip the case of the first letter digit */
        if ((*c >= 'a' && *c <= 'f') || (*c >= 'A' && *c <= 'F')) {
            *c = (char)(*c ^ 0x20);
            break;
        }
    CHECK(!rpc_events_query_parse("tx", bad, CHAIN, &q, why, sizeof why));
    CHECK(strstr(why, "account 1:") != NULL);
    CHECK(!rpc_events_query_parse("tx", "e2e4x00", CHAIN, &q, why, sizeof why));
    /* At most RPC_EVENTS_WATCH_MAX. */
    char many[(RPC_EVENTS_WATCH_MAX + 1) * ADDR_TEXT_MAX] = "";
    for (int i = 0; i <= RPC_EVENTS_WATCH_MAX; i++) {
        if (i) strcat(many, ",");
        strcat(many, t1);
    }
    CHECK(!rpc_events_query_parse("tx", many, CHAIN, &q, why, sizeof why));
    CHECK(strstr(why, "more than 16") != NULL);
    /* A list longer than the bound is refused before it is read. */
    char longer[RPC_EVENTS_QUERY_MAX + 8];
    memset(longer, 'a', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    CHECK(!rpc_events_query_parse("tx", longer, CHAIN, &q, why, sizeof why));
    CHECK(strstr(why, "longer than") != NULL);
}

static void test_paths(void) {
    static const char *const ok[] = {"index.html", "app.js", "lib/index.js", "a-b_c.1/x.css", "lib/a..b.js"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) CHECK(rpc_static_path_ok(ok[i]));
    static const char *const bad[] = {"",          "/index.html", "../x",    "lib/../../etc/passwd",
                                      ".hidden",   "lib/.x",      "a//b",    "lib/",
                                      "a b",       "a%2e",        "a\\b",    "x?y",
                                      "./index.html"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (rpc_static_path_ok(bad[i])) {
            fprintf(stderr, "  accepted \"%s\"\n", bad[i]);
            CHECK(false);
        }
    }
    char longest[202];
    memset(longest, 'a', 200);
    longest[200] = '\0';
    CHECK(rpc_static_path_ok(longest));
    longest[200] = 'a';
    longest[201] = '\0';
    CHECK(!rpc_static_path_ok(longest));
}

int main(void) {
    RUN(test_topics);
    RUN(test_accounts);
    RUN(test_paths);
    return check_summary();
}
