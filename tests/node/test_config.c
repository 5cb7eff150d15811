/* Tests of node/config: config.json and genesis.json are read strictly.
 * Every field lands where it should; a key the format does not have (a
 * typo), at any depth, and a value of the wrong JSON type are refused with
 * the file and the key's path in the message, never ignored. */
#include <stdio.h>
#include <unistd.h>

#include "base/assert.h"
#include "base/hex.h"
#include "crypto/address.h"
#include "crypto/sign.h"
#include "node/config.h"
#include "check.h"

static const char good_config[] =
    "{\"listen\": \"127.0.0.1:1000\", \"rpc\": \"127.0.0.1:1001\","
    " \"peers\": [\"127.0.0.1:2000\", \"127.0.0.1:2002\"], \"log_level\": \"debug\","
    " \"key\": \"node\", \"timeouts_ms\": {\"propose\": 700, \"precommit_delta\": 90},"
    " \"commit_delay_ms\": 150, \"mempool_max_txs\": 5000, \"store_map_max_mb\": 4096,"
    " \"net\": {\"max_inbound\": 8, \"keepalive_ms\": 2000, \"ban_score\": 50,"
    " \"block_serve_per_s\": 10},"
    " \"rpc_allowed_hosts\": [\"node.example.org\"], \"prune\": {\"keep_blocks\": 20}}";

/* Parses text as config.json and checks it fails with a message holding want. */
static void config_refused(const char *text, const char *want) {
    config_file c;
    char why[CONFIG_WHY_MAX] = "";
    CHECK_ERR(config_parse("config.json", text, strlen(text), &c, why), HANSA_ERR_CONFIG);
    if (!strstr(why, want)) fprintf(stderr, "  message \"%s\" lacks \"%s\"\n", why, want);
    CHECK(strstr(why, want) != NULL);
}

static void test_config_fields(void) {
    config_file c;
    char why[CONFIG_WHY_MAX] = "";
    CHECK_ERR(config_parse("config.json", good_config, strlen(good_config), &c, why), HANSA_OK);
    CHECK(strcmp(c.listen, "127.0.0.1:1000") == 0);
    CHECK(strcmp(c.rpc, "127.0.0.1:1001") == 0);
    CHECK_EQ_U64(c.n_peers, 2);
    CHECK(strcmp(c.peers[1], "127.0.0.1:2002") == 0);
    CHECK(strcmp(c.log_level, "debug") == 0);
    CHECK(strcmp(c.key_name, "node") == 0);
    CHECK_EQ_U64(c.node.timeouts.propose_ms, 700);
    CHECK_EQ_U64(c.node.timeouts.precommit_delta_ms, 90);
    CHECK_EQ_U64(c.node.commit_delay_ms, 150);
    CHECK_EQ_U64(c.node.mempool.max_txs, 5000);
    CHECK_EQ_U64(c.store_map_max_mb, 4096);
    CHECK_EQ_U64(c.node.net.max_inbound, 8);
    CHECK_EQ_U64(c.node.net.keepalive_ms, 2000);
    CHECK_EQ_U64(c.node.net.ban_score, 50);
    CHECK_EQ_U64(c.node.block_serve_per_s, 10);
    CHECK_EQ_U64(c.node.net.link_timeout_ms, 30000); /* absent: default */
    CHECK_EQ_U64(c.n_rpc_hosts, 1);
    CHECK(strcmp(c.rpc_hosts[0], "node.example.org") == 0);
    /* An empty object keeps every default. */
    config_file d;
    CHECK_ERR(config_parse("config.json", "{}", 2, &d, why), HANSA_OK);
    CHECK(strcmp(d.rpc, "127.0.0.1:26657") == 0);
    CHECK_EQ_U64(d.node.mempool.max_txs, 100000);
    CHECK_EQ_U64(c.node.prune_keep_blocks, 20);
    CHECK_EQ_U64(d.node.prune_keep_blocks, 0); /* absent: archive */
    CHECK(!d.node.frost_dkg); /* absent: the DKG duty is off */
    config_file e;
    const char *frost = "{\"frost_dkg\": true}";
    CHECK_ERR(config_parse("config.json", frost, strlen(frost), &e, why), HANSA_OK);
    CHECK(e.node.frost_dkg);
}

static void test_config_unknown_keys(void) {
    config_refused("{\"comit_delay_ms\": 100}",
                   "config.json: comit_delay_ms: unknown key (this object takes: listen, rpc, ");
    config_refused("{\"timeouts_ms\": {\"propse\": 100}}",
                   "config.json: timeouts_ms.propse: unknown key (this object takes: propose, ");
    config_refused("{\"mempool\": {\"max_txs\": 5}}", "config.json: mempool: unknown key");
}

static void test_config_wrong_types(void) {
    config_refused("{\"timeouts_ms\": 5}", "config.json: timeouts_ms: expected an object");
    config_refused("{\"timeouts_ms\": {\"propose\": \"fast\"}}",
                   "config.json: timeouts_ms.propose: expected an integer from 0 to 600000");
    config_refused("{\"commit_delay_ms\": 1.5}", "config.json: commit_delay_ms: expected an integer");
    config_refused("{\"mempool_max_txs\": -1}", "config.json: mempool_max_txs: expected an integer");
    config_refused("{\"mempool_max_txs\": 20000000}", "from 0 to 10000000");
    config_refused("{\"store_map_max_mb\": \"big\"}", "config.json: store_map_max_mb: expected an integer");
    config_refused("{\"store_map_max_mb\": 16777217}", "from 0 to 16777216");
    config_refused("{\"net\": 3}", "config.json: net: expected an object");
    config_refused("{\"prune\": 20}", "config.json: prune: expected an object");
    config_refused("{\"prune\": {}}", "config.json: prune.keep_blocks");
    config_refused("{\"prune\": {\"keep_blocks\": 15}}", "expected 0 (archive) or at least 16");
    config_refused("{\"prune\": {\"keep_blocks\": -1}}", "prune.keep_blocks");
    config_refused("{\"prune\": {\"keep_blocks\": 20, \"x\": 1}}", "prune");
    config_refused("{\"net\": {\"max_inbound\": \"many\"}}", "config.json: net.max_inbound: expected an integer");
    config_refused("{\"net\": {\"max_inbound\": 5000}}", "net.max_inbound: expected an integer from 0 to 4096");
    config_refused("{\"net\": {\"keepalive_ms\": 0}}", "net.keepalive_ms: expected an integer from 100 to 600000");
    config_refused("{\"net\": {\"keepalive_ms\": 40000}}", "net.keepalive_ms: must be below link_timeout_ms");
    config_refused("{\"net\": {\"ban_ms\": 7200000}}", "net.ban_ms: must not exceed ban_max_ms");
    config_refused("{\"net\": {\"ban_sec\": 1}}", "net.ban_sec: unknown key");
    config_refused("{\"log_level\": 3}", "config.json: log_level: expected a string");
    config_refused("{\"frost_dkg\": 1}", "config.json: frost_dkg: expected true or false");
    config_refused("{\"listen\": null}", "config.json: listen: expected a string");
    config_refused("{\"peers\": \"127.0.0.1:1\"}", "config.json: peers: expected an array");
    config_refused("{\"peers\": [1]}", "config.json: peers[0]: expected an \"ip:port\" string");
    config_refused("{\"rpc_allowed_hosts\": \"x\"}", "config.json: rpc_allowed_hosts: expected an array");
    config_refused("{\"rpc_allowed_hosts\": [\"\"]}", "config.json: rpc_allowed_hosts[0]: expected a host name");
    config_refused("[]", "config.json: (top): expected an object");
    config_refused("{\"rpc\": \"a\", \"rpc\": \"b\"}", "config.json:1:");   /* duplicate key */
    config_refused("{\"rpc\": ", "config.json:1:");                         /* not JSON */
}

/* A valid genesis text with one account and one delegate. */
static void genesis_text(char *out, size_t n) {
    hansa_keypair kp;
    uint8_t seed[HANSA_SEED_BYTES] = {7};
    keypair_from_seed(&kp, seed);
    hansa_addr a;
    addr_from_pubkey(&kp.pub, &a);
    char addr[ADDR_TEXT_MAX], hex[2 * HANSA_PUBKEY_BYTES + 1];
    addr_format(0xe2e4, &a, addr);
    hex_encode(kp.pub.b, HANSA_PUBKEY_BYTES, hex);
    snprintf(out, n,
             "{\"chain_id\": \"e2e4\", \"genesis_time_ms\": 1767225600000,"
             " \"params\": {\"fee_burn_bps\": 5000, \"min_fee\": 1, \"max_block_txs\": 100},"
             " \"accounts\": [{\"address\": \"%s\", \"balance\": \"1000\"}],"
             " \"delegates\": [{\"pubkey\": \"%s\", \"power\": 10}],"
             " \"elections\": {\"epoch_blocks\": 20}}",
             addr, hex);
}

/* A valid genesis text with its first `find` replaced by `repl` must be
 * refused with a message holding want. */
static void genesis_refused(const char *find, const char *repl, const char *want) {
    char text[2048], edited[2048], why[CONFIG_WHY_MAX] = "";
    genesis_text(text, sizeof text);
    char *p = strstr(text, find);
    HANSA_ASSERT(p != NULL);
    snprintf(edited, sizeof edited, "%.*s%s%s", (int)(p - text), text, repl, p + strlen(find));
    genesis_file g;
    hansa_err e = genesis_parse("genesis.json", edited, strlen(edited), &g, why);
    CHECK(e != HANSA_OK);
    if (!strstr(why, want)) fprintf(stderr, "  message \"%s\" lacks \"%s\"\n", why, want);
    CHECK(strstr(why, want) != NULL);
}

static void test_genesis(void) {
    char text[2048], why[CONFIG_WHY_MAX] = "";
    genesis_text(text, sizeof text);
    genesis_file g;
    CHECK_ERR(genesis_parse("genesis.json", text, strlen(text), &g, why), HANSA_OK);
    CHECK_EQ_U64(g.g.params.chain_id, 0xe2e4);
    CHECK_EQ_U64(g.g.params.max_block_txs, 100);
    CHECK_EQ_U64(g.g.params.elect.epoch_blocks, 20);
    CHECK_EQ_U64(g.g.n_accounts, 1);
    CHECK_EQ_U64(g.g.accounts[0].balance, 1000);
    CHECK_EQ_U64(g.g.n_delegates, 1);
    CHECK_EQ_U64(g.g.delegates[0].power, 10);
    genesis_free(&g);

    /* Typos at every depth. */
    genesis_refused("\"delegates\"", "\"delegate\": [], \"delegates\"",
                    "genesis.json: delegate: unknown key");
    genesis_refused("\"balance\"", "\"balanse\": 5, \"balance\"",
                    "genesis.json: accounts[0].balanse: unknown key");
    genesis_refused("\"power\"", "\"weight\": 5, \"power\"",
                    "genesis.json: delegates[0].weight: unknown key");
    genesis_refused("\"min_fee\"", "\"minfee\"", "genesis.json: params.minfee: unknown key");
    genesis_refused("\"epoch_blocks\"", "\"epoch_block\"",
                    "genesis.json: elections.epoch_block: unknown key (this object takes: "
                    "epoch_blocks, active_max");
    /* Values of the wrong type. */
    genesis_refused("{\"fee_burn_bps\"", "5, \"x\": {\"fee_burn_bps\"",
                    "genesis.json: params: expected an object");
    genesis_refused("{\"epoch_blocks\": 20}", "[]", "genesis.json: elections: expected an object");
    genesis_refused("\"1000\"", "true", "genesis.json: accounts[0].balance: expected an integer");
    genesis_refused("\"power\": 10", "\"power\": \"ten\"",
                    "genesis.json: delegates[0].power: expected an integer");
    genesis_refused("\"chain_id\": \"e2e4\"", "\"chain_id\": 58084",
                    "genesis.json: chain_id: expected a string");
    genesis_refused("[{\"address\"", "[5, {\"address\"", "genesis.json: accounts[0]: expected an object");
    genesis_refused("\"delegates\": [", "\"delegates\": {\"a\": [",
                    "genesis.json:1:"); /* unbalanced: not JSON */
    /* Required fields. */
    genesis_refused("\"chain_id\"", "\"chainid\"", "genesis.json: chain_id: missing");
    genesis_refused("\"balance\": \"1000\"", "\"b\": 1", "genesis.json: accounts[0].balance: missing");
    /* A second "power" is a duplicate key: refused by the JSON parser. */
    genesis_refused("\"power\": 10", "\"power\": 10, \"power\": 5", "genesis.json:1:");
}

/* The file readers name the path they were given. */
static void test_files(void) {
    char path[] = "/tmp/hansa-config-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    const char text[] = "{\"rpc\": \"127.0.0.1:9\", \"typo\": 1}";
    CHECK(write(fd, text, sizeof text - 1) == (ssize_t)(sizeof text - 1));
    close(fd);
    config_file c;
    char why[CONFIG_WHY_MAX], want[128];
    CHECK_ERR(config_load(path, &c, why), HANSA_ERR_CONFIG);
    snprintf(want, sizeof want, "%s: typo: unknown key", path);
    CHECK(strstr(why, want) != NULL);
    unlink(path);
    CHECK_ERR(config_load(path, &c, why), HANSA_ERR_CONFIG);
    CHECK(strstr(why, "No such file") != NULL);
    genesis_file g;
    CHECK_ERR(genesis_load(path, &g, why), HANSA_ERR_CONFIG);
}

int main(void) {
    crypto_init();
    RUN(test_config_fields);
    RUN(test_config_unknown_keys);
    RUN(test_config_wrong_types);
    RUN(test_genesis);
    RUN(test_files);
    return check_summary();
}
