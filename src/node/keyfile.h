/* keyfile.h — the key file of the CLI and the node: named Ed25519 keys on disk.
 *
 * One file holds the keys of one chain, as text:
 *
 *     # comments and blank lines are ignored
 *     hansa-keyfile v1
 *     chain e2e4
 *     key alice <seed: 64 hex> <public key: 64 hex> <address on the chain>
 *     key bob   ...                       (exactly one space between fields)
 *
 * The public key and the address are redundant (both follow from the seed);
 * they are there for the human reading the file, and load checks them, so a
 * hand edit that breaks one is caught with its line number instead of
 * silently signing with a different key.
 *
 * The seeds are secrets: the file is created 0600 with O_CREAT|O_EXCL, load
 * refuses a file that group or others may access, rewrites are atomic (temp
 * file, fsync, rename, fsync of the directory) so a crash leaves the old or
 * the new file, never half of one, and every buffer that held seed text is
 * wiped. Text rather than JSON for that last reason: a JSON library keeps its
 * own copies of the strings it parses, which we could not wipe. */
#ifndef HANSA_NODE_KEYFILE_H
#define HANSA_NODE_KEYFILE_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"
#include "crypto/address.h"
#include "crypto/sign.h"

#define KEYFILE_NAME_MAX 64      /* bytes of a key name: [A-Za-z0-9._-] */
#define KEYFILE_KEYS_MAX 1024    /* keys in one file */
#define KEYFILE_LINE_MAX 512     /* bytes of one line, newline excluded */
#define KEYFILE_BYTES_MAX (KEYFILE_KEYS_MAX * 256 + 4096) /* a file larger is refused */
#define KEYFILE_WHY_MAX 256      /* size of the buffer for error sentences */

typedef struct {
    char name[KEYFILE_NAME_MAX + 1];
    hansa_keypair kp; /* secret */
} keyfile_key;

typedef struct {
    uint32_t chain_id;
    size_t count;
    size_t cap;
    keyfile_key *keys; /* owned; wiped on free */
} keyfile;

/* An empty key set for chain_id, in memory (nothing is written). */
void keyfile_init(keyfile *kf, uint32_t chain_id);

/* Wipes the secrets and frees the keys; kf is empty afterwards. */
void keyfile_free(keyfile *kf);

/* Writes kf to a new file at path, mode 0600; never replaces an existing file
 * (HANSA_ERR_DUPLICATE). HANSA_ERR_IO for any other failure. On error why
 * gets a sentence naming the path and the reason. */
hansa_err keyfile_create(const keyfile *kf, const char *path, char why[KEYFILE_WHY_MAX]);

/* Replaces the file at path with kf atomically, mode 0600. HANSA_ERR_IO on
 * failure (the old file is then untouched). */
hansa_err keyfile_save(const keyfile *kf, const char *path, char why[KEYFILE_WHY_MAX]);

/* Reads path into *out (initialised here; free with keyfile_free, also after
 * an error). Errors: HANSA_ERR_IO (cannot open/read), HANSA_ERR_CONFIG (group
 * or others have access, or not a regular file), HANSA_ERR_TOO_LONG (file or
 * line over its bound, too many keys), HANSA_ERR_VERSION (not a v1 key file),
 * HANSA_ERR_INVALID / HANSA_ERR_BAD_HEX (a malformed line),
 * HANSA_ERR_DUPLICATE (a name twice), HANSA_ERR_CORRUPT (public key or address
 * does not match the seed). why names the path and line. */
hansa_err keyfile_load(const char *path, keyfile *out, char why[KEYFILE_WHY_MAX]);

/* Parses key file text (len bytes, need not be NUL-terminated) into *out
 * (initialised here; free with keyfile_free, also after an error). path only
 * names the text in why. Errors as keyfile_load after the file is read. */
hansa_err keyfile_parse(const char *text, size_t len, const char *path, keyfile *out,
                        char why[KEYFILE_WHY_MAX]);

/* Appends kf as key file text to out. out then holds the seeds: wipe it
 * (explicit_bzero over out->cap bytes) before freeing it. */
void keyfile_render(const keyfile *kf, hbuf *out);

/* Adds a key named name with this seed. HANSA_ERR_INVALID for a bad name,
 * HANSA_ERR_DUPLICATE if the name is taken, HANSA_ERR_FULL at KEYFILE_KEYS_MAX. */
hansa_err keyfile_add(keyfile *kf, const char *name, const uint8_t seed[HANSA_SEED_BYTES],
                      char why[KEYFILE_WHY_MAX]);

/* Adds a key with a fresh seed from the OS CSPRNG; errors as keyfile_add. */
hansa_err keyfile_generate(keyfile *kf, const char *name, char why[KEYFILE_WHY_MAX]);

/* Returns the key named name, or NULL; valid until kf changes. */
const keyfile_key *keyfile_find(const keyfile *kf, const char *name);

/* Writes the key's address on kf's chain in text form. */
void keyfile_address(const keyfile *kf, const keyfile_key *key, char out[ADDR_TEXT_MAX]);

#endif
