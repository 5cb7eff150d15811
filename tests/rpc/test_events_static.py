"""GET /events (server-sent events) and GET /explorer/ against a live node.

Checks the subscription endpoint's bounds: bad queries get 400 saying why,
subscribers past the limit get 503, a subscriber that stops reading is
dropped once its buffer is full while the chain keeps committing and other
subscribers keep receiving; and the explorer's file server: the redirect,
the files, and that no path leaves its folders. The limits are lowered
through hansad's environment (HANSA_EVENTS_SUBSCRIBERS,
HANSA_EVENTS_BUFFER_BYTES) so the test needs little traffic.
"""
import http.client
import json
import os
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from hansa_testnet import HANSA, Testnet, call  # noqa: E402


def get(addr, path, timeout=10):
    host, port = addr.rsplit(":", 1)
    c = http.client.HTTPConnection(host, int(port), timeout=timeout)
    c.request("GET", path)
    r = c.getresponse()
    body = r.read() if r.status != 200 or not path.startswith("/events") else b""
    return r.status, dict(r.getheaders()), body, c


def open_stream(addr, query, rcvbuf=None):
    """A raw socket subscribed to /events?query; returns it after the headers."""
    host, port = addr.rsplit(":", 1)
    s = socket.socket()
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.connect((host, int(port)))
    s.sendall(f"GET /events?{query} HTTP/1.1\r\nHost: {addr}\r\n\r\n".encode())
    return s


def read_until(s, needle, timeout=30):
    s.settimeout(timeout)
    buf = b""
    end = time.time() + timeout
    while needle not in buf and time.time() < end:
        chunk = s.recv(65536)
        if not chunk:
            break
        buf += chunk
    return buf


def main():
    os.environ["HANSA_EVENTS_SUBSCRIBERS"] = "3"
    os.environ["HANSA_EVENTS_BUFFER_BYTES"] = "4096"
    with Testnet(1) as tn:
        a = tn.addrs[0]
        # The explorer's files.
        st, h, _, _ = get(a, "/explorer")
        assert st == 301 and h["Location"] == "/explorer/", (st, h)
        st, h, body, _ = get(a, "/explorer/")
        assert st == 200 and h["Content-Type"].startswith("text/html") and b"<html" in body, st
        assert "default-src 'self'" in h["Content-Security-Policy"]
        st, h, body, _ = get(a, "/explorer/lib/index.js")
        assert st == 200 and h["Content-Type"].startswith("text/javascript") and b"export" in body, st
        for bad in ["/explorer/../config.json", "/explorer/%2e%2e/config.json", "/explorer/.hidden",
                    "/explorer//index.html", "/explorer/lib/../../README.md", "/explorer/nope.html",
                    "/explorerx", "/explorer/" + "a" * 300]:
            st, _, _, _ = get(a, bad)
            assert st == 404, (bad, st)
        print("explorer files: served, traversal refused")

        # Bad subscriptions say why.
        for q, why in [("topics=nope", b"unknown topic"), ("topics=", b"empty"),
                       ("topics=account", b"needs account"), ("account=e2e4x00", b"account 1"),
                       ("topics=tx&account=" + ",".join(["e2e4x" + "0" * 40] * 17), b"more than 16")]:
            st, _, body, _ = get(a, "/events?" + q)
            assert st == 400 and why in body, (q, st, body)
        print("bad subscriptions: 400 with the reason")

        # A healthy subscriber, and a slow one that never reads.
        good = open_stream(a, "topics=block")
        assert b"event: hello" in read_until(good, b"event: hello")
        slow = open_stream(a, "topics=block,tx", rcvbuf=2048)
        third = open_stream(a, "topics=block")
        assert b"event: hello" in read_until(third, b"event: hello")
        st, _, body, _ = get(a, "/events")
        assert st == 503 and b"too many subscribers" in body, (st, body)
        print("subscriber limit: the fourth gets 503")
        third.close()

        h0 = call(a, "status")["height"]
        load = subprocess.run([HANSA, "load", "--dir", tn.net, "--rate", "300", "--duration", "4",
                               "--accounts", "4", "--settle", "2", "--quiet", "--json"],
                              capture_output=True, text=True, timeout=120)
        assert load.returncode == 0, load.stderr
        committed = json.loads(load.stdout.strip().splitlines()[-1])
        print("load:", committed)
        # The node kept committing and the good subscriber kept up.
        h1 = call(a, "status")["height"]
        assert h1 > h0 + 2, (h0, h1)
        seen = read_until(good, f"\"height\":{h1},".encode())
        assert f"\"height\":{h1},".encode() in seen, "the healthy subscriber saw the latest block"
        # The slow one was dropped: reading it now ends at EOF, short of h1.
        slow.settimeout(20)
        got = b""
        while True:
            chunk = slow.recv(65536)
            if not chunk:
                break
            got += chunk
        assert f"\"height\":{h1},".encode() not in got, "the slow subscriber was cut off before the end"
        metrics = get(a, "/metrics")[2].decode()
        assert "hansa_rpc_events_dropped_total 1" in metrics, metrics[-800:]
        print(f"slow subscriber: dropped after {len(got)} bytes; chain went {h0} -> {h1}")
        # Shutting down with a stream open ends the stream and the node cleanly.
        left = tn._down()
        assert not left, f"hansad still running with a subscriber attached: {left}"
        good.settimeout(10)
        while good.recv(65536):
            pass
        good.close()
        with open(os.path.join(tn.net, "node0", "hansad.log")) as f:
            log = f.read()
        assert "hansad: stopping" in log and "Sanitizer" not in log and "PANIC" not in log.upper(), log[-2000:]
        print("shutdown with a subscriber attached: the stream ended, the node stopped cleanly")
    print("events and explorer files: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
