#!/usr/bin/env python3
"""test_submit_raw.py — POST /txs, the binary batch submit (docs/rpc.md), against a
real one-delegate network: admission in order, duplicates and refused txs named by
index, every malformed body refused whole with what was wrong and where (and nothing
admitted from it), the bounds it shares with submit_txs, and `hansa submit-raw`.

Transactions are signed by the CLI (`hansa send --dry-run`), as in test_node_api.py.
"""
import http.client
import json
import os
import re
import struct
import sys
import tempfile
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from hansa_testnet import Testnet, call, post_raw, run_hansa  # noqa: E402
from test_node_api import signed_tx  # noqa: E402

INVALID_REQUEST, TOO_LARGE = -32600, -32003
BODY_MAX, TXS_MAX, MAX_BATCH, TX_BYTES_MAX = 65536, 1024, 100, 65659


def frame(txs):
    """The body POST /txs takes: (u32 little-endian length | tx bytes)*."""
    return b"".join(struct.pack("<I", len(t)) + t for t in txs)


def post_txs(addr, body, content_type="application/octet-stream", method="POST"):
    """POSTs body to /txs; returns (HTTP status, the reply parsed or its text)."""
    req = urllib.request.Request(f"http://{addr}/txs", data=body if method == "POST" else None,
                                 method=method, headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            status, text = r.status, r.read()
    except urllib.error.HTTPError as e:
        status, text = e.code, e.read()
    try:
        return status, json.loads(text)
    except ValueError:
        return status, text.decode()


def refused_whole(addr, body, status=400, code=INVALID_REQUEST):
    """POSTs a body that must be refused whole; returns its error object."""
    got, reply = post_txs(addr, body)
    assert got == status, (got, reply)
    assert reply["jsonrpc"] == "2.0" and reply["id"] is None, reply
    assert "result" not in reply and reply["error"]["code"] == code, reply
    return reply["error"]


def metric(addr, name):
    with urllib.request.urlopen(f"http://{addr}/metrics", timeout=10) as r:
        m = re.search(rf"^{name} (\d+)$", r.read().decode(), re.M)
    assert m, name
    return int(m.group(1))


def nonce_of(a, addr):
    return int(call(a, "account", {"address": addr})["nonce"])


def signed(tn, a, frm, nonce, amount=5):
    t = signed_tx(tn, a, frm, tn.key_address("acct0"), amount, nonce=nonce)
    return bytes.fromhex(t["tx"]), t["hash"]


def test_admission(tn, a):
    """Txs are judged in order, each as submit_tx would; only refusals are listed."""
    frm = tn.key_address("acct1")
    n0 = nonce_of(a, frm)
    txs = [signed(tn, a, "acct1", n0 + i, 10 + i) for i in range(3)]
    body = frame([txs[0][0], txs[1][0], txs[0][0], b"\x01", txs[2][0]])
    status, reply = post_txs(a, body)
    assert status == 200 and reply["jsonrpc"] == "2.0" and reply["id"] is None, (status, reply)
    r = reply["result"]
    assert r["txs"] == 5 and r["admitted"] == 3, r
    assert [x["index"] for x in r["refused"]] == [2, 3], r
    assert r["refused"][0]["error"] == "HANSA_ERR_DUPLICATE", r
    assert r["refused"][1]["error"] == "HANSA_ERR_TRUNCATED" and r["refused"][1]["why"], r
    call(a, "wait_tx", {"hash": txs[2][1], "timeout_ms": 20000}, timeout=30)
    assert nonce_of(a, frm) == n0 + 3
    # A used nonce is refused with the node's reason, as in submit_tx.
    stale, _ = signed(tn, a, "acct1", n0)
    r = post_txs(a, frame([stale]))[1]["result"]
    assert r["admitted"] == 0 and r["refused"][0]["index"] == 0, r
    assert r["refused"][0]["error"] in ("HANSA_ERR_NONCE", "HANSA_ERR_DUPLICATE"), r
    assert "nonce" in r["refused"][0]["why"] or r["refused"][0]["error"] == "HANSA_ERR_DUPLICATE", r


def test_malformed(tn, a):
    """A malformed body is refused whole, with what and where, before anything is admitted."""
    frm = tn.key_address("acct2")
    n0 = nonce_of(a, frm)
    good, good_hash = signed(tn, a, "acct2", n0)
    ok = frame([good])
    cases = [
        # (body, the error name in data, the offset, the index of the tx being read)
        (ok + b"\x05\x00", "HANSA_ERR_TRUNCATED", len(ok), 1),                  # length cut short
        (ok + struct.pack("<I", 100) + b"x" * 10, "HANSA_ERR_TRUNCATED", len(ok) + 4, 1),  # tx cut short
        (ok + struct.pack("<I", 0), "HANSA_ERR_INVALID", len(ok) + 4, 1),       # an empty tx
        (ok + struct.pack("<I", TX_BYTES_MAX + 1) + b"x" * 8, "HANSA_ERR_TOO_LONG", len(ok), 1),
        (ok + b"\x01", "HANSA_ERR_TRUNCATED", len(ok), 1),                      # one trailing byte
    ]
    for body, name, offset, index in cases:
        e = refused_whole(a, body)
        assert e["message"].startswith("malformed body: "), e
        assert f"at byte {offset}" in e["message"] and f"in transaction {index}" in e["message"], e
        assert e["data"] == {"error": name, "offset": offset, "field": "tx", "index": index}, e
    e = refused_whole(a, b"")
    assert e["message"] == "empty body: send 1..100 framed transactions", e
    e = refused_whole(a, ok * 2 + frame([b"\x01"] * MAX_BATCH))
    assert e["message"] == "too many transactions: 102, at most 100 a request", e
    assert e["data"] == {"txs": 102, "more": False, "max_batch": 100}, e
    e = refused_whole(a, ok + frame([b"\x01"] * TXS_MAX))
    assert e["message"] == "too many transactions: more than 1024, at most 100 a request", e
    assert e["data"] == {"txs": 1024, "more": True, "max_batch": 100}, e
    e = refused_whole(a, ok + b"\x00" * (BODY_MAX + 1 - len(ok)), status=413, code=TOO_LARGE)
    assert e["data"] == {"max_body_bytes": BODY_MAX}, e
    # Nothing of those bodies was admitted: the good tx is neither pooled nor applied.
    assert good_hash not in call(a, "mempool", {"limit": 10000})["hashes"]
    assert nonce_of(a, frm) == n0
    # The right content type only, and POST only.
    status, reply = post_txs(a, ok, content_type="application/json")
    assert status == 415 and "application/octet-stream" in reply["error"]["message"], reply
    status, reply = post_txs(a, ok, content_type="text/plain")
    assert status == 415, reply
    assert post_txs(a, b"", method="GET")[0] == 405
    # The JSON endpoint still wants JSON.
    assert post_raw(a, ok, content_type="application/octet-stream")[0] == 415
    assert good_hash not in call(a, "mempool", {"limit": 10000})["hashes"]


def test_abuse(a):
    """The cheapest bodies that make the node work most are bounded as submit_txs is:
    more than max_batch txs is refused before any is judged; max_batch garbage txs
    cost max_batch cheap refusals, as 100 bad strings in submit_txs do."""
    judged = metric(a, "hansa_rpc_binary_txs_total")
    refused_whole(a, frame([b"\x01"] * TXS_MAX))
    refused_whole(a, frame([b"\x01"] * (MAX_BATCH + 1)))
    assert metric(a, "hansa_rpc_binary_txs_total") == judged, "a refused body judged txs"
    r = post_txs(a, frame([b"\x01"] * MAX_BATCH))[1]["result"]
    assert r["admitted"] == 0 and len(r["refused"]) == MAX_BATCH, r
    assert metric(a, "hansa_rpc_binary_txs_total") == judged + MAX_BATCH
    # The largest body allowed (64 KiB) is one tx that big: one judged.
    r = post_txs(a, frame([b"\x01" * (BODY_MAX - 4)]))[1]["result"]
    assert r["txs"] == 1 and r["admitted"] == 0, r


def test_cli(tn, a):
    """`hansa submit-raw FILE` sends the file as it is and prints the node's answer."""
    frm = tn.key_address("acct3")
    n0 = nonce_of(a, frm)
    txs = [signed(tn, a, "acct3", n0 + i) for i in range(2)]
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "txs.bin")
        with open(path, "wb") as f:
            f.write(frame([txs[0][0], txs[1][0], txs[0][0]]))
        code, out, err = run_hansa("submit-raw", path, "--node", a, "--json")
        assert code == 1, (code, out, err)  # one refused: the duplicate
        r = json.loads(out)
        assert r["admitted"] == 2 and r["refused"][0]["index"] == 2, r
        code, out, err = run_hansa("submit-raw", path, "--node", a)
        assert code == 1 and "3 transactions: 0 admitted, 3 refused" in out, (out, err)
        with open(path, "wb") as f:
            f.write(frame([txs[0][0]]) + b"\x07")
        code, out, err = run_hansa("submit-raw", path, "--node", a)
        assert code == 1 and "malformed body" in err and "at byte" in err, (code, out, err)
        with open(path, "wb") as f:
            f.write(b"\x00" * (BODY_MAX + 1))
        code, out, err = run_hansa("submit-raw", path, "--node", a)
        assert code == 2 and "split it" in err, (code, err)
        assert run_hansa("submit-raw", "--node", a)[0] == 2
    call(a, "wait_tx", {"hash": txs[1][1], "timeout_ms": 20000}, timeout=30)


def post_chunked(addr, body, piece=4096):
    """POSTs body to /txs with Transfer-Encoding: chunked (no Content-Length), in
    pieces of piece bytes; returns (HTTP status, the reply parsed)."""
    host, port = addr.rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        pieces = (body[i:i + piece] for i in range(0, len(body), piece))
        conn.request("POST", "/txs", body=pieces, encode_chunked=True,
                     headers={"Content-Type": "application/octet-stream"})
        r = conn.getresponse()
        return r.status, json.loads(r.read())
    finally:
        conn.close()


def test_chunked_cap(tn, a):
    """The 64 KiB cap holds for a chunked body too. With no Content-Length to refuse
    it by up front, the server counts the pieces as they come, drops the rest and
    answers 413 at the end: the same error as a long Content-Length, and nothing of
    the body admitted or even judged, though it starts with a good tx."""
    frm = tn.key_address("acct2")
    n0 = nonce_of(a, frm)
    good, good_hash = signed(tn, a, "acct2", n0)
    body = frame([good]) + b"\x00" * (BODY_MAX + 1 - len(frame([good])))
    judged = metric(a, "hansa_rpc_binary_txs_total")
    too_large = metric(a, "hansa_rpc_too_large_total")
    status, reply = post_chunked(a, body)
    assert status == 413, (status, reply)
    assert reply["jsonrpc"] == "2.0" and reply["id"] is None and "result" not in reply, reply
    assert reply["error"]["code"] == TOO_LARGE, reply
    assert reply["error"]["data"] == {"max_body_bytes": BODY_MAX}, reply
    assert metric(a, "hansa_rpc_too_large_total") == too_large + 1
    assert metric(a, "hansa_rpc_binary_txs_total") == judged, "a body past the cap was judged"
    assert good_hash not in call(a, "mempool", {"limit": 10000})["hashes"]
    assert nonce_of(a, frm) == n0
    # One byte less is within the cap: read whole and parsed (the zeros after the
    # good tx frame an empty tx: 400 malformed), not 413.
    status, reply = post_chunked(a, body[:-1])
    assert status == 400 and reply["error"]["code"] == INVALID_REQUEST, (status, reply)
    e = reply["error"]
    assert e["data"]["error"] == "HANSA_ERR_INVALID" and e["data"]["index"] == 1, e
    assert metric(a, "hansa_rpc_too_large_total") == too_large + 1
    assert good_hash not in call(a, "mempool", {"limit": 10000})["hashes"]


def main():
    with Testnet(validators=1) as tn:
        a = tn.addrs[0]
        call(a, "wait_block", {"after_height": 1, "timeout_ms": 20000}, timeout=30)
        for name, fn in [("admission", lambda: test_admission(tn, a)),
                         ("malformed bodies", lambda: test_malformed(tn, a)),
                         ("abuse bounds", lambda: test_abuse(a)),
                         ("hansa submit-raw", lambda: test_cli(tn, a)),
                         ("chunked body cap", lambda: test_chunked_cap(tn, a))]:
            fn()
            print(f"ok {name}")
    print("all POST /txs tests passed")


if __name__ == "__main__":
    main()
