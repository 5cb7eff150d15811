#!/usr/bin/env python3
"""Lifts across chains with a referee chain, on `hansa federation up --chains 3`
(4 delegates each): fed1 and fed2 hold one segment each, fed3 is the referee.
X (acct0), Z (acct1) and Y (acct2) of fed1; X and Y also hold accounts on fed2
with the same keys. Debts around the circle: Z owes X and Y owes Z on fed1, X
owes Y on fed2, 100 each.

1. A circular lift of 60 built with `hansa lift cross`: X promises fed1's
   segment, Y fed2's (`hansa lift promise`), the delegates relay both promises
   to fed3 as packets, fed3 rules COMMIT; its ruling goes to each chain
   (`hansa lift rule`) and each finalizes on its proof: every debt shrinks by
   60 and nobody's total moves.
2. A lift whose fed2 segment is never promised: asking fed3 before the expiry
   is refused; after it fed3 rules EXPIRED and fed1 voids its pending legs.
3. At the end, with every node stopped, `hansa xfer audit` checks conservation
   across the three chains and runs the credit checker on each.
"""
import json
import os
import subprocess
import time

from cluster import HANSA, main
from fed import Federation, check, say, wait_for

DEBT = 100


def hansa(f, k, keyfile, *args, ok=True):
    cmd = [HANSA, *args, "--keys", keyfile, "--node", f.rpc_addr(k, 0)]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if ok:
        check(r.returncode == 0, "hansa %s: %s%s" % (" ".join(args[:2]), r.stdout, r.stderr))
    return r


def hansa_json(f, k, keyfile, *args):
    return json.loads(hansa(f, k, keyfile, *args, "--json").stdout)


def joint_keys(f, src, dst, names):
    """A key file for chain dst holding the keys `names` of chain src's
    accounts (the same person on both chains). An address in lowercase hex
    needs no checksum, so only the chain prefix changes."""
    out = []
    with open(f.accounts_key(dst)) as fd:
        out += [line for line in fd if not line.startswith("key ")]
    with open(f.accounts_key(src)) as fd:
        for line in fd:
            p = line.split()
            if len(p) == 5 and p[0] == "key" and p[1] in names:
                p[4] = "%sx%s" % (f.chain_id(dst), p[4].split("x", 1)[1].lower())
                out.append(" ".join(p) + "\n")
    path = os.path.join(f.tmp, "joint-%s.key" % f.chain_id(dst))
    with open(path, "w") as fd:
        fd.writelines(out)
    os.chmod(path, 0o600)
    return path


def owing(f, k, keyfile, creditor, debtor):
    r = hansa_json(f, k, keyfile, "tally", "offer", "--from", creditor, "--with", debtor, "--as", "stock",
                   "--foil-limit", "1000", "--stock-limit", "1000", "--call-days", "30")
    tally = r["done"].split()[2]
    hansa(f, k, keyfile, "tally", "accept", "--from", debtor, "--id", tally)
    hansa(f, k, keyfile, "chit", "pay", "--from", debtor, "--id", tally, "--amount", str(DEBT))
    return tally


def balance(f, k, tally):
    return int(f.call(k, 0, "tally", {"id": tally})["balance"])


def seg_state(f, k, lift_id):
    try:
        return f.call(k, 0, "xlift", {"id": lift_id})["state"]
    except Exception:  # noqa: BLE001 — not promised there (yet)
        return None


def ruling_of(f, k, h):
    """Chain k's ruling on the lift with hash h, or None while it has none."""
    try:
        j = f.call(k, 0, "xlift_ruling", {"hash": h})
    except Exception:  # noqa: BLE001 — no promise arrived yet
        return None
    return j if j["ruling"] != "none" else None


def test():
    f = Federation("xlifts", chains=3, validators=4)
    with f:
        A, B, R = 0, 1, 2
        ka, kr = f.accounts_key(A), f.accounts_key(R)
        kb = joint_keys(f, A, B, ("acct0", "acct2"))
        for name in ("acct0", "acct2"):
            addr = json.loads(subprocess.run([HANSA, "key", "show", name, "--keys", kb, "--json"],
                                             capture_output=True, text=True, timeout=30).stdout)["address"]
            hansa(f, B, f.accounts_key(B), "send", "--from", "acct3", "--to", addr, "--amount", "100000")
        say("X and Y hold accounts on %s too, with their %s keys" % (f.chain_id(B), f.chain_id(A)))
        t_xz = owing(f, A, ka, "acct0", "acct1")
        t_zy = owing(f, A, ka, "acct1", "acct2")
        t_yx = owing(f, B, kb, "acct2", "acct0")
        tallies = [(A, t_xz), (A, t_zy), (B, t_yx)]
        check([balance(f, k, t) for k, t in tallies] == [DEBT] * 3, "three debts of %d around the circle" % DEBT)

        # 1. a circular lift across fed1 and fed2, refereed by fed3
        x = hansa_json(f, A, ka, "lift", "cross", "--from", "acct0", "--referee", f.rpc_addr(R, 0), "--amount", "60",
                       "--expiry-s", "300", "--seg", "%s=%s,%s" % (f.rpc_addr(A, 0), t_xz, t_zy),
                       "--seg", "%s=%s" % (f.rpc_addr(B, 0), t_yx))
        check(x["circular"], "hansa lift cross built a circular lift over two chains")
        hansa(f, A, ka, "lift", "promise", "--from", "acct0", "--xlift", x["xlift"])
        check(seg_state(f, A, x["lift_id"]) == "pending", "fed1 holds its segment pending")
        r = hansa(f, R, kr, "lift", "rule", "--from", "acct0", "--xlift", x["xlift"], "--to", f.chain_id(A), ok=False)
        check(r.returncode != 0 and "no ruling yet" in r.stderr, "fed3 gives no ruling while a promise is missing")
        t0 = time.monotonic()
        hansa(f, B, kb, "lift", "promise", "--from", "acct2", "--xlift", x["xlift"])
        ruled = wait_for(lambda: ruling_of(f, R, x["xlift_hash"]), 120, "fed3 to rule on the lift")
        check(ruled["ruling"] == "commit" and ruled["promised"] == [True, True],
              "fed3 ruled COMMIT at height %s once both promises arrived (relayed as packets)" % ruled["height"])
        for k in (A, B):
            hansa(f, R, kr, "lift", "rule", "--from", "acct0", "--xlift", x["xlift"], "--to", f.chain_id(k))
        for k in (A, B):
            wait_for(lambda: seg_state(f, k, x["lift_id"]) == "committed", 120,
                     "chain %s to finalize on the ruling" % f.chain_id(k))
        say("figure: %.1f s from the last promise to both chains finalized (ASan build, CLI steps, "
            "relaying by the delegates)" % (time.monotonic() - t0))
        check([balance(f, k, t) for k, t in tallies] == [DEBT - 60] * 3,
              "both chains finalized on the ruling's proof: every debt shrank by 60")
        # Nobody's total moved: X is owed on t_xz what it owes on t_yx, and so on.
        check(balance(f, A, t_xz) - balance(f, B, t_yx) == 0 and balance(f, A, t_zy) - balance(f, A, t_xz) == 0,
              "conservation: X, Y and Z each still net zero across both chains")

        # 2. fed2 never promises: EXPIRED, fed1 voids
        y = hansa_json(f, A, ka, "lift", "cross", "--from", "acct0", "--referee", f.rpc_addr(R, 0), "--amount", "20",
                       "--expiry-s", "4", "--seg", "%s=%s,%s" % (f.rpc_addr(A, 0), t_xz, t_zy),
                       "--seg", "%s=%s" % (f.rpc_addr(B, 0), t_yx))
        hansa(f, A, ka, "lift", "promise", "--from", "acct0", "--xlift", y["xlift"])
        wait_for(lambda: int(f.call(R, 0, "status")["block_time_ms"]) > y["expiry_ms"], 60, "fed3's time to pass the expiry")
        hansa(f, R, kr, "lift", "rule", "--from", "acct0", "--xlift", y["xlift"], "--to", f.chain_id(A))
        wait_for(lambda: seg_state(f, A, y["lift_id"]) == "voided", 120, "fed1 to void on the EXPIRED ruling")
        check(f.call(R, 0, "xlift_ruling", {"hash": y["xlift_hash"]})["ruling"] == "expired",
              "fed3 ruled EXPIRED when asked after the expiry")
        check([balance(f, k, t) for k, t in tallies] == [DEBT - 60] * 3, "the voided lift moved nothing")

        # 3. conservation and the credit checker on the stores
        subprocess.run([HANSA, "federation", "down", "--dir", f.dir], capture_output=True, timeout=120)
        r = subprocess.run([HANSA, "xfer", "audit", f.home(0, 0), f.home(1, 0), f.home(2, 0)],
                           capture_output=True, text=True, timeout=120)
        check(r.returncode == 0 and "conservation holds" in r.stdout and "credit checker passes" in r.stdout,
              "hansa xfer audit: %s%s" % (r.stdout, r.stderr))
        say(r.stdout.strip())


if __name__ == "__main__":
    main(test)
