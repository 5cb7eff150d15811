#!/usr/bin/env python3
"""Damage the record checksums do not see, done to a real node's store.

A one-delegate network commits blocks with transactions; then, with the node
stopped:

1. `hansa store check` finds the store whole (exit 0).
2. A bit is flipped in the key of block 20 inside LMDB's own leaf pages (the
   blocks and the commits B-trees). `hansa store check` lists the damage
   (exit 1). Started again, the node answers `block 20` with an internal
   error that names the damage, never "not found" for a height it holds,
   and stops with a log line instead of running on.
3. A copy of the whole store, data.mdb cut to half: hansad refuses to start
   (exit 2) and says the file was truncated; no SIGBUS. `hansa store check`
   says DAMAGED (exit 1).
4. As root: the store on a small tmpfs under load. When the disk fills, the
   node stops (exit 1) with a log line saying the disk is full; with room
   again it restarts at the height it had and commits on.
"""
import os
import shutil
import signal
import struct
import subprocess

import cluster
from cluster import HANSA, HANSAD, RpcError, Testnet, check, say, wait_for


def store_check(home):
    r = subprocess.run([HANSA, "store", "check", home], capture_output=True, text=True, timeout=120)
    return r.returncode, r.stdout + r.stderr


def flip_leaf_key(path, key):
    """Flips the top bit of the first key byte of every LMDB leaf node whose
    key is `key` (the page format of lmdb 0.9: see tests/store/test_store_damage.c)."""
    with open(path, "r+b") as f:
        data = bytearray(f.read())
        assert struct.unpack_from("<I", data, 16)[0] == 0xBEEFC0DE
        psize = struct.unpack_from("<I", data, 40)[0]
        flipped, pg = 0, 2
        while (pg + 1) * psize <= len(data):
            base = pg * psize
            flags, lower = struct.unpack_from("<HH", data, base + 10)
            if flags & 0x04:  # overflow run: skip its pages
                pg += struct.unpack_from("<I", data, base + 12)[0]
                continue
            if flags & 0x02 and not flags & 0x20:
                for i in range((lower - 16) // 2):
                    at = base + struct.unpack_from("<H", data, base + 16 + 2 * i)[0]
                    ksize = struct.unpack_from("<H", data, at + 6)[0]
                    if ksize == len(key) and bytes(data[at + 8:at + 8 + ksize]) == key:
                        data[at + 8] ^= 0x80
                        f.seek(at + 8)
                        f.write(bytes([data[at + 8]]))
                        flipped += 1
            pg += 1
    return flipped


def wait_stopped(net, i, timeout_s=60):
    wait_for(lambda: not cluster.hansad_pids(net.home(i)) and [True], timeout_s, "node%d to stop" % i)


def stop(net, i):
    os.kill(net.pid(i), signal.SIGTERM)
    wait_stopped(net, i)


def flipped_key(net):
    home = net.home(0)
    shutil.copytree(os.path.join(home, "data"), os.path.join(net.tmp, "whole"))
    n = flip_leaf_key(os.path.join(home, "data", "data.mdb"), struct.pack(">Q", 20))
    check(n >= 2, "a bit flipped in the key of height 20 in %d LMDB leaf nodes" % n)
    rc, out = store_check(home)
    say(out.strip())
    check(rc == 1 and "DAMAGED" in out and "out of order" in out,
          "hansa store check lists the damage and exits 1 (%d)" % rc)
    net.up()
    try:
        net.call(0, "block", {"height": 20})
        check(False, "block 20 is not answered as if whole")
    except RpcError as e:
        say("block 20: %s" % e)
        check(e.code == -32603 and "damaged" in str(e.data) + str(e),
              "block 20 is an internal error naming the damage, not -32001 not found (%s)" % e.code)
    except OSError:
        check(False, "node0 answers")
    wait_stopped(net, 0)
    log = net.log_text(0)
    check("missing, yet the store holds heights 1 to" in log and "stopping:" in log,
          "the node logged the damage and stopped instead of running on")


def truncated(net):
    home = net.home(0)
    shutil.rmtree(os.path.join(home, "data"))
    shutil.copytree(os.path.join(net.tmp, "whole"), os.path.join(home, "data"))
    path = os.path.join(home, "data", "data.mdb")
    size = os.path.getsize(path)
    os.truncate(path, size // 2)
    r = subprocess.run([HANSAD, "--home", home], capture_output=True, text=True, timeout=60)
    say("hansad: %s" % r.stderr.strip().splitlines()[-1])
    check(r.returncode == 2, "hansad refuses the truncated store at start (exit %d, not a "
                             "signal)" % r.returncode)
    check("truncated" in r.stderr, "and says the file was truncated")
    rc, out = store_check(home)
    check(rc == 1 and "DAMAGED" in out, "hansa store check: DAMAGED, exit 1 (%d)" % rc)


def disk_full(net):
    if os.geteuid() != 0:
        say("skipping the full disk: mounting a tmpfs needs root")
        return
    home = net.home(0)
    data = os.path.join(home, "data")
    shutil.rmtree(data)
    os.mkdir(data)
    whole = os.path.join(net.tmp, "whole")
    room = sum(os.path.getsize(os.path.join(whole, f)) for f in os.listdir(whole)) + (768 << 10)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%d" % room, "tmpfs", data], check=True)
    try:
        for f in os.listdir(whole):
            shutil.copy(os.path.join(whole, f), data)
        with open(net.log_path(0), "ab") as log:  # started here to see its exit code
            node = subprocess.Popen([HANSAD, "--home", home], stdin=subprocess.DEVNULL,
                                    stdout=log, stderr=log)
        net.extra.append(node)
        wait_for(lambda: net.height(0) > 0, 60, "node0 to answer")
        h0 = net.height(0)
        load = net.start_load(rate=0, duration=120, accounts=16)
        rc = node.wait(timeout=180)
        load.kill()
        log = net.log_text(0)
        line = [l for l in log.splitlines() if "is full" in l]
        check(rc == 1 and line and "stopping:" in log,
              "the node stopped (exit %d), saying the disk is full" % rc)
        say(line[0])
        tip = max(cluster.Testnet.logged_heights(net, 0) or [h0])
        subprocess.run(["mount", "-o", "remount,size=%d" % (64 << 20), data], check=True)
        net.up()
        check(net.height(0) >= tip, "with room again it restarts at its height (%d >= %d)" %
              (net.height(0), tip))
        net.wait_heights([0], tip + 3, 60)
        check(True, "and commits on")
        stop(net, 0)
    finally:
        subprocess.run(["umount", "-l", data])


def test():
    with Testnet("store-damage", validators=1, accounts=16) as net:
        p = net.start_load(rate=20, duration=5, accounts=8)
        net.wait_heights([0], 30, 90)
        net.finish_load(p)
        stop(net, 0)
        rc, out = store_check(net.home(0))
        say(out.strip())
        check(rc == 0 and out.strip().endswith("ok"), "hansa store check: the store is whole")
        flipped_key(net)
        truncated(net)
        disk_full(net)


if __name__ == "__main__":
    cluster.main(test)
