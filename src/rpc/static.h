/* static.h — the web explorer's files over the node's HTTP port.
 *
 * GET /explorer/ serves dir/index.html, /explorer/<path> the file dir/<path>,
 * and /explorer/lib/<path> the file lib_dir/<path> (the JavaScript client
 * library the explorer imports). static.c says which paths are accepted. */
#ifndef HANSA_RPC_STATIC_H
#define HANSA_RPC_STATIC_H

#include <stdbool.h>

#include "rpc/server.h"

typedef struct rpc_static rpc_static;

/* Serves the two folders (paths copied) on server (borrowed: free this
 * before the server). Files are read at each request. */
rpc_static *rpc_static_new(rpc_server *server, const char *dir, const char *lib_dir);
void rpc_static_free(rpc_static *st);

/* True if rel, a request path below /explorer/ (after MHD's %-decoding), may
 * be opened under a served folder: at most 200 bytes of [A-Za-z0-9._-] and
 * '/', no empty segment, no segment starting with '.', no trailing '/'.
 * Untrusted input: fuzzed by fuzz/fuzz_http_query.c. */
bool rpc_static_path_ok(const char *rel);

#endif
