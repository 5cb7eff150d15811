/* sigcheck.h — signature checks on consensus messages, inside consensus/.
 *
 * Internal. The checks themselves are interchain/cert.h (shared with the
 * light client and block sync); the engine runs them through the
 * application's verify callback, which a driver may back with a cache (NULL:
 * plain verify_domain). Callers must have checked the message's form first
 * (vote type, canonical block id, pol_round < round): building sign bytes
 * asserts it. */
#ifndef HANSA_CONSENSUS_SIGCHECK_H
#define HANSA_CONSENSUS_SIGCHECK_H

#include <stdbool.h>

#include "consensus/engine.h"
#include "interchain/cert.h"

static inline cert_verifier cons_verifier(const cons_app *app) {
    return (cert_verifier){app->verify, app->ctx};
}

/* True when v->sig is v->validator's signature over v's sign bytes. */
static inline bool cons_vote_sig_ok(const cons_app *app, const wire_vote *v) {
    cert_verifier vf = cons_verifier(app);
    return cert_vote_sig_ok(&vf, v);
}

/* True when p->sig is p->proposer's signature over p's sign bytes. */
static inline bool cons_proposal_sig_ok(const cons_app *app, const wire_proposal *p) {
    cert_verifier vf = cons_verifier(app);
    return cert_proposal_sig_ok(&vf, p);
}

#endif
