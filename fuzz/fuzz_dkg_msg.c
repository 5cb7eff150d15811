/* fuzz_dkg_msg.c — the DKG message decoder (threshold/dkg_msg.h) under the
 * canonical-encoding oracle (and the signed-share decoder of the sealed
 * plaintext on the first 128 bytes), then the same bytes fed to a DKG session as a
 * broadcast and as a private message: whatever they hold, the session must
 * refuse or take them without crashing, reading out of bounds or leaking.
 * The session is the one of the seed corpus (participant 1 of 4, keys from
 * seed 1, as tests/threshold/dkg_harness.h makes them), so corpus messages
 * pass the signature checks and reach the protocol rules. */
#include <string.h>

#include "base/assert.h"
#include "base/buf.h"
#include "base/rng.h"
#include "crypto/sign.h"
#include "threshold/dkg.h"
#include "threshold/dkg_msg.h"

#define N 4

static hansa_keypair keys[N + 1];
static hansa_pubkey members[N];

static void init_keys(void) {
    static bool done;
    if (done) return;
    done = true;
    crypto_init();
    hansa_prng p;
    prng_seed(&p, 1);
    for (int i = 1; i <= N; i++) {
        uint8_t sd[32];
        prng_fill(&p, sd, 32);
        keypair_from_seed(&keys[i], sd);
        members[i - 1] = keys[i].pub;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    init_keys();
    dkg_msg m;
    wire_rd r;
    if (dkg_msg_decode(size ? data : NULL, size, &m, &r) == HANSA_OK) {
        hbuf b = HBUF_INIT;
        dkg_msg_encode(&b, &m);
        HANSA_ASSERT(b.len == size);
        HANSA_ASSERT(memcmp(b.data, data, size) == 0);
        hbuf_free(&b);
    } else {
        HANSA_ASSERT(r.err != HANSA_OK);
        HANSA_ASSERT(r.err_off <= size);
        const uint8_t *z = (const uint8_t *)&m;
        for (size_t i = 0; i < sizeof m; i++) HANSA_ASSERT(z[i] == 0);
    }

    /* The sealed plaintext's decoder (a signed share), on the first bytes. */
    if (size >= DKG_SIGNED_SHARE_BYTES) {
        dkg_signed_share ss;
        if (dkg_signed_share_decode(data, &ss) == HANSA_OK) {
            uint8_t back[DKG_SIGNED_SHARE_BYTES];
            dkg_signed_share_encode(back, &ss);
            HANSA_ASSERT(memcmp(back, data, sizeof back) == 0);
        }
    }

    hansa_prng p;
    prng_seed(&p, 7);
    dkg_context ctx = {.chain_id = 0xe2e4, .epoch = 1, .n = N, .members = members};
    memset(ctx.valset_hash.b, 0x5a, HANSA_HASH_BYTES);
    dkg_config cfg = {.ctx = ctx, .timing = {10, 20, 30, 40}, .me = 1, .key = &keys[1],
                      .rng = prng_as_rng(&p)};
    dkg_session *s = dkg_new(&cfg);
    const char *why;
    const dkg_out *o;
    (void)dkg_on_direct(s, size ? data : NULL, size, &why);
    (void)dkg_on_broadcast(s, size ? data : NULL, size, 1, &why);
    (void)dkg_on_broadcast(s, size ? data : NULL, size, 25, &why);
    dkg_tick(s, 50);
    (void)dkg_drain(s, &o);
    dkg_free(s);
    return 0;
}
