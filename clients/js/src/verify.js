// verify.js — a light client's checks, on the bytes a node sends
// (docs/rpc.md "tx", docs/wire.md "Block header", "Commit certificate",
// "Validator set"): the node's decoded fields are never trusted.
//
//   header (281 bytes): version 1 | chain u32 | height u64 | time_ms u64 |
//     prev_block 32 | last_commit_hash 32 | tx_root 32 | evidence_root 32 |
//     app_hash 32 | validators_hash 32 | next_validators_hash 32 |
//     proposer 32 | tx_count u32;  block id = SHA-256(header)
//   commit: version 1 | chain u32 | height u64 | round u32 | block 32 |
//     n u32 | n x (validator_index u16, sig 64)
//   signature i: Ed25519 under "hansa/vote/v1" over the precommit sign bytes
//     version | chain | height | round | type 2 | present 1 | block | validator pubkey
//   valset hash: Merkle root of the entries pubkey 32 | power u64
import { Reader, Writer, equal, fromHex, toHex } from "./bytes.js";
import { DOMAIN_VOTE, sha256, verifyDomain } from "./crypto.js";
import { leafHash, merkleRoot, verifyInclusion } from "./merkle.js";

export function headerDecode(bytes) {
  const r = new Reader(bytes);
  const version = r.u8("header.version");
  if (version !== 1) throw new Error("header.version is not 1");
  const h = {
    chainId: r.u32(), height: r.u64(), timeMs: r.u64(), prevBlock: r.bytes(32), lastCommitHash: r.bytes(32),
    txRoot: r.bytes(32), evidenceRoot: r.bytes(32), appHash: r.bytes(32), validatorsHash: r.bytes(32),
    nextValidatorsHash: r.bytes(32), proposer: r.bytes(32), txCount: r.u32(),
  };
  r.end("header");
  return h;
}

export function commitDecode(bytes) {
  const r = new Reader(bytes);
  if (r.u8("commit.version") !== 1) throw new Error("commit.version is not 1");
  const c = { chainId: r.u32(), height: r.u64(), round: r.u32(), block: r.bytes(32, "commit.block"), sigs: [] };
  const n = r.u32("commit.n_sigs");
  if (n < 1 || n > 128) throw new Error("commit.n_sigs out of range");
  let prev = -1;
  for (let i = 0; i < n; i++) {
    const index = r.u16("validator_index");
    if (index >= 128 || index <= prev) throw new Error("commit: validator indices not increasing below 128");
    prev = index;
    c.sigs.push({ index, sig: r.bytes(64, "sig") });
  }
  r.end("commit");
  return c;
}

/** Valset hash of [{pubkey (hex or bytes), power}], in set order (sorted by pubkey). */
export async function valsetHash(validators) {
  return merkleRoot(validators.map((v) => new Writer()
    .bytes(typeof v.pubkey === "string" ? fromHex(v.pubkey, 32) : v.pubkey).u64(BigInt(v.power)).done()));
}

function precommitSignBytes(c, pubkey) {
  return new Writer().u8(1).u32(c.chainId).u64(c.height).u32(c.round).u8(2).u8(1).bytes(c.block).bytes(pubkey).done();
}

/** Checks a commit certificate against a validator set ([{pubkey, power}],
 * the `validators` RPC list): the set's hash must be expectValsetHash (the
 * header's validators_hash) when given, every signature must verify, and the
 * signers must hold more than 2/3 of the power.
 * Returns {ok, signedPower, totalPower, reason}. */
export async function verifyCommit(commitBytes, validators, expectValsetHash) {
  const c = commitDecode(commitBytes);
  if (expectValsetHash && !equal(await valsetHash(validators), expectValsetHash))
    return { ok: false, reason: "the validator set's hash is not the header's validators_hash" };
  const total = validators.reduce((a, v) => a + BigInt(v.power), 0n);
  let signed = 0n;
  for (const s of c.sigs) {
    const v = validators[s.index];
    if (!v) return { ok: false, reason: `signer index ${s.index} is not in the set` };
    const pk = typeof v.pubkey === "string" ? fromHex(v.pubkey, 32) : v.pubkey;
    if (!(await verifyDomain(pk, DOMAIN_VOTE, precommitSignBytes(c, pk), s.sig)))
      return { ok: false, reason: `signature of validator ${s.index} does not verify` };
    signed += BigInt(v.power);
  }
  const ok = signed * 3n > total * 2n;
  return { ok, signedPower: signed, totalPower: total, reason: ok ? "" : "signers hold 2/3 of the power or less" };
}

/** Every check of a `tx` RPC result (docs/rpc.md "tx", "To verify"):
 * the tx bytes hash to `hash`, the inclusion proof leads to the tx_root
 * inside header.encoded, the header hashes to the block the commit signs,
 * and (with validators) the commit is signed by more than 2/3 of a set
 * whose hash is the header's validators_hash.
 * Returns {ok, steps: [{what, ok}], reason}. */
export async function verifyTxResult(res, validators) {
  const steps = [];
  const step = (what, ok) => { steps.push({ what, ok }); return ok; };
  const fail = (reason) => ({ ok: false, steps, reason });
  const txBytes = fromHex(res.tx.encoded);
  if (!step("tx hash", toHex(await sha256(txBytes)) === res.hash)) return fail("the tx bytes do not hash to its hash");
  const header = headerDecode(fromHex(res.header.encoded));
  const leaf = await leafHash(txBytes);
  const p = res.proof;
  if (!step("inclusion proof", Number(header.txCount) === p.tree_size &&
            (await verifyInclusion(leaf, p.index, p.tree_size, p.path, header.txRoot))))
    return fail("the Merkle proof does not lead to the header's tx_root");
  const blockId = await sha256(fromHex(res.header.encoded));
  const commit = commitDecode(fromHex(res.commit.encoded));
  if (!step("commit signs header", equal(commit.block, blockId) && commit.height === header.height))
    return fail("the commit certificate is not for this header");
  if (validators) {
    const v = await verifyCommit(fromHex(res.commit.encoded), validators, header.validatorsHash);
    if (!step("commit signatures", v.ok)) return fail(v.reason);
  }
  return { ok: true, steps, reason: "" };
}

/** Checks a `block` RPC result the same way: header hash, commit over it,
 * and with txs (the `txs` field) the tx_root over them. */
export async function verifyBlockResult(res, validators) {
  const hb = fromHex(res.header.encoded);
  const header = headerDecode(hb);
  const id = await sha256(hb);
  if (toHex(id) !== res.hash) return { ok: false, reason: "header does not hash to the block id" };
  if (res.txs) {
    const root = await merkleRoot(res.txs.map((t) => fromHex(t)));
    if (!equal(root, header.txRoot)) return { ok: false, reason: "txs do not hash to tx_root" };
  }
  const commit = commitDecode(fromHex(res.commit.encoded));
  if (!equal(commit.block, id)) return { ok: false, reason: "commit is not for this block" };
  if (validators) {
    const v = await verifyCommit(fromHex(res.commit.encoded), validators, header.validatorsHash);
    if (!v.ok) return { ok: false, reason: v.reason };
  }
  return { ok: true, reason: "" };
}
