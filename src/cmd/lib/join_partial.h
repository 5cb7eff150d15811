/* join_partial.h — the file in which `hansa join` keeps what it has
 * downloaded so far (DIR/join.partial), so that a join killed or cut off in
 * the middle of a large snapshot resumes where it stopped instead of
 * fetching every record again.
 *
 * The file is a sequence of frames, each durable before the next chunk is
 * asked for:  len u32 (little-endian) | SHA-256(text) | text (len bytes).
 * The first frame is the snapshot's info, the others the chunk replies, all
 * as the JSON text the source sent (join.c checks them again on resume as
 * it checked them on arrival: the file is a disk record, not trusted). A
 * frame that is cut short or whose hash does not match ends the file: a
 * crash in the middle of an append loses that chunk and nothing before it. */
#ifndef HANSA_CMD_JOIN_PARTIAL_H
#define HANSA_CMD_JOIN_PARTIAL_H

#include <stdbool.h>
#include <stddef.h>

/* A text larger than this is not a frame (a chunk of 4 MiB of tiny records
 * as hex JSON stays well below it). */
#define JOIN_FRAME_BYTES_MAX (64u << 20)

typedef struct {
    int fd; /* -1 when closed */
    char path[4096];
} join_partial;

/* Opens (creating) home/join.partial for appending; false with why. */
bool jp_open(join_partial *p, const char *home, char *why, size_t why_len);
/* Appends one frame and syncs it; false with why (the file then ends at the
 * last whole frame once read back). */
bool jp_append(join_partial *p, const char *text, size_t len, char *why, size_t why_len);
void jp_close(join_partial *p);

/* Calls take(ctx, text, len) for each whole frame of home/join.partial in
 * order, while it returns true; the text is NUL-terminated and valid only
 * during the call. When every whole frame was taken, cuts the file after
 * the last one (a torn or damaged tail goes) so that appends continue from
 * there. Returns the number of frames taken, 0 when there is no file; -1
 * with why when it cannot be read or cut. */
int jp_read(const char *home, bool (*take)(void *ctx, const char *text, size_t len), void *ctx,
            char *why, size_t why_len);
/* Deletes home/join.partial if it exists. */
void jp_remove(const char *home);

#endif
