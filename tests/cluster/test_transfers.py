#!/usr/bin/env python3
"""Cross-chain transfers on a federation of 3 chains x 4 delegates (issue 11),
one federation for every scenario:

1. transfers both ways (fed1 -> fed2, fed2 -> fed1), onward (fed2 sends fed1's
   vouchers to fed3) and back to origin (fed2 returns fed1's vouchers home),
   each followed to "credited" with `hansa xfer status`, balances and vouchers
   checked on both sides;
2. kill -9 of relaying nodes mid-flight: two delegates of the destination and
   one of the source die right after a send; the packet is still credited
   and acknowledged (the outbox is the ledger, the duty passes on);
3. the destination stopped for longer than the packet's timeout: when it is
   back it refuses the packet as timed out and the source refunds the sender;
   over the correspondent limit: collateral bonded on fed2 for fed1 caps
   fed1's vouchers there at 10 x the collateral, and a packet past it is
   refused and refunded (`hansa xfer bond`, `hansa xfer corr`);
4. at the end, with every node stopped, `hansa xfer audit` checks
   conservation across the three chains' stores.
Forged proofs and replays are refused by the ledger (tests/ledger/test_ledger_xfer.c).
"""
import json
import subprocess
import time

from cluster import HANSA, main
from fed import Federation, check, say, wait_for


def balance(f, k, addr):
    return int(f.call(k, 0, "account", {"address": addr})["balance"])


def vouchers(f, k, addr):
    return {v["denom"]: int(v["amount"]) for v in f.call(k, 0, "vouchers", {"address": addr})["vouchers"]}


def send(f, k, name, to, amount, *extra):
    """hansa send from key `name` of chain k; returns the packet hash."""
    cmd = [HANSA, "send", "--from", name, "--to", to, "--amount", str(amount), "--keys", f.accounts_key(k),
           "--node", f.rpc_addr(k, 0), "--json", *extra]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    check(r.returncode == 0, "hansa send %s -> %s: %s%s" % (name, to, r.stdout, r.stderr))
    return json.loads(r.stdout)["hash"]


def status(f, k, h, i=0):
    try:
        return f.call(k, i, "xfer_status", {"hash": h}, timeout_s=3.0)
    except Exception:  # noqa: BLE001 — a node restarting answers nothing
        return None


def wait_done(f, k, h, want, timeout_s=90, i=0):
    def done():
        s = status(f, k, h, i)
        return s if s and s["state"] != "pending" else None
    s = wait_for(done, timeout_s, "packet %s.. of chain %s to end" % (h[:12], f.chain_id(k)))
    check(s["state"] == want, "packet %s.. ended %s (%s), wanted %s" % (h[:12], s["state"], s["outcome"], want))
    return s


def test():
    f = Federation("transfers", chains=3, validators=4)
    with f:
        a0, b0, b1, c0 = f.account_info(0, "acct0")["address"], f.account_info(1, "acct0")["address"], f.account_info(1, "acct1")["address"], f.account_info(2, "acct0")["address"]
        a1 = f.account_info(0, "acct1")["address"]
        fed1, fed2 = f.chain_id(0), f.chain_id(1)

        # 1. both ways, onward and home
        before = balance(f, 0, a0)
        h1 = send(f, 0, "acct0", b0, 1000)
        h2 = send(f, 1, "acct1", a0, 300)
        s1 = wait_done(f, 0, h1, "credited")
        wait_done(f, 1, h2, "credited")
        check(vouchers(f, 1, b0).get(fed1) == 1000, "fed2's acct0 holds 1000 of fed1's token")
        check(vouchers(f, 0, a0).get(fed2) == 300, "fed1's acct0 holds 300 of fed2's token")
        check(balance(f, 0, a0) == before - 1000 - 1, "fed1's acct0 paid 1000 and the fee")
        dest = f.call(1, 0, "xfer_status", {"hash": h1})
        check(dest["direction"] == "in" and dest["from"] == a0 and dest["src_chain"] == fed1,
              "fed2 records the sender with fed1's chain id: %s" % dest["from"])
        say("fed1 -> fed2: committed at %d, credited there at %d, acknowledged at %d (%d ms)" %
            (s1["sent_height"], dest["height"], s1["done_height"], s1["done_time_ms"] - s1["sent_time_ms"]))
        out = f.cli("xfer", "status", h1, "--dest-node", f.rpc_addr(1, 0), k=0)
        check("credited" in out and "received at height" in out, "hansa xfer status shows the whole life:\n" + out)
        h3 = send(f, 1, "acct0", c0, 200, "--denom", fed1)
        h4 = send(f, 1, "acct0", a1, 400, "--denom", fed1)
        wait_done(f, 1, h3, "credited")
        wait_done(f, 1, h4, "credited")
        check(vouchers(f, 2, c0).get("%s/%s" % (fed1, fed2)) == 200, "fed3 holds 200 of fed1's token via fed2")
        check(vouchers(f, 1, b0).get(fed1) == 400, "fed2's acct0 has 400 of fed1's token left")
        check(balance(f, 0, a1) >= 400, "fed1's acct1 got 400 of its own token back home")
        h5 = send(f, 2, "acct0", b1, 50, "--denom", "%s/%s" % (fed1, fed2))
        wait_done(f, 2, h5, "credited")
        check(vouchers(f, 1, b1).get(fed1) == 50, "fed3 returned 50 of fed1's token to fed2")

        # over the correspondent limit
        corr = {c["chain_id"]: c for c in f.call(1, 0, "correspondents")["correspondents"]}[fed1]
        claims = int(corr["claims"])
        check(claims == 600 and corr["limit"] is None, "fed2 holds 600 claims on fed1, no limit yet: %s" % corr)
        bond = (claims + 9) // 10
        f.cli("xfer", "bond", fed1, "--amount", str(bond), "--from", "acct2", "--keys", f.accounts_key(1), k=1)
        out = f.cli("xfer", "corr", k=1)
        check(str(bond) in out and str(bond * 10) in out, "hansa xfer corr shows the collateral and limit:\n" + out)
        before = balance(f, 0, a1)
        h8 = send(f, 0, "acct1", b1, bond * 10 - claims + 1)
        s8 = wait_done(f, 0, h8, "refunded")
        check(s8["outcome"] == "over the correspondent limit", "refused: %s" % s8["outcome"])
        check(balance(f, 0, a1) == before - 1, "fed1's acct1 was refunded (the fee is spent)")

        # 2. kill -9 of relaying nodes while a packet is in flight
        h6 = send(f, 0, "acct1", c0, 77)
        f.kill9(2, 1)
        f.kill9(2, 2)
        f.kill9(0, 3)
        say("killed fed3 node1, node2 and fed1 node3 with a packet in flight")
        f.restart()
        wait_done(f, 0, h6, "credited", timeout_s=120)
        check(balance(f, 2, c0) >= 77 or vouchers(f, 2, c0).get(fed1) == 77, "fed3's acct0 got the 77")

        # 3. the destination down for longer than the timeout: refunded
        for i in range(4):
            f.kill9(1, i)
        say("fed2 stopped")
        before = balance(f, 0, a1)
        h7 = send(f, 0, "acct1", b1, 123, "--xfer-timeout-s", "3")
        check(balance(f, 0, a1) == before - 123 - 1, "the 123 left fed1's acct1 into escrow")
        time.sleep(5)
        f.restart()
        s7 = wait_done(f, 0, h7, "refunded", timeout_s=120)
        check(s7["outcome"] == "timed out", "refunded because it timed out: %s" % s7["outcome"])
        check(balance(f, 0, a1) == before - 1, "fed1's acct1 has its 123 back (the fee is spent)")
        got = f.call(1, 0, "xfer_status", {"hash": h7})
        check(got["outcome"] == "timed out", "fed2 recorded the packet as refused: timed out")
        out = f.cli("xfer", "status", h7, k=0)
        check("refunded" in out and "timed out" in out, "hansa xfer status shows the refund:\n" + out)

        # 4. conservation across the three chains' stores
        subprocess.run([HANSA, "federation", "down", "--dir", f.dir], capture_output=True, timeout=120)
        r = subprocess.run([HANSA, "xfer", "audit", f.home(0, 0), f.home(1, 0), f.home(2, 0)],
                           capture_output=True, text=True, timeout=120)
        check(r.returncode == 0 and "conservation holds" in r.stdout, "hansa xfer audit: %s%s" % (r.stdout, r.stderr))
        say(r.stdout.strip())


if __name__ == "__main__":
    main(test)
