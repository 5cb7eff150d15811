#!/usr/bin/env python3
"""test_bench_smoke.py — `hansa bench` runs end to end and reports every
figure it promises: a short run on two delegates of its own, then the
full-block timing. Not a performance test (no figure is compared with a
bound); it catches a bench that crashes or stops printing a figure, as
happened once when the genesis gained election parameters.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

build = os.environ.get("HANSA_BUILD_DIR", "build/asan")
hansa = os.path.join(build, "hansa")
tmp = tempfile.mkdtemp(prefix="hansa-bench-smoke-")
net = os.path.join(tmp, "net")
try:
    proc = subprocess.run([hansa, "bench", "--validators", "2", "--duration", "2",
                           "--accounts", "8", "--dir", net],
                          capture_output=True, text=True, timeout=240)
    out = proc.stdout + proc.stderr
    print(out)
    assert proc.returncode == 0, f"hansa bench exited {proc.returncode}"
    for pattern in [r"committed\s+\d+ transactions in [\d.]+ s = \d+ tx/s",
                    r"commit latency\s+p50 \d+ ms, p99 \d+ ms",
                    r"verify bound\s+C x verify_rate / N",
                    r"ratio\s+committed / bound",
                    r"verify rate \(one core, libsodium, 256 distinct transfers\): \d+/s",
                    r"idle-machine ratio [\d.]+ if the nodes",
                    r"verification, timed in the nodes\s+[\d.]+% of the nodes' CPU \([\d.]+ us per "
                    r"committed tx; [\d.]+ us per verify",
                    r"all 2 nodes at height \d+ agree",
                    r"build\s+[\d.]+ ms", r"hash\s+[\d.]+ ms", r"validate\s+[\d.]+ ms"]:
        assert re.search(pattern, out), f"bench output lacks /{pattern}/"
    leftover = subprocess.run(["pgrep", "-f", net], capture_output=True, text=True).stdout.strip()
    assert not leftover, f"hansad processes of {net} left behind: {leftover}"

    # --down: one of four delegates stopped once up; the other three commit
    # and agree, and the bound counts the three running.
    net_down = os.path.join(tmp, "net-down")
    proc = subprocess.run([hansa, "bench", "--validators", "4", "--down", "1", "--duration", "2",
                           "--accounts", "8", "--no-block", "--dir", net_down],
                          capture_output=True, text=True, timeout=240)
    out = proc.stdout + proc.stderr
    print(out)
    assert proc.returncode == 0, f"hansa bench --down 1 exited {proc.returncode}"
    for pattern in [r"stopped node3", r"4 delegates, 1 of them down",
                    r"committed\s+\d+ transactions", r"N running = \d+ x \d+ / 3 =",
                    r"all 3 nodes at height \d+ agree"]:
        assert re.search(pattern, out), f"bench --down output lacks /{pattern}/"
    leftover = subprocess.run(["pgrep", "-f", net_down], capture_output=True, text=True).stdout.strip()
    assert not leftover, f"hansad processes of {net_down} left behind: {leftover}"

    # A third or more of the delegates down would stop the chain: refused.
    proc = subprocess.run([hansa, "bench", "--validators", "4", "--down", "2", "--dir",
                           os.path.join(tmp, "never")], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "--down D" in proc.stderr, (proc.returncode, proc.stderr)
    assert not os.path.exists(os.path.join(tmp, "never"))
    print("3 passed, 0 failed")
finally:
    shutil.rmtree(tmp, ignore_errors=True)
