"""hansa_testnet.py — helpers for the Python tests that run a real local network.

Starts `hansa testnet up` in a fresh temp dir with the built programs
($HANSA_BUILD_DIR), talks JSON-RPC to it with the standard library only, and
always takes the network down again (use `with Testnet(...) as tn:`), then
checks that no hansad of that dir is left running. Also holds an RFC 6962
verifier written from the RFC, independent of the C code under test.
"""
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request

BUILD = os.environ.get("HANSA_BUILD_DIR", os.path.join(os.path.dirname(__file__), "../../build/asan"))
HANSA = os.path.join(BUILD, "hansa")


def run_hansa(*args, env=None, cwd=None, timeout=60):
    """Runs the hansa CLI; returns (exit code, stdout, stderr)."""
    p = subprocess.run([HANSA, *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def hansad_pids(d):
    """Pids of hansad processes whose --home is under d."""
    pids = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if argv and argv[0].endswith(b"hansad") and any(a.startswith(d.encode()) for a in argv):
            try:
                with open(f"/proc/{pid}/stat") as f:
                    if f.read().split(") ")[1][0] == "Z":
                        continue  # a zombie has stopped; its parent reaps it
            except OSError:
                continue
            pids.append(int(pid))
    return pids


class RpcError(Exception):
    def __init__(self, error, http_status=200):
        super().__init__(f"{error.get('code')}: {error.get('message')}")
        self.code = error.get("code")
        self.message = error.get("message")
        self.data = error.get("data")
        self.http_status = http_status


def post_raw(addr, body, content_type="application/json", timeout=30):
    """POSTs body (bytes) to http://addr/; returns (http status, body bytes)."""
    req = urllib.request.Request(f"http://{addr}/", data=body, method="POST",
                                 headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def call(addr, method, params=None, timeout=30):
    """One JSON-RPC call; returns the result or raises RpcError."""
    req = {"jsonrpc": "2.0", "id": 1, "method": method}
    if params is not None:
        req["params"] = params
    status, body = post_raw(addr, json.dumps(req).encode(), timeout=timeout)
    reply = json.loads(body)
    assert reply.get("jsonrpc") == "2.0" and reply.get("id") == 1, reply
    if "error" in reply:
        raise RpcError(reply["error"], status)
    return reply["result"]


def call_error(addr, method, params=None, timeout=30):
    """A call that must fail; returns the RpcError."""
    try:
        result = call(addr, method, params, timeout)
    except RpcError as e:
        return e
    raise AssertionError(f"{method} {params} succeeded: {result}")


def sha256(b):
    return hashlib.sha256(b).digest()


def rfc6962_verify(leaf_data, index, size, path, root):
    """RFC 9162 section 2.1.3.2 (the RFC 6962 audit path check)."""
    if index >= size:
        return False
    fn, sn = index, size - 1
    r = sha256(b"\x00" + leaf_data)
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = sha256(b"\x01" + p + r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = sha256(b"\x01" + r + p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


class Testnet:
    """A local network in a temp dir, taken down on exit whatever happened."""

    def __init__(self, validators):
        self.validators = validators
        self.dir = tempfile.mkdtemp(prefix="hansa-pytest-")
        self.net = os.path.join(self.dir, "testnet")
        self.addrs = []

    def __enter__(self):
        code, out, err = run_hansa("testnet", "up", "--dir", self.net, "--validators",
                                   str(self.validators), "--accounts", "4")
        if code != 0:
            self._down()
            raise RuntimeError(f"testnet up failed ({code}): {out}{err}")
        for i in range(self.validators):
            with open(os.path.join(self.net, f"node{i}", "config.json")) as f:
                self.addrs.append(json.load(f)["rpc"])
        return self

    def _down(self):
        run_hansa("testnet", "down", "--dir", self.net)
        left = hansad_pids(self.net)
        return left

    def __exit__(self, exc_type, exc, tb):
        left = self._down()
        if exc_type is not None:
            for i in range(self.validators):
                log = os.path.join(self.net, f"node{i}", "hansad.log")
                if os.path.exists(log):
                    with open(log) as f:
                        tail = f.read()[-3000:]
                    sys.stderr.write(f"--- node{i} log tail ---\n{tail}\n")
        if os.environ.get("HANSA_KEEP_TESTNET"):
            sys.stderr.write(f"kept {self.dir} (HANSA_KEEP_TESTNET)\n")
        elif not left:
            shutil.rmtree(self.dir, ignore_errors=True)
        assert not left, f"hansad processes left running: {left}"
        return False

    def key_address(self, name):
        code, out, err = run_hansa("key", "show", name, "--keys", self.accounts_key(), "--json")
        assert code == 0, err
        return json.loads(out)["address"]

    def accounts_key(self):
        return os.path.join(self.net, "accounts.key")
