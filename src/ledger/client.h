/* client.h — light clients of foreign chains inside the ledger: their
 * records, the transaction kinds that register, approve, update, freeze
 * and revive them, and read access for RPC and for the packet rules that
 * prove things against "the verified header of chain C at height H".
 *
 * The rules are interchain/client.h's; this file stores what they decide.
 * Records (key -> value; values in interchain/codec.h):
 *
 *   key                                        value
 *   30 | chain u32 BE                          client       ic_client
 *   31 | chain u32 BE | height u64 BE          consensus    ic_consensus
 *   32 | chain u32 BE                          evidence     ic_evidence_list (of the last freeze)
 *   33 | chain u32 BE                          revival      ic_revival (pending approval)
 *   34 | chain u32 BE | subject 32 | addr 20   approval     version byte only
 *
 * Transaction kinds (bodies in interchain/codec.h; docs/interchain.md has
 * every rule):
 *   TX_CLIENT_CREATE 10        register a client with its trust root; anyone
 *   TX_CLIENT_APPROVE 11       a bonded address approves a subject: a pending
 *                              registration (its root_hash) or a pending
 *                              revival (the revived header's hash)
 *   TX_CLIENT_UPDATE 12        a header with its commit certificate
 *   TX_CLIENT_MISBEHAVIOUR 13  two conflicting proven headers: freezes
 *   TX_CLIENT_REVIVE 14        a header for an expired or frozen client,
 *                              proven from its last trusted state
 * Approval: at the end of every block, a pending subject whose approvers'
 * current bonds are more than 2/3 of all bonds takes effect (like software
 * ratification); one not approved within upgrade_window heights of its
 * submission is dropped with its approvals. */
#ifndef HANSA_LEDGER_CLIENT_H
#define HANSA_LEDGER_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "interchain/client.h"
#include "interchain/codec.h"
#include "ledger/stake.h"
#include "ledger/tx.h"

#define CLIENT_KEY_BYTES (1 + 4)
#define CLIENT_KEY_CONSENSUS_BYTES (1 + 4 + 8)
#define CLIENT_KEY_VOTE_BYTES (1 + 4 + HANSA_HASH_BYTES + HANSA_ADDR_BYTES)
#define LEDGER_CLIENTS_MAX 1024 /* foreign chains one chain follows */

/* Checks a stored record of an interchain table (key layout, value codec,
 * the heights in keys). Called by stake_record_check. */
hansa_err client_record_check(ledger_tab tab, const uint8_t *key, size_t klen, const uint8_t *val,
                              size_t vlen, wire_rd *r);

/* Genesis entries: clients active from height 0 (ledger_genesis.clients).
 * Checks each (ic_create_check, not the chain's own id, no chain twice)
 * and, with s non-NULL, writes their records into s. */
hansa_err client_genesis(ledger_state *s, uint32_t own_chain, const ic_create *clients, size_t n,
                         char *why, size_t why_len);

/* The transaction kinds (rows of tx.c's table). */
hansa_err txc_create_decode(const uint8_t *body, uint32_t len, ledger_tx_body *out, char *why,
                            size_t why_len);
hansa_err txc_create_check(const ledger_block *b, const ledger_tx_ctx *c, char *why, size_t why_len);
void txc_create_apply(ledger_block *b, const ledger_tx_ctx *c);
hansa_err txc_approve_decode(const uint8_t *body, uint32_t len, ledger_tx_body *out, char *why,
                             size_t why_len);
hansa_err txc_approve_check(const ledger_block *b, const ledger_tx_ctx *c, char *why, size_t why_len);
void txc_approve_apply(ledger_block *b, const ledger_tx_ctx *c);
hansa_err txc_update_decode(const uint8_t *body, uint32_t len, ledger_tx_body *out, char *why,
                            size_t why_len);
hansa_err txc_update_check(const ledger_block *b, const ledger_tx_ctx *c, char *why, size_t why_len);
void txc_update_apply(ledger_block *b, const ledger_tx_ctx *c);
hansa_err txc_misbehaviour_decode(const uint8_t *body, uint32_t len, ledger_tx_body *out, char *why,
                                  size_t why_len);
hansa_err txc_misbehaviour_check(const ledger_block *b, const ledger_tx_ctx *c, char *why,
                                 size_t why_len);
void txc_misbehaviour_apply(ledger_block *b, const ledger_tx_ctx *c);
hansa_err txc_revive_check(const ledger_block *b, const ledger_tx_ctx *c, char *why, size_t why_len);
void txc_revive_apply(ledger_block *b, const ledger_tx_ctx *c);

/* End of block: approvals tallied, stale registrations and revivals dropped. */
void client_block_finish(ledger_block *b);

/* ---- reading, through a pending block or the committed state ---------------- */

bool ledger_block_client(const ledger_block *b, uint32_t chain, ic_client *out);
/* The verified header of chain at height, as the client stored it: false
 * if never verified or pruned. The caller judges the client's status. */
bool ledger_block_client_consensus(const ledger_block *b, uint32_t chain, uint64_t height,
                                   ic_consensus *out);

bool ledger_client_get(const ledger_state *s, uint32_t chain, ic_client *out);
bool ledger_client_consensus(const ledger_state *s, uint32_t chain, uint64_t height,
                             ic_consensus *out);
bool ledger_client_evidence(const ledger_state *s, uint32_t chain, ic_evidence_list *out);
bool ledger_client_revival(const ledger_state *s, uint32_t chain, ic_revival *out);
/* True when the client is active but its latest state expired at now_ms. */
bool ledger_client_expired(const ledger_state *s, const ic_client *c, uint64_t now_ms);
/* Bonded tokens of the addresses that approved (chain, subject) so far. */
uint64_t ledger_client_approvals(const ledger_state *s, uint32_t chain, const hansa_hash *subject);
/* The chains that have a client, increasing; at most max written, the
 * total returned. */
size_t ledger_clients_list(const ledger_state *s, uint32_t *chains, size_t max);

#endif
