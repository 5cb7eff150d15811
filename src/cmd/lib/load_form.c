/* load_form.c — see load_form.h. */
#include "cmd/lib/load_form.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "base/assert.h"
#include "base/err.h"
#include "base/hex.h"

/* ---- encoders ---- */

/* tx as a JSON string of its hex, appended to b. */
static void append_hex_string(hbuf *b, const uint8_t *tx, size_t len) {
    hbuf_append(b, "\"", 1);
    char *dst = (char *)hbuf_extend(b, 2 * len + 1);
    hex_encode(tx, len, dst);
    b->len--; /* hex_encode's NUL */
    hbuf_append(b, "\"", 1);
}

static void encode_submit_txs(hbuf *b, const uint8_t *const *tx, const size_t *tx_len, int n) {
    HANSA_ASSERT(n >= 1);
    HANSA_ASSERT(n <= LOAD_FORM_TXS_MAX);
    static const char head[] = "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"submit_txs\",\"params\":{\"txs\":[";
    hbuf_reset(b);
    hbuf_append(b, head, sizeof head - 1);
    for (int i = 0; i < n; i++) {
        if (i) hbuf_append(b, ",", 1);
        append_hex_string(b, tx[i], tx_len[i]);
    }
    hbuf_append(b, "]}}", 3);
}

static void encode_submit_tx_batch(hbuf *b, const uint8_t *const *tx, const size_t *tx_len, int n) {
    HANSA_ASSERT(n >= 1);
    HANSA_ASSERT(n <= LOAD_FORM_TXS_MAX);
    hbuf_reset(b);
    hbuf_append(b, "[", 1);
    for (int i = 0; i < n; i++) {
        char head[96];
        int k = snprintf(head, sizeof head, "%s{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"submit_tx\","
                                            "\"params\":{\"tx\":", i ? "," : "", i);
        hbuf_append(b, head, (size_t)k);
        append_hex_string(b, tx[i], tx_len[i]);
        hbuf_append(b, "}}", 2);
    }
    hbuf_append(b, "]", 1);
}

/* (u32 little-endian length | tx)*: POST /txs, the TXS peer message's framing. */
static void encode_post_txs(hbuf *b, const uint8_t *const *tx, const size_t *tx_len, int n) {
    HANSA_ASSERT(n >= 1);
    HANSA_ASSERT(n <= LOAD_FORM_TXS_MAX);
    hbuf_reset(b);
    for (int i = 0; i < n; i++) {
        HANSA_ASSERT(tx_len[i] <= UINT32_MAX);
        hbuf_put_u32(b, (uint32_t)tx_len[i]);
        hbuf_append(b, tx[i], tx_len[i]);
    }
}

/* ---- judges ---- */

/* A verdict from the node's error name and sentence (either may be NULL). */
static void verdict_of(load_verdict *v, const char *name, const char *why) {
    if (name && strcmp(name, hansa_errname(HANSA_ERR_DUPLICATE)) == 0) {
        v->kind = LOAD_VERDICT_DUPLICATE;
        v->text[0] = 0;
        return;
    }
    v->kind = LOAD_VERDICT_REFUSED;
    /* %.120s: the node's sentence is bounded by the reason text. */
    snprintf(v->text, sizeof v->text, "%.32s: %.120s", name ? name : "error", why ? why : "no reply");
    /* Nonces differ from one refusal to the next: keep the kind only. */
    if (name && strcmp(name, hansa_errname(HANSA_ERR_NONCE)) == 0)
        snprintf(v->text, sizeof v->text, "%s: nonce is not the account's next", name);
}

/* A JSON-RPC error object: data.error names it, data.why or message says why. */
static void verdict_of_error(load_verdict *v, json_t *e) {
    json_t *data = json_object_get(e, "data");
    const char *why = json_string_value(json_object_get(data, "why"));
    verdict_of(v, json_string_value(json_object_get(data, "error")),
               why ? why : json_string_value(json_object_get(e, "message")));
}

static bool no_answer(char *why, size_t why_len, const char *form, const char *what, json_t *root) {
    snprintf(why, why_len, "%s reply %s", form, what);
    json_decref(root);
    return false;
}

/* {result: {results: [{hash} | {error, why}, ...]}} or {error} for the whole call. */
static bool judge_submit_txs(const uint8_t *reply, size_t len, int n, load_verdict *v, char *why,
                             size_t why_len) {
    json_error_t je;
    json_t *root = json_loadb((const char *)reply, len, 0, &je);
    if (!json_is_object(root)) return no_answer(why, why_len, "submit_txs", "is not a JSON object", root);
    json_t *error = json_object_get(root, "error");
    json_t *items = json_object_get(json_object_get(root, "result"), "results");
    if (!json_is_object(error) && !json_is_array(items))
        return no_answer(why, why_len, "submit_txs", "has neither results nor an error", root);
    for (int i = 0; i < n; i++) {
        json_t *item = json_is_object(error) ? NULL : json_array_get(items, (size_t)i);
        if (json_is_object(error)) verdict_of_error(&v[i], error);
        else if (!json_is_object(item)) verdict_of(&v[i], NULL, "no result for it in the reply");
        else if (json_object_get(item, "error"))
            verdict_of(&v[i], json_string_value(json_object_get(item, "error")),
                       json_string_value(json_object_get(item, "why")));
        else v[i].kind = LOAD_VERDICT_ADMITTED;
    }
    json_decref(root);
    return true;
}

/* The member of a batch reply with this id, or NULL. */
static json_t *member_of(json_t *reply, int id) {
    size_t i;
    json_t *m;
    json_array_foreach(reply, i, m) {
        json_t *mid = json_object_get(m, "id");
        if (json_is_integer(mid) && json_integer_value(mid) == id) return m;
    }
    return NULL;
}

/* [{id, result} | {id, error}, ...], or one {error} for a batch refused whole. */
static bool judge_submit_tx_batch(const uint8_t *reply, size_t len, int n, load_verdict *v, char *why,
                                  size_t why_len) {
    json_error_t je;
    json_t *root = json_loadb((const char *)reply, len, 0, &je);
    json_t *whole = json_is_object(root) ? json_object_get(root, "error") : NULL;
    if (!json_is_array(root) && !json_is_object(whole))
        return no_answer(why, why_len, "submit_tx batch", "is neither an array nor an error", root);
    for (int i = 0; i < n; i++) {
        json_t *m = whole ? NULL : member_of(root, i);
        json_t *e = whole ? whole : json_object_get(m, "error");
        if (e) verdict_of_error(&v[i], e);
        else if (!json_object_get(m, "result")) verdict_of(&v[i], NULL, "no reply to it in the batch");
        else v[i].kind = LOAD_VERDICT_ADMITTED;
    }
    json_decref(root);
    return true;
}

/* {result: {txs, admitted, refused: [{index, error, why}, ...]}} or {error}
 * for the whole body (docs/rpc.md, POST /txs): a transaction not refused
 * was admitted. */
static bool judge_post_txs(const uint8_t *reply, size_t len, int n, load_verdict *v, char *why, size_t why_len) {
    json_error_t je;
    json_t *root = json_loadb((const char *)reply, len, 0, &je);
    if (!json_is_object(root)) return no_answer(why, why_len, "POST /txs", "is not a JSON object", root);
    json_t *error = json_object_get(root, "error"), *result = json_object_get(root, "result");
    json_t *refused = json_object_get(result, "refused");
    if (json_is_object(error)) {
        for (int i = 0; i < n; i++) verdict_of_error(&v[i], error);
        json_decref(root);
        return true;
    }
    if (json_integer_value(json_object_get(result, "txs")) != n || !json_is_array(refused))
        return no_answer(why, why_len, "POST /txs", "does not count the transactions sent", root);
    HANSA_ASSERT(n >= 1 && n <= LOAD_FORM_TXS_MAX);
    for (int i = 0; i < n; i++) v[i].kind = LOAD_VERDICT_ADMITTED;
    /* A refusal the judge cannot place, or one placed twice, would read some
     * other transaction as admitted: then the reply is no answer at all. */
    bool seen[LOAD_FORM_TXS_MAX] = {false};
    size_t k;
    json_t *item;
    json_array_foreach(refused, k, item) {
        json_t *index = json_object_get(item, "index");
        json_int_t i = json_is_integer(index) ? json_integer_value(index) : -1;
        if (i < 0 || i >= n || seen[i])
            return no_answer(why, why_len, "POST /txs", "refuses an index not sent, or one twice", root);
        seen[i] = true;
        verdict_of(&v[i], json_string_value(json_object_get(item, "error")),
                   json_string_value(json_object_get(item, "why")));
    }
    json_t *admitted = json_object_get(result, "admitted");
    if (!json_is_integer(admitted) || json_integer_value(admitted) != n - (json_int_t)json_array_size(refused))
        return no_answer(why, why_len, "POST /txs", "admits a count that is not the rest", root);
    json_decref(root);
    return true;
}

/* Counts one rejection under its text; past LOAD_REASONS_MAX - 1 distinct
 * texts the last slot lumps the rest. */
static void count_reason(load_result *r, const char *text) {
    snprintf(r->last_reason, sizeof r->last_reason, "%s", text);
    for (size_t i = 0; i < r->n_reasons; i++)
        if (strcmp(r->reasons[i].text, text) == 0) {
            r->reasons[i].count++;
            return;
        }
    size_t i = r->n_reasons < LOAD_REASONS_MAX ? r->n_reasons++ : LOAD_REASONS_MAX - 1;
    if (r->n_reasons == LOAD_REASONS_MAX && i == LOAD_REASONS_MAX - 1) text = "(other reasons)";
    snprintf(r->reasons[i].text, sizeof r->reasons[i].text, "%s", text);
    r->reasons[i].count++;
}

void load_verdicts_tally(load_result *r, const load_verdict *v, int n, bool *held, bool *rejected) {
    for (int i = 0; i < n; i++) {
        switch (v[i].kind) {
        case LOAD_VERDICT_ADMITTED:
            held[i] = true;
            break;
        case LOAD_VERDICT_DUPLICATE: /* a resubmission of what it holds: as good as admitted */
            r->duplicates++;
            held[i] = true;
            break;
        case LOAD_VERDICT_REFUSED:
            count_reason(r, v[i].text);
            r->rejected++;
            rejected[i] = true;
            break;
        }
    }
}

const load_form load_form_post_txs = {"POST /txs", "/txs", "application/octet-stream", encode_post_txs,
                                      judge_post_txs};
const load_form load_form_submit_txs = {"submit_txs", "/", "application/json", encode_submit_txs,
                                        judge_submit_txs};
const load_form load_form_submit_tx_batch = {"submit_tx batch", "/", "application/json",
                                             encode_submit_tx_batch, judge_submit_tx_batch};
