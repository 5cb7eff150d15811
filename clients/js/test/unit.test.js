// Known answers and rejections that need no node: the docs' own example
// transaction (docs/rpc.md "tx"), addresses, Merkle proofs of every shape.
import { readFileSync } from "node:fs";
import { test } from "node:test";
import assert from "node:assert/strict";
import * as h from "../src/index.js";

// docs/rpc.md, `tx` example: a transfer of 2500 signed by acct "alice".
const DOC_TX = "01e4e20000d4713ebddd77b11577ab2b4be9b669e9ad70dfc95fde824aca35330c7522e0c80000000000000000010000000000000001001c000000e516c4b089c7d8fecf9fb29738dfc8cc4f00b776c40900000000000060b90738c0a6a1135aa7ccd678d949a2ebfa37f05833594272f13cb02bc90ce68a6b88696f930e9de402b02590f53dbfc12b6a78f053a5e5cfef1dc3fc118a05";

test("the docs' transfer decodes, hashes and verifies as the node said", async () => {
  const bytes = h.fromHex(DOC_TX);
  const d = await h.txDescribe(bytes);
  assert.equal(d.hash, "1a7bbdf967c5bfa60a3daaf71bb205af57dcc50cb5c5a1f44074187ecd65a633");
  assert.equal(d.senderAddress, "e2e4x41eFac9EA8cA762e21d4aA8d0cEA347C16bf02B3");
  assert.equal(d.kind, "transfer");
  assert.equal(d.fields.to, "e2e4xe516c4b089c7D8FecF9Fb29738DFC8cc4f00B776");
  assert.equal(d.fields.amount, "2500");
  assert.equal(await h.txVerifySignature(bytes), true);
  const bad = bytes.slice();
  bad[60] ^= 1; // one bit of the body
  assert.equal(await h.txVerifySignature(bad), false);
  assert.throws(() => h.txDecode(h.concat(bytes, Uint8Array.of(0))), /bytes left/);
  assert.throws(() => h.txDecode(bytes.slice(0, 100)), /input ends/);
});

test("a tx built here re-encodes byte for byte and signs like the node", async () => {
  const key = await h.keyFromSeed(new Uint8Array(32).fill(7));
  for (const kind of ["stake", "unstake", "unjail", "upgrade_propose", "upgrade_vote", "vote", "unvote"]) {
    const fields = { amount: 5n, hash: "ab".repeat(32), pairs: [{ candidate: "cd".repeat(32), amount: 3 }, { candidate: "01".repeat(32), amount: 4 }] };
    const t = await h.buildTx({ chainId: 0xe2e4, key, nonce: 3, fee: 1, kind, fields });
    const back = h.txDecode(t.bytes);
    assert.equal(back.kind, h.KIND[kind]);
    assert.deepEqual(h.txEncode(back), t.bytes);
    assert.equal(await h.txVerifySignature(t.bytes), true);
    const body = h.bodyDecode(back.kind, back.body);
    if (kind === "vote") assert.equal(body.pairs[0].candidate, "01".repeat(32)); // sorted
  }
});

// Bodies the C code makes and accepts (tests/interchain/test_body_vectors.c
// checks the same file against the C encoders and the ledger's decoders).
const VECTORS = JSON.parse(readFileSync(new URL("./body_vectors.json", import.meta.url))).vectors;

test("packet, collateral and receipt bodies match the C encoders byte for byte", async () => {
  const key = await h.keyFromSeed(new Uint8Array(32).fill(9));
  for (const v of VECTORS.filter((x) => x.valid)) {
    assert.equal(h.toHex(h.bodyEncode(v.kind, v.fields)), v.hex, v.name);
    const back = h.bodyDecode(v.kind, h.fromHex(v.hex));
    if (v.kind === h.KIND.packet_send) {
      assert.deepEqual({ destChain: back.destChain, timeoutMs: back.timeoutMs, type: back.type, transfer: back.transfer },
        v.fields, v.name);
    } else {
      assert.deepEqual(back, v.fields, v.name);
    }
    const t = await h.buildTx({ chainId: 0xe2e4, key, nonce: 1, fee: 1, kind: v.kind, fields: v.fields });
    assert.equal(await h.txVerifySignature(t.bytes), true);
  }
});

test("bodies the C decoders refuse are refused here too", () => {
  for (const v of VECTORS.filter((x) => !x.valid))
    assert.throws(() => h.bodyDecode(v.kind, h.fromHex(v.hex)), undefined, v.name);
});

test("addresses: checksum, lowercase, wrong chain, typos", async () => {
  const good = "e2e4x41eFac9EA8cA762e21d4aA8d0cEA347C16bf02B3";
  assert.equal((await h.addressParse(good, 0xe2e4)).chainId, 0xe2e4);
  await h.addressParse(good.toLowerCase(), 0xe2e4);
  await assert.rejects(h.addressParse(good.replace("eF", "ef"), 0xe2e4), /checksum/);
  await assert.rejects(h.addressParse(good, 0xe2e5), /chain/);
  await assert.rejects(h.addressParse("e2e4x41", 0xe2e4), /40/);
});

test("Merkle inclusion proofs of every leaf of trees of 1..17 leaves", async () => {
  // Builds paths by the RFC 6962 definition, independently of verifyInclusion.
  const leaves = Array.from({ length: 17 }, (_, i) => Uint8Array.of(i, i * 3));
  const mth = async (ls) => h.merkleRoot(ls);
  const path = async (m, ls) => {
    if (ls.length <= 1) return [];
    let k = 1; while (k * 2 < ls.length) k *= 2;
    return m < k ? [...(await path(m, ls.slice(0, k))), await mth(ls.slice(k))]
                 : [...(await path(m - k, ls.slice(k))), await mth(ls.slice(0, k))];
  };
  for (let n = 1; n <= leaves.length; n++) {
    const ls = leaves.slice(0, n), root = await mth(ls);
    for (let i = 0; i < n; i++) {
      const p = await path(i, ls), leaf = await h.leafHash(ls[i]);
      assert.ok(await h.verifyInclusion(leaf, i, n, p, root), `n=${n} i=${i}`);
      if (n > 1) assert.equal(await h.verifyInclusion(leaf, (i + 1) % n, n, p, root), false);
      assert.equal(await h.verifyInclusion(await h.leafHash(Uint8Array.of(99)), i, n, p, root), false);
    }
  }
});

test("the SSE parser joins data lines and skips comments", async () => {
  const text = "retry: 2000\n\n: keepalive\n\nevent: block\nid: 7\ndata: {\"height\":7}\n\nevent: x\ndata: a\ndata: b\n\n";
  const body = new Blob([text]).stream();
  const got = [];
  await h.readEvents(body, (e) => got.push(e));
  assert.deepEqual(got, [{ event: "block", id: "7", data: { height: 7 } }, { event: "x", id: null, data: "a\nb" }]);
});
