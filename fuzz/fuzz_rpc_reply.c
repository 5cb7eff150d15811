/* fuzz_rpc_reply.c — libFuzzer harness for what the load generator reads
 * from a node: the head of an HTTP reply (rpcc_head_parse, cmd/lib/
 * rpc_client.c) and the JSON-RPC body its request forms judge (load_form.c).
 *
 * Input: the first byte's low 7 bits pick how many transactions the judges
 * are asked about (1..LOAD_FORM_TXS_MAX). Top bit clear: the rest is the
 * reply, given whole to the head parser and to the judges. Top bit set: the
 * rest is a body, wrapped in a fixed valid head as a node sends it; the head
 * must parse and give back exactly that body, which the judges then read as
 * the client does (from head_len, content_len bytes). Without that mode the
 * judges saw a head-ful reply head and all, so a realistic body reached them
 * only as a bare-body seed, never behind the head it comes with (seeds
 * wrap_*). The oracles: an accepted head ends with its blank line inside
 * the input and the head bound, its Content-Length within the reply bound;
 * "need more" only below the head bound; a refusal says why. A judge that
 * takes a reply gives every transaction a verdict of a known kind, a refusal
 * with a reason; one that does not says why. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "cmd/lib/load_form.h"
#include "cmd/lib/rpc_client.h"

static void check_head(const char *p, size_t n) {
    rpcc_head h;
    char why[160] = "";
    int r = rpcc_head_parse(p, n, &h, why, sizeof why);
    HANSA_ASSERT(r >= -1 && r <= 1);
    if (r == 1) {
        HANSA_ASSERT(h.head_len >= 4 && h.head_len <= n && h.head_len <= RPCC_HEAD_MAX);
        HANSA_ASSERT(memcmp(p + h.head_len - 4, "\r\n\r\n", 4) == 0);
        HANSA_ASSERT(h.status >= 0 && h.status <= 999);
        HANSA_ASSERT(!h.has_length || h.content_len <= RPCC_REPLY_MAX);
    } else if (r == 0) {
        HANSA_ASSERT(n < RPCC_HEAD_MAX);
    } else {
        HANSA_ASSERT(why[0] != 0);
    }
}

static void check_judge(const load_form *f, const uint8_t *reply, size_t len, int n) {
    load_verdict v[LOAD_FORM_TXS_MAX];
    memset(v, 0xa5, sizeof v);
    char why[160] = "";
    if (!f->judge(reply, len, n, v, why, sizeof why)) {
        HANSA_ASSERT(why[0] != 0);
        return;
    }
    for (int i = 0; i < n; i++) {
        HANSA_ASSERT(v[i].kind == LOAD_VERDICT_ADMITTED || v[i].kind == LOAD_VERDICT_DUPLICATE ||
                     v[i].kind == LOAD_VERDICT_REFUSED);
        if (v[i].kind == LOAD_VERDICT_REFUSED) {
            size_t k = strnlen(v[i].text, sizeof v[i].text);
            HANSA_ASSERT(k > 0 && k < sizeof v[i].text);
        }
    }
}

static void check_judges(const uint8_t *reply, size_t len, int n) {
    check_judge(&load_form_submit_txs, reply, len, n);
    check_judge(&load_form_submit_tx_batch, reply, len, n);
    check_judge(&load_form_post_txs, reply, len, n);
}

#define WRAP_MODE 0x80u
#define WRAP_HEAD_MAX 128

/* body behind a node's head: parsed as rpc_client parses it, then judged. */
static void check_wrapped(const uint8_t *body, size_t len, int n) {
    if (len > RPCC_REPLY_MAX - WRAP_HEAD_MAX) return; /* the client refuses it whole: not this mode's case */
    char head[WRAP_HEAD_MAX];
    int k = snprintf(head, sizeof head,
                     "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
                     len);
    HANSA_ASSERT(k > 0 && (size_t)k < sizeof head);
    uint8_t *reply = malloc((size_t)k + len + 1); /* + 1: malloc(0) may be NULL */
    HANSA_ASSERT(reply != NULL);
    memcpy(reply, head, (size_t)k);
    if (len) memcpy(reply + k, body, len);
    rpcc_head h;
    char why[160] = "";
    /* Below RPCC_REPLY_MAX (checked above), a valid head with any body
     * must be taken. */
    HANSA_ASSERT(rpcc_head_parse((const char *)reply, (size_t)k + len, &h, why, sizeof why) == 1);
    HANSA_ASSERT(h.head_len == (size_t)k && h.status == 200 && h.has_length && h.content_len == len);
    check_judges(reply + h.head_len, h.content_len, n);
    free(reply);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    int n = 1 + (data[0] & ~WRAP_MODE) % LOAD_FORM_TXS_MAX;
    if (data[0] & WRAP_MODE) {
        check_wrapped(data + 1, size - 1, n);
        return 0;
    }
    check_head((const char *)data + 1, size - 1);
    check_judges(data + 1, size - 1, n);
    return 0;
}
