/* test_ledger_lift.c — lifts among accounts of one chain (TX_LIFT, kind 40;
 * ledger/tx_lift.c): a circular lift clears a cycle of debts, a linear lift
 * carries value, each refusal says why, lift chits are proven by the lift
 * record, and the credit checker catches a lift chit with no lift behind it.
 * The credit and supply checkers run after every block. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "credit/lift.h"
#include "ledger/block.h"
#include "ledger/credit_rec.h"
#include "ledger/credit_store.h"
#include "ledger_helpers.h"

#define A 0
#define B 1
#define C 2
#define AGENT 3

static ledger_state *st;
static uint64_t nonces[T_KEYS];
static credit_id t_ab = {{0x11, 0xab}}, t_bc = {{0x11, 0xbc}}, t_ca = {{0x11, 0xca}};

static int credit_ok(void) {
    char why[LEDGER_WHY_MAX] = "";
    hansa_err err = ledger_credit_check(st, why, sizeof why);
    if (err != HANSA_OK) fprintf(stderr, "  credit check: %s\n", why);
    return err == HANSA_OK;
}

static hansa_err submit(int from, uint16_t kind, const hbuf *body, char *why, size_t why_len) {
    wire_tx tx = t_tx_raw(from, T_CHAIN, nonces[from], 10, kind, body->data, (uint32_t)body->len);
    ledger_block_info info = t_info(st, 60);
    ledger_block *b = NULL;
    char w[LEDGER_WHY_MAX];
    HANSA_ASSERT(ledger_block_begin(st, &info, &b, w, sizeof w) == HANSA_OK);
    hansa_err err = ledger_block_add_tx(b, &tx, false, why, why_len);
    if (err != HANSA_OK) {
        ledger_block_free(b);
        return err;
    }
    nonces[from]++;
    ledger_block_finish(b);
    ledger_block_commit(st, b);
    CHECK(credit_ok());
    CHECK(t_supply_ok(st));
    return HANSA_OK;
}

/* Opens tally id with `stock` and `foil`, each granting 1000, then the foil
 * pledges `owed` (it owes the stock that much). */
static void open_owing(const credit_id *id, int stock, int foil, uint64_t owed) {
    char why[LEDGER_WHY_MAX] = "";
    credit_contract c;
    memset(&c, 0, sizeof c);
    c.tally_id = *id;
    c.stock = (credit_party){T_CHAIN, t_keys[stock].pub};
    c.foil = (credit_party){T_CHAIN, t_keys[foil].pub};
    c.stock_grants = (credit_terms){1000, 30};
    c.foil_grants = (credit_terms){1000, 30};
    c.revision = 1;
    hansa_sig sig;
    hbuf b = HBUF_INIT;
    credit_contract_sign(&c, &t_keys[stock], &sig);
    credit_contract_encode(&b, &c);
    hbuf_append(&b, sig.b, HANSA_SIG_BYTES);
    CHECK_ERR(submit(stock, TX_TALLY_OFFER, &b, why, sizeof why), HANSA_OK);
    hbuf_reset(&b);
    credit_contract_sign(&c, &t_keys[foil], &sig);
    hbuf_append(&b, id->b, CREDIT_ID_BYTES);
    hbuf_put_u32(&b, 1);
    hbuf_append(&b, sig.b, HANSA_SIG_BYTES);
    CHECK_ERR(submit(foil, TX_TALLY_ACCEPT, &b, why, sizeof why), HANSA_OK);
    credit_chit ch;
    memset(&ch, 0, sizeof ch);
    ch.tally_id = *id;
    ch.chit_id.b[0] = 0xf0;
    ch.by = CREDIT_FOIL;
    ch.kind = CREDIT_CHIT_DIRECT;
    ch.amount = owed;
    credit_chit_sign(&ch, &t_keys[foil]);
    hbuf_reset(&b);
    credit_chit_encode(&b, &ch);
    CHECK_ERR(submit(foil, TX_CHIT, &b, why, sizeof why), HANSA_OK);
    hbuf_free(&b);
}

/* B owes A 100, C owes B 100, A owes C 100: a cycle of debt. */
static void fresh(void) {
    if (st) ledger_state_free(st);
    ledger_params p = t_params();
    uint64_t bal[4] = {1000000, 1000000, 1000000, 1000000};
    st = t_state(&p, bal, 4, t_hash_key_a);
    memset(nonces, 0, sizeof nonces);
    open_owing(&t_ab, A, B, 100);
    open_owing(&t_bc, B, C, 100);
    open_owing(&t_ca, C, A, 100);
}

static int64_t balance(const credit_id *id) {
    credit_tally *t = malloc(sizeof *t);
    CHECK(ledger_tally_get(st, id, t));
    int64_t b = t->balance;
    free(t);
    return b;
}

/* A lift over parties ps[0..n] and tallies ts[0..n-1]; expiry this far
 * after the last block. */
static credit_lift mk_lift(uint8_t id, const int *ps, const credit_id *const *ts, int n,
                           bool circular, uint64_t amount, uint64_t life_ms) {
    credit_lift l;
    memset(&l, 0, sizeof l);
    l.lift_id.b[0] = 0x1f;
    l.lift_id.b[1] = id;
    l.kind = circular ? CREDIT_LIFT_CIRCULAR : CREDIT_LIFT_LINEAR;
    l.amount = amount;
    l.expiry_ms = ledger_last_block_time_ms(st) + life_ms;
    l.referee_chain = T_CHAIN;
    l.n_hops = (uint8_t)n;
    for (int i = 0; i < n; i++) l.tallies[i] = *ts[i];
    for (int i = 0; i <= n; i++) l.parties[i] = (credit_party){T_CHAIN, t_keys[ps[i]].pub};
    return l;
}

static hansa_err send_lift(int from, const credit_lift *l, char *why) {
    hbuf b = HBUF_INIT;
    credit_lift_encode(&b, l);
    hansa_err err = submit(from, TX_LIFT, &b, why, LEDGER_WHY_MAX);
    hbuf_free(&b);
    return err;
}

static const int cycle[4] = {A, B, C, A};
static const credit_id *const cycle_t[3] = {&t_ab, &t_bc, &t_ca};

static void test_circular_lift_clears_the_cycle(void) {
    fresh();
    char why[LEDGER_WHY_MAX] = "";
    CHECK(balance(&t_ab) == 100 && balance(&t_bc) == 100 && balance(&t_ca) == 100);
    /* Over capacity: A's own trading variables take at most its debt, 100. */
    credit_lift big = mk_lift(1, cycle, cycle_t, 3, true, 101, 60000);
    CHECK_ERR(send_lift(AGENT, &big, why), HANSA_ERR_FUNDS);
    CHECK(strstr(why, "lift party 0 refuses") != NULL && strstr(why, "trading variables"));
    /* The agent (no party) clears the cycle: every debt goes to zero. */
    credit_lift l = mk_lift(2, cycle, cycle_t, 3, true, 100, 60000);
    CHECK_ERR(send_lift(AGENT, &l, why), HANSA_OK);
    CHECK(balance(&t_ab) == 0 && balance(&t_bc) == 0 && balance(&t_ca) == 0);
    credit_lift_rec rec;
    CHECK(ledger_lift_get(st, &l.lift_id, &rec));
    CHECK(rec.outcome == CREDIT_RULING_COMMIT && rec.height == ledger_height(st));
    credit_link link;
    CHECK(ledger_chit_get(st, &t_ab, 2, &link));
    CHECK(link.chit.kind == CREDIT_CHIT_LIFT && credit_id_eq(&link.chit.invoice_id, &l.lift_id));
    CHECK(link.chit.by == CREDIT_STOCK && link.chit.amount == 100);
    /* Once: the same lift id is never ruled again. */
    CHECK_ERR(send_lift(AGENT, &l, why), HANSA_ERR_DUPLICATE);
    /* Nothing left to lift. */
    credit_lift again = mk_lift(3, cycle, cycle_t, 3, true, 1, 60000);
    CHECK_ERR(send_lift(AGENT, &again, why), HANSA_ERR_FUNDS);
}

static void test_linear_lift(void) {
    fresh();
    char why[LEDGER_WHY_MAX] = "";
    int path[3] = {A, B, C};
    const credit_id *pt[2] = {&t_ab, &t_bc};
    credit_lift l = mk_lift(4, path, pt, 2, false, 60, 60000);
    /* Only its originator, who pays, sends a linear lift. */
    CHECK_ERR(send_lift(B, &l, why), HANSA_ERR_INVALID);
    CHECK(strstr(why, "originator") != NULL);
    CHECK_ERR(send_lift(A, &l, why), HANSA_OK);
    CHECK(balance(&t_ab) == 40 && balance(&t_bc) == 40 && balance(&t_ca) == 100);
}

static void test_lift_refusals(void) {
    fresh();
    char why[LEDGER_WHY_MAX] = "";
    /* Past its expiry in the chain's BFT time (blocks are 1 s apart). */
    credit_lift l = mk_lift(5, cycle, cycle_t, 3, true, 10, 500);
    CHECK_ERR(send_lift(AGENT, &l, why), HANSA_ERR_STATE);
    CHECK(strstr(why, "expired") != NULL);
    /* Another referee, a party on another chain. */
    l = mk_lift(6, cycle, cycle_t, 3, true, 10, 60000);
    l.referee_chain = T_CHAIN + 1;
    CHECK_ERR(send_lift(AGENT, &l, why), HANSA_ERR_WRONG_CHAIN);
    l = mk_lift(7, cycle, cycle_t, 3, true, 10, 60000);
    l.parties[1].chain_id = T_CHAIN + 1;
    CHECK_ERR(send_lift(AGENT, &l, why), HANSA_ERR_WRONG_CHAIN);
    /* A tally that does not exist; a party that is not on its tally. */
    credit_id none = {{0x99}};
    const credit_id *bad_t[3] = {&t_ab, &none, &t_ca};
    l = mk_lift(8, cycle, bad_t, 3, true, 10, 60000);
    CHECK_ERR(send_lift(AGENT, &l, why), HANSA_ERR_NOT_FOUND);
    int wrong[4] = {A, AGENT, C, A};
    l = mk_lift(9, wrong, cycle_t, 3, true, 10, 60000);
    CHECK_ERR(send_lift(AGENT, &l, why), HANSA_ERR_INVALID);
    /* A malformed body. */
    hbuf b = HBUF_INIT;
    hbuf_put_u8(&b, 1);
    CHECK_ERR(submit(AGENT, TX_LIFT, &b, why, sizeof why), HANSA_ERR_TRUNCATED);
    CHECK(strstr(why, "lift body") != NULL);
    /* A user cannot slip a lift chit in as a chit. */
    credit_chit ch;
    l = mk_lift(10, cycle, cycle_t, 3, true, 10, 60000);
    credit_contract k;
    memset(&k, 0, sizeof k);
    k.tally_id = t_ab;
    k.stock = (credit_party){T_CHAIN, t_keys[A].pub};
    k.foil = (credit_party){T_CHAIN, t_keys[B].pub};
    CHECK(credit_lift_chit_make(&l, 0, &k, &ch));
    hbuf_reset(&b);
    credit_chit_encode(&b, &ch);
    CHECK_ERR(submit(A, TX_CHIT, &b, why, sizeof why), HANSA_ERR_INVALID);
    hbuf_free(&b);
    CHECK(balance(&t_ab) == 100 && balance(&t_bc) == 100 && balance(&t_ca) == 100);
}

/* The checker catches a lift chit whose lift record is gone. */
static void test_checker_catches_unproven_lift_chit(void) {
    fresh();
    char why[LEDGER_WHY_MAX] = "";
    credit_lift l = mk_lift(11, cycle, cycle_t, 3, true, 100, 60000);
    CHECK_ERR(send_lift(AGENT, &l, why), HANSA_OK);
    CHECK_ERR(ledger_credit_check(st, why, sizeof why), HANSA_OK);
    kvmap *m = &st->tabs[LEDGER_TAB_CREDIT];
    uint8_t key[KVMAP_KEY_MAX];
    size_t klen = credit_key_lift(&l.lift_id, key);
    kvmap_del(m, key, klen);
    CHECK_ERR(ledger_credit_check(st, why, sizeof why), HANSA_ERR_CORRUPT);
    CHECK(strstr(why, "lift chit") != NULL);
    fprintf(stderr, "  lift record removed: %s\n", why);
    ledger_state_free(st);
    st = NULL;
}

int main(void) {
    t_init_keys();
    RUN(test_circular_lift_clears_the_cycle);
    RUN(test_linear_lift);
    RUN(test_lift_refusals);
    RUN(test_checker_catches_unproven_lift_chit);
    return check_summary();
}
