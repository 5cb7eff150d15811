#!/usr/bin/env python3
"""The issue's multi-process test (issue 14, docs/frost.md): seven delegates
and an eighth node, all with "frost_dkg" on. The seven key epoch 1 (5 of 7)
and sign checkpoints; the eighth is elected in place of one, the new set
keys its own epoch, the old group (the one that left included) signs the
handoff to the new key, checkpoints go on under it, and a follower that
trusts only epoch 1's key verifies a new checkpoint by that one handoff
signature (`hansa checkpoint --follow`). The steps and checks are
test_frost_election.py's with seven delegates."""
from delegates import main
from test_frost_election import run


def test():
    run("frosthand7", 7)


if __name__ == "__main__":
    main(test)
