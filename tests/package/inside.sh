#!/bin/bash
# Runs inside the clean Debian 12 root (as root, in a private network
# namespace): installs the package, then does what an operator and systemd
# would: hansad@main.service's StateDirectory, its ExecStartPre and
# ExecStart as the unit's user with its UMask, then asks the node over RPC.
# Prints "RESULT ok" at the end; any failure exits non-zero with a reason.
set -euo pipefail
say() { echo "inside: $*"; }
unit=/lib/systemd/system/hansad@.service

dpkg -i /tmp/hansa.deb >/tmp/dpkg.log 2>&1 || { cat /tmp/dpkg.log; exit 1; }
say "dpkg -i: installed $(dpkg-query -W -f='${Package} ${Version}' hansa)"
getent passwd hansa >/dev/null || { say "no hansa user"; exit 1; }
say "user: $(getent passwd hansa)"
for f in /usr/bin/hansad /usr/bin/hansa "$unit" /etc/hansa/main/config.json /usr/share/man/man1/hansa.1.gz \
         /usr/share/man/man8/hansad.8.gz /usr/share/bash-completion/completions/hansa /usr/share/hansa/explorer/index.html \
         /usr/share/hansa/explorer/lib/index.js; do
  [ -e "$f" ] || { say "missing $f"; exit 1; }
done
# (No `| grep -q` or `| head` in this script: under pipefail, a reader that
# stops early can fail the writer with SIGPIPE.)
[[ "$(zcat /usr/share/man/man1/hansa.1.gz)" == .TH\ HANSA\ 1* ]] || { say "hansa.1 is not a man page"; exit 1; }
say "files: binaries, unit, conffile, man pages, completion, explorer present"

# The unit's own lines, with the instance name filled in.
inst=main
field() { sed -n "/^$1=/{s/^$1=//;s/%i/$inst/g;p;q}" "$unit"; }
user=$(field User); umask_v=$(field UMask); pre=$(field ExecStartPre); start=$(field ExecStart)
state=/var/lib/$(field StateDirectory)
say "unit: User=$user UMask=$umask_v StateDirectory=$state"
# systemd creates StateDirectory= owned by the unit's user.
install -d -o "$user" -g "$user" -m "$(field StateDirectoryMode)" "$state"
as_unit() { setpriv --reuid="$user" --regid="$user" --init-groups --no-new-privs -- /bin/sh -c "umask $umask_v; exec $*"; }

as_unit "$pre" >/tmp/init.log
cat /tmp/init.log
pubkey=$(sed -n 's/.*public key \([0-9a-f]\{64\}\)).*/\1/p' /tmp/init.log)
addr=$(sed -n 's/^  address *\([0-9a-zA-Z]*\)$/\1/p' /tmp/init.log)
[ -n "$pubkey" ] && [ -n "$addr" ] || { say "init printed no key"; exit 1; }
[ "$(stat -c '%U %a' "$state/node.key")" = "$user 600" ] || { say "node.key: $(stat -c '%U %a' "$state/node.key")"; exit 1; }

# The operator writes the genesis of a one-delegate chain.
hansa genesis --chain e2e4 --delegate "$pubkey:10" --account "$addr:1000000" --out /etc/hansa/$inst/genesis.json

# Not through as_unit: $! must be the service's own pid (setpriv and sh exec into hansad).
setpriv --reuid="$user" --regid="$user" --init-groups --no-new-privs -- /bin/sh -c "umask $umask_v; exec $start" \
  >/tmp/hansad.log 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
h=0
for _ in $(seq 1 120); do
  h=$(hansa status --node 127.0.0.1:26657 --json 2>/dev/null | sed -n 's/^ *"height": \([0-9]*\),$/\1/p' || true)
  [ -n "$h" ] && [ "$h" -ge 3 ] && break
  sleep 0.5
done
[ -n "$h" ] && [ "$h" -ge 3 ] || { say "the node did not commit 3 blocks"; cat /tmp/hansad.log; exit 1; }
say "service: hansad answers RPC, height $h, running as uid $(awk '/^Uid:/ {print $2}' /proc/$pid/status) ($(id -u "$user") is $user)"
[ "$(awk '/^Uid:/ {print $2}' /proc/$pid/status)" = "$(id -u "$user")" ] || { say "not running as $user"; exit 1; }

HOME=/root hansa key new friend --json >/tmp/friend.json
friend=$(sed -n 's/^ *"address": "\([^"]*\)".*/\1/p' /tmp/friend.json)
hansa send --keys "$state/node.key" --from node --to "$friend" --amount 5 --node 127.0.0.1:26657 >/tmp/send.log 2>&1 \
  || { cat /tmp/send.log; exit 1; }
say "hansa send: $(grep "^committed" /tmp/send.log); $(hansa account "$friend" --node 127.0.0.1:26657 | tr -s ' \n' ' ')"
# A reply whose status line says 200 and whose text holds $2, matched
# without a pipe (see above: `echo "$reply" | grep -q` failed this test now
# and then).
served() { [[ "${1%%$'\n'*}" == *" 200 "* && "$1" == *"$2"* ]]; }
exec 3<>/dev/tcp/127.0.0.1/26657
printf 'GET /explorer/ HTTP/1.0\r\n\r\n' >&3
reply=$(cat <&3)
served "$reply" '<title>hansa explorer' \
  || { say "explorer not served: $(echo "$reply" | head -3)"; exit 1; }
exec 3<>/dev/tcp/127.0.0.1/26657
printf 'GET /explorer/lib/verify.js HTTP/1.0\r\n\r\n' >&3
reply=$(cat <&3)
served "$reply" 'export async function verifyCommit' \
  || { say "explorer library not served ($(printf %s "$reply" | wc -c) bytes): $(echo "$reply" | head -3) ... $(echo "$reply" | tail -3)"; exit 1; }
say "explorer: /explorer/ and its library /explorer/lib/ served from /usr/share/hansa/explorer"
kill -TERM $pid
wait $pid || true
trap - EXIT
grep -q 'stopping' /tmp/hansad.log && say "SIGTERM: hansad stopped cleanly"
echo "RESULT ok"
