/* fuzz_ic_update.c — libFuzzer harness for the light client's update body
 * (ic_update_decode), the bytes a client-update transaction carries from
 * anyone. Oracle of fuzz_common.h: what decodes re-encodes byte for byte,
 * a refusal leaves the object zeroed. A decoded update is then judged by
 * ic_verify against a fixed trusted state, adjacent and skipping: any input
 * must get a verdict, never a crash. A FROST update (cert kind 2) is judged
 * again against a state trusting the key its first handoff (or its
 * checkpoint) starts from, so the handoff chain and the checkpoint
 * signature are reached, not only the "no key" refusal. A commit update
 * with a key proof is judged again with its signatures taken as good and
 * the header's app hash and the state root made to match a one-record
 * state, so the key proof's own rules (epoch, set, newer key) are reached
 * too, not only the refusal of a forged proof. */
#include "fuzz_common.h"
#include "interchain/client.h"
#include "interchain/codec.h"
#include "wire/state_hash.h"

static bool sig_ok(void *ctx, const hansa_pubkey *pk, const char *domain, const uint8_t *msg, size_t len,
                   const hansa_sig *sig) {
    (void)ctx, (void)pk, (void)domain, (void)msg, (void)len, (void)sig;
    return true;
}

/* u's key proof as the only record of its header's state, trusted by a
 * state that names the proof's key epoch minus one (so both "newer" and,
 * for epoch 0, "older" are reached). */
static void judge_key_proof(const ic_params *p, ic_consensus trusted, ic_update u) {
    ic_key_proof *k = &u.key_proof;
    uint8_t key[FROST_KEY_GROUP_BYTES];
    hbuf val = HBUF_INIT;
    frost_group_rec_encode(&val, &k->rec);
    state_record_leaf_hash(key, frost_group_rec_key(k->epoch, key), val.data, val.len, &k->state_root);
    hbuf_free(&val);
    k->leaf_index = 0;
    k->n_leaves = 1;
    k->path_len = 0;
    state_app_hash_checkpoint(&k->prev_app_hash, u.header.height, &k->writes_hash, &k->state_root,
                              &u.header.app_hash);
    trusted.key_epoch = k->epoch - 1;
    trusted.group_key = k->rec.key;
    trusted.key_time_ms = trusted.time_ms;
    cert_verifier yes = {sig_ok, NULL};
    char why[IC_WHY_MAX];
    (void)ic_verify(p, &trusted, &u, u.header.time_ms + 1, true, &yes, why, sizeof why);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ic_update u;
    wire_rd r;
    if (ic_update_decode(size ? data : NULL, size, &u, &r) != HANSA_OK) {
        HANSA_ASSERT(r.err != HANSA_OK);
        HANSA_ASSERT(r.err_off <= size);
        fuzz_check_zero(&u, sizeof u);
        return 0;
    }
    hbuf b = HBUF_INIT;
    ic_update_encode(&b, &u);
    HANSA_ASSERT(b.len == size);
    HANSA_ASSERT(memcmp(b.data, data, size) == 0);
    hbuf_free(&b);
    ic_params p = {u.header.chain_id, 3600000, 10000};
    ic_consensus trusted = {.height = u.trusted_height, .time_ms = 1000};
    trusted.next_validators_hash = u.header.validators_hash;
    char why[IC_WHY_MAX];
    (void)ic_verify(&p, &trusted, &u, u.header.time_ms + 1, true, NULL, why, sizeof why);
    if (u.has_trusted_vals) wire_valset_hash(&u.trusted_vals, &trusted.next_validators_hash);
    (void)ic_verify(&p, &trusted, &u, u.header.time_ms + 1, true, NULL, why, sizeof why);
    if (u.has_key_proof) judge_key_proof(&p, trusted, u);
    if (u.cert_kind == IC_CERT_FROST) {
        trusted.key_time_ms = trusted.time_ms;
        trusted.key_epoch = u.n_handoffs ? u.handoffs[0].old_epoch : u.ckpt.epoch;
        trusted.group_key = u.n_handoffs ? u.handoffs[0].old_key : u.ckpt.group_key;
        (void)ic_verify(&p, &trusted, &u, u.header.time_ms + 1, true, NULL, why, sizeof why);
    }
    ic_update_free(&u);
    return 0;
}
