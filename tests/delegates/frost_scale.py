#!/usr/bin/env python3
"""A long run, not part of scripts/test (docs/frost.md "At 32 delegates"):
the issue's done-when at full size, with real processes —

    HANSA_BUILD_DIR=build/release python3 tests/delegates/frost_scale.py [V]

V delegates (default 32, FROST threshold more than two thirds) and one more
node, all with "frost_dkg" on: test_frost_election.py's steps (the set keys
epoch 1, an election brings the extra node in, the new set keys its epoch,
the old group hands off to the new key, a follower of epoch 1's key reaches
a new checkpoint by that handoff), with waits scaled for V processes on two
cores; then it asks, height by height, for the checkpoint of every block
from epoch 1's key on, and checks that every one exists, verifies against
the group key recorded for its epoch, and that the epochs only grow.
Prints how many heights were checked and the time per key generation."""
import sys
import time

from delegates import check, main, say
from test_frost_election import KEY_AFTER, keys_of, run

V = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 32


def checkpoint(net, nodes, h):
    """Height h's checkpoint from the first node that holds it (a node that
    missed the CHECKPOINT message of a height need not hold it)."""
    for i in nodes:
        try:
            return net.call(i, "checkpoint", {"height": h})
        except Exception:  # noqa: BLE001 — not held there
            continue
    return None


def every_checkpoint(net, v, epoch, upto):
    keys = {e: k["key"] for e, k in keys_of(net, 0)[0].items()}
    first = 1 + KEY_AFTER  # epoch 1's key is recorded at this height
    nodes = list(range(v + 1))
    missing, last_epoch = [], 1
    for h in range(first, upto + 1):
        cp = checkpoint(net, nodes, h)
        if cp is None:
            missing.append(h)
            continue
        e = int(cp["epoch"])
        check(e >= last_epoch and cp["group_key"] == keys[e],
              "checkpoint %d is signed by epoch %d's recorded key" % (h, e))
        last_epoch = e
    say("checkpoints of heights %d..%d: %d signed, %d missing %s"
        % (first, upto, upto - first + 1 - len(missing), len(missing), missing[:20]))
    check(not missing, "every block from epoch 1's key on has a checkpoint")
    out = net.cli("checkpoint", str(upto), "--verify", node=v)
    check("verified here" in out, "the last one verifies outside the node")
    check(last_epoch == epoch, "the last checkpoints are under the new epoch %d" % epoch)


def test():
    t0 = time.monotonic()
    run("frost%d" % V, V, slow=max(1, V // 4), after=every_checkpoint)
    say("%d delegates: whole run %.0f s" % (V, time.monotonic() - t0))


if __name__ == "__main__":
    main(test)
