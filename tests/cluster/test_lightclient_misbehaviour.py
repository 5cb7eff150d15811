#!/usr/bin/env python3
"""Chain B's light client of chain A refuses forged and stale headers with a
reason, freezes on misbehaviour, and the double signers are slashed at home.

A federation of two chains (`hansa federation up`), fed1 = A and fed2 = B,
4 delegates each; each approves a client of the other at genesis and the
delegates relay. Then, on B, with a funded account of B:
  1. a stale header (one B's client already holds) is refused: "already
     verified";
  2. a forged one (A's real header with one signature bit flipped) is
     refused: "forged commit: signature 0 ...";
  3. a header signed by one delegate of A only is refused: "insufficient
     power";
  4. three of A's four delegates sign a second header at a height A
     decided (`hansa client forge`, as a Byzantine majority would); the
     two headers go to B as misbehaviour: B's client freezes, keeps the
     duplicate precommits of everyone who signed both, and refuses updates;
  5. B's delegates carry that evidence to A (rpc submit_evidence, relay
     duty): A's next blocks punish it, each double signer is tombstoned,
     and A goes on with the honest delegate; a restart of that delegate
     audits A's supply equation after the slashing.
"""
import json
import os
import time

from cluster import main
from fed import Federation, check, say, wait_for

A, B = 0, 1


def light_block(f, k, height):
    return f.call(k, 0, "light_block", {"height": height})


def write(path, obj):
    with open(path, "w") as fh:
        json.dump(obj, fh)
    return path


def test():
    with Federation("lc-misbehaviour", chains=2, validators=4) as f:
        t0 = wait_for(lambda: f.trusted(B, A) >= 4 and f.trusted(B, A), 120, "B's client of A to advance")
        say("B trusts A at height %d" % t0)
        a_src = f.rpc_addr(A, 3)
        pay = ["--from", "acct0", "--keys", os.path.join(f.dir, "chain-%s" % f.chain_id(B), "accounts.key")]

        # 1. stale: a header B's client already holds
        held = f.client(B, A)["heights"][-1]
        stale = write(os.path.join(f.tmp, "stale.json"), light_block(f, A, held))
        out = f.cli("client", "update", f.chain_id(A), "--light", stale, "--source", a_src, *pay, k=B, expect=1)
        check("already verified" in out, "a stale header is refused: %s" % out.strip().splitlines()[-1])

        # 2. forged: a flipped bit in the first signature of a real commit (of A's tip: if
        # B's relayer verified that very height first, the tip of a moment later)
        for _ in range(5):
            h = f.height(A, 3)
            lb = light_block(f, A, h)
            sig_hex = 2 * (1 + 4 + 8 + 4 + 32 + 4 + 2)  # commit header, then signer index (2 bytes)
            c = lb["commit"]
            lb["commit"] = c[:sig_hex] + ("0" if c[sig_hex] != "0" else "1") + c[sig_hex + 1:]
            forged = write(os.path.join(f.tmp, "forged.json"), lb)
            out = f.cli("client", "update", f.chain_id(A), "--light", forged, "--source", a_src, *pay, k=B,
                        expect=1)
            if "already verified" not in out:
                break
            time.sleep(0.5)
        check("forged commit: signature 0" in out, "a forged signature is refused: %s" % out.strip().splitlines()[-1])

        # 3. a header signed by one delegate of four
        one = os.path.join(f.tmp, "one.json")
        f.cli("client", "forge", "--source", a_src, "--height", str(h), "--signer", f.node_key(A, 0), "--out", one,
              k=B)
        out = f.cli("client", "update", f.chain_id(A), "--light", one, "--source", a_src, *pay, k=B, expect=1)
        check("insufficient power" in out, "a header signed by 1 of 4 is refused: %s" % out.strip().splitlines()[-1])
        check(f.client(B, A)["status"] == "active", "none of these changed B's client")

        # 4. misbehaviour: three of four sign a second header at height h
        real_signers = {s["pubkey"] for s in f.call(A, 3, "block", {"height": h})["commit"]["signers"]}
        byz = [f.key_info(A, i)["pubkey"] for i in range(3)]
        culprits = sorted(set(byz) & real_signers)
        say("height %d: the real commit has %d signers, %d of them sign the fork too" %
            (h, len(real_signers), len(culprits)))
        conflict = os.path.join(f.tmp, "conflict.json")
        f.cli("client", "forge", "--source", a_src, "--height", str(h), "--signer", f.node_key(A, 0),
              "--signer", f.node_key(A, 1), "--signer", f.node_key(A, 2), "--out", conflict, k=B)
        f.cli("client", "misbehaviour", f.chain_id(A), "--source", a_src, "--conflict", conflict, *pay, k=B)
        c = f.client(B, A)
        check(c["status"] == "frozen" and c["frozen_reason"] == "conflicting headers" and c["frozen_height"] == h,
              "B's client of A is frozen: %s at %s" % (c.get("frozen_reason"), c.get("frozen_height")))
        check(sorted(e["offender"] for e in c["evidence"]) == culprits,
              "it holds duplicate-vote evidence against exactly the %d who signed both" % len(culprits))
        out = f.cli("client", "update", f.chain_id(A), "--source", a_src, *pay, k=B, expect=1)
        check("frozen" in out, "a frozen client refuses updates: %s" % out.strip().splitlines()[-1])

        # 5. carried home: A slashes and tombstones them, and goes on
        def slashed():
            cands = {x["pubkey"]: x for x in f.call(A, 3, "candidates")["candidates"]}
            return all(cands[p]["tombstoned"] for p in culprits) and cands
        cands = wait_for(slashed, 120, "A to slash the double signers")
        honest = f.key_info(A, 3)["pubkey"]
        check(not cands[honest]["tombstoned"], "the honest delegate of A is not touched")
        punished = f.call(A, 3, "evidence")["punished"]
        check(len(punished) >= len(culprits), "A's ledger records %d punished offences" % len(punished))
        top = f.height(A, 3)
        wait_for(lambda: f.height(A, 3) >= top + 3 and [True], 90, "A to go on after the slashing")
        active = {v["pubkey"] for v in f.call(A, 3, "delegates")["active"]}
        check(not (active & set(culprits)), "no double signer is in A's active set any more")

        # The slashing moved value: a restart audits A's supply equation
        # (ledger_supply_check at load) and refuses to start on a broken one.
        f.kill9(A, 3)
        top = f.height(A, 0)
        f.restart()
        wait_for(lambda: f.height(A, 3) > top and [True], 90, "A's node3 to restart from its store and go on")
        say("A's node3 restarted past height %d: its supply equation holds" % top)


if __name__ == "__main__":
    main(test)
