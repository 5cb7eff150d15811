// peer.mjs — an independent FROST(ristretto255, SHA-512) participant for
// hansa's interop test (tests/interop/test_frost_interop.c), built on
// @noble/curves' ristretto255_FROST (RFC 9591). It reads one JSON request
// per line on stdin and writes one JSON reply per line on stdout; bytes are
// lowercase hex, identifiers are noble's (the 32-byte scalar, hex).
//   ping        {}                              -> {ok}
//   verify      {key, msg, sig}                 -> {ok}
//   setup       {min, max, commitments, verifyingShares, identifier, signingShare} -> {ok}
//   commit      {}                              -> {identifier, hiding, binding}
//   sign        {list, msg}                     -> {share}
//   verifyShare {list, msg, identifier, share}  -> {ok}
//   aggregate   {list, msg, shares}             -> {sig}
//   dkg         {min, max}                      -> {round1: [{identifier, commitment, pok}], public}
// Any exception becomes {error}.
import { ristretto255_FROST as frost } from '@noble/curves/ed25519.js';
import { bytesToHex, hexToBytes } from '@noble/curves/utils.js';
import { createInterface } from 'node:readline';

let pub = null;
let secret = null;
const nonces = new Map(); // hiding commitment hex -> nonces

const toList = (list) =>
  list.map((c) => ({ identifier: c.identifier, hiding: hexToBytes(c.hiding), binding: hexToBytes(c.binding) }));

function handle(req) {
  switch (req.op) {
    case 'ping':
      return { ok: true };
    case 'verify':
      return { ok: frost.verify(hexToBytes(req.sig), hexToBytes(req.msg), hexToBytes(req.key)) };
    case 'setup': {
      pub = {
        signers: { min: req.min, max: req.max },
        commitments: req.commitments.map(hexToBytes),
        verifyingShares: Object.fromEntries(Object.entries(req.verifyingShares).map(([k, v]) => [k, hexToBytes(v)])),
      };
      secret = { identifier: req.identifier, signingShare: hexToBytes(req.signingShare) };
      frost.validateSecret(secret, pub); // the share is consistent with hansa's commitments
      return { ok: true };
    }
    case 'commit': {
      const { nonces: n, commitments: c } = frost.commit(secret);
      nonces.set(bytesToHex(c.hiding), n);
      return { identifier: c.identifier, hiding: bytesToHex(c.hiding), binding: bytesToHex(c.binding) };
    }
    case 'sign': {
      const mine = req.list.find((c) => c.identifier === secret.identifier);
      const n = mine && nonces.get(mine.hiding);
      if (!n) throw new Error('no nonces for my entry');
      nonces.delete(mine.hiding);
      return { share: bytesToHex(frost.signShare(secret, pub, n, toList(req.list), hexToBytes(req.msg))) };
    }
    case 'verifyShare':
      return { ok: frost.verifyShare(pub, toList(req.list), hexToBytes(req.msg), req.identifier, hexToBytes(req.share)) };
    case 'aggregate': {
      const shares = Object.fromEntries(Object.entries(req.shares).map(([k, v]) => [k, hexToBytes(v)]));
      return { sig: bytesToHex(frost.aggregate(pub, toList(req.list), hexToBytes(req.msg), shares)) };
    }
    case 'dkg': {
      const signers = { min: req.min, max: req.max };
      const ids = Array.from({ length: req.max }, (_, i) => frost.Identifier.fromNumber(i + 1));
      const r1 = ids.map((id) => frost.DKG.round1(id, signers));
      const r2 = r1.map((p, i) => frost.DKG.round2(p.secret, r1.filter((_, j) => j !== i).map((q) => q.public)));
      const keys = r1.map((p, i) =>
        frost.DKG.round3(
          p.secret,
          r1.filter((_, j) => j !== i).map((q) => q.public),
          r2.filter((_, j) => j !== i).map((out) => out[ids[i]]),
        ),
      );
      return {
        round1: r1.map((p) => ({
          identifier: p.public.identifier,
          commitment: p.public.commitment.map(bytesToHex),
          pok: bytesToHex(p.public.proofOfKnowledge),
        })),
        public: {
          commitments: keys[0].public.commitments.map(bytesToHex),
          verifyingShares: Object.fromEntries(Object.entries(keys[0].public.verifyingShares).map(([k, v]) => [k, bytesToHex(v)])),
        },
      };
    }
    default:
      throw new Error('unknown op ' + req.op);
  }
}

const rl = createInterface({ input: process.stdin });
rl.on('line', (line) => {
  let reply;
  try {
    reply = handle(JSON.parse(line));
  } catch (e) {
    reply = { error: String(e && e.message ? e.message : e) };
  }
  process.stdout.write(JSON.stringify(reply) + '\n');
});
