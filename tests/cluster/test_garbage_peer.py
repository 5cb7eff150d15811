#!/usr/bin/env python3
"""Bytes no hansa node sends, from a raw TCP socket to a delegate's peer
port, get that connection dropped and nothing else: the node closes the
socket, logs the drop with its reason, keeps its links to the other
delegates, and the network keeps committing.

Cases: garbage where the first Noise handshake message belongs; a 2-byte
length of 65535 followed by that much garbage; the same length and then a
stall (the handshake deadline drops it); a valid first handshake message
followed by a garbage third one (a truncated, then broken handshake); a
connection closed half-way through a message; and more idle connections at
once than the node keeps pending (the oldest give way, the deadline drops
the rest)."""
import os
import socket
import time

import cluster
from cluster import check, say

HANDSHAKE_TIMEOUT_S = 10  # net_config default


def connect(addr):
    host, port = addr.rsplit(":", 1)
    s = socket.create_connection((host, int(port)), timeout=5)
    return s


def closed_by_node(s, timeout_s):
    """True if the node closes s (EOF or reset) within timeout_s; reads and
    discards whatever it sends before that."""
    s.settimeout(0.5)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if s.recv(65536) == b"":
                return True
        except socket.timeout:
            continue
        except ConnectionResetError:
            return True
    return False


def recv_exact(s, n, timeout_s=5):
    s.settimeout(timeout_s)
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            break
        buf += chunk
    return buf


def drops_logged(net, i):
    return net.log_text(i).count("dropping (inbound)")


def test():
    rng = cluster.seed_from_env()
    with cluster.Testnet("garbage") as net:
        nodes = list(range(net.size()))
        net.wait_heights(nodes, 5, 60)
        target = rng.choice(nodes)
        addr = net.listen_addr(target)
        say("target: node%d at %s" % (target, addr))
        before = drops_logged(net, target)

        # A wrong-length first message (XX message 1 is exactly 32 bytes + payload).
        s = connect(addr)
        s.sendall(b"\x00\x10" + os.urandom(16))
        check(closed_by_node(s, 10), "garbage first message: the node closed the connection")
        s.close()

        # Length 65535 and that much garbage: an oversize payload in message 1.
        s = connect(addr)
        s.sendall(b"\xff\xff" + os.urandom(65535))
        check(closed_by_node(s, 10), "length 65535 + garbage: the node closed the connection")
        s.close()

        # A valid message 1, the node's message 2, then garbage for message 3.
        s = connect(addr)
        s.sendall(b"\x00\x20" + os.urandom(32))
        head = recv_exact(s, 2)
        check(len(head) == 2, "the node answered a valid handshake message 1")
        n2 = int.from_bytes(head, "big")
        check(len(recv_exact(s, n2)) == n2 and n2 == 96,
              "its message 2 is e + encrypted s + tag (96 bytes, got %d)" % n2)
        s.sendall(b"\x00\x40" + os.urandom(64))
        check(closed_by_node(s, 10), "garbage handshake message 3: the node closed the connection")
        s.close()

        # Closed half-way through a message: nothing to drop but the socket.
        s = connect(addr)
        s.sendall(b"\x01\x00" + os.urandom(100))
        s.close()

        # Stalls: a length and no body, and more idle connections than the
        # node keeps in handshake (16): the oldest give way to the newer
        # ones (the stall first), the deadline drops the rest.
        stall = connect(addr)
        stall.sendall(b"\xff\xff" + os.urandom(1000))
        idle = [connect(addr) for _ in range(24)]
        t0 = time.monotonic()
        check(closed_by_node(stall, HANDSHAKE_TIMEOUT_S + 20),
              "length 65535 then a stall: dropped after %.0f s" % (time.monotonic() - t0))
        still = [c for c in idle if not closed_by_node(c, HANDSHAKE_TIMEOUT_S + 5)]
        check(not still, "every one of 24 idle connections was closed (%d left)" % len(still))
        for c in idle + [stall]:
            c.close()

        after = drops_logged(net, target)
        say("node%d logged %d drops of inbound connections" % (target, after - before))
        check(after - before >= 4, "node%d logged each protocol violation (%d >= 4)" %
              (target, after - before))
        text = net.log_text(target)
        for what in ("bad handshake message", "handshake timeout"):
            check(what in text, "node%d's log names the reason '%s'" % (target, what))

        h = max(net.heights(nodes))
        net.wait_heights(nodes, h + 10, 60)
        check(True, "all four nodes kept committing (10 more heights past %d)" % h)
        for i in nodes:
            st = net.status(i)
            check(st and st["peers"] == 3, "node%d still has its 3 delegate links" % i)
        cluster.compare_chains(net, nodes, 1, min(net.heights(nodes)))


if __name__ == "__main__":
    cluster.main(test)
