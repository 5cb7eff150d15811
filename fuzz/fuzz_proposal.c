/* fuzz_proposal.c — libFuzzer harness for wire_proposal_decode: whatever it accepts
 * must re-encode byte for byte (see fuzz_common.h). */
#include "fuzz_common.h"

FUZZ_CANONICAL(wire_proposal, proposal, (void)obj)
