#!/usr/bin/env python3
"""test_bench_mempool_smoke.py — `hansa bench-mempool` runs end to end on a
small pool and prints every figure it promises. Not a performance test: no
figure is compared with a bound (docs/bench.md has the measured ones)."""
import os
import re
import subprocess

build = os.environ.get("HANSA_BUILD_DIR", "build/asan")
hansa = os.path.join(build, "hansa")
proc = subprocess.run([hansa, "bench-mempool", "--txs", "1000", "--ms", "50"],
                      capture_output=True, text=True, timeout=240)
out = proc.stdout + proc.stderr
print(out)
assert proc.returncode == 0, f"hansa bench-mempool exited {proc.returncode}"
for kind in ["bad signature", "nonce already used", "over balance", "fee too low for a full pool",
             "repeat of a refused tx"]:
    assert re.search(r"invalid: %s\s+\d+ admissions/s" % re.escape(kind), out), f"no figure for {kind}"
assert re.search(r"the five kinds in turn\s+\d+ admissions/s into a full pool of 1000", out)
assert re.search(r"valid, each evicting the cheapest\s+\d+ admissions/s", out)
bad = subprocess.run([hansa, "bench-mempool", "--txs", "5"], capture_output=True, text=True)
assert bad.returncode == 2, "an out-of-range --txs is a usage error"
print("1 passed, 0 failed")
