"""The JavaScript client (clients/js) against a live four-delegate network.

Runs clients/js's own tests with `node --test`: the unit tests (with the
body vectors of tests/clients/test_js_vectors.c), and live.test.js and
live_kinds.test.js (every tx family from kind 10 on) with HANSA_NODE and
HANSA_KEYS pointing at the network this test starts (and always stops). Node comes from Debian's packages
(scripts/deps); the library has no npm dependency, so nothing is installed.
"""
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "rpc"))
from hansa_testnet import Testnet  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def main():
    if not shutil.which("node"):
        print("SKIP: node is not installed (scripts/deps installs it)")
        return 77
    with Testnet(4) as tn:
        env = dict(os.environ, HANSA_NODE=f"http://{tn.addrs[0]}", HANSA_KEYS=tn.accounts_key())
        p = subprocess.run(["node", "--test", "--test-reporter=spec", "test/"], cwd=os.path.join(ROOT, "clients", "js"),
                           env=env, timeout=300)
        if p.returncode != 0:
            print("clients/js tests failed")
            return 1
    print("clients/js: unit and live tests passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
