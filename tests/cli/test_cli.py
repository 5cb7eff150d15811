#!/usr/bin/env python3
"""test_cli.py — the `hansa` user commands end to end against a live
four-delegate network: create a key, fund it from a testnet account, send
from it, and check balances, the verified tx, the block and the status,
in human and --json form; then the failures and their exit codes,
including a node that lies about a transaction (a proxy that tampers with
the `tx` answer), which `hansa tx` must catch.
"""
import http.server
import json
import os
import stat
import sys
import threading
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "rpc"))
from hansa_testnet import Testnet, call, run_hansa  # noqa: E402

OK, FAILED, USAGE, UNREACHABLE = 0, 1, 2, 3


def hansa_ok(*args, env=None, cwd=None):
    code, out, err = run_hansa(*args, env=env, cwd=cwd)
    assert code == OK, f"hansa {' '.join(args)} exited {code}:\n{out}\n{err}"
    return out, err


def hansa_fails(want, *args, env=None, cwd=None):
    code, out, err = run_hansa(*args, env=env, cwd=cwd)
    assert code == want, f"hansa {' '.join(args)} exited {code}, expected {want}:\n{out}\n{err}"
    return out, err


class TamperingProxy:
    """Forwards JSON-RPC to a node, changing `tx` results with tamper()."""

    def __init__(self, upstream, tamper):
        self.upstream, self.tamper = upstream, tamper
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                req = urllib.request.Request(f"http://{proxy.upstream}/", data=body,
                                             headers={"Content-Type": "application/json"})
                with urllib.request.urlopen(req, timeout=30) as r:
                    reply = json.loads(r.read())
                if json.loads(body).get("method") == "tx" and "result" in reply:
                    proxy.tamper(reply["result"])
                out = json.dumps(reply).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(out)

            def log_message(self, *args):
                pass

        self.server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self.addr = f"127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def flip_hex(s, at):
    b = bytearray.fromhex(s)
    b[at] ^= 1
    return b.hex()


def test_flow(tn, env):
    n0, n1 = tn.addrs[0], tn.addrs[1]
    home_keys = os.path.join(env["HOME"], ".hansa", "keys")
    # Keys: the default file is created 0600 in a 0700 ~/.hansa.
    out, _ = hansa_ok("key", "new", "alice", env=env)
    assert "created key alice" in out and "e2e4x" in out
    assert stat.S_IMODE(os.stat(home_keys).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(os.path.dirname(home_keys)).st_mode) == 0o700
    hansa_ok("key", "new", "bob", env=env)
    alice = json.loads(hansa_ok("key", "show", "alice", "--json", env=env)[0])
    listed = json.loads(hansa_ok("key", "list", "--json", env=env)[0])
    assert [k["name"] for k in listed] == ["alice", "bob"] and listed[0] == alice
    out, _ = hansa_ok("key", "list", env=env)
    assert alice["address"] in out
    hansa_fails(USAGE, "key", "new", "alice", env=env)  # the name is taken
    assert "seed" not in hansa_ok("key", "show", "alice", env=env)[0]

    # Fund alice from a testnet account, through node0.
    out, err = hansa_ok("send", "--keys", tn.accounts_key(), "--from", "acct0", "--to", alice["address"],
                        "--amount", "1000000", "--node", n0, env=env)
    assert out.startswith("committed ") and "height" in out, out
    assert "to be admitted and committed" in err  # stderr is not a TTY: a plain line
    acct = json.loads(hansa_ok("account", alice["address"], "--json", "--node", n0, env=env)[0])
    assert acct == {"address": alice["address"], "balance": "1000000", "nonce": "0"}, acct
    out, _ = hansa_ok("account", "alice", "--node", n0, env=env)  # by key name
    assert "balance  1000000" in out

    # Alice pays acct1 through node1, --json.
    acct1 = tn.key_address("acct1")
    sent = json.loads(hansa_ok("send", "--from", "alice", "--to", acct1, "--amount", "2500", "--fee", "3",
                               "--node", n1, "--json", env=env)[0])
    assert set(sent) == {"hash", "height", "index"} and len(sent["hash"]) == 64
    acct = json.loads(hansa_ok("account", "alice", "--json", "--node", n1, env=env)[0])
    assert acct["balance"] == str(1000000 - 2500 - 3) and acct["nonce"] == "1", acct

    # The tx, verified locally: every check passes and says what it checked.
    out, _ = hansa_ok("tx", sent["hash"], "--node", n0, env=env)
    assert out.count("[ ok ]") == 5 and "FAIL" not in out, out
    assert "Merkle inclusion proof" in out and "amount      2500" in out, out
    assert "power 30 of 40" in out or "power 40 of 40" in out, out  # > 2/3 of 4 x 10
    out, err = hansa_ok("tx", sent["hash"], "--json", "--node", n0, env=env)
    r = json.loads(out)
    assert r["hash"] == sent["hash"] and r["height"] == sent["height"] and r["tx"]["to"] == acct1
    assert err.count("[ ok ]") == 5

    # The block holds it, by height and by hash.
    out, _ = hansa_ok("block", str(sent["height"]), "--node", n0, env=env)
    assert sent["hash"] in out and f"block {sent['height']}" in out
    b = json.loads(hansa_ok("block", str(sent["height"]), "--json", "--txs", "--node", n0, env=env)[0])
    assert b["tx_hashes"][sent["index"]] == sent["hash"] and len(b["txs"]) == len(b["tx_hashes"])
    assert json.loads(hansa_ok("block", b["hash"], "--json", "--node", n0, env=env)[0])["height"] == b["height"]

    st = json.loads(hansa_ok("status", "--json", "--node", n0, env=env)[0])
    assert st["chain_id"] == "e2e4" and st["is_delegate"] is True and st["peers"] == 3
    out, _ = hansa_ok("status", "--node", n0, env=env)
    assert "delegate" in out and "chain       e2e4" in out

    # --no-wait returns the hash at once; the tx commits anyway.
    nw = json.loads(hansa_ok("send", "--from", "alice", "--to", acct1, "--amount", "7", "--node", n0,
                             "--no-wait", "--json", env=env)[0])
    assert set(nw) == {"hash"}
    call(n0, "wait_tx", {"hash": nw["hash"], "timeout_ms": 20000}, timeout=30)
    hansa_ok("tx", nw["hash"], "--node", n1, env=env)
    return sent


def test_node_address(tn, env, sent):
    """--node beats HANSA_NODE beats ./testnet beats 127.0.0.1:26657."""
    e = dict(env, HANSA_NODE=tn.addrs[2])
    hansa_ok("tx", sent["hash"], env=e)
    hansa_ok("status", env=env, cwd=tn.dir)  # finds ./testnet/node0
    hansa_fails(UNREACHABLE, "status", "--node", "127.0.0.1:1", env=e)


def test_failures(tn, env, sent):
    n0 = tn.addrs[0]
    acct1 = tn.key_address("acct1")
    _, err = hansa_fails(UNREACHABLE, "account", acct1, "--node", "127.0.0.1:1", env=env)
    assert "cannot connect to 127.0.0.1:1" in err and "hansa testnet up" in err, err
    _, err = hansa_fails(USAGE, "send", "--from", "nobody", "--to", acct1, "--amount", "1", "--node", n0,
                         env=env)
    assert "no key named nobody" in err
    bad = acct1[:5] + acct1[5:].swapcase()
    _, err = hansa_fails(USAGE, "send", "--from", "alice", "--to", bad, "--amount", "1", "--node", n0,
                         env=env)
    assert "--to" in err and "checksum" in err, err
    hansa_fails(USAGE, "send", "--from", "alice", "--to", acct1, "--amount", "-5", "--node", n0, env=env)
    hansa_fails(USAGE, "send", "--from", "alice", "--to", acct1, env=env)
    _, err = hansa_fails(FAILED, "send", "--from", "bob", "--to", acct1, "--amount", "1", "--node", n0,
                         env=env)
    assert "transaction rejected" in err and "balance 0" in err, err
    _, err = hansa_fails(FAILED, "tx", "ab" * 32, "--node", n0, env=env)
    assert "no committed transaction" in err
    hansa_fails(USAGE, "tx", "abc", env=env)
    hansa_fails(FAILED, "block", "999999999", "--node", n0, env=env)
    hansa_fails(USAGE, "block", "tall", env=env)
    hansa_fails(USAGE, "key", "frobnicate", env=env)
    hansa_fails(USAGE, "account", env=env)
    _, err = hansa_fails(USAGE, "key", "list", "--keys", os.path.join(env["HOME"], "none"), env=env)
    assert "hansa key new" in err


def test_lying_node(tn, env, sent):
    """A node that alters the header, a signature or the tx is caught."""
    tampers = {
        "header": lambda r: r["header"].update(encoded=flip_hex(r["header"]["encoded"], 80)),
        "commit signature": lambda r: r["commit"].update(encoded=flip_hex(r["commit"]["encoded"], -3)),
        "tx bytes": lambda r: r["tx"].update(encoded=flip_hex(r["tx"]["encoded"], 60)),
        "proof index": lambda r: r.update(index=r["index"] + 1),
    }
    for what, fn in tampers.items():
        proxy = TamperingProxy(tn.addrs[0], fn)
        try:
            out, _ = hansa_fails(FAILED, "tx", sent["hash"], "--node", proxy.addr, env=env)
        finally:
            proxy.close()
        assert "[FAIL]" in out and "VERIFICATION FAILED" in out, (what, out)
        print(f"  caught a tampered {what}")


def main():
    with Testnet(validators=4) as tn:
        env = dict(os.environ, HOME=os.path.join(tn.dir, "home"))
        env.pop("HANSA_NODE", None)
        os.mkdir(env["HOME"])
        call(tn.addrs[0], "wait_block", {"after_height": 1, "timeout_ms": 30000}, timeout=40)
        sent = test_flow(tn, env)
        print("ok key, send, account, tx, block, status")
        test_node_address(tn, env, sent)
        print("ok node address resolution")
        test_failures(tn, env, sent)
        print("ok failures and exit codes")
        test_lying_node(tn, env, sent)
        print("ok tampered answers fail verification")
    print("all CLI tests passed")


if __name__ == "__main__":
    main()
