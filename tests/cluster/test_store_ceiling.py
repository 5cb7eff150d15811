#!/usr/bin/env python3
"""The LMDB map ceiling (config.json "store_map_max_mb") is a clean stop.

A one-delegate network commits a few blocks; stopped, its config gets a
ceiling 1 MiB above what the store holds. Restarted under load, the node
fills the map, stops (exit 1) with a log line naming the map ceiling, and
never runs on. With the ceiling raised it restarts at its height and
commits on.
"""
import json
import os
import signal
import subprocess

import cluster
from cluster import HANSAD, Testnet, check, say, wait_for


def set_ceiling(net, mb):
    path = os.path.join(net.home(0), "config.json")
    cfg = net.config(0)
    cfg["store_map_max_mb"] = mb
    with open(path, "w") as f:
        json.dump(cfg, f)


def test():
    with Testnet("store-ceiling", validators=1, accounts=16) as net:
        net.wait_heights([0], 5, 90)
        os.kill(net.pid(0), signal.SIGTERM)
        wait_for(lambda: not cluster.hansad_pids(net.home(0)) and [True], 60, "node0 to stop")
        used = os.path.getsize(os.path.join(net.home(0), "data", "data.mdb"))
        mb = (used >> 20) + 2
        set_ceiling(net, mb)
        say("data.mdb holds %d bytes; ceiling set to %d MiB" % (used, mb))
        with open(net.log_path(0), "ab") as log:  # started here to see its exit code
            node = subprocess.Popen([HANSAD, "--home", net.home(0)], stdin=subprocess.DEVNULL,
                                    stdout=log, stderr=log)
        net.extra.append(node)
        wait_for(lambda: net.height(0) > 0, 60, "node0 to answer")
        load = net.start_load(rate=0, duration=240, accounts=16)
        rc = node.wait(timeout=300)
        load.kill()
        log = net.log_text(0)
        line = [l for l in log.splitlines() if "map full" in l]
        check(rc == 1 and line and "map_size_bytes_max" in line[0],
              "the node stopped (exit %d), saying the map is at its ceiling" % rc)
        say(line[0])
        tip = max(net.logged_heights(0) or [0])
        set_ceiling(net, 0)
        net.up()
        check(net.height(0) >= tip, "without the ceiling it restarts at its height (%d >= %d)" %
              (net.height(0), tip))
        net.wait_heights([0], tip + 3, 60)
        check(True, "and commits on")


if __name__ == "__main__":
    cluster.main(test)
