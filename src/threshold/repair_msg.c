/* repair_msg.c — encoding and decoding of the share repair messages (see
 * repair_msg.h). The decoder accepts exactly what the encoder writes
 * (fuzz/fuzz_repair_msg.c checks encode(decode(x)) == x). */
#include "threshold/repair_msg.h"

#include <string.h>

#include "base/assert.h"
#include "crypto/sha256.h"
#include "wire/frost_rd.h"

_Static_assert(REPAIR_HEADER_BYTES == 40, "repair header layout in docs/wire.md");
_Static_assert(REPAIR_REQUEST_BYTES(3) == 112, "repair request layout in docs/wire.md");
_Static_assert(REPAIR_DELTA_BYTES == 220, "repair delta layout in docs/wire.md");
_Static_assert(REPAIR_SIGMA_BYTES == 218, "repair sigma layout in docs/wire.md");

void repair_msg_encode_unsigned(hbuf *b, const repair_msg *m) {
    HANSA_ASSERT(m->target >= 1 && m->target <= FROST_PARTICIPANTS_MAX);
    hbuf_put_u8(b, WIRE_VERSION);
    hbuf_put_u8(b, (uint8_t)m->kind);
    hbuf_append(b, m->session.b, HANSA_HASH_BYTES);
    hbuf_put_u16(b, m->target);
    hbuf_put_u32(b, m->round);
    switch (m->kind) {
    case REPAIR_MSG_REQUEST:
        HANSA_ASSERT(m->count >= 1 && m->count <= FROST_PARTICIPANTS_MAX);
        hbuf_put_u16(b, m->count);
        for (uint16_t i = 0; i < m->count; i++) {
            HANSA_ASSERT(i == 0 || m->helpers[i] > m->helpers[i - 1]);
            HANSA_ASSERT(m->helpers[i] != m->target);
            hbuf_put_u16(b, m->helpers[i]);
        }
        return;
    case REPAIR_MSG_DELTA:
        HANSA_ASSERT(m->from != m->to);
        hbuf_append(b, m->req.b, HANSA_HASH_BYTES);
        hbuf_put_u16(b, m->from);
        hbuf_put_u16(b, m->to);
        hbuf_append(b, m->sealed, REPAIR_SEALED_BYTES);
        return;
    case REPAIR_MSG_SIGMA:
        HANSA_ASSERT(m->from != m->target);
        hbuf_append(b, m->req.b, HANSA_HASH_BYTES);
        hbuf_put_u16(b, m->from);
        hbuf_append(b, m->sealed, REPAIR_SEALED_BYTES);
        return;
    }
    HANSA_UNREACHABLE();
}

void repair_msg_encode(hbuf *b, const repair_msg *m) {
    repair_msg_encode_unsigned(b, m);
    hbuf_append(b, m->sig.b, HANSA_SIG_BYTES);
}

void repair_msg_hash(const repair_msg *m, hansa_hash *out) {
    hbuf b = HBUF_INIT;
    repair_msg_encode(&b, m);
    sha256(b.data, b.len, out);
    hbuf_free(&b);
}

static void decode_request(wire_rd *r, repair_msg *m) {
    m->count = frd_count(r, "count");
    for (uint16_t i = 0; i < m->count && r->err == HANSA_OK; i++) {
        size_t at = r->off;
        m->helpers[i] = frd_next_id(r, i ? m->helpers[i - 1] : 0, "helper");
        if (r->err == HANSA_OK && m->helpers[i] == m->target) frd_fail_at(r, HANSA_ERR_INVALID, at, "helper");
    }
}

/* DELTA and SIGMA: the request's hash, the sender (and a DELTA's
 * recipient), the sealed scalar. */
static void decode_piece(wire_rd *r, repair_msg *m) {
    rd_fixed(r, m->req.b, HANSA_HASH_BYTES, "req");
    size_t at = r->off;
    m->from = frd_id(r, "from");
    if (r->err == HANSA_OK && m->kind == REPAIR_MSG_SIGMA && m->from == m->target)
        frd_fail_at(r, HANSA_ERR_INVALID, at, "from");
    if (m->kind == REPAIR_MSG_DELTA) {
        at = r->off;
        m->to = frd_id(r, "to");
        if (r->err == HANSA_OK && m->to == m->from) frd_fail_at(r, HANSA_ERR_INVALID, at, "to");
    }
    rd_fixed(r, m->sealed, REPAIR_SEALED_BYTES, "sealed");
}

hansa_err repair_msg_decode(const uint8_t *p, size_t len, repair_msg *m, wire_rd *r) {
    wire_rd local;
    r = rd_begin(r, &local, p, len, m, sizeof *m, RD_NO_VERSION);
    uint8_t kind = frd_head(r, REPAIR_MSG_REQUEST, REPAIR_MSG_SIGMA);
    rd_fixed(r, m->session.b, HANSA_HASH_BYTES, "session");
    m->target = frd_id(r, "target");
    m->round = rd_u32(r, "round");
    if (r->err == HANSA_OK) {
        m->kind = (repair_msg_kind)kind;
        if (m->kind == REPAIR_MSG_REQUEST) decode_request(r, m);
        else decode_piece(r, m);
    }
    rd_fixed(r, m->sig.b, HANSA_SIG_BYTES, "sig");
    return rd_close(r, m, sizeof *m);
}
