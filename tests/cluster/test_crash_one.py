#!/usr/bin/env python3
"""kill -9 of one delegate under load: the other three (still more than 2/3
of the power) keep committing; restarted (`testnet up` on the same dir), the
killed node catches up to the others' height and agrees with them on every
block and app hash; what `hansa load` saw accepted still commits."""
import time

import cluster
from cluster import check, say


def test():
    rng = cluster.seed_from_env()
    with cluster.Testnet("crash1") as net:
        nodes = list(range(net.size()))
        load = net.start_load(rate=40, duration=25, accounts=8)
        net.wait_heights(nodes, 15, 60)
        victim = rng.choice(nodes)
        others = [i for i in nodes if i != victim]
        net.kill9(victim)
        h0 = max(net.heights(others))
        say("killed node%d at height ~%d" % (victim, h0))
        check(net.status(victim) is None, "node%d no longer answers" % victim)
        net.wait_heights(others, h0 + 20, 60)
        check(True, "the other three committed 20 more heights without node%d" % victim)

        net.up()
        target = max(net.heights(others))
        say("restarted node%d; the others are at %d" % (victim, target))
        net.wait_heights([victim], target, 90)
        check(True, "node%d caught up to height %d" % (victim, target))

        r = net.finish_load(load)
        check(r["committed"] > 0, "load committed %d transactions" % r["committed"])
        check(r["committed"] == r["accepted"],
              "every accepted transaction committed (%d of %d)" % (r["committed"], r["accepted"]))
        net.wait_heights(nodes, max(net.heights(nodes)), 60)
        cluster.compare_chains(net, nodes, 1, min(net.heights(nodes)))
        for i in nodes:
            check("evidence of double signing" not in net.log_text(i),
                  "node%d saw no double signing" % i)


if __name__ == "__main__":
    cluster.main(test)
