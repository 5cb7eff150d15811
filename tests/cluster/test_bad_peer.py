#!/usr/bin/env python3
"""An authenticated peer (a real Noise_XX link, tests/cluster/noise_peer.py)
that sends well-encrypted but bad messages gets dropped, and nothing else
happens: a vote and a transaction with invalid signatures, a malformed vote,
an unknown message type, a frame with bad flags, a transport message under
the wrong key; a peer that lies in STATUS about a far higher height leaves
no trace once it is gone (the node does not stay "syncing" towards a height
no one has). Throughout, the network keeps committing and agrees."""
import json
import os
import struct
import time

import cluster
import noise_peer
from cluster import check, say

MSG_STATUS, MSG_TX, MSG_VOTE = 1, 2, 4


def vote_bytes(chain, height, validator_hex):
    """A canonical prevote for a random block by a real delegate, with a random signature."""
    return (struct.pack("<BIQIB", 1, chain, height, 0, 1) + b"\x01" + os.urandom(32) +
            bytes.fromhex(validator_hex) + os.urandom(64))


def tx_bytes(chain, sender_hex, nonce):
    """A canonical transfer from a funded account at its next nonce (so the
    mempool's cheap checks pass and it gets to the signature) with a random
    signature."""
    body = os.urandom(20) + struct.pack("<Q", 5)
    return (struct.pack("<BI", 1, chain) + bytes.fromhex(sender_hex) +
            struct.pack("<QQHI", nonce, 1, 1, len(body)) + body + os.urandom(64))


def funded_account(net):
    """(pubkey hex, address) of the first funded account (DIR/accounts.key:
    key NAME SEED PUB ADDR)."""
    with open(os.path.join(net.dir, "accounts.key")) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 5 and parts[0] == "key":
                return parts[3], parts[4]
    raise cluster.CheckFailed("no account in accounts.key")


def drops(net, i):
    return net.log_text(i).count("dropping")


def expect_drop(net, target, what, send):
    p = noise_peer.Peer(net.listen_addr(target))
    p.recv()  # the node's STATUS: the link is up
    before = drops(net, target)
    try:
        send(p)
        closed = p.closed_by_node(15)
    except (BrokenPipeError, ConnectionResetError):
        closed = True  # dropped before we finished sending
    check(closed, "%s: node%d dropped the link" % (what, target))
    p.close()
    cluster.wait_for(lambda: drops(net, target) > before, 5, "the drop in node%d's log" % target)


def test():
    rng = cluster.seed_from_env()
    with cluster.Testnet("badpeer") as net:
        nodes = list(range(net.size()))
        net.wait_heights(nodes, 5, 60)
        target = rng.choice(nodes)
        say("target: node%d" % target)
        with open(os.path.join(net.home(0), "genesis.json")) as f:
            gen = json.load(f)
        chain = int(gen["chain_id"], 16)
        delegate = gen["delegates"][rng.randrange(len(gen["delegates"]))]["pubkey"]

        def cur_height():
            return net.call(target, "status")["consensus_height"]

        def bad_votes(p):
            # The engine verifies votes of its height and the next; older
            # ones are ignored unverified, and the node moves fast.
            h = cur_height()
            for k in (1, 2, 3):
                p.send(MSG_VOTE, vote_bytes(chain, h + k, delegate))
        expect_drop(net, target, "votes with invalid signatures", bad_votes)
        sender, sender_addr = funded_account(net)
        expect_drop(net, target, "a transaction with an invalid signature",
                    lambda p: p.send(MSG_TX, tx_bytes(chain, sender, net.nonce(target, sender_addr))))
        expect_drop(net, target, "a vote cut short",
                    lambda p: p.send(MSG_VOTE, vote_bytes(chain, cur_height(), delegate)[:100]))
        expect_drop(net, target, "message type 99", lambda p: p.send(99, b"hello"))

        def bad_flags(p):
            frame = struct.pack("<BBI", MSG_VOTE, 0x80 | 3, 3) + b"abc"
            p._send_raw(noise_peer.aead_encrypt(p.tx_k, p.tx_n, b"", frame))
        expect_drop(net, target, "a frame with unknown flag bits", bad_flags)

        def wrong_key(p):
            p._send_raw(noise_peer.aead_encrypt(os.urandom(32), 0, b"", b"\x01\x03\x00\x00\x00\x00"))
        expect_drop(net, target, "a transport message under the wrong key", wrong_key)
        text = net.log_text(target)
        for reason in ("invalid transaction", "unknown message type", "malformed VOTE", "bad frame",
                       "does not decrypt"):
            check(reason in text, "node%d's log names the reason '%s'" % (target, reason))

        # A liar: STATUS claims a height no one has, then it leaves.
        p = noise_peer.Peer(net.listen_addr(target))
        p.recv()
        h = net.height(target)
        p.send(MSG_STATUS, struct.pack("<BIQ", 1, chain, h + 1000000) + os.urandom(32))
        time.sleep(1)
        say("node%d while the liar is connected: syncing=%s" % (target, net.status(target)["syncing"]))
        p.close()
        h = max(net.heights(nodes))
        net.wait_heights(nodes, h + 10, 60)
        check(True, "all four kept committing (10 more heights past %d)" % h)
        check(not net.status(target)["syncing"],
              "node%d is not 'syncing' towards the liar's height once the liar is gone" % target)

        for i in nodes:
            st = net.status(i)
            check(st and st["peers"] == 3, "node%d has its 3 delegate links and no other" % i)
        cluster.compare_chains(net, nodes, 1, min(net.heights(nodes)))


if __name__ == "__main__":
    cluster.main(test)
