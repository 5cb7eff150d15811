/* frame.h — hansa's link framing, without I/O: the length prefix that
 * delimits Noise messages on a TCP stream, and the frame header that splits
 * application messages larger than one Noise message (docs/protocol.md,
 * "Framing", is the normative description; the tables are repeated here).
 *
 * Stream layer (handshake and transport alike), as in Noise spec section 13:
 *
 *   offset  size  meaning
 *   0       2     len: length of the Noise message, unsigned big-endian
 *   2       len   the Noise message (handshake message or transport ciphertext)
 *
 * Frame layer: the plaintext of every transport message is one frame:
 *
 *   offset  size  meaning
 *   0       1     type: the application message type (opaque to net/)
 *   1       1     flags: bit 0 FIRST, bit 1 LAST, other bits must be 0
 *   2       4     total: length of the whole application message, u32 little-endian
 *   6       n     chunk: the next n bytes of the message (n = plaintext length - 6)
 *
 * A message is sent as consecutive frames, never interleaved with another
 * message's frames on the same link: the first has FIRST, the last has LAST
 * (a one-frame message has both). type and total are repeated in every frame
 * and must not change within a message. The chunks add up to exactly total.
 * Only the last frame may carry an empty chunk, and only when total is 0.
 * The receiver rejects total above its configured maximum before it stores
 * anything, and grows its buffer only as chunks arrive, so memory follows
 * bytes actually received; a buffer grown past NET_REASM_KEEP_BYTES is
 * given back when the next message starts. */
#ifndef HANSA_NET_FRAME_H
#define HANSA_NET_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"
#include "crypto/noise.h"

#define NET_LEN_PREFIX_BYTES 2
#define NET_FRAME_HEADER_BYTES 6
/* The most message bytes one frame carries: 65535 - 16 (tag) - 6 = 65513. */
#define NET_FRAME_CHUNK_MAX (NOISE_PAYLOAD_MAX - NET_FRAME_HEADER_BYTES)
#define NET_FRAME_FIRST 0x01u
#define NET_FRAME_LAST 0x02u
/* Reassembly keeps a buffer this large between messages; a bigger one,
 * grown for a big message, is freed when the next message starts. */
#define NET_REASM_KEEP_BYTES (256u * 1024)
/* A hard ceiling for the configurable maximum: total is a u32. */
#define NET_MESSAGE_MAX_CEILING 0xffffffffu

typedef struct {
    uint8_t type;
    uint8_t flags;
    uint32_t total;
} net_frame_header;

/* Writes the 6-byte header. */
void net_frame_header_encode(const net_frame_header *h, uint8_t out[NET_FRAME_HEADER_BYTES]);

/* Reads the header from p[len]. Returns HANSA_ERR_TRUNCATED if len < 6 and
 * HANSA_ERR_INVALID for unknown flag bits. */
hansa_err net_frame_header_decode(const uint8_t *p, size_t len, net_frame_header *h);

/* Number of frames (and so Noise messages) that carry a message of len bytes. */
size_t net_frame_count(size_t len);

/* Bytes on the wire for a message of len bytes: every frame with its
 * header, tag and length prefix. */
size_t net_frame_wire_bytes(size_t len);

/* Splits a buffered stream: if buf[len] starts with a whole length-prefixed
 * Noise message, points *msg and *msg_len at it and returns the bytes it takes
 * (prefix included); returns 0 if more bytes are needed. Never fails: any
 * 16-bit length is a legal Noise message length. */
size_t net_stream_next(const uint8_t *buf, size_t len, const uint8_t **msg, size_t *msg_len);

/* Reassembly of one link's incoming messages. */
typedef struct {
    size_t max_bytes; /* largest total accepted */
    bool in_msg;      /* a FIRST frame was seen and its LAST not yet */
    uint8_t type;
    uint32_t total;
    hbuf buf;
} net_reasm;

void net_reasm_init(net_reasm *r, size_t max_bytes);

/* Feeds the plaintext of one transport message. On HANSA_OK, *done says
 * whether a message is complete; it is then in r->buf.data[0..r->buf.len)
 * with type r->type, borrowed until the next feed. Errors (the link must
 * then be dropped): HANSA_ERR_TRUNCATED (no header), HANSA_ERR_INVALID (bad
 * flags), HANSA_ERR_TOO_LONG (total above max_bytes), HANSA_ERR_PROTOCOL
 * (frame out of sequence, type or total changed mid-message, chunks that
 * overrun total or end short of it, an empty chunk in a non-empty message). */
hansa_err net_reasm_feed(net_reasm *r, const uint8_t *plain, size_t len, bool *done);

void net_reasm_free(net_reasm *r);

#endif
