#!/usr/bin/env python3
"""Chain B's light client of chain A follows A through an election that
replaces every delegate of A, through A's old delegates going away, and
through a kill -9 of all of B's nodes.

A federation of two chains (`hansa federation up`), fed1 = A and fed2 = B,
each with 2 genesis delegates (power 10) and 2 full nodes, elections every
10 heights for 2 active seats. Each chain's genesis approves a client of the
other; the delegates relay each other's headers (node/relay.h). The test:
  1. B's client of A advances (the relay works);
  2. A's two full nodes stake 50 each and win the next election: A's set is
     replaced entirely; B's client goes past the change and its trusted
     header carries the new set (an adjacent step through
     next_validators_hash: nothing of the old set signs after it);
  3. A's old delegates are killed: A goes on with the new set alone, and
     B's client keeps following (the relay falls over to the live seeds);
  4. every node of B is killed with -9 and restarted: the client, kept in
     B's state, goes on following from where it was.
"""
from cluster import main
from fed import Federation, check, say, wait_for

EPOCH = 10


def test():
    with Federation("lc-election", chains=2, validators=2, full_nodes=2,
                    elections={"epoch_blocks": EPOCH, "active_max": 2, "bench_max": 2}) as f:
        A, B = 0, 1
        t0 = wait_for(lambda: f.trusted(B, A) >= 3 and f.trusted(B, A), 120, "B's client of A to advance")
        say("B trusts A at height %d" % t0)
        c = f.client(B, A)
        check(c["status"] == "active" and not c["expired"], "B's client of A is active (%s)" % c["status"])

        old_vh = f.call(A, 0, "block", {"height": 1})["header"]["validators_hash"]
        new = [f.key_info(A, 2), f.key_info(A, 3)]
        for i in (2, 3):
            f.cli("stake", "--from", "node", "--keys", f.node_key(A, i), "--amount", "50", k=A)
        want = {n["pubkey"] for n in new}

        def replaced():
            d = f.call(A, 2, "delegates")
            return {v["pubkey"] for v in d["active"]} == want and d["active_from"]
        switch = wait_for(replaced, 150, "A's election to replace both delegates")
        say("A's new set decides from height %d" % switch)
        wait_for(lambda: f.height(A, 2) >= switch and [True], 60, "A to reach height %d" % switch)
        new_vh = f.call(A, 2, "block", {"height": switch})["header"]["validators_hash"]
        check(new_vh != old_vh, "A's headers name a new validator set from %d" % switch)

        t1 = wait_for(lambda: f.trusted(B, A) >= switch + 3 and f.trusted(B, A), 120,
                      "B's client of A to pass the set change at %d" % switch)
        c = f.client(B, A)
        at = f.call(A, 2, "block", {"height": c["trusted_height"]})["header"]
        check(c["latest"]["validators_hash"] == at["validators_hash"] == new_vh,
              "B's client trusts A's header %d, decided by the new set" % t1)
        check(c["latest"]["header_hash"] == at["hash"], "... and it is A's real header at that height")

        for i in (0, 1):
            f.kill9(A, i)
        h = f.height(A, 2)
        wait_for(lambda: f.height(A, 2) >= h + 3 and [True], 60, "A to go on with its new set alone")
        t2 = wait_for(lambda: f.trusted(B, A) >= t1 + 3 and f.trusted(B, A), 90,
                      "B's client of A to keep following without A's old nodes")
        say("B trusts A at height %d" % t2)

        for i in range(4):
            f.kill9(B, i)
        f.restart()
        t3 = wait_for(lambda: f.trusted(B, A) >= t2 + 3 and f.trusted(B, A), 120,
                      "B's client of A to follow again after B's restart")
        c = f.client(B, A)
        check(c["status"] == "active", "B's client of A is active after the restart, at height %d" % t3)
        check(f.height(A, 2) >= c["trusted_height"], "the client never trusts a height A has not reached")


if __name__ == "__main__":
    main(test)
