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
//   55     4    body_len u32 (<= 65536)
//   59     n    body
//   59+n   64   Ed25519 signature under "hansa/tx/v1" over bytes [0, 59+n)
//
// The tx hash is SHA-256 of the whole encoding, signature included.
import { Reader, Writer, concat, fromHex, toHex, toU64 } from "./bytes.js";
import { DOMAIN_TX, sha256, signDomain, verifyDomain } from "./crypto.js";
import { addressBytes, addressFormat, addressParse } from "./address.js";
import { MORE_KINDS, chitSignBytes, contract, liftHeader, receiptCore, tradeSignBytes } from "./bodies.js";

export const WIRE_VERSION = 1;
export const TX_BODY_MAX = 65536; // WIRE_TX_BODY_MAX (docs/wire.md)
export const PKT_PAYLOAD_MAX = 1024;
export const PKT_TRACE_MAX = 4;
export const VOTE_PAIRS_MAX = 16;

/** Kind numbers (append only; ranges per layer are reserved in types.h). The
 * kinds from 10 on (light clients, packets, credit, lifts, receipts) have
 * their codecs in bodies.js. */
export const KIND = Object.freeze({
  transfer: 1, stake: 2, unstake: 3, vote: 4, unvote: 5, unjail: 6,
  evidence: 7, upgrade_propose: 8, upgrade_vote: 9,
  ...Object.fromEntries(Object.entries(MORE_KINDS).map(([name, [code]]) => [name, code])),
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
  ...Object.fromEntries(Object.values(MORE_KINDS).map(([code, c]) => [code, c])),
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



// ---- builders of the kinds from 10 on ------------------------------------------
// Each takes the common {chainId, key, nonce, fee} and the body's fields as
// bodies.js names them. Where the body holds a signature of its own (tally
// contracts, trading variables, chits) the builder makes it with `key`, the
// sender's key, for the ledger requires the sender to be that signer.

export const DOMAIN_TALLY = "hansa/tally/v1";
export const DOMAIN_TRADE = "hansa/trade/v1";
export const DOMAIN_CHIT = "hansa/chit/v1";
export const DOMAIN_LIFT = "hansa/lift/v1";
export const DOMAIN_RECEIPT = "hansa/receipt/v1";

/** The sender's signature of a tally contract (fields as bodies.js `contract`). */
export const signContract = (key, c) => signDomain(key, DOMAIN_TALLY, contract.encode(c));
export const signTrade = (key, t) => signDomain(key, DOMAIN_TRADE, tradeSignBytes(t));
export const signChit = (key, c) => signDomain(key, DOMAIN_CHIT, chitSignBytes(c));
/** An underwriter's share of a receipt: its signature over core | signer | amount u64. */
export const signReceiptShare = (key, core, share) =>
  signDomain(key, DOMAIN_RECEIPT, new Writer().bytes(receiptCore.encode(core)).bytes(fromHex(share.signer, 32)).u64(toU64(share.amount, "amount")).done());
/** A lift's hash, what its ruling names: SHA-256("hansa/lift/v1" | header) as hex. */
export async function liftHash(fields) { return toHex(await sha256(concat(new TextEncoder().encode(DOMAIN_LIFT), liftHeader.encode(fields)))); }

const build = (kind) => (o) => buildTx({ ...o, kind, fields: o.fields });
export const clientCreate = build("client_create");
export const clientApprove = build("client_approve");
export const clientUpdate = build("client_update");
export const clientMisbehaviour = build("client_misbehaviour");
export const clientRevive = build("client_revive");
export const packetSend = build("packet_send");
export const packetRecv = build("packet_recv");
export const packetAck = build("packet_ack");
export const corrBond = (o) => buildTx({ ...o, kind: "corr_bond", fields: { chain: o.chain, amount: o.amount } });
export const corrUnbond = (o) => buildTx({ ...o, kind: "corr_unbond", fields: { chain: o.chain, amount: o.amount } });
export const tallyRefuse = (o) => buildTx({ ...o, kind: "tally_refuse", fields: { tallyId: o.tallyId, revision: o.revision } });
export const tallyClose = (o) => buildTx({ ...o, kind: "tally_close", fields: { id: o.tallyId } });
export const invoiceCreate = build("invoice_create");
export const invoiceRefuse = (o) => buildTx({ ...o, kind: "invoice_refuse", fields: { id: o.invoiceId } });
export const lift = build("lift");
export const receiptBond = (o) => buildTx({ ...o, kind: "receipt_bond", fields: { amount: o.amount } });
export const receiptUnbond = (o) => buildTx({ ...o, kind: "receipt_unbond", fields: { amount: o.amount } });
export const receiptClaim = build("receipt_claim");

/** A transfer to another chain (kind 20): `to` is an address of the
 * destination chain (its prefix names it unless `destChain` is given),
 * `timeoutMs` the destination's BFT time after which the transfer is
 * refunded, `denom` the trace of a voucher ([] = this chain's own token). */
export async function transferOut(o) {
  const { chainId: dest, bytes } = await addressParse(o.to, o.destChain);
  const transfer = { to: toHex(bytes), amount: o.amount, denom: o.denom ?? [] };
  return buildTx({ ...o, kind: "packet_send", fields: { destChain: dest, timeoutMs: o.timeoutMs, type: 1, transfer } });
}
export const crossTransfer = transferOut;
/** Offers (or counters, counter: true) a tally: the contract signed by the sender. */
export async function tallyOffer(o) {
  const sig = toHex(await signContract(o.key, o.contract));
  return buildTx({ ...o, kind: o.counter ? "tally_counter" : "tally_offer", fields: { contract: o.contract, sig } });
}
/** Accepts the contract offered: the sender signs the same bytes. */
export async function tallyAccept(o) {
  const sig = toHex(await signContract(o.key, o.contract));
  return buildTx({ ...o, kind: "tally_accept", fields: { tallyId: o.contract.tallyId, revision: o.contract.revision, sig } });
}
/** Replaces the sender's trading variables ({tallyId, side, seq, target, bound, rewardPpm, clutchPpm}). */
export async function tallyTrade(o) {
  const sig = toHex(await signTrade(o.key, o.trade));
  return buildTx({ ...o, kind: "tally_trade", fields: { ...o.trade, sig } });
}
/** A direct chit, or with invoiceId an invoice payment ({tallyId, chitId, by, amount, memo}). */
export async function chit(o) {
  const c = { ...o.chit, chitKind: o.chit.invoiceId ? 2 : 1 };
  const sig = toHex(await signChit(o.key, c));
  return buildTx({ ...o, kind: c.chitKind === 2 ? "invoice_pay" : "chit", fields: { ...c, invoiceId: c.invoiceId ?? "00".repeat(16), sig } });
}
