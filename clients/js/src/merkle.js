// merkle.js — RFC 6962 Merkle trees over SHA-256 (DESIGN.md section 4):
// leaf = H(0x00 || data), node = H(0x01 || left || right), split at the
// largest power of two below n, empty root = H(""). Written from RFC 9162
// section 2.1.3.2, not from hansa's C code, so it checks the node.
import { concat, equal, fromHex } from "./bytes.js";
import { sha256 } from "./crypto.js";

export const leafHash = (data) => sha256(concat(Uint8Array.of(0), data));
const nodeHash = (l, r) => sha256(concat(Uint8Array.of(1), l, r));

/** Root of the leaves' data (array of byte arrays). */
export async function merkleRoot(leaves) {
  if (leaves.length === 0) return sha256(new Uint8Array(0));
  const hashes = await Promise.all(leaves.map(leafHash));
  const rec = async (lo, hi) => {
    if (hi - lo === 1) return hashes[lo];
    let k = 1;
    while (k * 2 < hi - lo) k *= 2;
    return nodeHash(await rec(lo, lo + k), await rec(lo + k, hi));
  };
  return rec(0, hashes.length);
}

/** RFC 9162 2.1.3.2: true if leaf hash `leaf` at `index` of a tree of
 * `size` leaves, with audit `path` (leaf to root), has root `root`.
 * Hashes are byte arrays or hex strings. */
export async function verifyInclusion(leaf, index, size, path, root) {
  const h = (x) => (typeof x === "string" ? fromHex(x, 32) : x);
  if (!Number.isInteger(index) || !Number.isInteger(size) || index < 0 || index >= size) return false;
  let fn = index, sn = size - 1, r = h(leaf);
  for (const p of path) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = await nodeHash(h(p), r);
      if (fn % 2 === 0) while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
    } else {
      r = await nodeHash(r, h(p));
    }
    fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
  }
  return sn === 0 && equal(r, h(root));
}
