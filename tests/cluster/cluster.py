"""cluster.py — what the multi-process tests share: start and stop a hansa
testnet in a fresh temp dir, talk JSON-RPC to its nodes, run `hansa load`,
read the node logs, and make sure no process outlives a test.

Python 3 standard library only. Every test is one script that exits 0 on
success, 1 on a failed check and 77 when it skips (ctest: SKIP_RETURN_CODE);
each prints what it checks as it goes.

The binaries come from $HANSA_BUILD_DIR (ctest sets it; default build/asan).
Under ASan a node is a few times slower than a release build, so every wait
below is a deadline on a condition, never a fixed sleep that a check relies on.
"""

import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD = os.environ.get("HANSA_BUILD_DIR") or os.path.join(HERE, "..", "..", "build", "asan")
HANSA = os.path.join(BUILD, "hansa")
HANSAD = os.path.join(BUILD, "hansad")
SKIP = 77


class CheckFailed(Exception):
    pass


def say(msg):
    print(msg, flush=True)


def check(cond, what):
    """Asserts cond and prints the check either way."""
    if not cond:
        say("FAIL: " + what)
        raise CheckFailed(what)
    say("ok: " + what)


def seed_from_env():
    """A seed for the test's random choices: $HANSA_SEED replays one."""
    seed = int(os.environ.get("HANSA_SEED") or random.SystemRandom().randrange(1 << 32))
    say("seed %d (HANSA_SEED=%d replays)" % (seed, seed))
    return random.Random(seed)


def wait_for(cond, timeout_s, what, period_s=0.2):
    """Polls cond() until it returns a true value (returned) or the deadline."""
    deadline = time.monotonic() + timeout_s
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() > deadline:
            raise CheckFailed("timed out after %.0f s waiting for %s" % (timeout_s, what))
        time.sleep(period_s)


class RpcError(Exception):
    def __init__(self, code, message, data):
        super().__init__("%s (%s)" % (message, code))
        self.code, self.data = code, data


def rpc(addr, method, params=None, timeout_s=5.0):
    """One JSON-RPC call to "ip:port"; returns the result or raises RpcError
    (node answered an error) or OSError (node unreachable)."""
    host, port = addr.rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=timeout_s)
    try:
        body = {"jsonrpc": "2.0", "id": 1, "method": method}
        if params is not None:
            body["params"] = params
        conn.request("POST", "/", json.dumps(body), {"Content-Type": "application/json"})
        reply = json.loads(conn.getresponse().read())
    except (http.client.HTTPException, ValueError) as e:
        raise OSError("rpc %s to %s: %s" % (method, addr, e))
    finally:
        conn.close()
    if "error" in reply:
        e = reply["error"]
        raise RpcError(e.get("code"), e.get("message"), e.get("data"))
    return reply["result"]


def hansad_pids(home_prefix):
    """Pids of every hansad whose --home lies under home_prefix (from /proc)."""
    pids = []
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % p, "rb") as f:
                argv = f.read().split(b"\0")
            with open("/proc/%s/stat" % p) as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state in ("Z", "X") or not argv or not argv[0].endswith(b"hansad"):
            continue
        for i, a in enumerate(argv[:-1]):
            if a == b"--home" and argv[i + 1].decode(errors="replace").startswith(home_prefix):
                pids.append(int(p))
    return pids


def exited(pid):
    """True once pid has released everything it held: gone or a zombie. Its
    cmdline reads empty earlier, as soon as its memory is freed, while its
    files (the store's lock) are still open: hansad_pids stops listing it
    before another process may open its store."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except OSError:
        return True


def free_port():
    """A loopback port nothing uses now (the caller binds it soon after), below
    the kernel's ephemeral range like `hansa testnet`'s: a port in that range
    can be taken by an outgoing connection while its node is down."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low = int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768
    for _ in range(1000):
        port = random.randrange(10000, max(low, 10001))
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", port))
            return port
        except OSError:
            continue
        finally:
            s.close()
    raise CheckFailed("no free port below %d" % low)


class Testnet:
    """A 4-delegate testnet in a fresh temp dir. Use as a context manager:
    it always stops every node (testnet down, then SIGKILL of anything left
    under the dir) and checks that no process of the dir remains."""

    def __init__(self, name, validators=4, accounts=16, keep=False, up_args=()):
        self.up_args = list(up_args)  # more `testnet up` options, e.g. --checkpoint-blocks
        self.tmp = tempfile.mkdtemp(prefix="hansa-%s-" % name)
        self.dir = os.path.join(self.tmp, "net")
        self.validators, self.accounts = validators, accounts
        self.keep = keep or os.environ.get("HANSA_KEEP_TMP") == "1"
        self.loads = []
        self.extra = []  # Popen of processes a test started itself

    # ---- lifecycle ----

    def __enter__(self):
        say("testnet in %s" % self.dir)
        self.up()
        return self

    def __exit__(self, exc_type, exc, tb):
        failed = exc_type is not None
        try:
            self.stop_all()
        finally:
            if failed:
                self.dump_logs()
            if not self.keep and not failed:
                shutil.rmtree(self.tmp, ignore_errors=True)
            elif failed:
                say("kept %s for inspection" % self.tmp)
        return False

    def up(self):
        """testnet up: creates the network on first use, restarts stopped nodes after."""
        cmd = [HANSA, "testnet", "up", "--dir", self.dir, "--validators", str(self.validators),
               "--accounts", str(self.accounts)] + self.up_args
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            raise CheckFailed("testnet up failed: %s%s" % (r.stdout, r.stderr))

    def stop_all(self):
        for p in self.loads + self.extra:
            if p.poll() is None:
                p.kill()
            p.wait()
        subprocess.run([HANSA, "testnet", "down", "--dir", self.dir], capture_output=True, timeout=60)
        for pid in hansad_pids(self.tmp):
            say("killing leftover hansad %d" % pid)
            os.kill(pid, signal.SIGKILL)
        left = wait_for(lambda: not hansad_pids(self.tmp) and [True], 10, "processes to exit")
        check(left and not hansad_pids(self.tmp), "no hansad of %s remains" % self.tmp)

    def dump_logs(self, lines=40):
        for i in range(self.size()):
            path = self.log_path(i)
            if os.path.exists(path):
                with open(path, errors="replace") as f:
                    tail = f.readlines()[-lines:]
                say("---- tail of %s ----\n%s" % (path, "".join(tail)))

    # ---- layout ----

    def size(self):
        n = 0
        while os.path.exists(os.path.join(self.dir, "node%d" % n, "config.json")):
            n += 1
        return n

    def home(self, i):
        return os.path.join(self.dir, "node%d" % i)

    def config(self, i):
        with open(os.path.join(self.home(i), "config.json")) as f:
            return json.load(f)

    def rpc_addr(self, i):
        return self.config(i)["rpc"]

    def listen_addr(self, i):
        return self.config(i)["listen"]

    def log_path(self, i):
        return os.path.join(self.home(i), "hansad.log")

    def full_node_home(self, name, acct, peers=None):
        """A full node's home in tmp/name, not started: the testnet's genesis,
        the key of account acct (no delegate's), its own ports, node0's config
        without pruning, the delegates (or the nodes in peers) as peers.
        Returns (home, config)."""
        home = os.path.join(self.tmp, name)
        os.makedirs(home)
        shutil.copy(os.path.join(self.home(0), "genesis.json"), os.path.join(home, "genesis.json"))
        key = os.path.join(home, "node.key")
        shutil.copy(os.path.join(self.dir, "accounts.key"), key)
        os.chmod(key, 0o600)
        cfg = self.config(0)
        cfg.pop("prune", None)
        cfg["listen"] = "127.0.0.1:%d" % free_port()
        cfg["rpc"] = "127.0.0.1:%d" % free_port()
        cfg["peers"] = [self.listen_addr(i) for i in (range(self.size()) if peers is None else peers)]
        cfg["key"] = "acct%d" % acct
        with open(os.path.join(home, "config.json"), "w") as f:
            json.dump(cfg, f, indent=2)
        return home, cfg

    def pid(self, i):
        try:
            with open(os.path.join(self.home(i), "hansad.pid")) as f:
                pid = int(f.read().strip())
        except (OSError, ValueError):
            return 0
        return pid if pid in hansad_pids(self.home(i)) else 0

    def accounts_addresses(self):
        """Addresses of the funded accounts, from DIR/accounts.key (key NAME SEED PUB ADDR)."""
        out = []
        with open(os.path.join(self.dir, "accounts.key")) as f:
            for line in f:
                parts = line.split()
                if len(parts) == 5 and parts[0] == "key":
                    out.append(parts[4])
        return out

    # ---- RPC views ----

    def call(self, i, method, params=None, timeout_s=5.0):
        return rpc(self.rpc_addr(i), method, params, timeout_s)

    def status(self, i):
        """status of node i, or None if it does not answer."""
        try:
            return self.call(i, "status", timeout_s=3.0)
        except (OSError, RpcError):
            return None

    def height(self, i):
        s = self.status(i)
        return s["height"] if s else -1

    def heights(self, nodes=None):
        return [self.height(i) for i in (nodes if nodes is not None else range(self.size()))]

    def block_hash(self, i, h):
        """(block hash, app hash) of node i at height h, or None if it has no such block."""
        try:
            r = self.call(i, "block", {"height": h})
        except RpcError:
            return None
        return (r["hash"], r["header"]["app_hash"])

    def chain(self, i, lo, hi):
        """[(hash, app_hash)] of node i for heights lo..hi."""
        return [self.block_hash(i, h) for h in range(lo, hi + 1)]

    def nonce(self, i, addr):
        return int(self.call(i, "account", {"address": addr})["nonce"])

    def wait_heights(self, nodes, target, timeout_s):
        return wait_for(lambda: min(self.heights(nodes)) >= target and self.heights(nodes), timeout_s,
                        "nodes %s to reach height %d" % (list(nodes), target))

    # ---- logs ----

    def log_text(self, i):
        with open(self.log_path(i), errors="replace") as f:
            return f.read()

    def logged_heights(self, i):
        """Heights node i logged as committed, in order ("committed height=N")."""
        return [int(m) for m in re.findall(r"committed height=(\d+)", self.log_text(i))]

    # ---- processes ----

    def kill9(self, i):
        pid = self.pid(i)
        check(pid > 0, "node%d runs (pid %d) before kill -9" % (i, pid))
        os.kill(pid, signal.SIGKILL)
        wait_for(lambda: exited(pid) and [True], 10, "node%d to die" % i)

    def start_load(self, rate=50, duration=10, accounts=8, extra=()):
        """Starts `hansa load` in the background; its stdout is JSON (see load_result)."""
        cmd = [HANSA, "load", "--dir", self.dir, "--rate", str(rate), "--duration", str(duration),
               "--accounts", str(accounts), "--json", "--quiet"] + list(extra)
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.loads.append(p)
        return p

    def finish_load(self, p, timeout_s=120):
        out, err = p.communicate(timeout=timeout_s)
        if p.returncode != 0:
            raise CheckFailed("hansa load failed (%d): %s" % (p.returncode, err))
        r = json.loads(out.strip().splitlines()[-1])
        say("load: %s" % json.dumps(r, sort_keys=True))
        return r


def compare_chains(net, nodes, lo, hi):
    """Checks that every node in nodes has the same block and app hash at every
    height lo..hi; returns node 0's chain."""
    ref = net.chain(nodes[0], lo, hi)
    check(all(x is not None for x in ref), "node%d has every block %d..%d" % (nodes[0], lo, hi))
    for i in nodes[1:]:
        got = net.chain(i, lo, hi)
        bad = [lo + k for k in range(len(ref)) if got[k] != ref[k]]
        check(not bad, "node%d and node%d agree on block and app hash at heights %d..%d%s" %
              (nodes[0], i, lo, hi, "" if not bad else " (differ at %s)" % bad[:5]))
    return ref


def main(test):
    """Runs test() and exits with ctest's convention."""
    t0 = time.monotonic()
    try:
        rc = test()
    except CheckFailed as e:
        say("FAILED: %s (%.0f s)" % (e, time.monotonic() - t0))
        sys.exit(1)
    if rc == SKIP:
        sys.exit(SKIP)
    say("PASSED (%.0f s)" % (time.monotonic() - t0))
    sys.exit(0)
