/* test_load_form.c — the load generator's request forms (cmd/lib/load_form.c):
 * each encoder's body parses as the request docs/rpc.md describes, and each
 * judge reads a node's reply into one verdict per transaction. A
 * transaction the node already holds must come out a duplicate (the load
 * counts it held): that is what a batch resent after a kept connection
 * closed under it meets (rpc_client.h). A reply that is no answer must be
 * told from a refusal (the load backs off the node instead). */
#include <jansson.h>
#include <string.h>

#include "check.h"
#include "cmd/lib/load_form.h"
#include "node/msg.h"

/* ---- request forms ---- */

static bool judge(const load_form *f, const char *reply, int n, load_verdict *v) {
    char why[128] = "";
    bool ok = f->judge((const uint8_t *)reply, strlen(reply), n, v, why, sizeof why);
    if (!ok) CHECK(why[0] != 0);
    return ok;
}

static void test_judge_submit_txs(void) {
    const load_form *f = &load_form_submit_txs;
    load_verdict v[4];
    /* The node's answer to a batch resent after it admitted the first copy. */
    CHECK(judge(f, "{\"jsonrpc\":\"2.0\",\"id\":0,\"result\":{\"results\":[{\"hash\":\"ab\"},"
                   "{\"error\":\"HANSA_ERR_DUPLICATE\",\"why\":\"already in the mempool\"},"
                   "{\"error\":\"HANSA_ERR_NONCE\",\"why\":\"nonce 7 is not 5\"}]}}", 4, v));
    CHECK(v[0].kind == LOAD_VERDICT_ADMITTED);
    CHECK(v[1].kind == LOAD_VERDICT_DUPLICATE);
    CHECK(v[2].kind == LOAD_VERDICT_REFUSED);
    CHECK(strcmp(v[2].text, "HANSA_ERR_NONCE: nonce is not the account's next") == 0);
    CHECK(v[3].kind == LOAD_VERDICT_REFUSED && strstr(v[3].text, "no result") != NULL);
    /* An error for the whole call refuses every transaction with it. */
    CHECK(judge(f, "{\"jsonrpc\":\"2.0\",\"id\":0,\"error\":{\"code\":-32602,\"message\":\"too many\"}}", 2, v));
    CHECK(v[0].kind == LOAD_VERDICT_REFUSED && strcmp(v[0].text, "error: too many") == 0);
    CHECK(v[1].kind == LOAD_VERDICT_REFUSED);
    /* No answer at all. */
    CHECK(!judge(f, "<html>413</html>", 1, v));
    CHECK(!judge(f, "[1,2]", 1, v));
    CHECK(!judge(f, "{\"jsonrpc\":\"2.0\",\"id\":0,\"result\":{}}", 1, v));
}

static void test_judge_submit_tx_batch(void) {
    const load_form *f = &load_form_submit_tx_batch;
    load_verdict v[3];
    CHECK(judge(f, "[{\"id\":1,\"error\":{\"code\":-32002,\"message\":\"refused\",\"data\":{\"error\":"
                   "\"HANSA_ERR_DUPLICATE\",\"why\":\"held\"}}},{\"id\":0,\"result\":{\"hash\":\"ab\"}}]", 3, v));
    CHECK(v[0].kind == LOAD_VERDICT_ADMITTED);
    CHECK(v[1].kind == LOAD_VERDICT_DUPLICATE);
    CHECK(v[2].kind == LOAD_VERDICT_REFUSED);
    CHECK(judge(f, "{\"error\":{\"code\":-32600,\"message\":\"batch too large\"}}", 1, v));
    CHECK(v[0].kind == LOAD_VERDICT_REFUSED && strcmp(v[0].text, "error: batch too large") == 0);
    CHECK(!judge(f, "not json", 1, v));
}

/* POST /txs lists only the refused: the rest were admitted; a duplicate is
 * held; an index the request did not have, or a count that is not the
 * request's, is no answer. */
static void test_judge_post_txs(void) {
    const load_form *f = &load_form_post_txs;
    load_verdict v[3];
    CHECK(judge(f, "{\"jsonrpc\":\"2.0\",\"id\":null,\"result\":{\"txs\":3,\"admitted\":1,\"refused\":["
                   "{\"index\":2,\"error\":\"HANSA_ERR_NONCE\",\"why\":\"nonce 7 is not 5\"},"
                   "{\"index\":0,\"error\":\"HANSA_ERR_DUPLICATE\",\"why\":\"already in the mempool\"}]}}",
                3, v));
    CHECK(v[0].kind == LOAD_VERDICT_DUPLICATE);
    CHECK(v[1].kind == LOAD_VERDICT_ADMITTED);
    CHECK(v[2].kind == LOAD_VERDICT_REFUSED);
    CHECK(strcmp(v[2].text, "HANSA_ERR_NONCE: nonce is not the account's next") == 0);
    /* The whole body refused (400, 413): every transaction with it. */
    CHECK(judge(f, "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32600,\"message\":\"empty body\"}}",
                2, v));
    CHECK(v[0].kind == LOAD_VERDICT_REFUSED && v[1].kind == LOAD_VERDICT_REFUSED);
    CHECK(!judge(f, "{\"result\":{\"txs\":2,\"admitted\":2,\"refused\":[]}}", 3, v));
    CHECK(!judge(f, "{\"result\":{\"txs\":2,\"admitted\":2}}", 2, v));           /* no refused list */
    CHECK(!judge(f, "{\"result\":{\"txs\":2,\"admitted\":1,\"refused\":[{\"index\":\"1\"}]}}", 2, v));
    CHECK(!judge(f, "{\"result\":{\"txs\":2,\"admitted\":1,\"refused\":[{\"why\":\"x\"}]}}", 2, v));
    CHECK(!judge(f, "{\"result\":{\"txs\":3,\"admitted\":1,\"refused\":[{\"index\":1},{\"index\":1}]}}", 3, v));
    CHECK(!judge(f, "{\"result\":{\"txs\":2,\"admitted\":2,\"refused\":[{\"index\":1}]}}", 2, v));
    CHECK(!judge(f, "{\"result\":{\"txs\":2,\"admitted\":1,\"refused\":[{\"index\":2}]}}", 2, v));
    CHECK(!judge(f, "{\"result\":{\"txs\":2,\"admitted\":1,\"refused\":[{\"index\":-1}]}}", 2, v));
    CHECK(!judge(f, "not found\n", 1, v));
}

/* The load's books from verdicts: a duplicate (a resent batch's admitted
 * copy) is held, not refused; refusals are counted with their reason. */
static void test_tally(void) {
    load_result r;
    memset(&r, 0, sizeof r);
    load_verdict v[3] = {{.kind = LOAD_VERDICT_ADMITTED}, {.kind = LOAD_VERDICT_DUPLICATE},
                         {.kind = LOAD_VERDICT_REFUSED, .text = "HANSA_ERR_FEE: too low"}};
    bool held[3] = {false, false, false}, rejected[3] = {false, false, false};
    load_verdicts_tally(&r, v, 3, held, rejected);
    CHECK(held[0] && held[1] && !held[2]);
    CHECK(!rejected[0] && !rejected[1] && rejected[2]);
    CHECK(r.duplicates == 1 && r.rejected == 1);
    CHECK(r.n_reasons == 1 && r.reasons[0].count == 1 && strcmp(r.reasons[0].text, "HANSA_ERR_FEE: too low") == 0);
    CHECK(strcmp(r.last_reason, "HANSA_ERR_FEE: too low") == 0);
}

/* The encoders' bodies parse as the requests docs/rpc.md describes, with
 * each transaction's hex. */
static void test_encoders(void) {
    const uint8_t a[] = {0x00, 0xab, 0xff}, b[] = {0x12};
    const uint8_t *tx[2] = {a, b};
    size_t len[2] = {sizeof a, sizeof b};
    hbuf body = HBUF_INIT;
    load_form_submit_txs.encode(&body, tx, len, 2);
    json_error_t je;
    json_t *j = json_loadb((const char *)body.data, body.len, 0, &je);
    CHECK(j != NULL);
    CHECK(strcmp(json_string_value(json_object_get(j, "method")), "submit_txs") == 0);
    CHECK(strcmp(json_string_value(json_object_get(j, "jsonrpc")), "2.0") == 0);
    json_t *txs = json_object_get(json_object_get(j, "params"), "txs");
    CHECK(json_array_size(txs) == 2);
    CHECK(strcmp(json_string_value(json_array_get(txs, 0)), "00abff") == 0);
    CHECK(strcmp(json_string_value(json_array_get(txs, 1)), "12") == 0);
    json_decref(j);
    load_form_submit_tx_batch.encode(&body, tx, len, 2);
    j = json_loadb((const char *)body.data, body.len, 0, &je);
    CHECK(json_array_size(j) == 2);
    json_t *second = json_array_get(j, 1);
    CHECK(json_integer_value(json_object_get(second, "id")) == 1);
    CHECK(strcmp(json_string_value(json_object_get(second, "method")), "submit_tx") == 0);
    CHECK(strcmp(json_string_value(json_object_get(json_object_get(second, "params"), "tx")), "12") == 0);
    json_decref(j);
    /* POST /txs: the node's own decoder of the TXS framing reads it back. */
    load_form_post_txs.encode(&body, tx, len, 2);
    msg_txs m;
    CHECK(msg_txs_decode(body.data, body.len, &m, NULL) == HANSA_OK);
    CHECK(m.n == 2 && m.len[0] == sizeof a && m.len[1] == sizeof b);
    CHECK(memcmp(m.tx[0], a, sizeof a) == 0 && memcmp(m.tx[1], b, sizeof b) == 0);
    hbuf_free(&body);
}

int main(void) {
    RUN(test_judge_submit_txs);
    RUN(test_judge_submit_tx_batch);
    RUN(test_judge_post_txs);
    RUN(test_tally);
    RUN(test_encoders);
    return check_summary();
}
