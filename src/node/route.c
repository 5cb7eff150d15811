/* route.c — see route.h. */
#include "node/route.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/mem.h"
#include "crypto/address.h"

#define ROUTES_FILE_BYTES_MAX (4u << 20)

bool route_seed_ok(const char *addr) {
    size_t len = strlen(addr);
    const char *colon = strrchr(addr, ':');
    if (len == 0 || len >= CONFIG_ADDR_MAX || colon == NULL || colon == addr) return false;
    const char *p = colon + 1;
    if (*p == '\0' || strlen(p) > 5) return false;
    unsigned long port = 0;
    for (; *p; p++) {
        if (*p < '0' || *p > '9') return false;
        port = port * 10 + (unsigned long)(*p - '0');
    }
    return port >= 1 && port <= 65535;
}

static int entry_cmp(const void *a, const void *b) {
    uint32_t x = ((const route_entry *)a)->chain_id, y = ((const route_entry *)b)->chain_id;
    return (x > y) - (x < y);
}

const route_entry *route_find(const route_table *t, uint32_t chain) {
    for (size_t i = 0; i < t->n; i++)
        if (t->e[i].chain_id == chain) return &t->e[i];
    return NULL;
}

hansa_err route_put(route_table *t, const route_entry *e, char why[CONFIG_WHY_MAX]) {
    if (e->n_seeds == 0 || e->n_seeds > ROUTE_SEEDS_MAX) {
        snprintf(why, CONFIG_WHY_MAX, "a route needs 1 to %d seeds", ROUTE_SEEDS_MAX);
        return HANSA_ERR_INVALID;
    }
    for (size_t i = 0; i < e->n_seeds; i++)
        if (!route_seed_ok(e->seeds[i])) {
            snprintf(why, CONFIG_WHY_MAX, "seed \"%s\" is not host:port", e->seeds[i]);
            return HANSA_ERR_INVALID;
        }
    for (size_t i = 0; i < t->n; i++)
        if (t->e[i].chain_id == e->chain_id) {
            t->e[i] = *e;
            return HANSA_OK;
        }
    if (t->n == ROUTES_MAX) {
        snprintf(why, CONFIG_WHY_MAX, "the table already has %d routes", ROUTES_MAX);
        return HANSA_ERR_FULL;
    }
    t->e = hansa_realloc(t->e, (t->n + 1) * sizeof *t->e);
    t->e[t->n++] = *e;
    qsort(t->e, t->n, sizeof *t->e, entry_cmp);
    return HANSA_OK;
}

bool route_remove(route_table *t, uint32_t chain) {
    for (size_t i = 0; i < t->n; i++)
        if (t->e[i].chain_id == chain) {
            memmove(&t->e[i], &t->e[i + 1], (t->n - i - 1) * sizeof *t->e);
            t->n--;
            return true;
        }
    return false;
}

void route_table_free(route_table *t) {
    free(t->e);
    t->e = NULL;
    t->n = 0;
}

/* One entry of the "routes" array. */
static bool parse_entry(json_t *j, route_entry *e, const char *path, size_t i, char why[CONFIG_WHY_MAX]) {
    memset(e, 0, sizeof *e);
    const char *chain = json_string_value(json_object_get(j, "chain_id"));
    const char *cwhy = "missing";
    if (!json_is_object(j) || !chain || chain_id_parse(chain, &e->chain_id, &cwhy) != HANSA_OK) {
        snprintf(why, CONFIG_WHY_MAX, "%s: routes[%zu].chain_id: %s", path, i, cwhy);
        return false;
    }
    json_t *seeds = json_object_get(j, "seeds");
    size_t n = json_array_size(seeds);
    if (!json_is_array(seeds) || n == 0 || n > ROUTE_SEEDS_MAX) {
        snprintf(why, CONFIG_WHY_MAX, "%s: routes[%zu].seeds must be an array of 1 to %d addresses", path,
                 i, ROUTE_SEEDS_MAX);
        return false;
    }
    for (size_t k = 0; k < n; k++) {
        const char *s = json_string_value(json_array_get(seeds, k));
        if (!s || !route_seed_ok(s)) {
            snprintf(why, CONFIG_WHY_MAX, "%s: routes[%zu].seeds[%zu] must be \"host:port\"", path, i, k);
            return false;
        }
        snprintf(e->seeds[k], CONFIG_ADDR_MAX, "%s", s);
    }
    e->n_seeds = n;
    json_t *root = json_object_get(j, "trust_root");
    if (root == NULL) return true;
    char where[64], inner[CONFIG_WHY_MAX];
    snprintf(where, sizeof where, "routes[%zu].trust_root", i);
    if (!config_trust_root_parse(root, &e->root, where, inner)) {
        snprintf(why, CONFIG_WHY_MAX, "%s: %s", path, inner);
        return false;
    }
    if (e->root.params.chain_id != e->chain_id) {
        snprintf(why, CONFIG_WHY_MAX, "%s: routes[%zu].trust_root is for another chain", path, i);
        return false;
    }
    e->has_root = true;
    return true;
}

hansa_err route_table_parse(const char *text, size_t len, const char *path, route_table *out,
                            char why[CONFIG_WHY_MAX]) {
    memset(out, 0, sizeof *out);
    if (len > ROUTES_FILE_BYTES_MAX) {
        snprintf(why, CONFIG_WHY_MAX, "%s: over 4 MiB", path);
        return HANSA_ERR_CONFIG;
    }
    json_error_t je;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        snprintf(why, CONFIG_WHY_MAX, "%s:%d:%d: %s", path, je.line, je.column, je.text);
        return HANSA_ERR_CONFIG;
    }
    json_t *arr = json_object_get(root, "routes");
    size_t n = json_array_size(arr);
    hansa_err err = HANSA_OK;
    if (!json_is_object(root) || !json_is_array(arr) || n > ROUTES_MAX) {
        snprintf(why, CONFIG_WHY_MAX, "%s: must be {\"routes\": [...]} with at most %d routes", path, ROUTES_MAX);
        err = HANSA_ERR_CONFIG;
    }
    for (size_t i = 0; i < n && err == HANSA_OK; i++) {
        route_entry e;
        if (!parse_entry(json_array_get(arr, i), &e, path, i, why)) err = HANSA_ERR_CONFIG;
        else if (route_find(out, e.chain_id)) {
            snprintf(why, CONFIG_WHY_MAX, "%s: routes[%zu]: chain %x appears twice", path, i, e.chain_id);
            err = HANSA_ERR_DUPLICATE;
        } else {
            char inner[CONFIG_WHY_MAX];
            err = route_put(out, &e, inner);
        }
    }
    json_decref(root);
    if (err != HANSA_OK) route_table_free(out);
    return err;
}

hansa_err route_table_load(const char *path, route_table *out, char why[CONFIG_WHY_MAX]) {
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (errno == ENOENT) return HANSA_OK;
        snprintf(why, CONFIG_WHY_MAX, "%s: %s", path, strerror(errno));
        return HANSA_ERR_IO;
    }
    long size = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    if (size < 0 || size > (long)ROUTES_FILE_BYTES_MAX || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        snprintf(why, CONFIG_WHY_MAX, "%s: unreadable or over 4 MiB", path);
        return HANSA_ERR_CONFIG;
    }
    char *text = hansa_malloc((size_t)size + 1);
    size_t len = fread(text, 1, (size_t)size, f);
    bool bad = ferror(f);
    fclose(f);
    hansa_err err = bad ? HANSA_ERR_IO : route_table_parse(text, len, path, out, why);
    if (bad) snprintf(why, CONFIG_WHY_MAX, "%s: cannot read", path);
    free(text);
    return err;
}

hansa_err route_table_save(const char *path, const route_table *t, char why[CONFIG_WHY_MAX]) {
    json_t *arr = json_array();
    for (size_t i = 0; i < t->n; i++) {
        const route_entry *e = &t->e[i];
        char chain[CHAIN_ID_TEXT_MAX];
        chain_id_format(e->chain_id, chain);
        json_t *seeds = json_array();
        for (size_t k = 0; k < e->n_seeds; k++) json_array_append_new(seeds, json_string(e->seeds[k]));
        json_t *j = json_pack("{s:s, s:o}", "chain_id", chain, "seeds", seeds);
        if (e->has_root) json_object_set_new(j, "trust_root", config_trust_root_json(&e->root));
        json_array_append_new(arr, j);
    }
    json_t *root = json_pack("{s:o}", "routes", arr);
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int rc = json_dump_file(root, tmp, JSON_INDENT(2) | JSON_SORT_KEYS);
    json_decref(root);
    if (rc != 0 || rename(tmp, path) != 0) {
        snprintf(why, CONFIG_WHY_MAX, "%s: cannot write: %s", path, strerror(errno));
        unlink(tmp);
        return HANSA_ERR_IO;
    }
    return HANSA_OK;
}
