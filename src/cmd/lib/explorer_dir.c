/* explorer_dir.c — where hansad finds the explorer's files, and its
 * environment-tuned limits (see explorer_dir.h). */
#include "cmd/lib/explorer_dir.h"

#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"

/* An integer from the environment within [lo, hi], else dflt (a value out
 * of range or malformed is logged and ignored). The event stream's limits
 * are read this way so an operator can tune them without a config field. */
uint64_t env_u64_in(const char *name, uint64_t lo, uint64_t hi, uint64_t dflt) {
    const char *v = getenv(name);
    if (!v || !v[0]) return dflt;
    char *end;
    unsigned long long x = strtoull(v, &end, 10);
    if (*end || v[0] == '-' || x < lo || x > hi) {
        LOG_W("hansad", "%s=%s ignored: want an integer in %llu..%llu", name, v,
              (unsigned long long)lo, (unsigned long long)hi);
        return dflt;
    }
    return x;
}

static bool is_dir(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Finds the explorer's files and the JavaScript library it imports:
 * $HANSA_EXPLORER_DIR (library in its lib/), else beside an installed
 * binary (/usr/bin/hansad -> /usr/share/hansa/explorer, library in its
 * lib/), else in the source tree of a build (build/<flavour>/hansad ->
 * explorer/ and clients/js/src/). False if none is there. */
bool explorer_dir_find(char *dir, char *lib, size_t len) {
    const char *env = getenv("HANSA_EXPLORER_DIR");
    if (env && env[0]) {
        snprintf(dir, len, "%s", env);
        snprintf(lib, len, "%s/lib", env);
        return is_dir(dir) && is_dir(lib);
    }
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) return false;
    exe[n] = '\0';
    const char *bin = dirname(exe);
    snprintf(dir, len, "%s/../share/hansa/explorer", bin);
    snprintf(lib, len, "%s/../share/hansa/explorer/lib", bin);
    if (is_dir(dir) && is_dir(lib)) return true;
    snprintf(dir, len, "%s/../../explorer", bin);
    snprintf(lib, len, "%s/../../clients/js/src", bin);
    return is_dir(dir) && is_dir(lib);
}
