/* http_extras.h — the node's HTTP endpoints beside JSON-RPC: the event
 * stream (GET /events, rpc/events.h) and the web explorer's files
 * (GET /explorer/, rpc/static.h), set up for hansad in one place: where the
 * explorer's folders are, and the stream's limits from the environment. */
#ifndef HANSA_CMD_HTTP_EXTRAS_H
#define HANSA_CMD_HTTP_EXTRAS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "base/buf.h"
#include "node/node.h"
#include "rpc/server.h"

typedef struct http_extras http_extras;

/* Starts both endpoints on server for node n (all borrowed; free this
 * before the server). rpc_addr is only for the log line naming the
 * explorer's URL. The explorer is off (logged) if its files are not found. */
http_extras *http_extras_start(uv_loop_t *loop, rpc_server *server, node *n, const char *rpc_addr);
/* After each commit: the stream's events. */
void http_extras_on_commit(http_extras *x, uint64_t height);
/* Appends the stream's metrics (Prometheus text). */
void http_extras_metrics(const http_extras *x, hbuf *out);
void http_extras_free(http_extras *x);

/* Finds the explorer's folder (dir) and the JavaScript library it imports
 * (lib), each at most len bytes: $HANSA_EXPLORER_DIR (library in its lib/),
 * else beside an installed binary (/usr/bin/hansad ->
 * /usr/share/hansa/explorer, library in its lib/), else in the source tree
 * of a build (build/<flavour>/hansad -> explorer/ and clients/js/src/).
 * False if none is there. */
bool explorer_dir_find(char *dir, char *lib, size_t len);

/* The integer in environment variable name if it is within [lo, hi], else
 * dflt (a malformed or out-of-range value is logged and ignored). */
uint64_t env_u64_in(const char *name, uint64_t lo, uint64_t hi, uint64_t dflt);

#endif
