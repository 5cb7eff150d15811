/* frost_rd.c — see frost_rd.h. */
#include "wire/frost_rd.h"

void frd_fail_at(wire_rd *r, hansa_err err, size_t at, const char *field) {
    if (r->err != HANSA_OK) return;
    rd_fail(r, err, field);
    r->err_off = at;
}

uint16_t frd_id(wire_rd *r, const char *field) {
    size_t at = r->off;
    uint16_t id = rd_u16(r, field);
    if (r->err == HANSA_OK && (id == 0 || id > FROST_PARTICIPANTS_MAX))
        frd_fail_at(r, HANSA_ERR_INVALID, at, field);
    return id;
}

void frd_point(wire_rd *r, frost_point *out, const char *field) {
    size_t at = r->off;
    const uint8_t *q = rd_borrow(r, FROST_POINT_BYTES, field);
    if (!q) return;
    hansa_err e = frost_point_decode(q, out);
    if (e != HANSA_OK) frd_fail_at(r, e, at, field);
}

void frd_scalar(wire_rd *r, frost_scalar *out, const char *field) {
    size_t at = r->off;
    const uint8_t *q = rd_borrow(r, FROST_SCALAR_BYTES, field);
    if (!q) return;
    hansa_err e = frost_scalar_decode(q, out);
    if (e != HANSA_OK) frd_fail_at(r, e, at, field);
}

uint16_t frd_count(wire_rd *r, const char *field) {
    size_t at = r->off;
    uint16_t n = rd_u16(r, field);
    if (r->err == HANSA_OK && n > FROST_PARTICIPANTS_MAX) frd_fail_at(r, HANSA_ERR_TOO_LONG, at, field);
    if (r->err == HANSA_OK && n == 0) frd_fail_at(r, HANSA_ERR_INVALID, at, field);
    return r->err == HANSA_OK ? n : 0;
}

uint16_t frd_next_id(wire_rd *r, uint16_t prev, const char *field) {
    size_t at = r->off;
    uint16_t id = frd_id(r, field);
    if (r->err == HANSA_OK && id <= prev) frd_fail_at(r, HANSA_ERR_NONCANONICAL, at, field);
    return id;
}

void frd_version(wire_rd *r) {
    size_t at = r->off;
    uint8_t version = rd_u8(r, "version");
    if (r->err == HANSA_OK && version != WIRE_VERSION) frd_fail_at(r, HANSA_ERR_VERSION, at, "version");
}

uint8_t frd_head(wire_rd *r, uint8_t lo, uint8_t hi) {
    frd_version(r);
    size_t at = r->off;
    uint8_t kind = rd_u8(r, "kind");
    if (r->err == HANSA_OK && (kind < lo || kind > hi)) frd_fail_at(r, HANSA_ERR_NONCANONICAL, at, "kind");
    return kind;
}
