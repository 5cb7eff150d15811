/* roast_msg.c — encoding and decoding of the ROAST messages (see roast_msg.h).
 * The decoder accepts exactly what the encoder writes (fuzz/fuzz_roast_msg.c
 * checks encode(decode(x)) == x). */
#include "threshold/roast_msg.h"

#include <string.h>

#include "base/assert.h"
#include "wire/frost_rd.h"

_Static_assert(ROAST_COMMIT_BYTES == 108, "commit layout in docs/wire.md");
_Static_assert(ROAST_SHARE_BYTES == 144, "share layout in docs/wire.md");
_Static_assert(ROAST_REQUEST_BYTES(0, 1) == 118, "request layout in docs/wire.md");
_Static_assert(ROAST_MSG_MAX <= UINT32_MAX, "msg_len is a u32");

static void put_commitment_points(hbuf *b, const frost_commitment *c) {
    hbuf_append(b, c->hiding.b, FROST_POINT_BYTES);
    hbuf_append(b, c->binding.b, FROST_POINT_BYTES);
}

void roast_msg_encode(hbuf *b, const roast_msg *m) {
    hbuf_put_u8(b, WIRE_VERSION);
    hbuf_put_u8(b, (uint8_t)m->kind);
    hbuf_append(b, m->group_key.b, FROST_POINT_BYTES);
    hbuf_put_u64(b, m->round);
    switch (m->kind) {
    case ROAST_MSG_COMMIT:
        hbuf_put_u16(b, m->commitment.id);
        put_commitment_points(b, &m->commitment);
        return;
    case ROAST_MSG_REQUEST:
        HANSA_ASSERT(m->msg_len <= ROAST_MSG_MAX);
        HANSA_ASSERT(m->n >= 1 && m->n <= FROST_PARTICIPANTS_MAX);
        hbuf_put_u32(b, m->session);
        hbuf_put_u32(b, m->msg_len);
        if (m->msg_len) hbuf_append(b, m->msg, m->msg_len);
        hbuf_put_u16(b, m->n);
        for (uint16_t i = 0; i < m->n; i++) {
            HANSA_ASSERT(i == 0 || m->list[i].id > m->list[i - 1].id);
            hbuf_put_u16(b, m->list[i].id);
            put_commitment_points(b, &m->list[i]);
        }
        return;
    case ROAST_MSG_SHARE:
        hbuf_put_u32(b, m->session);
        hbuf_put_u16(b, m->commitment.id);
        hbuf_append(b, m->z.b, FROST_SCALAR_BYTES);
        put_commitment_points(b, &m->commitment);
        return;
    }
    HANSA_UNREACHABLE();
}

static void rd_commitment_points(wire_rd *r, frost_commitment *c) {
    frd_point(r, &c->hiding, "hiding");
    frd_point(r, &c->binding, "binding");
}

static void decode_request(wire_rd *r, roast_msg *m) {
    m->session = rd_u32(r, "session");
    m->msg_len = rd_len(r, ROAST_MSG_MAX, "msg_len");
    m->msg = rd_borrow(r, m->msg_len, "msg");
    m->n = frd_count(r, "n");
    for (uint16_t i = 0; i < m->n && r->err == HANSA_OK; i++) {
        m->list[i].id = frd_next_id(r, i ? m->list[i - 1].id : 0, "signer");
        rd_commitment_points(r, &m->list[i]);
    }
}

hansa_err roast_msg_decode(const uint8_t *p, size_t len, roast_msg *m, wire_rd *r) {
    wire_rd local;
    r = rd_begin(r, &local, p, len, m, sizeof *m, RD_NO_VERSION);
    uint8_t kind = frd_head(r, ROAST_MSG_COMMIT, ROAST_MSG_SHARE);
    frd_point(r, &m->group_key, "group_key");
    m->round = rd_u64(r, "round");
    if (r->err == HANSA_OK) {
        m->kind = (roast_msg_kind)kind;
        switch (m->kind) {
        case ROAST_MSG_COMMIT:
            m->commitment.id = frd_id(r, "signer");
            rd_commitment_points(r, &m->commitment);
            break;
        case ROAST_MSG_REQUEST: decode_request(r, m); break;
        case ROAST_MSG_SHARE:
            m->session = rd_u32(r, "session");
            m->commitment.id = frd_id(r, "signer");
            frd_scalar(r, &m->z, "z");
            rd_commitment_points(r, &m->commitment);
            break;
        }
    }
    return rd_close(r, m, sizeof *m);
}
