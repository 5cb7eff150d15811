/* fuzz_vote.c — libFuzzer harness for wire_vote_decode: whatever it accepts
 * must re-encode byte for byte (see fuzz_common.h). */
#include "fuzz_common.h"

FUZZ_CANONICAL(wire_vote, vote, (void)obj)
