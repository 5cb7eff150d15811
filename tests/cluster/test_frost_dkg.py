#!/usr/bin/env python3
"""The delegates' key generation duty (issue 14 phase 2, docs/frost.md): a
4-delegate testnet with "frost_dkg" on (`hansa testnet up --frost`, which
funds the delegates' accounts for their transactions' fees). The genesis set's DKG runs over the links (peer message 16, SHAREs)
and the chain (tx 60 COMMITs): one delegate is killed with kill -9 in the
middle of it and restarted a few blocks later; it resumes its session from
the seed it stored before dealing. In the end every node's group_key RPC
shows the same recorded key for epoch 1 (at least the threshold of
dealers qualified), every delegate's session agreed with the chain, and the
chains agree block by block."""
import re

import cluster
from cluster import check, say

KEYED_AT = 1 + 24 - 1  # FROST_DKG_REVEAL_BLOCKS (ledger/tx_frost.h): the key's block
# The DKG duty on every delegate (testnet up --frost funds their keys for its fees).
FROST = ["--frost"]


def test():
    rng = cluster.seed_from_env()
    with cluster.Testnet("frostdkg", up_args=FROST) as net:
        nodes = list(range(net.size()))
        victim = rng.choice(nodes)
        others = [i for i in nodes if i != victim]
        net.wait_heights(nodes, 3, 60)
        net.kill9(victim)
        h0 = max(net.heights(others))
        say("killed node%d at height ~%d, mid-DKG" % (victim, h0))
        net.wait_heights(others, h0 + 3, 60)
        net.up()
        say("restarted node%d at height ~%d" % (victim, max(net.heights(others))))
        net.wait_heights(nodes, KEYED_AT + 3, 120)

        keys = []
        for i in nodes:
            r = net.call(i, "group_key")
            check(r["current"] is not None, "node%d's group_key shows a recorded key" % i)
            cur = r["current"]
            check(int(cur["epoch"]) == 1 and cur["n"] == 4 and cur["t"] == 3,
                  "node%d: the key is epoch 1's, 3 of 4 (got epoch %s, %s of %s)"
                  % (i, cur["epoch"], cur["t"], cur["n"]))
            check(len(cur["qual"]) >= 3, "node%d: %d dealers qualified" % (i, len(cur["qual"])))
            check(r["dkg"]["state"] == "keyed", "node%d: the open epoch is keyed" % i)
            keys.append(cur["key"])
        check(len(set(keys)) == 1, "every node shows the same group key %s" % keys[0])
        out = cluster.subprocess.run([cluster.HANSA, "group-key", "--node", net.rpc_addr(0)],
                                     capture_output=True, text=True, timeout=30)
        check(out.returncode == 0 and keys[0] in out.stdout and "keyed" in out.stdout,
              "hansa group-key prints the key and the keyed state:\n%s" % out.stdout)

        # Each delegate's own session ended with the chain's key (the
        # victim's after resuming from its stored seed).
        for i in nodes:
            ok = cluster.wait_for(lambda i=i: "agreed with the chain" in net.log_text(i) and [True],
                                  30, "node%d's session to end" % i)
            log = net.log_text(i)
            check(ok, "node%d's DKG session agreed with the chain's key" % i)
            check("differs from the chain" not in log, "node%d saw no other key" % i)
            m = re.search(r"group key ([0-9a-f]{64}) agreed", log)
            check(m and m.group(1) == keys[0], "node%d logged the RPC's key" % i)
        # Killed before the commit window closed, the victim catches up block
        # by block and resumes at the first one: from its stored seed, so it
        # deals the same polynomial (a second COMMIT would be refused and
        # logged as not admitted with "already committed").
        # The signing shares are stored: after another kill -9 and restart
        # every delegate still holds its share of epoch 1's key.
        for i in nodes:
            d = net.call(i, "group_key")["duty"]
            check(int(d["epoch"]) == 1 and d["has_share"] and not d["dealing"],
                  "node%d holds a signing share of epoch 1 (%s)" % (i, d))
        again = rng.choice(nodes)
        net.kill9(again)
        net.up()
        net.wait_heights([again], max(net.heights(nodes)), 60)
        d = net.call(again, "group_key")["duty"]
        check(int(d["epoch"]) == 1 and d["has_share"],
              "node%d still holds its signing share after kill -9 and restart (%s)" % (again, d))
        vlog = net.log_text(victim)
        check("resuming my session from the stored seed" in vlog,
              "node%d resumed its session from the stored seed" % victim)
        check("already committed" not in vlog, "node%d dealt no second COMMIT" % victim)
        cluster.compare_chains(net, nodes, 1, min(net.heights(nodes)))


if __name__ == "__main__":
    cluster.main(test)
