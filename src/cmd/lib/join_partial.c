/* join_partial.c — see join_partial.h. */
#include "cmd/lib/join_partial.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/assert.h"
#include "crypto/sha256.h"

#define FRAME_HEAD_BYTES (4 + HANSA_HASH_BYTES)

static void path_of(const char *home, char *out, size_t n) {
    snprintf(out, n, "%s/join.partial", home);
}

bool jp_open(join_partial *p, const char *home, char *why, size_t why_len) {
    path_of(home, p->path, sizeof p->path);
    p->fd = open(p->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (p->fd < 0) snprintf(why, why_len, "cannot open %s: %s", p->path, strerror(errno));
    return p->fd >= 0;
}

static bool write_all(int fd, const uint8_t *b, size_t len) {
    while (len > 0) {
        ssize_t w = write(fd, b, len);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return false;
        b += w;
        len -= (size_t)w;
    }
    return true;
}

bool jp_append(join_partial *p, const char *text, size_t len, char *why, size_t why_len) {
    HANSA_ASSERT(p->fd >= 0);
    if (len > JOIN_FRAME_BYTES_MAX) {
        snprintf(why, why_len, "a chunk reply of %zu bytes is too large to keep", len);
        return false;
    }
    uint8_t head[FRAME_HEAD_BYTES];
    for (int i = 0; i < 4; i++) head[i] = (uint8_t)(len >> (8 * i));
    hansa_hash h;
    sha256(text, len, &h);
    memcpy(head + 4, h.b, HANSA_HASH_BYTES);
    if (!write_all(p->fd, head, sizeof head) || !write_all(p->fd, (const uint8_t *)text, len) ||
        fdatasync(p->fd) != 0) {
        snprintf(why, why_len, "writing %s: %s", p->path, strerror(errno));
        return false;
    }
    return true;
}

void jp_close(join_partial *p) {
    if (p->fd >= 0) close(p->fd);
    p->fd = -1;
}

/* Reads the next whole frame into *text (malloc'd, NUL-terminated); false at
 * the end of the file or at the first frame that is cut short or fails its
 * hash. */
static bool next_frame(FILE *f, char **text, size_t *len) {
    uint8_t head[FRAME_HEAD_BYTES];
    if (fread(head, 1, sizeof head, f) != sizeof head) return false;
    uint32_t n = 0;
    for (int i = 0; i < 4; i++) n |= (uint32_t)head[i] << (8 * i);
    if (n > JOIN_FRAME_BYTES_MAX) return false;
    char *t = malloc((size_t)n + 1);
    HANSA_ASSERT(t != NULL);
    hansa_hash h;
    if (fread(t, 1, n, f) != n || (sha256(t, n, &h), memcmp(h.b, head + 4, HANSA_HASH_BYTES) != 0)) {
        free(t);
        return false;
    }
    t[n] = '\0';
    *text = t;
    *len = n;
    return true;
}

int jp_read(const char *home, bool (*take)(void *ctx, const char *text, size_t len), void *ctx,
            char *why, size_t why_len) {
    char path[4096];
    path_of(home, path, sizeof path);
    FILE *f = fopen(path, "rb");
    if (!f && errno == ENOENT) return 0;
    if (!f) {
        snprintf(why, why_len, "cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    int frames = 0;
    long good_end = 0;
    bool stopped = false;
    char *text;
    size_t len;
    while (!stopped && next_frame(f, &text, &len)) {
        stopped = !take(ctx, text, len);
        free(text);
        if (!stopped) frames++;
        good_end = ftell(f);
    }
    fclose(f);
    /* Cut a torn or damaged tail off, unless the caller stopped early. */
    if (!stopped && truncate(path, good_end) != 0) {
        snprintf(why, why_len, "cannot truncate %s: %s", path, strerror(errno));
        return -1;
    }
    return frames;
}

void jp_remove(const char *home) {
    char path[4096];
    path_of(home, path, sizeof path);
    unlink(path);
}
