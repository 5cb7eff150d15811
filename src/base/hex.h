/* hex.h — lowercase hex encoding and strict decoding. */
#ifndef HANSA_BASE_HEX_H
#define HANSA_BASE_HEX_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

/* Writes 2n lowercase hex digits and a NUL to out (size >= 2n+1). */
void hex_encode(const uint8_t *in, size_t n, char *out);

/* Decodes exactly `len` hex characters (either case) into out[len/2].
 * Returns HANSA_ERR_BAD_HEX for an odd length or a non-hex character, and
 * HANSA_ERR_TOO_LONG if len/2 > out_max; *bad_at (optional) gets the offset
 * of the first offending character. */
hansa_err hex_decode(const char *in, size_t len, uint8_t *out, size_t out_max, size_t *out_len,
                     size_t *bad_at);

/* Returns the value of one hex digit, or -1. */
int hex_digit(char c);

#endif
