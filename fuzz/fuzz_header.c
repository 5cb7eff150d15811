/* fuzz_header.c — libFuzzer harness for wire_header_decode: whatever it accepts
 * must re-encode byte for byte (see fuzz_common.h). */
#include "fuzz_common.h"

FUZZ_CANONICAL(wire_header, header, (void)obj)
