/* metrics.c — the rpc server's counters in Prometheus text format.
 *
 * The exposition format (version 0.0.4) is lines of `name{labels} value`,
 * each metric preceded by `# HELP` and `# TYPE` lines. The node appends its
 * own metrics after these through the callback given to rpc_set_metrics,
 * using rpc_metrics_printf. */
#include <inttypes.h>
#include <stdio.h>

#include "base/assert.h"
#include "rpc/server_internal.h"

void rpc_metrics_printf(hbuf *out, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    HANSA_ASSERT(n >= 0);
    /* +1 for vsnprintf's NUL, which is then dropped from the length. */
    char *dst = (char *)hbuf_extend(out, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(dst, (size_t)n + 1, fmt, ap);
    va_end(ap);
    out->len--;
}

static const int counted_codes[RPC_COUNTED_CODE_COUNT] = {
#define RPC_COUNTED_VALUE(code) code,
    RPC_COUNTED_CODES(RPC_COUNTED_VALUE)
#undef RPC_COUNTED_VALUE
};

void rpc_counters_error(rpc_counters *c, int code) {
    for (int i = 0; i < RPC_COUNTED_CODE_COUNT; i++) {
        if (counted_codes[i] == code) {
            c->errors[i]++;
            return;
        }
    }
    c->errors_other++;
}

static void counter(hbuf *out, const char *name, const char *help, uint64_t v) {
    rpc_metrics_printf(out, "# HELP %s %s\n# TYPE %s counter\n%s %" PRIu64 "\n", name, help, name,
                       name, v);
}

void rpc_counters_write(const rpc_counters *c, const conns_counters *cc, unsigned pending,
                        unsigned open_connections, hbuf *out) {
    counter(out, "hansa_rpc_http_requests_total", "HTTP requests received, any path.",
            c->http_requests);
    counter(out, "hansa_rpc_requests_refused_total",
            "Requests refused from their headers (Host, Origin, Content-Length, encodings).",
            c->requests_refused);
    rpc_metrics_printf(out, "# HELP hansa_rpc_connections Open HTTP connections.\n"
                            "# TYPE hansa_rpc_connections gauge\nhansa_rpc_connections %u\n",
                       open_connections);
    rpc_metrics_printf(out,
                       "# HELP hansa_rpc_connections_refused_total Connections refused at accept.\n"
                       "# TYPE hansa_rpc_connections_refused_total counter\n"
                       "hansa_rpc_connections_refused_total{reason=\"per_client\"} %" PRIu64 "\n"
                       "hansa_rpc_connections_refused_total{reason=\"full\"} %" PRIu64 "\n",
                       cc->refused_per_client, cc->refused_full);
    counter(out, "hansa_rpc_connections_evicted_total",
            "Idle or slow connections closed to give their slot to a newcomer.", cc->evicted);
    counter(out, "hansa_rpc_clients_gone_total",
            "Connections closed at once because their client closed its socket.", cc->gone);
    counter(out, "hansa_rpc_calls_total", "JSON-RPC calls received (batch members each).",
            c->calls);
    counter(out, "hansa_rpc_too_large_total", "Request bodies refused as too large.",
            c->too_large);
    counter(out, "hansa_rpc_timeouts_total", "Deferred calls that timed out.", c->timeouts);
    rpc_metrics_printf(out, "# HELP hansa_rpc_pending Deferred calls awaiting an answer.\n"
                            "# TYPE hansa_rpc_pending gauge\nhansa_rpc_pending %u\n",
                       pending);
    rpc_metrics_printf(out, "# HELP hansa_rpc_errors_total Error responses by JSON-RPC code.\n"
                            "# TYPE hansa_rpc_errors_total counter\n");
    for (int i = 0; i < RPC_COUNTED_CODE_COUNT; i++)
        rpc_metrics_printf(out, "hansa_rpc_errors_total{code=\"%d\"} %" PRIu64 "\n",
                           counted_codes[i], c->errors[i]);
    rpc_metrics_printf(out, "hansa_rpc_errors_total{code=\"other\"} %" PRIu64 "\n",
                       c->errors_other);
}
