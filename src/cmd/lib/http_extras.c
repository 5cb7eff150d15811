/* http_extras.c — hansad's event stream and explorer endpoints (see
 * http_extras.h). */
#include "cmd/lib/http_extras.h"

#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"
#include "base/mem.h"
#include "rpc/events.h"
#include "rpc/static.h"

#define EXPLORER_PATH_MAX 4096

struct http_extras {
    rpc_events *events;  /* GET /events */
    rpc_static *explorer; /* GET /explorer/ (NULL when its files are not found) */
};

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

http_extras *http_extras_start(uv_loop_t *loop, rpc_server *server, node *n, const char *rpc_addr) {
    http_extras *x = hansa_calloc(1, sizeof *x);
    rpc_events_config ec = {0};
    ec.max_subscribers = (unsigned)env_u64_in("HANSA_EVENTS_SUBSCRIBERS", 1, 256, 0);
    ec.max_buffer_bytes = (size_t)env_u64_in("HANSA_EVENTS_BUFFER_BYTES", 1024, 64u << 20, 0);
    x->events = rpc_events_new(loop, server, n, &ec);
    char dir[EXPLORER_PATH_MAX], lib[EXPLORER_PATH_MAX];
    if (explorer_dir_find(dir, lib, sizeof dir)) {
        x->explorer = rpc_static_new(server, dir, lib);
        LOG_I("hansad", "explorer at http://%s/explorer/ (files in %s)", rpc_addr, dir);
    } else {
        LOG_W("hansad", "explorer files not found (set HANSA_EXPLORER_DIR): /explorer/ is off");
    }
    return x;
}

void http_extras_on_commit(http_extras *x, uint64_t height) { rpc_events_on_commit(x->events, height); }

void http_extras_metrics(const http_extras *x, hbuf *out) { rpc_events_metrics_write(x->events, out); }

void http_extras_free(http_extras *x) {
    if (!x) return;
    rpc_events_free(x->events);
    rpc_static_free(x->explorer);
    free(x);
}
