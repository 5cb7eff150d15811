#!/usr/bin/env python3
"""test_bench_frost_smoke.py — `hansa bench-crypto --frost` runs end to end
and prints every figure it promises (rounds, aggregation, verifications/s
next to a commit certificate, the whole key generation, bytes per
checkpoint, a light-client update by commit and by FROST checkpoint), at a
small set so it is quick under the sanitizers. Not a performance test: no figure is compared with a bound. Also checks that
bad options are refused with the usage text.
"""
import os
import re
import subprocess

build = os.environ.get("HANSA_BUILD_DIR", "build/asan")
hansa = os.path.join(build, "hansa")
proc = subprocess.run([hansa, "bench-crypto", "--frost", "--n", "7", "--ms", "20"],
                      capture_output=True, text=True, timeout=170)
out = proc.stdout + proc.stderr
print(out)
assert proc.returncode == 0, f"bench-crypto --frost exited {proc.returncode}"
for pattern in [r"n = 7, t = 5",
                r"ed25519 verify/s\s+\d+",
                r"round 1 \(commit\), per signer\s+[\d.]+ ms",
                r"round 2 \(binding, R, challenge, share\)\s+[\d.]+ ms",
                r"aggregate \(binding, R, sum\)\s+[\d.]+ ms",
                r"group signature verifications/s\s+\d+",
                r"commit certificate verifications/s\s+\d+ .*5 ed25519 signatures",
                r"dkg, the whole set\s+[\d.]+ ms",
                r"bytes on the wire to sign a checkpoint\s+\d+ B",
                r"group signature\s+64 B",
                r"commit\s+383 B",
                r"commit, 32 of 32 delegates signing\s+[\d.]+ ms\s+3753 B",
                r"FROST checkpoint, same key\s+[\d.]+ ms\s+440 B",
                r"FROST checkpoint \+ 1 handoff \(key change\)\s+[\d.]+ ms\s+589 B"]:
    assert re.search(pattern, out), f"bench output lacks /{pattern}/"
for bad in [["--frost", "--n", "1"], ["--n", "7"], ["--frost", "--n", "129"], ["--frost", "--bogus"]]:
    p = subprocess.run([hansa, "bench-crypto", *bad], capture_output=True, text=True, timeout=30)
    assert p.returncode == 2 and "usage:" in p.stderr, f"bench-crypto {bad} was not refused"
print("1 passed, 0 failed")
