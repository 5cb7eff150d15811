/* genesis.h — `hansa genesis`: write a new chain's genesis.json and print
 * the genesis hash its nodes pin (docs/deploy.md, "A new chain"). */
#ifndef HANSA_CMD_GENESIS_H
#define HANSA_CMD_GENESIS_H

#include "base/bytes.h"
#include "base/err.h"
#include "node/config.h"

int cmd_genesis(int argc, char **argv);

/* Loads and validates the genesis file at path and computes its genesis
 * hash: the app hash of the state it defines (docs/ledger.md), which
 * commits to the chain id, parameters, balances and delegates. Two files
 * with the same hash start the same chain. why says what is wrong. */
hansa_err genesis_hash_file(const char *path, hansa_hash *out, char why[CONFIG_WHY_MAX]);

#endif
