/* fuzz_block.c — libFuzzer harness for wire_block_decode: whatever it accepts
 * must re-encode byte for byte (see fuzz_common.h). */
#include "fuzz_common.h"

FUZZ_CANONICAL(wire_block, block, wire_block_free(&obj))
