/* sigcheck.h — signature checks on consensus messages, shared inside consensus/.
 *
 * Internal. The engine verifies through the application's verify callback
 * (which a driver may back with a cache); the standalone verifiers
 * (cons_commit_verify, cons_evidence_verify) pass NULL and get plain
 * verify_domain(). Callers must have checked the message's form first
 * (vote type, canonical block id, pol_round < round): building sign bytes
 * asserts it. */
#ifndef HANSA_CONSENSUS_SIGCHECK_H
#define HANSA_CONSENSUS_SIGCHECK_H

#include <stdbool.h>
#include <stddef.h>

#include "consensus/engine.h"

/* True when v->sig is v->validator's signature over v's sign bytes. */
bool cons_vote_sig_ok(const cons_app *app, const wire_vote *v);
/* True when p->sig is p->proposer's signature over p's sign bytes. */
bool cons_proposal_sig_ok(const cons_app *app, const wire_proposal *p);
/* True when the vote's form lets it be hashed and signed: a known type and a
 * canonical block id (nil has an all-zero hash). */
bool cons_vote_form_ok(const wire_vote *v);

/* cons_commit_verify with the signature check going through app (NULL: verify_domain). */
hansa_err cons_commit_verify_app(const cons_app *app, const wire_commit *c, uint32_t chain_id,
                                 const wire_validator *vs, size_t n);

#endif
