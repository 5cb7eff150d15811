#!/usr/bin/env python3
"""test_statesync_cli.py — the state sync commands' local edges: `hansa
bench-root` runs end to end and prints its figures (not compared with any
bound: docs/bench.md has the measured ones); `hansa join` refuses bad
command lines and a home without a genesis (exit 2), and a source that does
not answer (exit 1), writing no chain. tests/cluster/test_statesync.py runs
a real join."""
import os
import re
import socket
import subprocess
import tempfile

build = os.environ.get("HANSA_BUILD_DIR", "build/asan")
hansa = os.path.join(build, "hansa")


def run(*args):
    return subprocess.run([hansa, *args], capture_output=True, text=True, timeout=240)


p = run("bench-root", "--accounts", "2000", "--repeat", "3")
print(p.stdout + p.stderr)
assert p.returncode == 0, f"bench-root exited {p.returncode}"
assert re.search(r"state root over 2000 accounts, from scratch .*: median [\d.]+ ms, min [\d.]+ ms \(3 runs\)", p.stdout)
assert re.search(r"state root from the kept leaves .*: median [\d.]+ ms", p.stdout)
assert re.search(r"empty block: ordinary [\d.]+ ms, checkpoint [\d.]+ ms", p.stdout)
for bad in (["--accounts", "0"], ["--repeat", "1001"], ["--fast"]):
    q = run("bench-root", *bad)
    assert q.returncode == 2 and "usage:" in q.stderr, f"bench-root {bad} was not refused"

with tempfile.TemporaryDirectory(prefix="hansa-join-cli-") as tmp:
    for bad in ([], ["--home", tmp], ["--source", "127.0.0.1:1"], ["--home", tmp, "--source"],
                ["--home", tmp, "--source", "127.0.0.1:1", "--chunk-bytes", "0"],
                ["--home", tmp, "--source", "127.0.0.1:1", "--trusting-period-ms", "5"]):
        q = run("join", *bad)
        assert q.returncode == 2 and "usage:" in q.stderr, f"join {bad} was not refused: {q.stderr}"
    q = run("join", "--home", tmp, "--source", "127.0.0.1:1")
    assert q.returncode == 2 and "genesis.json" in q.stderr, f"join without a genesis: {q.stderr}"

    # A home with a genesis, a source where nothing listens: exit 1, no chain.
    home = os.path.join(tmp, "home")
    os.makedirs(home)
    g = subprocess.run([hansa, "genesis", "--chain", "e2e4", "--delegate",
                        "875799108b6fc986d38850454d1f315ca82efa8521c54e006639354011eb2551",
                        "--out", os.path.join(home, "genesis.json")],
                       capture_output=True, text=True, timeout=60)
    assert g.returncode == 0, g.stderr
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    q = run("join", "--home", home, "--source", "127.0.0.1:%d" % port)
    print(q.stderr)
    assert q.returncode == 1 and "snapshot_info" in q.stderr, f"join with no source: {q.stderr}"
    c = run("store", "check", os.path.join(home, "data"), "--json")
    assert c.returncode == 0 and '"tip": 0' in c.stdout.replace('"tip":0', '"tip": 0'), c.stdout
print("ok")
