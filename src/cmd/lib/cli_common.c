/* cli_common.c — see cli.h. */
#include "cmd/lib/cli.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/hex.h"
#include "base/mem.h"
#include "cmd/lib/rpc_client.h"
#include "cmd/lib/testnet.h"
#include "crypto/sign.h"

#define DEFAULT_NODE "127.0.0.1:26657"

bool cli_common_opt(cli_common *c, int argc, char **argv, int *i) {
    const char *a = argv[*i];
    bool has = *i + 1 < argc;
    if (strcmp(a, "--json") == 0) {
        c->json = true;
        return true;
    }
    if (strcmp(a, "--node") == 0 && has) {
        c->node = argv[++*i];
        return true;
    }
    if (strcmp(a, "--keys") == 0 && has) {
        c->keys = argv[++*i];
        return true;
    }
    return false;
}

void cli_node_addr(const cli_common *c, char out[CLI_ADDR_MAX]) {
    const char *env = getenv("HANSA_NODE");
    if (c->node) snprintf(out, CLI_ADDR_MAX, "%s", c->node);
    else if (env && *env) snprintf(out, CLI_ADDR_MAX, "%s", env);
    else if (testnet_size("testnet") == 0 || testnet_rpc_addr("testnet", 0, out, CLI_ADDR_MAX) != 0)
        snprintf(out, CLI_ADDR_MAX, "%s", DEFAULT_NODE);
}

void cli_keys_path(const cli_common *c, char out[CLI_PATH_MAX]) {
    const char *home = getenv("HOME");
    if (c->keys) snprintf(out, CLI_PATH_MAX, "%s", c->keys);
    else snprintf(out, CLI_PATH_MAX, "%s/.hansa/keys", home && *home ? home : ".");
}

json_t *cli_call_ex(const char *cmd, const char *addr, const char *method, json_t *params,
                    int timeout_ms, int *exit_code, int *err_code, json_t **err_data) {
    rpcc_error err;
    json_t *r = rpcc_call(addr, method, params, timeout_ms, &err);
    if (err_data) *err_data = NULL;
    if (r) return r;
    if (err_code) *err_code = err.code;
    if (err.code == 0) {
        fprintf(stderr,
                "hansa %s: %s\n  start a local network with `hansa testnet up`, or name a node with "
                "--node ip:port or HANSA_NODE\n",
                cmd, err.message);
        *exit_code = CLI_UNREACHABLE;
    } else {
        fprintf(stderr, "hansa %s: the node says: %s (code %d)\n", cmd, err.message, err.code);
        *exit_code = CLI_FAILED;
    }
    if (err_data) *err_data = err.data;
    else json_decref(err.data);
    return NULL;
}

json_t *cli_call(const char *cmd, const char *addr, const char *method, json_t *params,
                 int timeout_ms, int *exit_code) {
    return cli_call_ex(cmd, addr, method, params, timeout_ms, exit_code, NULL, NULL);
}

void cli_print_json(const json_t *j) {
    char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    printf("%s\n", s ? s : "null");
    free(s);
}

const char *cli_str(const json_t *obj, const char *key) {
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? s : "";
}

uint64_t cli_u64(const json_t *obj, const char *key) {
    json_t *v = json_object_get(obj, key);
    uint64_t out = 0;
    if (json_is_integer(v) && json_integer_value(v) >= 0) return (uint64_t)json_integer_value(v);
    if (json_is_string(v) && cli_parse_u64(json_string_value(v), &out)) return out;
    return 0;
}

bool cli_hex_alloc(const json_t *obj, const char *key, size_t max, uint8_t **out, size_t *len) {
    *out = NULL;
    const char *s = json_string_value(json_object_get(obj, key));
    if (!s) return false;
    size_t n = strlen(s);
    if (n % 2 != 0 || n / 2 > max) return false;
    uint8_t *buf = hansa_malloc(n / 2 + 1);
    if (hex_decode(s, n, buf, n / 2, len, NULL) != HANSA_OK) {
        free(buf);
        return false;
    }
    *out = buf;
    return true;
}

bool cli_hex_fixed(const json_t *obj, const char *key, uint8_t *out, size_t n) {
    const char *s = json_string_value(json_object_get(obj, key));
    size_t got = 0;
    return s && strlen(s) == 2 * n && hex_decode(s, 2 * n, out, n, &got, NULL) == HANSA_OK &&
           got == n;
}

bool cli_parse_u64(const char *s, uint64_t *out) {
    size_t len = strlen(s);
    if (len == 0 || len > 20 || (len > 1 && s[0] == '0')) return false;
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') return false;
        uint64_t d = (uint64_t)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10) return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

bool cli_parse_int(const char *s, int lo, int hi, int *out) {
    uint64_t v;
    if (!cli_parse_u64(s, &v) || v < (uint64_t)lo || v > (uint64_t)hi) return false;
    *out = (int)v;
    return true;
}

void cli_format_time(uint64_t ms, char *out, size_t n) {
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    if (!gmtime_r(&secs, &tm)) {
        snprintf(out, n, "%llu ms", (unsigned long long)ms);
        return;
    }
    char buf[32];
    strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
    snprintf(out, n, "%s.%03u UTC", buf, (unsigned)(ms % 1000));
}

/* ---- progress for waits longer than a second ---- */

#define PROGRESS_QUIET_US 1000000u
#define PROGRESS_LINE_EVERY_US 5000000u

cli_progress cli_progress_start(void) {
    uint64_t now = clock_system_mono_us();
    return (cli_progress){now, now + PROGRESS_QUIET_US, isatty(STDERR_FILENO) != 0, false, 0};
}

void cli_progress_tick(cli_progress *p, const char *fmt, ...) {
    uint64_t now = clock_system_mono_us();
    if (now - p->start_us < PROGRESS_QUIET_US) return;
    if (!p->tty && now < p->next_line_us) return;
    char what[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    static const char spin[] = "|/-\\";
    double s = (double)(now - p->start_us) / 1e6;
    if (p->tty) fprintf(stderr, "\r\033[K%c %s... %.1fs", spin[p->n++ % 4], what, s);
    else fprintf(stderr, "%s... %.0fs\n", what, s);
    p->next_line_us = now + PROGRESS_LINE_EVERY_US;
    p->drawn = true;
}

void cli_progress_end(cli_progress *p) {
    if (p->tty && p->drawn) fprintf(stderr, "\r\033[K");
    p->drawn = false;
}

/* ---- a waiting call with progress ---- */

typedef struct {
    const char *cmd, *addr, *method;
    json_t *params;
    int timeout_ms, exit_code;
    json_t *result;
    atomic_bool done;
} waiting_call;

static void *waiting_thread(void *arg) {
    waiting_call *w = arg;
    w->result = cli_call(w->cmd, w->addr, w->method, w->params, w->timeout_ms, &w->exit_code);
    atomic_store(&w->done, true);
    return NULL;
}

json_t *cli_call_waiting(const char *cmd, const char *addr, const char *method, json_t *params,
                         int timeout_ms, int *exit_code, const char *what) {
    waiting_call w = {cmd, addr, method, params, timeout_ms, CLI_OK, NULL, false};
    pthread_t t;
    if (pthread_create(&t, NULL, waiting_thread, &w) != 0) {
        waiting_thread(&w);
    } else {
        cli_progress p = cli_progress_start();
        while (!atomic_load(&w.done)) {
            cli_progress_tick(&p, "%s", what);
            usleep(100000);
        }
        cli_progress_end(&p);
        pthread_join(t, NULL);
    }
    *exit_code = w.exit_code;
    return w.result;
}

json_t *cli_submit_params(wire_tx *tx, const hansa_keypair *kp, bool no_wait, int *timeout_ms) {
    hbuf sb = HBUF_INIT, enc = HBUF_INIT;
    wire_tx_sign_bytes(&sb, tx);
    sign_domain(kp, SIGN_DOMAIN_TX, sb.data, sb.len, &tx->sig);
    wire_tx_encode(&enc, tx);
    char *hex = hansa_malloc(2 * enc.len + 1);
    hex_encode(enc.data, enc.len, hex);
    json_t *params = json_pack("{s:s}", "tx", hex);
    free(hex);
    hbuf_free(&sb);
    hbuf_free(&enc);
    *timeout_ms = CLI_CALL_TIMEOUT_MS;
    if (!no_wait) {
        json_object_set_new(params, "wait", json_true());
        json_object_set_new(params, "timeout_ms", json_integer(CLI_TX_WAIT_MS));
        *timeout_ms = CLI_TX_WAIT_MS + 5000; /* the node answers first */
    }
    return params;
}
