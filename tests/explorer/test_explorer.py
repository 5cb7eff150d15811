"""The web explorer in a real browser (Debian's headless Chromium).

Starts a four-delegate network, drives transfers, then runs browse.mjs
(which also makes a tally, a lift and a claimed receipt with clients/js),
which opens every explorer page, checks what it shows against RPC answers,
saves screenshots under build/explorer-shots/, and fails on any page script
error. Exits 77 (skipped) only if Chromium or playwright-core genuinely
cannot be installed (scripts/deps installs Chromium; npm installs
playwright-core, pinned in package.json, into the git-ignored
tests/explorer/node_modules with --ignore-scripts: it downloads no browser).
"""
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "rpc"))
from hansa_testnet import BUILD, Testnet, run_hansa  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


def ensure_tools():
    """None when Chromium and playwright-core are there, else why not."""
    if not os.path.exists(CHROMIUM):
        return f"{CHROMIUM} is not installed (scripts/deps installs the chromium package)"
    if not shutil.which("node") or not shutil.which("npm"):
        return "node/npm are not installed"
    if not os.path.isdir(os.path.join(HERE, "node_modules", "playwright-core")):
        p = subprocess.run(["npm", "install", "--ignore-scripts", "--no-audit", "--no-fund"], cwd=HERE,
                           capture_output=True, text=True, timeout=300)
        if p.returncode != 0:
            return f"npm install playwright-core failed: {p.stderr[-500:]}"
    return None


def main():
    why = ensure_tools()
    if why:
        print(f"SKIP: {why}")
        return 77
    shots = os.path.join(ROOT, "build", "explorer-shots")
    with Testnet(4) as tn:
        for i in range(3):
            code, out, err = run_hansa("send", "--keys", tn.accounts_key(), "--from", f"acct{i + 1}",
                                       "--to", tn.key_address("acct0"), "--amount", str(100 + i),
                                       "--node", tn.addrs[0])
            assert code == 0, err
        env = dict(os.environ, HANSA_NODE=f"http://{tn.addrs[0]}", HANSA_KEYS=tn.accounts_key(), SHOTS=shots)
        p = subprocess.run(["node", os.path.join(HERE, "browse.mjs")], env=env, timeout=240)
    print(f"screenshots in {shots}")
    return p.returncode


if __name__ == "__main__":
    sys.exit(main())
