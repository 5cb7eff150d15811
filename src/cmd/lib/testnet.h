/* testnet.h — `hansa testnet up|status|down`: a local network of hansad
 * delegates on loopback, each its own process with its own home. */
#ifndef HANSA_CMD_TESTNET_H
#define HANSA_CMD_TESTNET_H

#include <stddef.h>

int cmd_testnet(int argc, char **argv);

/* The RPC address ("127.0.0.1:port") of node i of the network in dir, read
 * from its config; 0 on success. For other commands (bench, demo). */
int testnet_rpc_addr(const char *dir, int i, char *out, size_t out_len);
/* Number of nodes in the network in dir (0 if none). */
int testnet_size(const char *dir);

#endif
