/* ban.h — whom a host refuses for a while: peer keys and remote addresses
 * that misbehaved (broke the protocol, were dropped by the upper layer, or
 * ran up a bad score).
 *
 * A ban lasts base_ms the first time and doubles with each repeat, up to
 * max_ms: an entry is kept after its ban ends so that a repeat is known as
 * one, until the table (NET_BANS_MAX entries, fixed at start-up) needs the
 * room; then the entry whose ban ended longest ago (or ends soonest) goes.
 * So memory is bounded whatever an attacker does, and the worst an attacker
 * with many addresses achieves is to make old offenders' bans shorter.
 * No I/O and no clock: callers pass the time. */
#ifndef HANSA_NET_BAN_H
#define HANSA_NET_BAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NET_BANS_MAX 1024
#define NET_BAN_SUBJECT_BYTES 32 /* a peer id, or an IPv6 (or v4-mapped) address padded with zeros */

typedef enum { NET_BAN_KEY = 1, NET_BAN_ADDR = 2 } net_ban_kind;

typedef struct {
    uint8_t kind; /* net_ban_kind; 0: free */
    uint8_t level; /* bans so far, minus one: the duration is base_ms << level */
    uint8_t subject[NET_BAN_SUBJECT_BYTES];
    uint64_t until_ms;
} net_ban;

typedef struct {
    uint32_t base_ms, max_ms;
    net_ban e[NET_BANS_MAX];
} net_bans;

void net_bans_init(net_bans *b, uint32_t base_ms, uint32_t max_ms);

/* Bans subject from now_ms; returns how long (ms). */
uint64_t net_bans_add(net_bans *b, net_ban_kind kind, const uint8_t subject[NET_BAN_SUBJECT_BYTES],
                      uint64_t now_ms);

/* True if subject is banned at now_ms. */
bool net_bans_has(const net_bans *b, net_ban_kind kind,
                  const uint8_t subject[NET_BAN_SUBJECT_BYTES], uint64_t now_ms);

#endif
