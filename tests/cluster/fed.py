"""fed.py — what the light-client tests share, on top of cluster.py: a
federation of local chains (`hansa federation up`) in a fresh temp dir, each
chain a testnet folder DIR/chain-<id>/, with RPC and CLI helpers per chain.

As a context manager it always stops every node (federation down, then
SIGKILL of anything left under the temp dir) and checks none remains.
Python 3 standard library only.
"""
import json
import os
import shutil
import signal
import subprocess
import tempfile

from cluster import (HANSA, CheckFailed, RpcError, check, exited, hansad_pids, rpc, say,  # noqa: F401
                     wait_for)

CHAIN_BASE = 0xfed1


class Federation:
    def __init__(self, name, chains=2, validators=4, full_nodes=0, elections=None):
        self.tmp = tempfile.mkdtemp(prefix="hansa-%s-" % name)
        self.dir = os.path.join(self.tmp, "fed")
        self.chains, self.validators, self.full_nodes = chains, validators, full_nodes
        self.elections = elections
        self.keep = os.environ.get("HANSA_KEEP_TMP") == "1"
        self.extra_up = []  # more `federation up` options

    def __enter__(self):
        say("federation in %s" % self.dir)
        cmd = [HANSA, "federation", "up", "--dir", self.dir, "--chains", str(self.chains),
               "--validators", str(self.validators), "--full-nodes", str(self.full_nodes)]
        if self.elections:
            cmd += ["--elections", json.dumps(self.elections)]
        cmd += self.extra_up
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
        if r.returncode != 0:
            self.__exit__(CheckFailed, None, None)
            raise CheckFailed("federation up failed: %s%s" % (r.stdout, r.stderr))
        return self

    def restart(self):
        """federation up on the existing folder: starts every stopped node."""
        r = subprocess.run([HANSA, "federation", "up", "--dir", self.dir], capture_output=True, text=True,
                           timeout=180)
        if r.returncode != 0:
            raise CheckFailed("federation up (restart) failed: %s%s" % (r.stdout, r.stderr))

    def kill9(self, k, i):
        pid = self.pid(k, i)
        check(pid > 0, "chain %s node%d runs before kill -9" % (self.chain_id(k), i))
        os.kill(pid, signal.SIGKILL)
        wait_for(lambda: exited(pid) and [True], 20, "chain %s node%d to die" % (self.chain_id(k), i))

    def __exit__(self, exc_type, exc, tb):
        failed = exc_type is not None
        try:
            subprocess.run([HANSA, "federation", "down", "--dir", self.dir], capture_output=True, timeout=120)
            for pid in hansad_pids(self.tmp):
                say("killing leftover hansad %d" % pid)
                os.kill(pid, signal.SIGKILL)
            wait_for(lambda: not hansad_pids(self.tmp) and [True], 10, "processes to exit")
            check(not hansad_pids(self.tmp), "no hansad of %s remains" % self.tmp)
        finally:
            if failed:
                self.dump_logs()
                say("kept %s for inspection" % self.tmp)
            elif not self.keep:
                shutil.rmtree(self.tmp, ignore_errors=True)
        return False

    def dump_logs(self, lines=30):
        for k in range(self.chains):
            for i in range(self.validators + self.full_nodes):
                path = os.path.join(self.home(k, i), "hansad.log")
                if os.path.exists(path):
                    with open(path, errors="replace") as f:
                        tail = f.readlines()[-lines:]
                    say("---- tail of %s ----\n%s" % (path, "".join(tail)))

    # ---- layout ----

    def chain_id(self, k):
        return "%x" % (CHAIN_BASE + k)

    def home(self, k, i):
        return os.path.join(self.dir, "chain-%s" % self.chain_id(k), "node%d" % i)

    def node_key(self, k, i):
        return os.path.join(self.home(k, i), "node.key")

    def rpc_addr(self, k, i):
        with open(os.path.join(self.home(k, i), "config.json")) as f:
            return json.load(f)["rpc"]

    def pid(self, k, i):
        pids = hansad_pids(self.home(k, i))
        return pids[0] if pids else 0

    # ---- RPC ----

    def call(self, k, i, method, params=None, timeout_s=5.0):
        return rpc(self.rpc_addr(k, i), method, params, timeout_s)

    def height(self, k, i=0):
        try:
            return self.call(k, i, "status", timeout_s=3.0)["height"]
        except (OSError, RpcError):
            return -1

    def client(self, k, other, i=0):
        """Chain k's view of its light client of chain `other` (None if unreachable)."""
        try:
            return self.call(k, i, "client", {"chain_id": self.chain_id(other)})
        except (OSError, RpcError):
            return None

    def trusted(self, k, other, i=0):
        c = self.client(k, other, i)
        return c["trusted_height"] if c else -1

    def accounts_key(self, k):
        """Chain k's key file of its genesis accounts (acct0, acct1, ...)."""
        return os.path.join(self.dir, "chain-%s" % self.chain_id(k), "accounts.key")

    def key_info(self, k, i):
        return self._key_show("node", self.node_key(k, i), "chain %s node%d" % (self.chain_id(k), i))

    def account_info(self, k, name):
        """`hansa key show NAME --json` of chain k's account NAME (address, pubkey...)."""
        return self._key_show(name, self.accounts_key(k), "%s on chain %s" % (name, self.chain_id(k)))

    def _key_show(self, name, keyfile, what):
        r = subprocess.run([HANSA, "key", "show", name, "--keys", keyfile, "--json"],
                           capture_output=True, text=True, timeout=30)
        check(r.returncode == 0, "key show of %s" % what)
        return json.loads(r.stdout)

    # ---- the CLI ----

    def cli(self, *args, k=0, i=0, expect=0):
        """`hansa ARGS --node <chain k node i>`; checks the exit code; returns stdout + stderr."""
        cmd = [HANSA, *args, "--node", self.rpc_addr(k, i)]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        out = r.stdout + r.stderr
        if r.returncode != expect:
            raise CheckFailed("hansa %s exited %d (wanted %d): %s" % (" ".join(args), r.returncode, expect, out))
        return out
