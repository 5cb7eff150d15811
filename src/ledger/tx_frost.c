/* tx_frost.c — the ledger's check of DKG COMMIT transactions and the group
 * key derivation (see tx_frost.h). */
#include "ledger/tx_frost.h"

#include <string.h>

#include "base/assert.h"
#include "base/buf.h"
#include "crypto/sign.h"
#include "wire/codec.h"

static hansa_err refuse(const char **why, hansa_err e, const char *msg) {
    if (why) *why = msg;
    return e;
}

hansa_err frost_tx_check_commit(const dkg_context *ctx, const hansa_pubkey *sender,
                                const uint8_t *p, size_t len, dkg_commit_body *out,
                                const char **why) {
    dkg_msg m;
    wire_rd r;
    hansa_err e = dkg_msg_decode(p, len, &m, &r);
    if (e != HANSA_OK) return refuse(why, e, "dkg tx: malformed dkg message");
    if (m.kind != DKG_MSG_COMMIT) return refuse(why, HANSA_ERR_PROTOCOL, "dkg tx: not a COMMIT");
    hansa_hash sid;
    dkg_session_id(ctx, &sid);
    if (!hash_eq(&sid, &m.session))
        return refuse(why, HANSA_ERR_PROTOCOL, "dkg tx: not this validator set's session");
    const dkg_commit_body *c = &m.u.commit;
    if (c->dealer < 1 || c->dealer > ctx->n)
        return refuse(why, HANSA_ERR_PROTOCOL, "dkg tx: dealer outside the set");
    if (!pubkey_eq(&ctx->members[c->dealer - 1], sender))
        return refuse(why, HANSA_ERR_PROTOCOL, "dkg tx: sender is not the delegate it names");
    if (c->t != dkg_threshold(ctx->n))
        return refuse(why, HANSA_ERR_PROTOCOL, "dkg tx: commitment length is not the threshold");
    hbuf b = HBUF_INIT;
    dkg_msg_sign_bytes(&b, &m);
    bool ok = verify_domain(sender, DKG_DOMAIN, b.data, b.len, &c->sig);
    hbuf_free(&b);
    if (!ok) return refuse(why, HANSA_ERR_BAD_SIG, "dkg tx: bad signature");
    if (!frost_pok_verify(c->dealer, sid.b, HANSA_HASH_BYTES, &c->commits[0], &c->pok))
        return refuse(why, HANSA_ERR_CRYPTO, "dkg tx: proof of knowledge does not verify");
    *out = *c;
    return HANSA_OK;
}

hansa_err frost_tx_group_key(uint16_t n, const frost_point *c0, const uint8_t *qual,
                             frost_point *out, const char **why) {
    uint16_t count = 0;
    for (uint16_t d = 1; d <= n; d++) {
        if (!dkg_bitmap_get(qual, d)) continue;
        if (count == 0) {
            *out = c0[d - 1];
        } else {
            frost_point sum; /* frost_point_add clears out first: no aliasing */
            if (!frost_point_add(out, &c0[d - 1], &sum))
                return refuse(why, HANSA_ERR_STATE, "group key: the sum is the identity");
            *out = sum;
        }
        count++;
    }
    if (count < dkg_threshold(n))
        return refuse(why, HANSA_ERR_STATE, "group key: fewer qualified dealers than the threshold");
    return HANSA_OK;
}

bool frost_set_keyable(const uint64_t *power, uint16_t n) {
    HANSA_ASSERT(n >= 1 && n <= FROST_PARTICIPANTS_MAX);
    uint64_t sorted[FROST_PARTICIPANTS_MAX];
    memcpy(sorted, power, n * sizeof *power);
    for (uint16_t i = 1; i < n; i++) /* insertion sort: n is small */
        for (uint16_t j = i; j > 0 && sorted[j - 1] > sorted[j]; j--) {
            uint64_t x = sorted[j];
            sorted[j] = sorted[j - 1];
            sorted[j - 1] = x;
        }
    unsigned __int128 least = 0, total = 0;
    uint16_t t = dkg_threshold(n);
    for (uint16_t i = 0; i < n; i++) {
        total += sorted[i];
        if (i < t) least += sorted[i];
    }
    return 3 * least > 2 * total;
}
