#!/usr/bin/env python3
"""Four delegates under load commit the same blocks: at every height every
node holds the same block hash and the same app hash, each node committed
every height exactly once and in order, and every transaction `hansa load`
saw accepted is committed, with the same account nonces on every node."""
import cluster
from cluster import check, say


def test():
    with cluster.Testnet("agree") as net:
        nodes = list(range(net.size()))
        load = net.start_load(rate=60, duration=8, accounts=8)
        r = net.finish_load(load)
        check(r["accepted"] > 0, "load had %d transactions accepted" % r["accepted"])
        check(r["committed"] == r["accepted"],
              "every accepted transaction committed (%d of %d)" % (r["committed"], r["accepted"]))
        check(r["rejected"] == 0, "no submission was rejected (%s)" % r["reasons"])
        top = max(net.heights(nodes))
        net.wait_heights(nodes, top, 60)
        hi = min(net.heights(nodes))
        cluster.compare_chains(net, nodes, 1, hi)

        for i in nodes:  # the node's state and its store agree on the tip
            st = net.call(i, "status")
            bh = net.block_hash(i, st["height"])
            check(bh is not None and bh[1] == st["app_hash"],
                  "node%d: status app hash is the stored block %d's app hash" % (i, st["height"]))

        for i in nodes:
            hs = net.logged_heights(i)
            check(hs == list(range(1, len(hs) + 1)),
                  "node%d logged heights 1..%d once each, in order" % (i, len(hs)))

        addrs = net.accounts_addresses()[:8]
        per_node = [[net.nonce(i, a) for a in addrs] for i in nodes]
        check(all(p == per_node[0] for p in per_node), "every node has the same sender nonces")
        check(sum(per_node[0]) == r["committed"],
              "sender nonces add up to the committed transactions (%d)" % r["committed"])
        say("figures: %.2f heights/s, %.1f committed tx/s, latency p50 %.0f ms p99 %.0f ms" %
            (r["heights_s"], r["committed_tx_s"], r["latency_ms_p50"], r["latency_ms_p99"]))


if __name__ == "__main__":
    cluster.main(test)
