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
                    r"all 2 nodes at height \d+ agree",
                    r"build\s+[\d.]+ ms", r"hash\s+[\d.]+ ms", r"validate\s+[\d.]+ ms"]:
        assert re.search(pattern, out), f"bench output lacks /{pattern}/"
    leftover = subprocess.run(["pgrep", "-f", net], capture_output=True, text=True).stdout.strip()
    assert not leftover, f"hansad processes of {net} left behind: {leftover}"
    print("1 passed, 0 failed")
finally:
    shutil.rmtree(tmp, ignore_errors=True)
