#!/usr/bin/env python3
"""Stake-backed receipts on a real 4-delegate testnet (docs/receipts.md).

Three nodes bond receipt collateral. A transfer gets a receipt from one node
alone; a larger one is underwritten by the others (the shares add up). Then a
sender double-spends: the four delegates are split 2|2 (each delegate runs in
its own network namespace, as in test_partition_netns.py, and routes to the
other side are withdrawn), so neither side has a quorum and the chain halts,
and neither side can see the other's transactions. Two transfers with one
nonce each get a receipt on their own side, with no race against gossip.
After healing, one commits; the other never can, so after its deadline the
merchant claims the losing receipt through the CLI and is paid from the
losing node's collateral, while the winning receipt's claim is refuted (its
tx was committed in time). The losing node, its guarantee still outstanding,
is killed with -9 and restarted: its exposure record is intact. At the end
the receipt audit and the supply equation hold on every node. Latency
figures are printed (not asserted).

Needs root and `ip netns` (skips with a message otherwise)."""
import json
import os
import subprocess
import time

import cluster
from cluster import check, say
from test_partition_netns import Fabric, can_netns, rewrite_configs, start_in_ns

BOND = 5000


def hansa(net, *args, keys=None, node=0, ok=True):
    cmd = [cluster.HANSA] + list(args) + ["--keys", keys or os.path.join(net.dir, "accounts.key"),
                                          "--node", net.rpc_addr(node)]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=90)
    if ok and r.returncode != 0:
        raise cluster.CheckFailed("%s failed (%d): %s%s" % (" ".join(args), r.returncode, r.stdout,
                                                            r.stderr))
    return r


def node_keys(net, i):
    return os.path.join(net.home(i), "node.key")


def balance(net, addr):
    return int(net.call(0, "account", {"address": addr})["balance"])


def signed_transfer(net, frm, to, amount, nonce):
    r = hansa(net, "send", "--from", frm, "--to", to, "--amount", str(amount), "--nonce", str(nonce),
              "--fee", "10", "--dry-run", "--json")
    return json.loads(r.stdout)["tx"]


def bond_node(net, i, addrs):
    key = json.loads(hansa(net, "key", "list", "--json", keys=node_keys(net, i)).stdout)
    key = key["keys"][0] if isinstance(key, dict) else key[0]
    hansa(net, "send", "--from", "acct0", "--to", key["address"], "--amount", str(BOND + 1000))
    hansa(net, "receipt", "bond", "--from", "node", "--amount", str(BOND), keys=node_keys(net, i),
          node=i)
    st = net.call(i, "receipt_status")
    check(int(st["bonded"]) == BOND, "node%d bonded %d receipt collateral" % (i, BOND))


def committed_on(net, i, tx_hash):
    try:
        net.call(i, "tx", {"hash": tx_hash})
        return True
    except cluster.RpcError:
        return False


def audit_all(net):
    for i in range(net.size()):
        a = net.call(i, "receipts_audit")
        check(a["ok"], "node%d: receipt audit and supply equation hold (%s)" % (i, a.get("why", "")))


def split(fab, sides, apart):
    """Withdraws (apart) or restores the routes between the two sides: a
    prohibit route in each namespace for every address on the other side.
    The test's own namespace still reaches every node's RPC."""
    for a, b in (sides, sides[::-1]):
        for i in a:
            for j in b:
                cmd = ["ip", "netns", "exec", fab.ns[i], "ip", "route", "add" if apart else "del",
                       "prohibit", fab.ip[j] + "/32"]
                r = subprocess.run(cmd, capture_output=True, text=True)
                if r.returncode != 0:
                    raise cluster.CheckFailed("%s: %s" % (" ".join(cmd), r.stderr.strip()))


def double_spend(net, fab, addrs, nonce):
    """Two transfers of acct4 with one nonce, receipted by node0 and node2
    while {0,1} and {2,3} cannot reach each other (no quorum on either side,
    so nothing commits and no gossip crosses)."""
    txs = [signed_transfer(net, "acct4", addrs[5], 3000, nonce),
           signed_transfer(net, "acct4", addrs[6], 3000, nonce)]
    sides = ([0, 1], [2, 3])
    split(fab, sides, apart=True)
    say("split {0,1} | {2,3}: neither side has more than 2/3 of the power")
    out = [net.call(k, "submit_receipt", {"tx": txs[i], "deadline_blocks": 6})
           for i, k in enumerate((0, 2))]
    for i, k in enumerate((0, 2)):
        pool = net.call(k, "mempool")["hashes"]
        check(out[i]["hash"] in pool and out[1 - i]["hash"] not in pool,
              "node%d holds its own side's spend and not the other's" % k)
    split(fab, sides, apart=False)
    say("healed")
    return out


def test():
    why = can_netns()
    if why:
        say("SKIP: network namespaces unavailable (%s)" % why)
        return cluster.SKIP
    cluster.seed_from_env()
    with cluster.Testnet("receipts") as net:
        subprocess.run([cluster.HANSA, "testnet", "down", "--dir", net.dir], capture_output=True)
        fab = Fabric(net.size())
        try:
            fab.up()
            rewrite_configs(net, fab)
            for i in range(net.size()):
                start_in_ns(net, fab, i)
            run(net, fab)
        finally:
            net.stop_all()
            fab.down()
    return 0


def run(net, fab):
    nodes = list(range(net.size()))
    net.wait_heights(nodes, 2, 60)
    addrs = net.accounts_addresses()
    for i in (0, 1, 2):
        bond_node(net, i, addrs)

    # One node covers a small transfer alone. A wallet paying twice in a row
    # numbers its transfers itself: the second goes out before the first
    # commits, and the committed nonce the CLI would ask for can change
    # between its question and the receipt (seen once in CI).
    n2 = net.nonce(0, addrs[2])
    r = json.loads(hansa(net, "send", "--from", "acct2", "--to", addrs[3], "--amount", "100",
                         "--nonce", str(n2), "--receipt", "--json").stdout)
    check(len(r["guarantors"]) == 1 and int(r["amount"]) == 100, "a single-signer receipt")
    say("receipt in %.2f ms (node %.2f ms)" % (r["client_us"] / 1000, int(r["elapsed_us"]) / 1000))
    v = hansa(net, "receipt", "verify", r["receipt"])
    check("valid" in v.stdout, "hansa receipt verify accepts it")

    # Underwritten: above node0's free collateral.
    u = json.loads(hansa(net, "send", "--from", "acct2", "--to", addrs[3], "--amount",
                         str(BOND + 2000), "--nonce", str(n2 + 1), "--receipt", "--json").stdout)
    shares = [int(g["amount"]) for g in u["guarantors"]]
    check(len(shares) >= 2 and sum(shares) == BOND + 2000,
          "underwritten receipt: shares %s cover %d" % (shares, BOND + 2000))
    say("underwritten receipt in %.2f ms" % (u["client_us"] / 1000))

    # Double spend against node0 and node2, on two sides of a split.
    # Their guarantees are released once the transfers above commit.
    for h in (r["hash"], u["hash"]):
        cluster.wait_for(lambda: committed_on(net, 0, h), 60, "transfer %s to commit" % h[:12])
    signer = (0, 2)
    out = double_spend(net, fab, addrs, net.nonce(0, addrs[4]))
    deadline = max(int(o["deadline"]) for o in out)
    net.wait_heights(nodes, deadline + 2, 120)
    committed = [committed_on(net, 0, o["hash"]) for o in out]
    check(committed.count(True) == 1, "exactly one of the two spends committed: %s" % committed)
    lose = committed.index(False)
    win = 1 - lose
    loser, lnode, wnode = out[lose], signer[lose], signer[win]
    bene = addrs[5 + lose]
    st = net.call(lnode, "receipt_status")
    check(any(g["tx"] == loser["hash"] for g in st["guarantees"]),
          "node%d still holds the losing guarantee before the claim" % lnode)

    # kill -9 the losing node: its guarantees survive.
    before = {g["tx"]: g for g in st["guarantees"]}
    net.kill9(lnode)
    start_in_ns(net, fab, lnode)
    net.wait_heights([lnode], net.height(wnode), 90)
    after = {g["tx"]: g for g in net.call(lnode, "receipt_status")["guarantees"]}
    check(loser["hash"] in after and after[loser["hash"]] == before[loser["hash"]],
          "node%d's exposure record is intact after kill -9 and restart" % lnode)

    # The merchant of the losing spend claims; the winner's claim is refuted.
    b0 = balance(net, bene)
    hansa(net, "receipt", "claim", "--from", "acct7", loser["receipt"], node=wnode)
    net.wait_heights([0], net.height(0) + 1, 30)
    check(balance(net, bene) == b0 + 3000, "the claim paid the merchant 3000")
    vv = net.call(0, "receipt_verify", {"receipt": loser["receipt"]})
    paid = vv["signers"][0]
    check(int(paid["claimed"]) == 3000, "the losing node's collateral paid it")
    check(vv["status"] == "claimed", "the receipt is claimed")
    again = hansa(net, "receipt", "claim", "--from", "acct7", loser["receipt"], ok=False)
    check(again.returncode != 0, "a second claim is refused: " + again.stderr.strip())
    refused = hansa(net, "receipt", "claim", "--from", "acct7", out[win]["receipt"], ok=False)
    check(refused.returncode != 0 and "refuted" in refused.stderr,
          "the kept receipt's claim is refuted: " + refused.stderr.strip())
    audit_all(net)


if __name__ == "__main__":
    cluster.main(test)
