// peer.js — an independent Noise peer for hansa's interop test, built on the
// npm package noise-handshake (Holepunch), which speaks exactly
// Noise_XX_25519_ChaChaPoly_BLAKE2b by default.
//
//   node peer.js responder <static-priv-hex> <expected-remote-pub-hex>
//       listens on 127.0.0.1:0 and prints "PORT <n>" first
//   node peer.js initiator <port> <static-priv-hex> <expected-remote-pub-hex>
//       connects to 127.0.0.1:<port>
//
// Framing as in hansa's docs/protocol.md: every Noise message (handshake and
// transport) is preceded by its length as 2 bytes big-endian. Prologue:
// "hansa/noise/v1". After the handshake it prints "HASH <hex>" and
// "RS <hex>", sends one transport message "hello from js", then answers
// every transport message with its bytes reversed, until an empty message,
// which it answers with an empty message and then closes. Any failure prints
// "ERROR ..." and exits 1.
'use strict'
const net = require('net')
const Noise = require('noise-handshake')
const Cipher = require('noise-handshake/cipher')
const curve = require('noise-handshake/dh')

const PROLOGUE = Buffer.from('hansa/noise/v1')

function fail (msg) {
  process.stdout.write(`ERROR ${msg}\n`)
  process.exit(1)
}

// Splits a byte stream into length-prefixed frames.
function framer (onFrame) {
  let buf = Buffer.alloc(0)
  return (chunk) => {
    buf = Buffer.concat([buf, chunk])
    while (buf.length >= 2) {
      const len = buf.readUInt16BE(0)
      if (buf.length < 2 + len) break
      const frame = buf.subarray(2, 2 + len)
      buf = buf.subarray(2 + len)
      onFrame(frame)
    }
  }
}

function sendFrame (sock, msg) {
  const hdr = Buffer.alloc(2)
  hdr.writeUInt16BE(msg.length, 0)
  sock.write(Buffer.concat([hdr, msg]))
}

function run (sock, initiator, staticPriv, expectRemote) {
  const keyPair = curve.generateKeyPair(staticPriv)
  const hs = new Noise('XX', initiator, keyPair)
  hs.initialise(PROLOGUE)
  let tx = null
  let rx = null

  const finish = () => {
    if (!hs.rs.equals(expectRemote)) fail('remote static key differs from the expected one')
    process.stdout.write(`HASH ${hs.hash.toString('hex')}\nRS ${hs.rs.toString('hex')}\n`)
    tx = new Cipher(hs.tx)
    rx = new Cipher(hs.rx)
    sendFrame(sock, tx.encrypt(Buffer.from('hello from js')))
  }

  const onFrame = (frame) => {
    try {
      if (!hs.complete) {
        const payload = hs.recv(frame)
        const want = initiator ? 'hello from c responder' : 'hello from c initiator'
        if (payload.toString() !== want) fail(`handshake payload ${payload.toString()}`)
        if (!hs.complete) sendFrame(sock, hs.send(Buffer.from('hello from js')))
        if (hs.complete) finish()
        return
      }
      const plain = Buffer.from(rx.decrypt(frame))
      if (plain.length === 0) {
        sendFrame(sock, tx.encrypt(Buffer.alloc(0)))
        sock.end()
        return
      }
      sendFrame(sock, tx.encrypt(Buffer.from(plain).reverse()))
    } catch (e) {
      fail(e.message)
    }
  }

  sock.on('data', framer(onFrame))
  sock.on('error', (e) => fail(e.message))
  sock.on('close', () => process.exit(tx ? 0 : 1))
  if (initiator) sendFrame(sock, hs.send(Buffer.from('hello from js')))
}

const [role, ...args] = process.argv.slice(2)
setTimeout(() => fail('timeout'), 20000).unref()
if (role === 'responder') {
  const [priv, remote] = args
  const server = net.createServer((sock) => {
    server.close()
    run(sock, false, Buffer.from(priv, 'hex'), Buffer.from(remote, 'hex'))
  })
  server.listen(0, '127.0.0.1', () => {
    process.stdout.write(`PORT ${server.address().port}\n`)
  })
} else if (role === 'initiator') {
  const [port, priv, remote] = args
  const sock = net.connect(Number(port), '127.0.0.1', () => {
    run(sock, true, Buffer.from(priv, 'hex'), Buffer.from(remote, 'hex'))
  })
  sock.on('error', (e) => fail(e.message))
} else {
  fail(`unknown role ${role}`)
}
