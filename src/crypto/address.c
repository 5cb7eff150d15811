/* address.c — chain ids and checksummed account addresses (see address.h).
 *
 * The checksum follows EIP-55 with one change: the hash covers the whole
 * lowercase text, chain prefix and 'x' included, so the case pattern is bound
 * to the chain. Letter i of the 40 account digits is upper case iff hex
 * digit i of SHA-256(lowercase text) is 8 or more, i.e. the high nibble of
 * hash byte i/2 for even i and the low nibble for odd i. Digits 0-9 carry no
 * case, so a text with L letters carries L checksum bits: a random typo
 * passes with probability 2^-L (EIP-55 has the same bound), while a change of
 * case alone never passes, because it leaves the hash unchanged.
 *
 * Parsing reports the first wrong part, reading left to right: separator,
 * chain prefix, length, digits, checksum, then the expected chain. */
#include "crypto/address.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/assert.h"
#include "base/hex.h"
#include "crypto/sha256.h"

#define CHAIN_DIGITS_MAX 8
#define ACCOUNT_DIGITS (2 * HANSA_ADDR_BYTES)

_Static_assert(CHAIN_ID_TEXT_MAX == CHAIN_DIGITS_MAX + 1, "chain text size");
_Static_assert(ADDR_TEXT_MAX == CHAIN_DIGITS_MAX + 1 + ACCOUNT_DIGITS + 1, "address text size");

/* The `why` of a non-hex account digit names its position (counting from 1
 * over the whole text); a table of literals keeps the sentences static. */
#define WHY_DIGIT(n) "account digits: character " #n " of the address is not a hex digit"
static const char *const why_digit[ADDR_TEXT_MAX] = {
    NULL,
    WHY_DIGIT(1), WHY_DIGIT(2), WHY_DIGIT(3), WHY_DIGIT(4), WHY_DIGIT(5), WHY_DIGIT(6),
    WHY_DIGIT(7), WHY_DIGIT(8), WHY_DIGIT(9), WHY_DIGIT(10), WHY_DIGIT(11), WHY_DIGIT(12),
    WHY_DIGIT(13), WHY_DIGIT(14), WHY_DIGIT(15), WHY_DIGIT(16), WHY_DIGIT(17), WHY_DIGIT(18),
    WHY_DIGIT(19), WHY_DIGIT(20), WHY_DIGIT(21), WHY_DIGIT(22), WHY_DIGIT(23), WHY_DIGIT(24),
    WHY_DIGIT(25), WHY_DIGIT(26), WHY_DIGIT(27), WHY_DIGIT(28), WHY_DIGIT(29), WHY_DIGIT(30),
    WHY_DIGIT(31), WHY_DIGIT(32), WHY_DIGIT(33), WHY_DIGIT(34), WHY_DIGIT(35), WHY_DIGIT(36),
    WHY_DIGIT(37), WHY_DIGIT(38), WHY_DIGIT(39), WHY_DIGIT(40), WHY_DIGIT(41), WHY_DIGIT(42),
    WHY_DIGIT(43), WHY_DIGIT(44), WHY_DIGIT(45), WHY_DIGIT(46), WHY_DIGIT(47), WHY_DIGIT(48),
    WHY_DIGIT(49),
};

/* Addresses of recent keys. A node derives the same few addresses over and
 * over: each transaction's sender when it is admitted, when its block is
 * judged and when it is applied; each signer of a block's last commit for
 * its reward. 256 slots of 52 bytes stay in the first-level caches, chosen
 * by the key's first two bytes; a hit compares the whole key, so the memo
 * answers exactly what the hash would, and keys made to share a slot only
 * make it miss. Per thread: no locks. */
#define ADDR_MEMO_SLOTS 256

typedef struct {
    bool used;
    hansa_pubkey pk;
    hansa_addr addr;
} addr_memo_slot;

static _Thread_local addr_memo_slot addr_memo[ADDR_MEMO_SLOTS];

void addr_from_pubkey(const hansa_pubkey *pk, hansa_addr *out) {
    addr_memo_slot *s = &addr_memo[(pk->b[0] | (unsigned)pk->b[1] << 8) % ADDR_MEMO_SLOTS];
    if (s->used && memcmp(s->pk.b, pk->b, HANSA_PUBKEY_BYTES) == 0) {
        *out = s->addr;
        return;
    }
    hansa_hash h;
    sha256(pk->b, HANSA_PUBKEY_BYTES, &h);
    memcpy(out->b, h.b, HANSA_ADDR_BYTES);
    *s = (addr_memo_slot){.used = true, .pk = *pk, .addr = *out};
}

void chain_id_format(uint32_t chain_id, char out[CHAIN_ID_TEXT_MAX]) {
    int n = snprintf(out, CHAIN_ID_TEXT_MAX, "%" PRIx32, chain_id);
    HANSA_ASSERT(n >= 1);
    HANSA_ASSERT(n <= CHAIN_DIGITS_MAX);
}

static hansa_err fail(const char **why, const char *sentence, hansa_err err) {
    if (why) *why = sentence;
    return err;
}

static bool is_lower_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

/* Parses the n characters at s as a chain id (see chain_id_parse). */
static hansa_err chain_parse_n(const char *s, size_t n, uint32_t *out, const char **why) {
    if (n == 0) return fail(why, "chain prefix: empty (want 1-8 lowercase hex digits)", HANSA_ERR_INVALID);
    if (n > CHAIN_DIGITS_MAX)
        return fail(why, "chain prefix: more than 8 hex digits", HANSA_ERR_TOO_LONG);
    uint32_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!is_lower_hex(s[i]))
            return fail(why, "chain prefix: not lowercase hex digits", HANSA_ERR_BAD_HEX);
        v = (v << 4) | (uint32_t)hex_digit(s[i]);
    }
    if (n > 1 && s[0] == '0')
        return fail(why, "chain prefix: leading zero (write the chain id without one)",
                    HANSA_ERR_NONCANONICAL);
    *out = v;
    return HANSA_OK;
}

hansa_err chain_id_parse(const char *s, uint32_t *out, const char **why) {
    HANSA_ASSERT(s != NULL);
    HANSA_ASSERT(out != NULL);
    return chain_parse_n(s, strnlen(s, CHAIN_DIGITS_MAX + 1), out, why);
}

/* True if letter i of the account digits must be upper case, given the hash
 * of the lowercase text. */
static bool checksum_upper(const hansa_hash *h, size_t i) {
    HANSA_ASSERT(i < ACCOUNT_DIGITS);
    uint8_t byte = h->b[i / 2];
    uint8_t nibble = i % 2 == 0 ? byte >> 4 : byte & 0x0f;
    return nibble >= 8;
}

void addr_format(uint32_t chain_id, const hansa_addr *addr, char out[ADDR_TEXT_MAX]) {
    chain_id_format(chain_id, out);
    size_t p = strlen(out);
    out[p] = 'x';
    char *digits = out + p + 1;
    hex_encode(addr->b, HANSA_ADDR_BYTES, digits);
    hansa_hash h;
    sha256(out, p + 1 + ACCOUNT_DIGITS, &h);
    for (size_t i = 0; i < ACCOUNT_DIGITS; i++)
        if (digits[i] >= 'a' && checksum_upper(&h, i)) digits[i] = (char)(digits[i] - 'a' + 'A');
}

/* Checks the case of the account digits against the checksum of the
 * lowercase text (prefix_len chars of chain prefix, 'x', 40 digits). */
static bool checksum_ok(const char *text, size_t prefix_len) {
    char lower[ADDR_TEXT_MAX];
    size_t len = prefix_len + 1 + ACCOUNT_DIGITS;
    HANSA_ASSERT(len < ADDR_TEXT_MAX);
    for (size_t i = 0; i < len; i++)
        lower[i] = text[i] >= 'A' && text[i] <= 'F' ? (char)(text[i] - 'A' + 'a') : text[i];
    hansa_hash h;
    sha256(lower, len, &h);
    const char *digits = text + prefix_len + 1;
    for (size_t i = 0; i < ACCOUNT_DIGITS; i++) {
        bool letter = hex_digit(digits[i]) >= 10;
        bool upper = digits[i] >= 'A' && digits[i] <= 'F';
        if (letter && upper != checksum_upper(&h, i)) return false;
    }
    return true;
}

hansa_err addr_parse(const char *text, const uint32_t *expect_chain, uint32_t *chain_out,
                     hansa_addr *addr_out, const char **why) {
    HANSA_ASSERT(text != NULL);
    HANSA_ASSERT(addr_out != NULL);
    const char *x = strchr(text, 'x');
    if (!x)
        return fail(why, "separator: no lowercase 'x' between chain prefix and account digits",
                    HANSA_ERR_INVALID);
    size_t prefix_len = (size_t)(x - text);
    uint32_t chain;
    hansa_err err = chain_parse_n(text, prefix_len, &chain, why);
    if (err) return err;

    const char *digits = x + 1;
    size_t n = strnlen(digits, ACCOUNT_DIGITS + 1);
    if (n < ACCOUNT_DIGITS)
        return fail(why, "length: fewer than 40 account digits after the 'x'", HANSA_ERR_TRUNCATED);
    if (n > ACCOUNT_DIGITS)
        return fail(why, "length: more than 40 account digits after the 'x'", HANSA_ERR_TOO_LONG);
    bool has_upper = false;
    for (size_t i = 0; i < ACCOUNT_DIGITS; i++) {
        if (hex_digit(digits[i]) < 0)
            return fail(why, why_digit[prefix_len + 1 + i + 1], HANSA_ERR_BAD_HEX);
        has_upper |= digits[i] >= 'A' && digits[i] <= 'F';
    }
    /* All lowercase carries no checksum and is accepted as is (DESIGN.md 4). */
    if (has_upper && !checksum_ok(text, prefix_len))
        return fail(why, "checksum: the letter case of the account digits is wrong "
                         "(a typo, or an address of another chain)", HANSA_ERR_CHECKSUM);
    if (expect_chain && chain != *expect_chain)
        return fail(why, "chain prefix: names a different chain than the one expected",
                    HANSA_ERR_WRONG_CHAIN);

    size_t got = 0;
    HANSA_ASSERT(hex_decode(digits, ACCOUNT_DIGITS, addr_out->b, HANSA_ADDR_BYTES, &got, NULL) ==
                 HANSA_OK);
    HANSA_ASSERT(got == HANSA_ADDR_BYTES);
    if (chain_out) *chain_out = chain;
    return HANSA_OK;
}
