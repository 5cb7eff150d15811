/* address.h — chain ids and account addresses in text (DESIGN.md section 4).
 *
 * An address is the first 20 bytes of SHA-256(Ed25519 public key). Its text
 * form is `<chain>x<40 hex>`, e.g. e2e4x63ea7F78107dF4C6fd8b17e7b05b1b3D41a5B1Ab,
 * where <chain> is 1-8 lowercase hex digits (no leading zeros) and the 40 hex
 * digits carry an EIP-55-style checksum in their letter case: letter i is upper
 * case iff nibble i of SHA-256(lowercase text including the chain prefix) is
 * >= 8. Because the prefix is hashed, the same 20 bytes get a different case
 * pattern on every chain, so an address copied from one chain fails the
 * checksum on another. */
#ifndef HANSA_CRYPTO_ADDRESS_H
#define HANSA_CRYPTO_ADDRESS_H

#include <stddef.h>
#include <stdint.h>

#include "base/bytes.h"
#include "base/err.h"

/* "ffffffff" + "x" + 40 + NUL */
#define ADDR_TEXT_MAX 50
#define CHAIN_ID_TEXT_MAX 9

void addr_from_pubkey(const hansa_pubkey *pk, hansa_addr *out);

/* Writes the chain id as lowercase hex without leading zeros (0 is "0"). */
void chain_id_format(uint32_t chain_id, char out[CHAIN_ID_TEXT_MAX]);
/* Parses 1-8 lowercase hex digits without leading zeros. On error, why (optional)
 * gets a static sentence saying what is wrong.
 * Errors: empty HANSA_ERR_INVALID, over 8 digits HANSA_ERR_TOO_LONG, a character
 * other than 0-9a-f HANSA_ERR_BAD_HEX, leading zero HANSA_ERR_NONCANONICAL. */
hansa_err chain_id_parse(const char *s, uint32_t *out, const char **why);

/* Writes the checksummed text form. */
void addr_format(uint32_t chain_id, const hansa_addr *addr, char out[ADDR_TEXT_MAX]);

/* Parses text; accepts an all-lowercase hex part (no checksum to check) or
 * the exact checksummed case. If expect_chain is non-NULL the chain must
 * match it (HANSA_ERR_WRONG_CHAIN). On error, why gets a static sentence naming
 * the part that is wrong (chain prefix, separator, length, digit, checksum).
 * chain_out may be NULL. Errors, by part: separator HANSA_ERR_INVALID; chain
 * prefix as chain_id_parse; length HANSA_ERR_TRUNCATED / HANSA_ERR_TOO_LONG;
 * a non-hex digit HANSA_ERR_BAD_HEX (the sentence gives its position);
 * checksum HANSA_ERR_CHECKSUM; wrong chain HANSA_ERR_WRONG_CHAIN. */
hansa_err addr_parse(const char *text, const uint32_t *expect_chain, uint32_t *chain_out,
                     hansa_addr *addr_out, const char **why);

#endif
