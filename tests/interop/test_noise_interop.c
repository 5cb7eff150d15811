/* Interop of crypto/noise with an independent implementation: the npm package
 * noise-handshake, driven by tests/interop/peer.js over a real loopback TCP
 * socket, in both directions (C initiator with JS responder, JS initiator
 * with C responder). Both sides must agree on the handshake hash and on each
 * other's static key, and then exchange transport messages of every size up
 * to the largest Noise payload. The framing is hansa's: a 2-byte big-endian
 * length before every Noise message (docs/protocol.md).
 *
 * If node or the package cannot be had (no network for npm), the test prints
 * a SKIP line and passes; where they can, it must really pass. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/assert.h"
#include "base/hex.h"
#include "base/rng.h"
#include "check.h"
#include "crypto/noise.h"
#include "crypto/sign.h"

#define PROLOGUE "hansa/noise/v1"
#define INTEROP_DIR "tests/interop"

static bool write_all(int fd, const uint8_t *p, size_t n) {
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

static bool read_all(int fd, uint8_t *p, size_t n) {
    while (n > 0) {
        ssize_t r = read(fd, p, n);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return false;
        p += r;
        n -= (size_t)r;
    }
    return true;
}

static bool send_frame(int fd, const uint8_t *msg, size_t len) {
    uint8_t hdr[2] = {(uint8_t)(len >> 8), (uint8_t)len};
    return len <= NOISE_MSG_MAX && write_all(fd, hdr, 2) && write_all(fd, msg, len);
}

/* Reads one frame into buf[NOISE_MSG_MAX]; returns its length or -1. */
static long recv_frame(int fd, uint8_t *buf) {
    uint8_t hdr[2];
    if (!read_all(fd, hdr, 2)) return -1;
    size_t len = ((size_t)hdr[0] << 8) | hdr[1];
    return read_all(fd, buf, len) ? (long)len : -1;
}

/* Reads one line of the child's stdout (unbuffered, byte by byte: it is short). */
static bool read_line(int fd, char *line, size_t max) {
    size_t n = 0;
    while (n + 1 < max) {
        char c;
        if (read(fd, &c, 1) != 1) return false;
        if (c == '\n') break;
        line[n++] = c;
    }
    line[n] = '\0';
    return true;
}

typedef struct {
    pid_t pid;
    int out; /* the child's stdout */
} child;

static child spawn_peer(char *const argv[]) {
    int fds[2];
    HANSA_ASSERT(pipe(fds) == 0);
    pid_t pid = fork();
    HANSA_ASSERT(pid >= 0);
    if (pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        execvp(argv[0], argv);
        _exit(127);
    }
    close(fds[1]);
    return (child){pid, fds[0]};
}

static int reap(child *c) {
    int status = 0;
    close(c->out);
    waitpid(c->pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void set_timeouts(int fd) {
    struct timeval tv = {20, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

/* Runs the C side of the handshake on fd; returns true when done. */
static bool c_handshake(int fd, noise_handshake *hs, const char *hello) {
    static uint8_t msg[NOISE_MSG_MAX], payload[NOISE_MSG_MAX];
    while (!noise_handshake_done(hs)) {
        size_t n = 0;
        if (noise_handshake_my_turn(hs)) {
            CHECK_ERR(noise_handshake_write(hs, hello, strlen(hello), msg, sizeof msg, &n),
                      HANSA_OK);
            if (!send_frame(fd, msg, n)) return false;
            continue;
        }
        long len = recv_frame(fd, msg);
        if (len < 0) return false;
        CHECK_ERR(noise_handshake_read(hs, msg, (size_t)len, payload, sizeof payload, &n),
                  HANSA_OK);
        CHECK(n == strlen("hello from js") && memcmp(payload, "hello from js", n) == 0);
        if (hs->failed) return false;
    }
    return true;
}

/* Checks the peer's "HASH"/"RS" report against our own view. */
static void check_report(child *c, noise_handshake *hs, const noise_keypair *js) {
    char line[300], want[300];
    uint8_t h[NOISE_HASH_BYTES];
    noise_handshake_hash(hs, h);
    CHECK(read_line(c->out, line, sizeof line));
    hex_encode(h, sizeof h, want + 5);
    memcpy(want, "HASH ", 5);
    CHECK(strcmp(line, want) == 0);
    CHECK(read_line(c->out, line, sizeof line));
    CHECK(strncmp(line, "RS ", 3) == 0);
    CHECK(memcmp(noise_handshake_remote_static(hs), js->pub, NOISE_DH_BYTES) == 0);
}

/* Transport phase: expects "hello from js", then sends messages of many sizes
 * and checks each reply is the reverse, then the empty goodbye. */
static void c_transport(int fd, noise_handshake *hs, hansa_prng *p) {
    noise_cipher tx, rx;
    noise_handshake_split(hs, &tx, &rx);
    static uint8_t plain[NOISE_MSG_MAX], ct[NOISE_MSG_MAX], back[NOISE_MSG_MAX];
    size_t n = 0, m = 0;
    long len = recv_frame(fd, ct);
    CHECK(len > 0);
    if (len <= 0) return;
    CHECK_ERR(noise_cipher_decrypt(&rx, NULL, 0, ct, (size_t)len, back, sizeof back, &m),
              HANSA_OK);
    CHECK(m == 13 && memcmp(back, "hello from js", 13) == 0);
    const size_t sizes[] = {1, 2, 100, 1000, 4096, 65000, NOISE_PAYLOAD_MAX, 77, 0};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        prng_fill(p, plain, sizes[i]);
        CHECK_ERR(noise_cipher_encrypt(&tx, NULL, 0, plain, sizes[i], ct, sizeof ct, &n),
                  HANSA_OK);
        if (!send_frame(fd, ct, n)) break;
        len = recv_frame(fd, ct);
        CHECK(len >= NOISE_MAC_BYTES);
        if (len < 0) break;
        CHECK_ERR(noise_cipher_decrypt(&rx, NULL, 0, ct, (size_t)len, back, sizeof back, &m),
                  HANSA_OK);
        CHECK_EQ_U64(m, sizes[i]);
        for (size_t j = 0; j < sizes[i] && j < m; j++) CHECK(back[j] == plain[sizes[i] - 1 - j]);
    }
    noise_cipher_wipe(&tx);
    noise_cipher_wipe(&rx);
}

static void make_keys(hansa_prng *p, noise_keypair *c_kp, noise_keypair *js_kp, char *js_priv,
                      char *c_pub) {
    uint8_t k[2][32];
    prng_fill(p, k, sizeof k);
    noise_keypair_from_private(c_kp, k[0]);
    noise_keypair_from_private(js_kp, k[1]);
    hex_encode(js_kp->priv, 32, js_priv);
    hex_encode(c_kp->pub, 32, c_pub);
}

static void test_c_initiator_js_responder(void) {
    hansa_prng p;
    prng_seed(&p, check_seed("test_c_initiator_js_responder", 1));
    hansa_rng rng = prng_as_rng(&p);
    noise_keypair c_kp, js_kp;
    char js_priv[65], c_pub[65], line[128];
    make_keys(&p, &c_kp, &js_kp, js_priv, c_pub);
    char *argv[] = {"node", INTEROP_DIR "/peer.js", "responder", js_priv, c_pub, NULL};
    child c = spawn_peer(argv);
    int port = 0;
    CHECK(read_line(c.out, line, sizeof line) && sscanf(line, "PORT %d", &port) == 1);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    set_timeouts(fd);
    CHECK(connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0);
    noise_handshake hs;
    CHECK_ERR(noise_handshake_init(&hs, NOISE_XX, NOISE_INITIATOR, PROLOGUE, strlen(PROLOGUE),
                                   &c_kp, NULL, &rng),
              HANSA_OK);
    bool ok = c_handshake(fd, &hs, "hello from c initiator");
    CHECK(ok);
    if (ok) {
        check_report(&c, &hs, &js_kp);
        c_transport(fd, &hs, &p);
    }
    close(fd);
    CHECK_EQ_U64(reap(&c), 0);
}

static void test_js_initiator_c_responder(void) {
    hansa_prng p;
    prng_seed(&p, check_seed("test_js_initiator_c_responder", 2));
    hansa_rng rng = prng_as_rng(&p);
    noise_keypair c_kp, js_kp;
    char js_priv[65], c_pub[65], port_s[16];
    make_keys(&p, &c_kp, &js_kp, js_priv, c_pub);
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t sl = sizeof sa;
    CHECK(bind(lfd, (struct sockaddr *)&sa, sizeof sa) == 0);
    CHECK(listen(lfd, 1) == 0);
    CHECK(getsockname(lfd, (struct sockaddr *)&sa, &sl) == 0);
    snprintf(port_s, sizeof port_s, "%d", ntohs(sa.sin_port));
    char *argv[] = {"node", INTEROP_DIR "/peer.js", "initiator", port_s, js_priv, c_pub, NULL};
    child c = spawn_peer(argv);
    set_timeouts(lfd);
    int fd = accept(lfd, NULL, NULL);
    CHECK(fd >= 0);
    close(lfd);
    if (fd >= 0) {
        set_timeouts(fd);
        noise_handshake hs;
        CHECK_ERR(noise_handshake_init(&hs, NOISE_XX, NOISE_RESPONDER, PROLOGUE,
                                       strlen(PROLOGUE), &c_kp, NULL, &rng),
                  HANSA_OK);
        bool ok = c_handshake(fd, &hs, "hello from c responder");
        CHECK(ok);
        if (ok) {
            check_report(&c, &hs, &js_kp);
            c_transport(fd, &hs, &p);
        }
        close(fd);
    }
    CHECK_EQ_U64(reap(&c), 0);
}

/* Node and the npm package are there, or can be installed; else a reason. */
static const char *peer_unavailable(void) {
    if (system("node --version >/dev/null 2>&1") != 0) return "node is not installed";
    struct stat st;
    if (stat(INTEROP_DIR "/node_modules/noise-handshake/noise.js", &st) == 0) return NULL;
    fprintf(stderr, "installing noise-handshake with npm\n");
    if (system("cd " INTEROP_DIR " && npm install --ignore-scripts --no-audit --no-fund "
               ">/dev/null 2>&1") != 0)
        return "npm install failed (no network?)";
    if (stat(INTEROP_DIR "/node_modules/noise-handshake/noise.js", &st) != 0)
        return "noise-handshake missing after npm install";
    return NULL;
}

int main(void) {
    crypto_init();
    signal(SIGPIPE, SIG_IGN);
    const char *why = peer_unavailable();
    if (why) {
        fprintf(stderr, "SKIP test_noise_interop: %s\n", why);
        return check_summary();
    }
    RUN(test_c_initiator_js_responder);
    RUN(test_js_initiator_c_responder);
    return check_summary();
}
