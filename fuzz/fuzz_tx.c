/* fuzz_tx.c — libFuzzer harness for wire_tx_decode: whatever it accepts
 * must re-encode byte for byte (see fuzz_common.h). */
#include "fuzz_common.h"

FUZZ_CANONICAL(wire_tx, tx, (void)obj)
