// address.js — chain ids and checksummed addresses (DESIGN.md section 4,
// src/crypto/address.c). An address is the first 20 bytes of SHA-256 of the
// public key, written `<chain>x<40 hex>` with an EIP-55 style case checksum
// computed over the whole lowercase text, chain prefix included, so an
// address of one chain never passes for another's.
import { fromHex, toHex, utf8 } from "./bytes.js";
import { sha256 } from "./crypto.js";

export function chainIdFormat(id) { return (id >>> 0).toString(16); }

export function chainIdParse(text) {
  if (!/^[0-9a-f]{1,8}$/.test(text)) throw new Error("chain id: want 1-8 lowercase hex digits");
  if (text.length > 1 && text[0] === "0") throw new Error("chain id: leading zero");
  return parseInt(text, 16) >>> 0;
}

export async function addressBytes(pubkey) { return (await sha256(pubkey)).slice(0, 20); }

async function checksummed(lower) {
  const h = await sha256(utf8(lower));
  const x = lower.indexOf("x");
  let out = lower.slice(0, x + 1);
  for (let i = 0; i < 40; i++) {
    const c = lower[x + 1 + i];
    const nib = i % 2 === 0 ? h[i >> 1] >> 4 : h[i >> 1] & 15;
    out += c >= "a" && nib >= 8 ? c.toUpperCase() : c;
  }
  return out;
}

/** The checksummed text of a 20-byte address on chain id. */
export async function addressFormat(chainId, addr) {
  return checksummed(`${chainIdFormat(chainId)}x${toHex(addr)}`);
}

export async function addressOfPubkey(chainId, pubkey) {
  return addressFormat(chainId, await addressBytes(pubkey));
}

/** Parses an address; returns {chainId, bytes}. Accepts all-lowercase;
 * rejects a wrong checksum or (with expectChain) another chain's prefix. */
export async function addressParse(text, expectChain) {
  const x = text.indexOf("x");
  if (x < 0) throw new Error("address: no 'x' between chain prefix and account digits");
  const chainId = chainIdParse(text.slice(0, x));
  const digits = text.slice(x + 1);
  if (digits.length !== 40) throw new Error("address: want 40 account digits");
  if (!/^[0-9a-fA-F]{40}$/.test(digits)) throw new Error("address: account digits are not hex");
  const lower = text.toLowerCase();
  if (digits !== digits.toLowerCase() && (await checksummed(lower)) !== text)
    throw new Error("address: wrong checksum (mixed case does not match)");
  if (expectChain !== undefined && chainId !== expectChain)
    throw new Error(`address: for chain ${chainIdFormat(chainId)}, not ${chainIdFormat(expectChain)}`);
  return { chainId, bytes: fromHex(digits.toLowerCase()) };
}
