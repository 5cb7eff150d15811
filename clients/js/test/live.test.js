// Against a live network (tests/clients/test_js_client.py starts one and
// sets HANSA_NODE to a node's RPC address and HANSA_KEYS to its funded
// accounts' key file): every tx kind built and signed here is judged by the
// node, every RPC method is called, every committed tx is verified from its
// proof and commit certificate, and the event stream is read.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as h from "../src/index.js";

const NODE = process.env.HANSA_NODE;
const skip = !NODE && "HANSA_NODE is not set (run tests/clients/test_js_client.py)";

test("every tx kind, every method, verified proofs, events", { skip, timeout: 240000 }, async () => {
  const c = new h.HansaClient(NODE);
  const { chainId, keys } = await h.parseKeyfile(readFileSync(process.env.HANSA_KEYS, "utf8"));
  const status = await c.status();
  assert.equal(h.chainIdParse(status.chain_id), chainId);
  const fee = status.min_fee;

  // Events first, so the stream sees what follows.
  const events = [];
  const a0 = keys.get("acct0"), a1 = keys.get("acct1"), a2 = keys.get("acct2");
  const sub = c.subscribe({ topics: ["block", "tx", "account"], accounts: [a1.address], onEvent: (e) => events.push(e) });

  const validators = (await c.validators()).validators;
  const nonces = new Map();
  const next = async (key) => {
    if (!nonces.has(key.name)) nonces.set(key.name, BigInt((await c.account({ address: key.address })).nonce));
    const n = nonces.get(key.name);
    nonces.set(key.name, n + 1n);
    return n;
  };
  const send = async (builder, key, extra) => {
    const t = await builder({ chainId, key, nonce: await next(key), fee, ...extra });
    const r = await c.submit(t.bytes, { wait: true, timeoutMs: 120000 });
    assert.equal(r.hash, t.hash, "the node hashes the tx as we do");
    const res = await c.tx({ hash: t.hash });
    const v = await h.verifyTxResult(res, validators);
    assert.ok(v.ok, `tx ${t.hash} verifies: ${v.reason}`);
    assert.equal(v.steps.length, 4);
    return { t, res };
  };

  const fresh = await h.randomKey();
  const freshAddr = await h.addressOfPubkey(chainId, fresh.publicKey);
  const { res: tr } = await send(h.transfer, a0, { to: freshAddr, amount: 1000 });
  assert.equal(tr.tx.kind, "transfer");
  assert.equal(tr.tx.to, freshAddr);
  assert.equal((await c.account({ address: freshAddr })).balance, "1000");

  const { t: stakeTx } = await send(h.stake, a1, { amount: 500 });
  await send(h.vote, a2, { pairs: [{ candidate: a1.pubkeyHex, amount: 300 }] });
  await send(h.unvote, a2, { pairs: [{ candidate: a1.pubkeyHex, amount: 100 }] });
  await send(h.unstake, a1, { amount: 50 });
  const sw = "5a".repeat(32);
  await send(h.upgradePropose, a1, { hash: sw });
  await send(h.upgradeVote, a2, { hash: sw });
  // unjail from a candidate that is not jailed: the node decodes it and
  // refuses it for the ledger's reason, not for its form.
  const uj = await h.unjail({ chainId, key: a1, nonce: await next(a1), fee });
  await assert.rejects(c.submit(uj.bytes), (e) => e.code === -32002 && !/TRUNCATED|TRAILING|NONCANONICAL/.test(e.data.error));
  nonces.delete("acct1");

  // Receipt collateral commits. A transfer to a chain this one holds no
  // light client of is refused for that reason (tests/cluster/test_transfers.py
  // moves value between chains; the codec is pinned by body_vectors.json).
  await send(h.receiptBond, a2, { amount: 700 });
  const foreign = await h.addressOfPubkey(0x7a11, fresh.publicKey);
  const xt = await h.crossTransfer({ chainId, key: a0, nonce: await next(a0), fee, to: foreign, amount: 5,
    timeoutMs: Date.now() + 60000 });
  assert.equal(h.bodyDecode(h.KIND.packet_send, h.txDecode(xt.bytes).body).transfer.amount, "5");
  await assert.rejects(c.submit(xt.bytes), (e) => e.code === -32002 && /light client of chain 7a11/.test(JSON.stringify(e.data) + e.message));
  nonces.delete("acct0");

  // A tampered tx is refused for its signature.
  const t = await h.transfer({ chainId, key: a0, nonce: await next(a0), fee, to: freshAddr, amount: 1 });
  const bad = t.bytes.slice(); bad[bad.length - 1] ^= 1;
  await assert.rejects(c.submit(bad), (e) => e.code === -32002 && e.data.error === "HANSA_ERR_BAD_SIG");
  nonces.delete("acct0");

  // The other methods.
  const cands = await c.candidates();
  assert.ok(JSON.stringify(cands).includes(a1.pubkeyHex), "acct1 is a candidate");
  await c.delegates();
  await c.evidence();
  const up = await c.upgrade({ hash: sw });
  assert.ok(JSON.stringify(up).includes(sw));
  const ub = await c.unbonding({ address: a1.address });
  assert.ok(ub);
  await c.mempool();
  const blk = await c.block({ height: tr.height, txs: true });
  assert.ok((await h.verifyBlockResult(blk, validators)).ok);
  const wb = await c.waitBlock({ after_height: blk.height, timeout_ms: 60000 });
  assert.ok(wb.height > blk.height || wb.header.height > blk.height);
  const wt = await c.waitTx({ hash: tr.hash, timeout_ms: 1000 });
  assert.equal(wt.hash, tr.hash);
  await assert.rejects(c.tx({ hash: "00".repeat(32) }), (e) => e.code === -32001);
  await assert.rejects(c.account({ address: "e2e4x00" }), (e) => e.code === -32602);

  // A forged header (another tx_root) fails verification.
  const forged = structuredClone(tr);
  forged.header.encoded = forged.header.encoded.slice(0, 170) + (forged.header.encoded[170] === "0" ? "1" : "0") + forged.header.encoded.slice(171);
  assert.equal((await h.verifyTxResult(forged, validators)).ok, false);

  // The stream said hello, announced blocks, the transfers' txs and acct1's changes.
  await new Promise((r) => setTimeout(r, 1500));
  sub.close();
  assert.equal(events[0].event, "hello");
  const blocks = events.filter((e) => e.event === "block");
  assert.ok(blocks.length >= 3, `${blocks.length} block events`);
  for (let i = 1; i < blocks.length; i++) assert.equal(blocks[i].data.height, blocks[i - 1].data.height + 1, "no block skipped");
  const txs = events.filter((e) => e.event === "tx").map((e) => e.data.hash);
  // The stream watches acct1, so its tx events are acct1's txs only.
  assert.ok(txs.includes(stakeTx.hash), "acct1's stake has its tx event");
  assert.ok(!txs.includes(tr.hash), "acct0's transfer to another account is filtered out");
  const accts = events.filter((e) => e.event === "account");
  assert.ok(accts.length >= 3, "acct1 changed at least after stake, unstake, propose");
  const last = accts.at(-1).data;
  assert.equal(last.address, a1.address);
  const now = await c.account({ address: a1.address });
  assert.equal(last.balance, now.balance);
});
