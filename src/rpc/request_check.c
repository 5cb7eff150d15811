/* request_check.c — what a request's headers must be before the server
 * reads its body or routes it (see server.h).
 *
 * DNS rebinding: a web page at http://evil.example:26657/ whose name the
 * attacker re-points at 127.0.0.1 is, to the browser, the same origin as the
 * node, so its scripts could call the node's RPC. The browser still sends
 * `Host: evil.example:26657`. So the Host (and an Origin, when a browser
 * sends one) must name an IP literal, localhost (RFC 6761 keeps it and
 * *.localhost on loopback), or a name the operator allowed in config.json.
 *
 * Framing: a request with two Content-Length headers, or Content-Length and
 * Transfer-Encoding, can be read two ways (request smuggling behind a
 * proxy); one with a transfer coding other than chunked, or a content
 * coding (gzip...) the server does not decode, would be read wrong or
 * wait for bytes that never come. All are refused at once. */
#include <arpa/inet.h>
#include <ctype.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/mem.h"
#include "rpc/server_internal.h"

/* Longest Host or Origin value looked at; longer ones are refused. */
#define HOST_TEXT_MAX 256

void rpc_host_list_init(rpc_host_list *l, const char *const *names, size_t count) {
    l->count = names ? count : 0;
    l->names = l->count ? hansa_calloc(l->count, sizeof *l->names) : NULL;
    for (size_t i = 0; i < l->count; i++) {
        l->names[i] = hansa_strdup(names[i]);
        for (char *c = l->names[i]; *c; c++) *c = (char)tolower((unsigned char)*c);
    }
}

void rpc_host_list_free(rpc_host_list *l) {
    for (size_t i = 0; i < l->count; i++) free(l->names[i]);
    free(l->names);
    l->names = NULL;
    l->count = 0;
}

/* Whether host (no port; an IPv6 literal without its brackets) may be named. */
static bool host_name_ok(const char *host, const rpc_host_list *l) {
    unsigned char addr[16];
    if (inet_pton(AF_INET, host, addr) == 1 || inet_pton(AF_INET6, host, addr) == 1) return true;
    size_t n = strlen(host);
    static const char local[] = "localhost", dot_local[] = ".localhost";
    if (strcasecmp(host, local) == 0) return true;
    if (n > sizeof dot_local - 1 && strcasecmp(host + n - (sizeof dot_local - 1), dot_local) == 0)
        return true;
    for (size_t i = 0; i < l->count; i++)
        if (strcasecmp(host, l->names[i]) == 0) return true;
    return false;
}

/* Whether port (after the colon of an authority) is digits only. */
static bool port_ok(const char *port) {
    for (const char *d = port; *d; d++)
        if (!isdigit((unsigned char)*d)) return false;
    return true;
}

/* Whether "host[:port]" or "[v6][:port]" (a Host header, or an Origin's
 * authority) names an allowed host. */
static bool authority_ok(const char *auth, const rpc_host_list *l) {
    char host[HOST_TEXT_MAX];
    size_t n = strlen(auth);
    if (n == 0 || n >= sizeof host) return false;
    if (auth[0] == '[') {
        const char *end = strchr(auth, ']');
        if (!end || (end[1] != '\0' && (end[1] != ':' || !port_ok(end + 2)))) return false;
        size_t len = (size_t)(end - auth - 1);
        memcpy(host, auth + 1, len);
        host[len] = '\0';
        unsigned char addr[16];
        return inet_pton(AF_INET6, host, addr) == 1;
    }
    const char *colon = strchr(auth, ':');
    size_t len = colon ? (size_t)(colon - auth) : n;
    if (colon && (strchr(colon + 1, ':') || !port_ok(colon + 1)))
        return false; /* a bare IPv6 literal is not a Host */
    memcpy(host, auth, len);
    host[len] = '\0';
    return host_name_ok(host, l);
}

/* Whether an Origin header ("scheme://authority", or "null") is allowed. */
static bool origin_ok(const char *origin, const rpc_host_list *l) {
    const char *sep = strstr(origin, "://");
    if (!sep) return false; /* "null" (sandboxed frames, files) included */
    size_t scheme = (size_t)(sep - origin);
    if (!((scheme == 4 && strncasecmp(origin, "http", 4) == 0) ||
          (scheme == 5 && strncasecmp(origin, "https", 5) == 0)))
        return false;
    const char *auth = sep + 3;
    return strchr(auth, '/') == NULL && authority_ok(auth, l);
}

typedef struct {
    unsigned content_length, host, transfer_encoding, content_encoding;
} header_counts;

static enum MHD_Result count_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                    const char *value) {
    (void)kind;
    (void)value;
    header_counts *c = cls;
    if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0) c->content_length++;
    else if (strcasecmp(key, MHD_HTTP_HEADER_HOST) == 0) c->host++;
    else if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0) c->transfer_encoding++;
    else if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_ENCODING) == 0) c->content_encoding++;
    return MHD_YES;
}

/* A header's value with its surrounding blanks dropped equals want (any case). */
static bool value_is(const char *v, const char *want) {
    while (*v == ' ' || *v == '\t') v++;
    size_t n = strlen(v);
    while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t')) n--;
    return n == strlen(want) && strncasecmp(v, want, n) == 0;
}

/* Fills err for header (named in data) and returns status. */
static unsigned refuse(rpc_error *err, unsigned status, const char *header, const char *message) {
    rpc_error_set(err, RPC_INVALID_REQUEST, json_pack("{s:s}", "header", header), "%s", message);
    return status;
}

unsigned rpc_request_check_headers(struct MHD_Connection *conn, const rpc_host_list *hosts,
                                   rpc_error *err) {
    header_counts c = {0};
    MHD_get_connection_values(conn, MHD_HEADER_KIND, count_header, &c);
    if (c.content_length > 1)
        return refuse(err, MHD_HTTP_BAD_REQUEST, "Content-Length", "more than one Content-Length");
    if (c.host > 1) return refuse(err, MHD_HTTP_BAD_REQUEST, "Host", "more than one Host");
    if (c.transfer_encoding > 0 && c.content_length > 0)
        return refuse(err, MHD_HTTP_BAD_REQUEST, "Transfer-Encoding",
                      "both Content-Length and Transfer-Encoding");
    const char *te = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                 MHD_HTTP_HEADER_TRANSFER_ENCODING);
    if (c.transfer_encoding > 1 || (te && !value_is(te, "chunked")))
        return refuse(err, MHD_HTTP_NOT_IMPLEMENTED, "Transfer-Encoding",
                      "unsupported transfer encoding (only chunked)");
    const char *ce = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                 MHD_HTTP_HEADER_CONTENT_ENCODING);
    if (c.content_encoding > 1 || (ce && !value_is(ce, "identity")))
        return refuse(err, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, "Content-Encoding",
                      "unsupported content encoding (send the body as it is)");
    const char *host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
    if (host && !authority_ok(host, hosts))
        return refuse(err, MHD_HTTP_FORBIDDEN, "Host",
                      "Host must be an IP address, localhost, or a name the node allows "
                      "(config.json rpc_allowed_hosts): DNS rebinding protection");
    const char *origin = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Origin");
    if (origin && !origin_ok(origin, hosts))
        return refuse(err, MHD_HTTP_FORBIDDEN, "Origin",
                      "Origin must be http(s):// an IP address, localhost, or a name the node "
                      "allows (config.json rpc_allowed_hosts)");
    return 0;
}
