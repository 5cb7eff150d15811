/* cli_key.c — `hansa key new|list|show`: named keys in a key file.
 *
 * The file format and its safety rules (mode 0600, atomic rewrites, wiped
 * buffers) are node/keyfile.h's; this file only decides which file, creates
 * ~/.hansa (0700) for the default one, and prints. Seeds are never printed:
 * `show` gives the public key and the address, which is all anyone needs to
 * pay the key's owner. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/hex.h"
#include "cmd/lib/cli.h"
#include "crypto/address.h"
#include "crypto/sign.h"
#include "node/keyfile.h"

#define DEFAULT_CHAIN 0xe2e4u

typedef struct {
    cli_common c;
    const char *chain; /* --chain, or NULL */
    const char *name;
} key_opts;

static int usage(void) {
    fprintf(stderr, "usage: hansa key new NAME [--keys FILE] [--chain CHAIN] [--json]\n"
                    "       hansa key list [--keys FILE] [--json]\n"
                    "       hansa key show NAME [--keys FILE] [--json]\n"
                    "The key file defaults to ~/.hansa/keys; the chain of a new file to e2e4.\n");
    return CLI_USAGE;
}

/* Creates the directory of the default key file (~/.hansa, 0700) if missing. */
static void make_default_dir(const key_opts *o, const char *path) {
    if (o->c.keys) return;
    char dir[CLI_PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash) return;
    *slash = '\0';
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        fprintf(stderr, "hansa key: cannot create %s: %s\n", dir, strerror(errno));
}

static json_t *key_json(const keyfile *kf, const keyfile_key *k) {
    char addr[ADDR_TEXT_MAX], pub[2 * HANSA_PUBKEY_BYTES + 1];
    keyfile_address(kf, k, addr);
    hex_encode(k->kp.pub.b, HANSA_PUBKEY_BYTES, pub);
    return json_pack("{s:s, s:s, s:s}", "name", k->name, "address", addr, "pubkey", pub);
}

static void print_key(const keyfile *kf, const keyfile_key *k, const char *path) {
    json_t *j = key_json(kf, k);
    printf("%s\n  address     %s\n  public key  %s\n", k->name, cli_str(j, "address"),
           cli_str(j, "pubkey"));
    if (path) printf("  key file    %s\n", path);
    json_decref(j);
}

static int key_new(const key_opts *o, const char *path) {
    char why[KEYFILE_WHY_MAX];
    keyfile kf;
    uint32_t chain = DEFAULT_CHAIN;
    const char *cwhy = NULL;
    if (o->chain && chain_id_parse(o->chain, &chain, &cwhy) != HANSA_OK) {
        fprintf(stderr, "hansa key: --chain %s: %s\n", o->chain, cwhy);
        return CLI_USAGE;
    }
    bool exists = access(path, F_OK) == 0;
    hansa_err e = HANSA_OK;
    if (exists) e = keyfile_load(path, &kf, why);
    else keyfile_init(&kf, chain);
    if (e == HANSA_OK && exists && o->chain && kf.chain_id != chain) {
        char have[CHAIN_ID_TEXT_MAX];
        chain_id_format(kf.chain_id, have);
        snprintf(why, sizeof why, "%s holds keys of chain %s, not %s; use another --keys file",
                 path, have, o->chain);
        e = HANSA_ERR_WRONG_CHAIN;
    }
    if (e == HANSA_OK) e = keyfile_generate(&kf, o->name, why);
    if (e == HANSA_OK && !exists) make_default_dir(o, path);
    if (e == HANSA_OK) e = exists ? keyfile_save(&kf, path, why) : keyfile_create(&kf, path, why);
    int rc = CLI_OK;
    if (e != HANSA_OK) {
        fprintf(stderr, "hansa key: %s\n", why);
        rc = CLI_USAGE;
    } else {
        const keyfile_key *k = keyfile_find(&kf, o->name);
        if (o->c.json) {
            json_t *j = key_json(&kf, k);
            json_object_set_new(j, "file", json_string(path));
            cli_print_json(j);
            json_decref(j);
        } else {
            printf("created key ");
            print_key(&kf, k, path);
        }
    }
    keyfile_free(&kf);
    return rc;
}

static int key_read(const key_opts *o, const char *path, bool list) {
    char why[KEYFILE_WHY_MAX];
    keyfile kf;
    if (keyfile_load(path, &kf, why) != HANSA_OK) {
        fprintf(stderr, "hansa key: %s\n%s", why,
                access(path, F_OK) != 0 ? "  create a key with `hansa key new NAME`\n" : "");
        keyfile_free(&kf);
        return CLI_USAGE;
    }
    int rc = CLI_OK;
    if (list) {
        json_t *arr = json_array();
        for (size_t i = 0; i < kf.count; i++) json_array_append_new(arr, key_json(&kf, &kf.keys[i]));
        if (o->c.json) cli_print_json(arr);
        for (size_t i = 0; i < kf.count && !o->c.json; i++) {
            json_t *k = json_array_get(arr, i);
            printf("%-20s %s\n", cli_str(k, "name"), cli_str(k, "address"));
        }
        if (!o->c.json && kf.count == 0) printf("no keys in %s\n", path);
        json_decref(arr);
    } else {
        const keyfile_key *k = keyfile_find(&kf, o->name);
        if (!k) {
            fprintf(stderr, "hansa key: no key named %s in %s (`hansa key list` shows the names)\n",
                    o->name, path);
            rc = CLI_USAGE;
        } else if (o->c.json) {
            json_t *j = key_json(&kf, k);
            cli_print_json(j);
            json_decref(j);
        } else {
            print_key(&kf, k, path);
        }
    }
    keyfile_free(&kf);
    return rc;
}

int cmd_key(int argc, char **argv) {
    if (argc < 2) return usage();
    const char *sub = argv[1];
    key_opts o = {0};
    for (int i = 2; i < argc; i++) {
        if (cli_common_opt(&o.c, argc, argv, &i)) continue;
        if (strcmp(argv[i], "--chain") == 0 && i + 1 < argc) o.chain = argv[++i];
        else if (argv[i][0] != '-' && !o.name) o.name = argv[i];
        else return usage();
    }
    crypto_init();
    char path[CLI_PATH_MAX];
    cli_keys_path(&o.c, path);
    bool is_new = strcmp(sub, "new") == 0, is_show = strcmp(sub, "show") == 0;
    if (strcmp(sub, "list") == 0 && !o.name && !o.chain) return key_read(&o, path, true);
    if (!(is_new || is_show) || !o.name || (is_show && o.chain)) return usage();
    return is_new ? key_new(&o, path) : key_read(&o, path, false);
}
