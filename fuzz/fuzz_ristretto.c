/* fuzz_ristretto.c — the variable-time ristretto255 decoder FROST uses on
 * public values (crypto/ristretto_vt.h) against libsodium's: for any 32
 * bytes both accept or both refuse (libsodium 1.0.18 additionally accepts a
 * set bit 255, which RFC 9496 and hansa refuse), an accepted string
 * re-encodes to itself, and frost_point_decode agrees. With 64 bytes, two
 * accepted points add as libsodium adds them. */
#include <sodium.h>
#include <string.h>

#include "base/assert.h"
#include "crypto/frost.h"
#include "crypto/ristretto_vt.h"
#include "crypto/sign.h"

static bool check_one(const uint8_t s[32], rvt_point *p) {
    bool mine = rvt_decode(p, s);
    bool ref = crypto_core_ristretto255_is_valid_point(s) == 1 && !(s[31] & 0x80);
    HANSA_ASSERT(mine == ref);
    frost_point fp;
    bool zero = true;
    for (int i = 0; i < 32; i++) zero &= s[i] == 0;
    HANSA_ASSERT((frost_point_decode(s, &fp) == HANSA_OK) == (mine && !zero));
    if (mine) {
        uint8_t back[32];
        rvt_encode(back, p);
        HANSA_ASSERT(memcmp(back, s, 32) == 0);
    }
    return mine;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    crypto_init();
    if (size < 32) return 0;
    rvt_point a, b;
    bool ok_a = check_one(data, &a);
    if (size < 64) return 0;
    bool ok_b = check_one(data + 32, &b);
    if (ok_a && ok_b) {
        uint8_t mine[32], ref[32];
        rvt_add(&a, &a, &b);
        rvt_encode(mine, &a);
        HANSA_ASSERT(crypto_core_ristretto255_add(ref, data, data + 32) == 0);
        HANSA_ASSERT(memcmp(mine, ref, 32) == 0);
    }
    return 0;
}
