#!/usr/bin/env python3
"""test_node_api.py — every node RPC method and every documented error,
against a real one-delegate network started with the built programs.

Transactions are signed by the CLI (`hansa send --dry-run`), which is the
only signer the test has; everything else is plain JSON-RPC from here, and
proofs are checked with an RFC 6962 verifier written in Python.
"""
import json
import os
import socket
import sys

sys.path.insert(0, os.path.dirname(__file__))
from hansa_testnet import (Testnet, call, call_error, post_raw, rfc6962_verify, run_hansa,  # noqa: E402
                           sha256)

NOT_FOUND, TX_REJECTED, TOO_LARGE, TIMEOUT = -32001, -32002, -32003, -32004
PARSE, INVALID_REQUEST, NO_METHOD, INVALID_PARAMS = -32700, -32600, -32601, -32602


def signed_tx(tn, addr, frm, to, amount, nonce=None, fee="1"):
    """A signed transfer from key frm of accounts.key, as {tx, hash}."""
    args = ["send", "--dry-run", "--json", "--keys", tn.accounts_key(), "--from", frm, "--to", to,
            "--amount", str(amount), "--node", addr, "--fee", fee]
    if nonce is not None:
        args += ["--nonce", str(nonce)]
    code, out, err = run_hansa(*args)
    assert code == 0, err
    return json.loads(out)


def check_invalid_param(e, param):
    assert e.code == INVALID_PARAMS, (e.code, e.message)
    assert e.data["param"] == param, e.data
    assert param in e.message, e.message


def test_status(a):
    s = call(a, "status")
    assert s["chain_id"] == "e2e4"
    assert isinstance(s["height"], int) and s["height"] >= 0
    assert isinstance(s["block_time_ms"], int) and s["block_time_ms"] > 1_600_000_000_000
    assert s["is_delegate"] is True and s["syncing"] is False and s["peers"] == 0
    assert s["min_fee"] == "1" and s["version"]
    assert len(s["block_hash"]) == 64 and len(s["app_hash"]) == 64
    check_invalid_param(call_error(a, "status", {"verbose": True}), "verbose")


def test_validators(a):
    v = call(a, "validators")
    assert len(v["validators"]) == 1 and v["total_power"] == 10
    val = v["validators"][0]
    assert val["power"] == 10 and val["address"].startswith("e2e4x") and len(val["pubkey"]) == 64
    assert isinstance(val["proposer_priority"], int)
    # The current height may be asked for by number; any other is not kept.
    cur = v["height"]
    e = call_error(a, "validators", {"height": 1})
    if cur != 1:
        assert e.code == NOT_FOUND and e.data["height"] == 1 and e.data["current"] >= cur, e.data
    check_invalid_param(call_error(a, "validators", {"height": "one"}), "height")
    check_invalid_param(call_error(a, "validators", {"height": -1}), "height")


def test_account(tn, a):
    addr = tn.key_address("acct2")
    r = call(a, "account", {"address": addr})
    assert r == {"address": addr, "balance": "1000000000000", "nonce": "0"}, r
    r = call(a, "account", {"address": addr.lower()})  # no checksum to check: accepted
    assert r["address"] == addr
    fresh = "e2e4x" + "00" * 20
    assert call(a, "account", {"address": fresh})["balance"] == "0"
    bad = addr[:5] + addr[5:].swapcase()
    check_invalid_param(call_error(a, "account", {"address": bad}), "address")
    check_invalid_param(call_error(a, "account", {"address": "ffx" + addr[5:]}), "address")
    check_invalid_param(call_error(a, "account", {}), "address")
    check_invalid_param(call_error(a, "account", {"address": 7}), "address")


def test_submit_errors(tn, a):
    to = tn.key_address("acct1")
    check_invalid_param(call_error(a, "submit_tx", {}), "tx")
    check_invalid_param(call_error(a, "submit_tx", {"tx": "zz"}), "tx")
    check_invalid_param(call_error(a, "submit_tx", {"tx": "00", "wait": "yes"}), "wait")
    check_invalid_param(call_error(a, "submit_tx", {"tx": "00", "timeout_ms": 0}), "timeout_ms")
    check_invalid_param(call_error(a, "submit_tx", {"tx": "00", "txx": 1}), "txx")
    e = call_error(a, "submit_tx", {"tx": "00"})
    assert e.code == TX_REJECTED and e.data["error"] == "HANSA_ERR_VERSION" and e.data["why"], e.data
    e = call_error(a, "submit_tx", {"tx": "01"})
    assert e.code == TX_REJECTED and e.data["error"] == "HANSA_ERR_TRUNCATED" and e.data["why"], e.data
    t = signed_tx(tn, a, "acct3", to, 5)
    raw = bytearray.fromhex(t["tx"])
    raw[-1] ^= 1  # the last byte is in the signature
    e = call_error(a, "submit_tx", {"tx": raw.hex()})
    assert e.code == TX_REJECTED and e.data["error"] == "HANSA_ERR_BAD_SIG", e.data
    too_much = signed_tx(tn, a, "acct3", to, 10**13)
    e = call_error(a, "submit_tx", {"tx": too_much["tx"]})
    assert e.code == TX_REJECTED and e.data["error"] == "HANSA_ERR_FUNDS", e.data
    assert "why" in e.data and e.data["why"] in e.message


def check_tx_view(r, want_hash):
    """Checks a `tx` result the way a light client would."""
    tx = bytes.fromhex(r["tx"]["encoded"])
    assert sha256(tx).hex() == want_hash == r["hash"] == r["tx"]["hash"]
    header = bytes.fromhex(r["header"]["encoded"])
    block_id = sha256(header).hex()
    assert block_id == r["header"]["hash"] == r["commit"]["block"]
    assert r["header"]["height"] == r["height"] == r["commit"]["height"]
    p = r["proof"]
    assert p["index"] == r["index"] and p["tree_size"] == r["header"]["tx_count"]
    assert p["root"] == r["header"]["tx_root"]
    assert p["leaf_hash"] == sha256(b"\x00" + tx).hex()
    path = [bytes.fromhex(h) for h in p["path"]]
    root = bytes.fromhex(r["header"]["tx_root"])
    assert rfc6962_verify(tx, p["index"], p["tree_size"], path, root)
    if p["tree_size"] > 1:  # a proof for another index must not pass
        assert not rfc6962_verify(tx, (p["index"] + 1) % p["tree_size"], p["tree_size"], path, root)
    assert r["result"] == "ok" and r["tx"]["kind"] == "transfer" and r["tx"]["kind_code"] == 1
    assert r["commit"]["signed_power"] == r["commit"]["total_power"] == 10
    assert len(r["commit"]["signers"]) == 1 and len(r["commit"]["signers"][0]["signature"]) == 128


def test_receipt_refused(tn, a):
    """A one-delegate node has no receipt collateral and no peer to ask: a
    submit_receipt is refused before its transfer is admitted (admitted false);
    once the same transfer went in by submit_tx, the refusal says it is
    admitted (a wallet must not pay again under a new nonce). Last: it spends
    from acct3, whose balance earlier parts check."""
    t = signed_tx(tn, a, "acct3", tn.key_address("acct1"), 7)
    e = call_error(a, "submit_receipt", {"tx": t["tx"]})
    assert e.code == TX_REJECTED and e.data["error"] == "HANSA_ERR_FUNDS", e.data
    assert "no peer to ask" in e.data["why"] and e.data["admitted"] is False, e.data
    assert t["hash"] not in call(a, "mempool")["hashes"]
    call(a, "submit_tx", {"tx": t["tx"]})
    e = call_error(a, "submit_receipt", {"tx": t["tx"]})
    assert e.code == TX_REJECTED and e.data["admitted"] is True, e.data


def test_submit_batch_and_tx(tn, a):
    """Five transfers in one batch land in one or a few blocks; each has a
    proof that verifies, and block/wait_tx/mempool agree with it."""
    frm, to = tn.key_address("acct0"), tn.key_address("acct1")
    nonce = int(call(a, "account", {"address": frm})["nonce"])
    txs = [signed_tx(tn, a, "acct0", to, 100 + i, nonce=nonce + i) for i in range(5)]
    batch = [{"jsonrpc": "2.0", "id": i, "method": "submit_tx", "params": {"tx": t["tx"]}}
             for i, t in enumerate(txs)]
    status, body = post_raw(a, json.dumps(batch).encode())
    replies = sorted(json.loads(body), key=lambda x: x["id"])
    assert status == 200 and [r["result"]["hash"] for r in replies] == [t["hash"] for t in txs], replies
    last = call(a, "wait_tx", {"hash": txs[-1]["hash"], "timeout_ms": 20000}, timeout=30)
    check_tx_view(last, txs[-1]["hash"])
    assert last["tx"]["to"] == to and last["tx"]["amount"] == "104" and last["tx"]["sender_address"] == frm
    assert last["tx"]["nonce"] == str(nonce + 4) and last["tx"]["fee"] == "1"
    heights = set()
    for t in txs:
        r = call(a, "tx", {"hash": t["hash"]})
        check_tx_view(r, t["hash"])
        heights.add(r["height"])
        b = call(a, "block", {"height": r["height"], "txs": True})
        assert b["tx_hashes"][r["index"]] == t["hash"]
        assert [sha256(bytes.fromhex(x)).hex() for x in b["txs"]] == b["tx_hashes"]
    print(f"  5 txs landed in blocks {sorted(heights)}")
    assert call(a, "account", {"address": frm})["nonce"] == str(nonce + 5)
    # Resubmitting a committed tx: its nonce is used.
    e = call_error(a, "submit_tx", {"tx": txs[0]["tx"]})
    assert e.code == TX_REJECTED and e.data["error"] in ("HANSA_ERR_NONCE", "HANSA_ERR_DUPLICATE"), e.data


def test_submit_txs(tn, a):
    """submit_txs: one result per tx in order, a refusal does not stop the
    rest; malformed strings refuse the whole call before anything is admitted."""
    frm, to = tn.key_address("acct1"), tn.key_address("acct0")
    nonce = int(call(a, "account", {"address": frm})["nonce"])
    txs = [signed_tx(tn, a, "acct1", to, 10 + i, nonce=nonce + i) for i in range(3)]
    check_invalid_param(call_error(a, "submit_txs", {}), "txs")
    check_invalid_param(call_error(a, "submit_txs", {"txs": []}), "txs")
    check_invalid_param(call_error(a, "submit_txs", {"txs": ["00"] * 101}), "txs")
    # beside other calls in one request it is refused: a request admits at
    # most max_batch transactions however it is made
    both = [{"jsonrpc": "2.0", "id": i, "method": "submit_txs", "params": {"txs": ["00"]}} for i in (1, 2)]
    status, body = post_raw(a, json.dumps(both).encode())
    replies = json.loads(body)
    assert [r["error"]["code"] for r in replies] == [-32600, -32600], replies
    e = call_error(a, "submit_txs", {"txs": [txs[0]["tx"], "abc"]})
    check_invalid_param(e, "txs")
    assert e.data["index"] == 1, e.data
    assert call(a, "account", {"address": frm})["nonce"] == str(nonce)
    assert txs[0]["hash"] not in call(a, "mempool")["hashes"]
    r = call(a, "submit_txs", {"txs": [txs[0]["tx"], "01", txs[1]["tx"], "zz", txs[2]["tx"], txs[0]["tx"]]})
    res = r["results"]
    assert len(res) == 6, r
    assert [res[i].get("hash") for i in (0, 2, 4)] == [t["hash"] for t in txs], res
    assert res[1]["error"] == "HANSA_ERR_TRUNCATED" and res[3]["error"] == "HANSA_ERR_BAD_HEX", res
    assert res[5]["error"] == "HANSA_ERR_DUPLICATE", res
    call(a, "wait_tx", {"hash": txs[2]["hash"], "timeout_ms": 20000}, timeout=30)
    assert call(a, "account", {"address": frm})["nonce"] == str(nonce + 3)


def test_submit_wait(tn, a):
    t = signed_tx(tn, a, "acct2", tn.key_address("acct3"), 777)
    r = call(a, "submit_tx", {"tx": t["tx"], "wait": True, "timeout_ms": 20000}, timeout=30)
    assert r["hash"] == t["hash"] and isinstance(r["height"], int) and r["index"] == 0, r
    assert call(a, "tx", {"hash": t["hash"]})["height"] == r["height"]
    assert call(a, "account", {"address": tn.key_address("acct3")})["balance"] == "1000000000777"


def test_tx_errors(a):
    e = call_error(a, "tx", {"hash": "ab" * 32})
    assert e.code == NOT_FOUND and e.data == {"hash": "ab" * 32, "in_mempool": False}, e.data
    check_invalid_param(call_error(a, "tx", {"hash": "ab"}), "hash")
    check_invalid_param(call_error(a, "tx", {"hash": "zz" * 32}), "hash")
    check_invalid_param(call_error(a, "tx", {}), "hash")
    check_invalid_param(call_error(a, "tx", {"hash": "ab" * 32, "proof": True}), "proof")


def test_block(a):
    tip = call(a, "status")["height"]
    latest = call(a, "block")
    assert latest["height"] >= tip and latest["header"]["height"] == latest["height"]
    b = call(a, "block", {"height": 1})
    assert b["height"] == 1 and b["header"]["prev_block"] == "00" * 32
    assert sha256(bytes.fromhex(b["header"]["encoded"])).hex() == b["hash"] == b["commit"]["block"]
    assert call(a, "block", {"hash": b["hash"]})["height"] == 1
    assert call(a, "block", {"hash": "0x" + b["hash"].upper()})["height"] == 1
    b2 = call(a, "block", {"height": "2"})  # heights as decimal strings too
    assert b2["header"]["prev_block"] == b["hash"]
    assert "txs" not in b2
    e = call_error(a, "block", {"height": 0})
    assert e.code == NOT_FOUND and "start at 1" in e.message
    e = call_error(a, "block", {"height": 10**12})
    assert e.code == NOT_FOUND and e.data["height"] == 10**12 and e.data["latest"] >= tip, e.data
    e = call_error(a, "block", {"hash": "cd" * 32})
    assert e.code == NOT_FOUND and e.data == {"hash": "cd" * 32}
    check_invalid_param(call_error(a, "block", {"height": 1, "hash": b["hash"]}), "hash")
    check_invalid_param(call_error(a, "block", {"heigth": 1}), "heigth")
    check_invalid_param(call_error(a, "block", {"height": 1.5}), "height")
    check_invalid_param(call_error(a, "block", {"txs": 1}), "txs")


def test_mempool(a):
    m = call(a, "mempool")
    assert isinstance(m["txs"], int) and isinstance(m["bytes"], int) and len(m["hashes"]) <= m["txs"]
    assert call(a, "mempool", {"limit": 0})["hashes"] == []
    check_invalid_param(call_error(a, "mempool", {"limit": 10001}), "limit")


def test_wait_block(a):
    tip = call(a, "status")["height"]
    r = call(a, "wait_block", {"after_height": tip, "timeout_ms": 20000}, timeout=30)
    assert r["height"] == tip + 1 and r["header"]["height"] == tip + 1
    r = call(a, "wait_block", {"after_height": 0})  # already there: answered at once
    assert r["height"] == 1
    e = call_error(a, "wait_block", {"after_height": 10**12, "timeout_ms": 300})
    assert e.code == TIMEOUT, e.code
    check_invalid_param(call_error(a, "wait_block", {}), "after_height")
    check_invalid_param(call_error(a, "wait_block", {"after_height": 1, "timeout_ms": 300001}),
                        "timeout_ms")


def test_wait_tx(tn, a):
    e = call_error(a, "wait_tx", {"hash": "ef" * 32, "timeout_ms": 300})
    assert e.code == TIMEOUT
    t = signed_tx(tn, a, "acct3", tn.key_address("acct0"), 3)
    assert call(a, "submit_tx", {"tx": t["tx"]}) == {"hash": t["hash"]}
    check_tx_view(call(a, "wait_tx", {"hash": t["hash"], "timeout_ms": 20000}, timeout=30), t["hash"])
    check_invalid_param(call_error(a, "wait_tx", {"timeout_ms": 10}), "hash")


def oversize_post(addr, n):
    """Announces an n-byte body and sends only its start: the server refuses
    from the headers, and may close before a client could send it all (which
    makes a plain HTTP client see a broken pipe instead of the answer)."""
    host, port = addr.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(f"POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n"
                  f"Content-Length: {n}\r\nConnection: close\r\n\r\n".encode() + b"[" * 1024)
        reply = b""
        while chunk := s.recv(65536):
            reply += chunk
    head, _, body = reply.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


def test_transport_errors(a):
    status, body = post_raw(a, b"{not json")
    assert status == 200 and json.loads(body)["error"]["code"] == PARSE
    status, body = oversize_post(a, 2 << 20)
    assert status == 413 and json.loads(body)["error"]["code"] == TOO_LARGE, (status, body)
    status, body = post_raw(a, b'{"jsonrpc":"2.0","id":1,"method":"nope"}')
    err = json.loads(body)["error"]
    assert err["code"] == NO_METHOD and err["data"] == {"method": "nope"}
    status, body = post_raw(a, b'{"jsonrpc":"2.0","id":1,"method":"block","params":[1]}')
    assert json.loads(body)["error"]["code"] == INVALID_PARAMS
    status, body = post_raw(a, b'{"jsonrpc":"1.0","id":1,"method":"status"}')
    assert json.loads(body)["error"]["code"] == INVALID_REQUEST
    status, body = post_raw(a, b'{"jsonrpc":"2.0","id":1,"method":"status"}', content_type="text/plain")
    assert status == 415


def test_credit_by_id(a):
    """The credit lookups by id share one parameter check and one not-found answer."""
    unknown = "ab" * 16  # credit ids are 16 bytes
    for method, what in [("tally", "tally"), ("invoice", "invoice"), ("lift", "lift"),
                         ("xlift", "cross-chain lift segment"), ("tally_outbox", "tally")]:
        e = call_error(a, method, {"id": unknown})
        assert e.code == NOT_FOUND and e.message == f"no {what} with this id", (method, e.code, e.message)
        assert e.data["id"] == unknown, (method, e.data)
        check_invalid_param(call_error(a, method, {"id": "zz"}), "id")
        check_invalid_param(call_error(a, method, {"id": unknown[:-2]}), "id")
        # an unknown name is reported before a bad id: the first failing check wins
        e = call_error(a, method, {"id": "zz", "colour": 1})
        assert e.code == INVALID_PARAMS and "colour" in e.message, (method, e.message)


def main():
    with Testnet(validators=1) as tn:
        a = tn.addrs[0]
        call(a, "wait_block", {"after_height": 1, "timeout_ms": 20000}, timeout=30)
        for name, fn in [("status", lambda: test_status(a)), ("validators", lambda: test_validators(a)),
                         ("account", lambda: test_account(tn, a)),
                         ("submit errors", lambda: test_submit_errors(tn, a)),
                         ("submit batch + tx proofs", lambda: test_submit_batch_and_tx(tn, a)),
                         ("submit_txs", lambda: test_submit_txs(tn, a)),
                         ("submit wait", lambda: test_submit_wait(tn, a)),
                         ("tx errors", lambda: test_tx_errors(a)), ("block", lambda: test_block(a)),
                         ("mempool", lambda: test_mempool(a)), ("wait_block", lambda: test_wait_block(a)),
                         ("wait_tx", lambda: test_wait_tx(tn, a)),
                         ("transport errors", lambda: test_transport_errors(a)),
                         ("credit lookups by id", lambda: test_credit_by_id(a)),
                         ("submit_receipt refused", lambda: test_receipt_refused(tn, a))]:
            fn()
            print(f"ok {name}")
    print("all node API tests passed")


if __name__ == "__main__":
    main()
