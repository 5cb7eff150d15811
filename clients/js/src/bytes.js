// bytes.js — hex, little-endian integers and a byte writer/reader, the
// building blocks of hansa's canonical encoding (docs/wire.md: unsigned
// little-endian fixed-width integers, u32-length-prefixed byte strings).
// u64 values are BigInt; smaller integers are Numbers.

export function toHex(bytes) {
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}

/** Hex (either case, optional 0x) to bytes; throws naming what is wrong. */
export function fromHex(text, expectLen) {
  if (typeof text !== "string") throw new TypeError("hex: not a string");
  let h = text.startsWith("0x") ? text.slice(2) : text;
  if (h.length % 2) throw new Error("hex: odd number of digits");
  if (!/^[0-9a-fA-F]*$/.test(h)) throw new Error("hex: not hex digits");
  const out = new Uint8Array(h.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(h.substr(i * 2, 2), 16);
  if (expectLen !== undefined && out.length !== expectLen)
    throw new Error(`hex: ${out.length} bytes, want ${expectLen}`);
  return out;
}

export function concat(...parts) {
  const n = parts.reduce((a, p) => a + p.length, 0);
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

export function equal(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function utf8(text) { return new TextEncoder().encode(text); }

const U64_MAX = (1n << 64n) - 1n;

/** A u64 from a BigInt, a safe integer Number or a decimal string. */
export function toU64(v, what = "value") {
  let b;
  if (typeof v === "bigint") b = v;
  else if (typeof v === "number" && Number.isSafeInteger(v)) b = BigInt(v);
  else if (typeof v === "string" && /^[0-9]+$/.test(v)) b = BigInt(v);
  else throw new TypeError(`${what}: not an unsigned integer`);
  if (b < 0n || b > U64_MAX) throw new RangeError(`${what}: out of u64 range`);
  return b;
}

/** Appends canonical little-endian values to a growing buffer. */
export class Writer {
  constructor() { this.parts = []; }
  u8(v) { this.parts.push(Uint8Array.of(v & 0xff)); return this; }
  u16(v) { const b = new Uint8Array(2); new DataView(b.buffer).setUint16(0, v, true); this.parts.push(b); return this; }
  u32(v) { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, v >>> 0, true); this.parts.push(b); return this; }
  u64(v) { const b = new Uint8Array(8); new DataView(b.buffer).setBigUint64(0, toU64(v), true); this.parts.push(b); return this; }
  bytes(b) { this.parts.push(Uint8Array.from(b)); return this; }
  varBytes(b) { return this.u32(b.length).bytes(b); }
  done() { return concat(...this.parts); }
}

/** Reads canonical values; throws naming the field and offset on short input. */
export class Reader {
  constructor(bytes) { this.b = bytes; this.off = 0; this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength); }
  need(n, field) {
    if (this.off + n > this.b.length) throw new Error(`input ends before ${field} at byte ${this.off}`);
  }
  u8(f = "u8") { this.need(1, f); return this.b[this.off++]; }
  u16(f = "u16") { this.need(2, f); const v = this.dv.getUint16(this.off, true); this.off += 2; return v; }
  u32(f = "u32") { this.need(4, f); const v = this.dv.getUint32(this.off, true); this.off += 4; return v; }
  u64(f = "u64") { this.need(8, f); const v = this.dv.getBigUint64(this.off, true); this.off += 8; return v; }
  bytes(n, f = "bytes") { this.need(n, f); const v = this.b.slice(this.off, this.off + n); this.off += n; return v; }
  end(what) { if (this.off !== this.b.length) throw new Error(`${this.b.length - this.off} bytes left after ${what}`); }
}
