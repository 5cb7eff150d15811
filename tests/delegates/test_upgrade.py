#!/usr/bin/env python3
"""Software ratification and unbonding, through the CLI and the RPC.

Four genesis delegates, each bonded 10. `status` shows the SHA-256 of the
running hansad and that it is not ratified. node0 proposes that hash
(`hansa upgrade propose`; proposing is not approving), then node0, node1
and node2 approve it (`hansa upgrade vote`): 20 of the 40 bonded tokens do
not ratify, 30 is more than 2/3, so the proposal is
ratified, and every node's `status` then says its software is the ratified
one. Then node1 unstakes 3: `unbonding` lists the entry with its release
height and the candidate's self bond drops to 7.
"""
from delegates import DelegateNet, check, main, wait_for

UNBONDING = 1000


def test():
    with DelegateNet("upgrade", validators=4, elections={"unbonding_blocks": UNBONDING}) as net:
        net.wait_heights(range(4), 2, 60)
        st = net.status(0)
        sw = st["software_hash"]
        check(len(sw) == 64 and st["software_ratified"] is False,
              "status shows the software hash %s, not ratified" % sw[:16])
        check(all(net.status(i)["software_hash"] == sw for i in range(4)),
              "every node runs the same binary")
        keys = [net.key_info(i) for i in range(4)]
        for i in range(3):  # fees
            net.cli("send", "--from", "acct%d" % i, "--keys", net.accounts_key(), "--to",
                    keys[i]["address"], "--amount", "100", "--no-wait")
        wait_for(lambda: all(net.call(0, "account", {"address": keys[i]["address"]})["balance"] != "0"
                             for i in range(3)), 30, "the delegates to be funded")

        net.cli("upgrade", "propose", "--from", "node", "--keys", net.node_key(0), "--hash", sw)
        p = net.call(0, "upgrade", {"hash": sw})
        check(p["approvals"] == 0 and not p["ratified"] and p["bonded_total"] == "40",
              "the proposal is open with no approvals (%s)" % p)
        for i in (0, 1):
            net.cli("upgrade", "vote", "--from", "node", "--keys", net.node_key(i), "--hash", sw)
        p = net.call(0, "upgrade", {"hash": sw})
        check(p["approvals"] == 2 and p["approval_weight"] == "20" and not p["ratified"],
              "two approvals of weight 20 of 40 do not ratify")
        net.cli("upgrade", "vote", "--from", "node", "--keys", net.node_key(2), "--hash", sw)
        p = wait_for(lambda: net.call(0, "upgrade", {"hash": sw})["ratified"] and
                     net.call(0, "upgrade", {"hash": sw}), 20, "ratification")
        check(p["approval_weight"] == "30" and p["ratified_at"] >= p["proposed_at"],
              "ratified at %d with weight %s of 40" % (p["ratified_at"], p["approval_weight"]))
        all_ = net.call(0, "upgrade")
        check(all_["latest_ratified"] == sw, "the latest ratified software is this binary")
        wait_for(lambda: all(net.status(i)["software_ratified"] for i in range(4)), 20,
                 "every node to report its software ratified")
        out = net.cli("upgrade", "status")
        check("RATIFIED" in out and sw in out, "`hansa upgrade status` shows it ratified")
        check("ratified by the chain" in net.cli("status"), "`hansa status` shows it ratified")

        out = net.cli("unstake", "--from", "node", "--keys", net.node_key(1), "--amount", "3")
        at = int(out.split("height ")[1].split(",")[0])
        u = net.call(0, "unbonding", {"address": keys[1]["address"]})
        check(u["bonded"] == "7" and u["unbonding"] == "3" and len(u["entries"]) == 1,
              "node1 has 7 bonded and 3 unbonding (%s)" % u)
        e = u["entries"][0]
        check(e["candidate"] == keys[1]["pubkey"] and e["release_height"] == at + UNBONDING,
              "released at height %d, %d after the unstake" % (e["release_height"], UNBONDING))
        check(net.candidates()[keys[1]["pubkey"]]["self_bond"] == "7", "node1's self bond is 7")


if __name__ == "__main__":
    main(test)
