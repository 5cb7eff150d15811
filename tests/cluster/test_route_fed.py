#!/usr/bin/env python3
"""Route discovery across chains (issue 13) on `hansa federation up --chains 3`:
acct0 of fed1 holds the stock of a tally with acct0 of fed2 (the foil), which
owes it 1000 (so value can go fed1.acct0 -> fed2.acct0); on fed2, acct1 owes
acct0 600 on a local tally (fed2.acct0 -> fed2.acct1). From fed1's node,
`hansa route find` finds:
  - fed1.acct0 -> fed2.acct0: good, capacity 1000, one chain crossed;
  - fed1.acct0 -> fed2.acct1: good, capacity 600 (the narrower tally);
  - fed1.acct0 -> fed3.acct0: none (no tally reaches fed3);
after fed2.acct1 issues an invoice, fed2's nodes beacon for it by
themselves (the beacon duty) and `route find --mode auto` from fed1 meets
the mark at once (600, bidirectional); after fed2's node beacons for
fed2.acct1 on request (one mark, to fed1), a bidirectional search finds
fed1.acct0 -> fed2.acct1 (600);
each query and answer carried between the chains' nodes by hansad's route
driver (routes.json links, RPC route_msg). `hansa route records` lists them. A client that starts searches in a burst is
held to 8 at once, 2 a second (route_find answers -32005 busy beyond), while
asking again about a search under way costs nothing."""
import json
import os
import time

from cluster import RpcError, main
from fed import Federation, check, say, wait_for


def credit(f, k, *args, expect=0):
    return f.cli(*args, "--keys", f.accounts_key(k), k=k, expect=expect)


def tally(f, k, tid):
    try:
        return f.call(k, 0, "tally", {"id": tid}, timeout_s=3.0)
    except Exception:  # noqa: BLE001 — not there yet
        return None


def sync_until(f, tid, cond, what):
    """hansa tally sync on both chains (tally messages are carried by those
    steps today) until cond holds."""
    for _ in range(8):
        for k in (1, 0):
            credit(f, k, "tally", "sync", "--from", "acct1", "--id", tid, "--peer", f.rpc_addr(1 - k, 0))
        deadline = time.time() + 15
        while time.time() < deadline:
            if cond():
                return
            time.sleep(0.5)
    check(False, what)


def find(f, to, expect):
    out = credit(f, 0, "route", "find", "--from", "acct0", "--to", to, expect=expect)
    say(out.strip())
    return out


def test():
    f = Federation("routefed", chains=3, validators=4)
    with f:
        fed2, fed3 = f.chain_id(1), f.chain_id(2)
        foil = f.account_info(1, "acct0")["pubkey"]
        out = credit(f, 0, "tally", "offer", "--from", "acct0", "--with", "%s@%s" % (foil, fed2),
                     "--as", "stock", "--foil-limit", "100000", "--stock-limit", "50000")
        tid = out.split("offered tally ")[1].split()[0]
        wait_for(lambda: (tally(f, 1, tid) or {}).get("state") == "offered", 90, "fed2 received the offer")
        credit(f, 1, "tally", "accept", "--from", "acct0", "--id", tid)
        credit(f, 1, "chit", "pay", "--from", "acct0", "--id", tid, "--amount", "1000", "--memo", "debt")
        sync_until(f, tid, lambda: str((tally(f, 0, tid) or {}).get("balance")) == "1000",
                   "fed1's copy holds the foil's debt of 1000")

        out = credit(f, 1, "tally", "offer", "--from", "acct0", "--with", "acct1", "--as", "stock",
                     "--foil-limit", "100000", "--stock-limit", "100000", "--json")
        local = json.loads(out[out.index("{"):out.rindex("}") + 1])["done"].split()[2]
        credit(f, 1, "tally", "accept", "--from", "acct1", "--id", local)
        credit(f, 1, "chit", "pay", "--from", "acct1", "--id", local, "--amount", "600", "--memo", "debt")

        # an invoice beacons by itself: fed2.acct1 asks fed2.acct0 for 250
        # on their tally; each fed2 node's beacon duty takes acct1 (the
        # payee), its route driver carries the marks to fed1, and fed1's
        # `route find --mode auto` meets one at once (--wait-ms 0: no query
        # answered, the mark itself), with no `route beacon` asked
        credit(f, 1, "invoice", "create", "--from", "acct1", "--id", local, "--amount", "250")
        t0 = time.time()
        wait_for(lambda: int(f.call(1, 0, "route_records")["beacons"]) >= 1, 60, "fed2's duty beacons for acct1")
        wait_for(lambda: int(f.call(0, 0, "route_records")["marks"]) >= 1, 60, "fed1 holds a mark for acct1")
        say("fed1 holds the invoice payee's mark %.1f s after `invoice create` returned" % (time.time() - t0))
        acct1 = "%s@%s" % (f.account_info(1, "acct1")["pubkey"], fed2)
        out = credit(f, 0, "route", "find", "--from", "acct0", "--to", acct1, "--mode", "auto", "--wait-ms", "0",
                     "--amount", "250")
        say(out.strip())
        check(": good, capacity min 600 max 600" in out and "1 chains crossed" in out and
              "bidirectional search" in out, "fed1.acct0 -> fed2.acct1 (the invoice's payee) met a mark: good, 600")

        # bidirectional: fed2's node beacons for acct1 (one mark, to fed1,
        # whose acct0 pays into fed2.acct0 on the cross tally; carried by
        # fed2's route driver), then fed1 searches half the hops
        out = credit(f, 1, "route", "beacon", "--to", "acct1")
        say(out.strip())
        check("1 marks sent" in out, "fed2 beacons acct1: one mark, to fed1")
        acct1 = "%s@%s" % (f.account_info(1, "acct1")["pubkey"], fed2)
        out = credit(f, 0, "route", "find", "--from", "acct0", "--to", acct1, "--mode", "bidir")
        say(out.strip())
        check(": good, capacity min 600 max 600" in out and "1 chains crossed" in out,
              "fed1.acct0 -> fed2.acct1 bidirectionally: good, 600")

        out = find(f, "%s@%s" % (foil, fed2), 0)
        check(": good, capacity min 1000 max 1000" in out and "1 chains crossed" in out,
              "fed1.acct0 -> fed2.acct0: good, 1000, one chain crossed")
        out = find(f, "%s@%s" % (f.account_info(1, "acct1")["pubkey"], fed2), 0)
        check(": good, capacity min 600 max 600" in out and "1 chains crossed" in out,
              "fed1.acct0 -> fed2.acct1: good, 600 (the local tally on fed2)")
        out = find(f, "%s@%s" % (f.account_info(2, "acct0")["pubkey"], fed3), 1)
        check(": none," in out, "fed1.acct0 -> fed3.acct0: none")
        out = credit(f, 0, "route", "records")
        check(out.count("route ") == 3, "route records lists the three searches")

        burst_of_searches(f, fed2)


def burst_of_searches(f, fed2):
    """Searches toward 16 unknown parties of fed2, each one a query sent to
    fed2, asked as fast as RPC answers: the client's burst goes through, the
    rest is refused busy; asking again about the first costs nothing."""
    frm = f.account_info(0, "acct0")["pubkey"]
    limited = int(f.call(0, 0, "route_records")["limited"])
    started, busy, first = 0, 0, None
    for _ in range(16):
        params = {"from": frm, "to_chain": fed2, "to": os.urandom(32).hex()}
        try:
            f.call(0, 0, "route_find", params)
            started += 1
            first = first or params
        except RpcError as e:
            check(e.code == -32005 and "per second" in str(e), "a search over the rate is refused busy: %s" % e)
            busy += 1
    say("16 searches at once from one client: %d started, %d refused busy" % (started, busy))
    check(8 <= started <= 11 and started + busy == 16, "the burst of 8 (and what refills meanwhile) starts")
    check(int(f.call(0, 0, "route_records")["limited"]) == limited + busy, "route_records counts the refusals")
    for _ in range(3):  # the bucket is still empty: these start nothing
        f.call(0, 0, "route_find", first)
    check(True, "asking again about the first search (under way or ended) is answered at once")


if __name__ == "__main__":
    main(test)
