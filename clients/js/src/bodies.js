// bodies.js — the bodies of the transaction kinds beyond the delegate ones:
// light clients (10-14), packets and correspondents (20-24), credit (30-40)
// and receipts (50-52). Byte layouts: docs/wire.md ("Light clients",
// "Packets", "Credit", "Receipts") and docs/credit.md ("Transactions").
//
// Each codec is {encode(fields) -> bytes, decode(bytes) -> fields}; decode
// reads the whole body strictly (bounds before allocating, no trailing
// bytes) and encode(decode(b)) === b. u64 values decode as decimal strings
// and encode from anything toU64 takes; byte strings are lowercase hex.
// test/vectors/bodies.json holds bodies made by the C encoders: the unit
// test checks every codec against them byte for byte.
import { Reader, Writer, fromHex, toHex, toU64, utf8 } from "./bytes.js";

export const LIMITS = Object.freeze({
  headerBytes: 281, commitSigsMax: 128, validatorsMax: 1024, pathMax: 16, blockTxsMax: 10000,
  traceMax: 4, payloadMax: 1024, txBodyMax: 65536, memoMax: 128, itemsMax: 8, hintsMax: 4,
  itemTextMax: 64, hintTextMax: 64, liftHopsMax: 16, receiptSharesMax: 8, amountMax: 1n << 62n,
});
const ID = 16; // credit ids: tallies, chits, invoices, lifts

// ---- small helpers ----------------------------------------------------------

const hex = (r, n, f) => toHex(r.bytes(n, f));
const u64s = (r, f) => r.u64(f).toString();
function fixed(w, h, n, f) {
  let b;
  try { b = fromHex(h, n); } catch (e) { throw new Error(`${f}: ${e.message}`); }
  return w.bytes(b);
}
function i32(w, v, f) {
  if (!Number.isInteger(v) || v < -(2 ** 31) || v >= 2 ** 31) throw new RangeError(`${f}: not an i32`);
  return w.u32(v >>> 0);
}
const readI32 = (r, f) => r.u32(f) | 0;
function u32(w, v, f) {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`${f}: not a u32`);
  return w.u32(v);
}
function u8(w, v, f) {
  if (!Number.isInteger(v) || v < 0 || v > 255) throw new RangeError(`${f}: not a u8`);
  return w.u8(v);
}
/** A credit id: 16 bytes, never all zero. */
function id(w, h, f) {
  const b = fromHex(h, ID);
  if (b.every((x) => x === 0)) throw new Error(`${f}: an all-zero id is refused`);
  return w.bytes(b);
}
/** A u32-length-prefixed nested object (a header, commit or validator set), as hex. */
function nested(w, h, f) { const b = fromHex(h); if (!b.length) throw new Error(`${f}: empty`); return w.varBytes(b); }
function readNested(r, max, f) {
  const n = r.u32(`${f} length`);
  if (n > max) throw new Error(`${f}: ${n} bytes, at most ${max}`);
  return toHex(r.bytes(n, f));
}
/** Printable ASCII text with a u16 length (the credit layer's text fields). */
function text(w, s, max, f) {
  const b = utf8(s ?? "");
  if (b.length > max) throw new Error(`${f}: ${b.length} bytes, at most ${max}`);
  if (!b.every((c) => c >= 0x20 && c <= 0x7e)) throw new Error(`${f}: printable ASCII only`);
  return w.u16(b.length).bytes(b);
}
function readText(r, max, f) {
  const n = r.u16(`${f} length`);
  if (n > max) throw new Error(`${f}: ${n} bytes, at most ${max}`);
  const b = r.bytes(n, f);
  if (!b.every((c) => c >= 0x20 && c <= 0x7e)) throw new Error(`${f}: printable ASCII only`);
  return String.fromCharCode(...b);
}
function amount(w, v, f, allowZero = false) {
  const a = toU64(v, f);
  if ((!allowZero && a === 0n) || a > LIMITS.amountMax) throw new RangeError(`${f}: ${allowZero ? 0 : 1}..2^62`);
  return w.u64(a);
}
function codec(what, enc, dec) {
  return {
    encode: (f) => { const w = new Writer(); enc(w, f); return w.done(); },
    decode: (b) => { const r = new Reader(b); const out = dec(r); r.end(what); return out; },
  };
}

// ---- light clients (10-14) -------------------------------------------------------

const COMMIT_MAX = 53 + 66 * LIMITS.commitSigsMax;
const VALSET_MAX = 5 + 40 * LIMITS.validatorsMax;
const CONS = ["headerHash", "appHash", "txRoot", "validatorsHash", "nextValidatorsHash"];

// A FROST update (cert kind 2) carries a signed checkpoint (145 bytes) and up
// to 16 handoffs (149 bytes each) as fixed-size objects (docs/wire.md). Their
// structure is checked here (version, epochs, t of n); whether the keys and
// signatures are valid ristretto255 values, and verify, is the chain's check.
const CHECKPOINT_BYTES = 145, HANDOFF_BYTES = 149, HANDOFFS_MAX = 16;
function readCheckpoint(r) {
  const b = r.bytes(CHECKPOINT_BYTES, "checkpoint");
  if (b[0] !== 1) throw new Error(`checkpoint: version ${b[0]}`);
  return toHex(b);
}
function readHandoff(r, i) {
  const b = r.bytes(HANDOFF_BYTES, `handoff ${i}`);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (b[0] !== 1) throw new Error(`handoff ${i}: version ${b[0]}`);
  if (dv.getBigUint64(9, true) <= dv.getBigUint64(1, true)) throw new Error(`handoff ${i}: new_epoch not above old_epoch`);
  const t = dv.getUint16(81, true), n = dv.getUint16(83, true);
  if (t < 1 || t > n || n > 128) throw new Error(`handoff ${i}: t ${t} of n ${n}`);
  return toHex(b);
}
// A commit update may end with a key proof (docs/wire.md "client_update"):
// the chain's key record 59 (93 bytes, checked for its structure: version,
// t = floor(2n/3)+1 of n <= 128, at least t qualified dealers within 1..n,
// keyed_at > 0), the three hashes that make the header's app hash and the
// record's audit path. Whether it leads there is the chain's check.
const GROUP_REC_BYTES = 93, KEY_PATH_MAX = 64;
const KP_HASHES = ["prevAppHash", "writesHash", "stateRoot"];
function checkGroupRec(b) {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (b.length !== GROUP_REC_BYTES) throw new Error(`key proof record: ${b.length} bytes, not ${GROUP_REC_BYTES}`);
  if (b[0] !== 1) throw new Error(`key proof record: version ${b[0]}`);
  const n = dv.getUint16(33, true), t = dv.getUint16(35, true);
  if (n < 1 || n > 128 || t !== Math.floor((2 * n) / 3) + 1) throw new Error(`key proof record: t ${t} of n ${n}`);
  let q = 0;
  for (let id = 1; id <= 128; id++) {
    if (!((b[37 + ((id - 1) >> 3)] >> ((id - 1) & 7)) & 1)) continue;
    if (id > n) throw new Error(`key proof record: dealer ${id} outside the set`);
    q++;
  }
  if (q < t) throw new Error(`key proof record: ${q} qualified dealers, fewer than t ${t}`);
  if (dv.getBigUint64(85, true) === 0n) throw new Error("key proof record: keyed_at 0");
}
function keyProofEnc(w, k) {
  w.u8(1).u64(toU64(k.epoch, "keyProof.epoch"));
  const rec = fromHex(k.record, GROUP_REC_BYTES);
  checkGroupRec(rec);
  w.varBytes(rec);
  KP_HASHES.forEach((f) => fixed(w, k[f], 32, `keyProof.${f}`));
  w.u64(toU64(k.leafIndex, "keyProof.leafIndex")).u64(toU64(k.nLeaves, "keyProof.nLeaves"));
  if (k.path.length > KEY_PATH_MAX) throw new RangeError(`keyProof.path: at most ${KEY_PATH_MAX}`);
  w.u8(k.path.length);
  k.path.forEach((h, i) => fixed(w, h, 32, `keyProof.path[${i}]`));
}
function keyProofDec(r) {
  const epoch = u64s(r, "epoch");
  const record = readNested(r, GROUP_REC_BYTES, "key proof record");
  checkGroupRec(fromHex(record));
  const k = { epoch, record };
  KP_HASHES.forEach((f) => { k[f] = hex(r, 32, f); });
  k.leafIndex = u64s(r, "leaf_index");
  k.nLeaves = u64s(r, "n_leaves");
  const n = r.u8("path_len");
  if (n > KEY_PATH_MAX) throw new Error(`path_len ${n}: at most ${KEY_PATH_MAX}`);
  k.path = [];
  for (let i = 0; i < n; i++) k.path.push(hex(r, 32, "path"));
  return k;
}
function updateEnc(w, u) {
  w.u64(toU64(u.trustedHeight, "trustedHeight"));
  nested(w, u.header, "header");
  u8(w, u.certKind ?? 1, "certKind");
  if (u.certKind === 2) {
    fixed(w, u.checkpoint, CHECKPOINT_BYTES, "checkpoint");
    const hs = u.handoffs ?? [];
    if (hs.length > HANDOFFS_MAX) throw new RangeError(`handoffs: at most ${HANDOFFS_MAX}`);
    w.u8(hs.length);
    hs.forEach((h, i) => fixed(w, h, HANDOFF_BYTES, `handoffs[${i}]`));
    return;
  }
  nested(w, u.commit, "commit");
  nested(w, u.vals, "vals");
  w.u8(u.trustedVals ? 1 : 0);
  if (u.trustedVals) nested(w, u.trustedVals, "trustedVals");
  if (u.keyProof) keyProofEnc(w, u.keyProof);
}
function updateDec(r) {
  const trustedHeight = u64s(r, "trusted_height");
  const header = readNested(r, LIMITS.headerBytes, "header");
  const certKind = r.u8("cert_kind");
  if (certKind !== 1 && certKind !== 2)
    throw new Error(`cert_kind ${certKind}: 1 (a commit certificate) or 2 (a FROST checkpoint)`);
  if (certKind === 2) {
    const checkpoint = readCheckpoint(r);
    const n = r.u8("n_handoffs");
    if (n > HANDOFFS_MAX) throw new Error(`n_handoffs ${n}: at most ${HANDOFFS_MAX}`);
    const handoffs = [];
    for (let i = 0; i < n; i++) handoffs.push(readHandoff(r, i));
    return { trustedHeight, header, certKind, checkpoint, handoffs };
  }
  const commit = readNested(r, COMMIT_MAX, "commit");
  const vals = readNested(r, VALSET_MAX, "vals");
  const has = r.u8("has_trusted_vals");
  if (has > 1) throw new Error("has_trusted_vals: 0 or 1");
  const trustedVals = has ? readNested(r, VALSET_MAX, "trusted_vals") : null;
  const u = { trustedHeight, header, certKind, commit, vals, trustedVals };
  if (r.off === r.b.length) return u; // no key proof: no byte at all
  if (r.b[r.off] !== 1) throw new Error(`${r.b.length - r.off} bytes left after update (a key proof starts with 1)`);
  r.off++;
  u.keyProof = keyProofDec(r);
  return u;
}
const update = codec("update", updateEnc, updateDec);

// The root may name the chain's FROST group key: 40 more bytes (epoch, key).
const clientCreate = codec("client_create", (w, f) => {
  u32(w, f.chainId, "chainId");
  w.u64(toU64(f.trustingPeriodMs, "trustingPeriodMs")).u64(toU64(f.maxClockDriftMs, "maxClockDriftMs"));
  w.u64(toU64(f.root.height, "root.height")).u64(toU64(f.root.timeMs, "root.timeMs"));
  for (const k of CONS) fixed(w, f.root[k], 32, `root.${k}`);
  if (f.root.groupKey) {
    w.u64(toU64(f.root.groupKey.epoch, "root.groupKey.epoch"));
    fixed(w, f.root.groupKey.key, 32, "root.groupKey.key");
  }
}, (r) => {
  const chainId = r.u32("chain_id");
  const trustingPeriodMs = u64s(r, "trusting_period_ms"), maxClockDriftMs = u64s(r, "max_clock_drift_ms");
  const root = { height: u64s(r, "root.height"), timeMs: u64s(r, "root.time_ms") };
  for (const k of CONS) root[k] = hex(r, 32, `root.${k}`);
  if (r.b.length - r.off === 40) root.groupKey = { epoch: u64s(r, "root.group_key.epoch"), key: hex(r, 32, "root.group_key") };
  return { chainId, trustingPeriodMs, maxClockDriftMs, root };
});

const clientApprove = codec("client_approve",
  (w, f) => { u32(w, f.chainId, "chainId"); fixed(w, f.subject, 32, "subject"); },
  (r) => ({ chainId: r.u32("chain_id"), subject: hex(r, 32, "subject") }));

const clientMisbehaviour = codec("client_misbehaviour", (w, f) => {
  w.varBytes(update.encode(f.a)).varBytes(update.encode(f.b));
}, (r) => {
  const one = (f) => {
    const n = r.u32(`${f} length`);
    if (n > LIMITS.txBodyMax) throw new Error(`${f}: too long`);
    return update.decode(r.bytes(n, f));
  };
  return { a: one("update a"), b: one("update b") };
});

// ---- packets and correspondents (20-24) ------------------------------------------

function denomEnc(w, chains = []) {
  if (chains.length > LIMITS.traceMax) throw new Error(`denom: at most ${LIMITS.traceMax} chains`);
  w.u8(chains.length);
  chains.forEach((c, i) => u32(w, c, `denom[${i}]`));
}
function denomDec(r) {
  const n = r.u8("denom n");
  if (n > LIMITS.traceMax) throw new Error(`denom: ${n} chains, at most ${LIMITS.traceMax}`);
  return Array.from({ length: n }, (_, i) => r.u32(`denom[${i}]`));
}
/** The payload of a transfer packet (type 1): to (20) | amount u64 > 0 | denom. */
export const transferPayload = codec("transfer payload", (w, f) => {
  fixed(w, f.to, 20, "to");
  const a = toU64(f.amount, "amount");
  if (a === 0n) throw new RangeError("amount: must be > 0");
  w.u64(a);
  denomEnc(w, f.denom);
}, (r) => {
  const to = hex(r, 20, "to"), amt = r.u64("amount");
  if (amt === 0n) throw new Error("amount: 0");
  return { to, amount: amt.toString(), denom: denomDec(r) };
});

function proofEnc(w, p) {
  const height = toU64(p.height, "proof.height");
  if (height === 0n) throw new RangeError("proof.height: must be > 0");
  w.u64(height);
  if (!(p.index < p.count && p.count <= LIMITS.blockTxsMax)) throw new RangeError("proof: index < count <= 10000");
  u32(w, p.index, "proof.index"); u32(w, p.count, "proof.count");
  const path = p.path ?? [];
  if (path.length > LIMITS.pathMax) throw new Error(`proof.path: at most ${LIMITS.pathMax} hashes`);
  w.u8(path.length);
  path.forEach((h, i) => fixed(w, h, 32, `proof.path[${i}]`));
  nested(w, p.tx, "proof.tx");
}
function proofDec(r) {
  const height = r.u64("proof.height");
  if (height === 0n) throw new Error("proof.height: 0");
  const index = r.u32("proof.index"), count = r.u32("proof.count");
  if (!(index < count && count <= LIMITS.blockTxsMax)) throw new Error("proof: index < count <= 10000");
  const n = r.u8("proof.path_len");
  if (n > LIMITS.pathMax) throw new Error(`proof.path: ${n} hashes, at most ${LIMITS.pathMax}`);
  const path = Array.from({ length: n }, (_, i) => hex(r, 32, `proof.path[${i}]`));
  const tx = readNested(r, 123 + LIMITS.txBodyMax, "proof.tx");
  return { height: height.toString(), index, count, path, tx };
}

const packetSend = codec("packet_send", (w, f) => {
  u32(w, f.destChain, "destChain");
  w.u64(toU64(f.timeoutMs, "timeoutMs"));
  const type = f.type ?? 1;
  if (type === 0) throw new RangeError("type: must be non-zero");
  u8(w, type, "type");
  const payload = f.transfer ? transferPayload.encode(f.transfer) : fromHex(f.payload);
  if (payload.length > LIMITS.payloadMax) throw new Error(`payload: at most ${LIMITS.payloadMax} bytes`);
  w.u16(payload.length).bytes(payload);
}, (r) => {
  const destChain = r.u32("dest_chain"), timeoutMs = u64s(r, "timeout_ms"), type = r.u8("type");
  if (type === 0) throw new Error("type: 0");
  const n = r.u16("payload_len");
  if (n > LIMITS.payloadMax) throw new Error(`payload: ${n} bytes, at most ${LIMITS.payloadMax}`);
  const p = r.bytes(n, "payload");
  const out = { destChain, timeoutMs, type, payload: toHex(p) };
  if (type === 1) out.transfer = transferPayload.decode(p);
  return out;
});

// Outcome 6 (a tally message its tally's rules refuse) is xtally's, on main.
export const PACKET_OUTCOMES = ["credited", "timed out", "trace too long", "over limit", "escrow short", "unknown type",
  "refused by the tally's rules"];
const packetRecv = codec("packet_recv", (w, f) => {
  u32(w, f.srcChain, "srcChain");
  proofEnc(w, f.proof);
  if (!(f.outcome >= 0 && f.outcome < PACKET_OUTCOMES.length)) throw new RangeError(`outcome: 0..${PACKET_OUTCOMES.length - 1}`);
  w.u8(f.outcome);
}, (r) => {
  const srcChain = r.u32("src_chain"), proof = proofDec(r), outcome = r.u8("outcome");
  if (outcome >= PACKET_OUTCOMES.length) throw new Error(`outcome ${outcome}: 0..${PACKET_OUTCOMES.length - 1}`);
  return { srcChain, proof, outcome };
});
const packetAck = codec("packet_ack", (w, f) => { u32(w, f.destChain, "destChain"); proofEnc(w, f.proof); },
  (r) => ({ destChain: r.u32("dest_chain"), proof: proofDec(r) }));

const collateral = codec("collateral", (w, f) => {
  u32(w, f.chain, "chain");
  const a = toU64(f.amount, "amount");
  if (a === 0n) throw new RangeError("amount: must be > 0");
  w.u64(a);
}, (r) => {
  const chain = r.u32("chain"), a = r.u64("amount");
  if (a === 0n) throw new Error("amount: 0");
  return { chain, amount: a.toString() };
});

// ---- credit (30-40) --------------------------------------------------------------

const VERSION = 1;
function version(r, what) { const v = r.u8(`${what} version`); if (v !== VERSION) throw new Error(`${what} version ${v}, want 1`); }
function readId(r, f) {
  const b = r.bytes(ID, f);
  if (b.every((x) => x === 0)) throw new Error(`${f}: all zero`);
  return toHex(b);
}
function side(w, s, f) { if (s !== 1 && s !== 2) throw new RangeError(`${f}: 1 stock or 2 foil`); return w.u8(s); }
function readSide(r, f) { const s = r.u8(f); if (s !== 1 && s !== 2) throw new Error(`${f}: ${s}, want 1 or 2`); return s; }

/** The tally contract (117 bytes): what both parties sign under hansa/tally/v1. */
export const contract = codec("contract", (w, c) => {
  w.u8(VERSION);
  id(w, c.tallyId, "tallyId");
  for (const p of ["stock", "foil"]) { u32(w, c[p].chain, `${p}.chain`); fixed(w, c[p].key, 32, `${p}.key`); }
  for (const g of ["stockGrants", "foilGrants"]) {
    amount(w, c[g].limit, `${g}.limit`, true);
    if (!(c[g].callDays >= 0 && c[g].callDays <= 36500)) throw new RangeError(`${g}.callDays: 0..36500`);
    w.u32(c[g].callDays);
  }
  if (!(c.revision >= 1)) throw new RangeError("revision: >= 1");
  u32(w, c.revision, "revision");
}, (r) => {
  version(r, "contract");
  const c = { tallyId: readId(r, "tally_id") };
  for (const p of ["stock", "foil"]) c[p] = { chain: r.u32(`${p} chain`), key: hex(r, 32, `${p} key`) };
  for (const g of ["stockGrants", "foilGrants"]) {
    const limit = r.u64(`${g} limit`), callDays = r.u32(`${g} call_days`);
    if (limit > LIMITS.amountMax || callDays > 36500) throw new Error(`${g}: out of range`);
    c[g] = { limit: limit.toString(), callDays };
  }
  c.revision = r.u32("revision");
  if (c.revision === 0) throw new Error("revision: 0");
  if (c.stock.chain === c.foil.chain && c.stock.key === c.foil.key) throw new Error("foil key: the same party holds both halves");
  return c;
});

const offer = codec("tally offer", (w, f) => { w.bytes(contract.encode(f.contract)); fixed(w, f.sig, 64, "sig"); },
  (r) => ({ contract: contract.decode(r.bytes(117, "contract")), sig: hex(r, 64, "sig") }));
const answer = codec("tally accept", (w, f) => { id(w, f.tallyId, "tallyId"); u32(w, f.revision, "revision"); fixed(w, f.sig, 64, "sig"); },
  (r) => ({ tallyId: readId(r, "tally_id"), revision: r.u32("revision"), sig: hex(r, 64, "sig") }));
const refuse = codec("tally refuse", (w, f) => { id(w, f.tallyId, "tallyId"); u32(w, f.revision, "revision"); },
  (r) => ({ tallyId: readId(r, "tally_id"), revision: r.u32("revision") }));
const idOnly = codec("tally or invoice id", (w, f) => id(w, f.id, "id"), (r) => ({ id: readId(r, "id") }));

/** The first 46 bytes of the trading variables: what hansa/trade/v1 signs. */
export function tradeSignBytes(f) {
  const w = new Writer().u8(VERSION);
  id(w, f.tallyId, "tallyId");
  side(w, f.side, "side");
  u32(w, f.seq, "seq");
  const target = toU64(f.target, "target"), bound = toU64(f.bound, "bound");
  if (!(target <= bound && bound <= LIMITS.amountMax)) throw new RangeError("0 <= target <= bound <= 2^62");
  const ppm = (v, n) => { if (!(v >= -1e6 && v <= 1e6)) throw new RangeError(`${n}: -1000000..1000000 ppm`); };
  ppm(f.rewardPpm, "rewardPpm"); ppm(f.clutchPpm, "clutchPpm");
  if (f.rewardPpm + f.clutchPpm < 0) throw new RangeError("reward + clutch is negative");
  w.u64(target).u64(bound);
  i32(w, f.rewardPpm, "rewardPpm"); i32(w, f.clutchPpm, "clutchPpm");
  return w.done();
}
const trade = codec("trading variables", (w, f) => { w.bytes(tradeSignBytes(f)); fixed(w, f.sig, 64, "sig"); }, (r) => {
  version(r, "trading variables");
  const f = { tallyId: readId(r, "tally_id"), side: readSide(r, "side"), seq: r.u32("seq"),
    target: u64s(r, "target"), bound: u64s(r, "bound"), rewardPpm: readI32(r, "reward"), clutchPpm: readI32(r, "clutch") };
  tradeSignBytes(f); // the same range rules as the encoder
  f.sig = hex(r, 64, "sig");
  return f;
});

export const CHIT_KIND = Object.freeze({ direct: 1, invoice: 2, lift: 3 });
/** A chit without its signature: what hansa/chit/v1 signs. */
export function chitSignBytes(f) {
  const w = new Writer().u8(VERSION);
  id(w, f.tallyId, "tallyId");
  id(w, f.chitId, "chitId");
  side(w, f.by, "by");
  if (![1, 2, 3].includes(f.chitKind)) throw new RangeError("chitKind: 1 direct, 2 invoice, 3 lift");
  w.u8(f.chitKind);
  amount(w, f.amount, "amount");
  const inv = fromHex(f.invoiceId ?? "00".repeat(ID), ID);
  if ((f.chitKind === 1) !== inv.every((x) => x === 0)) throw new Error("invoiceId: zero exactly for a direct chit");
  w.bytes(inv);
  text(w, f.memo, LIMITS.memoMax, "memo");
  return w.done();
}
const chit = codec("chit", (w, f) => { w.bytes(chitSignBytes(f)); fixed(w, f.sig, 64, "sig"); }, (r) => {
  version(r, "chit");
  const f = { tallyId: readId(r, "tally_id"), chitId: readId(r, "chit_id"), by: readSide(r, "by"), chitKind: r.u8("kind"),
    amount: u64s(r, "amount"), invoiceId: hex(r, ID, "invoice_id"), memo: readText(r, LIMITS.memoMax, "memo") };
  chitSignBytes(f);
  f.sig = hex(r, 64, "sig");
  return f;
});

const invoice = codec("invoice", (w, f) => {
  w.u8(VERSION);
  id(w, f.invoiceId, "invoiceId");
  id(w, f.tallyId, "tallyId");
  side(w, f.payee, "payee");
  amount(w, f.amount, "amount");
  const items = f.items ?? [], hints = f.hints ?? [];
  if (items.length > LIMITS.itemsMax) throw new Error(`items: at most ${LIMITS.itemsMax}`);
  w.u8(items.length);
  let sum = 0n;
  items.forEach((it, i) => { text(w, it.text, LIMITS.itemTextMax, `items[${i}].text`); amount(w, it.amount, `items[${i}].amount`); sum += toU64(it.amount); });
  if (items.length && sum !== toU64(f.amount)) throw new Error("amount: not the sum of the items");
  if (hints.length > LIMITS.hintsMax) throw new Error(`hints: at most ${LIMITS.hintsMax}`);
  w.u8(hints.length);
  hints.forEach((h, i) => text(w, h, LIMITS.hintTextMax, `hints[${i}]`));
}, (r) => {
  version(r, "invoice");
  const f = { invoiceId: readId(r, "invoice_id"), tallyId: readId(r, "tally_id"), payee: readSide(r, "payee"), amount: u64s(r, "amount") };
  const n = r.u8("n_items");
  if (n > LIMITS.itemsMax) throw new Error(`n_items ${n}, at most ${LIMITS.itemsMax}`);
  f.items = Array.from({ length: n }, (_, i) => ({ text: readText(r, LIMITS.itemTextMax, `item ${i} text`), amount: u64s(r, `item ${i} amount`) }));
  const m = r.u8("n_hints");
  if (m > LIMITS.hintsMax) throw new Error(`n_hints ${m}, at most ${LIMITS.hintsMax}`);
  f.hints = Array.from({ length: m }, (_, i) => readText(r, LIMITS.hintTextMax, `hint ${i}`));
  invoice.encode(f); // the encoder's range and sum rules
  return f;
});

export const LIFT_KIND = Object.freeze({ circular: 1, linear: 2 });
/** The lift header (the body of TX_LIFT); its hash is SHA-256("hansa/lift/v1" | header). */
export const liftHeader = codec("lift", (w, f) => {
  w.u8(VERSION);
  id(w, f.liftId, "liftId");
  if (f.liftKind !== 1 && f.liftKind !== 2) throw new RangeError("liftKind: 1 circular, 2 linear");
  w.u8(f.liftKind);
  amount(w, f.amount, "amount");
  w.u64(toU64(f.expiryMs, "expiryMs"));
  u32(w, f.refereeChain, "refereeChain");
  fixed(w, f.refereeKey, 32, "refereeKey");
  const n = f.tallies.length;
  if (n < 1 || n > LIMITS.liftHopsMax) throw new Error(`tallies: 1..${LIMITS.liftHopsMax}`);
  if (f.parties.length !== n + 1) throw new Error("parties: one more than the tallies");
  w.u8(n);
  f.tallies.forEach((t, i) => id(w, t, `tallies[${i}]`));
  f.parties.forEach((p, i) => { u32(w, p.chain, `parties[${i}].chain`); fixed(w, p.key, 32, `parties[${i}].key`); });
}, (r) => {
  version(r, "lift");
  const f = { liftId: readId(r, "lift_id"), liftKind: r.u8("kind"), amount: u64s(r, "amount"), expiryMs: u64s(r, "expiry_ms"),
    refereeChain: r.u32("referee_chain"), refereeKey: hex(r, 32, "referee_key") };
  const n = r.u8("n");
  if (n < 1 || n > LIMITS.liftHopsMax) throw new Error(`n ${n}: 1..${LIMITS.liftHopsMax}`);
  f.tallies = Array.from({ length: n }, (_, i) => readId(r, `tally ${i}`));
  f.parties = Array.from({ length: n + 1 }, (_, i) => ({ chain: r.u32(`party ${i} chain`), key: hex(r, 32, `party ${i} key`) }));
  liftHeader.encode(f);
  return f;
});

// ---- receipts (50-52) ------------------------------------------------------------

/** The receipt core (121 bytes); its SHA-256 is the receipt id. */
export const receiptCore = codec("receipt core", (w, c) => {
  w.u8(VERSION);
  u32(w, c.chainId, "chainId");
  fixed(w, c.txHash, 32, "txHash"); fixed(w, c.sender, 32, "sender");
  w.u64(toU64(c.nonce, "nonce"));
  fixed(w, c.beneficiary, 20, "beneficiary");
  const a = toU64(c.amount, "amount"), issued = toU64(c.issuedHeight, "issuedHeight"), dl = toU64(c.deadline, "deadline");
  if (a === 0n) throw new RangeError("amount: must be > 0");
  if (!(issued < dl && dl <= issued + 256n)) throw new RangeError("deadline: issued < deadline <= issued + 256");
  w.u64(a).u64(issued).u64(dl);
}, (r) => {
  version(r, "receipt");
  const c = { chainId: r.u32("chain_id"), txHash: hex(r, 32, "tx_hash"), sender: hex(r, 32, "sender"), nonce: u64s(r, "nonce"),
    beneficiary: hex(r, 20, "beneficiary"), amount: u64s(r, "amount"), issuedHeight: u64s(r, "issued_height"), deadline: u64s(r, "deadline") };
  receiptCore.encode(c);
  return c;
});
function receiptEnc(w, rc) {
  w.bytes(receiptCore.encode(rc.core));
  const s = rc.shares;
  if (s.length < 1 || s.length > LIMITS.receiptSharesMax) throw new Error(`shares: 1..${LIMITS.receiptSharesMax}`);
  w.u8(s.length);
  let sum = 0n;
  s.forEach((x, i) => {
    if (i && !(x.signer > s[i - 1].signer)) throw new Error("shares: signers strictly increasing");
    fixed(w, x.signer, 32, `shares[${i}].signer`);
    const a = toU64(x.amount, "share amount");
    if (a === 0n) throw new RangeError("share amount: must be > 0");
    w.u64(a);
    fixed(w, x.sig, 64, `shares[${i}].sig`);
    sum += a;
  });
  if (sum !== toU64(rc.core.amount)) throw new Error("shares: amounts do not sum to the core's amount");
}
function receiptDec(r) {
  const core = receiptCore.decode(r.bytes(121, "receipt core"));
  const n = r.u8("n_shares");
  if (n < 1 || n > LIMITS.receiptSharesMax) throw new Error(`n_shares ${n}: 1..${LIMITS.receiptSharesMax}`);
  const shares = Array.from({ length: n }, (_, i) => ({ signer: hex(r, 32, `share ${i} signer`), amount: u64s(r, `share ${i} amount`), sig: hex(r, 64, `share ${i} sig`) }));
  const rc = { core, shares };
  receiptEnc(new Writer(), rc);
  return rc;
}
/** A receipt as submit_receipt returns it and receipt_verify takes it: core | n | shares. */
export const receipt = codec("receipt", receiptEnc, receiptDec);
const claim = codec("receipt claim", (w, f) => {
  receiptEnc(w, f.receipt);
  w.u8(f.proof ? 1 : 0);
  if (f.proof) proofEnc(w, f.proof);
}, (r) => {
  const receipt = receiptDec(r);
  const kind = r.u8("proof kind");
  if (kind > 1) throw new Error(`proof kind ${kind}: 0 none, 1 tx`);
  return { receipt, proof: kind ? proofDec(r) : null };
});
const amountOnly = codec("amount", (w, f) => {
  const a = toU64(f.amount, "amount");
  if (a === 0n) throw new RangeError("amount: must be > 0");
  w.u64(a);
}, (r) => {
  const a = r.u64("amount");
  if (a === 0n) throw new Error("amount: 0");
  return { amount: a.toString() };
});

/** Kind name -> [code, codec]. */
export const MORE_KINDS = {
  client_create: [10, clientCreate], client_approve: [11, clientApprove], client_update: [12, update],
  client_misbehaviour: [13, clientMisbehaviour], client_revive: [14, update],
  packet_send: [20, packetSend], packet_recv: [21, packetRecv], packet_ack: [22, packetAck],
  corr_bond: [23, collateral], corr_unbond: [24, collateral],
  tally_offer: [30, offer], tally_counter: [31, offer], tally_accept: [32, answer], tally_refuse: [33, refuse],
  tally_close: [34, idOnly], tally_trade: [35, trade], chit: [36, chit], invoice_create: [37, invoice],
  invoice_pay: [38, chit], invoice_refuse: [39, idOnly], lift: [40, liftHeader],
  receipt_bond: [50, amountOnly], receipt_unbond: [51, amountOnly], receipt_claim: [52, claim],
};
