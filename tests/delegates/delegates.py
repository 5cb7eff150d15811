"""delegates.py — what the delegate tests share, on top of tests/cluster/cluster.py:
a testnet whose genesis carries "elections" parameters and that may have full
nodes besides the genesis delegates (`hansa testnet up --full-nodes F
--elections JSON`), and the CLI and RPC views of candidates and delegates.

Every wait is a deadline on a condition (cluster.wait_for), never a sleep
that a check relies on. Python 3 standard library only.
"""
import json
import os
import signal
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "cluster"))
import cluster  # noqa: E402
from cluster import HANSA, CheckFailed, check, say, wait_for  # noqa: E402,F401


class DelegateNet(cluster.Testnet):
    """cluster.Testnet with full nodes and genesis election parameters."""

    def __init__(self, name, validators=4, full_nodes=0, elections=None, accounts=4, frost=False):
        super().__init__(name, validators=validators, accounts=accounts)
        self.full_nodes = full_nodes
        self.elections = elections or {}
        self.frost = frost  # every node runs the FROST key generation duty (--frost)

    def up(self, env=None):
        """testnet up (creates on first use; restarts stopped nodes after, with env)."""
        cmd = [HANSA, "testnet", "up", "--dir", self.dir, "--validators", str(self.validators),
               "--accounts", str(self.accounts), "--full-nodes", str(self.full_nodes),
               "--elections", json.dumps(self.elections)] + (["--frost"] if self.frost else [])
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=120,
                           env=dict(os.environ, **(env or {})))
        if r.returncode != 0:
            raise CheckFailed("testnet up failed: %s%s" % (r.stdout, r.stderr))

    def stop(self, i):
        """SIGTERM to node i, waiting until it is gone (a clean stop)."""
        pid = self.pid(i)
        check(pid > 0, "node%d runs before it is stopped" % i)
        os.kill(pid, signal.SIGTERM)
        wait_for(lambda: not cluster.hansad_pids(self.home(i)) and [True], 20, "node%d to stop" % i)

    # ---- keys and the CLI ----

    def node_key(self, i):
        return os.path.join(self.home(i), "node.key")

    def accounts_key(self):
        return os.path.join(self.dir, "accounts.key")

    def key_info(self, i):
        """{name, address, pubkey} of node i's key."""
        r = subprocess.run([HANSA, "key", "show", "node", "--keys", self.node_key(i), "--json"],
                           capture_output=True, text=True, timeout=30)
        check(r.returncode == 0, "key show of node%d (%s)" % (i, r.stderr.strip()))
        return json.loads(r.stdout)

    def cli(self, *args, node=0, expect=0):
        """Runs `hansa ARGS --node <node's rpc>`; checks the exit code; returns stdout."""
        cmd = [HANSA, *args, "--node", self.rpc_addr(node)]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=90)
        if r.returncode != expect:
            raise CheckFailed("%s exited %d (wanted %d): %s%s" %
                              (" ".join(args), r.returncode, expect, r.stdout, r.stderr))
        return r.stdout + r.stderr

    # ---- views ----

    def candidates(self, node=0):
        """pubkey -> candidate view (RPC `candidates`)."""
        return {c["pubkey"]: c for c in self.call(node, "candidates")["candidates"]}

    def delegates(self, node=0):
        return self.call(node, "delegates")

    def active(self, node=0):
        """Pubkeys of the set deciding the next height."""
        return {v["pubkey"] for v in self.delegates(node)["active"]}

    def commit_signers(self, node, height):
        """Pubkeys that signed the commit certificate of height (as node stores it)."""
        c = self.call(node, "block", {"height": height})["commit"]
        return {s["pubkey"] for s in c["signers"] if "pubkey" in s}


def main(test):
    cluster.main(test)
