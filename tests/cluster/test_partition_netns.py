#!/usr/bin/env python3
"""A partition that leaves a minority of one, with real network namespaces:
each delegate runs in its own namespace with its own address on a bridge
(and `tc netem` delay on its link when the kernel has netem); cutting one
node's link leaves three of four, more than 2/3 of the power, which keep
committing while the isolated node commits nothing new; after the link
comes back, the four converge on one chain.

Needs root and `ip netns` (skips with a message otherwise). The testnet is
created by `hansa testnet up` (keys, genesis, stores) and stopped at once;
the configs are then rewritten for the namespace addresses and each hansad
is started with `ip netns exec NS hansad --home H`."""
import json
import os
import subprocess
import time

import cluster
from cluster import check, say

DELAY_MS = 5


def sh(*args, check_rc=True):
    r = subprocess.run(list(args), capture_output=True, text=True)
    if check_rc and r.returncode != 0:
        raise cluster.CheckFailed("%s: %s" % (" ".join(args), r.stderr.strip()))
    return r


class Fabric:
    """A bridge in the root namespace and one namespace per node, each with a
    veth whose peer end is on the bridge. Names carry the test's pid so runs
    in parallel do not collide."""

    def __init__(self, n):
        tag = "%05x" % (os.getpid() & 0xFFFFF)
        self.bridge = "hb" + tag
        self.ns = ["hn%s%d" % (tag, i) for i in range(n)]
        self.veth = ["hv%s%d" % (tag, i) for i in range(n)]
        p = os.getpid()
        self.subnet = "10.%d.%d" % (100 + p % 100, (p // 100) % 250)
        self.ip = ["%s.%d" % (self.subnet, i + 1) for i in range(n)]
        self.netem = False

    def up(self):
        sh("ip", "link", "add", self.bridge, "type", "bridge")
        sh("ip", "addr", "add", self.subnet + ".254/24", "dev", self.bridge)
        sh("ip", "link", "set", self.bridge, "up")
        for i, ns in enumerate(self.ns):
            sh("ip", "netns", "add", ns)
            sh("ip", "link", "add", self.veth[i], "type", "veth", "peer", "name", "eth0", "netns", ns)
            sh("ip", "link", "set", self.veth[i], "master", self.bridge, "up")
            sh("ip", "netns", "exec", ns, "ip", "addr", "add", self.ip[i] + "/24", "dev", "eth0")
            sh("ip", "netns", "exec", ns, "ip", "link", "set", "eth0", "up")
            sh("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up")
            r = sh("ip", "netns", "exec", ns, "tc", "qdisc", "add", "dev", "eth0", "root", "netem",
                   "delay", "%dms" % DELAY_MS, check_rc=False)
            self.netem = r.returncode == 0
        say("namespaces %s on bridge %s (%s.0/24); netem delay %s" %
            (self.ns, self.bridge, self.subnet,
             "%d ms per link" % DELAY_MS if self.netem else "unavailable in this kernel: none added"))

    def cut(self, i, up):
        sh("ip", "link", "set", self.veth[i], "up" if up else "down")

    def down(self):
        for ns in self.ns:
            sh("ip", "netns", "del", ns, check_rc=False)  # takes its veth pair along
        sh("ip", "link", "del", self.bridge, check_rc=False)


def can_netns():
    if os.geteuid() != 0:
        return "not root"
    probe = "hp%05x" % (os.getpid() & 0xFFFFF)
    r = sh("ip", "netns", "add", probe, check_rc=False)
    if r.returncode != 0:
        return "ip netns add failed: " + r.stderr.strip()
    sh("ip", "netns", "del", probe, check_rc=False)
    return None


def rewrite_configs(net, fab):
    for i in range(net.size()):
        path = os.path.join(net.home(i), "config.json")
        cfg = net.config(i)
        cfg["listen"] = "%s:26656" % fab.ip[i]
        cfg["rpc"] = "%s:26657" % fab.ip[i]
        cfg["peers"] = ["%s:26656" % fab.ip[j] for j in range(net.size()) if j != i]
        with open(path, "w") as f:
            json.dump(cfg, f, indent=2)


def start_in_ns(net, fab, i):
    log = open(net.log_path(i), "a")
    p = subprocess.Popen(["ip", "netns", "exec", fab.ns[i], cluster.HANSAD, "--home", net.home(i)],
                         stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    log.close()
    net.extra.append(p)
    with open(os.path.join(net.home(i), "hansad.pid"), "w") as f:
        f.write("%d\n" % p.pid)  # ip netns exec execs hansad: same pid


def last_logged(net, i):
    hs = net.logged_heights(i)
    return hs[-1] if hs else 0


def test():
    why = can_netns()
    if why:
        say("SKIP: network namespaces unavailable (%s)" % why)
        return cluster.SKIP
    rng = cluster.seed_from_env()
    with cluster.Testnet("netns") as net:
        nodes = list(range(net.size()))
        subprocess.run([cluster.HANSA, "testnet", "down", "--dir", net.dir], capture_output=True)
        fab = Fabric(net.size())
        try:
            fab.up()
            rewrite_configs(net, fab)
            for i in nodes:
                start_in_ns(net, fab, i)
            h0 = max(last_logged(net, i) for i in nodes)
            net.wait_heights(nodes, h0 + 10, 90)
            check(True, "four delegates in four namespaces commit (past height %d)" % (h0 + 10))

            load = net.start_load(rate=30, duration=20, accounts=8, extra=["--settle", "20"])
            victim = rng.choice(nodes)
            majority = [i for i in nodes if i != victim]
            fab.cut(victim, up=False)
            say("cut node%d (%s) off the bridge" % (victim, fab.ip[victim]))
            time.sleep(2)  # a height decided before the cut may still land
            frozen = last_logged(net, victim)
            hm = max(net.heights(majority))
            net.wait_heights(majority, hm + 20, 90)
            check(True, "the majority %s committed 20 more heights (past %d)" % (majority, hm + 20))
            check(last_logged(net, victim) == frozen,
                  "the isolated node%d committed nothing new (still at %d)" % (victim, frozen))

            fab.cut(victim, up=True)
            target = max(net.heights(majority))
            say("healed; the majority is at %d" % target)
            net.wait_heights([victim], target, 120)
            check(True, "node%d caught up to height %d after healing" % (victim, target))
            r = net.finish_load(load)
            check(r["committed"] == r["accepted"] and r["committed"] > 0,
                  "every accepted transaction committed (%d of %d)" % (r["committed"], r["accepted"]))
            net.wait_heights(nodes, max(net.heights(nodes)), 60)
            cluster.compare_chains(net, nodes, 1, min(net.heights(nodes)))
            for i in nodes:
                check("evidence of double signing" not in net.log_text(i), "node%d saw no double signing" % i)
        finally:
            net.stop_all()
            fab.down()
    return 0


if __name__ == "__main__":
    cluster.main(test)
