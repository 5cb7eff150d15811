/* msg.c — codecs of the node-to-node messages (see msg.h), built on the
 * wire/ cursor so they share its bounds and failure rules. */
#include "node/msg.h"

#include <string.h>

static void rd_version(wire_rd *r) {
    uint8_t v = rd_u8(r, "version");
    if (r->err == HANSA_OK && v != MSG_VERSION) rd_fail(r, HANSA_ERR_VERSION, "version");
}

static hansa_err finish(wire_rd *r, wire_rd *out) {
    rd_end(r);
    if (out) *out = *r;
    return r->err;
}

void msg_status_encode(hbuf *b, const msg_status *s) {
    hbuf_put_u8(b, MSG_VERSION);
    hbuf_put_u32(b, s->chain_id);
    hbuf_put_u64(b, s->height);
    hbuf_append(b, s->block.b, HANSA_HASH_BYTES);
    if (s->lowest) hbuf_put_u64(b, s->lowest);
}

hansa_err msg_status_decode(const uint8_t *p, size_t len, msg_status *s, wire_rd *out) {
    wire_rd r;
    rd_init(&r, p, len);
    rd_version(&r);
    s->chain_id = rd_u32(&r, "chain_id");
    s->height = rd_u64(&r, "height");
    rd_fixed(&r, s->block.b, HANSA_HASH_BYTES, "block");
    /* Optional, so a STATUS from before pruning still decodes; when present
     * it is 1..height (0 written out would be a second form of "absent"). */
    s->lowest = 0;
    if (r.err == HANSA_OK && r.off < r.len) {
        s->lowest = rd_u64(&r, "lowest");
        if (r.err == HANSA_OK && s->lowest == 0) rd_fail(&r, HANSA_ERR_NONCANONICAL, "lowest");
        else if (r.err == HANSA_OK && s->lowest > s->height) rd_fail(&r, HANSA_ERR_INVALID, "lowest");
    }
    return finish(&r, out);
}

void msg_proposal_encode(hbuf *b, const msg_proposal *m) {
    wire_put_bytes(b, m->proposal, m->proposal_len);
    wire_put_bytes(b, m->block, m->block_len);
}

hansa_err msg_proposal_decode(const uint8_t *p, size_t len, msg_proposal *m, wire_rd *out) {
    wire_rd r;
    rd_init(&r, p, len);
    m->proposal_len = rd_len(&r, WIRE_PROPOSAL_BYTES, "proposal");
    m->proposal = rd_borrow(&r, m->proposal_len, "proposal");
    m->block_len = rd_len(&r, WIRE_BLOCK_BYTES_MAX, "block");
    m->block = rd_borrow(&r, m->block_len, "block");
    return finish(&r, out);
}

void msg_block_req_encode(hbuf *b, uint64_t height) {
    hbuf_put_u8(b, MSG_VERSION);
    hbuf_put_u64(b, height);
}

hansa_err msg_block_req_decode(const uint8_t *p, size_t len, uint64_t *height, wire_rd *out) {
    wire_rd r;
    rd_init(&r, p, len);
    rd_version(&r);
    *height = rd_u64(&r, "height");
    return finish(&r, out);
}

void msg_dkg_share_req_encode(hbuf *b, const msg_dkg_share_req *m) {
    hbuf_put_u8(b, MSG_VERSION);
    hbuf_put_u64(b, m->epoch);
    hbuf_put_u16(b, m->recipient);
}

hansa_err msg_dkg_share_req_decode(const uint8_t *p, size_t len, msg_dkg_share_req *m, wire_rd *out) {
    wire_rd r;
    rd_init(&r, p, len);
    rd_version(&r);
    m->epoch = rd_u64(&r, "epoch");
    m->recipient = rd_u16(&r, "recipient");
    return finish(&r, out);
}

void msg_block_encode(hbuf *b, const msg_block *m) {
    hbuf_put_u8(b, MSG_VERSION);
    hbuf_put_u64(b, m->height);
    wire_put_bytes(b, m->block, m->block_len);
    wire_put_bytes(b, m->commit, m->commit_len);
}

hansa_err msg_block_decode(const uint8_t *p, size_t len, msg_block *m, wire_rd *out) {
    wire_rd r;
    rd_init(&r, p, len);
    rd_version(&r);
    m->height = rd_u64(&r, "height");
    m->block_len = rd_len(&r, WIRE_BLOCK_BYTES_MAX, "block");
    m->block = rd_borrow(&r, m->block_len, "block");
    m->commit_len = rd_len(&r, WIRE_COMMIT_BYTES(WIRE_VALIDATORS_MAX), "commit");
    m->commit = rd_borrow(&r, m->commit_len, "commit");
    return finish(&r, out);
}

void msg_txs_encode(hbuf *b, const msg_txs *m) {
    for (uint32_t i = 0; i < m->n; i++) {
        hbuf_put_u32(b, m->len[i]);
        hbuf_append(b, m->tx[i], m->len[i]);
    }
}

hansa_err msg_txs_decode(const uint8_t *p, size_t len, msg_txs *m, wire_rd *out) {
    wire_rd r;
    rd_init(&r, p, len);
    m->n = 0;
    if (len > MSG_TXS_BYTES_MAX) rd_fail(&r, HANSA_ERR_TOO_LONG, "txs");
    while (r.err == HANSA_OK && r.off < r.len) {
        if (m->n == MSG_TXS_MAX) {
            rd_fail(&r, HANSA_ERR_TOO_LONG, "txs");
            break;
        }
        uint32_t n = rd_len(&r, WIRE_TX_BYTES_MAX, "tx");
        if (r.err == HANSA_OK && n == 0) rd_fail(&r, HANSA_ERR_INVALID, "tx");
        m->len[m->n] = n;
        m->tx[m->n] = rd_borrow(&r, n, "tx");
        if (r.err == HANSA_OK) m->n++;
    }
    if (r.err == HANSA_OK && m->n == 0) rd_fail(&r, HANSA_ERR_INVALID, "txs");
    return finish(&r, out);
}
