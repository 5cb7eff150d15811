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
