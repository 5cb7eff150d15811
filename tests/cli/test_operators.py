"""Operator commands: `hansa genesis`, `hansad init`, `hansa testnet --json`.

A one-delegate chain is made the way docs/deploy.md says (hansad init, then
hansa genesis with the key init printed, then hansad with --conf) and must
commit blocks and answer RPC; bad input is refused with exit 2 and a reason;
init never replaces a key, config or a different genesis; the genesis hash
is stable for the same file and changes with any balance.
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "rpc"))
from hansa_testnet import BUILD, HANSA, call, run_hansa  # noqa: E402

HANSAD = os.path.join(BUILD, "hansad")


def hansad(*args):
    p = subprocess.run([HANSAD, *args], capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def main():
    d = tempfile.mkdtemp(prefix="hansa-ops-")
    proc = None
    try:
        home, conf = os.path.join(d, "home"), os.path.join(d, "etc")
        rpc = f"127.0.0.1:{free_port()}"
        code, out, err = hansad("init", "--home", home, "--conf", conf, "--rpc", rpc,
                                "--listen", f"127.0.0.1:{free_port()}", "--json")
        assert code == 0, err
        info = json.loads(out)
        assert info["key_created"] and info["config_created"] and info["genesis"] == "missing", info
        assert oct(os.stat(home).st_mode & 0o777) == "0o700"
        assert oct(os.stat(os.path.join(home, "node.key")).st_mode & 0o777) == "0o600"
        # Again: nothing replaced.
        code, out2, _ = hansad("init", "--home", home, "--conf", conf, "--json")
        again = json.loads(out2)
        assert code == 0 and again["pubkey"] == info["pubkey"] and not again["key_created"] and not again["config_created"]
        print("hansad init: key and config created once, kept after")

        g = os.path.join(d, "genesis.json")
        code, out, err = run_hansa("genesis", "--chain", "e2e4", "--delegate", info["pubkey"] + ":10",
                                   "--account", info["address"] + ":1000000", "--time-ms", "1767225600000",
                                   "--out", g, "--json")
        assert code == 0, err
        gh = json.loads(out)["genesis_hash"]
        code, out, _ = run_hansa("genesis", "hash", g, "--json")
        assert code == 0 and json.loads(out)["genesis_hash"] == gh
        g2 = os.path.join(d, "genesis2.json")
        code, out, _ = run_hansa("genesis", "--chain", "e2e4", "--delegate", info["pubkey"] + ":10",
                                 "--account", info["address"] + ":1000001", "--time-ms", "1767225600000",
                                 "--out", g2, "--json")
        assert code == 0 and json.loads(out)["genesis_hash"] != gh, "a different balance, a different hash"
        print(f"hansa genesis: hash {gh[:16]}… stable, and changes with a balance")

        for args, why in [(["--delegate", "abc"], "64-hex"),
                          (["--delegate", info["pubkey"] + ":0"], "positive"),
                          (["--delegate", info["pubkey"], "--account", "e2e5x" + "0" * 40 + ":5"], "would refuse"),
                          (["--delegate", info["pubkey"], "--account", info["address"] + ":x"], "ADDRESS:BALANCE"),
                          (["--delegate", info["pubkey"], "--param", "min_fee"], "NAME=VALUE"),
                          (["--delegate", info["pubkey"], "--elections", "[1]"], "JSON object")]:
            code, out, err = run_hansa("genesis", "--chain", "e2e4", *args, "--out", os.path.join(d, "bad.json"))
            assert code == 2 and why in err, (args, code, err)
            assert not os.path.exists(os.path.join(d, "bad.json")), "nothing written for a bad genesis"
        print("hansa genesis: bad delegates, accounts, params refused with the reason, nothing written")

        code, out, err = hansad("init", "--home", home, "--conf", conf, "--genesis", g, "--json")
        assert code == 0 and json.loads(out)["genesis"] == "copied" and json.loads(out)["genesis_hash"] == gh, (out, err)
        code, out, err = hansad("init", "--home", home, "--conf", conf, "--genesis", g2)
        assert code != 0 and "not the same genesis" in err, err
        print("hansad init: genesis copied with its hash; a different one refused")

        log = open(os.path.join(d, "hansad.log"), "w")
        proc = subprocess.Popen([HANSAD, "--home", home, "--conf", conf], stdout=log, stderr=subprocess.STDOUT)
        # --wait-sync waits (with progress) for the starting node to answer, have a
        # block, and have no peer ahead.
        code, out, err = run_hansa("status", "--node", rpc, "--wait-sync", "--timeout-ms", "60000", "--json")
        assert code == 0 and json.loads(out)["height"] >= 1 and not json.loads(out)["syncing"], (code, out, err)
        code, out, err = run_hansa("status", "--node", "127.0.0.1:1", "--wait-sync", "--timeout-ms", "1500")
        assert code == 3 and "still not answering" in err, (code, err)
        h = 0
        for _ in range(100):
            h = call(rpc, "status")["height"]
            if h >= 3:
                break
            time.sleep(0.2)
        assert h >= 3, "the new chain commits"
        acct = call(rpc, "account", {"address": info["address"]})
        assert acct["balance"] == "1000000", acct
        print(f"hansad --home --conf: the new chain is at height {h}, genesis balance there")
    finally:
        if proc:
            proc.terminate()
            proc.wait(timeout=30)
        shutil.rmtree(d, ignore_errors=True)

    # testnet up/status/down --json
    d = tempfile.mkdtemp(prefix="hansa-tnjson-")
    net = os.path.join(d, "net")
    try:
        code, out, err = run_hansa("testnet", "up", "--dir", net, "--validators", "1", "--json")
        assert code == 0, err
        up = json.loads(out)
        assert up["created"] and len(up["nodes"]) == 1 and up["nodes"][0]["pid"] > 0, up
        code, out, _ = run_hansa("testnet", "status", "--dir", net, "--json")
        st = json.loads(out)
        assert code == 0 and st[0]["up"] and st[0]["status"]["chain_id"] == "e2e4", st
    finally:
        code, out, _ = run_hansa("testnet", "down", "--dir", net, "--json")
        shutil.rmtree(d, ignore_errors=True)
    assert code == 0 and json.loads(out)["stopped"] == 1, out
    print("hansa testnet up/status/down --json: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
