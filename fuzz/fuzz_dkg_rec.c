/* fuzz_dkg_rec.c — a delegate's stored key generation record (threshold/
 * dkg_rec.h, read back by node/frost_duty.c after a restart) under the
 * canonical-encoding oracle: a version-4 record that decodes re-encodes to
 * the same bytes, a version-3 one to the same bytes but the version; a
 * version-2 one re-encodes (as version 4) to a record that decodes to the
 * same entry. */
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/buf.h"
#include "crypto/sign.h"
#include "threshold/dkg_rec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static bool init;
    if (!init) crypto_init();
    init = true;
    dkg_rec *rec = calloc(1, sizeof *rec), *again = calloc(1, sizeof *again);
    wire_rd r;
    if (dkg_rec_decode(size ? data : NULL, size, rec, &r) != HANSA_OK) {
        HANSA_ASSERT(r.err != HANSA_OK && r.err_off <= size && rec->cur.epoch == 0);
    } else {
        HANSA_ASSERT(!rec->has_prev || rec->prev.epoch < rec->cur.epoch);
        hbuf b = HBUF_INIT;
        dkg_rec_encode(&b, rec);
        if (data[0] != 2) {
            HANSA_ASSERT(b.len == size && b.data[0] == DKG_REC_VERSION &&
                         memcmp(b.data + 1, data + 1, size - 1) == 0);
        } else {
            HANSA_ASSERT(dkg_rec_decode(b.data, b.len, again, NULL) == HANSA_OK);
            HANSA_ASSERT(!again->has_prev && b.len == size + 1);
            hbuf c = HBUF_INIT;
            dkg_rec_encode(&c, again);
            HANSA_ASSERT(c.len == b.len && memcmp(c.data, b.data, b.len) == 0);
            hbuf_free(&c);
        }
        hbuf_free(&b);
    }
    free(rec);
    free(again);
    return 0;
}
