/* init.c — `hansad init` (docs/deploy.md, "Joining a chain").
 *
 *   hansad init --home DIR [--conf DIR] [--genesis FILE] [--chain ID]
 *               [--peers HOST:PORT,...] [--listen IP:PORT] [--rpc IP:PORT] [--json]
 *
 * Creates what `hansad --home DIR [--conf DIR]` needs: DIR (mode 0700) with a
 * new node key (node.key, 0600: the node's identity and, once elected, its
 * delegate signing key), and in the config folder (DIR unless --conf)
 * config.json and, from --genesis, genesis.json after the node's own loader
 * accepted it. It never replaces a key, config or genesis that is already
 * there, so running it twice is harmless; it says what it kept. It prints
 * the node's public key and address (what a chain's founders list as a
 * delegate) and the genesis hash to compare with the one the chain
 * published. */
#include "cmd/lib/init.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/hex.h"
#include "cmd/lib/cli.h"
#include "cmd/lib/genesis.h"
#include "crypto/address.h"
#include "crypto/sign.h"
#include "node/keyfile.h"

#define INIT_DEFAULT_CHAIN "e2e4"

typedef struct {
    const char *home, *conf, *genesis, *chain, *peers, *listen, *rpc;
    bool json;
} init_opts;

static int usage(void) {
    fprintf(stderr, "usage: hansad init --home DIR [--conf DIR] [--genesis FILE] [--chain ID]\n"
                    "                   [--peers HOST:PORT,...] [--listen IP:PORT] [--rpc IP:PORT] [--json]\n");
    return CLI_USAGE;
}

static bool exists(const char *path) { return access(path, F_OK) == 0; }

static int make_dir(const char *path, mode_t mode) {
    if (mkdir(path, mode) == 0 || errno == EEXIST) return 0;
    fprintf(stderr, "hansad init: cannot create %s: %s\n", path, strerror(errno));
    return CLI_FAILED;
}

/* Copies src to dst (a new file; dst must not exist). */
static int copy_file(const char *src, const char *dst) {
    FILE *in = fopen(src, "rb");
    if (!in) {
        fprintf(stderr, "hansad init: cannot read %s: %s\n", src, strerror(errno));
        return CLI_USAGE;
    }
    FILE *out = fopen(dst, "wx");
    if (!out) {
        fprintf(stderr, "hansad init: cannot create %s: %s\n", dst, strerror(errno));
        fclose(in);
        return CLI_FAILED;
    }
    char buf[65536];
    size_t n;
    bool ok = true;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0) ok &= fwrite(buf, 1, n, out) == n;
    ok &= !ferror(in);
    fclose(in);
    ok &= fclose(out) == 0;
    if (!ok) fprintf(stderr, "hansad init: copying %s to %s failed\n", src, dst);
    return ok ? 0 : CLI_FAILED;
}

/* The chain id: the genesis file's when given, else --chain, else e2e4. */
static int chain_of(const init_opts *o, uint32_t *chain, hansa_hash *ghash, bool *has_hash) {
    char why[CONFIG_WHY_MAX];
    *has_hash = false;
    if (o->genesis) {
        genesis_file g;
        if (genesis_load(o->genesis, &g, why) != HANSA_OK) {
            fprintf(stderr, "hansad init: %s\n", why);
            return CLI_USAGE;
        }
        *chain = g.g.params.chain_id;
        genesis_free(&g);
        if (genesis_hash_file(o->genesis, ghash, why) != HANSA_OK) {
            fprintf(stderr, "hansad init: %s\n", why);
            return CLI_USAGE;
        }
        *has_hash = true;
        return 0;
    }
    const char *cwhy = NULL;
    if (chain_id_parse(o->chain ? o->chain : INIT_DEFAULT_CHAIN, chain, &cwhy) != HANSA_OK) {
        fprintf(stderr, "hansad init: --chain: %s\n", cwhy);
        return CLI_USAGE;
    }
    return 0;
}

/* node.key with a fresh key named "node", unless one is there already. */
static int ensure_key(const char *path, uint32_t chain, keyfile *kf, bool *created) {
    char why[KEYFILE_WHY_MAX];
    *created = !exists(path);
    if (!*created) {
        if (keyfile_load(path, kf, why) != HANSA_OK) {
            fprintf(stderr, "hansad init: %s\n", why);
            return CLI_FAILED;
        }
    } else {
        keyfile_init(kf, chain);
        if (keyfile_generate(kf, "node", why) != HANSA_OK || keyfile_create(kf, path, why) != HANSA_OK) {
            fprintf(stderr, "hansad init: %s\n", why);
            return CLI_FAILED;
        }
    }
    if (kf->chain_id != chain || !keyfile_find(kf, "node")) {
        fprintf(stderr, "hansad init: %s is for another chain or has no key named node\n", path);
        return CLI_FAILED;
    }
    return 0;
}

static int write_config(const init_opts *o, const char *path) {
    json_t *peers = json_array();
    for (const char *p = o->peers; p && *p;) {
        size_t n = strcspn(p, ",");
        if (n > 0 && n < 64) json_array_append_new(peers, json_stringn(p, n));
        else if (n > 0) {
            fprintf(stderr, "hansad init: --peers: \"%.*s\" is too long for HOST:PORT\n", (int)n, p);
            json_decref(peers);
            return CLI_USAGE;
        }
        p += n + (p[n] == ',');
    }
    json_t *c = json_pack("{s:s, s:s, s:o, s:s, s:s}", "listen", o->listen ? o->listen : "0.0.0.0:26656",
                          "rpc", o->rpc ? o->rpc : "127.0.0.1:26657", "peers", peers, "log_level", "info",
                          "key", "node");
    int rc = json_dump_file(c, path, JSON_INDENT(2)) == 0 ? 0 : CLI_FAILED;
    json_decref(c);
    if (rc) fprintf(stderr, "hansad init: cannot write %s\n", path);
    return rc;
}

static void report(const init_opts *o, const keyfile *kf, bool key_new, const char *conf,
                   bool cfg_new, int genesis_state, const hansa_hash *gh, bool has_hash) {
    const keyfile_key *k = keyfile_find(kf, "node");
    char pk[2 * HANSA_PUBKEY_BYTES + 1], addr[ADDR_TEXT_MAX], gx[2 * HANSA_HASH_BYTES + 1] = "";
    hex_encode(k->kp.pub.b, HANSA_PUBKEY_BYTES, pk);
    keyfile_address(kf, k, addr);
    if (has_hash) hex_encode(gh->b, HANSA_HASH_BYTES, gx);
    static const char *const gstate[] = {"missing", "kept", "copied"};
    if (o->json) {
        json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:b, s:b, s:s, s:s?}", "home", o->home, "conf", conf, "pubkey", pk,
                              "address", addr, "key_created", key_new, "config_created", cfg_new, "genesis",
                              gstate[genesis_state], "genesis_hash", has_hash ? gx : NULL);
        cli_print_json(j);
        json_decref(j);
        return;
    }
    printf("node home %s\n", o->home);
    printf("  node.key     %s (public key %s)\n", key_new ? "created" : "kept", pk);
    printf("  address      %s\n", addr);
    printf("  config.json  %s in %s\n", cfg_new ? "written" : "kept", conf);
    printf("  genesis.json %s%s%s\n", gstate[genesis_state], has_hash ? ", genesis hash " : "", gx);
    if (genesis_state == 0)
        printf("next: put the chain's genesis.json in %s (check its hash with `hansa genesis hash FILE`)\n", conf);
    printf("start it with: hansad --home %s%s%s\n", o->home, strcmp(conf, o->home) ? " --conf " : "",
           strcmp(conf, o->home) ? conf : "");
}

int hansad_init(int argc, char **argv) {
    crypto_init();
    init_opts o = {0};
    for (int i = 1; i < argc; i++) {
        const char **slot = NULL;
        if (strcmp(argv[i], "--json") == 0) { o.json = true; continue; }
        if (strcmp(argv[i], "--home") == 0) slot = &o.home;
        else if (strcmp(argv[i], "--conf") == 0) slot = &o.conf;
        else if (strcmp(argv[i], "--genesis") == 0) slot = &o.genesis;
        else if (strcmp(argv[i], "--chain") == 0) slot = &o.chain;
        else if (strcmp(argv[i], "--peers") == 0) slot = &o.peers;
        else if (strcmp(argv[i], "--listen") == 0) slot = &o.listen;
        else if (strcmp(argv[i], "--rpc") == 0) slot = &o.rpc;
        if (!slot || i + 1 >= argc) return usage();
        *slot = argv[++i];
    }
    if (!o.home) return usage();
    const char *conf = o.conf ? o.conf : o.home;
    uint32_t chain;
    hansa_hash gh;
    bool has_hash;
    int rc = chain_of(&o, &chain, &gh, &has_hash);
    if (rc == 0) rc = make_dir(o.home, 0700);
    if (rc == 0 && o.conf) rc = make_dir(conf, 0755);
    if (rc) return rc;
    char path[4096];
    snprintf(path, sizeof path, "%s/node.key", o.home);
    keyfile kf;
    bool key_new = false;
    rc = ensure_key(path, chain, &kf, &key_new);
    snprintf(path, sizeof path, "%s/config.json", conf);
    bool cfg_new = rc == 0 && !exists(path);
    if (cfg_new) rc = write_config(&o, path);
    snprintf(path, sizeof path, "%s/genesis.json", conf);
    int gstate = exists(path) ? 1 : 0;
    if (rc == 0 && gstate == 0 && o.genesis) {
        rc = copy_file(o.genesis, path);
        gstate = 2;
    } else if (rc == 0 && gstate == 1 && o.genesis) {
        hansa_hash have;
        char why[CONFIG_WHY_MAX];
        if (genesis_hash_file(path, &have, why) != HANSA_OK || memcmp(have.b, gh.b, HANSA_HASH_BYTES) != 0) {
            fprintf(stderr, "hansad init: %s exists and is not the same genesis as %s: not replaced\n", path,
                    o.genesis);
            rc = CLI_FAILED;
        }
    }
    if (rc == 0) report(&o, &kf, key_new, conf, cfg_new, gstate, &gh, has_hash);
    keyfile_free(&kf);
    return rc;
}
