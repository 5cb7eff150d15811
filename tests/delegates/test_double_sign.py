#!/usr/bin/env python3
"""A delegate made to double-sign is slashed and tombstoned, and the chain
keeps going.

Four genesis delegates (self bond 10 each, slash_bps 5000). One is stopped
and restarted as `hansad-byzantine` (a test-only build of the daemon, absent
from release builds), which sends, next to each of its prevotes, a
conflicting prevote signed with its key. The release daemon must have no
such code: its binary does not carry the fault's warning text, and started
with the environment variable that once switched it on, it does nothing
different. The honest
nodes' vote sets see both faces and produce duplicate-vote evidence
(consensus), the evidence goes through the node's pool into a block's
evidence list, and the ledger burns half of the offender's bond, tombstones
it and re-elects at once: the offender leaves the active set, the other
three keep committing, the evidence shows as punished, and the offender can
never unjail.
"""
import os
import subprocess

from delegates import DelegateNet, check, main, say, wait_for
import cluster

BYZANTINE = os.path.join(cluster.BUILD, "hansad-byzantine")
MARK = b"hansad-byzantine: TEST ONLY"


def start_byzantine(net, i):
    """Starts node i as hansad-byzantine (argv[0] "hansad", so the testnet's
    cleanup finds it) and records its pid where `testnet down` looks."""
    home = net.home(i)
    with open(net.log_path(i), "ab") as log:
        p = subprocess.Popen(["hansad", "--home", home], executable=BYZANTINE,
                             stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                             start_new_session=True)
    net.extra.append(p)
    with open(os.path.join(home, "hansad.pid"), "w") as f:
        f.write("%d\n" % p.pid)
    wait_for(lambda: MARK.decode() in net.log_text(i), 30, "node%d to start as a double signer" % i)


def release_daemon_has_no_switch(net, i):
    with open(cluster.HANSAD, "rb") as f:
        check(MARK not in f.read(), "the hansad binary carries no double-signing code")
    with open(BYZANTINE, "rb") as f:
        check(MARK in f.read(), "hansad-byzantine does")
    net.stop(i)
    net.up(env={"HANSA_TEST_DOUBLE_SIGN": "1"})  # the old switch: must do nothing now
    check("TEST ONLY" not in net.log_text(i), "hansad ignores HANSA_TEST_DOUBLE_SIGN=1")


def test():
    with DelegateNet("dsign", validators=4, elections={"slash_bps": 5000}) as net:
        net.wait_heights(range(4), 3, 60)
        bad = 3
        key = net.key_info(bad)["pubkey"]
        check(net.candidates()[key]["self_bond"] == "10", "node%d starts with self bond 10" % bad)
        release_daemon_has_no_switch(net, bad)
        net.stop(bad)
        start_byzantine(net, bad)
        check(True, "node%d warns loudly that it double-signs" % bad)
        h0 = net.height(0)
        say("node%d restarted as a double signer at height ~%d" % (bad, h0))

        c = wait_for(lambda: net.candidates()[key]["tombstoned"] and net.candidates()[key], 60,
                     "node%d to be tombstoned" % bad)
        check(c["self_bond"] == "5", "half of node%d's bond was burned (self bond %s)" %
              (bad, c["self_bond"]))
        check(c["jailed"] and not c["eligible"], "node%d is jailed for good, not eligible" % bad)
        ev = net.call(0, "evidence")
        check(len(ev["punished"]) >= 1, "the evidence is recorded as punished (%d)" %
              len(ev["punished"]))
        punished_at = min(p["height"] for p in ev["punished"])
        net.wait_heights([0, 1, 2], punished_at + 2, 30)
        check(key not in net.active(), "node%d left the active set" % bad)
        check(net.candidates()[key]["role"] == "none", "node%d is neither active nor bench" % bad)
        h = net.height(0)
        net.wait_heights([0, 1, 2], h + 10, 60)
        check(True, "the three honest delegates committed 10 more heights")
        check(all("evidence of double signing" in net.log_text(i) for i in range(3)),
              "every honest node logged the evidence")
        net.cli("send", "--from", "acct2", "--keys", net.accounts_key(), "--to",
                net.key_info(bad)["address"], "--amount", "100")  # for the fee
        out = net.cli("unjail", "--from", "node", "--keys", net.node_key(bad), expect=1)
        check("tombstone" in out, "a tombstoned delegate cannot unjail: %s" %
              out.strip().splitlines()[0])


if __name__ == "__main__":
    main(test)
