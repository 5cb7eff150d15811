// The kinds from 10 on against a live network (tests/clients/test_js_client.py
// sets HANSA_NODE and HANSA_KEYS): every family is built and signed here and
// judged by a real node. Credit (a tally's whole life, a chit, invoices paid
// and refused, a lift), receipt collateral and a light-client registration
// commit; what needs a second chain or bonded delegates (an approval, an
// update, a packet's receipt, a claim of a broken receipt) is refused for the
// ledger's stated reason, never for its form. Uses acct3 and keys it funds,
// so it shares no nonce with live.test.js.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as h from "../src/index.js";

const NODE = process.env.HANSA_NODE;
const skip = !NODE && "HANSA_NODE is not set (run tests/clients/test_js_client.py)";
const FORM = /TRUNCATED|TRAILING|NONCANONICAL|VERSION|TOO_LONG/;

test("every tx family from 10 on, judged by a live node", { skip, timeout: 300000 }, async () => {
  const c = new h.HansaClient(NODE);
  const { chainId, keys } = await h.parseKeyfile(readFileSync(process.env.HANSA_KEYS, "utf8"));
  const fee = (await c.status()).min_fee;
  const nonces = new Map();
  const addrOf = async (key) => key.address ?? h.addressOfPubkey(chainId, key.publicKey);
  const next = async (key) => {
    const a = await addrOf(key);
    if (!nonces.has(a)) nonces.set(a, BigInt((await c.account({ address: a })).nonce));
    const n = nonces.get(a);
    nonces.set(a, n + 1n);
    return n;
  };
  // Commits, and the node shows it as the kind it is.
  const commit = async (builder, key, extra, kind) => {
    const t = await builder({ chainId, key, nonce: await next(key), fee, ...extra });
    const r = await c.submit(t.bytes, { wait: true, timeoutMs: 120000 });
    assert.equal(r.hash, t.hash, "the node hashes the tx as we do");
    const res = await c.tx({ hash: t.hash });
    assert.equal(res.tx.kind, kind);
    return { t, res };
  };
  // Refused at submission for the ledger's reason (matching `why`), not for its form.
  const refused = async (builder, key, extra, why) => {
    const t = await builder({ chainId, key, nonce: await next(key), fee, ...extra });
    nonces.delete(await addrOf(key));
    await assert.rejects(c.submit(t.bytes, { wait: false }), (e) => {
      assert.equal(e.code, -32002, e.message);
      assert.doesNotMatch(e.data.error, FORM, e.data.why);
      assert.match(e.data.why, why);
      return true;
    });
  };

  const a3 = keys.get("acct3");
  const x = await h.randomKey(), y = await h.randomKey();
  const xAddr = await addrOf(x), yAddr = await addrOf(y);
  await commit(h.transfer, a3, { to: xAddr, amount: 2000000 }, "transfer");
  await commit(h.transfer, a3, { to: yAddr, amount: 2000000 }, "transfer");

  // ---- credit: x (stock) and y (foil) on this chain -----------------------------
  const rid = () => { const b = new Uint8Array(16); globalThis.crypto.getRandomValues(b); b[0] |= 1; return h.toHex(b); };
  const contract = (tallyId, revision = 1) => ({
    tallyId, stock: { chain: chainId, key: h.toHex(x.publicKey) }, foil: { chain: chainId, key: h.toHex(y.publicKey) },
    stockGrants: { limit: 5000000, callDays: 30 }, foilGrants: { limit: 5000000, callDays: 30 }, revision,
  });
  const t1 = contract(rid());
  await commit(h.tallyOffer, x, { contract: t1 }, "tally_offer");
  const { res: yFirst } = await commit(h.tallyAccept, y, { contract: t1 }, "tally_accept"); // y's nonce 0
  await commit(h.tallyTrade, y, { trade: { tallyId: t1.tallyId, side: 2, seq: 1, target: 0, bound: 4000000, rewardPpm: 0, clutchPpm: 0 } }, "tally_trade");
  await commit(h.tallyTrade, x, { trade: { tallyId: t1.tallyId, side: 1, seq: 1, target: 0, bound: 4000000, rewardPpm: 0, clutchPpm: 0 } }, "tally_trade");
  await commit(h.chit, y, { chit: { tallyId: t1.tallyId, chitId: rid(), by: 2, amount: 1500, memo: "from the JS client" } }, "chit");
  const inv = { invoiceId: rid(), tallyId: t1.tallyId, payee: 1, amount: 900, items: [{ text: "apples", amount: 400 }, { text: "pears", amount: 500 }], hints: [] };
  await commit(h.invoiceCreate, x, { fields: inv }, "invoice_create");
  await commit(h.chit, y, { chit: { tallyId: t1.tallyId, chitId: rid(), by: 2, amount: 900, invoiceId: inv.invoiceId, memo: "" } }, "invoice_pay");
  const inv2 = { ...inv, invoiceId: rid(), items: [], amount: 77 };
  await commit(h.invoiceCreate, x, { fields: inv2 }, "invoice_create");
  await commit(h.invoiceRefuse, y, { invoiceId: inv2.invoiceId }, "invoice_refuse");
  const tallyNow = await c.call("tally", { id: t1.tallyId });
  assert.equal(tallyNow.state, "open");

  // A linear lift of one leg: x pays y on t1, ruled by this chain at once.
  const lift = { liftId: rid(), liftKind: 2, amount: 200, expiryMs: Date.now() + 600000, refereeChain: chainId,
    refereeKey: h.toHex(x.publicKey), tallies: [t1.tallyId], parties: [t1.stock, t1.foil] };
  const { res: liftRes } = await commit(h.lift, x, { fields: lift }, "lift");
  const rec = await c.call("lift", { id: lift.liftId });
  assert.equal(rec.lift_id, lift.liftId);
  assert.equal(rec.kind, "linear");
  assert.equal(rec.amount, "200");
  assert.equal(rec.ruling, "commit");
  assert.equal(String(rec.height), String(liftRes.height));
  assert.equal(rec.route[0].tally_id, t1.tallyId);
  const lifts = await c.call("lifts", { tally: t1.tallyId });
  assert.ok(JSON.stringify(lifts).includes(lift.liftId), "lifts {tally} lists it");
  assert.ok(liftRes.height > 0);

  const t2 = contract(rid());
  await commit(h.tallyOffer, x, { contract: t2 }, "tally_offer");
  await commit(h.tallyRefuse, y, { tallyId: t2.tallyId, revision: 1 }, "tally_refuse");
  const t3 = contract(rid());
  await commit(h.tallyOffer, x, { contract: t3 }, "tally_offer");
  await commit(h.tallyOffer, y, { contract: { ...t3, revision: 2, foilGrants: { limit: 100, callDays: 0 } }, counter: true }, "tally_counter");
  await commit(h.tallyClose, x, { tallyId: t1.tallyId }, "tally_close");

  // ---- receipts: collateral in and out; a claim of a receipt nobody signed -------
  await commit(h.receiptBond, x, { amount: 50000 }, "receipt_bond");
  await commit(h.receiptUnbond, x, { amount: 20000 }, "receipt_unbond");
  const core = { chainId, txHash: "11".repeat(32), sender: h.toHex(y.publicKey), nonce: 0, beneficiary: h.toHex((await h.addressParse(yAddr, chainId)).bytes),
    amount: 100, issuedHeight: 1, deadline: 2 };
  const share = { signer: h.toHex(x.publicKey), amount: "100" };
  const forged = { receipt: { core, shares: [{ ...share, sig: "33".repeat(64) }] }, proof: null };
  await refused(h.receiptClaim, y, { fields: forged }, /share 0's signature does not verify/);
  // signed by x for real: the form and the signature pass, the ledger judges the claim
  const good = { receipt: { core, shares: [{ ...share, sig: h.toHex(await h.signReceiptShare(x, core, share)) }] }, proof: null };
  await refused(h.receiptClaim, y, { fields: good }, /nonce 0 was used .*must prove the transaction that used it/);
  // with the proof of y's nonce-0 tx (not the one the receipt named) the receipt is broken: x pays
  const p = yFirst.proof;
  const proof = { height: yFirst.height, index: p.index, count: p.tree_size, path: p.path, tx: yFirst.tx.encoded };
  const before = BigInt((await c.account({ address: yAddr })).balance);
  await commit(h.receiptClaim, y, { fields: { ...good, proof } }, "receipt_claim");
  assert.equal(BigInt((await c.account({ address: yAddr })).balance), before + 100n - BigInt(fee), "the beneficiary was paid");

  // ---- light clients and packets: a chain 7a11 this network cannot reach --------
  const FOREIGN = 0x7a11;
  const root = { height: 0, timeMs: Date.now(), headerHash: "00".repeat(32), appHash: "44".repeat(32), txRoot: "00".repeat(32),
    validatorsHash: "55".repeat(32), nextValidatorsHash: "55".repeat(32) };
  const create = { chainId: FOREIGN, trustingPeriodMs: 3600000, maxClockDriftMs: 10000, root };
  await commit(h.clientCreate, a3, { fields: create }, "client_create");
  const subject = h.toHex(await h.sha256(h.MORE_KINDS.client_create[1].encode(create)));
  await refused(h.clientApprove, a3, { fields: { chainId: FOREIGN, subject } }, /only an address with bonded tokens may approve/);
  await refused(h.clientCreate, a3, { fields: create }, /already has a client/);
  const vecs = JSON.parse(readFileSync(new URL("./vectors/bodies.json", import.meta.url), "utf8")).vectors;
  const vf = (name) => { const { signer: _s, ...f } = vecs.find((v) => v.name === name).fields; return f; };
  await refused(h.clientUpdate, a3, { fields: vf("client_update") }, /client of chain 7a11 is not approved yet/);
  await refused(h.clientMisbehaviour, a3, { fields: vf("client_misbehaviour") }, /client of chain 7a11 is not approved yet/);
  await refused(h.clientRevive, a3, { fields: vf("client_revive") }, /only an expired or frozen client is revived/);
  await refused(h.corrBond, a3, { chain: 0x7a12, amount: 1000 }, /keeps no client/);
  await refused(h.corrUnbond, a3, { chain: FOREIGN, amount: 1000 }, /bonded 0 for chain 7a11/);
  await refused(h.transferOut, a3, { destChain: 0x7a12, to: await h.addressOfPubkey(0x7a12, x.publicKey), amount: 10, timeoutMs: Date.now() + 600000 }, /no active light client of chain 7a12/);
  await refused(h.packetRecv, a3, { fields: vf("packet_recv") }, /a packet from this chain itself|light client/);
  await refused(h.packetAck, a3, { fields: vf("packet_ack") }, /light client of chain 7a11 is not approved yet/);
  const clients = await c.call("client_list");
  assert.ok(JSON.stringify(clients).toLowerCase().includes("7a11"), "client_list shows the registration");
});
