/* cli_submit_raw.c — `hansa submit-raw FILE`: signed transactions, already
 * framed, sent to the node's POST /txs in one request (docs/rpc.md).
 *
 * FILE holds what the node's /txs takes: (u32 little-endian length |
 * encoded tx)*, at most MSG_TXS_BYTES_MAX (64 KiB) and max_batch (100)
 * transactions. The command does not frame or check the file itself: the
 * node checks the whole body before admitting anything and says what is
 * wrong and at which byte, so one decoder (the node's) judges the format.
 * It is the command-line face of the path services use to submit in bulk
 * (`rpcc_submit_raw`), and a way to try a body by hand. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "cmd/lib/cli.h"
#include "cmd/lib/rpc_client.h"
#include "node/msg.h"

/* Reads path into a malloc'd buffer of at most MSG_TXS_BYTES_MAX bytes (one
 * byte more is read to tell a longer file). False, with a message, if it
 * cannot be read or is longer. */
static bool read_body(const char *path, uint8_t **out, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "hansa submit-raw: cannot open %s: %s\n", path, strerror(errno));
        return false;
    }
    uint8_t *buf = hansa_malloc(MSG_TXS_BYTES_MAX + 1);
    size_t n = fread(buf, 1, MSG_TXS_BYTES_MAX + 1, f);
    bool bad = ferror(f) != 0;
    fclose(f);
    if (bad || n > MSG_TXS_BYTES_MAX) {
        if (bad) fprintf(stderr, "hansa submit-raw: cannot read %s\n", path);
        else
            fprintf(stderr, "hansa submit-raw: %s is longer than one request may be (%u bytes): "
                    "split it\n", path, (unsigned)MSG_TXS_BYTES_MAX);
        free(buf);
        return false;
    }
    *out = buf;
    *len = n;
    return true;
}

/* Prints the node's answer for people; returns the exit code (CLI_FAILED
 * when some transaction was refused). */
static int print_result(const json_t *r) {
    const json_t *refused = json_object_get(r, "refused");
    printf("%llu transactions: %llu admitted, %zu refused\n", (unsigned long long)cli_u64(r, "txs"),
           (unsigned long long)cli_u64(r, "admitted"), json_array_size(refused));
    for (size_t i = 0; i < json_array_size(refused); i++) {
        const json_t *e = json_array_get(refused, i);
        printf("  tx %llu: %s: %s\n", (unsigned long long)cli_u64(e, "index"), cli_str(e, "error"),
               cli_str(e, "why"));
    }
    return json_array_size(refused) == 0 ? CLI_OK : CLI_FAILED;
}

int cmd_submit_raw(int argc, char **argv) {
    cli_common c = {0};
    const char *file = NULL;
    for (int i = 1; i < argc; i++) {
        if (cli_common_opt(&c, argc, argv, &i)) continue;
        if (argv[i][0] != '-' && !file) {
            file = argv[i];
            continue;
        }
        file = NULL;
        break;
    }
    if (!file) {
        fprintf(stderr, "usage: hansa submit-raw FILE [--node ip:port] [--json]\n"
                        "  FILE: (u32 little-endian length | encoded tx)*, at most %u bytes\n",
                (unsigned)MSG_TXS_BYTES_MAX);
        return CLI_USAGE;
    }
    uint8_t *body = NULL;
    size_t len = 0;
    if (!read_body(file, &body, &len)) return CLI_USAGE;
    char addr[CLI_ADDR_MAX];
    cli_node_addr(&c, addr);
    rpcc_error err;
    json_t *r = rpcc_submit_raw(addr, body, len, CLI_CALL_TIMEOUT_MS, &err);
    free(body);
    if (!r) {
        if (err.code == 0) fprintf(stderr, "hansa submit-raw: %s\n", err.message);
        else fprintf(stderr, "hansa submit-raw: the node says: %s (code %d)\n", err.message, err.code);
        json_decref(err.data);
        return err.code == 0 ? CLI_UNREACHABLE : CLI_FAILED;
    }
    int rc = CLI_OK;
    if (c.json) {
        cli_print_json(r);
        rc = json_array_size(json_object_get(r, "refused")) == 0 ? CLI_OK : CLI_FAILED;
    } else {
        rc = print_result(r);
    }
    json_decref(r);
    return rc;
}
