#!/usr/bin/env python3
"""A tally across two chains (issue 12) on a federation of 2 chains x 4
delegates: the stock holder is acct0 of fed1, the foil holder acct0 of fed2.

1. the stock offers with `hansa tally offer --with PUBKEY@CHAIN`, the foil
   accepts on its own chain: both copies open (each message a tally packet
   relayed by the nodes);
2. chits both ways (`hansa chit pay` on each payer's chain) and an invoice
   (created by the stock on fed1, paid by the foil on fed2);
3. kill -9 of a delegate on each chain while chain messages are in flight;
   nobody runs `hansa tally sync`: the delegates' relay duty sends what each
   half has to say (cmd/lib/relay_tallies.h) until both halves are settled,
   after which `hansa tally sync` (the manual fallback) finds nothing to send;
4. the two chit chains are identical link by link, both copies hold the same
   balance, which is the sum of the chits (credit conservation), the invoice
   is paid on both chains, and after `federation down` `hansa xfer audit`
   finds value conserved (a tally packet moves no value).
"""
import json
import subprocess
import time

from cluster import HANSA, main
from fed import Federation, check, say, wait_for


def tally(f, k, tid, i=0):
    try:
        return f.call(k, i, "tally", {"id": tid}, timeout_s=3.0)
    except Exception:  # noqa: BLE001 — not there yet, or a node restarting
        return None


def state_is(f, k, tid, want):
    t = tally(f, k, tid)
    return t is not None and t["state"] == want


def credit(f, k, *args):
    return f.cli(*args, "--keys", f.accounts_key(k), k=k)


def invoice_state(f, k, inv):
    try:
        return f.call(k, 0, "invoice", {"id": inv}, timeout_s=3.0)["state"]
    except Exception:  # noqa: BLE001 — not there yet
        return None


def chits(f, k, tid):
    return f.call(k, 0, "chits", {"tally": tid, "limit": 1000})["chits"]


def settled(f, tid):
    a, b = tally(f, 0, tid), tally(f, 1, tid)
    if a is None or b is None:
        return False
    st, fo = a["stock_half"], b["foil_half"]
    return (st["waiting"] == 0 and fo["acked"] == fo["chits"] and st["chits"] == fo["chits"] and
            st["end_hash"] == fo["end_hash"])


def test():
    f = Federation("xtally", chains=2, validators=4)
    with f:
        fed2 = f.chain_id(1)
        foil = f.account_info(1, "acct0")

        # 1. offer across chains, accept on the other chain
        out = credit(f, 0, "tally", "offer", "--from", "acct0", "--with", "%s@%s" % (foil["pubkey"], fed2),
                     "--as", "stock", "--foil-limit", "100000", "--stock-limit", "50000")
        check("tally packet to chain" in out, "the offer went out as a tally packet:\n" + out)
        tid = out.split("offered tally ")[1].split()[0]
        wait_for(lambda: state_is(f, 1, tid, "offered"), 90, "fed2 received the offer")
        credit(f, 1, "tally", "accept", "--from", "acct0", "--id", tid)
        wait_for(lambda: state_is(f, 0, tid, "open") and state_is(f, 1, tid, "open"), 90,
                 "both copies open")
        say("tally %s open on fed1 (stock) and fed2 (foil)" % tid)

        # 2. chits both ways and an invoice
        paid = {"foil": 0, "stock": 0}
        for amount in (2500, 1200, 800):
            credit(f, 1, "chit", "pay", "--from", "acct0", "--id", tid, "--amount", str(amount), "--memo", "goods")
            paid["foil"] += amount
        for amount in (300, 450):
            credit(f, 0, "chit", "pay", "--from", "acct0", "--id", tid, "--amount", str(amount), "--memo", "refund")
            paid["stock"] += amount
        out = credit(f, 0, "invoice", "create", "--from", "acct0", "--id", tid, "--amount", "1500",
                     "--item", "gopher-bomb=1500", "--json")
        inv = json.loads(out[out.index("{"):out.rindex("}") + 1])["done"].split()[1]
        wait_for(lambda: invoice_state(f, 1, inv) == "pending", 90, "fed2 received the invoice")
        credit(f, 1, "invoice", "pay", "--from", "acct0", "--id", inv)
        paid["foil"] += 1500

        # 3. chain messages in flight, then a delegate of each chain killed;
        # the relay duty alone carries the chit chain messages
        in_flight = not settled(f, tid)
        f.kill9(0, 2)
        f.kill9(1, 1)
        say("killed fed1 node2 and fed2 node1 (halves %s)" % ("not settled yet" if in_flight else "settled already"))
        f.restart()
        t0 = time.time()
        wait_for(lambda: settled(f, tid), 240, "both halves settled by the delegates' relay duty")
        say("settled by the relay duty %.1f s after the restart, with no tally sync" % (time.time() - t0))
        for k in (1, 0):
            out = credit(f, k, "tally", "sync", "--from", "acct1", "--id", tid, "--peer", f.rpc_addr(1 - k, 0))
            check(out.startswith("0 chain message(s) sent"),
                  "hansa tally sync on chain %d finds nothing left to send: %s" % (k, out.strip()))

        # 4. identical chains, equal balances, conservation of credit
        ca, cb = chits(f, 0, tid), chits(f, 1, tid)
        check(len(ca) == 6 and [c["link_hash"] for c in ca] == [c["link_hash"] for c in cb],
              "identical chit chains on both chains (%d and %d links)" % (len(ca), len(cb)))
        a, b = tally(f, 0, tid), tally(f, 1, tid)
        want = paid["foil"] - paid["stock"]
        check(int(a["balance"]) == int(b["balance"]) == want,
              "both copies hold balance %s = chits paid by the foil - by the stock (%s, %s)" %
              (want, a["balance"], b["balance"]))
        for k in (0, 1):
            check(invoice_state(f, k, inv) == "paid", "the invoice is paid on chain %d" % k)
        say("chains of %d chits identical; balance %d on both" % (len(ca), want))
        subprocess.run([HANSA, "federation", "down", "--dir", f.dir], capture_output=True, timeout=120)
        r = subprocess.run([HANSA, "xfer", "audit", f.home(0, 0), f.home(1, 0)], capture_output=True,
                           text=True, timeout=120)
        check(r.returncode == 0, "value conserved across the chains: %s%s" % (r.stdout, r.stderr))


if __name__ == "__main__":
    main(test)
