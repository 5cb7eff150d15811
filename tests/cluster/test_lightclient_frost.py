#!/usr/bin/env python3
"""A light client that follows its chain by FROST checkpoints (issue 14,
docs/interchain.md "FROST checkpoints"): a federation of 2 chains x 4
delegates with `hansa federation up --frost --approve-by-stake`. Each chain
runs its key generation and signs a checkpoint of every block; each client is
registered (`hansa client register --cert frost`) with a trust root that names
the other chain's group key, shown current by the checkpoint of the root
header, and approved by stake.

Checked: fed2's client of fed1 names fed1's recorded group key; the relay
duty moves it by FROST updates (a state proven by a checkpoint has its key
shown current at its own time, which a commit update never does);
`hansa client update --cert frost` builds one by hand; and a transfer
fed1 -> fed2 is credited, proven against a fed1 header that fed2's client
took on a FROST checkpoint.
"""
import json
import subprocess

from cluster import HANSA, main
from fed import Federation, check, say, wait_for


def frost_proven(cs):
    """True when consensus state cs was proven by a FROST checkpoint."""
    k = cs.get("group_key")
    return k is not None and k["time_ms"] == cs["time_ms"]


def test():
    f = Federation("lc-frost", chains=2, validators=4)
    f.extra_up = ["--frost", "--approve-by-stake"]
    with f:
        fed1 = f.chain_id(0)
        key = f.call(0, 0, "group_key")["current"]
        check(key is not None, "fed1 has a group key")
        c = f.client(1, 0)
        check(c is not None and c["status"] == "active", "fed2's client of fed1 is active (approved by stake)")
        gk = c["latest"].get("group_key")
        check(gk is not None and gk["key"] == key["key"] and int(gk["epoch"]) == int(key["epoch"]),
              "its trust root names fed1's group key of epoch %s: %s" % (key["epoch"], gk))
        out = f.cli("client", "show", fed1, k=1)
        check("group key       %s of epoch %s" % (key["key"], key["epoch"]) in out,
              "hansa client show names the trusted group key:\n" + out)
        start = c["trusted_height"]
        # The relay duty prefers a FROST update when the client would take it.
        cs = wait_for(lambda: (lambda c: c and c["trusted_height"] > start and frost_proven(c["latest"]) and c)(
            f.client(1, 0)), 60, "fed2's client of fed1 to move by a FROST checkpoint")
        say("fed2's client of fed1 at %d, proven by a checkpoint under epoch %s" %
            (cs["trusted_height"], cs["latest"]["group_key"]["epoch"]))
        # By hand: the CLI builds a FROST update (the relay may have taken the height first).
        r = subprocess.run([HANSA, "client", "update", fed1, "--source", f.rpc_addr(0, 1), "--cert", "frost",
                            "--from", "acct1", "--keys", f.accounts_key(1), "--node", f.rpc_addr(1, 0)],
                           capture_output=True, text=True, timeout=120)
        out = r.stdout + r.stderr
        check("by FROST checkpoint" in out or "up to date" in out,
              "hansa client update --cert frost builds a FROST update:\n" + out)
        say(out.strip().splitlines()[0] if out.strip() else "(no output)")
        # A transfer proven against a header the client took on a checkpoint.
        b0 = f.account_info(1, "acct0")["address"]
        cmd = [HANSA, "send", "--from", "acct0", "--to", b0, "--amount", "500", "--keys", f.accounts_key(0),
               "--node", f.rpc_addr(0, 0), "--json"]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        check(r.returncode == 0, "hansa send fed1 -> fed2: %s%s" % (r.stdout, r.stderr))
        h = json.loads(r.stdout)["hash"]
        s = wait_for(lambda: (lambda s: s if s and s["state"] != "pending" else None)(
            f.call(0, 0, "xfer_status", {"hash": h})), 90, "the transfer to end")
        check(s["state"] == "credited", "the transfer fed1 -> fed2 is credited: %s" % s)
        v = {x["denom"]: int(x["amount"]) for x in f.call(1, 0, "vouchers", {"address": b0})["vouchers"]}
        check(v.get(fed1) == 500, "fed2's acct0 holds 500 of fed1's token")
        at = f.call(1, 0, "client", {"chain_id": fed1, "height": s["sent_height"]})["at"]
        check(frost_proven(at), "fed2 proved the packet against fed1's header %d, taken on a FROST checkpoint: %s" %
              (s["sent_height"], at.get("group_key")))
        say("packet of fed1 height %d credited on fed2, its header proven by one FROST signature" %
            s["sent_height"])


if __name__ == "__main__":
    main(test)
