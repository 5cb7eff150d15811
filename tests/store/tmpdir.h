/* tmpdir.h — scratch directories for the store tests, under /tmp, removed after.
 *
 * tmpdir_make creates /tmp/hansa-store-XXXXXX; the store itself is opened at
 * <tmp>/db so that store_open's directory creation is exercised too. */
#ifndef HANSA_TESTS_STORE_TMPDIR_H
#define HANSA_TESTS_STORE_TMPDIR_H

#define _GNU_SOURCE /* nftw, mkdtemp, usleep; this header comes first */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

typedef struct {
    char root[64]; /* /tmp/hansa-store-XXXXXX */
    char db[80];   /* root/db */
} tmpdir;

static inline void tmpdir_make(tmpdir *t) {
    snprintf(t->root, sizeof t->root, "/tmp/hansa-store-XXXXXX");
    if (!mkdtemp(t->root)) {
        perror("mkdtemp");
        exit(2);
    }
    snprintf(t->db, sizeof t->db, "%s/db", t->root);
}

static inline int tmpdir_rm_one(const char *path, const struct stat *sb, int flag,
                                struct FTW *ftw) {
    (void)sb, (void)flag, (void)ftw;
    return remove(path);
}

static inline void tmpdir_remove(tmpdir *t) {
    nftw(t->root, tmpdir_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

#endif
