#!/usr/bin/env python3
"""Eclipse: one host opens 200 idle Noise links (real handshakes, then
silence) and 100 half-open ones (TCP only, or the first handshake message
only) to one delegate of a 4-delegate testnet, and keeps them open. The
other three delegates are then restarted, so every honest link of the
victim has to be made again while the hostile ones sit in its slots.

Before reserved slots the victim had one limit of 32 links for both
directions: the hostile links took it, every honest link was refused
("too many peers"), and the victim stopped signing. Now configured peers
and the validator set's keys have links of their own and inbound strangers
are counted apart: the chain keeps committing, the victim keeps its three
delegate links and keeps signing (the ledger's liveness count of its
missed heights does not grow)."""
import socket
import threading
import time

import cluster
import noise_peer
from cluster import check, say

IDLE_LINKS = 200
HALF_OPEN = 100


class Attacker:
    """Holds the hostile connections; close() ends them all."""

    def __init__(self, addr):
        self.addr = addr
        self.socks = []
        self.up = self.refused = 0
        self.lock = threading.Lock()

    def idle_link(self):
        try:
            p = noise_peer.Peer(self.addr, timeout_s=10)
        except (OSError, ValueError, ConnectionError):
            with self.lock:
                self.refused += 1
            return
        with self.lock:
            self.up += 1
            self.socks.append(p.sock)

    def half_open(self, send_first):
        host, port = self.addr.rsplit(":", 1)
        try:
            s = socket.create_connection((host, int(port)), timeout=5)
            if send_first:  # message 1 of XX (an ephemeral key), then nothing
                s.sendall(b"\x00\x20" + noise_peer.keypair()[1])
        except OSError:
            with self.lock:
                self.refused += 1
            return
        with self.lock:
            self.socks.append(s)

    def run(self):
        threads = [threading.Thread(target=self.idle_link) for _ in range(IDLE_LINKS)]
        for i in range(0, len(threads), 20):  # 20 handshakes at a time
            for t in threads[i:i + 20]:
                t.start()
            for t in threads[i:i + 20]:
                t.join()
        for k in range(HALF_OPEN):
            self.half_open(send_first=k % 2 == 1)

    def close(self):
        for s in self.socks:
            try:
                s.close()
            except OSError:
                pass
        self.socks = []


def missed(net, pubkey, node):
    c = net.call(node, "candidates")
    for e in c["candidates"]:
        if e["pubkey"] == pubkey:
            return e["missed"]
    raise cluster.CheckFailed("no candidate %s" % pubkey)


def node_pubkey(net, i):
    import json
    import subprocess
    r = subprocess.run([cluster.HANSA, "key", "show", "node", "--keys",
                        "%s/node.key" % net.home(i), "--json"], capture_output=True, text=True,
                       timeout=30)
    check(r.returncode == 0, "key show of node%d" % i)
    return json.loads(r.stdout)["pubkey"]


def test():
    rng = cluster.seed_from_env()
    with cluster.Testnet("eclipse") as net:
        nodes = list(range(net.size()))
        net.wait_heights(nodes, 3, 60)
        victim = rng.choice(nodes)
        others = [i for i in nodes if i != victim]
        key = node_pubkey(net, victim)
        say("victim: node%d (%s...)" % (victim, key[:16]))
        att = Attacker(net.listen_addr(victim))
        try:
            t0 = time.monotonic()
            att.run()
            say("attacker holds %d links up, %d half-open; %d refused (%.0f s)" %
                (att.up, len(att.socks) - att.up, att.refused, time.monotonic() - t0))
            check(att.up >= 20, "the attacker got idle links up (%d)" % att.up)

            for i in others:
                net.kill9(i)
            net.up()  # restarts the three stopped delegates
            say("restarted node%s; the victim must link to them again" % others)
            h = max(net.heights(others))
            net.wait_heights(others, h + 3, 90)
            st = cluster.wait_for(lambda: (lambda s: s if s and s["peers"] >= 3 else None)(
                net.status(victim)), 60, "node%d to have its 3 delegate links back" % victim)
            delegates = [l for l in st["links"] if l["reserved"]]
            check(len(delegates) >= 3, "node%d has its 3 delegate links, reserved (%d of %d links)" %
                  (victim, len(delegates), len(st["links"])))
            m0 = missed(net, key, others[0])
            h = max(net.heights(nodes))
            net.wait_heights(nodes, h + 15, 120)
            m1 = missed(net, key, others[0])
            check(m1 - m0 <= 2, "node%d kept signing: missed %d of the last 15 heights (%d -> %d)" %
                  (victim, m1 - m0, m0, m1))
            check(net.height(victim) >= h + 15, "node%d kept committing" % victim)
        finally:
            att.close()
        for i in nodes:
            st = net.status(i)
            check(st is not None and st["peers"] >= 3, "node%d is up with its peers" % i)
        cluster.compare_chains(net, nodes, 1, min(net.heights(nodes)))


if __name__ == "__main__":
    cluster.main(test)
