/* fuzz_commit.c — libFuzzer harness for wire_commit_decode: whatever it accepts
 * must re-encode byte for byte (see fuzz_common.h). */
#include "fuzz_common.h"

FUZZ_CANONICAL(wire_commit, commit, wire_commit_free(&obj))
