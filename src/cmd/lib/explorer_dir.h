/* explorer_dir.h — hansad's lookups that are not the node's config: the
 * folders of the web explorer it serves (rpc/static.h) and limits an
 * operator may set in its environment (the event stream's, rpc/events.h). */
#ifndef HANSA_CMD_EXPLORER_DIR_H
#define HANSA_CMD_EXPLORER_DIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EXPLORER_PATH_MAX 4096

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
