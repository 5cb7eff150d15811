#!/usr/bin/env python3
"""A correspondent's collateral pays the holders of a chain's vouchers when
that chain is caught lying, on real processes.

A federation of two chains (`hansa federation up`), fed1 = A and fed2 = B,
4 delegates each, relaying for each other:
  1. on B, acct3 bonds 1000 of B's tokens as collateral for A
     (`hansa xfer bond`): B now limits the claims on A it holds to 10 times
     that;
  2. A's acct0 sends 300 to B's acct1 and 100 to B's acct2: they hold 400
     of A's vouchers on B, claims on A;
  3. three of A's four delegates sign a second header at a height A decided
     and it goes to B as misbehaviour: B's client of A freezes;
  4. at the end of that block B pays the collateral to the holders of A's
     vouchers pro rata (750 and 250), the bond is gone, `correspondents`
     shows it paid out, and the vouchers stay where they were;
  5. with every node stopped, `hansa xfer audit` checks each chain's supply
     equation and the conservation of value across both stores.
"""
import json
import os
import subprocess

from cluster import HANSA, main
from fed import Federation, check, say, wait_for

A, B = 0, 1
COLLATERAL = 1000


def balance(f, k, addr):
    return int(f.call(k, 0, "account", {"address": addr})["balance"])


def vouchers(f, k, addr):
    return {v["denom"]: int(v["amount"]) for v in f.call(k, 0, "vouchers", {"address": addr})["vouchers"]}


def corr(f, k, other):
    for c in f.call(k, 0, "correspondents")["correspondents"]:
        if c["chain_id"] == f.chain_id(other):
            return c
    return None


def send_credited(f, k, name, to, amount):
    r = subprocess.run([HANSA, "send", "--from", name, "--to", to, "--amount", str(amount), "--keys", f.accounts_key(k),
                        "--node", f.rpc_addr(k, 0), "--json"], capture_output=True, text=True, timeout=120)
    check(r.returncode == 0, "hansa send %s -> %s: %s%s" % (name, to, r.stdout, r.stderr))
    h = json.loads(r.stdout)["hash"]

    def done():
        s = f.call(k, 0, "xfer_status", {"hash": h}, timeout_s=3.0)
        return s if s["state"] != "pending" else None
    s = wait_for(done, 120, "packet %s.. to end" % h[:12])
    check(s["state"] == "credited", "%d sent to %s.. credited (%s)" % (amount, to[:12], s["state"]))


def freeze(f):
    """Three of A's four delegates sign a second header at a height A
    decided; B's acct0 submits both as misbehaviour of A."""
    a_src = f.rpc_addr(A, 3)
    h = f.height(A, 3)
    conflict = os.path.join(f.tmp, "conflict.json")
    f.cli("client", "forge", "--source", a_src, "--height", str(h), "--signer", f.node_key(A, 0),
          "--signer", f.node_key(A, 1), "--signer", f.node_key(A, 2), "--out", conflict, k=B)
    f.cli("client", "misbehaviour", f.chain_id(A), "--source", a_src, "--conflict", conflict,
          "--from", "acct0", "--keys", f.accounts_key(B), k=B)
    c = f.client(B, A)
    check(c["status"] == "frozen" and c["frozen_reason"] == "conflicting headers",
          "B's client of A is frozen: %s at %s" % (c.get("frozen_reason"), c.get("frozen_height")))


def test():
    with Federation("freeze-payout", chains=2, validators=4) as f:
        wait_for(lambda: f.trusted(B, A) >= 2 and f.trusted(A, B) >= 2 and [True], 120,
                 "each chain's client of the other to advance")
        a_denom = f.chain_id(A)
        bonder, h1, h2 = f.account_info(B, "acct3")["address"], f.account_info(B, "acct1")["address"], f.account_info(B, "acct2")["address"]

        # 1. collateral for A on B
        f.cli("xfer", "bond", f.chain_id(A), "--amount", str(COLLATERAL), "--from", "acct3", "--keys", f.accounts_key(B),
              k=B)
        c = corr(f, B, A)
        check(c and c["limited"] and int(c["collateral"]) == COLLATERAL and int(c["limit"]) == 10 * COLLATERAL,
              "B holds %d of collateral for A and limits claims on A to %s" % (COLLATERAL, c and c["limit"]))

        # 2. claims on A held on B
        send_credited(f, A, "acct0", h1, 300)
        send_credited(f, A, "acct0", h2, 100)
        check(vouchers(f, B, h1).get(a_denom) == 300 and vouchers(f, B, h2).get(a_denom) == 100,
              "B's acct1 and acct2 hold 300 and 100 of A's vouchers")
        c = corr(f, B, A)
        check(int(c["claims"]) == 400 and int(c["paid_out"]) == 0, "B holds claims of 400 on A, nothing paid out")
        before = {a: balance(f, B, a) for a in (bonder, h1, h2)}

        # 3. A is caught signing two headers for one height
        freeze(f)

        # 4. the payout, pro rata to the holdings
        c = wait_for(lambda: (lambda c: c if int(c["paid_out"]) == COLLATERAL else None)(corr(f, B, A)), 30,
                     "B to pay out the collateral for A")
        check(int(c["collateral"]) == 0, "B's collateral for A is spent: %s" % c)
        after = {a: balance(f, B, a) for a in (bonder, h1, h2)}
        check(after[h1] - before[h1] == 750 and after[h2] - before[h2] == 250,
              "the holders of A's vouchers got 750 and 250 (%d, %d)" %
              (after[h1] - before[h1], after[h2] - before[h2]))
        check(after[bonder] == before[bonder], "the bonder's balance did not move: its collateral was what paid")
        check(vouchers(f, B, h1).get(a_denom) == 300 and vouchers(f, B, h2).get(a_denom) == 100,
              "the vouchers stay with their holders (still claims on A)")
        say("payout: %s" % json.dumps(c))
        height = f.height(B, 0)
        wait_for(lambda: f.height(B, 0) >= height + 3 and [True], 60, "B to go on")
        check(int(corr(f, B, A)["paid_out"]) == COLLATERAL, "and pays only once")

        # 5. supply equations and conservation across both stores
        subprocess.run([HANSA, "federation", "down", "--dir", f.dir], capture_output=True, timeout=120)
        r = subprocess.run([HANSA, "xfer", "audit", f.home(A, 0), f.home(B, 0)], capture_output=True, text=True,
                           timeout=120)
        check(r.returncode == 0 and "conservation holds" in r.stdout, "hansa xfer audit: %s%s" % (r.stdout, r.stderr))
        say(r.stdout.strip())


if __name__ == "__main__":
    main(test)
