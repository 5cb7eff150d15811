/* load_nonces.c — see load_nonces.h. */
#include "cmd/lib/load_nonces.h"

#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/mem.h"

load_tx *load_nonces_at(const load_nonces *m, load_result *r, uint64_t nonce) {
    if (nonce < m->base || nonce - m->base >= m->n) return NULL;
    size_t i = m->tx_of[nonce - m->base];
    return i == LOAD_NONCE_NONE ? NULL : &r->txs[i];
}

static void push(load_nonces *m, size_t v) {
    if (m->n == m->cap) {
        m->cap = m->cap ? 2 * m->cap : 256;
        m->tx_of = hansa_realloc(m->tx_of, m->cap * sizeof *m->tx_of);
    }
    m->tx_of[m->n++] = v;
}

load_tx *load_nonces_record(load_nonces *m, load_result *r, uint32_t account, uint64_t nonce,
                            const hansa_hash *hash) {
    HANSA_ASSERT(nonce >= m->base);
    load_tx *had = load_nonces_at(m, r, nonce);
    if (had) return had;
    /* Nonces are handed out in order, but a commit of nonces this load did
     * not send moves the next one past them; a node that lags can hand one
     * of those back (a resync). */
    /* A sender's next nonce is one it sent, or a commit's (which started
     * the table again past a longer gap). */
    HANSA_ASSERT(nonce <= load_nonces_end(m) + LOAD_NONCE_GAP_MAX);
    uint64_t k = nonce - m->base;
    while (m->n < k) push(m, LOAD_NONCE_NONE);
    if (r->n_txs == r->cap_txs) {
        r->cap_txs = r->cap_txs ? 2 * r->cap_txs : 1024;
        r->txs = hansa_realloc(r->txs, r->cap_txs * sizeof *r->txs);
    }
    if (k < m->n) m->tx_of[k] = r->n_txs;
    else push(m, r->n_txs);
    load_tx *t = &r->txs[r->n_txs++];
    memset(t, 0, sizeof *t);
    t->account = account;
    t->nonce = nonce;
    t->hash = *hash;
    return t;
}

void load_nonces_committed(load_nonces *m, load_result *r, uint64_t from, uint64_t to, uint64_t now) {
    HANSA_ASSERT(to <= LOAD_NONCE_MAX);
    /* Only the nonces sent: to comes from a node, and may be far past them. */
    uint64_t end = load_nonces_end(m);
    for (uint64_t k = from > m->base ? from : m->base; k < to && k < end; k++) {
        load_tx *t = load_nonces_at(m, r, k);
        if (!t || t->state == LOAD_TX_COMMITTED) continue;
        if (t->state == LOAD_TX_NEW) { /* accepted by a node that did not answer in time */
            t->accept_us = now;
            r->accepted++;
        }
        t->state = LOAD_TX_COMMITTED;
        t->commit_us = now;
        r->committed++;
    }
    if (to > end && to - end > LOAD_NONCE_GAP_MAX) { /* all sent are committed: no hole worth a slot */
        m->base = to;
        m->n = 0;
    }
}

uint64_t load_nonces_end(const load_nonces *m) { return m->base + m->n; }

void load_nonces_free(load_nonces *m) {
    free(m->tx_of);
    memset(m, 0, sizeof *m);
}
