/* fuzz_valset.c — libFuzzer harness for wire_valset_decode: whatever it accepts
 * must re-encode byte for byte (see fuzz_common.h). */
#include "fuzz_common.h"

FUZZ_CANONICAL(wire_valset, valset, wire_valset_free(&obj))
