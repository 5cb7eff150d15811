#!/usr/bin/env python3
"""A delegate that is killed is jailed for missing blocks and the bench
replaces it.

Four genesis delegates and a full node whose key stakes 5: with active_max 4
it waits on the bench. The genesis has a short liveness window (20 heights,
jailed after missing more than half). One delegate is killed with SIGKILL;
the other three (30 of 40 power) keep committing and leave it out of their
commits, so the ledger jails it and re-elects at once: the bench candidate
becomes active two heights later, signs, and the chain goes on without the
dead node. Its candidate record shows it jailed (not tombstoned, self bond
intact: missing blocks is not slashed).
"""
from delegates import DelegateNet, check, main, say, wait_for

WINDOW = 20


def test():
    elections = {"epoch_blocks": 100000, "active_max": 4, "bench_max": 4,
                 "liveness_window": WINDOW, "liveness_miss_bps": 5000, "jail_blocks": 1000}
    with DelegateNet("jail", validators=4, full_nodes=1, elections=elections) as net:
        net.wait_heights(range(5), 3, 60)
        bench = net.key_info(4)
        net.cli("send", "--from", "acct0", "--keys", net.accounts_key(), "--to", bench["address"],
                "--amount", "1000")
        net.cli("stake", "--from", "node", "--keys", net.node_key(4), "--amount", "5")
        d = net.delegates()
        check(bench["pubkey"] in {b["pubkey"] for b in d["bench"]}, "node4 is on the bench")
        check(not net.status(4)["is_delegate"], "node4 is not a delegate yet")

        victim = 3
        vkey = net.key_info(victim)["pubkey"]
        live = [0, 1, 2, 4]
        h0 = net.height(0)
        net.kill9(victim)
        say("killed node%d at height ~%d" % (victim, h0))
        c = wait_for(lambda: net.candidates()[vkey]["jailed"] and net.candidates()[vkey], 90,
                     "node%d to be jailed" % victim)
        # Jailed once it missed more than half of the window (its window then
        # starts afresh, so `missed` counts only the heights since).
        check(c["jailed_at"] > h0 + WINDOW // 2,
              "node%d jailed at %d, more than %d heights after it died" %
              (victim, c["jailed_at"], WINDOW // 2))
        check(not c["tombstoned"] and c["self_bond"] == "10" and not c["eligible"],
              "jailed, not tombstoned nor slashed, not eligible")
        net.wait_heights([0], c["jailed_at"] + 2, 30)
        active = net.active()
        check(vkey not in active and bench["pubkey"] in active,
              "the bench candidate replaced node%d in the active set" % victim)
        h = wait_for(lambda: net.status(4)["is_delegate"] and net.height(0), 30, "node4 to be a delegate")
        net.wait_heights(live, h + 12, 60)
        # The three 10s are a quorum without node4's 5, so a stored commit may
        # lack it; the ledger's liveness record (fed by each next block's
        # last_commit, late precommits included) says whether it signs.
        missed = net.candidates()[bench["pubkey"]]["missed"]
        check(missed <= 2, "node4 signs: it missed %d of the %d heights since it became active"
              % (missed, 12))
        check(any(bench["pubkey"] in net.commit_signers(0, x) for x in range(h + 1, h + 12)),
              "node4 is in some commit certificate of heights %d..%d" % (h + 1, h + 11))
        out = net.cli("candidates")
        check("jailed" in out, "`hansa candidates` shows the jailed delegate")
        net.cli("send", "--from", "acct2", "--keys", net.accounts_key(), "--to",
                net.key_info(victim)["address"], "--amount", "100")  # for the fee
        out = net.cli("unjail", "--from", "node", "--keys", net.node_key(victim), expect=1)
        check("jail" in out, "unjail before jail_blocks is refused: %s" % out.strip().splitlines()[0])


if __name__ == "__main__":
    main(test)
