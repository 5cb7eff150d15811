#!/usr/bin/env python3
"""A node cut off without a TCP reset: its links fall silent, no FIN, no RST
(the veth of its namespace goes down, as a pulled cable or a dead router
would do it). Keepalives and the link timeout (30 s by default) must make
both sides notice: the isolated node stops counting its three peers and the
others stop counting it, and status says when each link was last heard
from. Before keepalives the isolated node reported 3 peers for as long as
TCP kept the dead connections (minutes).

Needs root and `ip netns`, like test_partition_netns.py (whose network
fabric it reuses); skips otherwise."""
import json
import subprocess
import sys

import cluster
from cluster import check, say
from test_partition_netns import Fabric, can_netns, rewrite_configs, start_in_ns, last_logged

TIMEOUT_S = 30  # net_config.link_timeout_ms default


def status_in_ns(fab, i, addr):
    """status of the node in namespace i, asked from inside that namespace
    (its address is unreachable from outside while it is cut off)."""
    code = ("import sys, json; sys.path.insert(0, %r); import cluster; "
            "print(json.dumps(cluster.rpc(%r, 'status')))" % (cluster.HERE, addr))
    r = subprocess.run(["ip", "netns", "exec", fab.ns[i], sys.executable, "-c", code],
                       capture_output=True, text=True, timeout=30)
    if r.returncode != 0:
        return None
    return json.loads(r.stdout)


def test():
    why = can_netns()
    if why:
        say("SKIP: network namespaces unavailable (%s)" % why)
        return cluster.SKIP
    rng = cluster.seed_from_env()
    with cluster.Testnet("silent") as net:
        nodes = list(range(net.size()))
        subprocess.run([cluster.HANSA, "testnet", "down", "--dir", net.dir], capture_output=True)
        fab = Fabric(net.size())
        try:
            fab.up()
            rewrite_configs(net, fab)
            for i in nodes:
                start_in_ns(net, fab, i)
            h0 = max(last_logged(net, i) for i in nodes)
            net.wait_heights(nodes, h0 + 3, 90)
            victim = rng.choice(nodes)
            others = [i for i in nodes if i != victim]
            st = status_in_ns(fab, victim, net.rpc_addr(victim))
            check(st and st["peers"] == 3 and len(st["links"]) == 3,
                  "node%d has 3 links before the cut" % victim)
            check(all(l["heard_ms_ago"] < 5000 for l in st["links"]),
                  "each link was heard from within 5 s: %s" %
                  [l["heard_ms_ago"] for l in st["links"]])

            fab.cut(victim, up=False)
            say("cut node%d off the bridge (no reset reaches anyone)" % victim)
            st = cluster.wait_for(
                lambda: (lambda s: s if s and s["peers"] == 0 else None)(
                    status_in_ns(fab, victim, net.rpc_addr(victim))),
                TIMEOUT_S * 3, "node%d to notice its links are dead" % victim, period_s=2)
            check(st["peers"] == 0 and st["links"] == [],
                  "the isolated node%d reports 0 peers (it reported 3)" % victim)
            for i in others:
                cluster.wait_for(lambda: (net.status(i) or {}).get("peers") == 2, TIMEOUT_S * 3,
                                 "node%d to drop the silent link" % i, period_s=2)
                s = net.status(i)
                check(s["peers"] == 2 and len(s["links"]) == 2,
                      "node%d counts its 2 reachable peers, not the silent one" % i)
            check(any("silent for" in net.log_text(i) for i in nodes),
                  "a log names the reason (silent for ... ms)")
            hm = max(net.heights(others))
            net.wait_heights(others, hm + 5, 60)
            check(True, "the other three kept committing")

            fab.cut(victim, up=True)
            target = max(net.heights(others))
            net.wait_heights([victim], target, 120)
            check(True, "node%d reconnected and caught up to %d" % (victim, target))
            # Catching up needs one link; the others come back as the dial
            # back-off of each side runs out.
            st = cluster.wait_for(
                lambda: (lambda s: s if s and s["peers"] == 3 else None)(
                    status_in_ns(fab, victim, net.rpc_addr(victim))),
                TIMEOUT_S * 3, "node%d to have its 3 links again" % victim, period_s=2)
            check(st["peers"] == 3, "node%d has its 3 links again" % victim)
        finally:
            net.stop_all()
            fab.down()
    return 0


if __name__ == "__main__":
    cluster.main(test)
