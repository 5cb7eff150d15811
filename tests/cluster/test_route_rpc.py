#!/usr/bin/env python3
"""Route discovery at a node's RPC (docs/rpc.md "Route discovery") on a real
testnet: with acct1 owing acct0 on an open tally, route_find finds the way
value goes inside the chain (acct0 -> acct1, capacity the debt) and none
back, nor to a chain it has no tally with; routes lists the records.
route_msg takes one discovery message from another chain, in its bytes
(docs/wire.md "Route discovery message"): a query is answered into
route_outbox for the asking chain with the capacity, a second arrival of
the same search is answered at once with what the node found for it (so loops
end without waiting), each answer naming the query's entry and ttl, and malformed bytes or a
message claiming to come from the node's own chain are refused with a reason.
`hansa route find|records` print the same records (exit 0 only for a route
that fits the amount). A flood of route_msg from one client (500 in five
batches) gets the burst of 200 through and the rest refused busy, and an
honest route_find still answers. Across chains: test_route_fed.py."""
import http.client
import json
import os
import struct
import subprocess

import cluster
from cluster import check, say
from test_lifts import open_debt

DEBT = 1000


def find(net, frm, chain, to):
    return net.call(0, "route_find", {"from": frm, "to_chain": chain, "to": to})


def query(search, chain, entry, target, ttl=8, floor=0):
    return (bytes([1, 1]) + search + struct.pack("<I", chain) + bytes.fromhex(entry) +
            struct.pack("<I", chain) + bytes.fromhex(target) + bytes([ttl, floor])).hex()


def mark(beacon, chain, entity, target_chain, target, cap_max, ttl=2, hops=1):
    return (bytes([1, 3]) + beacon + struct.pack("<I", chain) + bytes.fromhex(entity) +
            struct.pack("<I", target_chain) + bytes.fromhex(target) + bytes([ttl]) +
            struct.pack("<QQiB", 0, cap_max, 0, hops)).hex()


def answer_of(hexmsg, chain, entry, ttl=8):
    b = bytes.fromhex(hexmsg)
    check(len(b) == 77 and b[0] == 1 and b[1] == 2, "an answer message of 77 bytes")
    site, = struct.unpack("<I", b[18:22])
    check(site == chain and b[22:54] == bytes.fromhex(entry) and b[54] == ttl,
          "the answer names the query's entry and ttl")
    found, lo, hi, margin, hops = struct.unpack("<BQQiB", b[55:])
    return b[2:18], found, lo, hi, hops


def cli(net, *args):
    cmd = [cluster.HANSA, "route"] + list(args) + ["--keys", os.path.join(net.dir, "accounts.key"),
                                                  "--node", net.rpc_addr(0)]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    say("%s -> %d: %s%s" % (" ".join(args), r.returncode, r.stdout, r.stderr))
    return r


def refused(net, params, what, field):
    try:
        net.call(0, "route_msg", params)
    except cluster.RpcError as e:
        check(e.code == -32602, "%s: invalid params (%d)" % (what, e.code))
        say("refused %s: %s" % (what, e))
        check(field in str(e), "%s: the reason names %s" % (what, field))
        return
    raise cluster.CheckFailed("%s was accepted" % what)


def refused_find(net, params, field):
    try:
        net.call(0, "route_find", params)
    except cluster.RpcError as e:
        check(e.code == -32602 and field in str(e), "route_find refuses a bad %s: %s" % (field, e))
        return
    raise cluster.CheckFailed("route_find took a bad %s" % field)


def flood(net, other, chain_id, k0, k1):
    """500 route queries from one client in five batches of 100 (the batch
    limit): returns (accepted, refused busy)."""
    host, port = net.rpc_addr(0).rsplit(":", 1)
    ok = busy = 0
    for b in range(5):
        batch = [{"jsonrpc": "2.0", "id": i, "method": "route_msg",
                  "params": {"from_chain": "%x" % other, "msg": query(os.urandom(16), chain_id, k0, k1)}}
                 for i in range(100)]
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        conn.request("POST", "/", json.dumps(batch), {"Content-Type": "application/json"})
        for r in json.loads(conn.getresponse().read()):
            ok += "result" in r
            busy += r.get("error", {}).get("code") == -32005
        conn.close()
    return ok, busy


def test():
    cluster.seed_from_env()
    with cluster.Testnet("routes") as net:
        net.wait_heights(list(range(net.size())), 2, 60)
        t = net.call(0, "tally", {"id": open_debt(net, "acct0", "acct1", DEBT)})
        k0, k1, chain_id = t["stock"]["key"], t["foil"]["key"], t["stock"]["chain_id"]
        chain, other = "%x" % chain_id, (chain_id % 0xfffffff0) + 7

        r = find(net, k0, chain, k1)
        check(r["state"] == "good" and int(r["capacity"]["max"]) == DEBT and r["hops"] == 0,
              "acct0 -> acct1 found inside the chain with capacity %d: %s" % (DEBT, r))
        r = find(net, k1, chain, k0)
        check(r["state"] == "none", "acct1 -> acct0: none (acct0 takes no more debt): %s" % r)
        r = find(net, k0, "%x" % other, k1)
        check(r["state"] == "none", "no tally leaves the chain: none: %s" % r)
        check(len(net.call(0, "route_records")["routes"]) == 3, "route_records lists the three records")

        r = cli(net, "find", "--from", "acct0", "--to", "acct1", "--amount", str(DEBT))
        check(r.returncode == 0 and ": good, capacity min 1000 max 1000" in r.stdout, "route find: good")
        r = cli(net, "find", "--from", "acct0", "--to", "acct1", "--amount", str(DEBT + 1))
        check(r.returncode == 1 and "no route for it" in r.stdout, "route find: an amount over the capacity")
        r = cli(net, "find", "--from", "acct1", "--to", "acct0")
        check(r.returncode == 1 and ": none," in r.stdout, "route find: none")
        r = cli(net, "find", "--from", "acct0", "--to", "acct1@zz")
        check(r.returncode == 2, "route find: a bad chain is a usage error")
        r = cli(net, "records")
        check(r.returncode == 0 and r.stdout.count("route ") == 3, "route records lists the three")

        start = net.call(0, "route_outbox")["next"]
        search = os.urandom(16)
        net.call(0, "route_msg", {"from_chain": "%x" % other, "msg": query(search, chain_id, k0, k1)})
        net.call(0, "route_msg", {"from_chain": "%x" % other, "msg": query(search, chain_id, k0, k1)})
        out = net.call(0, "route_outbox", {"after": start})["msgs"]
        check(len(out) == 2 and all(m["to_chain"] == "%x" % other for m in out),
              "two answers to the asking chain: %s" % out)
        s, found, lo, hi, hops = answer_of(out[0]["msg"], chain_id, k0)
        check(s == search and found == 1 and hi == DEBT and hops == 0,
              "the query is answered with the capacity (found %d, max %d)" % (found, hi))
        s, found, lo, hi, hops = answer_of(out[1]["msg"], chain_id, k0)
        check(s == search and found == 1 and hi == DEBT and hops == 0,
              "the same search again is answered at once with what the node found (found %d)" % found)
        after = net.call(0, "route_outbox", {"after": start + 2})
        check(after["msgs"] == [] and after["next"] == start + 2, "read on from the last: nothing new")

        refused(net, {"from_chain": "%x" % other, "msg": "0102"}, "a truncated message", "(search)")
        bad_ttl = query(search, chain_id, k0, k1, ttl=9)
        refused(net, {"from_chain": "%x" % other, "msg": bad_ttl}, "a ttl over 8", "(ttl)")
        refused(net, {"from_chain": chain, "msg": query(os.urandom(16), chain_id, k0, k1)},
                "a message from the node's own chain", "from_chain")
        refused(net, {"from_chain": "%x" % other, "msg": query(search, chain_id, k0, k1, ttl=3, floor=4)},
                "a floor above the ttl", "(floor)")
        refused(net, {"from_chain": "%x" % other, "msg": "00" * 200}, "a message over 112 bytes", "msg")

        # bidirectional: a beacon from this chain has no neighbour to mark
        # (no tally leaves it); a neighbour's mark is taken without an answer,
        # one of no capacity refused; an unknown mode refused
        check(net.call(0, "route_beacon", {"to": k1})["marks"] == 0, "route_beacon: no chain pays in: no mark")
        start = net.call(0, "route_outbox")["next"]
        net.call(0, "route_msg", {"from_chain": "%x" % other,
                                  "msg": mark(os.urandom(16), other, k1, other, k0, 500)})
        check(net.call(0, "route_outbox")["next"] == start, "a mark is kept, not answered")
        refused(net, {"from_chain": "%x" % other, "msg": mark(os.urandom(16), other, k1, other, k0, 0)},
                "a mark of no capacity", "(cap_max)")
        r = net.call(0, "route_find", {"from": k0, "to_chain": chain, "to": k1, "mode": "bidir"})
        check(r["state"] == "good" and int(r["capacity"]["max"]) == DEBT, "route_find bidir inside the chain: %s" % r)
        refused_find(net, {"from": k0, "to_chain": chain, "to": k1, "mode": "sideways"}, "mode")
        r = cli(net, "find", "--from", "acct0", "--to", "acct1", "--mode", "bidir")
        check(r.returncode == 0 and ": good," in r.stdout, "route find --mode bidir: good")
        r = cli(net, "beacon", "--to", "acct1")
        check(r.returncode == 0 and "0 marks" in r.stdout, "route beacon: no mark")

        ok, busy = flood(net, other, chain_id, k0, k1)
        say("flood of 500 route messages: %d accepted, %d refused busy" % (ok, busy))
        check(ok + busy == 500 and ok >= 190 and busy > 0,
              "the burst goes through and the rest is refused busy (%d, %d)" % (ok, busy))
        limited = net.call(0, "route_records")["limited"]
        check(int(limited) == busy, "route_records counts the refusals (%s)" % limited)
        check(len(net.call(0, "route_outbox", {"after": 0})["msgs"]) <= 256, "the outbox stays bounded")
        r = find(net, k0, chain, k1)
        check(r["state"] == "good", "an honest route_find still answers after the flood: %s" % r)


if __name__ == "__main__":
    cluster.main(test)
