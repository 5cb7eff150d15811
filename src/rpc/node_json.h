/* node_json.h — JSON views of protocol objects for the node's RPC methods.
 *
 * Every view carries the object's canonical encoding as hex ("encoded")
 * next to its decoded fields, so a client can check what the node says
 * instead of trusting it: hash the encoded bytes itself, verify signatures
 * and proofs over them. Decoded fields are for people and convenience.
 *
 * Conventions (docs/rpc.md, "Methods"): byte strings are lowercase hex;
 * heights, times, rounds, counts and powers are JSON integers; amounts,
 * fees and nonces are decimal strings (JSON numbers lose precision above
 * 2^53); addresses are in the chain's checksummed text form.
 * Every view function returns a new reference; none fails.
 *
 * The param helpers at the end are the checks every method module
 * (node_api.c, delegates_api.c) makes the same way, so that a bad param
 * gets the same error shape whichever module answers. */
#ifndef HANSA_RPC_NODE_JSON_H
#define HANSA_RPC_NODE_JSON_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "consensus/valset.h"
#include "crypto/address.h"
#include "rpc/server.h"
#include "wire/types.h"

json_t *nj_hex(const uint8_t *p, size_t n);
json_t *nj_hash(const hansa_hash *h);
/* A u64 as a decimal string. */
json_t *nj_u64(uint64_t v);
/* A chain id in its text form (1-8 lowercase hex digits). */
json_t *nj_chain(uint32_t chain_id);
/* The checksummed address a (or of pk) on chain_id. */
json_t *nj_address(uint32_t chain_id, const hansa_addr *a);
json_t *nj_address_of(uint32_t chain_id, const hansa_pubkey *pk);

/* A transaction from its encoding (which must decode: it comes from a
 * committed block or was just admitted): hash, encoded, chain_id, sender
 * (public key), sender_address, nonce, fee, kind (name, or the number for a
 * kind this build does not know), kind_code, body (hex), signature, and for
 * a transfer: to, amount. */
json_t *nj_tx(const uint8_t *bytes, size_t len);

/* A header: hash (the block id), encoded, version and every field. */
json_t *nj_header(const wire_header *h);

/* A commit certificate: encoded, height, round, block, signers
 * [{validator_index, signature}]. When vs is the set that signed it (the
 * caller checked its hash against the header's validators_hash), each
 * signer also gets pubkey, address and power, and the view gets
 * signed_power and total_power. vs may be NULL. */
json_t *nj_commit(const wire_commit *c, const cons_valset *vs);

/* A validator set: validators_hash, total_power, validators [{pubkey,
 * address, power, proposer_priority}] in set order (sorted by pubkey, the
 * order commit certificates index into). */
json_t *nj_valset(const cons_valset *vs, uint32_t chain_id);

/* ---- params ---- */

/* An RPC_INVALID_PARAMS outcome with data {param, reason}: "invalid
 * params: "name" reason". reason is a static sentence. */
rpc_outcome nj_bad_param(const char *name, const char *reason);

/* An RPC_PRUNED outcome for a block at height below lowest, the lowest
 * this node keeps: data {height, lowest}, "pruned: lowest kept height is H". */
rpc_outcome nj_pruned(uint64_t height, uint64_t lowest);

/* True if params holds no member outside names (NULL-terminated); else
 * false with *out the error to return. */
bool nj_params_only(json_t *params, const char *const *names, rpc_outcome *out);

/* Reads the required string param "address" as an address of chain_id
 * into *addr. False with *out the error to return if it is missing, not a
 * string, or not a valid address of this chain. */
bool nj_param_address(json_t *params, uint32_t chain_id, hansa_addr *addr, rpc_outcome *out);

/* Reads the required hex param "hash" (32 bytes) into *h. False with *out
 * the error to return if it is missing or not 64 hex digits. */
bool nj_param_hash(json_t *params, hansa_hash *h, rpc_outcome *out);
/* Reads the required param "chain_id" (1-8 hex digits). */
bool nj_param_chain(json_t *params, uint32_t *chain, rpc_outcome *out);

#endif
