/* fuzz_rpc_reply.c — libFuzzer harness for what the load generator reads
 * from a node: the head of an HTTP reply (rpcc_head_parse, cmd/lib/
 * rpc_client.c) and the JSON-RPC body its request forms judge (load_form.c).
 *
 * Input: the first byte picks how many transactions the judges are asked
 * about (1..LOAD_FORM_TXS_MAX); the rest is the reply. The oracles: an
 * accepted head ends with its blank line inside the input and the head
 * bound, its Content-Length within the reply bound; "need more" only below
 * the head bound; a refusal says why. A judge that takes a reply gives every
 * transaction a verdict of a known kind, a refusal with a reason; one that
 * does not says why. */
#include <stddef.h>
#include <stdint.h>
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    int n = 1 + data[0] % LOAD_FORM_TXS_MAX;
    check_head((const char *)data + 1, size - 1);
    check_judge(&load_form_submit_txs, data + 1, size - 1, n);
    check_judge(&load_form_submit_tx_batch, data + 1, size - 1, n);
    check_judge(&load_form_post_txs, data + 1, size - 1, n);
    return 0;
}
