#!/usr/bin/env python3
"""Receipts across chains (docs/receipts.md, "Across chains") on a federation
of 2 chains x 4 delegates.

fed1's full node (node4: a receipt node need not be a delegate, and a
delegate's own relay transactions would race the operator's for nonces)
bonds receipt collateral with a term, and fed2's light client
of fed1 is updated to the bond's height once (per bond, not per payment).
1. fed1's acct1 pays fed2's acct1 (the merchant) with `hansa send --receipt`:
   node4 answers at once with a receipt, and the merchant's node on fed2
   checks it with `hansa receipt verify --source`, the signer's bond proven
   through fed2's client of fed1, before the packet arrives. It is credited;
   a claim on that receipt is then refused (the promise was kept).
2. A promise broken: fed2 caps fed1's vouchers (correspondent collateral), so
   the next receipted transfer is refused on fed2 and refunded on fed1; after
   the deadline anyone submits the merchant's claim on fed1 and it is paid
   from node4's collateral to the merchant's address there, once.
3. The receipt audit and the supply equation hold on every fed1 node, and
   `hansa xfer audit` finds conservation across both stores with the nodes
   stopped. Latencies are printed, not asserted.
Every refusal rule of the check is in tests/ledger/test_ledger_xfer.c."""
import json
import subprocess

from cluster import HANSA, main
from fed import Federation, check, say, wait_for
from test_transfers import balance, vouchers, wait_done

BOND = 5000
RN = 4  # fed1's receipt node: its full node


def send_receipted(f, to, amount):
    r = subprocess.run([HANSA, "send", "--from", "acct1", "--to", to, "--amount", str(amount), "--keys",
                        f.accounts_key(0), "--node", f.rpc_addr(0, RN), "--receipt", "--json"],
                       capture_output=True, text=True, timeout=120)
    check(r.returncode == 0, "hansa send --receipt: %s%s" % (r.stdout, r.stderr))
    return json.loads(r.stdout)


def test():
    f = Federation("rcptx", chains=2, validators=4, full_nodes=1)
    with f:
        fed1, fed2 = f.chain_id(0), f.chain_id(1)
        signer = f.key_info(0, RN)
        merchant = f.account_info(1, "acct1")["address"]
        f.cli("send", "--from", "acct0", "--to", signer["address"], "--amount", str(BOND + 1000), "--keys",
              f.accounts_key(0), k=0)
        f.cli("receipt", "bond", "--from", "node", "--amount", str(BOND), "--term", "5000", "--keys",
              f.node_key(0, RN), k=0)
        proof = f.call(0, RN, "receipt_bond_proof", {"signer": signer["pubkey"]})
        h = int(proof["height"])
        check(int(proof["term"]) > h, "the bond carries its term: %s" % proof)

        # 1. paid with a receipt, checked on the destination at once (once
        # the destination's client of fed1 holds the bond's header)
        r1 = send_receipted(f, merchant, 700)
        if h not in f.client(1, 0)["heights"]:
            out = f.cli("receipt", "verify", r1["receipt"], "--source", f.rpc_addr(0, 0), k=1, expect=1)
            check("update the client" in out, "without the bond's header fed2 says what is missing: %s" % out)
        f.cli("client", "update", fed1, "--source", f.rpc_addr(0, 0), "--height", str(h), "--from", "acct2",
              "--keys", f.accounts_key(1), k=1)
        say("node4 of %s bonded %d at height %d; %s's client of it holds that header" % (fed1, BOND, h, fed2))
        out = f.cli("receipt", "verify", r1["receipt"], "--source", f.rpc_addr(0, 0), "--json", k=1)
        v = json.loads(out)
        check(v["valid"] is True, "fed2 accepts fed1's receipt: %s" % out)
        check(int(v["signers"][0]["bond"]) == BOND and int(v["signers"][0]["bond_height"]) == h,
              "the signer's bond is proven from fed1: %s" % v["signers"])
        check(int(v["signers"][0]["backs_until"]) >= int(r1["deadline"]), "the bond reaches the deadline")
        say("receipt in %.2f ms; verified on %s through its light client of %s" %
            (r1["client_us"] / 1000.0, fed2, fed1))
        wait_done(f, 0, r1["hash"], "credited")
        check(vouchers(f, 1, merchant).get(fed1) == 700, "the merchant holds 700 of fed1's token")

        # 2. a broken promise: refused on fed2, refunded on fed1, claimed on fed1
        f.cli("xfer", "bond", fed1, "--amount", "10", "--from", "acct2", "--keys", f.accounts_key(1), k=1)
        r2 = send_receipted(f, merchant, 300)
        s2 = wait_done(f, 0, r2["hash"], "refunded")
        check(s2["outcome"] == "over the correspondent limit", "refused: %s" % s2["outcome"])
        wait_for(lambda: f.height(0) > int(r2["deadline"]) + 1, 120, "fed1 past the receipt's deadline")
        paid_to = r2["beneficiary"]
        before = balance(f, 0, paid_to)
        out = f.cli("receipt", "claim", "--from", "acct2", r2["receipt"], "--keys", f.accounts_key(0), k=0)
        check(balance(f, 0, paid_to) == before + 300, "the merchant is paid 300 on fed1: %s" % out)
        f.cli("receipt", "claim", "--from", "acct2", r2["receipt"], "--keys", f.accounts_key(0), k=0, expect=1)
        wait_for(lambda: f.height(0) > int(r1["deadline"]) + 1, 120, "fed1 past the first deadline")
        out = f.cli("receipt", "claim", "--from", "acct2", r1["receipt"], "--keys", f.accounts_key(0), k=0,
                    expect=1)
        check("credited" in out, "the kept promise is not claimable: %s" % out)
        bond = f.call(0, 0, "receipt_verify", {"receipt": r2["receipt"]})["signers"][0]
        check(int(bond["claimed"]) == 300, "node4's collateral paid the claim: %s" % bond)

        # 3. audits
        for i in range(RN + 1):
            a = f.call(0, i, "receipts_audit")
            check(a["ok"] is True, "fed1 node%d: receipt audit and supply: %s" % (i, a))
        subprocess.run([HANSA, "federation", "down", "--dir", f.dir], capture_output=True, timeout=120)
        r = subprocess.run([HANSA, "xfer", "audit", f.home(0, 0), f.home(1, 0)], capture_output=True, text=True,
                           timeout=120)
        check(r.returncode == 0 and "conservation holds" in r.stdout, "hansa xfer audit: %s%s" % (r.stdout, r.stderr))
        say(r.stdout.strip())


if __name__ == "__main__":
    main(test)
