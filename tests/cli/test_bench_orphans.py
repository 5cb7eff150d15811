#!/usr/bin/env python3
"""test_bench_orphans.py — the hansad that `hansa bench` starts do not
outlive it. A bench killed mid-run (SIGKILL: no handler of its own runs)
once left its delegates running idle for 40 minutes, taking CPU from every
later measurement. The nodes ask the kernel for SIGTERM when their parent
dies (testnet_opts.die_with_parent); this kills a bench (and one of
`--chains 2`, whose two chains `hansa federation` starts) as soon as its
nodes are started and waits for every hansad of its folder to exit.

`hansa testnet up` is the opposite case: its nodes must keep running after
the command exits — checked first, on a one-node network.
"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

build = os.environ.get("HANSA_BUILD_DIR", "build/asan")
hansa = os.path.join(build, "hansa")
tmp = tempfile.mkdtemp(prefix="hansa-bench-orphans-")
started = []  # (pid, folder) of every hansad seen, killed at the end if still running


def running(pid, folder):
    """True if pid is a live (not zombie) hansad of folder."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            cmdline = f.read()
    except OSError:
        return False
    return state not in ("Z", "X") and folder.encode() in cmdline


def node_pids(folder, n, chains=None):
    """The live hansad pids of node0..n-1 of folder (of each of its chain
    folders for a federation), or None until all of them run."""
    homes = [os.path.join(folder, c, f"node{i}") for c in (chains or [""]) for i in range(n)]
    pids = []
    for home in homes:
        try:
            with open(os.path.join(home, "hansad.pid")) as f:
                pid = int(f.read().strip() or 0)
        except (OSError, ValueError):
            return None
        if not running(pid, folder):
            return None
        pids.append(pid)
    return pids


def wait_for(what, cond, limit_s):
    """Polls cond until it returns a true value; fails naming what after limit_s."""
    deadline = time.monotonic() + limit_s
    while True:
        value = cond()
        if value:
            return value
        assert time.monotonic() < deadline, f"{what}: not after {limit_s} s"
        time.sleep(0.1)


def testnet_up_keeps_nodes():
    net = os.path.join(tmp, "up")
    proc = subprocess.run([hansa, "testnet", "up", "--dir", net, "--validators", "1",
                           "--accounts", "2"], capture_output=True, text=True, timeout=30)
    print(proc.stdout + proc.stderr)
    assert proc.returncode == 0, f"hansa testnet up exited {proc.returncode}"
    pids = node_pids(net, 1)
    assert pids, f"the node of {net} does not run after `testnet up` exited"
    started.extend((p, net) for p in pids)
    # The CLI has exited; the node must still answer a second later too.
    time.sleep(1)
    assert node_pids(net, 1) == pids, f"the node of {net} died after `testnet up` exited"
    down = subprocess.run([hansa, "testnet", "down", "--dir", net], capture_output=True, text=True,
                          timeout=30)
    assert down.returncode == 0, down.stdout + down.stderr


def killed_bench_takes_nodes(name, args, nodes, chains=None):
    """Starts `hansa bench ARGS --dir D`, SIGKILLs it once its nodes run and
    waits for every hansad of D to exit."""
    net = os.path.join(tmp, name)
    log = open(os.path.join(tmp, name + ".log"), "w")
    bench = subprocess.Popen([hansa, "bench", *args, "--dir", net], stdout=log,
                             stderr=subprocess.STDOUT)
    try:
        # SIGKILL the moment all nodes have pids: the bench may still be
        # waiting for them to answer, the window where a node that had not
        # yet asked for its parent-death signal would be missed.
        pids = wait_for(f"{name}: the bench's {nodes} nodes started",
                        lambda: bench.poll() is not None or node_pids(net, nodes, chains), 40)
        assert bench.poll() is None, f"{name}: hansa bench exited {bench.returncode} before its nodes ran"
        started.extend((p, net) for p in pids)
        bench.send_signal(signal.SIGKILL)
        bench.wait()
        # Bounded wait, not a timing figure: a node shuts down in well
        # under a second; 15 s only keeps a broken build from hanging. The
        # waits of both cases fit within ctest's 180 s for a Python test,
        # so that the finally below always runs.
        wait_for(f"{name}: hansad {pids} of {net} exit after their bench was killed",
                 lambda: not any(running(p, net) for p in pids), 15)
    except AssertionError:
        log.flush()
        with open(os.path.join(tmp, name + ".log")) as f:
            print(f.read())
        raise
    finally:
        if bench.poll() is None:
            bench.kill()
            bench.wait()
        log.close()


try:
    testnet_up_keeps_nodes()
    print("ok testnet up keeps its node")
    killed_bench_takes_nodes("bench", ["--validators", "2", "--duration", "120", "--accounts", "8",
                                       "--no-block", "--no-half"], 2)
    print("ok a killed bench takes its nodes")
    # --chains 2: a federation of two chains, started through federation_run.
    killed_bench_takes_nodes("chains", ["--chains", "2", "--validators", "1", "--duration", "120"],
                             1, ["chain-fed1", "chain-fed2"])
    print("ok a killed bench --chains 2 takes its nodes")
finally:
    for pid, folder in started:
        if running(pid, folder):
            os.kill(pid, signal.SIGKILL)
    shutil.rmtree(tmp, ignore_errors=True)
    sys.stdout.flush()
