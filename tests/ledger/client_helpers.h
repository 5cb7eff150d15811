/* client_helpers.h — a ledger test's light client of another in-process
 * chain: the chain's header at a height written straight into the state
 * (the tx root a proof is checked against), standing in for the client
 * updates that test_ledger_client.c and the cluster tests exercise. */
#ifndef HANSA_TESTS_CLIENT_HELPERS_H
#define HANSA_TESTS_CLIENT_HELPERS_H

#include <string.h>

#include "base/buf.h"
#include "interchain/codec.h"
#include "ledger/client.h"
#include "ledger/stake.h"
#include "ledger/state.h"

/* Writes chain `of`'s header at height into x's client of it. */
static inline void t_client_learn(ledger_state *x, uint32_t of, uint64_t height, const hansa_hash *tx_root,
                                  uint64_t time_ms) {
    ic_client cl = {.params = {of, 3600 * 1000, 1000}, .status = IC_STATUS_ACTIVE};
    ledger_client_get(x, of, &cl);
    if (cl.n_heights == IC_HISTORY_MAX) {
        memmove(cl.heights, cl.heights + 1, (IC_HISTORY_MAX - 1) * sizeof cl.heights[0]);
        cl.n_heights--;
    }
    cl.heights[cl.n_heights++] = height;
    ic_consensus cs = {.height = height, .time_ms = time_ms, .tx_root = *tx_root,
                       .local_height = ledger_height(x) ? ledger_height(x) : 1,
                       .local_time_ms = ledger_last_block_time_ms(x)};
    hbuf v = HBUF_INIT;
    uint8_t key[16] = {0x30};
    key[1] = (uint8_t)(of >> 24), key[2] = (uint8_t)(of >> 16), key[3] = (uint8_t)(of >> 8),
    key[4] = (uint8_t)of;
    ic_client_encode(&v, &cl);
    kvmap_put(&x->tabs[LEDGER_TAB_IC_CLIENT], key, 5, v.data, v.len);
    hbuf_reset(&v);
    key[0] = 0x31;
    for (int i = 0; i < 8; i++) key[5 + i] = (uint8_t)(height >> (56 - 8 * i));
    ic_consensus_encode(&v, &cs);
    kvmap_put(&x->tabs[LEDGER_TAB_IC_CONSENSUS], key, 13, v.data, v.len);
    hbuf_free(&v);
}

#endif
