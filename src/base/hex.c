/* hex.c — see hex.h. */
#include "base/hex.h"

void hex_encode(const uint8_t *in, size_t n, char *out) {
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

/* Each character's digit value plus one, 0 for a non-digit: hex_decode
 * reads every submitted transaction's ~300 characters (submit_txs), one
 * load per character here instead of up to three range tests. */
static const uint8_t digit_plus_one[256] = {
    ['0'] = 1,   ['1'] = 2,   ['2'] = 3,   ['3'] = 4,   ['4'] = 5,   ['5'] = 6,   ['6'] = 7,
    ['7'] = 8,   ['8'] = 9,   ['9'] = 10,  ['a'] = 11,  ['b'] = 12,  ['c'] = 13,  ['d'] = 14,
    ['e'] = 15,  ['f'] = 16,  ['A'] = 11,  ['B'] = 12,  ['C'] = 13,  ['D'] = 14,  ['E'] = 15,
    ['F'] = 16,
};

int hex_digit(char c) { return (int)digit_plus_one[(uint8_t)c] - 1; }

hansa_err hex_decode(const char *in, size_t len, uint8_t *out, size_t out_max, size_t *out_len,
                     size_t *bad_at) {
    if (len % 2 != 0) {
        if (bad_at) *bad_at = len;
        return HANSA_ERR_BAD_HEX;
    }
    if (len / 2 > out_max) {
        if (bad_at) *bad_at = 2 * out_max;
        return HANSA_ERR_TOO_LONG;
    }
    for (size_t i = 0; i < len; i += 2) {
        unsigned hi = digit_plus_one[(uint8_t)in[i]], lo = digit_plus_one[(uint8_t)in[i + 1]];
        if (hi == 0 || lo == 0) {
            if (bad_at) *bad_at = hi == 0 ? i : i + 1;
            return HANSA_ERR_BAD_HEX;
        }
        out[i / 2] = (uint8_t)((hi - 1) << 4 | (lo - 1));
    }
    if (out_len) *out_len = len / 2;
    return HANSA_OK;
}
