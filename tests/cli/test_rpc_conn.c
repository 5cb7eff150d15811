/* test_rpc_conn.c — the load generator's kept-alive connection
 * (cmd/lib/rpc_client.c: rpcc_conn, rpcc_head_parse).
 *
 * A scripted HTTP server on a thread of this test plays what a node can do
 * to a kept connection: answer and keep it, close it while a request is on
 * its way (the request must go again, once, on a new connection), close it
 * between requests (found before the next request, no resend), answer with
 * "Connection: close". What a resent submit_txs meets at the node (its
 * transactions as duplicates) is tests/cli/test_load_form.c. Nothing here
 * is timed. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "cmd/lib/rpc_client.h"

/* ---- rpcc_head_parse ---- */

static int head(const char *text, rpcc_head *h) {
    char why[128] = "";
    int r = rpcc_head_parse(text, strlen(text), h, why, sizeof why);
    if (r < 0) CHECK(strstr(why, "malformed HTTP reply") != NULL);
    return r;
}

static void test_head_parse(void) {
    rpcc_head h;
    CHECK(head("HTTP/1.1 200 OK\r\nContent-Length: 12\r\nContent-Type: application/json\r\n\r\n{}", &h) == 1);
    CHECK(h.status == 200 && h.has_length && h.content_len == 12 && !h.close);
    CHECK(h.head_len == strlen("HTTP/1.1 200 OK\r\nContent-Length: 12\r\nContent-Type: application/json\r\n\r\n"));
    CHECK(head("HTTP/1.1 413 Too Large\r\ncontent-length:  3 \r\nCONNECTION: Close\r\n\r\n", &h) == 1);
    CHECK(h.status == 413 && h.content_len == 3 && h.close);
    CHECK(head("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", &h) == 1 && h.close);
    CHECK(head("HTTP/1.1 200 OK\r\n\r\n", &h) == 1 && !h.has_length);
    /* Not yet complete: read more. */
    CHECK(head("HTTP/1.1 200 OK\r\nContent-Len", &h) == 0);
    CHECK(head("", &h) == 0);
    /* Malformed. */
    CHECK(head("HTTX/1.1 200 OK\r\n\r\n", &h) == -1);
    CHECK(head("HTTP/1.1 2x0 OK\r\n\r\n", &h) == -1);
    CHECK(head("HTTP/1.1 2000 OK\r\n\r\n", &h) == -1);
    CHECK(head("HTTP/1.1 200\r\n\r\n", &h) == 1 && h.status == 200); /* no reason phrase */
    CHECK(head("HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n", &h) == -1);
    CHECK(head("HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\n", &h) == -1);
    CHECK(head("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n", &h) == -1);
    CHECK(head("HTTP/1.1 200 OK\r\nContent-Length: 67108865\r\n\r\n", &h) == -1); /* over RPCC_REPLY_MAX */
    CHECK(head("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n", &h) == -1);
    CHECK(head("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", &h) == -1);
    CHECK(head("HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", &h) == -1);
    /* A head that never ends is refused once it passes the bound. */
    static char big[RPCC_HEAD_MAX + 64];
    memcpy(big, "HTTP/1.1 200 OK\r\nX: ", 20);
    memset(big + 20, 'a', sizeof big - 21);
    big[sizeof big - 1] = 0;
    CHECK(head(big, &h) == -1);
}

/* ---- a scripted server ---- */

/* What the server does on the connection it accepts k-th. */
typedef enum {
    SCRIPT_ANSWER_THEN_DROP_NEXT, /* answer one request, read the next, close unanswered */
    SCRIPT_ANSWER_THEN_CLOSE,     /* answer one request, then close (idle timeout) */
    SCRIPT_ANSWER_CLOSE_HEADER,   /* answer one request with Connection: close, then close */
    SCRIPT_ANSWER_TWICE,          /* answer two requests on one connection */
    SCRIPT_DROP,                  /* read one request, close unanswered */
    SCRIPT_STALL,                 /* read nothing until released, then close */
    SCRIPT_TRICKLE,               /* read 64 KiB every 10 ms until the client closes */
    /* Answer one request, then the next one oddly, then close: */
    SCRIPT_PARTIAL,               /* half a reply */
    SCRIPT_EXTRA,                 /* bytes past its Content-Length */
    SCRIPT_TO_CLOSE,              /* a body without a Content-Length, ending at the close */
} script;

typedef struct {
    int listen_fd;
    int port;
    const script *plan;
    int n_plan;
    int requests[8];   /* requests read per connection */
    int closed_pipe[2]; /* a byte after each connection is closed */
    int release_pipe[2]; /* SCRIPT_STALL waits for a byte here */
    pthread_t thread;
} server;

/* Reads one request (head and Content-Length body) from fd; its body into
 * body. Returns false at EOF. */
static bool read_request(int fd, char *body, size_t body_max) {
    char buf[65536];
    size_t n = 0;
    for (;;) {
        ssize_t k = recv(fd, buf + n, sizeof buf - 1 - n, 0);
        if (k <= 0) return false;
        n += (size_t)k;
        buf[n] = 0;
        char *end = strstr(buf, "\r\n\r\n");
        const char *cl = strstr(buf, "Content-Length: ");
        if (!end || !cl) continue;
        size_t len = strtoul(cl + 16, NULL, 10);
        size_t have = n - (size_t)(end + 4 - buf);
        if (have < len) continue;
        CHECK(have == len && len < body_max);
        memcpy(body, end + 4, len);
        body[len] = 0;
        return true;
    }
}

/* Answers with the request's own body echoed in a JSON-RPC result. */
static void answer(int fd, const char *req, bool close_header) {
    char body[512], reply[1024];
    int bn = snprintf(body, sizeof body, "{\"jsonrpc\":\"2.0\",\"id\":0,\"result\":%s}", req);
    int n = snprintf(reply, sizeof reply, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n%s\r\n%s", bn,
                     close_header ? "Connection: close\r\n" : "", body);
    CHECK(send(fd, reply, (size_t)n, MSG_NOSIGNAL) == n);
}

/* A reply that is not a whole answer, sent to the request read on fd:
 * half a body then a close, bytes past the body, or a body ending at the close. */
static void answer_oddly(int fd, script how) {
    static const char partial[] = "HTTP/1.1 200 OK\r\nContent-Length: 40\r\n\r\n{\"jsonrpc\":\"2.0\"";
    static const char extra[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}HTTP/1.1 200 OK\r\n";
    static const char to_close[] = "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n{\"result\":7}";
    const char *r = how == SCRIPT_PARTIAL ? partial : how == SCRIPT_EXTRA ? extra : to_close;
    CHECK(send(fd, r, strlen(r), MSG_NOSIGNAL) == (ssize_t)strlen(r));
}

/* Reads what comes slowly, as a node too busy to read would. */
static void trickle(int fd) {
    static char sink[65536];
    while (recv(fd, sink, sizeof sink, 0) > 0) usleep(10000);
}

static void *server_main(void *arg) {
    server *s = arg;
    for (int k = 0; k < s->n_plan; k++) {
        int fd = accept(s->listen_fd, NULL, NULL);
        CHECK(fd >= 0);
        char req[512];
        if (s->plan[k] == SCRIPT_STALL) {
            char b;
            CHECK(read(s->release_pipe[0], &b, 1) == 1);
            close(fd);
            continue;
        }
        if (s->plan[k] == SCRIPT_TRICKLE) {
            trickle(fd);
            close(fd);
            continue;
        }
        if (s->plan[k] >= SCRIPT_PARTIAL) {
            if (read_request(fd, req, sizeof req)) answer(fd, req, false);
            if (read_request(fd, req, sizeof req)) s->requests[k]++;
            answer_oddly(fd, s->plan[k]);
            close(fd);
            CHECK(write(s->closed_pipe[1], "x", 1) == 1);
            continue;
        }
        int answers = s->plan[k] == SCRIPT_ANSWER_TWICE ? 2 : s->plan[k] == SCRIPT_DROP ? 0 : 1;
        for (int i = 0; i < answers && read_request(fd, req, sizeof req); i++) {
            s->requests[k]++;
            answer(fd, req, s->plan[k] == SCRIPT_ANSWER_CLOSE_HEADER);
        }
        bool drop = s->plan[k] == SCRIPT_ANSWER_THEN_DROP_NEXT || s->plan[k] == SCRIPT_DROP;
        if (drop && read_request(fd, req, sizeof req)) s->requests[k]++;
        close(fd);
        CHECK(write(s->closed_pipe[1], "x", 1) == 1);
    }
    return NULL;
}

static void server_start(server *s, const script *plan, int n_plan) {
    memset(s, 0, sizeof *s);
    s->plan = plan;
    s->n_plan = n_plan;
    s->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    CHECK(bind(s->listen_fd, (struct sockaddr *)&sa, sizeof sa) == 0);
    CHECK(listen(s->listen_fd, 4) == 0);
    socklen_t len = sizeof sa;
    CHECK(getsockname(s->listen_fd, (struct sockaddr *)&sa, &len) == 0);
    s->port = ntohs(sa.sin_port);
    CHECK(pipe(s->closed_pipe) == 0);
    CHECK(pipe(s->release_pipe) == 0);
    CHECK(pthread_create(&s->thread, NULL, server_main, s) == 0);
}

/* The scripted server, and a connection to it (not yet opened). */
static void start_with(server *s, const script *plan, int n_plan, rpcc_conn *c) {
    server_start(s, plan, n_plan);
    char addr[64];
    snprintf(addr, sizeof addr, "127.0.0.1:%d", s->port);
    rpcc_conn_init(c, addr);
}

static void server_wait_closed(server *s) {
    char b;
    CHECK(read(s->closed_pipe[0], &b, 1) == 1);
}

static void server_stop(server *s) {
    pthread_join(s->thread, NULL);
    close(s->release_pipe[0]);
    close(s->release_pipe[1]);
    close(s->listen_fd);
    close(s->closed_pipe[0]);
    close(s->closed_pipe[1]);
}

/* One call over c whose reply must echo n. */
static void call_echo(rpcc_conn *c, int n) {
    char body[64];
    snprintf(body, sizeof body, "{\"n\":%d}", n);
    size_t len = 0;
    int status = 0;
    rpcc_error err;
    const uint8_t *reply = rpcc_conn_post(c, "/", "application/json", body, strlen(body), 5000, &len, &status, &err);
    CHECK(reply != NULL);
    if (!reply) {
        fprintf(stderr, "  call %d: %s\n", n, err.message);
        return;
    }
    char want[128];
    snprintf(want, sizeof want, "{\"jsonrpc\":\"2.0\",\"id\":0,\"result\":%s}", body);
    CHECK(status == 200);
    CHECK(len == strlen(want) && memcmp(reply, want, len) == 0);
}

static void test_keep_alive_and_resend(void) {
    static const script plan[] = {SCRIPT_ANSWER_THEN_DROP_NEXT, SCRIPT_ANSWER_THEN_CLOSE,
                                  SCRIPT_ANSWER_CLOSE_HEADER, SCRIPT_ANSWER_TWICE};
    server s;
    rpcc_conn c;
    start_with(&s, plan, 4, &c);
    call_echo(&c, 1); /* connection 0 answers and keeps it */
    CHECK_EQ_U64(c.dials, 1);
    /* Connection 0 reads this one and closes without a reply: sent again on connection 1. */
    call_echo(&c, 2);
    CHECK_EQ_U64(c.dials, 2);
    CHECK_EQ_U64(c.resent, 1);
    server_wait_closed(&s); /* connection 0 */
    server_wait_closed(&s); /* connection 1 closed after its answer, between requests */
    call_echo(&c, 3); /* found closed before sending: connection 2, no resend */
    CHECK_EQ_U64(c.dials, 3);
    CHECK_EQ_U64(c.resent, 1);
    /* Connection 2 said Connection: close: the client closed it itself. */
    CHECK(c.fd < 0);
    call_echo(&c, 4);
    call_echo(&c, 5); /* connection 3 kept for both */
    CHECK_EQ_U64(c.dials, 4);
    CHECK_EQ_U64(c.resent, 1);
    rpcc_conn_free(&c);
    server_stop(&s);
    CHECK(s.requests[0] == 2 && s.requests[1] == 1 && s.requests[2] == 1 && s.requests[3] == 2);
}

/* A request that fails on a fresh connection is not sent again: the node
 * may be down, and the caller backs off. */
static void test_fresh_connection_not_resent(void) {
    static const script plan[] = {SCRIPT_ANSWER_THEN_DROP_NEXT};
    server s;
    rpcc_conn c;
    start_with(&s, plan, 1, &c);
    call_echo(&c, 1);
    close(s.listen_fd); /* no second connection can be made */
    s.listen_fd = -1;
    size_t len;
    int status;
    rpcc_error err;
    CHECK(rpcc_conn_post(&c, "/", "application/json", "{}", 2, 5000, &len, &status, &err) == NULL);
    CHECK(err.code == 0 && err.message[0]);
    CHECK_EQ_U64(c.resent, 1); /* resent once after the kept connection closed, then the dial failed */
    CHECK(rpcc_conn_post(&c, "/", "application/json", "{}", 2, 5000, &len, &status, &err) == NULL);
    CHECK_EQ_U64(c.resent, 1); /* a fresh connection that fails is not resent */
    rpcc_conn_free(&c);
    pthread_join(s.thread, NULL);
    close(s.closed_pipe[0]);
    close(s.closed_pipe[1]);
    close(s.release_pipe[0]);
    close(s.release_pipe[1]);
}

/* A kept connection found closed is replaced before the request goes out;
 * if the new one then closes unanswered, the request is not sent a third
 * time: that connection was fresh. */
static void test_replaced_connection_not_resent(void) {
    static const script plan[] = {SCRIPT_ANSWER_THEN_CLOSE, SCRIPT_DROP};
    server s;
    rpcc_conn c;
    start_with(&s, plan, 2, &c);
    call_echo(&c, 1);
    server_wait_closed(&s);
    size_t len;
    int status;
    rpcc_error err;
    CHECK(rpcc_conn_post(&c, "/", "application/json", "{}", 2, 5000, &len, &status, &err) == NULL);
    CHECK(strstr(err.message, "before replying") != NULL);
    CHECK_EQ_U64(c.dials, 2);
    CHECK_EQ_U64(c.resent, 0);
    rpcc_conn_free(&c);
    server_stop(&s);
    CHECK(s.requests[0] == 1 && s.requests[1] == 1);
}

/* A node that accepts and reads nothing cannot hold a request's send past
 * the call's timeout (the sockets' buffers take a few MB: the body is
 * larger). Without the send timeout this test does not return. */
static void test_send_bounded_by_timeout(void) {
    static const script plan[] = {SCRIPT_STALL};
    server s;
    rpcc_conn c;
    start_with(&s, plan, 1, &c);
    size_t big = 64u << 20;
    char *body = calloc(1, big);
    CHECK(body != NULL);
    size_t len;
    int status;
    rpcc_error err;
    CHECK(rpcc_conn_post(&c, "/", "application/json", body, big, 300, &len, &status, &err) == NULL);
    CHECK(strstr(err.message, "send to") != NULL);
    CHECK(c.fd < 0);
    free(body);
    CHECK(write(s.release_pipe[1], "x", 1) == 1);
    rpcc_conn_free(&c);
    server_stop(&s);
}

/* A node that reads, but slowly, cannot hold a send past the call's
 * timeout (each send() waiting its own timeout had no bound in all). */
static void test_slow_reader_bounded_by_timeout(void) {
    static const script plan[] = {SCRIPT_TRICKLE};
    server s;
    rpcc_conn c;
    start_with(&s, plan, 1, &c);
    size_t big = 16u << 20, len;
    char *body = calloc(1, big);
    CHECK(body != NULL);
    int status;
    rpcc_error err;
    CHECK(rpcc_conn_post(&c, "/", "application/json", body, big, 300, &len, &status, &err) == NULL);
    CHECK(strstr(err.message, "send to") != NULL && strstr(err.message, "timed out") != NULL);
    free(body);
    rpcc_conn_free(&c); /* the trickling reader sees the close */
    server_stop(&s);
}

/* One echo call, then a call whose reply is not a whole answer on the same
 * kept connection: it fails with why (or reads why, for a body ending at
 * the close), and is not resent — the node answered; a resend would get the
 * next connection's answer. The third call takes that connection. */
static void odd_second_reply(script how, const char *why, bool fails) {
    const script plan[] = {how, SCRIPT_ANSWER_THEN_CLOSE};
    server s;
    rpcc_conn c;
    start_with(&s, plan, 2, &c);
    call_echo(&c, 1);
    size_t len;
    int status;
    rpcc_error err;
    const uint8_t *reply = rpcc_conn_post(&c, "/", "application/json", "{}", 2, 2000, &len, &status, &err);
    CHECK((reply == NULL) == fails);
    if (fails) CHECK(reply == NULL && strstr(err.message, why) != NULL);
    else CHECK(reply != NULL && len == strlen(why) && memcmp(reply, why, len) == 0);
    CHECK(c.resent == 0);
    call_echo(&c, 3);
    rpcc_conn_free(&c);
    server_stop(&s);
    CHECK(s.requests[0] == 1 && s.requests[1] == 1);
}

static void test_odd_replies(void) {
    odd_second_reply(SCRIPT_PARTIAL, "in the middle of its reply", true);
    odd_second_reply(SCRIPT_EXTRA, "bytes past its Content-Length", true);
    odd_second_reply(SCRIPT_TO_CLOSE, "{\"result\":7}", false);
}

int main(void) {
    RUN(test_head_parse);
    RUN(test_keep_alive_and_resend);
    RUN(test_fresh_connection_not_resent);
    RUN(test_replaced_connection_not_resent);
    RUN(test_send_bounded_by_timeout);
    RUN(test_slow_reader_bounded_by_timeout);
    RUN(test_odd_replies);
    return check_summary();
}
