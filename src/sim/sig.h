/* sig.h — the simulator's cheap, deterministic stand-in for Ed25519 (sig.c
 * says what it keeps and what it drops). sim_run installs it with
 * sign_scheme_install for the length of a run. */
#ifndef HANSA_SIM_SIG_H
#define HANSA_SIM_SIG_H

#include "crypto/sign.h"

extern const sign_scheme sim_sign_scheme;
/* The same with Ed25519 key pairs, for --frost (sig.c says why). */
extern const sign_scheme sim_sign_scheme_frost;

#endif
