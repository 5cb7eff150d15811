#!/usr/bin/env python3
"""The delegates sign checkpoints with their FROST group (issue 14 phase 3,
docs/frost.md): a 4-delegate testnet with `hansa testnet up --frost` runs
its key generation, then after every committed block the group signs the
checkpoint (chain id, height, header hash, epoch) with ROAST over peer
message 17 and every delegate stores the signature (message 18).

Checked: the key's own block and the next, which commit before the members
hold their shares, are signed once they do; successive heights have a
checkpoint on every node, the same
header hash as the chain, a signature that `hansa checkpoint --verify`
checks outside the node against the chain's group key; with one delegate
killed (kill -9) the other three (t = 3 of 4) still sign new heights; the
restarted delegate resumes with its stored nonces and signs again, and no
node ever refused a request for a nonce already used."""
import json
import os

import cluster
from cluster import check, say

KEYED_AT = 1 + 24 - 1  # FROST_DKG_REVEAL_BLOCKS (ledger/tx_frost.h): the key's block
# The DKG duty on every delegate (testnet up --frost funds their keys for its fees).
FROST = ["--frost"]


def checkpoint(net, i, h):
    """Node i's checkpoint at height h, or None."""
    try:
        return net.call(i, "checkpoint", {"height": h})
    except (cluster.RpcError, OSError):
        return None


def signed(net, nodes, lo, hi):
    """Heights in lo..hi whose checkpoint every node in nodes stored."""
    return [h for h in range(lo, hi + 1) if all(checkpoint(net, i, h) for i in nodes)]


def full_node_serves(net, key):
    """A full node without the DKG duty, linked to node0 only, keeps and
    serves the checkpoints its peer passes on (docs/frost.md)."""
    home, cfg = net.full_node_home("full", net.accounts - 1, peers=[0])
    cfg["frost_dkg"] = False
    with open(os.path.join(home, "config.json"), "w") as f:
        json.dump(cfg, f)
    net.extra.append(cluster.subprocess.Popen([cluster.HANSAD, "--home", home],
                                              stdout=open(os.path.join(home, "hansad.log"), "w"),
                                              stderr=cluster.subprocess.STDOUT))

    def served():
        try:
            cp = cluster.rpc(cfg["rpc"], "checkpoint")
        except (cluster.RpcError, OSError):
            return None
        return cp["group_key"] == key["key"] and cp
    cp = cluster.wait_for(served, 60, "the full node to serve a checkpoint")
    out = cluster.subprocess.run([cluster.HANSA, "checkpoint", str(cp["height"]), "--verify", "--node",
                                  cfg["rpc"]], capture_output=True, text=True, timeout=30)
    check(out.returncode == 0 and "verified here" in out.stdout,
          "the full node's checkpoint %s verifies:\n%s%s" % (cp["height"], out.stdout, out.stderr))
    say("a full node without the DKG duty serves checkpoint %s" % cp["height"])


def test():
    rng = cluster.seed_from_env()
    with cluster.Testnet("frostcp", up_args=FROST) as net:
        nodes = list(range(net.size()))
        net.wait_heights(nodes, KEYED_AT + 2, 120)
        key = net.call(0, "group_key")["current"]
        check(key is not None, "the group key is recorded")
        # The key's own block and the next are signed too, once the members'
        # sessions end (reveal_end) and leave them their shares.
        first = cluster.wait_for(lambda: all(any(checkpoint(net, i, h) for i in nodes)
                                             for h in (KEYED_AT, KEYED_AT + 1)) and [True], 30,
                                 "checkpoints of heights %d and %d" % (KEYED_AT, KEYED_AT + 1))
        check(first, "the blocks from the key's own (%d) on have checkpoints" % KEYED_AT)
        lo = KEYED_AT + 1
        net.wait_heights(nodes, lo + 6, 60)
        hi = min(net.heights(nodes)) - 1
        ok = cluster.wait_for(lambda: len(signed(net, nodes, lo, hi)) >= 4 and [True], 30,
                              "checkpoints of successive heights")
        heights = signed(net, nodes, lo, hi)
        say("checkpoints signed at %s" % heights)
        check(ok and len(heights) >= 4, "at least 4 of heights %d..%d signed everywhere" % (lo, hi))
        for h in heights:
            cp = [checkpoint(net, i, h) for i in nodes]
            bh = net.block_hash(0, h)[0]
            for i in nodes:
                check(cp[i]["header_hash"] == bh and cp[i]["group_key"] == key["key"]
                      and int(cp[i]["epoch"]) == int(key["epoch"]),
                      "node%d's checkpoint %d names block %s under the chain's key" % (i, h, bh[:12]))
        h = heights[-1]
        out = cluster.subprocess.run([cluster.HANSA, "checkpoint", str(h), "--verify", "--node",
                                      net.rpc_addr(rng.choice(nodes))],
                                     capture_output=True, text=True, timeout=30)
        check(out.returncode == 0 and "verified here" in out.stdout,
              "hansa checkpoint %d --verify checks the signature:\n%s%s" % (h, out.stdout, out.stderr))
        full_node_serves(net, key)

        victim = rng.choice(nodes)
        others = [i for i in nodes if i != victim]
        net.kill9(victim)
        h0 = max(net.heights(others))
        say("killed node%d at height ~%d" % (victim, h0))
        net.wait_heights(others, h0 + 6, 90)
        hi = min(net.heights(others)) - 1
        ok = cluster.wait_for(lambda: len(signed(net, others, h0 + 1, hi)) >= 3 and [True], 30,
                              "checkpoints with node%d down" % victim)
        down = signed(net, others, h0 + 1, hi)
        say("with node%d down, signed at %s" % (victim, down))
        check(ok, "three of four delegates (the threshold) still sign checkpoints")

        net.up()
        h1 = max(net.heights(others))
        say("restarted node%d at height ~%d" % (victim, h1))
        net.wait_heights(nodes, h1 + 6, 90)
        hi = min(net.heights(nodes)) - 1
        ok = cluster.wait_for(lambda: len(signed(net, nodes, h1 + 2, hi)) >= 3 and [True], 30,
                              "checkpoints stored by all after the restart")
        check(ok, "after the restart every delegate stores new checkpoints again")
        vlog = net.log_text(victim)
        check(vlog.count("signing checkpoints as participant") >= 2,
              "node%d rebuilt its signer after the restart" % victim)
        for i in nodes:
            log = net.log_text(i)
            check("already used" not in log, "node%d never saw a request for a used nonce" % i)
            check("does not verify" not in log, "node%d never made a bad aggregate" % i)
        cluster.compare_chains(net, nodes, 1, min(net.heights(nodes)))


if __name__ == "__main__":
    cluster.main(test)
