#!/usr/bin/env python3
"""test_exit_codes.py — every `hansa` command, and hansad, exits with the
code docs/cli.md gives: 0 success, 1 a failure the node reported (or one the
command found), 2 a bad command line or bad local input, 3 no answer from
the node. Also `hansa testnet up` on a running network: it says what it did
(nothing, or which nodes it started) instead of "restarted", and refuses
options the existing network was not made with.

Without a network: usage errors and unreachable nodes for every command.
With a one-delegate network: node failures, `testnet up/status/down` in each
state, and hansad refusing a config.json with a typo, naming the key.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "rpc"))
from hansa_testnet import BUILD, Testnet, call, hansad_pids, run_hansa  # noqa: E402

OK, FAILED, USAGE, UNREACHABLE = 0, 1, 2, 3
NOWHERE = "127.0.0.1:1"  # nothing listens on port 1
HANSAD = os.path.join(BUILD, "hansad")


def expect(want, *args, env=None, contains=None):
    code, out, err = run_hansa(*args, env=env, timeout=120)
    assert code == want, f"hansa {' '.join(args)} exited {code}, expected {want}:\n{out}\n{err}"
    if contains:
        assert contains in out + err, f"hansa {' '.join(args)}: no {contains!r} in:\n{out}\n{err}"
    return out, err


def test_without_network(tmp, env):
    keys = os.path.join(tmp, "keys")
    expect(OK, "key", "new", "k", "--keys", keys, env=env)
    addr = json.loads(expect(OK, "key", "show", "k", "--keys", keys, "--json", env=env)[0])["address"]
    pub = json.loads(expect(OK, "key", "show", "k", "--keys", keys, "--json", env=env)[0])["pubkey"]
    tx = ["--from", "k", "--keys", keys, "--node", NOWHERE]
    framed = os.path.join(tmp, "txs.bin")  # submit-raw sends it as it is: any bytes do
    with open(framed, "wb") as f:
        f.write(b"\x01\x00\x00\x00\x01")
    # Every command that talks to a node, pointed at nothing: 3.
    node_commands = [
        ["status"], ["account", addr], ["block", "1"], ["block", "latest"], ["tx", "ab" * 32],
        ["candidates"], ["delegates"], ["group-key"], ["upgrade", "status"],
        ["send", *tx, "--to", addr, "--amount", "1"],
        ["stake", *tx, "--amount", "1"], ["unstake", *tx, "--amount", "1"],
        ["vote", *tx, "--for", pub, "--amount", "1"], ["unvote", *tx, "--for", pub, "--amount", "1"],
        ["unjail", *tx], ["upgrade", "propose", *tx, "--hash", "cd" * 32],
        ["upgrade", "vote", *tx, "--hash", "cd" * 32], ["submit-raw", framed],
    ]
    for args in node_commands:
        if "--node" not in args:
            args = args + ["--node", NOWHERE]
        expect(UNREACHABLE, *args, env=env, contains="cannot connect")
    print(f"ok {len(node_commands)} node commands exit 3 when the node cannot be reached")
    # A port that is not one is named as such (atoi read it as port 0: "cannot connect").
    expect(UNREACHABLE, "status", "--node", "127.0.0.1:abc", env=env, contains="the port must be 1..65535")
    # federation's integer options name the option and what it got (atoi read junk as 0).
    for opt, val, want in [("--chains", "x", "2..8"), ("--timeout-ms", "-5", "1..600000"),
                           ("--validators", "1e3", "1..16"), ("--full-nodes", "", "0..16")]:
        expect(USAGE, "federation", "up", "--dir", os.path.join(tmp, "none"), opt, val, env=env,
               contains=f"{opt} wants an integer {want}, not '{val}'")
    expect(USAGE, "federation", "up", "--chains", env=env, contains="--chains wants an integer 2..8, not '(nothing)'")
    # Bad command lines and bad local input: 2.
    usage = [
        [], ["frobnicate"], ["key"], ["key", "show", "nobody", "--keys", keys],
        ["key", "list", "--keys", os.path.join(tmp, "none")],
        ["status", "extra"], ["account"], ["block", "tall"], ["tx", "abc"],
        ["send", *tx, "--to", addr], ["send", *tx, "--to", addr, "--amount", "-1"],
        ["send", "--from", "nobody", "--keys", keys, "--to", addr, "--amount", "1"],
        ["stake", *tx], ["vote", *tx, "--for", "xyz", "--amount", "1"], ["unjail"],
        ["upgrade"], ["upgrade", "propose", *tx, "--hash", "zz"],
        ["testnet"], ["testnet", "up", "--validators", "0"], ["testnet", "up", "--validators", "x"],
        ["testnet", "up", "--timeout-ms", "fast"], ["testnet", "up", "--accounts", "5000"],
        ["testnet", "up", "--elections", "[1]"], ["testnet", "up", "--bogus", "1"],
        ["testnet", "sideways"], ["testnet", "status", "--dir", os.path.join(tmp, "none")],
        ["testnet", "down", "--dir", os.path.join(tmp, "none")],
        ["load"], ["load", "--dir", os.path.join(tmp, "none")],
        ["load", "--dir", tmp, "--rate", "fast"], ["load", "--dir", tmp, "--duration", "0"],
        ["load", "--dir", tmp, "--fee", "0"],
        ["bench", "--validators", "0"], ["bench", "--duration", "1x"], ["bench", "--dir", tmp],
        ["bench", "--attach", "--dir", os.path.join(tmp, "none")],
        ["bench-crypto", "--ms", "0"], ["bench-crypto", "--fast"],
        ["sim", "--bogus"], ["sim", "--faults", "nonsense"], ["sim", "--nodes", "x"],
        ["store"], ["store", "check"], ["store", "check", os.path.join(tmp, "none")],
        ["store", "fix", tmp],
        ["submit-raw"], ["submit-raw", os.path.join(tmp, "none")], ["submit-raw", framed, "--bogus"],
    ]
    for args in usage:
        expect(USAGE, *args, env=env)
    print(f"ok {len(usage)} bad command lines and bad local inputs exit 2")
    expect(OK, "--help", env=env)
    # hansad: a bad command line, a missing home, a config.json with a typo: 2.
    for argv in (["--bogus"], [], ["--home", os.path.join(tmp, "none")]):
        r = subprocess.run([HANSAD, *argv], capture_output=True, text=True, timeout=60)
        assert r.returncode == USAGE, (argv, r.returncode, r.stderr)
    print("ok hansad exits 2 when it cannot start")


def stop_node(net, i):
    with open(os.path.join(net, f"node{i}", "hansad.pid")) as f:
        pid = int(f.read())
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 30
    while hansad_pids(os.path.join(net, f"node{i}")):
        assert time.monotonic() < deadline, "node did not stop"
        time.sleep(0.1)


def test_with_network(tmp, env):
    with Testnet(validators=1) as tn:
        net, node = tn.net, tn.addrs[0]
        call(node, "wait_block", {"after_height": 1, "timeout_ms": 30000}, timeout=40)
        # Failures the node reports: 1.
        expect(FAILED, "block", "999999999", "--node", node, env=env)
        expect(FAILED, "tx", "ab" * 32, "--node", node, env=env)
        keys = os.path.join(tmp, "keys")
        out, _ = expect(FAILED, "send", "--from", "k", "--keys", keys, "--to",
                        tn.key_address("acct1"), "--amount", "5", "--node", node, env=env)
        expect(OK, "status", "--node", node, env=env)
        print("ok node-reported failures exit 1")

        # testnet up on a running network does nothing, and says so.
        out, _ = expect(OK, "testnet", "up", "--dir", net, env=env)
        assert "already running; nothing started" in out and "restarted" not in out, out
        pid = hansad_pids(net)
        assert len(pid) == 1
        # Options that would make another network are refused, not ignored.
        for opt, val in (("--validators", "3"), ("--accounts", "9"), ("--full-nodes", "2"),
                         ("--timeout-ms", "4000"), ("--elections", '{"epoch_blocks": 7}')):
            _, err = expect(USAGE, "testnet", "up", "--dir", net, opt, val, env=env)
            assert f"{opt} does not match the network" in err, err
        expect(OK, "testnet", "up", "--dir", net, "--validators", "1", "--accounts", "4", env=env)
        assert hansad_pids(net) == pid, "nothing was restarted"
        print("ok testnet up on a running network: nothing started, mismatched options refused")

        # A stopped node is started, and only that one.
        stop_node(net, 0)
        expect(UNREACHABLE, "testnet", "status", "--dir", net, env=env)
        out, _ = expect(OK, "testnet", "up", "--dir", net, env=env)
        assert "started 1 of 1 nodes" in out, out
        expect(OK, "testnet", "status", "--dir", net, env=env)
        print("ok testnet status exits 3 with a node down; up starts the stopped node")

        # hansad refuses a config.json with a typo, naming the key: 2.
        stop_node(net, 0)
        cfg_path = os.path.join(net, "node0", "config.json")
        with open(cfg_path) as f:
            cfg = json.load(f)
        cfg["timeouts_ms"]["propse"] = cfg["timeouts_ms"].pop("propose")
        with open(cfg_path, "w") as f:
            json.dump(cfg, f)
        r = subprocess.run([HANSAD, "--home", os.path.join(net, "node0")], capture_output=True,
                           text=True, timeout=60)
        assert r.returncode == USAGE, (r.returncode, r.stderr)
        assert "config.json: timeouts_ms.propse: unknown key" in r.stderr, r.stderr
        _, err = expect(FAILED, "testnet", "up", "--dir", net, env=env)
        assert "node0 exited at start" in err, err
        expect(OK, "store", "check", os.path.join(net, "node0"), env=env, contains="ok")
        print("ok a config typo stops hansad at start (exit 2) with the key's path")
        expect(OK, "testnet", "down", "--dir", net, env=env)


def main():
    tmp = tempfile.mkdtemp(prefix="hansa-exit-")
    env = dict(os.environ, HOME=tmp)
    env.pop("HANSA_NODE", None)
    try:
        test_without_network(tmp, env)
        test_with_network(tmp, env)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("all exit code tests passed")


if __name__ == "__main__":
    main()
