#!/usr/bin/env python3
"""Tallies inside one chain, on a real 4-delegate testnet, through the CLI:
acct0 (stock) offers a tally to acct1 (foil), acct1 accepts; an invoice is
created, shown as JSON and as a QR code, and paid; then both parties send a
burst of chits and a node is killed with -9 while they are in flight. After
the killed node restarts and catches up, every node holds the same chit
chain (same length, same end hash, same chits), the balance is the sum of
the chits and within the credit the contract grants, every chit of the burst
is on the chain exactly once, and the nodes logged the credit events. Prints
the chits/s the burst committed at (a figure, not a check)."""
import json
import os
import subprocess
import time

import cluster
from cluster import check, say

BURST = 12  # chits per party


def hansa(net, *args, ok=True):
    cmd = [cluster.HANSA] + list(args) + ["--keys", os.path.join(net.dir, "accounts.key"),
                                          "--node", net.rpc_addr(0)]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=90)
    if ok and r.returncode != 0:
        raise cluster.CheckFailed("%s failed (%d): %s%s" % (" ".join(args), r.returncode, r.stdout,
                                                            r.stderr))
    return r


def hansa_json(net, *args):
    return json.loads(hansa(net, *(list(args) + ["--json"])).stdout)


def chain_view(net, i, tally):
    try:
        t = net.call(i, "tally", {"id": tally})
        c = net.call(i, "chits", {"tally": tally, "limit": 1000})
    except Exception:
        return None
    return (t["foil_half"]["chits"], t["foil_half"]["end_hash"], t["balance"],
            tuple(e["chit"]["chit_id"] for e in c["chits"]))


def test():
    rng = cluster.seed_from_env()
    with cluster.Testnet("credit") as net:
        nodes = list(range(net.size()))
        net.wait_heights(nodes, 2, 60)
        addrs = net.accounts_addresses()
        r = hansa_json(net, "tally", "offer", "--from", "acct0", "--with", "acct1", "--as", "stock",
                       "--foil-limit", "100000", "--stock-limit", "50000", "--call-days", "30")
        tally = r["done"].split()[2]
        say("offered tally %s" % tally)
        hansa(net, "tally", "accept", "--from", "acct1", "--id", tally)
        t = net.call(0, "tally", {"id": tally})
        check(t["state"] == "open", "the tally is open after acct1 accepted")
        check(t["stock"]["address"] == addrs[0] and t["foil"]["address"] == addrs[1],
              "acct0 holds the stock, acct1 the foil")

        bad = hansa(net, "tally", "accept", "--from", "acct2", "--id", tally, ok=False)
        check(bad.returncode != 0, "a third party cannot accept the tally")

        r = hansa_json(net, "invoice", "create", "--from", "acct0", "--id", tally, "--amount", "1500",
                       "--item", "gopher-bomb=1200", "--item", "delivery=300", "--hint", "chain e2e4")
        inv = r["done"].split()[1]
        shown = hansa_json(net, "invoice", "show", "--id", inv)
        check(shown["state"] == "pending" and shown["amount"] == "1500" and
              len(shown["items"]) == 2 and shown["liftable"] is False,
              "the invoice shows as pending JSON with its items, not liftable")
        qr = hansa(net, "invoice", "show", "--id", inv, "--qr").stdout
        check(qr.count("\n") > 15 and "\u2588" in qr, "the invoice prints as a QR code")
        check(net.call(0, "tally", {"id": tally})["balance"] == "0",
              "a pending invoice does not move the balance")
        hansa(net, "invoice", "pay", "--from", "acct1", "--id", inv)
        check(net.call(0, "invoice", {"id": inv})["state"] == "paid", "acct1 paid the invoice")

        # A burst of chits from both parties, with explicit nonces so they
        # are all in flight at once, and a node killed while they are.
        nonce = {a: int(net.call(0, "account", {"address": addrs[k]})["nonce"])
                 for k, a in ((0, "acct0"), (1, "acct1"))}
        expect = 1500
        t0 = time.monotonic()
        for k in range(BURST):
            for name in ("acct0", "acct1"):
                amount = rng.randrange(1, 200)
                expect += amount if name == "acct1" else -amount
                hansa(net, "chit", "pay", "--from", name, "--id", tally, "--amount", str(amount),
                      "--memo", "burst %d" % k, "--no-wait", "--nonce", str(nonce[name] + k))
            if k == BURST // 2:
                victim = rng.choice(nodes[1:])
                net.kill9(victim)
                say("killed node%d with chits in flight" % victim)
        total = 1 + 2 * BURST
        cluster.wait_for(lambda: chain_view(net, 0, tally) and chain_view(net, 0, tally)[0] == total,
                         120, "the burst to commit")
        dt = time.monotonic() - t0
        say("figure: %d chits committed in %.1f s = %.1f chits/s on one chain (ASan build, CLI "
            "submissions)" % (2 * BURST, dt, 2 * BURST / dt))
        net.up()
        others = [i for i in nodes if i != victim]
        net.wait_heights([victim], max(net.heights(others)), 90)
        check(True, "node%d restarted and caught up" % victim)

        views = [chain_view(net, i, tally) for i in nodes]
        check(all(v == views[0] for v in views),
              "every node holds the same chit chain (length %d, end %s)" % (views[0][0], views[0][1][:16]))
        n, _, balance, ids = views[0]
        check(n == total and len(set(ids)) == total, "every chit is on the chain exactly once")
        check(int(balance) == expect, "the balance %s is the sum of the chits (%d)" % (balance, expect))
        check(-50000 <= int(balance) <= 100000, "the balance is within the credit the contract grants")
        chits = net.call(0, "chits", {"tally": tally, "limit": 1000})["chits"]
        s = sum((1 if e["chit"]["by"] == "foil" else -1) * int(e["chit"]["amount"]) for e in chits)
        check(s == int(balance), "recomputed from the chits listed, the balance agrees")
        listed = hansa(net, "chit", "list", "--id", tally).stdout
        check("burst" in listed and "invoice" in listed, "hansa chit list shows the chain")
        logs = net.log_text(0)
        check('"event":"chit"' in logs and '"event":"tally"' in logs and '"event":"invoice"' in logs,
              "node0 logged tally, chit and invoice events")
        hansa(net, "tally", "close", "--from", "acct1", "--id", tally)
        check(net.call(0, "tally", {"id": tally})["state"] in ("closing", "closed"),
              "a close request moves the tally to closing")


if __name__ == "__main__":
    cluster.main(test)
