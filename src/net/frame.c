/* frame.c — length prefixes and message frames; see frame.h for the format. */
#include "net/frame.h"

#include <string.h>

#include "base/assert.h"

_Static_assert(NET_FRAME_CHUNK_MAX == 65513, "chunk size as documented");

void net_frame_header_encode(const net_frame_header *h, uint8_t out[NET_FRAME_HEADER_BYTES]) {
    HANSA_ASSERT((h->flags & ~(NET_FRAME_FIRST | NET_FRAME_LAST)) == 0);
    out[0] = h->type;
    out[1] = h->flags;
    le32_store(out + 2, h->total);
}

hansa_err net_frame_header_decode(const uint8_t *p, size_t len, net_frame_header *h) {
    if (len < NET_FRAME_HEADER_BYTES) return HANSA_ERR_TRUNCATED;
    h->type = p[0];
    h->flags = p[1];
    h->total = le32_load(p + 2);
    if ((h->flags & ~(NET_FRAME_FIRST | NET_FRAME_LAST)) != 0) return HANSA_ERR_INVALID;
    return HANSA_OK;
}

size_t net_frame_count(size_t len) {
    if (len == 0) return 1;
    return (len + NET_FRAME_CHUNK_MAX - 1) / NET_FRAME_CHUNK_MAX;
}

size_t net_frame_wire_bytes(size_t len) {
    size_t per_frame = NET_LEN_PREFIX_BYTES + NOISE_MAC_BYTES + NET_FRAME_HEADER_BYTES;
    return len + net_frame_count(len) * per_frame;
}

size_t net_stream_next(const uint8_t *buf, size_t len, const uint8_t **msg, size_t *msg_len) {
    if (len < NET_LEN_PREFIX_BYTES) return 0;
    size_t n = ((size_t)buf[0] << 8) | buf[1]; /* big-endian, Noise's convention */
    if (len - NET_LEN_PREFIX_BYTES < n) return 0;
    *msg = buf + NET_LEN_PREFIX_BYTES;
    *msg_len = n;
    return NET_LEN_PREFIX_BYTES + n;
}

void net_reasm_init(net_reasm *r, size_t max_bytes) {
    HANSA_ASSERT(max_bytes <= NET_MESSAGE_MAX_CEILING);
    memset(r, 0, sizeof *r);
    r->max_bytes = max_bytes;
}

/* Checks a frame against the message in progress (or starts one). */
static hansa_err reasm_accept_header(net_reasm *r, const net_frame_header *h, size_t chunk) {
    bool first = (h->flags & NET_FRAME_FIRST) != 0;
    if (first == r->in_msg) return HANSA_ERR_PROTOCOL; /* FIRST inside, or a stray continuation */
    if (first) {
        if (h->total > r->max_bytes) return HANSA_ERR_TOO_LONG;
        if (r->buf.cap > NET_REASM_KEEP_BYTES) hbuf_free(&r->buf);
        hbuf_reset(&r->buf);
        r->type = h->type;
        r->total = h->total;
        r->in_msg = true;
    } else if (h->type != r->type || h->total != r->total) {
        return HANSA_ERR_PROTOCOL;
    }
    if (chunk > r->total - r->buf.len) return HANSA_ERR_PROTOCOL;
    if (chunk == 0 && r->total != 0) return HANSA_ERR_PROTOCOL;
    return HANSA_OK;
}

hansa_err net_reasm_feed(net_reasm *r, const uint8_t *plain, size_t len, bool *done) {
    *done = false;
    net_frame_header h;
    hansa_err err = net_frame_header_decode(plain, len, &h);
    if (err != HANSA_OK) return err;
    size_t chunk = len - NET_FRAME_HEADER_BYTES;
    err = reasm_accept_header(r, &h, chunk);
    if (err != HANSA_OK) return err;
    /* Bounded: buf.len + chunk <= total <= max_bytes was checked above. */
    hbuf_append(&r->buf, plain + NET_FRAME_HEADER_BYTES, chunk);
    bool last = (h.flags & NET_FRAME_LAST) != 0;
    if (last != (r->buf.len == r->total)) return HANSA_ERR_PROTOCOL;
    if (last) {
        r->in_msg = false;
        *done = true;
    }
    return HANSA_OK;
}

void net_reasm_free(net_reasm *r) { hbuf_free(&r->buf); }
