#!/usr/bin/env python3
"""Block time is BFT time: a delegate whose clock runs 30 s ahead cannot push
block times ahead of the honest clocks (proposer-based timestamps,
docs/consensus.md "Block time").

Four delegates on one machine; node3 runs with HANSA_TEST_CLOCK_SKEW_MS=30000
(its wall clock 30 s ahead), the three others share the machine's clock —
the honest clocks. The checker: every committed block's time is at most
`precision` ahead of the honest clock when the block was first seen
committed (and not absurdly far behind it). It is shown to catch the bug it
exists for first: with the timeliness bound effectively off
(pbts_precision_ms = 10 minutes on every node) node3's blocks carry its
clock and the checker reports blocks from the future. Then, with the default
bound (500 ms), node3's proposals get nil prevotes from the honest nodes,
node3 finds theirs untimely too, the chain goes on with the three, and the
checker reports nothing.
"""
import json
import os
import subprocess
import time

import cluster
from cluster import HANSAD, check, main, say, wait_for

SKEW_MS = 30000
PRECISION_MS = 500
HEIGHTS = 12
BEHIND_SLACK_MS = 60000  # a block's time may trail its sighting by rounds of message delay


def set_config(net, i, precision_ms):
    path = os.path.join(net.home(i), "config.json")
    with open(path) as f:
        cfg = json.load(f)
    cfg["pbts_precision_ms"] = precision_ms
    with open(path, "w") as f:
        json.dump(cfg, f)


def start_skewed(net, i):
    """hansad for node i with its clock SKEW_MS ahead; net stops it at the end."""
    log = open(net.log_path(i), "a")
    p = subprocess.Popen([HANSAD, "--home", net.home(i)], stdout=log, stderr=log, start_new_session=True,
                         env=dict(os.environ, HANSA_TEST_CLOCK_SKEW_MS=str(SKEW_MS)))
    log.close()
    net.extra.append(p)
    with open(os.path.join(net.home(i), "hansad.pid"), "w") as f:
        f.write("%d\n" % p.pid)


def observe(net, heights):
    """{height: wall ms when node0 was first seen past it} for the next `heights` heights."""
    seen = {}
    start = net.height(0)
    deadline = time.monotonic() + 120
    while len(seen) < heights and time.monotonic() < deadline:
        h = net.height(0)
        now = int(time.time() * 1000)
        for x in range(start + 1, h + 1):
            seen.setdefault(x, now)
        time.sleep(0.05)
    check(len(seen) >= heights, "the chain committed %d heights (%d seen)" % (heights, len(seen)))
    return seen


def violations(net, seen):
    """Heights whose block time is outside the bound of the honest clock."""
    bad = []
    for h, at in sorted(seen.items()):
        t = net.call(0, "block", {"height": h})["header"]["time_ms"]
        if t > at + PRECISION_MS or t < at - BEHIND_SLACK_MS:
            bad.append((h, t - at))
    return bad


def phase(name, precision_ms):
    with cluster.Testnet(name) as net:
        subprocess.run([cluster.HANSA, "testnet", "down", "--dir", net.dir], capture_output=True, timeout=60)
        for i in range(4):
            set_config(net, i, precision_ms)
        start_skewed(net, 3)
        net.up()
        net.wait_heights(range(4), 2, 60)
        seen = observe(net, HEIGHTS)
        bad = violations(net, seen)
        untimely = [net.status(i)["untimely_proposals"] for i in range(4)]
        say("%s: %d of %d blocks outside the honest bound %s; untimely proposals per node %s" %
            (name, len(bad), len(seen), bad[:4], untimely))
        return bad, untimely


def test():
    bad, _ = phase("btime-off", 600000)
    check(len(bad) > 0, "with the bound off, the checker finds blocks from the skewed clock's future")
    bad, untimely = phase("btime-pbts", PRECISION_MS)
    check(not bad, "with PBTS, every block time is within the bound of the honest clocks")
    check(sum(untimely[:3]) > 0, "the honest delegates prevoted nil on node3's untimely proposals")
    check(untimely[3] > 0, "node3 found the honest proposals untimely by its own clock")


if __name__ == "__main__":
    main(test)
