/* lc_harness.h — a light client held in memory for the client tests
 * (test_client_frost.c, test_client_keyproof.c): its record and its
 * consensus states by height, updates applied as the ledger applies their
 * plan, and the refusal's sentence kept (why) for the test to look in. The
 * chain is the forge F (ic_forge.h), the trusting period PERIOD. Header-only,
 * next to ic_forge.h and frost_forge.h. */
#ifndef HANSA_TESTS_LC_HARNESS_H
#define HANSA_TESTS_LC_HARNESS_H

#include <stdio.h>
#include <string.h>

#include "check.h"
#include "interchain/frost_forge.h"
#include "interchain/ic_forge.h"

#define PERIOD 100000ull /* trusting period, ms */

static forge F;

typedef struct {
    ic_client c;
    ic_consensus cs[FORGE_HEIGHTS + 2];
    bool has[FORGE_HEIGHTS + 2];
} lc;

static bool lc_get(void *ctx, uint64_t h, ic_consensus *out) {
    lc *l = ctx;
    if (h > FORGE_HEIGHTS + 1 || !l->has[h]) return false;
    *out = l->cs[h];
    return true;
}

static ic_view lc_view(lc *l) { return (ic_view){l, lc_get}; }

/* A client trusting the genesis root and, if key is given, that group key
 * as of the root's time. */
static void lc_init(lc *l, const ff_group *key) {
    memset(l, 0, sizeof *l);
    ic_create cr;
    forge_root(&F, 0, PERIOD, &cr);
    if (key) {
        cr.root.key_epoch = key->epoch;
        cr.root.group_key = key->g.key;
        cr.root.key_time_ms = cr.root.time_ms;
    }
    CHECK_ERR(ic_create_check(&cr, NULL, 0), HANSA_OK);
    l->c.params = cr.params;
    l->c.status = IC_STATUS_ACTIVE;
    l->c.n_heights = 1;
    ic_create_hash(&cr, &l->c.root_hash);
    l->cs[0] = cr.root;
    l->has[0] = true;
}

static char why[IC_WHY_MAX];
static ic_plan plan;

static hansa_err lc_update(lc *l, const ic_update *u, uint64_t now) {
    ic_view v = lc_view(l);
    why[0] = 0;
    hansa_err err = ic_client_update(&l->c, &v, u, now, 7, NULL, &plan, why, sizeof why);
    if (err == HANSA_OK) {
        for (uint16_t i = 0; i < plan.n_del; i++) l->has[plan.del[i]] = false;
        if (plan.has_put) {
            l->cs[plan.put.height] = plan.put;
            l->has[plan.put.height] = true;
        }
        l->c = plan.client;
    }
    return err;
}

static uint64_t now_at(uint64_t h) { return F.time_of[h] + 500; }

static bool why_has(const char *s) {
    if (strstr(why, s)) return true;
    fprintf(stderr, "  why was: %s\n", why);
    return false;
}

#endif
