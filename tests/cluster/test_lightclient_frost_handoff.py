#!/usr/bin/env python3
"""A foreign chain's light client follows a chain across a key change by
one handoff signature (issue 14, "Done when"; docs/interchain.md "FROST
checkpoints"): a federation of 2 chains x 4 delegates and one more node each,
with FROST (`hansa federation up --frost --approve-by-stake`); fed2's client
of fed1 is registered with fed1's epoch-1 group key. fed1's extra node stakes
and is elected in place of a delegate; the new set runs its key generation,
the old group signs the handoff to the new key, and fed2's relay duty takes
fed1's checkpoints under the new key with that handoff in the update.

Checked: fed2's client trusts epoch 1's key before the election and the new
epoch's key after it, reached by a FROST update (its key shown current at its
own header's time), with no new trust root and no approval in between.
"""
from fed import CheckFailed, Federation, RpcError, check, say, wait_for

EPOCH = 40  # epoch_blocks: epoch 1's key (block 20) and the registrations come first


def test():
    f = Federation("lc-frost-handoff", chains=2, validators=4, full_nodes=1,
                   elections={"epoch_blocks": EPOCH, "active_max": 4, "bench_max": 4, "block_reward": 100})
    f.extra_up = ["--frost", "--approve-by-stake"]
    with f:
        fed1 = f.chain_id(0)
        c = f.client(1, 0)
        check(c is not None and c["status"] == "active", "fed2's client of fed1 is active")
        gk = c["latest"].get("group_key")
        check(gk is not None and int(gk["epoch"]) == 1, "it trusts fed1's key of epoch 1: %s" % gk)
        root_hash = c["root_hash"]
        # fed1's fifth node stakes more than a delegate and is elected.
        new = f.key_info(0, 4)
        f.cli("send", "--from", "acct0", "--keys", f.accounts_key(0), "--to", new["address"], "--amount", "1000",
              k=0)
        f.cli("stake", "--from", "node", "--keys", f.node_key(0, 4), "--amount", "11", k=0)

        def new_set():
            d = f.call(0, 0, "delegates")
            return new["pubkey"] in {a["pubkey"] for a in d["active"]} and int(d["active_from"])
        epoch = wait_for(new_set, 120, "the election to put fed1's node4 in the set")
        say("fed1's new set decides from height %d: its key epoch" % epoch)

        def followed():
            c = f.client(1, 0)
            k = c and c["latest"].get("group_key")
            return k and int(k["epoch"]) == epoch and k["time_ms"] == c["latest"]["time_ms"] and c
        c = wait_for(followed, 120, "fed2's client of fed1 to reach epoch %d's key" % epoch)
        key = {int(k["epoch"]): k for k in f.call(0, 0, "group_key")["keys"]}
        check(c["latest"]["group_key"]["key"] == key[epoch]["key"],
              "fed2's client trusts fed1's recorded key of epoch %d" % epoch)
        check(c["root_hash"] == root_hash and c["status"] == "active",
              "reached by a handoff: same trust root, no revival")
        say("fed2's client of fed1 at height %d under epoch %d's key, from epoch 1's by one handoff" %
            (c["trusted_height"], epoch))
        # Every node serves checkpoints and the handoff, not only the group's
        # members: the delegate the election dropped and fed2's full node
        # sign nothing (a relayer asking the dropped one, its first seed,
        # once fell back to commit updates for good).
        active = {a["pubkey"] for a in f.call(0, 0, "delegates")["active"]}
        outside = [(0, i) for i in range(5) if f.key_info(0, i)["pubkey"] not in active] + [(1, 4)]
        check(len(outside) == 2, "one fed1 node left the set: %s" % outside)
        for k, i in outside:
            newest = int(f.call(k, 0, "group_key")["current"]["epoch"])

            def served():
                try:
                    cp = f.call(k, i, "checkpoint")
                    return int(cp["epoch"]) == newest and "verified here" in f.cli(
                        "checkpoint", str(cp["height"]), "--verify", k=k, i=i)
                except (CheckFailed, RpcError):
                    return False
            wait_for(served, 30, "%s node%d to serve a checkpoint of epoch %d that verifies" %
                     (f.chain_id(k), i, newest))
        ho = {int(g["epoch"]): g for g in f.call(0, outside[0][1], "group_key")["keys"]}[epoch]
        check(ho.get("handoff_sig") is not None, "the dropped delegate serves the handoff to epoch %d" % epoch)
        say("the dropped delegate fed1 node%d and fed2's full node serve verified checkpoints" % outside[0][1])


if __name__ == "__main__":
    from cluster import main
    main(test)
