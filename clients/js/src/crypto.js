// crypto.js — SHA-256 and Ed25519 through WebCrypto, which both browsers
// (crypto.subtle, secure contexts: https or http://127.0.0.1/localhost) and
// Node (globalThis.crypto, node:crypto's webcrypto) provide, so the library
// has no dependency and one code path.
//
// hansa signs `domain || 0x00 || message` (docs/crypto.md, "Domain
// separation"): the domain names what is signed, so a signature over a
// transaction can never pass for a vote.
import { concat, fromHex, toHex, utf8 } from "./bytes.js";

export const DOMAIN_TX = "hansa/tx/v1";
export const DOMAIN_VOTE = "hansa/vote/v1";

function subtle() {
  const s = globalThis.crypto && globalThis.crypto.subtle;
  if (!s) throw new Error("WebCrypto is not available here (a browser offers it only on https or localhost pages)");
  return s;
}

export async function sha256(bytes) {
  return new Uint8Array(await subtle().digest("SHA-256", bytes));
}

function domainMessage(domain, msg) {
  return concat(utf8(domain), Uint8Array.of(0), msg);
}

// PKCS#8 wrapping of a raw 32-byte Ed25519 seed (RFC 8410).
const PKCS8_PREFIX = fromHex("302e020100300506032b657004220420");

function b64urlToBytes(s) {
  const b64 = s.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((s.length + 3) % 4);
  const bin = atob(b64);
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

/** An Ed25519 key from its 32-byte seed: {seed, publicKey (bytes), key (CryptoKey)}. */
export async function keyFromSeed(seed) {
  if (seed.length !== 32) throw new Error("an Ed25519 seed is 32 bytes");
  const key = await subtle().importKey("pkcs8", concat(PKCS8_PREFIX, seed), { name: "Ed25519" }, true, ["sign"]);
  const jwk = await subtle().exportKey("jwk", key);
  return { seed: Uint8Array.from(seed), publicKey: b64urlToBytes(jwk.x), key };
}

/** A new random key. */
export async function randomKey() {
  const seed = new Uint8Array(32);
  globalThis.crypto.getRandomValues(seed);
  return keyFromSeed(seed);
}

export async function signDomain(keypair, domain, msg) {
  const sig = await subtle().sign("Ed25519", keypair.key, domainMessage(domain, msg));
  return new Uint8Array(sig);
}

/** True if sig is pubkey's Ed25519 signature of msg under domain. */
export async function verifyDomain(pubkey, domain, msg, sig) {
  if (pubkey.length !== 32 || sig.length !== 64) return false;
  try {
    const key = await subtle().importKey("raw", pubkey, { name: "Ed25519" }, false, ["verify"]);
    return await subtle().verify("Ed25519", key, sig, domainMessage(domain, msg));
  } catch (e) {
    return false; // a public key that is not a curve point
  }
}


