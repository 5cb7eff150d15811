#!/usr/bin/env python3
"""A fifth node that joins late syncs from scratch: a full node (its key is
not a delegate's) with the same genesis and the four delegates as peers,
started once the chain is past 50 blocks with transactions in it, reaches
the delegates' height and holds the same block and app hash at every
height."""
import os
import subprocess

import cluster
from cluster import check, say


def test():
    with cluster.Testnet("late") as net:
        nodes = list(range(net.size()))
        load = net.start_load(rate=40, duration=8, accounts=8)
        net.wait_heights(nodes, 51, 90)
        r = net.finish_load(load)
        check(r["committed"] > 0, "the chain holds %d transactions" % r["committed"])

        home, cfg = net.full_node_home("node4", net.accounts - 1)  # not a sender of the load below
        log = open(os.path.join(home, "hansad.log"), "w")
        p = subprocess.Popen([cluster.HANSAD, "--home", home], stdout=log, stderr=subprocess.STDOUT)
        net.extra.append(p)
        target = max(net.heights(nodes))
        say("started node4 (full node) while the delegates are at height %d" % target)

        def h4():
            try:
                return cluster.rpc(cfg["rpc"], "status", timeout_s=3)
            except (OSError, cluster.RpcError):
                return None
        cluster.wait_for(lambda: (h4() or {}).get("height", 0) >= target, 120,
                         "node4 to reach height %d" % target)
        st = h4()
        check(not st["is_delegate"], "node4 runs as a full node, not a delegate")
        check(st["height"] >= target, "node4 synced to height %d (>= %d)" % (st["height"], target))
        check(p.poll() is None, "node4 still runs")

        ref = net.chain(0, 1, target)
        got = [cluster.rpc(cfg["rpc"], "block", {"height": h}) for h in range(1, target + 1)]
        got = [(g["hash"], g["header"]["app_hash"]) for g in got]
        bad = [k + 1 for k in range(target) if got[k] != ref[k]]
        check(not bad, "node4 and node0 agree on block and app hash at heights 1..%d%s"
              % (target, "" if not bad else " (differ at %s)" % bad[:5]))
        addrs = net.accounts_addresses()[:8]
        n4 = [int(cluster.rpc(cfg["rpc"], "account", {"address": a})["nonce"]) for a in addrs]
        check(n4 == [net.nonce(0, a) for a in addrs], "node4 has node0's account nonces")
        p.terminate()
        check(p.wait(timeout=30) == 0, "node4 stops cleanly on SIGTERM")
        log.close()


if __name__ == "__main__":
    cluster.main(test)
