#!/usr/bin/env python3
"""State sync with real processes (issue 15): a new node starts from a
snapshot checked against a header its light client verified, then follows.

A 4-delegate testnet with a state root every 16 heights runs under load past
three checkpoints; the delegates keep the last two snapshots. Then, for a
fresh home made like a full node's:
1. a source that alters one byte of one record in the chunks it serves (a
   proxy in this file in front of node0) is refused: `hansa join` exits 1
   naming both roots, and writes nothing;
2. a join that is killed with SIGKILL in the middle of its download (a
   proxy that serves small chunks slowly; two delegates are stopped
   meanwhile so the chain halts and node0 keeps that snapshot) leaves no
   chain in the store but the chunks it checked in join.partial; with a torn
   frame appended there (a crash in the middle of an append), running it
   again resumes after the kept records (its first chunk request names an
   after_key), completes and deletes the file; `hansa store check` passes;
3. the joined node starts at the snapshot height, block-syncs to the
   others, follows them, and agrees with node0 on block and app hashes;
   its store holds no block below the snapshot;
4. a delegate that prunes to its last 16 blocks still keeps the blocks from
   its oldest snapshot on (what a join fetches with it), and a node joins
   from it alone.
"""
import http.server
import json
import os
import signal
import subprocess
import threading
import time
import urllib.request

import cluster
from cluster import check, say, wait_for

K = 16  # with keep_blocks 16 below: two snapshots reach further back than 16 blocks


class Proxy:
    """A JSON-RPC forwarder to upstream that can alter or slow chunk replies."""

    def __init__(self, upstream, tamper=False, delay_s=0.0):
        self.upstream, self.tamper, self.delay_s = upstream, tamper, delay_s
        self.chunks = 0
        self.after_keys = []  # of each chunk request, None for the first of a download
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                req = json.loads(body)
                up = urllib.request.Request("http://%s/" % proxy.upstream, data=body,
                                            headers={"Content-Type": "application/json"})
                with urllib.request.urlopen(up, timeout=30) as r:
                    reply = json.loads(r.read())
                if req.get("method") == "snapshot_chunk" and "result" in reply:
                    proxy.chunks += 1
                    proxy.after_keys.append(req["params"].get("after_key"))
                    time.sleep(proxy.delay_s)
                    recs = reply["result"]["records"]
                    if proxy.tamper and proxy.chunks == 1 and recs:
                        v = bytearray(bytes.fromhex(recs[-1][1]))
                        v[-1] ^= 0x01
                        recs[-1][1] = v.hex()
                out = json.dumps(reply).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                try:
                    self.wfile.write(out)
                except BrokenPipeError:
                    pass  # the join was killed while this reply was on its way

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.addr = "127.0.0.1:%d" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def join(home, source, extra=()):
    cmd = [cluster.HANSA, "join", "--source", source, "--home", home] + list(extra)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300)


def has_chain(home):
    """True if the store in home holds a tip, False if it holds none and is
    sound, None if hansa store check finds a problem."""
    r = subprocess.run([cluster.HANSA, "store", "check", os.path.join(home, "data"), "--json"],
                       capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        say("store check: %s %s" % (r.stdout.strip()[-300:], r.stderr.strip()[-300:]))
        return None
    return json.loads(r.stdout[r.stdout.index("{"):])["tip"] > 0


def store_check(home):
    r = subprocess.run([cluster.HANSA, "store", "check", os.path.join(home, "data")],
                       capture_output=True, text=True, timeout=120)
    return r.returncode, (r.stdout + r.stderr).strip()


def status(cfg):
    try:
        return cluster.rpc(cfg["rpc"], "status", timeout_s=3)
    except (OSError, cluster.RpcError):
        return None


def kill_and_resume(home, source):
    """Part 2: returns the height the resumed join joined at."""
    slow = Proxy(source, delay_s=0.3)
    p = subprocess.Popen([cluster.HANSA, "join", "--source", slow.addr, "--home", home,
                          "--chunk-bytes", "256"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    wait_for(lambda: slow.chunks >= 3 and [True], 60, "the join to fetch 3 chunks")
    p.send_signal(signal.SIGKILL)
    p.wait(10)
    slow.close()
    say("killed the join after %d chunks" % slow.chunks)
    check(p.returncode == -signal.SIGKILL, "the join was killed mid-download")
    check(has_chain(home) is False, "the killed join left no chain in the store")
    partial = os.path.join(home, "join.partial")
    check(os.path.exists(partial), "the killed join kept what it had checked in join.partial")
    with open(partial, "ab") as f:  # a torn frame: its length says more than follows
        f.write(b"\x00\x10\x00\x00" + b"\x00" * 40)
    again = Proxy(source)
    r = join(home, again.addr, ["--chunk-bytes", "256"])
    again.close()
    say("join again: exit %d: %s %s" % (r.returncode, r.stdout.strip(), r.stderr.strip()[-300:]))
    check(r.returncode == 0 and "joined at height" in r.stdout, "the second join completed")
    check("resuming snapshot" in r.stderr and again.after_keys and again.after_keys[0],
          "the second join resumed after the kept records (first after_key %s)" %
          (again.after_keys[:1],))
    check(not os.path.exists(partial), "the completed join deleted join.partial")
    return int(r.stdout.split("joined at height ")[1].split(":")[0])


def test():
    with cluster.Testnet("statesync", up_args=["--checkpoint-blocks", str(K)]) as net:
        load = net.start_load(rate=30, duration=600, accounts=8)
        net.wait_heights([0, 1, 2, 3], 3 * K + 2, 300)
        info = net.call(0, "snapshot_info")
        heights = [s["height"] for s in info["snapshots"]]
        say("node0 keeps snapshots %s (checkpoint_blocks %d)" % (heights, info["checkpoint_blocks"]))
        check(info["checkpoint_blocks"] == K and len(heights) == 2 and heights[1] - heights[0] == K
              and heights[1] % K == 0, "node0 keeps the last two checkpoints' snapshots")
        snap = info["snapshots"][1]
        block = net.call(0, "block", {"height": snap["height"]})
        check(block["header"]["app_hash"] == snap["app_hash"],
              "the snapshot's app hash is the header's at height %d" % snap["height"])

        # 1. A tampered chunk is refused and nothing is written.
        home_t, _ = net.full_node_home("tampered", net.accounts - 1)
        bad = Proxy(net.rpc_addr(0), tamper=True)
        r = join(home_t, bad.addr, ["--chunk-bytes", "2048"])
        bad.close()
        say("join through the tampering proxy: exit %d: %s" % (r.returncode, r.stderr.strip()[-300:]))
        check(r.returncode == 1 and "refused" in r.stderr and "root" in r.stderr,
              "a snapshot with one altered byte is refused, naming the roots")
        check(bad.chunks >= 1, "the proxy altered a served chunk (%d chunks)" % bad.chunks)
        check(has_chain(home_t) is False, "the refused join left no chain in the store")
        check(not os.path.exists(os.path.join(home_t, "join.partial")),
              "the refused join kept none of the records it refused")

        # 2. kill -9 in the middle of a download, then again: it resumes.
        home, cfg = net.full_node_home("joiner", net.accounts - 2)
        for i in (2, 3):  # the chain halts, so node0 keeps the snapshot being fetched
            os.kill(net.pid(i), signal.SIGSTOP)
        try:
            joined_at = kill_and_resume(home, net.rpc_addr(0))
        finally:
            for i in (2, 3):
                os.kill(net.pid(i), signal.SIGCONT)
        rc, text = store_check(home)
        check(rc == 0, "hansa store check passes on the joined store: %s" % text[-200:])

        # 3. The joined node follows.
        log_path = os.path.join(home, "hansad.log")
        node = subprocess.Popen([cluster.HANSAD, "--home", home], stdout=open(log_path, "w"),
                                stderr=subprocess.STDOUT)
        net.extra.append(node)
        target = max(net.heights()) + 2
        wait_for(lambda: (status(cfg) or {}).get("height", 0) >= target and [True], 180,
                 "the joined node to reach height %d" % target)
        st = cluster.rpc(cfg["rpc"], "status")
        say("joined node: height %d, lowest %d" % (st["height"], st["lowest_height"]))
        check(st["lowest_height"] == joined_at, "its first block is the snapshot's (%d)" % joined_at)
        for h in (joined_at, joined_at + 1, st["height"]):
            got = cluster.rpc(cfg["rpc"], "block", {"height": h})
            check((got["hash"], got["header"]["app_hash"]) == net.block_hash(0, h),
                  "the joined node and node0 agree on block and app hash at height %d" % h)
        h0 = st["height"]
        wait_for(lambda: (status(cfg) or {}).get("height", 0) >= h0 + 3 and [True], 60,
                 "the joined node to follow")
        check(node.poll() is None, "the joined node is still running")
        node.terminate()
        node.wait(30)

        # 4. A pruning source keeps what a join needs.
        os.kill(net.pid(1), signal.SIGTERM)
        wait_for(lambda: not cluster.hansad_pids(net.home(1)) and [True], 60, "node1 to stop")
        c1 = net.config(1)
        c1["prune"] = {"keep_blocks": 16}
        with open(os.path.join(net.home(1), "config.json"), "w") as f:
            json.dump(c1, f)
        net.up()
        net.wait_heights([1], max(net.heights()) + 2 * K, 120)
        low = net.status(1)["lowest_height"]
        kept = [s["height"] for s in net.call(1, "snapshot_info")["snapshots"]]
        say("pruning node1: lowest kept block %d, snapshots %s, tip %d" % (low, kept, net.height(1)))
        check(low > 1 and low <= kept[0] and net.height(1) - low >= 16,
              "node1 pruned, but not below its oldest snapshot (it keeps more than 16 blocks)")
        home_p, _ = net.full_node_home("frompruned", net.accounts - 3)
        r = join(home_p, net.rpc_addr(1))
        say("join from pruned node1: exit %d: %s %s" % (r.returncode, r.stdout.strip(),
                                                         r.stderr.strip()[-300:]))
        check(r.returncode == 0 and "joined at height" in r.stdout,
              "a node joins from a pruning source alone")
        load.kill()


if __name__ == "__main__":
    cluster.main(test)
