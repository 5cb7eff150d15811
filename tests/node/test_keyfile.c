/* Tests of node/keyfile: create/save/load round trips, file modes, atomic
 * replace, and rejection (with the line named) of every kind of bad file. */
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/hex.h"
#include "crypto/address.h"
#include "node/keyfile.h"
#include "check.h"

/* RFC 8032 section 7.1, test 1. */
static const char rfc_seed_hex[] = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
static const char rfc_pub_hex[] = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";

static char dir[256];

static void make_dir(void) {
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/hansa-keyfile-XXXXXX", tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        exit(2);
    }
}

static void remove_dir(void) {
    DIR *d = opendir(dir);
    struct dirent *e;
    char p[512];
    while (d && (e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        unlink(p);
    }
    if (d) closedir(d);
    rmdir(dir);
}

static int dir_entries(void) {
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) n++;
    if (d) closedir(d);
    return n;
}

static void path_of(const char *name, char *out, size_t n) { snprintf(out, n, "%s/%s", dir, name); }

static void seed_of(uint8_t fill, uint8_t seed[HANSA_SEED_BYTES]) {
    memset(seed, fill, HANSA_SEED_BYTES);
}

static unsigned mode_of(const char *path) {
    struct stat st;
    if (stat(path, &st) != 0) return 0xffff;
    return st.st_mode & 07777;
}

static void write_file(const char *path, const char *text, unsigned mode) {
    unlink(path);
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
    chmod(path, mode);
}

static void test_create_and_load(void) {
    char path[512], why[KEYFILE_WHY_MAX];
    path_of("keys", path, sizeof path);
    /* a permissive umask must not leak into the file's mode */
    mode_t old_umask = umask(0);
    keyfile kf;
    keyfile_init(&kf, 0xe2e4);
    uint8_t seed[HANSA_SEED_BYTES];
    size_t n = 0;
    CHECK_ERR(hex_decode(rfc_seed_hex, 64, seed, sizeof seed, &n, NULL), HANSA_OK);
    CHECK_ERR(keyfile_add(&kf, "alice", seed, why), HANSA_OK);
    CHECK_ERR(keyfile_generate(&kf, "bob-2.x_y", why), HANSA_OK);
    CHECK_ERR(keyfile_create(&kf, path, why), HANSA_OK);
    umask(old_umask);
    CHECK_EQ_U64(mode_of(path), 0600);
    /* never overwrites */
    CHECK_ERR(keyfile_create(&kf, path, why), HANSA_ERR_DUPLICATE);
    CHECK(strstr(why, path) != NULL);

    keyfile got;
    CHECK_ERR(keyfile_load(path, &got, why), HANSA_OK);
    CHECK_EQ_U64(got.chain_id, 0xe2e4);
    CHECK_EQ_U64(got.count, 2);
    const keyfile_key *a = keyfile_find(&got, "alice");
    CHECK(a != NULL);
    char pub[65];
    hex_encode(a->kp.pub.b, 32, pub);
    CHECK(strcmp(pub, rfc_pub_hex) == 0);
    CHECK(memcmp(a->kp.secret, seed, 32) == 0);
    const keyfile_key *b = keyfile_find(&got, "bob-2.x_y");
    CHECK(b != NULL && memcmp(b->kp.secret, kf.keys[1].kp.secret, 64) == 0);
    CHECK(keyfile_find(&got, "carol") == NULL);
    /* the address is the chain's checksummed form of the key's address */
    char addr[ADDR_TEXT_MAX], want[ADDR_TEXT_MAX];
    hansa_addr raw;
    addr_from_pubkey(&a->kp.pub, &raw);
    addr_format(0xe2e4, &raw, want);
    keyfile_address(&got, a, addr);
    CHECK(strcmp(addr, want) == 0);
    CHECK(strncmp(addr, "e2e4x", 5) == 0);
    keyfile_free(&got);
    keyfile_free(&kf);
    CHECK(kf.count == 0 && kf.keys == NULL);
}

static void test_save_is_atomic_replace(void) {
    char path[512], why[KEYFILE_WHY_MAX];
    path_of("keys", path, sizeof path);
    int before = dir_entries();
    keyfile kf;
    keyfile_init(&kf, 7);
    uint8_t seed[HANSA_SEED_BYTES];
    for (int i = 0; i < 40; i++) { /* enough to grow the array a few times */
        char name[16];
        snprintf(name, sizeof name, "k%d", i);
        seed_of((uint8_t)i, seed);
        CHECK_ERR(keyfile_add(&kf, name, seed, why), HANSA_OK);
    }
    CHECK_ERR(keyfile_save(&kf, path, why), HANSA_OK);
    CHECK_EQ_U64(mode_of(path), 0600);
    CHECK_EQ_U64(dir_entries(), before); /* replaced in place, no temp file left */
    keyfile got;
    CHECK_ERR(keyfile_load(path, &got, why), HANSA_OK);
    CHECK_EQ_U64(got.count, 40);
    CHECK_EQ_U64(got.chain_id, 7);
    seed_of(39, seed);
    CHECK(memcmp(keyfile_find(&got, "k39")->kp.secret, seed, 32) == 0);
    keyfile_free(&got);
    /* saving into a directory that does not exist fails and leaves nothing */
    char bad[600];
    snprintf(bad, sizeof bad, "%s/nodir/keys", dir);
    CHECK_ERR(keyfile_save(&kf, bad, why), HANSA_ERR_IO);
    CHECK(strstr(why, "nodir") != NULL);
    keyfile_free(&kf);
}

static void test_names(void) {
    char why[KEYFILE_WHY_MAX];
    keyfile kf;
    keyfile_init(&kf, 1);
    uint8_t seed[HANSA_SEED_BYTES];
    seed_of(1, seed);
    char long_name[KEYFILE_NAME_MAX + 2];
    memset(long_name, 'a', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0';
    CHECK_ERR(keyfile_add(&kf, "", seed, why), HANSA_ERR_INVALID);
    CHECK_ERR(keyfile_add(&kf, "a b", seed, why), HANSA_ERR_INVALID);
    CHECK_ERR(keyfile_add(&kf, "caf\xc3\xa9", seed, why), HANSA_ERR_INVALID);
    CHECK_ERR(keyfile_add(&kf, long_name, seed, why), HANSA_ERR_INVALID);
    long_name[KEYFILE_NAME_MAX] = '\0';
    CHECK_ERR(keyfile_add(&kf, long_name, seed, why), HANSA_OK);
    CHECK_ERR(keyfile_add(&kf, long_name, seed, why), HANSA_ERR_DUPLICATE);
    keyfile_free(&kf);
}

static void test_refuses_open_mode(void) {
    char path[512], why[KEYFILE_WHY_MAX];
    path_of("keys", path, sizeof path);
    keyfile kf, got;
    keyfile_init(&kf, 1);
    CHECK_ERR(keyfile_generate(&kf, "a", why), HANSA_OK);
    CHECK_ERR(keyfile_save(&kf, path, why), HANSA_OK);
    keyfile_free(&kf);
    static const unsigned bad_modes[] = {0640, 0604, 0660, 0610, 0601};
    for (size_t i = 0; i < sizeof bad_modes / sizeof bad_modes[0]; i++) {
        chmod(path, bad_modes[i]);
        CHECK_ERR(keyfile_load(path, &got, why), HANSA_ERR_CONFIG);
        CHECK(strstr(why, "group or others") != NULL);
        CHECK(strstr(why, path) != NULL);
        CHECK_EQ_U64(got.count, 0);
        keyfile_free(&got);
    }
    chmod(path, 0400);
    CHECK_ERR(keyfile_load(path, &got, why), HANSA_OK);
    keyfile_free(&got);
    CHECK_ERR(keyfile_load(dir, &got, why), HANSA_ERR_CONFIG); /* a directory */
    keyfile_free(&got);
    char missing[600];
    snprintf(missing, sizeof missing, "%s/missing", dir);
    CHECK_ERR(keyfile_load(missing, &got, why), HANSA_ERR_IO);
    keyfile_free(&got);
    unlink(path);
}

/* Writes text as a 0600 file, loads it, and checks the error and that why
 * names the given line ("path:line:"). */
static void expect_bad(const char *text, hansa_err want, int line) {
    char path[512], why[KEYFILE_WHY_MAX], where[600];
    path_of("bad", path, sizeof path);
    write_file(path, text, 0600);
    keyfile got;
    hansa_err e = keyfile_load(path, &got, why);
    CHECK_ERR(e, want);
    if (line > 0) {
        snprintf(where, sizeof where, "%s:%d:", path, line);
        if (!strstr(why, where)) fprintf(stderr, "  why: %s (wanted %s)\n", why, where);
        CHECK(strstr(why, where) != NULL);
    }
    keyfile_free(&got);
    unlink(path);
}

static void test_rejects_bad_files(void) {
    char good_line[400], text[2048];
    /* a valid key line for chain e2e4, to break one field at a time */
    keyfile kf;
    keyfile_init(&kf, 0xe2e4);
    uint8_t seed[HANSA_SEED_BYTES];
    hex_decode(rfc_seed_hex, 64, seed, sizeof seed, NULL, NULL);
    char why[KEYFILE_WHY_MAX], addr[ADDR_TEXT_MAX];
    keyfile_add(&kf, "alice", seed, why);
    keyfile_address(&kf, &kf.keys[0], addr);
    snprintf(good_line, sizeof good_line, "key alice %s %s %s\n", rfc_seed_hex, rfc_pub_hex, addr);
    keyfile_free(&kf);

    const char *head = "# c\nhansa-keyfile v1\nchain e2e4\n";
    snprintf(text, sizeof text, "%s\n%s", head, good_line);
    expect_bad(text, HANSA_OK, 0);
    expect_bad("", HANSA_ERR_VERSION, 0);
    expect_bad("hansa-keyfile v2\nchain 1\n", HANSA_ERR_VERSION, 1);
    expect_bad("{\"keys\": []}\n", HANSA_ERR_VERSION, 1);
    expect_bad("hansa-keyfile v1\n", HANSA_ERR_INVALID, 0);
    expect_bad("hansa-keyfile v1\nchain E2E4\n", HANSA_ERR_BAD_HEX, 2);
    expect_bad("hansa-keyfile v1\nchain  e2e4\n", HANSA_ERR_INVALID, 2);
    expect_bad("hansa-keyfile v1\nkey a b c d\n", HANSA_ERR_INVALID, 2);
    /* the same name twice */
    snprintf(text, sizeof text, "%s%s%s", head, good_line, good_line);
    expect_bad(text, HANSA_ERR_DUPLICATE, 5);
    /* seed, public key and address each broken */
    snprintf(text, sizeof text, "%skey alice %.63sg %s %s\n", head, rfc_seed_hex, rfc_pub_hex, addr);
    expect_bad(text, HANSA_ERR_BAD_HEX, 4);
    snprintf(text, sizeof text, "%skey alice %.62s %s %s\n", head, rfc_seed_hex, rfc_pub_hex, addr);
    expect_bad(text, HANSA_ERR_BAD_HEX, 4);
    char pub[65];
    memcpy(pub, rfc_pub_hex, 65);
    pub[0] = 'e';
    snprintf(text, sizeof text, "%skey alice %s %s %s\n", head, rfc_seed_hex, pub, addr);
    expect_bad(text, HANSA_ERR_CORRUPT, 4);
    char addr_bad[ADDR_TEXT_MAX];
    memcpy(addr_bad, addr, sizeof addr);
    for (char *p = addr_bad + 5; *p; p++) /* flip the case of the first letter: checksum */
        if ((*p >= 'a' && *p <= 'f') || (*p >= 'A' && *p <= 'F')) {
            *p ^= 0x20;
            break;
        }
    snprintf(text, sizeof text, "%skey alice %s %s %s\n", head, rfc_seed_hex, rfc_pub_hex, addr_bad);
    expect_bad(text, HANSA_ERR_CHECKSUM, 4);
    /* an address of another chain */
    snprintf(text, sizeof text, "hansa-keyfile v1\nchain e2e5\n%s", good_line);
    expect_bad(text, HANSA_ERR_WRONG_CHAIN, 3);
    /* trailing space, and an overlong line */
    snprintf(text, sizeof text, "%skey alice %s %s %s \n", head, rfc_seed_hex, rfc_pub_hex, addr);
    expect_bad(text, HANSA_ERR_INVALID, 4);
    char long_text[1024];
    snprintf(long_text, sizeof long_text, "%s# %0600d\n", head, 0);
    expect_bad(long_text, HANSA_ERR_TOO_LONG, 4);
    /* a NUL byte hidden in a line */
    char nul_path[512];
    path_of("bad", nul_path, sizeof nul_path);
    FILE *f = fopen(nul_path, "w");
    fwrite("hansa-keyfile v1\nchain 1\n# a\0b\n", 1, 31, f);
    fclose(f);
    chmod(nul_path, 0600);
    keyfile got;
    CHECK_ERR(keyfile_load(nul_path, &got, why), HANSA_ERR_INVALID);
    keyfile_free(&got);
    unlink(nul_path);
}

int main(void) {
    make_dir();
    RUN(test_create_and_load);
    RUN(test_save_is_atomic_replace);
    RUN(test_names);
    RUN(test_refuses_open_mode);
    RUN(test_rejects_bad_files);
    remove_dir();
    return check_summary();
}
