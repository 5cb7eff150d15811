#!/usr/bin/env python3
"""A fresh node joins a network whose peers prune (issue 15).

Delegates node1..node3 keep the last 16 blocks, node0 is an archive. Past
~60 heights with transactions in them:
1. a fresh full node4 with all four delegates as peers (the archive listed
   last, so it is not simply the first one asked) block-syncs from
   height 1: only the archive has the early blocks, the pruned peers say so
   in their STATUS and are never asked for them, so node4 drops none of
   them (a peer that leaves requests unanswered would be dropped) and holds
   node0's blocks and app hashes;
2. a fresh full node5 whose only peers are the pruned delegates cannot
   sync: it stops on its own, with a message that names an archive peer and
   state sync as the ways to join.
"""
import json
import os
import signal
import subprocess

import cluster
from cluster import check, say, wait_for

KEEP = 16
PRUNED = [1, 2, 3]


def stop(net, i):
    os.kill(net.pid(i), signal.SIGTERM)
    wait_for(lambda: not cluster.hansad_pids(net.home(i)) and [True], 60, "node%d to stop" % i)


def set_prune(net, i, keep):
    cfg = net.config(i)
    cfg["prune"] = {"keep_blocks": keep}
    with open(os.path.join(net.home(i), "config.json"), "w") as f:
        json.dump(cfg, f)


def start_fresh(net, name, peers, acct):
    """A full node in net.tmp/name (cluster.Testnet.full_node_home), started."""
    home, cfg = net.full_node_home(name, acct, peers)
    log_path = os.path.join(home, "hansad.log")
    p = subprocess.Popen([cluster.HANSAD, "--home", home], stdout=open(log_path, "w"),
                         stderr=subprocess.STDOUT)
    net.extra.append(p)
    return p, cfg, log_path


def status(cfg):
    try:
        return cluster.rpc(cfg["rpc"], "status", timeout_s=3)
    except (OSError, cluster.RpcError):
        return None


def test():
    with cluster.Testnet("prunejoin", validators=4, accounts=16) as net:
        net.wait_heights([0], 2, 90)
        for i in PRUNED:
            stop(net, i)
            set_prune(net, i, KEEP)
        net.up()
        load = net.start_load(rate=20, duration=600, accounts=8)
        net.wait_heights([0, 1, 2, 3], 60, 400)
        lows = [net.status(i)["lowest_height"] for i in PRUNED]
        check(min(lows) > 2 and net.status(0)["lowest_height"] == 1,
              "node1..3 prune (lowest kept %s), node0 keeps every block" % lows)

        p4, cfg4, log4 = start_fresh(net, "node4", [1, 2, 3, 0], net.accounts - 1)
        target = max(net.heights())
        say("started node4 (full node, archive + 3 pruned peers) at chain height %d" % target)
        wait_for(lambda: (status(cfg4) or {}).get("height", 0) >= target, 180,
                 "node4 to reach height %d" % target)
        st = status(cfg4)
        check(p4.poll() is None and st["height"] >= target,
              "node4 caught up from height 0 to %d" % st["height"])
        text = open(log4).read()
        check("claims blocks it does not serve" not in text,
              "node4 dropped no pruned peer for silence: it never asked them for pruned blocks")
        check(st["peers"] == 4, "node4 keeps its 4 peers (%d)" % st["peers"])
        for h in (1, 2, target // 2, target):
            got = cluster.rpc(cfg4["rpc"], "block", {"height": h})
            check((got["hash"], got["header"]["app_hash"]) == net.block_hash(0, h),
                  "node4 and node0 agree on block and app hash at height %d" % h)
        load.kill()

        p5, cfg5, log5 = start_fresh(net, "node5", PRUNED, net.accounts - 2)
        say("started node5 with only the pruned delegates as peers")
        wait_for(lambda: p5.poll() is not None and [True], 120, "node5 to stop on its own")
        text = open(log5).read()
        line = next((l for l in text.splitlines() if "block sync cannot go on" in l), "")
        say("node5: %s" % line.strip()[-300:])
        check(p5.returncode != 0 and "needs block 1 " in line and "archive peer" in line and
              "state sync" in line,
              "node5 stopped (exit %d) saying it needs block 1, an archive peer or state sync"
              % p5.returncode)
        p4.terminate()
        p4.wait(30)


if __name__ == "__main__":
    cluster.main(test)
