// keyfile.js — reads hansa's key file text (src/node/keyfile.h):
//   hansa-keyfile v1
//   chain e2e4
//   key <name> <seed 64 hex> <public key 64 hex> <address>
// Returns {chainId, keys: Map name -> key (keyFromSeed)}, checking that
// each line's public key and address follow from its seed. Reading the
// file is the caller's (Node: fs.readFileSync; a browser: a file input).
import { fromHex, toHex, equal } from "./bytes.js";
import { keyFromSeed } from "./crypto.js";
import { addressOfPubkey, chainIdParse } from "./address.js";

export async function parseKeyfile(text) {
  const lines = text.split("\n");
  let chainId = null, header = false;
  const keys = new Map();
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === "" || line.startsWith("#")) continue;
    const f = line.split(" ");
    if (!header) {
      if (line !== "hansa-keyfile v1") throw new Error(`line ${i + 1}: want "hansa-keyfile v1"`);
      header = true;
    } else if (f[0] === "chain" && f.length === 2) {
      chainId = chainIdParse(f[1]);
    } else if (f[0] === "key" && f.length === 5 && chainId !== null) {
      const key = await keyFromSeed(fromHex(f[2], 32));
      if (!equal(key.publicKey, fromHex(f[3], 32))) throw new Error(`line ${i + 1}: public key does not match the seed`);
      key.address = await addressOfPubkey(chainId, key.publicKey);
      if (key.address.toLowerCase() !== f[4].toLowerCase()) throw new Error(`line ${i + 1}: address does not match the seed`);
      key.name = f[1];
      key.pubkeyHex = toHex(key.publicKey);
      keys.set(f[1], key);
    } else {
      throw new Error(`line ${i + 1}: not a chain or key line`);
    }
  }
  if (chainId === null) throw new Error("no chain line");
  return { chainId, keys };
}
