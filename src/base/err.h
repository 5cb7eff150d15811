/* err.h — the one error enum of hansa.
 *
 * Every fallible function returns a hansa_err; 0 is success. Errors describe
 * untrusted input or environment failures. Broken internal invariants are not
 * errors: they hit HANSA_ASSERT and crash (see assert.h). Each code has a
 * distinct message so a log line says what went wrong, not only that it did. */
#ifndef HANSA_BASE_ERR_H
#define HANSA_BASE_ERR_H

/* X-macro: name, message. Keep codes append-only: they may appear in RPC
 * replies and logs that tools parse. */
#define HANSA_ERR_LIST(X)                                                        \
    X(HANSA_OK, "success")                                                       \
    X(HANSA_ERR_TRUNCATED, "input ends before the value does")                   \
    X(HANSA_ERR_TRAILING, "trailing bytes after the value")                      \
    X(HANSA_ERR_TOO_LONG, "length over its bound")                               \
    X(HANSA_ERR_VERSION, "unknown version")                                      \
    X(HANSA_ERR_NONCANONICAL, "non-canonical encoding")                          \
    X(HANSA_ERR_INVALID, "invalid value")                                        \
    X(HANSA_ERR_BAD_SIG, "signature does not verify")                            \
    X(HANSA_ERR_BAD_HEX, "not a hex string")                                     \
    X(HANSA_ERR_CHECKSUM, "checksum mismatch")                                   \
    X(HANSA_ERR_WRONG_CHAIN, "belongs to a different chain")                     \
    X(HANSA_ERR_OVERFLOW, "arithmetic overflow")                                 \
    X(HANSA_ERR_FUNDS, "insufficient funds")                                     \
    X(HANSA_ERR_NONCE, "wrong nonce")                                            \
    X(HANSA_ERR_FEE, "fee too low")                                              \
    X(HANSA_ERR_DUPLICATE, "duplicate")                                          \
    X(HANSA_ERR_FULL, "capacity reached")                                        \
    X(HANSA_ERR_NOT_FOUND, "not found")                                          \
    X(HANSA_ERR_IO, "input/output error")                                        \
    X(HANSA_ERR_CORRUPT, "stored data is corrupt")                               \
    X(HANSA_ERR_NOMEM, "out of memory")                                          \
    X(HANSA_ERR_PROOF, "proof does not verify")                                  \
    X(HANSA_ERR_QUORUM, "not enough voting power")                               \
    X(HANSA_ERR_STATE, "operation not allowed in this state")                    \
    X(HANSA_ERR_CONFIG, "bad configuration")                                     \
    X(HANSA_ERR_PROTOCOL, "protocol violation")                                  \
    X(HANSA_ERR_CRYPTO, "cryptographic operation failed")                        \
    X(HANSA_ERR_APP_HASH, "app hash mismatch")                                   \
    X(HANSA_ERR_DISK_FULL, "no space left on the disk")

typedef enum {
#define HANSA_ERR_ENUM(name, msg) name,
    HANSA_ERR_LIST(HANSA_ERR_ENUM)
#undef HANSA_ERR_ENUM
    HANSA_ERR_COUNT_
} hansa_err;

/* Returns a static message for err; never NULL, also for out-of-range values. */
const char *hansa_strerror(hansa_err err);

/* Returns the enum's name ("HANSA_ERR_TRUNCATED"), for machine-readable output. */
const char *hansa_errname(hansa_err err);

#endif
