/* Tests of crypto/address: chain ids, the chain-bound EIP-55-style checksum,
 * and every malformed form.
 *
 * What the checksum can promise, and what is asserted here:
 *  - A change of letter case alone never passes: it leaves the lowercase text,
 *    hence the hash, unchanged, so the flipped letter has the wrong case. The
 *    one exception is by design: if the result is all lowercase, it carries no
 *    checksum and is accepted. Asserted for every letter of every address, any seed.
 *  - Any other single-character change by a hex digit alters the hash, and
 *    passes only if the new case pattern happens to match: probability 2^-L
 *    for L letters, and L is small for some addresses (the EIP-55 bound). So
 *    for a seeded set of 64 addresses the test tries every substitution at
 *    every position, asserts that every non-hex one is rejected, and that the
 *    checksum collisions among the rest stay within a bound derived from
 *    sum 2^-L (see test_substitutions_caught). It prints the collisions.
 *  - The same for the chain: an e2e4 address with its prefix changed to e2e5
 *    fails the checksum with probability 1 - 2^-L (asserted for the seeded
 *    set), and always fails with expect_chain = e2e5. */
#include "base/hex.h"
#include "base/rng.h"
#include "crypto/address.h"
#include "crypto/sha256.h"
#include "check.h"

#define SET_SIZE 64

static bool is_upper_hex(char c) { return c >= 'A' && c <= 'F'; }
static bool is_letter_hex(char c) { return (c >= 'a' && c <= 'f') || is_upper_hex(c); }
static char lower(char c) { return is_upper_hex(c) ? (char)(c - 'A' + 'a') : c; }
static char flip_case(char c) {
    return is_upper_hex(c) ? (char)(c - 'A' + 'a') : (char)(c - 'a' + 'A');
}

static void to_lower(const char *in, char *out) {
    size_t i = 0;
    for (; in[i]; i++) out[i] = lower(in[i]);
    out[i] = '\0';
}

/* The checksum rule of address.h, spelled out: letter i of the account
 * digits is upper case iff hex digit i of SHA-256(lowercase text) >= 8. */
static bool case_matches_spec(const char *text) {
    char low[ADDR_TEXT_MAX], hash_hex[65];
    to_lower(text, low);
    hansa_hash h;
    sha256(low, strlen(low), &h);
    hex_encode(h.b, 32, hash_hex);
    const char *digits = strchr(text, 'x') + 1;
    for (size_t i = 0; i < 40; i++) {
        if (!is_letter_hex(digits[i])) continue;
        if (is_upper_hex(digits[i]) != (hex_digit(hash_hex[i]) >= 8)) return false;
    }
    return true;
}

/* A chain id with a random number (1-8) of significant hex digits. */
static uint32_t random_chain(hansa_prng *p) {
    unsigned digits = 1 + (unsigned)prng_below(p, 8);
    uint64_t v = prng_next(p) & ((1ull << (4 * digits)) - 1);
    return (uint32_t)v;
}

static void test_chain_id(void) {
    char s[CHAIN_ID_TEXT_MAX];
    uint32_t v = 1;
    const char *why = NULL;
    chain_id_format(0, s);
    CHECK(strcmp(s, "0") == 0);
    chain_id_format(0xe2e4, s);
    CHECK(strcmp(s, "e2e4") == 0);
    chain_id_format(UINT32_MAX, s);
    CHECK(strcmp(s, "ffffffff") == 0);
    CHECK_ERR(chain_id_parse("0", &v, &why), HANSA_OK);
    CHECK_EQ_U64(v, 0);
    CHECK_ERR(chain_id_parse("ffffffff", &v, NULL), HANSA_OK);
    CHECK_EQ_U64(v, UINT32_MAX);

    struct {
        const char *text;
        hansa_err err;
    } bad[] = {
        {"", HANSA_ERR_INVALID},        {"100000000", HANSA_ERR_TOO_LONG},
        {"E2E4", HANSA_ERR_BAD_HEX},    {"e2 4", HANSA_ERR_BAD_HEX},
        {"-1", HANSA_ERR_BAD_HEX},      {"0e2", HANSA_ERR_NONCANONICAL},
        {"00", HANSA_ERR_NONCANONICAL}, {"e2e4x", HANSA_ERR_BAD_HEX},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        why = NULL;
        CHECK_ERR(chain_id_parse(bad[i].text, &v, &why), bad[i].err);
        CHECK(why != NULL && strstr(why, "chain prefix") != NULL);
        CHECK_ERR(chain_id_parse(bad[i].text, &v, NULL), bad[i].err);
    }

    hansa_prng p;
    prng_seed(&p, check_seed("test_chain_id", 0xc4a1));
    for (int i = 0; i < 2000; i++) {
        uint32_t c = random_chain(&p), back = 0;
        chain_id_format(c, s);
        CHECK_ERR(chain_id_parse(s, &back, NULL), HANSA_OK);
        CHECK_EQ_U64(back, c);
    }
}

static void test_from_pubkey(void) {
    hansa_pubkey pk;
    for (int i = 0; i < 32; i++) pk.b[i] = (uint8_t)i;
    hansa_hash h;
    sha256(pk.b, 32, &h);
    hansa_addr a;
    addr_from_pubkey(&pk, &a);
    CHECK(memcmp(a.b, h.b, HANSA_ADDR_BYTES) == 0);
}

/* The memo of addr_from_pubkey answers what the hash would: keys that share
 * a memo slot (same first two bytes) and differ in any later byte, asked in
 * turn and again, each get their own key's address. */
static void test_from_pubkey_memo(void) {
    hansa_prng p;
    uint64_t seed = 15;
    printf("test_from_pubkey_memo seed=%llu\n", (unsigned long long)seed);
    prng_seed(&p, seed);
    hansa_pubkey keys[40];
    for (int i = 0; i < 40; i++) {
        prng_fill(&p, keys[i].b, sizeof keys[i].b);
        keys[i].b[0] = 7; /* one slot for all */
        keys[i].b[1] = 9;
        if (i % 2 == 0) continue;
        keys[i] = keys[i - 1];
        keys[i].b[31 - i % 30] ^= 1; /* one bit from the key before, past the slot bytes */
    }
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 40; i++) {
            int k = round == 1 ? 39 - i : i;
            hansa_hash h;
            sha256(keys[k].b, 32, &h);
            hansa_addr a;
            addr_from_pubkey(&keys[k], &a);
            CHECK(memcmp(a.b, h.b, HANSA_ADDR_BYTES) == 0);
            addr_from_pubkey(&keys[k], &a); /* now a hit */
            CHECK(memcmp(a.b, h.b, HANSA_ADDR_BYTES) == 0);
        }
    }
}

static void test_roundtrip(void) {
    hansa_prng p;
    prng_seed(&p, check_seed("test_roundtrip", 0xadd7));
    for (int i = 0; i < 3000; i++) {
        uint32_t chain = random_chain(&p), back_chain = 0;
        hansa_addr a, back;
        prng_fill(&p, a.b, sizeof a.b);
        char text[ADDR_TEXT_MAX], low[ADDR_TEXT_MAX], prefix[CHAIN_ID_TEXT_MAX];
        addr_format(chain, &a, text);
        chain_id_format(chain, prefix);
        CHECK_EQ_U64(strlen(text), strlen(prefix) + 41);
        CHECK(strncmp(text, prefix, strlen(prefix)) == 0);
        CHECK(text[strlen(prefix)] == 'x');
        CHECK(case_matches_spec(text));
        CHECK_ERR(addr_parse(text, &chain, &back_chain, &back, NULL), HANSA_OK);
        CHECK_EQ_U64(back_chain, chain);
        CHECK(addr_eq(&a, &back));
        /* All lowercase carries no checksum and is accepted. */
        to_lower(text, low);
        memset(&back, 0, sizeof back);
        CHECK_ERR(addr_parse(low, NULL, NULL, &back, NULL), HANSA_OK);
        CHECK(addr_eq(&a, &back));
    }
}

/* A fixed seeded set of checksummed addresses that contain at least one
 * upper-case letter (the others have no checksum to break). */
static void make_set(hansa_prng *p, char texts[SET_SIZE][ADDR_TEXT_MAX], uint32_t *chains,
                     hansa_addr *addrs) {
    for (int i = 0; i < SET_SIZE; i++) {
        do {
            chains[i] = random_chain(p);
            prng_fill(p, addrs[i].b, sizeof addrs[i].b);
            addr_format(chains[i], &addrs[i], texts[i]);
        } while (strpbrk(texts[i], "ABCDEF") == NULL);
    }
}

static bool all_lower(const char *s) { return strpbrk(s, "ABCDEF") == NULL; }

static void test_case_flips_always_caught(void) {
    hansa_prng p;
    prng_seed(&p, check_seed("test_case_flips_always_caught", 0xcafe));
    static char texts[SET_SIZE][ADDR_TEXT_MAX];
    uint32_t chains[SET_SIZE];
    hansa_addr addrs[SET_SIZE];
    make_set(&p, texts, chains, addrs);
    for (int s = 0; s < SET_SIZE; s++) {
        const char *digits = strchr(texts[s], 'x') + 1;
        for (size_t i = 0; i < 40; i++) {
            if (!is_letter_hex(digits[i])) continue;
            char t[ADDR_TEXT_MAX];
            strcpy(t, texts[s]);
            size_t at = (size_t)(digits - texts[s]) + i;
            t[at] = flip_case(t[at]);
            hansa_addr back;
            const char *why = NULL;
            hansa_err err = addr_parse(t, NULL, NULL, &back, &why);
            if (all_lower(t)) {
                CHECK_ERR(err, HANSA_OK); /* by design: no checksum to check */
                CHECK(addr_eq(&back, &addrs[s]));
            } else {
                CHECK_ERR(err, HANSA_ERR_CHECKSUM);
                CHECK(why != NULL && strstr(why, "checksum") != NULL);
            }
        }
    }
}

static bool is_hex(char c) { return hex_digit(c) >= 0; }

static size_t letters_in(const char *text) {
    size_t n = 0;
    for (const char *d = strchr(text, 'x') + 1; *d; d++) n += is_letter_hex(*d);
    return n;
}

/* Every single-character substitution in the seeded set:
 *  - by a character that is not a hex digit, or of the 'x': always rejected;
 *  - by the other case of the same letter: see test_case_flips_always_caught;
 *  - by another hex digit, giving a well-formed text T with L(T) letters:
 *    accepted by design if T is all lowercase; otherwise accepted only on a
 *    checksum collision, which has probability 2^-L(T). The test sums those
 *    probabilities to E and asserts that the collisions seen stay within
 *    2E + 10 (for a Poisson count of mean E that bound fails with
 *    probability below 1e-6 for any E). Addresses with few letters carry
 *    few checksum bits: that is the EIP-55 bound, printed, not hidden. */
static void test_substitutions_caught(void) {
    hansa_prng p;
    prng_seed(&p, check_seed("test_substitutions_caught", 0x5b57));
    static char texts[SET_SIZE][ADDR_TEXT_MAX];
    uint32_t chains[SET_SIZE];
    hansa_addr addrs[SET_SIZE];
    make_set(&p, texts, chains, addrs);
    const char *alphabet = "0123456789abcdefABCDEFgGxX -\n";
    uint64_t tried = 0, rejected = 0, lowercase_ok = 0, collisions = 0;
    double expected = 0;
    for (int s = 0; s < SET_SIZE; s++) {
        size_t len = strlen(texts[s]);
        for (size_t at = 0; at < len; at++) {
            for (const char *c = alphabet; *c; c++) {
                char orig = texts[s][at];
                if (*c == orig) continue;
                if (is_letter_hex(orig) && is_letter_hex(*c) && lower(*c) == lower(orig))
                    continue; /* a case flip */
                char t[ADDR_TEXT_MAX], low[ADDR_TEXT_MAX];
                strcpy(t, texts[s]);
                t[at] = *c;
                hansa_addr back;
                hansa_err err = addr_parse(t, NULL, NULL, &back, NULL);
                tried++;
                if (!is_hex(*c) || orig == 'x') {
                    CHECK(err != HANSA_OK);
                    rejected += err != HANSA_OK;
                    continue;
                }
                to_lower(t, low);
                bool well_formed = addr_parse(low, NULL, NULL, &back, NULL) == HANSA_OK;
                if (well_formed && all_lower(t)) {
                    CHECK_ERR(err, HANSA_OK);
                    lowercase_ok++;
                    continue;
                }
                if (well_formed) expected += 1.0 / (double)(1ull << letters_in(t));
                if (err == HANSA_OK) {
                    fprintf(stderr, "  collision: %s passes (typo of %s, %zu letters)\n", t,
                            texts[s], letters_in(t));
                    collisions++;
                } else {
                    rejected++;
                }
            }
        }
    }
    fprintf(stderr,
            "  %" PRIu64 " substitutions: %" PRIu64 " rejected, %" PRIu64
            " all-lowercase accepted, %" PRIu64 " checksum collisions (expected %.1f)\n",
            tried, rejected, lowercase_ok, collisions, expected);
    CHECK((double)collisions <= 2 * expected + 10);
    CHECK(rejected + lowercase_ok + collisions == tried);
}

static void test_chain_binding(void) {
    hansa_prng p;
    prng_seed(&p, check_seed("test_chain_binding", 0xe2e4));
    const uint32_t e2e4 = 0xe2e4, e2e5 = 0xe2e5;
    for (int i = 0; i < SET_SIZE; i++) {
        hansa_addr a, back;
        prng_fill(&p, a.b, sizeof a.b);
        char t4[ADDR_TEXT_MAX], t5[ADDR_TEXT_MAX];
        addr_format(e2e4, &a, t4);
        addr_format(e2e5, &a, t5);
        const char *why = NULL;
        CHECK_ERR(addr_parse(t4, &e2e5, NULL, &back, &why), HANSA_ERR_WRONG_CHAIN);
        CHECK(why != NULL && strstr(why, "different chain") != NULL);
        CHECK_ERR(addr_parse(t4, &e2e4, NULL, &back, NULL), HANSA_OK);
        /* Same bytes, different case pattern; an edited prefix fails the
         * checksum (unless the text has no upper case at all). */
        CHECK(strcmp(t4 + 5, t5 + 5) != 0);
        t4[3] = '5';
        if (!all_lower(t4)) CHECK_ERR(addr_parse(t4, NULL, NULL, &back, NULL), HANSA_ERR_CHECKSUM);
    }
}

static void test_malformed(void) {
    const char *hex40 = "63ea7f78107df4c6fd8b17e7b05b1b3d41a5b1ab";
    struct {
        const char *text, *why_has;
        hansa_err err;
    } cases[] = {
        {"", "separator", HANSA_ERR_INVALID},
        {"e2e463ea7f78107df4c6fd8b17e7b05b1b3d41a5b1ab", "separator", HANSA_ERR_INVALID},
        {"e2e4X63ea7f78107df4c6fd8b17e7b05b1b3d41a5b1ab", "separator", HANSA_ERR_INVALID},
        {"x63ea7f78107df4c6fd8b17e7b05b1b3d41a5b1ab", "chain prefix", HANSA_ERR_INVALID},
        {"123456789x63ea7f78107df4c6fd8b17e7b05b1b3d41a5b1ab", "chain prefix",
         HANSA_ERR_TOO_LONG},
        {"E2E4x63ea7f78107df4c6fd8b17e7b05b1b3d41a5b1ab", "chain prefix", HANSA_ERR_BAD_HEX},
        {" e2e4x63ea7f78107df4c6fd8b17e7b05b1b3d41a5b1ab", "chain prefix", HANSA_ERR_BAD_HEX},
        {"0e2x63ea7f78107df4c6fd8b17e7b05b1b3d41a5b1ab", "chain prefix",
         HANSA_ERR_NONCANONICAL},
        {"e2e4x63ea7f78107df4c6fd8b17e7b05b1b3d41a5b1a", "length", HANSA_ERR_TRUNCATED},
        {"e2e4x", "length", HANSA_ERR_TRUNCATED},
        {"e2e4x63ea7f78107df4c6fd8b17e7b05b1b3d41a5b1ab0", "length", HANSA_ERR_TOO_LONG},
        {"e2e4x63ea7f78107df4c6fd8b17e7b05b1b3d41a5b1ab\n", "length", HANSA_ERR_TOO_LONG},
        {"e2e4x63ea7fg8107df4c6fd8b17e7b05b1b3d41a5b1ab",
         "account digits: character 12 of the address is not a hex digit", HANSA_ERR_BAD_HEX},
        {"e2e4x63ea7f78107df4c6fd8b17e7b05b1b3d41a5b1ax", "character 45", HANSA_ERR_BAD_HEX},
        {"ex63ea7f78107df4c6fd8b17e7b05b1b3d41a5b1a ", "character 42", HANSA_ERR_BAD_HEX},
        {"e2e4x63EA7f78107df4c6fd8b17e7b05b1b3d41a5b1ab", "checksum", HANSA_ERR_CHECKSUM},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        hansa_addr a;
        const char *why = NULL;
        CHECK_ERR(addr_parse(cases[i].text, NULL, NULL, &a, &why), cases[i].err);
        CHECK(why != NULL && strstr(why, cases[i].why_has) != NULL);
        if (!why || !strstr(why, cases[i].why_has))
            fprintf(stderr, "  case %zu: why = %s\n", i, why ? why : "(none)");
    }
    /* The checksum case above is wrong: the right case of that address is
     * what addr_format writes. */
    hansa_addr a, back;
    size_t n = 0;
    CHECK_ERR(hex_decode(hex40, 40, a.b, sizeof a.b, &n, NULL), HANSA_OK);
    char right[ADDR_TEXT_MAX];
    addr_format(0xe2e4, &a, right);
    CHECK(strcmp(right, cases[15].text) != 0);
    CHECK_ERR(addr_parse(right, NULL, NULL, &back, NULL), HANSA_OK);
    CHECK(addr_eq(&a, &back));
}

int main(void) {
    RUN(test_chain_id);
    RUN(test_from_pubkey);
    RUN(test_from_pubkey_memo);
    RUN(test_roundtrip);
    RUN(test_case_flips_always_caught);
    RUN(test_substitutions_caught);
    RUN(test_chain_binding);
    RUN(test_malformed);
    return check_summary();
}
