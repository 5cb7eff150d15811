#!/usr/bin/env python3
"""test_bench_lifts_smoke.py — `hansa bench --lifts` runs end to end on a small
graph and prints every figure it promises; what must hold whatever the speed
holds: the agent (and greedy cycles alone) clear no more than the optimum,
the credit checker passes,
lifts up to the capacity the agent saw commit and lifts over it are refused
by the hop rule; the same over a 3-chain federation (--chains 3). No timing is compared with a bound."""
import os
import re
import subprocess

build = os.environ.get("HANSA_BUILD_DIR", "build/asan")
hansa = os.path.join(build, "hansa")
proc = subprocess.run([hansa, "bench", "--lifts", "--parties", "15", "--tallies", "40", "--seed", "3"],
                      capture_output=True, text=True, timeout=240)
out = proc.stdout + proc.stderr
print(out)
assert proc.returncode == 0, f"hansa bench --lifts exited {proc.returncode}"
opt = int(re.search(r"optimum \(max-weight circulation\): clears (\d+)", out).group(1))
agent = int(re.search(r"agent \(the optimum in cycles, then greedy; <= \d+ hops\): \d+ lifts, \d+ refused, "
                      r"clears (\d+)", out).group(1))
greedy = int(re.search(r"greedy shortest cycles alone \(on the view, no ledger\): clears (\d+)", out).group(1))
assert 0 < agent <= opt, f"the agent cleared {agent}, the optimum {opt}"
assert 0 < greedy <= opt, f"greedy cycles alone cleared {greedy}, the optimum {opt}"
assert re.search(r"ledger latency per lift \(one block, one core\): p50 \d+ us, p99 \d+ us", out)
assert "credit check: ok" in out
rates = {float(f): (int(ok), int(n)) for f, ok, n in
         re.findall(r"amount ([\d.]+) x capacity: (\d+) of (\d+) lifts committed", out)}
assert sorted(rates) == [0.25, 0.5, 1.0, 1.25, 2.0], rates
assert all(ok == n and n > 0 for f, (ok, n) in rates.items() if f <= 1), rates
assert all(ok == 0 and n > 0 for f, (ok, n) in rates.items() if f > 1), rates

# Over a federation (2 lift chains and a referee): the agent clears no more
# than the federation's optimum, lifts up to the capacity commit and lifts
# over it are refused, locally and across chains (the cross ones through the
# promise/ruling packet path), and the checker passes on every chain.
proc = subprocess.run([hansa, "bench", "--lifts", "--chains", "3", "--parties", "60", "--seed", "1"],
                      capture_output=True, text=True, timeout=240)
out = proc.stdout + proc.stderr
print(out)
assert proc.returncode == 0, f"hansa bench --lifts --chains 3 exited {proc.returncode}"
opt = int(re.search(r"optimum over the federation graph .*: clears (\d+)", out).group(1))
m = re.search(r"agent: (\d+) local lifts \(0 refused\) clear (\d+), (\d+) cross-chain lifts \(0 refused\) "
              r"clear (\d+)", out)
assert m, "the agent's line (no lift refused)"
local_n, local_c, cross_n, cross_c = map(int, m.groups())
assert local_n > 0 and cross_n > 0, m.groups()
assert 0 < local_c + cross_c <= opt, f"the agent cleared {local_c + cross_c}, the optimum {opt}"
assert len(re.findall(r"chain e2e5[01]: gross debt \d+, its own optimum clears \d+", out)) == 2
# where the optimum's flow the first cross phase left lies: the kinds of
# cycle add up to what it left, and no cross cycle within the rules is left
left = re.search(r"cross phase left: ([\d.]+)% of the optimum; as cycles: one chain ([\d.]+)%; beyond a cross "
                 r"lift's limits: over 4 chains ([\d.]+)%, a chain twice ([\d.]+)%, over 8 tallies ([\d.]+)% "
                 r"\(([\d.]+)% within 16 tallies, each chain once\); within them ([\d.]+)%; unbalanced "
                 r"\(refused lifts\) ([\d.]+)%", out)
assert left, "the line on what the cross phase left"
total, *kinds = map(float, left.groups())
assert abs(total - (sum(kinds) - kinds[4])) < 0.5 and kinds[5] == 0.0, left.groups()
assert re.search(r"local p50 \d+ us, p99 \d+ us \(\d+\); cross p50 \d+ us, p99 \d+ us \(\d+\)", out)
assert re.search(r"checker \(credit check on 3 chains, 60 persons' totals unchanged, .*\): ok", out)
# the checker is shown catching what it is for (on a copy of the final state)
assert re.search(r"one leg booked alone and one side past its bound: both caught \(person \d+'s total moved "
                 r"from -?\d+ to -?\d+; tally 0 on chain e2e50: the stock's net \d+ is outside", out)
rates = {float(f): (int(lo), int(ln), int(xo), int(xn)) for f, lo, ln, xo, xn in
         re.findall(r"amount ([\d.]+) x capacity: local (\d+) of (\d+) committed \(\d+%\), "
                    r"cross (\d+) of (\d+) committed", out)}
assert sorted(rates) == [0.25, 0.5, 1.0, 1.25, 2.0], rates
assert all(lo == ln > 0 and xo == xn > 0 for f, (lo, ln, xo, xn) in rates.items() if f <= 1), rates
assert all(lo == 0 < ln and xo == 0 < xn for f, (lo, ln, xo, xn) in rates.items() if f > 1), rates
for args in (["--chains", "2"], ["--chains", "9"], ["--chains", "3", "--parties", "17"],
             ["--chains", "3", "--tallies", "100"]):
    bad = subprocess.run([hansa, "bench", "--lifts"] + args, capture_output=True, text=True)
    assert bad.returncode == 2 and "--chains 3..8" in bad.stderr, f"{args}: {bad.stderr}"
bad = subprocess.run([hansa, "bench", "--lifts", "--parties", "2"], capture_output=True, text=True)
assert bad.returncode == 2, "an out-of-range --parties is a usage error"
for hops in ("1", "65"):
    bad = subprocess.run([hansa, "bench", "--lifts", "--max-hops", hops], capture_output=True, text=True)
    assert bad.returncode == 2 and "--max-hops 2..64" in bad.stderr, f"--max-hops {hops}: {bad.stderr}"
print("1 passed, 0 failed")
