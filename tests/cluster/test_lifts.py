#!/usr/bin/env python3
"""Lifts inside one chain, on a real 4-delegate testnet, through the CLI.
Three accounts owe each other around a cycle (acct1 owes acct0, acct2 owes
acct1, acct0 owes acct2, each on its own tally). `hansa lift pay --circular`
clears part of the cycle: every debt shrinks by the amount and nobody's total
moves. A linear lift then carries value from acct0 to acct2 through acct1.
A lift past a receiver's capacity is refused and changes nothing. At the end
every party's total across its tallies is what the lifts say (conservation),
`hansa lift show|list` report the chain's rulings; `hansa lift agent` finds
a second cycle of debt and lifts its bottleneck; and, with the nodes
stopped, the credit checker passes on a node's store (`hansa xfer audit`)."""
import json
import os
import subprocess

import cluster
from cluster import check, say

DEBT = 1000


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


def open_debt(net, creditor, debtor, amount):
    """A tally with `creditor` as stock, `debtor` as foil, and a chit by which
    the debtor owes `amount`."""
    r = hansa_json(net, "tally", "offer", "--from", creditor, "--with", debtor, "--as", "stock",
                   "--foil-limit", "100000", "--stock-limit", "100000", "--call-days", "30")
    tally = r["done"].split()[2]
    hansa(net, "tally", "accept", "--from", debtor, "--id", tally)
    hansa(net, "chit", "pay", "--from", debtor, "--id", tally, "--amount", str(amount), "--memo", "debt")
    return tally


def nets(net, tallies, addrs):
    """Each address's net across the tallies (stock holds +balance, foil -balance)."""
    out = {a: 0 for a in addrs}
    for t in tallies:
        j = net.call(0, "tally", {"id": t})
        b = int(j["balance"])
        out[j["stock"]["address"]] += b
        out[j["foil"]["address"]] -= b
    return out


def balances(net, tallies):
    return [int(net.call(0, "tally", {"id": t})["balance"]) for t in tallies]


def test():
    cluster.seed_from_env()
    with cluster.Testnet("lifts") as net:
        net.wait_heights(list(range(net.size())), 2, 60)
        addrs = net.accounts_addresses()[:3]
        t01 = open_debt(net, "acct0", "acct1", DEBT)
        t12 = open_debt(net, "acct1", "acct2", DEBT)
        t20 = open_debt(net, "acct2", "acct0", DEBT)
        tallies = [t01, t12, t20]
        check(balances(net, tallies) == [DEBT] * 3, "three debts of %d around a cycle" % DEBT)
        before = nets(net, tallies, addrs)
        check(sum(before.values()) == 0, "credit sums to zero across the parties")

        r = hansa_json(net, "lift", "pay", "--from", "acct0", "--route", ",".join(tallies),
                       "--amount", "600", "--circular")
        circ = r["done"].split()[1]
        say("circular lift %s committed" % circ)
        check(balances(net, tallies) == [DEBT - 600] * 3, "the circular lift shrank every debt by 600")
        check(nets(net, tallies, addrs) == before, "the circular lift moved nobody's total")
        shown = hansa_json(net, "lift", "show", "--id", circ)
        check(shown["kind"] == "circular" and shown["ruling"] == "commit" and shown["amount"] == "600" and
              len(shown["route"]) == 3, "hansa lift show reports the committed circular lift")

        r = hansa_json(net, "lift", "pay", "--from", "acct0", "--route", "%s,%s" % (t01, t12),
                       "--amount", "300")
        lin = r["done"].split()[1]
        check(balances(net, tallies) == [DEBT - 900, DEBT - 900, DEBT - 600],
              "the linear lift moved 300 along acct0 -> acct1 -> acct2")
        after = nets(net, tallies, addrs)
        check(after[addrs[0]] == before[addrs[0]] - 300 and after[addrs[1]] == before[addrs[1]] and
              after[addrs[2]] == before[addrs[2]] + 300 and sum(after.values()) == 0,
              "conservation: acct0 paid 300, acct2 received 300, acct1 is unchanged")

        # The debts left around the cycle are 100, 100 and 400: 500 is past them.
        bad = hansa(net, "lift", "pay", "--from", "acct0", "--route", ",".join(tallies),
                    "--amount", "500", "--circular", ok=False)
        check(bad.returncode != 0, "a lift past a receiver's capacity is refused (%s)" %
              (bad.stderr.strip().splitlines() or ["?"])[-1][:120])
        check(balances(net, tallies) == [DEBT - 900, DEBT - 900, DEBT - 600],
              "the refused lift changed no balance")
        bad = hansa(net, "lift", "pay", "--from", "acct1", "--route", "%s,%s" % (t01, t12),
                    "--amount", "10", ok=False)
        check(bad.returncode != 0, "a route that does not start with --from is refused")

        listed = hansa_json(net, "lift", "list", "--tally", t20)["lifts"]
        check([l["lift_id"] for l in listed] == [circ], "hansa lift list --tally shows the lift through it")
        listed = hansa_json(net, "lift", "list")["lifts"]
        check(sorted(l["lift_id"] for l in listed) == sorted([circ, lin]), "hansa lift list shows both lifts")
        text = hansa(net, "lift", "show", "--id", lin).stdout
        check("linear commit" in text and addrs[2] in text, "hansa lift show prints the route")

        # The clearing agent: a second cycle (acct4 owes acct3 500, acct5
        # owes acct4 300, acct3 owes acct5 400) found and lifted by the agent.
        cyc = [open_debt(net, "acct3", "acct4", 500), open_debt(net, "acct4", "acct5", 300),
               open_debt(net, "acct5", "acct3", 400)]
        before = nets(net, cyc, net.accounts_addresses()[3:6])
        r = hansa_json(net, "lift", "agent", "--from", "acct3")
        check(r["lifts"] == 1 and r["refused"] == 0 and r["cleared"] == 900,
              "hansa lift agent found the cycle and lifted its bottleneck (300 around 3 tallies): %s" % r)
        check(balances(net, cyc) == [200, 0, 100], "the agent's lift left debts of 200, 0 and 100")
        check(nets(net, cyc, net.accounts_addresses()[3:6]) == before, "the agent's lift moved nobody's total")
        r = hansa_json(net, "lift", "agent", "--from", "acct3")
        check(r["lifts"] == 0, "a second pass finds nothing left to lift")

        net.stop_all()
        audit = subprocess.run([cluster.HANSA, "xfer", "audit", net.home(0)], capture_output=True,
                               text=True, timeout=60)
        say(audit.stdout.strip())
        check(audit.returncode == 0 and "credit checker passes" in audit.stdout,
              "with the nodes stopped, the credit checker passes on node0's store")


if __name__ == "__main__":
    cluster.main(test)
