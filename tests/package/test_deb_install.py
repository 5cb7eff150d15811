"""The Debian package installs and runs as a service in a clean Debian 12 root.

Builds the package (scripts/package-deb), takes a clean bookworm root
(scripts/debian-root: debootstrap once, cached under build/),
unpacks a fresh copy, and in a private network and mount namespace runs
inside.sh in it: dpkg -i, then what systemd would do for hansad@main
(StateDirectory, ExecStartPre, ExecStart as the unit's user and umask, read
from the installed unit file), a genesis written with `hansa genesis`, and
checks over RPC that the node commits blocks, takes a transfer and serves
the explorer. systemd does not run in a chroot, so the unit itself is
checked with `systemd-analyze verify` against the installed root.

Needs root (chroot, namespaces, debootstrap); otherwise exits 77 (skipped).
"""
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))


def run(cmd, **kw):
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, **kw)


def main():
    if os.geteuid() != 0:
        print("SKIP: needs root (chroot, debootstrap)")
        return 77
    for tool in ["debootstrap", "unshare", "dpkg-deb", "chroot"]:
        if not shutil.which(tool):
            print(f"SKIP: {tool} is not installed (scripts/deps installs debootstrap)")
            return 77
    p = run(["scripts/package-deb"], timeout=900)
    if p.returncode != 0:
        print(p.stdout, p.stderr)
        return 1
    deb = p.stdout.strip().splitlines()[-1]
    # The man pages (generated from docs/) render without a troff warning.
    if shutil.which("groff"):
        for page in ["usr/share/man/man1/hansa.1.gz", "usr/share/man/man8/hansad.8.gz"]:
            src = subprocess.run(["zcat", os.path.join(ROOT, "build", "deb", "root", page)], capture_output=True).stdout
            g = subprocess.run(["groff", "-man", "-ww", "-z"], input=src, capture_output=True)
            if g.returncode != 0 or g.stderr:
                print(f"{page}: groff says: {g.stderr.decode()[:500]}")
                return 1
        print("man pages: hansa(1) and hansad(8) render without warnings")
    deps = run(["dpkg-deb", "-f", deb, "Depends"]).stdout.strip()
    libs = [d.strip().split(" ")[0] for d in deps.split(",") if d.strip() and d.strip() != "passwd"]
    p = run(["scripts/debian-root", *libs], timeout=1200)
    if p.returncode == 77:
        print("SKIP:", p.stderr.strip())
        return 77
    if p.returncode != 0:
        print(p.stdout, p.stderr)
        return 1
    tarball = p.stdout.strip().splitlines()[-1]
    root = os.path.join(ROOT, "build", "deb-install-root")
    shutil.rmtree(root, ignore_errors=True)
    os.makedirs(root)
    subprocess.run(["tar", "-C", root, "-xf", os.path.join(ROOT, tarball)], check=True)
    shutil.copy(os.path.join(ROOT, deb), os.path.join(root, "tmp", "hansa.deb"))
    shutil.copy(os.path.join(HERE, "inside.sh"), os.path.join(root, "tmp", "inside.sh"))
    print(f"package {deb} ({deps}); clean root from {tarball}")
    try:
        p = subprocess.run(["unshare", "--net", "--mount", "--pid", "--fork", "sh", "-c",
                            f"mount -t proc proc '{root}/proc' && ip link set lo up && "
                            f"chroot '{root}' /bin/bash /tmp/inside.sh"],
                           capture_output=True, text=True, timeout=300)
        print(p.stdout)
        if p.returncode != 0 or "RESULT ok" not in p.stdout:
            print(p.stderr)
            print("the package did not install and run")
            return 1
        analyze = shutil.which("systemd-analyze")
        if analyze:
            unit_dir = os.path.join(root, "lib", "systemd", "system")
            shutil.copy(os.path.join(unit_dir, "hansad@.service"), os.path.join(unit_dir, "hansad@main.service"))
            v = subprocess.run([analyze, "verify", f"--root={root}", "--man=no", "hansad@main.service"],
                               capture_output=True, text=True, timeout=60)
            out = (v.stdout + v.stderr).strip()
            print(f"systemd-analyze verify hansad@main.service: exit {v.returncode}{': ' + out if out else ''}")
            if v.returncode != 0:
                return 1
            sec = subprocess.run([analyze, "security", f"--root={root}", "--offline=yes", "hansad@main.service"],
                                 capture_output=True, text=True, timeout=60)
            lines = [ln for ln in (sec.stdout + sec.stderr).splitlines() if "Overall exposure" in ln]
            if lines:
                print("systemd-analyze security:", lines[-1].strip())
        else:
            print("systemd-analyze is not installed: unit file not verified")
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print("package install test: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
