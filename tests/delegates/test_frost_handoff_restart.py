#!/usr/bin/env python3
"""A member of the old group restarted between the new set's activation and
the handoff still signs the handoff (issue 14, docs/frost.md "The previous
epoch's share is durable until its handoff").

Four genesis delegates and a fifth node elected in place of one, as in
test_frost_election.py. Once the new set is in force, an old member that
stays in the set is killed with kill -9 (its DKG record has taken the new
set's seed beside epoch 1's share) and restarted. Before the block that
records the new key, another old member is killed and stays down, so the
old group's members up are exactly its threshold (3 of 4): the handoff is
signed only with the restarted one. It is stored and verifies, and the
restarted node's log shows it handing over.
"""
from delegates import DelegateNet, check, main, say, wait_for
from test_frost_election import EPOCH, KEY_AFTER, keys_of


def test():
    v = 4
    with DelegateNet("frostrestart", validators=v, full_nodes=1,
                     elections={"epoch_blocks": EPOCH, "active_max": v, "bench_max": 4,
                                "block_reward": 100}, frost=True) as net:
        net.wait_heights(range(v + 1), 3, 60)
        new = net.key_info(v)
        old = [net.key_info(i) for i in range(v)]
        net.cli("send", "--from", "acct0", "--keys", net.accounts_key(), "--to", new["address"],
                "--amount", "1000")
        net.cli("stake", "--from", "node", "--keys", net.node_key(v), "--amount", "11")
        dropped = max(o["pubkey"] for o in old)

        def new_set():
            d = net.delegates()
            act = {a["pubkey"] for a in d["active"]}
            return new["pubkey"] in act and dropped not in act and int(d["active_from"])
        epoch = wait_for(new_set, 120, "the election to put node%d in the set" % v)
        # Participant ids are the old set's members by pubkey. The handoff's
        # coordinator is the proposer of the key's block, or participant
        # epoch mod 4 + 1 when the proposer (the new node) is not in the old
        # group: that one must stay up.
        by_id = sorted(range(v), key=lambda i: old[i]["pubkey"])
        fallback = by_id[epoch % v]
        stay = next(i for i in by_id if i != fallback and old[i]["pubkey"] != dropped)
        down = next(i for i in reversed(by_id) if i not in (stay, fallback))
        say("new set from %d: node%d restarts, node%d goes down before the handoff" % (epoch, stay, down))
        net.wait_heights([stay], epoch + 1, 120)
        net.kill9(stay)
        others = [i for i in range(v + 1) if i != stay]
        h = max(net.heights(others))
        net.wait_heights(others, h + 2, 60)
        net.up()  # restarts node `stay`
        net.wait_heights([stay], h + 3, 60)
        check(max(net.heights(others)) < epoch + KEY_AFTER - 1,
              "node%d is back before the new key's block (%d)" % (stay, epoch + KEY_AFTER))
        net.kill9(down)
        up = [i for i in range(v + 1) if i != down]
        check(max(net.heights(up)) < epoch + KEY_AFTER,
              "node%d is down before the new key's block (%d)" % (down, epoch + KEY_AFTER))
        net.wait_heights(up, epoch + KEY_AFTER + 3, 180)

        def handed_over():
            return all(keys_of(net, i)[0].get(epoch, {}).get("handoff_sig")
                       for i in range(v) if i != down) and [True]
        ok = wait_for(handed_over, 30, "the handoff signature on the old members up")
        check(ok, "the old members up (3 of 4, node%d restarted among them) stored the handoff" % stay)
        log = net.log_text(stay)
        check("epoch 1: handing over to epoch %d's key" % epoch in log,
              "node%d, restarted, took part in the handoff with epoch 1's share" % stay)
        out = net.cli("group-key", "--verify", node=stay)
        check("handoff to epoch %d: verified here" % epoch in out,
              "hansa group-key --verify follows epoch 1's key to epoch %d's:\n%s" % (epoch, out))


if __name__ == "__main__":
    main(test)
