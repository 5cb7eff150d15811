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

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

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
        int hi = hex_digit(in[i]), lo = hex_digit(in[i + 1]);
        if (hi < 0 || lo < 0) {
            if (bad_at) *bad_at = hi < 0 ? i : i + 1;
            return HANSA_ERR_BAD_HEX;
        }
        out[i / 2] = (uint8_t)(hi << 4 | lo);
    }
    if (out_len) *out_len = len / 2;
    return HANSA_OK;
}
