// tx.js — hansa transactions: the canonical encoding (docs/wire.md,
// "Transaction"), the body of every kind the ledger accepts (src/wire/types.h,
// src/ledger/tx_stake.h), signing and decoding.
//
//   offset size field
//   0      1    version (1)
//   1      4    chain_id u32
//   5      32   sender public key
//   37     8    nonce u64
//   45     8    fee u64
//   53     2    kind u16
//   55     4    body_len u32 (<= 16384)
//   59     n    body
//   59+n   64   Ed25519 signature under "hansa/tx/v1" over bytes [0, 59+n)
//
// The tx hash is SHA-256 of the whole encoding, signature included.
import { Reader, Writer, concat, fromHex, toHex, toU64 } from "./bytes.js";
import { DOMAIN_TX, sha256, signDomain, verifyDomain } from "./crypto.js";
import { addressBytes, addressFormat, addressParse } from "./address.js";

export const WIRE_VERSION = 1;
export const TX_BODY_MAX = 65536; // WIRE_TX_BODY_MAX (docs/wire.md)
export const PKT_PAYLOAD_MAX = 1024;
export const PKT_TRACE_MAX = 4;
export const VOTE_PAIRS_MAX = 16;

/** Kind numbers (append only; ranges per layer are reserved in types.h). */
export const KIND = Object.freeze({
  transfer: 1, stake: 2, unstake: 3, vote: 4, unvote: 5, unjail: 6,
  evidence: 7, upgrade_propose: 8, upgrade_vote: 9,
  // credit (docs/credit.md): named here so pages can show them; their bodies
  // are built by the credit layer's own tools until codecs are added below.
  tally_offer: 30, tally_counter: 31, tally_accept: 32, tally_refuse: 33, tally_close: 34,
  tally_trade: 35, chit: 36, invoice_create: 37, invoice_pay: 38, invoice_refuse: 39,
  // packets and correspondents (docs/interchain.md); recv and ack are built
  // by the relaying delegates from proofs, so only their names are here.
  packet_send: 20, packet_recv: 21, packet_ack: 22, corr_bond: 23, corr_unbond: 24,
  lift: 40,
  // receipts (docs/receipts.md): collateral bonded for instant receipts
  receipt_bond: 50, receipt_unbond: 51, receipt_claim: 52,
});
const KIND_NAME = Object.fromEntries(Object.entries(KIND).map(([k, v]) => [v, k]));
export function kindName(code) { return KIND_NAME[code] ?? String(code); }

// Body codecs, one per kind: encode(fields) -> bytes, decode(bytes) -> fields.
// A new kind (tallies, packets, ...) is one more row here.
const amountBody = {
  encode: (f) => new Writer().u64(toU64(f.amount, "amount")).done(),
  decode: (b) => { const r = new Reader(b); const amount = r.u64("amount"); r.end("amount body"); return { amount: amount.toString() }; },
};
const hashBody = {
  encode: (f) => fromHex(f.hash, 32),
  decode: (b) => { if (b.length !== 32) throw new Error("body: want a 32-byte hash"); return { hash: toHex(b) }; },
};
const pairsBody = {
  encode: (f) => {
    const pairs = f.pairs.map((p) => ({ cand: fromHex(p.candidate, 32), amount: toU64(p.amount, "amount") }));
    if (pairs.length < 1 || pairs.length > VOTE_PAIRS_MAX) throw new Error(`vote: 1..${VOTE_PAIRS_MAX} candidates`);
    pairs.sort((a, b) => (toHex(a.cand) < toHex(b.cand) ? -1 : 1)); // canonical: strictly increasing keys
    const w = new Writer().u8(pairs.length);
    for (const p of pairs) {
      if (p.amount === 0n) throw new Error("vote: amount 0");
      w.bytes(p.cand).u64(p.amount);
    }
    return w.done();
  },
  decode: (b) => {
    const r = new Reader(b);
    const n = r.u8("n");
    const pairs = [];
    for (let i = 0; i < n; i++) pairs.push({ candidate: toHex(r.bytes(32, "candidate")), amount: r.u64("amount").toString() });
    r.end("vote body");
    return { pairs };
  },
};
// A denomination: the chain ids of its trace, origin first ([] = the
// sending chain's own token): n u8 | n x chain u32.
function denomWrite(w, denom = []) {
  if (denom.length > PKT_TRACE_MAX) throw new Error(`denom: at most ${PKT_TRACE_MAX} chains`);
  w.u8(denom.length);
  for (const c of denom) w.u32(c);
}
function denomRead(r) {
  const n = r.u8("denom.n");
  if (n > PKT_TRACE_MAX) throw new Error(`denom.n ${n} over ${PKT_TRACE_MAX}`);
  const out = [];
  for (let i = 0; i < n; i++) out.push(r.u32("denom.chain"));
  return out;
}
// Packet send (kind 20): dest_chain u32 | timeout_ms u64 (the destination's
// BFT time) | type u8 | payload_len u16 | payload; a transfer (type 1) has
// the payload to (20) | amount u64 | denom. Other types carry `payload` hex.
const packetSendBody = {
  encode: (f) => {
    const type = f.type ?? 1;
    let payload;
    if (type === 1) {
      const t = f.transfer;
      const to = typeof t.to === "string" ? fromHex(t.to, 20) : Uint8Array.from(t.to);
      if (to.length !== 20) throw new Error("transfer.to: 20 bytes");
      const amount = toU64(t.amount, "transfer.amount");
      if (amount === 0n) throw new Error("transfer.amount: must be above 0");
      const w = new Writer().bytes(to).u64(amount);
      denomWrite(w, t.denom);
      payload = w.done();
    } else {
      payload = fromHex(f.payload);
    }
    if (type < 1 || type > 255) throw new Error("type: 1..255");
    if (payload.length > PKT_PAYLOAD_MAX) throw new Error(`payload over ${PKT_PAYLOAD_MAX} bytes`);
    return new Writer().u32(f.destChain).u64(toU64(f.timeoutMs, "timeoutMs")).u8(type).u16(payload.length)
      .bytes(payload).done();
  },
  decode: (b) => {
    const r = new Reader(b);
    const destChain = r.u32("dest_chain");
    const timeoutMs = r.u64("timeout_ms").toString();
    const type = r.u8("type");
    if (type === 0) throw new Error("type 0");
    const len = r.u16("payload_len");
    if (len > PKT_PAYLOAD_MAX) throw new Error("payload_len too long");
    const payload = r.bytes(len, "payload");
    r.end("packet send body");
    const out = { destChain, timeoutMs, type, payload: toHex(payload) };
    if (type === 1) {
      const t = new Reader(payload);
      const to = toHex(t.bytes(20, "transfer.to"));
      const amount = t.u64("transfer.amount");
      if (amount === 0n) throw new Error("transfer.amount 0");
      const denom = denomRead(t);
      t.end("transfer payload");
      out.transfer = { to, amount: amount.toString(), denom };
    }
    return out;
  },
};
// Collateral for a foreign chain (kinds 23, 24): chain u32 | amount u64 > 0.
const chainAmountBody = {
  encode: (f) => {
    const amount = toU64(f.amount, "amount");
    if (amount === 0n) throw new Error("amount: must be above 0");
    return new Writer().u32(f.chain).u64(amount).done();
  },
  decode: (b) => {
    const r = new Reader(b);
    const chain = r.u32("chain");
    const amount = r.u64("amount");
    r.end("collateral body");
    if (amount === 0n) throw new Error("amount 0");
    return { chain, amount: amount.toString() };
  },
};

// Receipt collateral (kinds 50, 51): amount u64 > 0.
const positiveAmountBody = {
  encode: (f) => {
    const amount = toU64(f.amount, "amount");
    if (amount === 0n) throw new Error("amount: must be above 0");
    return new Writer().u64(amount).done();
  },
  decode: (b) => {
    const out = amountBody.decode(b);
    if (out.amount === "0") throw new Error("amount 0");
    return out;
  },
};

const BODIES = {
  [KIND.transfer]: {
    encode: (f) => new Writer().bytes(f.toBytes).u64(toU64(f.amount, "amount")).done(),
    decode: (b) => { const r = new Reader(b); const to = r.bytes(20, "to"); const amount = r.u64("amount"); r.end("transfer body"); return { toBytes: to, amount: amount.toString() }; },
  },
  [KIND.stake]: amountBody,
  [KIND.unstake]: amountBody,
  [KIND.vote]: pairsBody,
  [KIND.unvote]: pairsBody,
  [KIND.unjail]: { encode: () => new Uint8Array(0), decode: (b) => { if (b.length) throw new Error("unjail: body must be empty"); return {}; } },
  [KIND.upgrade_propose]: hashBody,
  [KIND.upgrade_vote]: hashBody,
  [KIND.packet_send]: packetSendBody,
  [KIND.corr_bond]: chainAmountBody,
  [KIND.corr_unbond]: chainAmountBody,
  [KIND.receipt_bond]: positiveAmountBody,
  [KIND.receipt_unbond]: positiveAmountBody,
};

/** The bytes that are signed: the encoding without the signature. */
export function txSignBytes(tx) {
  const body = tx.body ?? new Uint8Array(0);
  if (body.length > TX_BODY_MAX) throw new Error(`body over ${TX_BODY_MAX} bytes`);
  return new Writer().u8(WIRE_VERSION).u32(tx.chainId).bytes(tx.sender).u64(toU64(tx.nonce, "nonce"))
    .u64(toU64(tx.fee, "fee")).u16(tx.kind).varBytes(body).done();
}

export function txEncode(tx) { return concat(txSignBytes(tx), tx.signature); }

/** Decodes a tx encoding (strictly: version, bounds, no trailing bytes). */
export function txDecode(bytes) {
  const r = new Reader(bytes);
  const version = r.u8("tx.version");
  if (version !== WIRE_VERSION) throw new Error(`tx.version ${version}, want 1`);
  const chainId = r.u32("tx.chain_id");
  const sender = r.bytes(32, "tx.sender");
  const nonce = r.u64("tx.nonce");
  const fee = r.u64("tx.fee");
  const kind = r.u16("tx.kind");
  if (kind < 1 || kind > 255) throw new Error(`tx.kind ${kind} out of range`);
  const len = r.u32("tx.body_len");
  if (len > TX_BODY_MAX) throw new Error("tx.body_len too long");
  const body = r.bytes(len, "tx.body");
  const signature = r.bytes(64, "tx.sig");
  r.end("tx");
  return { chainId, sender, nonce, fee, kind, body, signature };
}

/** Decodes the body of a known kind into fields; null for a kind this library does not know. */
export function bodyDecode(kind, body) {
  const c = BODIES[kind];
  return c ? c.decode(body) : null;
}

/** The body of a transaction of `kind` (name or number) from its fields. */
export function bodyEncode(kind, fields) {
  const code = typeof kind === "string" ? KIND[kind] : kind;
  const codec = BODIES[code];
  if (!codec) throw new Error(`no body codec for kind ${kind}`);
  return codec.encode(fields);
}

/** Builds and signs a transaction.
 * opts: {chainId, key (from keyFromSeed), nonce, fee, kind (name or number), fields}
 * Returns {bytes, hex, hash (hex), tx}. */
export async function buildTx({ chainId, key, nonce, fee, kind, fields = {} }) {
  const code = typeof kind === "string" ? KIND[kind] : kind;
  const body = bodyEncode(code, fields);
  const tx = { chainId, sender: key.publicKey, nonce: toU64(nonce, "nonce"), fee: toU64(fee, "fee"), kind: code, body };
  tx.signature = await signDomain(key, DOMAIN_TX, txSignBytes(tx));
  const bytes = txEncode(tx);
  return { bytes, hex: toHex(bytes), hash: toHex(await sha256(bytes)), tx };
}

/** True if the tx's signature verifies under its sender key. */
export async function txVerifySignature(bytes) {
  const tx = txDecode(bytes);
  return verifyDomain(tx.sender, DOMAIN_TX, bytes.slice(0, bytes.length - 64), tx.signature);
}

// Convenience builders, one per kind. `to`/`candidate` accept the forms the
// CLI accepts: an address text (transfer) or a 64-hex public key (votes).
export async function transfer(o) {
  const { bytes } = await addressParse(o.to, o.chainId);
  return buildTx({ ...o, kind: "transfer", fields: { toBytes: bytes, amount: o.amount } });
}
export const stake = (o) => buildTx({ ...o, kind: "stake", fields: { amount: o.amount } });
export const unstake = (o) => buildTx({ ...o, kind: "unstake", fields: { amount: o.amount } });
export const vote = (o) => buildTx({ ...o, kind: "vote", fields: { pairs: o.pairs } });
export const unvote = (o) => buildTx({ ...o, kind: "unvote", fields: { pairs: o.pairs } });
export const unjail = (o) => buildTx({ ...o, kind: "unjail" });
export const upgradePropose = (o) => buildTx({ ...o, kind: "upgrade_propose", fields: { hash: o.hash } });
export const upgradeVote = (o) => buildTx({ ...o, kind: "upgrade_vote", fields: { hash: o.hash } });
/** A transfer to another chain (kind 20): `to` is an address of the
 * destination chain (its prefix names it), `timeoutMs` the destination's BFT
 * time after which the transfer is refunded, `denom` the trace of a voucher
 * ([] = this chain's own token). */
export async function crossTransfer(o) {
  const { chainId: dest, bytes } = await addressParse(o.to);
  return buildTx({ ...o, kind: "packet_send",
    fields: { destChain: dest, timeoutMs: o.timeoutMs, type: 1, transfer: { to: bytes, amount: o.amount, denom: o.denom ?? [] } } });
}
export const corrBond = (o) => buildTx({ ...o, kind: "corr_bond", fields: { chain: o.chain, amount: o.amount } });
export const corrUnbond = (o) => buildTx({ ...o, kind: "corr_unbond", fields: { chain: o.chain, amount: o.amount } });
export const receiptBond = (o) => buildTx({ ...o, kind: "receipt_bond", fields: { amount: o.amount } });
export const receiptUnbond = (o) => buildTx({ ...o, kind: "receipt_unbond", fields: { amount: o.amount } });

/** A readable view of a tx encoding: kind name, sender address, decoded body. */
export async function txDescribe(bytes) {
  const tx = txDecode(bytes);
  const out = {
    hash: toHex(await sha256(bytes)), chainId: tx.chainId, kind: kindName(tx.kind), kindCode: tx.kind,
    sender: toHex(tx.sender), senderAddress: await addressFormat(tx.chainId, await addressBytes(tx.sender)),
    nonce: tx.nonce.toString(), fee: tx.fee.toString(), body: toHex(tx.body),
  };
  let fields = null;
  try { fields = bodyDecode(tx.kind, tx.body); } catch (e) { out.bodyError = e.message; }
  if (fields && fields.toBytes) { fields.to = await addressFormat(tx.chainId, fields.toBytes); delete fields.toBytes; }
  out.fields = fields;
  return out;
}


