/* memo.c — the exact 32-byte-answer memo; see memo.h. */
#include "base/memo.h"

void hash_memo_switch(hash_memo *m, bool on) {
    hbuf_free(&m->key);
    hbuf_free(&m->next);
    *m = (hash_memo){.key = HBUF_INIT, .next = HBUF_INIT, .on = on};
}

bool hash_memo_get(const hash_memo *m, const uint8_t *key, size_t len, hansa_hash *out) {
    if (!m->set || m->key.len != len) return false;
    if (len > 0 && memcmp(m->key.data, key, len) != 0) return false;
    *out = m->value;
    return true;
}

void hash_memo_put(hash_memo *m, const uint8_t *key, size_t len, const hansa_hash *value) {
    hbuf_reset(&m->key);
    hbuf_append(&m->key, key, len);
    m->value = *value;
    m->set = true;
}

hbuf *hash_memo_next(hash_memo *m) {
    hbuf_reset(&m->next);
    return &m->next;
}

bool hash_memo_get_next(const hash_memo *m, hansa_hash *out) {
    return hash_memo_get(m, m->next.data, m->next.len, out);
}

void hash_memo_keep_next(hash_memo *m, const hansa_hash *value) {
    hbuf was = m->key;
    m->key = m->next;
    m->next = was;
    m->value = *value;
    m->set = true;
}
