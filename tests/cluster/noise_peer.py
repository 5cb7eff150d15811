"""noise_peer.py — a minimal hansa peer in pure Python (standard library
only), to send a node well-encrypted messages whose *content* is bad.

It implements Noise_XX_25519_ChaChaPoly_BLAKE2b as the initiator (Noise
spec rev. 34: X25519 of RFC 7748, ChaCha20-Poly1305 of RFC 8439, BLAKE2b
with HMAC/HKDF of sections 4.3 and 5.1) with hansa's prologue and its
framing (src/net/frame.h: 2-byte big-endian length | Noise message; each
plaintext a frame: type u8 | flags u8 | total u32 LE | chunk). Slow, and
only ever used for a handful of messages; not constant-time."""

import hashlib
import hmac
import os
import socket
import struct

PROLOGUE = b"hansa/noise/v1"
PROTOCOL = b"Noise_XX_25519_ChaChaPoly_BLAKE2b"

# ---- X25519 (RFC 7748 section 5) ----

P = 2 ** 255 - 19
A24 = 121665


def x25519(k, u):
    k = bytearray(k)
    k[0] &= 248
    k[31] &= 127
    k[31] |= 64
    k = int.from_bytes(k, "little")
    x1 = int.from_bytes(u, "little") & ((1 << 255) - 1)
    x2, z2, x3, z3, swap = 1, 0, x1, 1, 0
    for t in reversed(range(255)):
        kt = (k >> t) & 1
        swap ^= kt
        if swap:
            x2, x3, z2, z3 = x3, x2, z3, z2
        swap = kt
        a, b = (x2 + z2) % P, (x2 - z2) % P
        aa, bb = a * a % P, b * b % P
        e = (aa - bb) % P
        c, d = (x3 + z3) % P, (x3 - z3) % P
        da, cb = d * a % P, c * b % P
        x3 = (da + cb) ** 2 % P
        z3 = x1 * (da - cb) ** 2 % P
        x2 = aa * bb % P
        z2 = e * (aa + A24 * e) % P
    if swap:
        x2, x3, z2, z3 = x3, x2, z3, z2
    return (x2 * pow(z2, P - 2, P) % P).to_bytes(32, "little")


def keypair():
    sk = os.urandom(32)
    return sk, x25519(sk, (9).to_bytes(32, "little"))


# ---- ChaCha20-Poly1305 (RFC 8439) ----

def _rotl(v, c):
    return ((v << c) & 0xFFFFFFFF) | (v >> (32 - c))


def _chacha_block(key, counter, nonce):
    s = list(struct.unpack("<4I", b"expand 32-byte k")) + list(struct.unpack("<8I", key)) + \
        [counter] + list(struct.unpack("<3I", nonce))
    x = s[:]

    def qr(a, b, c, d):
        x[a] = (x[a] + x[b]) & 0xFFFFFFFF; x[d] = _rotl(x[d] ^ x[a], 16)
        x[c] = (x[c] + x[d]) & 0xFFFFFFFF; x[b] = _rotl(x[b] ^ x[c], 12)
        x[a] = (x[a] + x[b]) & 0xFFFFFFFF; x[d] = _rotl(x[d] ^ x[a], 8)
        x[c] = (x[c] + x[d]) & 0xFFFFFFFF; x[b] = _rotl(x[b] ^ x[c], 7)
    for _ in range(10):
        qr(0, 4, 8, 12); qr(1, 5, 9, 13); qr(2, 6, 10, 14); qr(3, 7, 11, 15)
        qr(0, 5, 10, 15); qr(1, 6, 11, 12); qr(2, 7, 8, 13); qr(3, 4, 9, 14)
    return struct.pack("<16I", *[(x[i] + s[i]) & 0xFFFFFFFF for i in range(16)])


def _chacha20(key, counter, nonce, data):
    out = bytearray()
    for i in range(0, len(data), 64):
        ks = _chacha_block(key, counter + i // 64, nonce)
        out += bytes(a ^ b for a, b in zip(data[i:i + 64], ks))
    return bytes(out)


def _poly1305(key, msg):
    r = int.from_bytes(key[:16], "little") & 0x0FFFFFFC0FFFFFFC0FFFFFFC0FFFFFFF
    s = int.from_bytes(key[16:], "little")
    acc, p = 0, (1 << 130) - 5
    for i in range(0, len(msg), 16):
        n = int.from_bytes(msg[i:i + 16] + b"\x01", "little")
        acc = (acc + n) * r % p
    return ((acc + s) & ((1 << 128) - 1)).to_bytes(16, "little")


def _pad16(b):
    return b"\x00" * (-len(b) % 16)


def _mac_data(ad, ct):
    return ad + _pad16(ad) + ct + _pad16(ct) + struct.pack("<QQ", len(ad), len(ct))


def aead_encrypt(key, n, ad, pt):
    nonce = b"\x00" * 4 + struct.pack("<Q", n)
    ct = _chacha20(key, 1, nonce, pt)
    return ct + _poly1305(_chacha_block(key, 0, nonce)[:32], _mac_data(ad, ct))


def aead_decrypt(key, n, ad, data):
    nonce = b"\x00" * 4 + struct.pack("<Q", n)
    ct, tag = data[:-16], data[-16:]
    if not hmac.compare_digest(_poly1305(_chacha_block(key, 0, nonce)[:32], _mac_data(ad, ct)), tag):
        raise ValueError("Noise: a message does not decrypt")
    return _chacha20(key, 1, nonce, ct)


# ---- Noise symmetric state, BLAKE2b ----

def _hash(b):
    return hashlib.blake2b(b).digest()


def _hkdf(ck, ikm, n):
    tk = hmac.new(ck, ikm, hashlib.blake2b).digest()
    o1 = hmac.new(tk, b"\x01", hashlib.blake2b).digest()
    o2 = hmac.new(tk, o1 + b"\x02", hashlib.blake2b).digest()
    return (o1, o2)[:n]


class _Symmetric:
    def __init__(self):
        self.h = PROTOCOL + b"\x00" * (64 - len(PROTOCOL))
        self.ck, self.k, self.n = self.h, None, 0
        self.mix_hash(PROLOGUE)

    def mix_hash(self, data):
        self.h = _hash(self.h + data)

    def mix_key(self, ikm):
        self.ck, tk = _hkdf(self.ck, ikm, 2)
        self.k, self.n = tk[:32], 0

    def encrypt_and_hash(self, pt):
        ct = pt if self.k is None else aead_encrypt(self.k, self.n, self.h, pt)
        if self.k is not None:
            self.n += 1
        self.mix_hash(ct)
        return ct

    def decrypt_and_hash(self, ct):
        pt = ct if self.k is None else aead_decrypt(self.k, self.n, self.h, ct)
        if self.k is not None:
            self.n += 1
        self.mix_hash(ct)
        return pt

    def split(self):
        a, b = _hkdf(self.ck, b"", 2)
        return a[:32], b[:32]


# ---- the peer ----

class Peer:
    """An initiator link to a hansa node at "ip:port"; handshake on connect."""

    def __init__(self, addr, timeout_s=10):
        host, port = addr.rsplit(":", 1)
        self.sock = socket.create_connection((host, int(port)), timeout=timeout_s)
        self._handshake()

    def _send_raw(self, msg):
        self.sock.sendall(struct.pack(">H", len(msg)) + msg)

    def _recv_exact(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise ConnectionError("closed by the node")
            buf += chunk
        return buf

    def _recv_raw(self):
        (n,) = struct.unpack(">H", self._recv_exact(2))
        return self._recv_exact(n)

    def _handshake(self):
        ss = _Symmetric()
        s_sk, s_pk = keypair()
        e_sk, e_pk = keypair()
        ss.mix_hash(e_pk)                          # -> e
        self._send_raw(e_pk + ss.encrypt_and_hash(b""))
        m2 = self._recv_raw()                      # <- e, ee, s, es
        re = m2[:32]
        ss.mix_hash(re)
        ss.mix_key(x25519(e_sk, re))
        rs = ss.decrypt_and_hash(m2[32:80])
        ss.mix_key(x25519(e_sk, rs))
        if ss.decrypt_and_hash(m2[80:]) != b"":
            raise ValueError("Noise: the node sent a handshake payload")
        c = ss.encrypt_and_hash(s_pk)              # -> s, se
        ss.mix_key(x25519(s_sk, re))
        self._send_raw(c + ss.encrypt_and_hash(b""))
        self.tx_k, self.rx_k = ss.split()
        self.tx_n = self.rx_n = 0
        self.remote_static = rs

    def send(self, msg_type, payload):
        """One application message in one frame (payload < 65513 bytes)."""
        frame = struct.pack("<BBI", msg_type, 3, len(payload)) + payload
        self._send_raw(aead_encrypt(self.tx_k, self.tx_n, b"", frame))
        self.tx_n += 1

    def recv(self):
        """(type, payload) of the next one-frame message from the node."""
        pt = aead_decrypt(self.rx_k, self.rx_n, b"", self._recv_raw())
        self.rx_n += 1
        t, flags, total = struct.unpack("<BBI", pt[:6])
        return t, pt[6:]

    def closed_by_node(self, timeout_s):
        """True if the node closes the link within timeout_s (reading and
        discarding what it sends meanwhile)."""
        import time
        deadline = time.monotonic() + timeout_s
        self.sock.settimeout(0.5)
        while time.monotonic() < deadline:
            try:
                if self.sock.recv(65536) == b"":
                    return True
            except socket.timeout:
                continue
            except ConnectionResetError:
                return True
        return False

    def close(self):
        self.sock.close()
