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
agreed with it and the dropped delegate dealt nothing for it. Then the old
group's handoff signature on the new key is stored by every old member and
verified outside the node, and checkpoints go on under the new key.
"""
import re

from delegates import DelegateNet, check, main, say, wait_for

EPOCH = 40  # long enough for epoch 1's key and shares (block 25) before the election
KEY_AFTER = 24 - 1  # FROST_DKG_REVEAL_BLOCKS - 1: the key's block after the activation


def keys_of(net, i):
    r = net.call(i, "group_key")
    return {int(k["epoch"]): k for k in r["keys"]}, r


def run(name, v, slow=1, after=None):
    """v delegates and one more node that gets elected in place of one;
    waits up to slow times longer (many processes on few cores); calls
    after(net, v, new epoch, height of its first checkpoint seen) at the end
    while the network still runs."""
    t = v * 2 // 3 + 1  # dkg_threshold: more than two thirds
    with DelegateNet(name, validators=v, full_nodes=1,
                     elections={"epoch_blocks": EPOCH, "active_max": v, "bench_max": 4,
                                "block_reward": 100}, frost=True) as net:
        net.wait_heights(range(v + 1), 3, 60 * slow)
        new = net.key_info(v)
        old = [net.key_info(i) for i in range(v)]
        net.cli("send", "--from", "acct0", "--keys", net.accounts_key(), "--to", new["address"],
                "--amount", "1000")
        out = net.cli("stake", "--from", "node", "--keys", net.node_key(v), "--amount", "11")
        staked_at = int(out.split("height ")[1].split(",")[0])
        election = (staked_at // EPOCH + 1) * EPOCH
        dropped = max(o["pubkey"] for o in old)
        idx = [i for i in range(v) if old[i]["pubkey"] == dropped][0]
        say("stake committed at %d; election at %d; node%d should leave" % (staked_at, election, idx))

        def new_set():
            d = net.delegates()
            act = {a["pubkey"] for a in d["active"]}
            return new["pubkey"] in act and dropped not in act and int(d["active_from"])
        epoch = wait_for(new_set, 120 * slow, "the election to put node%d in the set" % v)
        say("the new set decides from height %d: its DKG epoch" % epoch)
        net.wait_heights(range(v + 1), epoch + KEY_AFTER + 3, 180 * slow)

        seen = []
        for i in range(v + 1):
            keys, r = keys_of(net, i)
            check(1 in keys and epoch in keys, "node%d shows epoch 1's and epoch %d's keys (%s)"
                  % (i, epoch, sorted(keys)))
            check(int(r["current"]["epoch"]) == epoch, "node%d: epoch %d's key is current" % (i, epoch))
            check(keys[1]["key"] != keys[epoch]["key"], "node%d: the new set has a new key" % i)
            check(keys[epoch]["n"] == v and keys[epoch]["t"] == t and len(keys[epoch]["qual"]) >= t,
                  "node%d: epoch %d's key is %d of %d with %d qualified"
                  % (i, epoch, t, v, len(keys[epoch]["qual"])))
            seen.append((keys[1]["key"], keys[epoch]["key"]))
        check(len(set(seen)) == 1, "every node records the same two keys")

        mark = "epoch %d: group key %s agreed with the chain" % (epoch, seen[0][1])
        ok = wait_for(lambda: mark in net.log_text(v) and [True], 30 * slow, "node%d's session to end" % v)
        check(ok, "node%d (elected) dealt in epoch %d and its session agreed with the chain" % (v, epoch))
        check(("epoch %d: dealing" % epoch) not in net.log_text(idx),
              "node%d (dropped) dealt nothing for epoch %d" % (idx, epoch))
        for i in range(v):
            if i != idx:
                check(re.search("epoch %d: group key [0-9a-f]{64} agreed" % epoch, net.log_text(i)),
                      "node%d's epoch %d session agreed with the chain" % (i, epoch))

        # Handoff (issue 14 phase 3): at the block that recorded the new key the
        # old group (nodes 0..v-1, the dropped one included) signed it over; each
        # of them stored the signature, and `hansa group-key --verify` follows
        # epoch 1's key to the new one by it, checking it outside the node.
        def handed_over():
            return all(keys_of(net, i)[0][epoch]["handoff_sig"] for i in range(v)) and [True]
        ok = wait_for(handed_over, 30 * slow, "the handoff signature on nodes 0..%d" % (v - 1))
        check(ok, "every member of the old group stored the handoff to epoch %d" % epoch)
        ho = keys_of(net, 0)[0][epoch]["handoff_sig"]
        check(int(ho["from"]) == 1 and ho["from_key"] == seen[0][0],
              "the handoff comes from epoch 1's key (%s)" % ho)
        out = net.cli("group-key", "--verify", node=idx)
        check("handoff to epoch %d: verified here" % epoch in out,
              "hansa group-key --verify follows epoch 1's key to epoch %d's:\n%s" % (epoch, out))
        # Checkpoints go on under the new key, signed by the new members.
        def new_checkpoint():
            try:
                cp = net.call(v, "checkpoint")
            except Exception:
                return None
            return int(cp["epoch"]) == epoch and cp
        cp = wait_for(new_checkpoint, 30 * slow, "a checkpoint under epoch %d's key" % epoch)
        check(cp["group_key"] == seen[0][1], "the new checkpoints are signed by the new key")
        out = net.cli("checkpoint", str(cp["height"]), "--verify", node=v)
        check("verified here" in out, "hansa checkpoint --verify checks one:\n%s" % out)
        # A follower that trusts only epoch 1's key reaches the new checkpoint
        # by the handoff; a forged trust root (another key) does not. It asks
        # the node that served the checkpoint: a node that missed that
        # height's CHECKPOINT message (a link went down) need not hold it.
        out = net.cli("checkpoint", str(cp["height"]), "--follow", "1:" + seen[0][0], node=v)
        check("followed here" in out and "followed to epoch %d: handoff verified" % epoch in out,
              "a follower of epoch 1's key verifies the new checkpoint:\n%s" % out)
        out = net.cli("checkpoint", str(cp["height"]), "--follow", "1:" + seen[0][1], node=v,
                      expect=1)
        check("not followed" in out, "a follower trusting another key refuses:\n%s" % out)
        if after:
            after(net, v, epoch, int(cp["height"]))


def test():
    run("frostelect", 4)


if __name__ == "__main__":
    main(test)
