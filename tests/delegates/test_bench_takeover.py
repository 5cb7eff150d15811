#!/usr/bin/env python3
"""A bench candidate out-votes an active delegate and takes its place at the
epoch boundary.

Four genesis delegates (power 10 each, active_max 4) and a fifth node that is
a full node. The fifth node's key gets tokens, stakes 5 (`hansa stake`) and
gets 20 in votes from a funded account (`hansa vote --for ADDRESS`), so its
weight 25 beats the weakest delegate's 10 (ties broken by pubkey: the largest
of the four drops). The election at the end of the next multiple of
epoch_blocks picks the new set, which decides from two heights later; then
`delegates` shows the fifth node active and the dropped one on the bench,
the fifth node says it is a delegate, and it signs the commits of the
following heights while the chain keeps going.
"""
from delegates import DelegateNet, check, main, say, wait_for

EPOCH = 20


def test():
    with DelegateNet("bench", validators=4, full_nodes=1,
                     elections={"epoch_blocks": EPOCH, "active_max": 4, "bench_max": 4}) as net:
        net.wait_heights(range(5), 3, 60)
        new = net.key_info(4)
        old = [net.key_info(i) for i in range(4)]
        check(not net.status(4)["is_delegate"], "node4 starts as a full node")
        check(new["pubkey"] not in net.candidates(), "node4 is not a candidate yet")

        net.cli("send", "--from", "acct0", "--keys", net.accounts_key(), "--to", new["address"],
                "--amount", "1000")
        net.cli("stake", "--from", "node", "--keys", net.node_key(4), "--amount", "5")
        out = net.cli("vote", "--from", "acct1", "--keys", net.accounts_key(), "--for",
                      new["address"], "--amount", "20")
        voted_at = int(out.split("height ")[1].split(",")[0])
        c = net.candidates()[new["pubkey"]]
        check(c["self_bond"] == "5" and c["votes"] == "20" and c["weight"] == "25" and c["eligible"],
              "node4 is a candidate with self bond 5, votes 20, weight 25 (%s)" % c)
        check(c["role"] in ("bench", "active"), "node4 ranks first: %s" % c["role"])

        dropped = max(o["pubkey"] for o in old)  # equal weights: the largest pubkey drops
        election = (voted_at // EPOCH + 1) * EPOCH
        say("vote committed at %d; election at the end of %d, new set decides %d" %
            (voted_at, election, election + 2))
        net.wait_heights([0], election + 2, 90)
        d = net.delegates()
        active = {v["pubkey"]: v["power"] for v in d["active"]}
        check(active.get(new["pubkey"]) == 25, "node4 is active with power 25 (%s)" % active)
        check(dropped not in active, "the weakest delegate (largest pubkey of equal weights) left")
        check(dropped in {b["pubkey"] for b in d["bench"]}, "the dropped delegate is on the bench")
        check(d["active_from"] <= election + 2, "the new set decides from %d" % d["active_from"])

        h = wait_for(lambda: net.status(4)["is_delegate"] and net.height(0), 30, "node4 to be a delegate")
        net.wait_heights([0, 4], h + 5, 60)
        signed = [net.commit_signers(0, x) for x in range(h + 1, h + 5)]
        check(all(new["pubkey"] in s for s in signed),
              "node4 signs the commits of heights %d..%d" % (h + 1, h + 4))
        idx = [i for i in range(4) if old[i]["pubkey"] == dropped][0]
        check(not net.status(idx)["is_delegate"], "node%d (dropped) is no longer a delegate" % idx)
        out = net.cli("delegates")
        check(new["address"] in out.split("next (")[0], "`hansa delegates` lists node4 as active")


if __name__ == "__main__":
    main(test)
