/* ban.c — see ban.h. A linear table: bans are rare events and a lookup of
 * a thousand 32-byte keys costs microseconds, far below a handshake. */
#include "net/ban.h"

#include <string.h>

#include "base/assert.h"

void net_bans_init(net_bans *b, uint32_t base_ms, uint32_t max_ms) {
    HANSA_ASSERT(base_ms > 0 && base_ms <= max_ms);
    memset(b, 0, sizeof *b);
    b->base_ms = base_ms;
    b->max_ms = max_ms;
}

static net_ban *find(const net_bans *b, net_ban_kind kind, const uint8_t *subject) {
    for (size_t i = 0; i < NET_BANS_MAX; i++) {
        const net_ban *e = &b->e[i];
        if (e->kind == kind && memcmp(e->subject, subject, NET_BAN_SUBJECT_BYTES) == 0)
            return (net_ban *)e;
    }
    return NULL;
}

/* A free entry, else the one whose ban ends (or ended) first. */
static net_ban *room(net_bans *b) {
    net_ban *best = &b->e[0];
    for (size_t i = 0; i < NET_BANS_MAX; i++) {
        if (b->e[i].kind == 0) return &b->e[i];
        if (b->e[i].until_ms < best->until_ms) best = &b->e[i];
    }
    return best;
}

uint64_t net_bans_add(net_bans *b, net_ban_kind kind, const uint8_t subject[NET_BAN_SUBJECT_BYTES],
                      uint64_t now_ms) {
    net_ban *e = find(b, kind, subject);
    if (e) {
        if (e->level < 30) e->level++;
    } else {
        e = room(b);
        *e = (net_ban){.kind = (uint8_t)kind, .level = 0};
        memcpy(e->subject, subject, NET_BAN_SUBJECT_BYTES);
    }
    uint64_t d = (uint64_t)b->base_ms << e->level;
    if (d > b->max_ms) d = b->max_ms;
    e->until_ms = now_ms + d;
    return d;
}

bool net_bans_has(const net_bans *b, net_ban_kind kind,
                  const uint8_t subject[NET_BAN_SUBJECT_BYTES], uint64_t now_ms) {
    const net_ban *e = find(b, kind, subject);
    return e && now_ms < e->until_ms;
}
