#!/usr/bin/env python3
"""A validator-set change starts a new key generation (issue 14 phase 2,
docs/frost.md): the chain keeps the old set's group key and records a new
one for the new set, made by the new members.

Four genesis delegates (power 10) and a fifth node, all with "frost_dkg"
on (`hansa testnet up --frost`) and a block reward to pay the DKG
transactions' fee. The genesis set keys epoch 1. The fifth node gets
tokens and stakes 11, so the election at the next multiple of
epoch_blocks puts it in the set in place of the largest pubkey of the
equal-weight delegates; the powers {10, 10, 10, 11} are keyable (the three
weakest hold more than two thirds). The new set's epoch is its activation
height; its DKG runs among the new members only, and in the end every node
shows both keys (different), the new one current, the fifth node's session
agreed with it and the dropped delegate dealt nothing for it.
"""
import re

from delegates import DelegateNet, check, main, say, wait_for

EPOCH = 20
KEY_AFTER = 20 - 1  # FROST_DKG_COMPLAINT_BLOCKS - 1: the key's block after the activation


def keys_of(net, i):
    r = net.call(i, "group_key")
    return {int(k["epoch"]): k for k in r["keys"]}, r


def test():
    with DelegateNet("frostelect", validators=4, full_nodes=1,
                     elections={"epoch_blocks": EPOCH, "active_max": 4, "bench_max": 4,
                                "block_reward": 100}, frost=True) as net:
        net.wait_heights(range(5), 3, 60)
        new = net.key_info(4)
        old = [net.key_info(i) for i in range(4)]
        net.cli("send", "--from", "acct0", "--keys", net.accounts_key(), "--to", new["address"],
                "--amount", "1000")
        out = net.cli("stake", "--from", "node", "--keys", net.node_key(4), "--amount", "11")
        staked_at = int(out.split("height ")[1].split(",")[0])
        election = (staked_at // EPOCH + 1) * EPOCH
        dropped = max(o["pubkey"] for o in old)
        idx = [i for i in range(4) if old[i]["pubkey"] == dropped][0]
        say("stake committed at %d; election at %d; node%d should leave" % (staked_at, election, idx))

        def new_set():
            d = net.delegates()
            act = {v["pubkey"] for v in d["active"]}
            return new["pubkey"] in act and dropped not in act and int(d["active_from"])
        epoch = wait_for(new_set, 120, "the election to put node4 in the set")
        say("the new set decides from height %d: its DKG epoch" % epoch)
        net.wait_heights(range(5), epoch + KEY_AFTER + 3, 180)

        seen = []
        for i in range(5):
            keys, r = keys_of(net, i)
            check(1 in keys and epoch in keys, "node%d shows epoch 1's and epoch %d's keys (%s)"
                  % (i, epoch, sorted(keys)))
            check(int(r["current"]["epoch"]) == epoch, "node%d: epoch %d's key is current" % (i, epoch))
            check(keys[1]["key"] != keys[epoch]["key"], "node%d: the new set has a new key" % i)
            check(keys[epoch]["n"] == 4 and len(keys[epoch]["qual"]) >= 3,
                  "node%d: epoch %d's key is 3 of 4 with %d qualified"
                  % (i, epoch, len(keys[epoch]["qual"])))
            seen.append((keys[1]["key"], keys[epoch]["key"]))
        check(len(set(seen)) == 1, "every node records the same two keys")

        mark = "epoch %d: group key %s agreed with the chain" % (epoch, seen[0][1])
        ok = wait_for(lambda: mark in net.log_text(4) and [True], 30, "node4's session to end")
        check(ok, "node4 (elected) dealt in epoch %d and its session agreed with the chain" % epoch)
        check(("epoch %d: dealing" % epoch) not in net.log_text(idx),
              "node%d (dropped) dealt nothing for epoch %d" % (idx, epoch))
        for i in range(4):
            if i != idx:
                check(re.search("epoch %d: group key [0-9a-f]{64} agreed" % epoch, net.log_text(i)),
                      "node%d's epoch %d session agreed with the chain" % (i, epoch))


if __name__ == "__main__":
    main(test)
