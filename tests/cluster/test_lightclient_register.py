#!/usr/bin/env python3
"""Light clients registered and approved by transactions, not genesis
entries (`hansa federation up --approve-by-stake`): on each of three chains
an account registers a client of every other chain with its newest header as
trust root (`hansa client register`), and the delegates, who hold all the
bonded stake, approve it (`hansa client approve`) — more than 2/3 of bonded
stake makes it active at the end of the block. Then the relays make every
client follow its chain, and `hansa federation status` and `hansa client
list|show` say so.
"""
import subprocess

from cluster import HANSA, main
from fed import Federation, check, say, wait_for


def test():
    f = Federation("lc-register", chains=3, validators=1)
    f.extra_up = ["--approve-by-stake"]
    with f:
        for k in range(3):
            others = [j for j in range(3) if j != k]
            for j in others:
                c = f.client(k, j)
                check(c is not None and c["status"] == "active",
                      "chain %s keeps an active client of %s, approved by stake (since %s)" %
                      (f.chain_id(k), f.chain_id(j), c and c["since"]))
                check(c["since"] > 0, "... approved at a height, not at genesis")
        starts = {(k, j): f.trusted(k, j) for k in range(3) for j in range(3) if j != k}
        say("trusted heights after approval: %s" % starts)
        for (k, j), t in starts.items():
            wait_for(lambda: f.trusted(k, j) >= t + 3 and [True], 120,
                     "chain %s's client of %s to follow" % (f.chain_id(k), f.chain_id(j)))
        out = subprocess.run([HANSA, "federation", "status", "--dir", f.dir], capture_output=True, text=True,
                             timeout=60).stdout
        check(out.count("active") == 6, "federation status shows 6 active clients:\n" + out)
        out = f.cli("client", "list", k=0)
        check(f.chain_id(1) in out and f.chain_id(2) in out, "hansa client list shows both clients of fed1")
        out = f.cli("client", "show", f.chain_id(1), k=0)
        check("trusted height" in out and "active" in out, "hansa client show fed2 on fed1")


if __name__ == "__main__":
    main(test)
