#!/usr/bin/env python3
"""Stake-backed receipts on a real 4-delegate testnet (docs/receipts.md).

Three nodes bond receipt collateral. A transfer gets a receipt from one node
alone; a larger one is underwritten by the others (the shares add up). Then a
sender double-spends: two transfers with one nonce, each given a receipt by a
different node at once. One commits; the other never can, so after its
deadline the merchant claims the losing receipt through the CLI and is paid
from the losing node's collateral, while the winning receipt's claim is
refused (its tx was committed in time). The losing node, its guarantee still
outstanding, is killed with -9 and restarted: its exposure record is intact.
At the end the receipt audit and the supply equation hold on every node.
Latency figures are printed (not asserted)."""
import json
import os
import subprocess
import threading
import time

import cluster
from cluster import check, say

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


def audit_all(net):
    for i in range(net.size()):
        a = net.call(i, "receipts_audit")
        check(a["ok"], "node%d: receipt audit and supply equation hold (%s)" % (i, a.get("why", "")))


def double_spend(net, addrs, nonce):
    """Two transfers of acct4 with one nonce, each receipted by its own node at once."""
    txs = [signed_transfer(net, "acct4", addrs[5], 3000, nonce),
           signed_transfer(net, "acct4", addrs[6], 3000, nonce)]
    out = [None, None]

    def ask(k):
        try:
            out[k] = net.call(k, "submit_receipt", {"tx": txs[k], "deadline_blocks": 4})
        except cluster.RpcError as e:
            out[k] = e
    ts = [threading.Thread(target=ask, args=(k,)) for k in (0, 1)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return out


def test():
    cluster.seed_from_env()
    with cluster.Testnet("receipts") as net:
        nodes = list(range(net.size()))
        net.wait_heights(nodes, 2, 60)
        addrs = net.accounts_addresses()
        for i in (0, 1, 2):
            bond_node(net, i, addrs)

        # One node covers a small transfer alone.
        r = json.loads(hansa(net, "send", "--from", "acct2", "--to", addrs[3], "--amount", "100",
                             "--receipt", "--json").stdout)
        check(len(r["guarantors"]) == 1 and int(r["amount"]) == 100, "a single-signer receipt")
        say("receipt in %.2f ms (node %.2f ms)" % (r["client_us"] / 1000, int(r["elapsed_us"]) / 1000))
        v = hansa(net, "receipt", "verify", r["receipt"])
        check("valid" in v.stdout, "hansa receipt verify accepts it")

        # Underwritten: above node0's free collateral.
        u = json.loads(hansa(net, "send", "--from", "acct2", "--to", addrs[3], "--amount",
                             str(BOND + 2000), "--receipt", "--json").stdout)
        shares = [int(g["amount"]) for g in u["guarantors"]]
        check(len(shares) >= 2 and sum(shares) == BOND + 2000,
              "underwritten receipt: shares %s cover %d" % (shares, BOND + 2000))
        say("underwritten receipt in %.2f ms" % (u["client_us"] / 1000))

        # Double spend against two receipt nodes.
        nonce = net.nonce(0, addrs[4])
        for attempt in range(6):
            out = double_spend(net, addrs, nonce)
            if all(isinstance(o, dict) for o in out):
                break
            say("attempt %d: one node saw the other's tx first (%s); again" % (attempt, out))
            net.wait_heights([0], net.height(0) + 2, 30)
            nonce = net.nonce(0, addrs[4])
        check(all(isinstance(o, dict) for o in out), "both nodes gave a receipt for the double spend")
        deadline = max(int(o["deadline"]) for o in out)
        net.wait_heights(nodes, deadline + 2, 90)
        committed = []
        for o in out:
            try:
                net.call(0, "tx", {"hash": o["hash"]})
                committed.append(True)
            except cluster.RpcError:
                committed.append(False)
        check(committed.count(True) == 1, "exactly one of the two spends committed: %s" % committed)
        lose = committed.index(False)
        win = 1 - lose
        loser = out[lose]
        bene = addrs[5 + lose]
        st = net.call(lose, "receipt_status")
        check(any(g["tx"] == loser["hash"] for g in st["guarantees"]),
              "node%d still holds the losing guarantee before the claim" % lose)

        # kill -9 the losing node: its guarantees survive.
        before = {g["tx"]: g for g in st["guarantees"]}
        net.kill9(lose)
        net.up()
        net.wait_heights([lose], net.height(win) , 60)
        after = {g["tx"]: g for g in net.call(lose, "receipt_status")["guarantees"]}
        check(loser["hash"] in after and after[loser["hash"]] == before[loser["hash"]],
              "node%d's exposure record is intact after kill -9 and restart" % lose)

        # The merchant of the losing spend claims; the winner's claim is refused.
        b0 = balance(net, bene)
        hansa(net, "receipt", "claim", "--from", "acct7", loser["receipt"], node=win)
        net.wait_heights([0], net.height(0) + 1, 30)
        check(balance(net, bene) == b0 + 3000, "the claim paid the merchant 3000")
        vv = net.call(0, "receipt_verify", {"receipt": loser["receipt"]})
        signer = [s for s in vv["signers"]][0]
        check(int(signer["claimed"]) == 3000, "the losing node's collateral paid it")
        check(vv["status"] == "claimed", "the receipt is claimed")
        again = hansa(net, "receipt", "claim", "--from", "acct7", loser["receipt"], ok=False)
        check(again.returncode != 0, "a second claim is refused: " + again.stderr.strip())
        refused = hansa(net, "receipt", "claim", "--from", "acct7", out[win]["receipt"], ok=False)
        check(refused.returncode != 0 and "refuted" in refused.stderr,
              "the kept receipt's claim is refuted: " + refused.stderr.strip())
        audit_all(net)


if __name__ == "__main__":
    cluster.main(test)
