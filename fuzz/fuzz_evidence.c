/* fuzz_evidence.c — libFuzzer harness for wire_evidence_decode: whatever it accepts
 * must re-encode byte for byte (see fuzz_common.h). */
#include "fuzz_common.h"

FUZZ_CANONICAL(wire_evidence, evidence, (void)obj)
