/* keyfile.c — reading and writing the key file (format and rules in keyfile.h).
 *
 * Reading is a line parser over the whole file held in memory (it is bounded
 * by KEYFILE_BYTES_MAX before anything is allocated); every error names the
 * path and the line. Writing builds the full text in memory and hands it to
 * either an exclusive create or an atomic replace. Buffers that held seed text
 * are wiped with explicit_bzero before they are freed. */
#include "node/keyfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/assert.h"
#include "base/buf.h"
#include "base/hex.h"
#include "base/mem.h"

#define KEYFILE_MAGIC "hansa-keyfile"
#define KEYFILE_HEADER KEYFILE_MAGIC " v1"

static hansa_err fail(char why[KEYFILE_WHY_MAX], hansa_err e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static hansa_err fail(char why[KEYFILE_WHY_MAX], hansa_err e, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, KEYFILE_WHY_MAX, fmt, ap);
    va_end(ap);
    return e;
}

/* ---------- the key set in memory ---------- */

void keyfile_init(keyfile *kf, uint32_t chain_id) {
    crypto_init();
    *kf = (keyfile){.chain_id = chain_id};
}

void keyfile_free(keyfile *kf) {
    for (size_t i = 0; i < kf->count; i++) keypair_wipe(&kf->keys[i].kp);
    free(kf->keys);
    *kf = (keyfile){.chain_id = kf->chain_id};
}

static bool name_valid(const char *name) {
    size_t n = strlen(name);
    if (n == 0 || n > KEYFILE_NAME_MAX) return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '-';
        if (!ok) return false;
    }
    return true;
}

const keyfile_key *keyfile_find(const keyfile *kf, const char *name) {
    for (size_t i = 0; i < kf->count; i++)
        if (strcmp(kf->keys[i].name, name) == 0) return &kf->keys[i];
    return NULL;
}

/* Grows the array by copying, so the old block can be wiped: realloc would
 * free it with the secrets still in it. */
static void keys_grow(keyfile *kf) {
    size_t cap = kf->cap ? kf->cap * 2 : 8;
    if (cap > KEYFILE_KEYS_MAX) cap = KEYFILE_KEYS_MAX;
    HANSA_ASSERT(cap > kf->count);
    keyfile_key *keys = hansa_calloc(cap, sizeof *keys);
    if (kf->count) memcpy(keys, kf->keys, kf->count * sizeof *keys);
    if (kf->keys) explicit_bzero(kf->keys, kf->cap * sizeof *kf->keys);
    free(kf->keys);
    kf->keys = keys;
    kf->cap = cap;
}

hansa_err keyfile_add(keyfile *kf, const char *name, const uint8_t seed[HANSA_SEED_BYTES],
                      char why[KEYFILE_WHY_MAX]) {
    if (!name_valid(name))
        return fail(why, HANSA_ERR_INVALID,
                    "key name '%.64s' must be 1-%d characters of A-Z a-z 0-9 . _ -", name,
                    KEYFILE_NAME_MAX);
    if (keyfile_find(kf, name))
        return fail(why, HANSA_ERR_DUPLICATE, "a key named '%s' already exists", name);
    if (kf->count == KEYFILE_KEYS_MAX)
        return fail(why, HANSA_ERR_FULL, "a key file holds at most %d keys", KEYFILE_KEYS_MAX);
    if (kf->count == kf->cap) keys_grow(kf);
    keyfile_key *k = &kf->keys[kf->count++];
    snprintf(k->name, sizeof k->name, "%s", name);
    keypair_from_seed(&k->kp, seed);
    return HANSA_OK;
}

hansa_err keyfile_generate(keyfile *kf, const char *name, char why[KEYFILE_WHY_MAX]) {
    uint8_t seed[HANSA_SEED_BYTES];
    crypto_random(seed, sizeof seed);
    hansa_err e = keyfile_add(kf, name, seed, why);
    explicit_bzero(seed, sizeof seed);
    return e;
}

void keyfile_address(const keyfile *kf, const keyfile_key *key, char out[ADDR_TEXT_MAX]) {
    hansa_addr addr;
    addr_from_pubkey(&key->kp.pub, &addr);
    addr_format(kf->chain_id, &addr, out);
}

/* ---------- writing ---------- */

void keyfile_render(const keyfile *kf, hbuf *out) {
    char chain[CHAIN_ID_TEXT_MAX];
    chain_id_format(kf->chain_id, chain);
    char line[KEYFILE_LINE_MAX + 2];
    int n = snprintf(line, sizeof line,
                     "# hansa key file. The seeds below control the accounts: keep it secret.\n"
                     "%s\nchain %s\n",
                     KEYFILE_HEADER, chain);
    hbuf_append(out, line, (size_t)n);
    for (size_t i = 0; i < kf->count; i++) {
        const keyfile_key *k = &kf->keys[i];
        char seed[2 * HANSA_SEED_BYTES + 1], pub[2 * HANSA_PUBKEY_BYTES + 1], addr[ADDR_TEXT_MAX];
        hex_encode(k->kp.secret, HANSA_SEED_BYTES, seed);
        hex_encode(k->kp.pub.b, HANSA_PUBKEY_BYTES, pub);
        keyfile_address(kf, k, addr);
        n = snprintf(line, sizeof line, "key %s %s %s %s\n", k->name, seed, pub, addr);
        HANSA_ASSERT(n > 0 && (size_t)n <= KEYFILE_LINE_MAX + 1);
        hbuf_append(out, line, (size_t)n);
        explicit_bzero(seed, sizeof seed);
    }
    explicit_bzero(line, sizeof line);
}

static void text_wipe(hbuf *text) {
    if (text->data) explicit_bzero(text->data, text->cap);
    hbuf_free(text);
}

static bool write_all(int fd, const uint8_t *p, size_t n) {
    while (n > 0) {
        ssize_t k = write(fd, p, n);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) return false;
        p += k;
        n -= (size_t)k;
    }
    return true;
}

/* fsyncs the directory holding path, so a create or rename in it is durable. */
static bool sync_dir_of(const char *path) {
    char dir[4096];
    const char *slash = strrchr(path, '/');
    if (!slash) snprintf(dir, sizeof dir, ".");
    else if (slash == path) snprintf(dir, sizeof dir, "/");
    else snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return false;
    bool ok = fsync(fd) == 0;
    close(fd);
    return ok;
}

/* Writes the text to an open fd, fsyncs and closes it. */
static bool write_sync_close(int fd, const hbuf *text) {
    bool ok = write_all(fd, text->data, text->len) && fsync(fd) == 0;
    return close(fd) == 0 && ok;
}

hansa_err keyfile_create(const keyfile *kf, const char *path, char why[KEYFILE_WHY_MAX]) {
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 && errno == EEXIST)
        return fail(why, HANSA_ERR_DUPLICATE, "%s: already exists; not overwriting a key file", path);
    if (fd < 0) return fail(why, HANSA_ERR_IO, "%s: cannot create: %s", path, strerror(errno));
    hbuf text = HBUF_INIT;
    keyfile_render(kf, &text);
    bool ok = write_sync_close(fd, &text);
    text_wipe(&text);
    if (!ok) {
        int err = errno;
        unlink(path);
        return fail(why, HANSA_ERR_IO, "%s: cannot write: %s", path, strerror(err));
    }
    if (!sync_dir_of(path))
        return fail(why, HANSA_ERR_IO, "%s: cannot sync its directory: %s", path, strerror(errno));
    return HANSA_OK;
}

hansa_err keyfile_save(const keyfile *kf, const char *path, char why[KEYFILE_WHY_MAX]) {
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp-XXXXXX", path) >= (int)sizeof tmp)
        return fail(why, HANSA_ERR_IO, "%.200s...: path too long", path);
    int fd = mkstemp(tmp); /* O_CREAT|O_EXCL, mode 0600 */
    if (fd < 0) return fail(why, HANSA_ERR_IO, "%s: cannot create a temporary file: %s", path,
                            strerror(errno));
    hbuf text = HBUF_INIT;
    keyfile_render(kf, &text);
    bool ok = write_sync_close(fd, &text) && rename(tmp, path) == 0;
    int err = errno;
    text_wipe(&text);
    if (!ok) {
        unlink(tmp);
        return fail(why, HANSA_ERR_IO, "%s: cannot replace: %s", path, strerror(err));
    }
    if (!sync_dir_of(path))
        return fail(why, HANSA_ERR_IO, "%s: cannot sync its directory: %s", path, strerror(errno));
    return HANSA_OK;
}

/* ---------- reading ---------- */

/* Reads the whole file into a malloc'd *text (caller wipes and frees) after
 * checking its type, mode and size. The buffer is allocated once, one byte
 * larger than the file, so no copy of the secrets is left behind by a
 * reallocation and a file that grew while being read is noticed. */
static hansa_err read_checked(const char *path, char **text, size_t *len,
                              char why[KEYFILE_WHY_MAX]) {
    *text = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return fail(why, HANSA_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    hansa_err e = HANSA_OK;
    if (fstat(fd, &st) != 0) {
        e = fail(why, HANSA_ERR_IO, "%s: cannot stat: %s", path, strerror(errno));
    } else if (!S_ISREG(st.st_mode)) {
        e = fail(why, HANSA_ERR_CONFIG, "%s: not a regular file", path);
    } else if (st.st_mode & (S_IRWXG | S_IRWXO)) {
        e = fail(why, HANSA_ERR_CONFIG,
                 "%s: group or others may access it (mode %04o); it holds secret keys: "
                 "chmod 600 it if it was not exposed, else move the funds to new keys",
                 path, (unsigned)(st.st_mode & 07777));
    } else if (st.st_size > KEYFILE_BYTES_MAX) {
        e = fail(why, HANSA_ERR_TOO_LONG, "%s: %lld bytes, over the %d-byte bound", path,
                 (long long)st.st_size, KEYFILE_BYTES_MAX);
    }
    size_t cap = e == HANSA_OK ? (size_t)st.st_size + 1 : 0;
    if (cap) *text = hansa_malloc(cap);
    while (e == HANSA_OK) {
        ssize_t k = read(fd, *text + *len, cap - *len);
        if (k == 0) break;
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) e = fail(why, HANSA_ERR_IO, "%s: cannot read: %s", path, strerror(errno));
        else *len += (size_t)k;
        if (*len == cap) e = fail(why, HANSA_ERR_IO, "%s: changed while being read", path);
    }
    close(fd);
    return e;
}

/* Splits line (NUL-terminated, modified) at single spaces into at most max
 * fields; returns the count, or -1 for an empty field (two spaces, or a
 * leading or trailing space). */
static int split_fields(char *line, char **fields, int max) {
    int n = 0;
    char *p = line;
    for (;;) {
        char *sp = strchr(p, ' ');
        if (sp) *sp = '\0';
        if (*p == '\0') return -1;
        if (n == max) return max + 1;
        fields[n++] = p;
        if (!sp) return n;
        p = sp + 1;
    }
}

typedef struct {
    const char *path;
    int line_no;
    bool have_header, have_chain;
} parse_state;

static hansa_err parse_key(parse_state *ps, keyfile *kf, char **f, char why[KEYFILE_WHY_MAX]) {
    uint8_t seed[HANSA_SEED_BYTES];
    hansa_pubkey pub;
    if (strlen(f[2]) != 2 * HANSA_SEED_BYTES ||
        hex_decode(f[2], strlen(f[2]), seed, sizeof seed, NULL, NULL) != HANSA_OK) {
        explicit_bzero(seed, sizeof seed);
        return fail(why, HANSA_ERR_BAD_HEX, "%s:%d: the seed must be %d hex digits", ps->path,
                    ps->line_no, 2 * HANSA_SEED_BYTES);
    }
    hansa_err e = keyfile_add(kf, f[1], seed, why);
    explicit_bzero(seed, sizeof seed);
    if (e != HANSA_OK) {
        char inner[KEYFILE_WHY_MAX];
        snprintf(inner, sizeof inner, "%s", why);
        return fail(why, e, "%s:%d: %s", ps->path, ps->line_no, inner);
    }
    const keyfile_key *k = &kf->keys[kf->count - 1];
    if (strlen(f[3]) != 2 * HANSA_PUBKEY_BYTES ||
        hex_decode(f[3], strlen(f[3]), pub.b, sizeof pub.b, NULL, NULL) != HANSA_OK)
        return fail(why, HANSA_ERR_BAD_HEX, "%s:%d: the public key must be %d hex digits",
                    ps->path, ps->line_no, 2 * HANSA_PUBKEY_BYTES);
    if (!pubkey_eq(&pub, &k->kp.pub))
        return fail(why, HANSA_ERR_CORRUPT, "%s:%d: public key of '%s' does not match its seed",
                    ps->path, ps->line_no, k->name);
    hansa_addr want, got;
    const char *addr_why = NULL;
    addr_from_pubkey(&k->kp.pub, &want);
    e = addr_parse(f[4], &kf->chain_id, NULL, &got, &addr_why);
    if (e != HANSA_OK)
        return fail(why, e, "%s:%d: address of '%s': %s", ps->path, ps->line_no, k->name,
                    addr_why ? addr_why : hansa_strerror(e));
    if (!addr_eq(&want, &got))
        return fail(why, HANSA_ERR_CORRUPT, "%s:%d: address of '%s' does not match its key",
                    ps->path, ps->line_no, k->name);
    return HANSA_OK;
}

static hansa_err parse_line(parse_state *ps, keyfile *kf, char *line, char why[KEYFILE_WHY_MAX]) {
    if (line[0] == '\0' || line[0] == '#') return HANSA_OK;
    if (!ps->have_header) {
        if (strcmp(line, KEYFILE_HEADER) == 0) {
            ps->have_header = true;
            return HANSA_OK;
        }
        bool other_version = strncmp(line, KEYFILE_MAGIC " ", sizeof KEYFILE_MAGIC) == 0;
        return fail(why, HANSA_ERR_VERSION, "%s:%d: %s", ps->path, ps->line_no,
                    other_version ? "unknown key file version (this program reads v1)"
                                  : "not a hansa key file (first line is not '" KEYFILE_HEADER "')");
    }
    char *f[6];
    int n = split_fields(line, f, 5);
    if (n < 0)
        return fail(why, HANSA_ERR_INVALID, "%s:%d: fields are separated by exactly one space",
                    ps->path, ps->line_no);
    if (!ps->have_chain) {
        const char *cwhy = NULL;
        if (n != 2 || strcmp(f[0], "chain") != 0)
            return fail(why, HANSA_ERR_INVALID, "%s:%d: expected 'chain <chain id>'", ps->path,
                        ps->line_no);
        hansa_err e = chain_id_parse(f[1], &kf->chain_id, &cwhy);
        if (e != HANSA_OK)
            return fail(why, e, "%s:%d: chain id: %s", ps->path, ps->line_no,
                        cwhy ? cwhy : hansa_strerror(e));
        ps->have_chain = true;
        return HANSA_OK;
    }
    if (n != 5 || strcmp(f[0], "key") != 0)
        return fail(why, HANSA_ERR_INVALID,
                    "%s:%d: expected 'key <name> <seed> <public key> <address>'", ps->path,
                    ps->line_no);
    return parse_key(ps, kf, f, why);
}

hansa_err keyfile_parse(const char *text, size_t len, const char *path, keyfile *kf,
                        char why[KEYFILE_WHY_MAX]) {
    keyfile_init(kf, 0);
    parse_state ps = {.path = path};
    char line[KEYFILE_LINE_MAX + 1];
    hansa_err e = HANSA_OK;
    size_t pos = 0;
    while (e == HANSA_OK && pos < len) {
        ps.line_no++;
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
        if (n > KEYFILE_LINE_MAX) {
            e = fail(why, HANSA_ERR_TOO_LONG, "%s:%d: line longer than %d bytes", path, ps.line_no,
                     KEYFILE_LINE_MAX);
            break;
        }
        memcpy(line, text + pos, n);
        line[n] = '\0';
        if (memchr(line, '\0', n))
            e = fail(why, HANSA_ERR_INVALID, "%s:%d: NUL byte in the line", path, ps.line_no);
        else
            e = parse_line(&ps, kf, line, why);
        pos += n + 1;
    }
    explicit_bzero(line, sizeof line);
    if (e == HANSA_OK && !ps.have_chain)
        e = fail(why, ps.have_header ? HANSA_ERR_INVALID : HANSA_ERR_VERSION,
                 "%s: %s", path, ps.have_header ? "no 'chain' line" : "empty, not a key file");
    return e;
}

hansa_err keyfile_load(const char *path, keyfile *out, char why[KEYFILE_WHY_MAX]) {
    keyfile_init(out, 0);
    char *text = NULL;
    size_t len = 0;
    hansa_err e = read_checked(path, &text, &len, why);
    if (e == HANSA_OK) e = keyfile_parse(text, len, path, out, why);
    if (text) explicit_bzero(text, len);
    free(text);
    return e;
}
