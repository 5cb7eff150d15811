#!/usr/bin/env python3
"""kill -9 of all four delegates at once under load, twice, then restart:
no committed block is lost (each node's height is at least the last height
it logged as committed, and the block and app hash at every height are the
ones seen before the crash), no committed transaction is lost (account
nonces never go back), no height is committed twice, and nobody double-signs
(no node logs evidence of double signing)."""
import os
import signal
import time

import cluster
from cluster import check, say

ROUNDS = 2


def snapshot(net, nodes, addrs):
    """Each node's chain up to its height, and the highest nonce any node reports per account."""
    chains = {}
    for i in nodes:
        h = net.height(i)
        chains[i] = net.chain(i, 1, h) if h > 0 else []
    nonces = [max(net.nonce(i, a) for i in nodes) for a in addrs]
    return chains, nonces


def crash_round(net, nodes, addrs, rng, rnd):
    net.wait_heights(nodes, max(net.heights(nodes)) + 10, 60)
    chains, nonces = snapshot(net, nodes, addrs)
    time.sleep(rng.uniform(0, 1.0))  # kill at a random point of a height
    pids = [net.pid(i) for i in nodes]
    check(all(pids), "round %d: every node runs before the crash (pids %s)" % (rnd, pids))
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    cluster.wait_for(lambda: all(cluster.exited(p) for p in pids) and [True], 10, "nodes to die")
    logged = {i: (net.logged_heights(i) or [0])[-1] for i in nodes}
    say("round %d: killed all four; last logged heights %s" % (rnd, logged))
    time.sleep(1)  # the load finds every node down
    net.up()
    for i in nodes:
        h = net.height(i)
        check(h >= logged[i], "round %d: node%d restarted at height %d >= %d, the last it logged "
              "as committed" % (rnd, i, h, logged[i]))
    top = max(logged.values())
    net.wait_heights(nodes, top + 5, 90)
    for i in nodes:
        now = net.chain(i, 1, len(chains[i]))
        check(now == chains[i], "round %d: node%d still has the same %d blocks (hash and app hash) "
              "as before the crash" % (rnd, i, len(chains[i])))
    cluster.compare_chains(net, nodes, 1, top)
    after = [min(net.nonce(i, a) for i in nodes) for a in addrs]
    back = [k for k in range(len(addrs)) if after[k] < nonces[k]]
    check(not back, "round %d: no account nonce went back (%d accounts, %d txs committed before)"
          % (rnd, len(addrs), sum(nonces)))


def test():
    rng = cluster.seed_from_env()
    with cluster.Testnet("crashall") as net:
        nodes = list(range(net.size()))
        addrs = net.accounts_addresses()[:8]
        load = net.start_load(rate=40, duration=40, accounts=8, extra=["--settle", "20"])
        for rnd in range(1, ROUNDS + 1):
            crash_round(net, nodes, addrs, rng, rnd)
        r = net.finish_load(load)
        check(r["committed"] > 0, "load committed %d transactions" % r["committed"])
        check(r["committed"] == r["accepted"],
              "every accepted transaction committed in the end (%d of %d)" % (r["committed"], r["accepted"]))
        for i in nodes:
            hs = net.logged_heights(i)
            check(all(b > a for a, b in zip(hs, hs[1:])),
                  "node%d never logged a height twice or out of order over %d commits" % (i, len(hs)))
            check("evidence of double signing" not in net.log_text(i), "node%d saw no double signing" % i)


if __name__ == "__main__":
    cluster.main(test)
