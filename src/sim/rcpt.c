/* rcpt.c — receipts in the simulator (o.receipts, docs/receipts.md):
 * delegates bond receipt collateral, clients ask a node for a receipt on a
 * transfer (node_receipt_request, underwriting included) and now and then
 * double-spend it at another node, and beneficiaries claim every broken
 * receipt once its deadline has passed, with the proof the node's blocks
 * give (what `hansa receipt claim` does through RPC).
 *
 * Checker: a receipt that honest nodes signed is paid in full when it is
 * claimed. A node signs only within its free collateral (bonded minus its
 * outstanding guarantees, which are on disk before the signature leaves),
 * so honest guarantees never add up to more than their collateral, crashes
 * included; a node that forgot a guarantee or ignored its exposure leaves a
 * later beneficiary short, and this checker sees it. The ledger's audit
 * that no signer's paid claims exceed its collateral runs after every
 * commit already (ledger_supply_check, chain.c). */
#include <inttypes.h>
#include <string.h>

#include "base/hex.h"
#include "base/mem.h"
#include "crypto/address.h"
#include "crypto/sha256.h"
#include "ledger/tx.h"
#include "ledger/tx_receipt.h"
#include "node/receipt_proof.h"
#include "node/receipts.h"
#include "sim/world.h"

#define RCPT_EVERY 3            /* one client action in this many is about receipts */
#define RCPT_BOND 20000         /* collateral each delegate bonds */
#define RCPT_AMOUNT_MAX 12000   /* above one bond's free part at times: underwriting */
#define RCPT_DEADLINE_MIN 2
#define RCPT_DEADLINE_SPAN 6
#define RCPT_BOND_RETRY 10      /* heights before a bond not seen on chain is sent again */
#define RCPT_CLAIM_RETRY 4      /* heights before a claim not seen on chain is sent again */
#define RCPT_FEE 1

static void transfer_tx(const sim_chain *c, const sim_client *from, const hansa_addr *to,
                        uint64_t amount, hbuf *out) {
    uint8_t body[LEDGER_TRANSFER_BODY_BYTES];
    memcpy(body, to->b, HANSA_ADDR_BYTES);
    le64_store(body + HANSA_ADDR_BYTES, amount);
    wire_tx tx = {.chain_id = c->genesis.params.chain_id, .kind = TX_TRANSFER, .sender = from->key.pub,
                  .nonce = from->next_nonce, .fee = RCPT_FEE, .body = body, .body_len = sizeof body};
    chain_tx_sign_encode(&from->key, &tx, out);
}

/* ---- delegates bond ---- */

/* One node of c without collateral bonds it; false if every node has. */
static bool bond_one(world *w, sim_chain *c) {
    for (uint16_t i = c->first_node; i < c->first_node + c->n_nodes; i++) {
        sim_node *nd = &w->nodes[i];
        if (!nd->up || nd->stopped || nd->byz != BYZ_NONE) continue;
        ledger_receipt_bond rb;
        const ledger_state *s = node_ledger(nd->n);
        if (ledger_receipt_bond_get(s, &nd->key.pub, &rb) && rb.deposited) continue;
        if (w->rcpt_bond_at[i] && nd->height < w->rcpt_bond_at[i] + RCPT_BOND_RETRY) continue;
        hansa_addr a;
        ledger_account acct;
        addr_from_pubkey(&nd->key.pub, &a);
        ledger_account_get(s, &a, &acct);
        uint8_t body[8];
        le64_store(body, RCPT_BOND);
        wire_tx tx = {.chain_id = c->genesis.params.chain_id, .kind = TX_RECEIPT_BOND, .sender = nd->key.pub,
                      .nonce = acct.nonce, .fee = RCPT_FEE, .body = body, .body_len = sizeof body};
        hbuf b = HBUF_INIT;
        chain_tx_sign_encode(&nd->key, &tx, &b);
        char why[256];
        host_submit_tx(nd, b.data, b.len, why, sizeof why);
        hbuf_free(&b);
        w->rcpt_bond_at[i] = nd->height + 1;
        return true;
    }
    return false;
}

/* ---- receipts asked and kept ---- */

static sim_chain *chain_of_id(world *w, uint32_t chain_id) {
    for (uint16_t k = 0; k < w->n_chains; k++)
        if (w->chains[k].genesis.params.chain_id == chain_id) return &w->chains[k];
    return NULL;
}

static void record(world *w, const receipt *rc) {
    sim_chain *c = chain_of_id(w, rc->core.chain_id);
    if (!c || w->n_rcpts == SIM_RCPTS_MAX) return;
    if (!w->rcpts) w->rcpts = hansa_calloc(SIM_RCPTS_MAX, sizeof *w->rcpts);
    sim_rcpt *r = &w->rcpts[w->n_rcpts++];
    *r = (sim_rcpt){.rc = *rc, .chain = c->idx, .honest = true};
    for (uint8_t i = 0; i < rc->n_shares; i++) {
        int k = world_node_of_key(w, &rc->shares[i].signer);
        r->honest = r->honest && k >= 0 && w->nodes[k].byz == BYZ_NONE;
    }
    w->res->receipts_issued++;
}

static void on_underwritten(void *ctx, hansa_err err, const char *why, const receipt *rc) {
    (void)why;
    if (err == HANSA_OK) record(ctx, rc);
}

/* The client that cl double-spends with: the same nonce, another payee,
 * at another node (a race the proposers decide). */
static void double_spend(world *w, sim_chain *c, const sim_node *nd, sim_client *cl, uint64_t nonce) {
    sim_node *other = &w->nodes[c->first_node + prng_below(&w->rng, c->n_nodes)];
    if (other == nd || !other->up || other->stopped) return;
    const sim_client *to = &c->clients[prng_below(&w->rng, c->n_clients)];
    uint64_t keep = cl->next_nonce;
    cl->next_nonce = nonce;
    hbuf b = HBUF_INIT;
    transfer_tx(c, cl, &to->addr, 1 + prng_below(&w->rng, 100), &b);
    cl->next_nonce = keep;
    char why[256];
    if (host_submit_tx(other, b.data, b.len, why, sizeof why)) w->res->receipt_double_spends++;
    hbuf_free(&b);
}

static void ask_receipt(world *w, sim_chain *c, sim_node *nd) {
    if (w->n_rcpts == SIM_RCPTS_MAX) return;
    sim_client *cl = &c->clients[prng_below(&w->rng, c->n_clients)];
    const sim_client *to = &c->clients[prng_below(&w->rng, c->n_clients)];
    hbuf b = HBUF_INIT;
    transfer_tx(c, cl, &to->addr, 1 + prng_below(&w->rng, RCPT_AMOUNT_MAX), &b);
    node_receipt_req req = {.tx = b.data, .tx_len = b.len,
                            .deadline_blocks = (uint32_t)(RCPT_DEADLINE_MIN + prng_below(&w->rng, RCPT_DEADLINE_SPAN))};
    receipt rc;
    uint64_t async;
    char why[256];
    w->res->receipts_asked++;
    if (host_receipt_request(nd, &req, &rc, &async, on_underwritten, w, why, sizeof why) != HANSA_OK) {
        chain_nonce_resync(nd, cl);
    } else {
        if (!async) record(w, &rc);
        uint64_t nonce = cl->next_nonce++;
        if (prng_below(&w->rng, 2) == 0) double_spend(w, c, nd, cl, nonce);
    }
    hbuf_free(&b);
}

bool rcpt_client_act(world *w, sim_chain *c, sim_node *nd) {
    if (prng_below(&w->rng, RCPT_EVERY) != 0) return false;
    if (!bond_one(w, c)) ask_receipt(w, c, nd);
    return true;
}

/* ---- claims and the checker ---- */

static void violation(world *w, const sim_rcpt *r, uint64_t paid) {
    w->rcpt_bad++;
    if (w->rcpt_first[0]) return;
    char id[17];
    hansa_hash h;
    receipt_id(&r->rc.core, &h);
    hex_encode(h.b, 8, id);
    snprintf(w->rcpt_first, sizeof w->rcpt_first,
             "at %.3f s: receipt %s signed by honest nodes (%u shares) for %" PRIu64 " paid %" PRIu64,
             w->now_us / 1e6, id, r->rc.n_shares, r->rc.core.amount, paid);
}

static sim_client *client_of(sim_chain *c, const hansa_addr *a) {
    for (uint16_t i = 0; i < c->n_clients; i++)
        if (memcmp(c->clients[i].addr.b, a->b, HANSA_ADDR_BYTES) == 0) return &c->clients[i];
    return NULL;
}

/* True when the receipt's own transaction is committed by its deadline:
 * the promise was kept and no claim can succeed. */
static bool kept(const receipt_claim *cl) {
    if (cl->proof != RECEIPT_PROOF_TX || cl->height > cl->rc.core.deadline) return false;
    hansa_hash h;
    sha256(cl->tx, cl->tx_len, &h);
    return memcmp(h.b, cl->rc.core.tx_hash.b, HANSA_HASH_BYTES) == 0;
}

/* The beneficiary claims r at nd (committed height), as `hansa receipt
 * claim` would; a refused or lost claim is tried again later. */
static void claim(sim_node *nd, sim_rcpt *r, uint64_t height) {
    world *w = nd->w;
    receipt_claim cl = {.rc = r->rc};
    hbuf tx = HBUF_INIT, body = HBUF_INIT, enc = HBUF_INIT;
    node_receipt_claim_proof(nd->n, &cl, &tx);
    uint64_t payable = 0;
    char why[LEDGER_WHY_MAX];
    sim_client *ben = client_of(&w->chains[r->chain], &r->rc.core.beneficiary);
    r->claim_at = height;
    if (kept(&cl)) {
        r->settled = true;
        w->res->receipts_kept++;
    } else if (ben && ledger_receipt_claim_check(node_ledger(nd->n), &cl, &payable, why, sizeof why) == HANSA_OK) {
        receipt_claim_encode(&body, &cl);
        wire_tx t = {.chain_id = r->rc.core.chain_id, .kind = TX_RECEIPT_CLAIM, .sender = ben->key.pub,
                     .nonce = ben->next_nonce, .fee = RCPT_FEE, .body = body.data, .body_len = (uint32_t)body.len};
        chain_tx_sign_encode(&ben->key, &t, &enc);
        if (host_submit_tx(nd, enc.data, enc.len, why, sizeof why)) {
            ben->next_nonce++;
            w->res->receipt_claims++;
        } else {
            chain_nonce_resync(nd, ben);
        }
    }
    hbuf_free(&tx);
    hbuf_free(&body);
    hbuf_free(&enc);
}

static void step(sim_node *nd, sim_rcpt *r, uint64_t height) {
    hansa_hash id;
    uint64_t at, paid;
    receipt_id(&r->rc.core, &id);
    if (ledger_receipt_claim_get(node_ledger(nd->n), &id, &at, &paid)) {
        r->settled = true;
        nd->w->res->receipts_paid++;
        if (paid > r->rc.core.amount || (r->honest && paid != r->rc.core.amount)) violation(nd->w, r, paid);
        return;
    }
    if (height > r->rc.core.deadline + RECEIPT_CLAIM_WINDOW) r->settled = true;
    else if (height > r->rc.core.deadline && (!r->claim_at || height >= r->claim_at + RCPT_CLAIM_RETRY))
        claim(nd, r, height);
}

void rcpt_on_commit(sim_node *nd, uint64_t height) {
    world *w = nd->w;
    sim_chain *c = nd->chain;
    if (height <= c->rcpt_height) return; /* the chain's first honest committer acts */
    c->rcpt_height = height;
    for (size_t i = 0; i < w->n_rcpts; i++)
        if (w->rcpts[i].chain == c->idx && !w->rcpts[i].settled) step(nd, &w->rcpts[i], height);
}

void rcpt_finish(world *w, sim_result *r) {
    r->violations[SIM_V_RECEIPTS] += w->rcpt_bad;
    r->safety_violations += w->rcpt_bad;
    if (r->first_violation[0] == '\0' && w->rcpt_first[0])
        snprintf(r->first_violation, sizeof r->first_violation, "receipts: %s", w->rcpt_first);
}
