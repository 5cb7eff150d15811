/* static.c — serves the web explorer's files (docs/rpc.md, "Explorer").
 *
 * The explorer is plain HTML, CSS and ES modules with no build step, so the
 * node only has to hand out files: GET /explorer/<path> reads <path> under
 * the explorer folder, and /explorer/lib/<path> under the JavaScript client
 * library's folder (clients/js/src in the source tree), which the explorer
 * imports. Files are read on each request (they are small, and an operator
 * can update them without restarting the node).
 *
 * The path comes from the network, so it is checked before it touches the
 * file system: only [A-Za-z0-9._-] and '/' characters, no empty, "." or ".."
 * segment, no segment starting with '.', at most RPC_STATIC_PATH_MAX bytes.
 * Anything else is 404, like a file that does not exist. Files larger than
 * RPC_STATIC_FILE_MAX are refused (500 with a log line): the folders hold the
 * project's own small assets. */
#include "rpc/static.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "base/assert.h"
#include "base/log.h"
#include "base/mem.h"
#include "rpc/server_internal.h"

#define RPC_STATIC_PATH_MAX 200
#define RPC_STATIC_FILE_MAX (4u << 20)
#define STATIC_PREFIX "/explorer"
#define STATIC_LIB_PREFIX "/explorer/lib/"

struct rpc_static {
    rpc_server *server;
    char *dir;     /* explorer folder */
    char *lib_dir; /* client library folder */
};

static enum MHD_Result queue_bytes(struct MHD_Connection *conn, unsigned status,
                                   const char *content_type, void *bytes, size_t len,
                                   enum MHD_ResponseMemoryMode mode) {
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, bytes, mode);
    if (!resp) return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    /* Everything the explorer loads or calls is on this node: no CDN, no
     * inline script, no other origin. */
    MHD_add_response_header(resp, "Content-Security-Policy",
                            "default-src 'self'; img-src 'self' data:; style-src 'self'; "
                            "frame-ancestors 'none'");
    enum MHD_Result r = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    return r;
}

static enum MHD_Result queue_msg(struct MHD_Connection *conn, unsigned status, const char *msg) {
    return queue_bytes(conn, status, "text/plain; charset=utf-8", (void *)msg, strlen(msg),
                       MHD_RESPMEM_PERSISTENT);
}

bool rpc_static_path_ok(const char *rel) {
    size_t n = strlen(rel);
    if (n == 0 || n > RPC_STATIC_PATH_MAX) return false;
    bool seg_start = true;
    for (size_t i = 0; i < n; i++) {
        char c = rel[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '-' || c == '/';
        if (!ok) return false;
        if (seg_start && (c == '/' || c == '.')) return false; /* "//", ".x", "..", "." */
        seg_start = c == '/';
    }
    return !seg_start; /* no trailing '/' */
}

static const char *content_type_of(const char *path) {
    static const struct {
        const char *ext, *type;
    } types[] = {
        {".html", "text/html; charset=utf-8"},  {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
        {".json", "application/json"},           {".svg", "image/svg+xml"},
        {".png", "image/png"},                   {".txt", "text/plain; charset=utf-8"},
    };
    const char *dot = strrchr(path, '.');
    for (size_t i = 0; dot && i < sizeof types / sizeof types[0]; i++)
        if (strcmp(dot, types[i].ext) == 0) return types[i].type;
    return "application/octet-stream";
}

/* Reads dir/rel and queues it, or 404 / 500. */
static enum MHD_Result serve_file(struct MHD_Connection *conn, const char *dir, const char *rel) {
    if (!rpc_static_path_ok(rel)) return queue_msg(conn, MHD_HTTP_NOT_FOUND, "not found\n");
    char path[4096];
    int pn = snprintf(path, sizeof path, "%s/%s", dir, rel);
    if (pn < 0 || (size_t)pn >= sizeof path) return queue_msg(conn, MHD_HTTP_NOT_FOUND, "not found\n");
    FILE *f = fopen(path, "rb");
    if (!f) return queue_msg(conn, MHD_HTTP_NOT_FOUND, "not found\n");
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        return queue_msg(conn, MHD_HTTP_NOT_FOUND, "not found\n");
    }
    if ((uint64_t)st.st_size > RPC_STATIC_FILE_MAX) {
        fclose(f);
        LOG_W("rpc", "explorer file %s is over %u bytes: not served", path, RPC_STATIC_FILE_MAX);
        return queue_msg(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "file too large\n");
    }
    size_t len = (size_t)st.st_size;
    uint8_t *buf = hansa_malloc(len ? len : 1);
    size_t got = fread(buf, 1, len, f);
    bool err = ferror(f);
    fclose(f);
    if (err || got != len) {
        free(buf);
        LOG_W("rpc", "reading explorer file %s failed", path);
        return queue_msg(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "read failed\n");
    }
    return queue_bytes(conn, MHD_HTTP_OK, content_type_of(rel), buf, len, MHD_RESPMEM_MUST_FREE);
}

static enum MHD_Result on_get(struct MHD_Connection *conn, const char *url, void *ctx) {
    rpc_static *st = ctx;
    HANSA_ASSERT(strncmp(url, STATIC_PREFIX, strlen(STATIC_PREFIX)) == 0);
    const char *rest = url + strlen(STATIC_PREFIX);
    if (rest[0] == '\0') {
        /* "/explorer" → "/explorer/", so relative links resolve inside it. */
        struct MHD_Response *resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
        if (!resp) return MHD_NO;
        MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, STATIC_PREFIX "/");
        enum MHD_Result r = MHD_queue_response(conn, MHD_HTTP_MOVED_PERMANENTLY, resp);
        MHD_destroy_response(resp);
        return r;
    }
    if (rest[0] != '/') return queue_msg(conn, MHD_HTTP_NOT_FOUND, "not found\n");
    if (rest[1] == '\0') return serve_file(conn, st->dir, "index.html");
    if (strncmp(url, STATIC_LIB_PREFIX, strlen(STATIC_LIB_PREFIX)) == 0)
        return serve_file(conn, st->lib_dir, url + strlen(STATIC_LIB_PREFIX));
    return serve_file(conn, st->dir, rest + 1);
}

rpc_static *rpc_static_new(rpc_server *server, const char *dir, const char *lib_dir) {
    HANSA_ASSERT(server != NULL);
    HANSA_ASSERT(dir != NULL && lib_dir != NULL);
    rpc_static *st = hansa_calloc(1, sizeof *st);
    st->server = server;
    st->dir = hansa_strdup(dir);
    st->lib_dir = hansa_strdup(lib_dir);
    rpc_route_get(server, STATIC_PREFIX, on_get, st);
    return st;
}

void rpc_static_free(rpc_static *st) {
    if (!st) return;
    rpc_route_remove(st->server, st);
    free(st->dir);
    free(st->lib_dir);
    free(st);
}
