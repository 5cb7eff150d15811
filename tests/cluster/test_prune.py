#!/usr/bin/env python3
"""Pruning chosen per node (issue 15): one delegate keeps the last 20 blocks,
the other three are archives.

1. node3 restarts with "prune": {"keep_blocks": 20}; after ~60 heights
   `hansa store check --json` on its stopped store is clean and its first
   stored block is within the last ~20 (plus the heights committed between
   the last prune and the stop); an archive's first block is still 1.
2. kill -9 of node3 while it prunes under load, then a restart: its store
   checks clean and it commits on (nothing it should keep is lost).
3. node3 serves what it keeps: RPC status says its lowest kept height;
   block, light_block, wait_block below it answer -32007 "pruned: lowest
   kept height is H", tx of a transaction in a pruned block a not-found
   naming that height (the archive node0 answers the same calls); the tx
   index keeps no entry of a pruned block (the sweep took them).
4. Figure: data.mdb of an archive and of the pruned node (printed, not
   asserted).
"""
import json
import os
import signal
import subprocess

import cluster
from cluster import HANSA, Testnet, check, say, wait_for

KEEP = 20


def stop(net, i):
    os.kill(net.pid(i), signal.SIGTERM)
    wait_for(lambda: not cluster.hansad_pids(net.home(i)) and [True], 60, "node%d to stop" % i)


def store_check(net, i):
    r = subprocess.run([HANSA, "store", "check", net.home(i), "--json"], capture_output=True,
                       text=True, timeout=120)
    j = json.loads(r.stdout[r.stdout.index("{"):])
    problems = [l for l in r.stdout.splitlines() if l.strip().startswith("problem:")]
    check(r.returncode == 0 and not problems,
          "hansa store check finds node%d's store whole (exit %d: %s)" % (i, r.returncode, "; ".join(problems)[-400:]))
    return j


def set_prune(net, i, keep):
    cfg = net.config(i)
    cfg["prune"] = {"keep_blocks": keep}
    with open(os.path.join(net.home(i), "config.json"), "w") as f:
        json.dump(cfg, f)


def rpc_error(net, i, method, params):
    try:
        net.call(i, method, params)
        return None
    except cluster.RpcError as e:
        return e


def serves_what_it_keeps(net, i, archive):
    low = net.status(i)["lowest_height"]
    check(low > 1, "status of node%d reports its lowest kept height %d" % (i, low))
    check(net.status(archive)["lowest_height"] == 1, "an archive reports lowest_height 1")
    for method, params in (("block", {"height": 1}), ("light_block", {"height": 1}),
                           ("wait_block", {"after_height": 0})):
        e = rpc_error(net, i, method, params)
        check(e is not None and e.code == -32007 and e.data["lowest"] >= low and
              "pruned: lowest kept height is %d" % e.data["lowest"] in str(e),
              "%s below it answers -32007 pruned (%s)" % (method, e))
        check(rpc_error(net, archive, method, params) is None, "and the archive answers it")
    check(net.call(i, "block", {"height": low + 2})["height"] == low + 2, "a kept block is served")
    tx = None
    for h in range(2, low - 1):
        hashes = net.call(archive, "block", {"height": h})["tx_hashes"]
        if hashes:
            tx = hashes[0]
            break
    check(tx is not None, "the load committed a transaction below node%d's lowest block" % i)
    # The sweep has taken its index entry by now (-32001 naming the lowest
    # kept block); in the window before, its block was pruned (-32007).
    e = rpc_error(net, i, "tx", {"hash": tx})
    check(e is not None and (e.code == -32007 and e.data["height"] == h or
                             e.code == -32001 and e.data.get("lowest", 0) > h),
          "tx of a transaction in a pruned block is not served, saying why (%s)" % e)
    check(net.call(archive, "tx", {"hash": tx})["height"] == h, "the archive serves that tx")


def disk(net, i):
    return os.path.getsize(os.path.join(net.home(i), "data", "data.mdb"))


def test():
    with Testnet("prune", validators=4, accounts=16) as net:
        net.wait_heights([3], 3, 90)
        stop(net, 3)
        set_prune(net, 3, KEEP)
        net.up()
        load = net.start_load(rate=20, duration=600, accounts=16)
        net.wait_heights([0, 1, 2, 3], 60, 400)

        stop(net, 3)
        s = store_check(net, 3)
        say("node3 (keeps %d): tip %d, blocks %d from %d" % (KEEP, s["tip"], s["blocks"], s["first"]))
        check(s["first"] > 1 and s["tip"] - s["first"] + 1 <= KEEP + 1,
              "node3 holds only the last ~%d blocks" % KEEP)
        check(s["blocks"] == s["tip"] - s["first"] + 1, "and every height between them")
        # Its index holds a few hundred entries, under what the sweep looks at
        # every commit (1024 and more): each commit's sweep walked all of it.
        check(s["tx_pruned"] == 0, "the tx index holds no entry of a pruned block (%d)" %
              s["tx_pruned"])

        net.up()
        serves_what_it_keeps(net, 3, 0)
        tip = net.height(3)
        net.wait_heights([3], tip + 10, 120)
        net.kill9(3)  # it prunes after every commit: this lands mid-prune or between
        s = store_check(net, 3)
        check(s["tip"] - s["first"] + 1 <= KEEP + 1 and s["blocks"] == s["tip"] - s["first"] + 1,
              "after kill -9 the pruned store is consistent (blocks %d..%d)" %
              (s["first"], s["tip"]))
        net.up()
        net.wait_heights([3], s["tip"] + 5, 120)
        check(True, "restarted after kill -9, node3 commits on")
        load.kill()

        stop(net, 0)
        a = store_check(net, 0)
        check(a["first"] == 1, "the archive node0 keeps every block (first %d)" % a["first"])
        net.up()
        say("figure: data.mdb archive node0 %d bytes (%d blocks), pruned node3 %d bytes (%d blocks)"
            % (disk(net, 0), a["blocks"], disk(net, 3), s["blocks"]))


if __name__ == "__main__":
    cluster.main(test)
