// Every tx body codec against bytes made by the C encoders
// (test/vectors/bodies.json, written and checked by the C test
// tests/clients/test_js_vectors.c, so the file cannot drift from the node).
// For each vector: the fields encode to exactly the body, the body decodes to
// exactly the fields, a whole signed tx of the body round-trips, and every
// signature inside the body is the one this library makes from the same seed.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as h from "../src/index.js";

const doc = JSON.parse(readFileSync(new URL("./vectors/bodies.json", import.meta.url), "utf8"));
const seedKey = (byte) => h.keyFromSeed(new Uint8Array(32).fill(parseInt(byte, 16)));
const fieldsOf = (v) => { const { signer, ...f } = v.fields; return f; };

test("the vectors cover every kind from 10 on that this library names", () => {
  const covered = new Set(doc.vectors.map((v) => v.kind));
  for (const [name, code] of Object.entries(h.KIND)) if (code >= 10) assert.ok(covered.has(code), `no vector for ${name}`);
});

for (const v of doc.vectors) {
  test(`${v.name} (kind ${v.kind}) matches the C encoder byte for byte`, async () => {
    const body = h.fromHex(v.body);
    const fields = fieldsOf(v);
    const codec = Object.values(h.MORE_KINDS).find(([code]) => code === v.kind)[1];
    assert.equal(h.toHex(codec.encode(fields)), v.body, "encode(fields)");
    assert.deepEqual(h.bodyDecode(v.kind, body), fields, "decode(body)");
    // a signed tx carrying it round-trips and describes itself
    const key = await seedKey("07");
    const t = await h.buildTx({ chainId: 0xe2e4, key, nonce: 1, fee: 2, kind: v.kind, fields });
    assert.deepEqual(h.txEncode(h.txDecode(t.bytes)), t.bytes);
    const d = await h.txDescribe(t.bytes);
    assert.equal(d.kindCode, v.kind);
    assert.equal(d.bodyError, undefined);
    // truncations and a trailing byte are refused, naming where
    for (const cut of [0, 1, Math.floor(body.length / 2), body.length - 1])
      assert.throws(() => h.bodyDecode(v.kind, body.slice(0, cut)), Error, `cut at ${cut}`);
    assert.throws(() => h.bodyDecode(v.kind, h.concat(body, Uint8Array.of(0))), /left after/);
  });
}

test("signatures inside bodies are the ones this library makes from the same seeds", async () => {
  const keys = { stock: await seedKey(doc.seeds.stock), foil: await seedKey(doc.seeds.foil) };
  const by = Object.fromEntries(doc.vectors.map((v) => [v.name, v]));
  const f = (n) => by[n].fields;
  const offer = f("tally_offer");
  assert.equal(offer.contract.stock.key, h.toHex(keys.stock.publicKey));
  assert.equal(h.toHex(await h.signContract(keys.stock, offer.contract)), offer.sig);
  assert.equal(h.toHex(await h.signContract(keys.foil, f("tally_counter").contract)), f("tally_counter").sig);
  assert.equal(h.toHex(await h.signContract(keys.foil, offer.contract)), f("tally_accept").sig);
  assert.equal(h.toHex(await h.signTrade(keys.foil, f("tally_trade"))), f("tally_trade").sig);
  assert.equal(h.toHex(await h.signChit(keys.foil, f("chit"))), f("chit").sig);
  assert.equal(h.toHex(await h.signChit(keys.foil, f("invoice_pay"))), f("invoice_pay").sig);
  assert.equal(await h.liftHash(f("lift")), by.lift.liftHash);
  // the builders make the same bodies as the C encoders
  const common = { chainId: 0xe2e4, nonce: 0, fee: 1 };
  const bodyOf = async (p) => h.toHex(h.txDecode((await p).bytes).body);
  assert.equal(await bodyOf(h.tallyOffer({ ...common, key: keys.stock, contract: offer.contract })), by.tally_offer.body);
  assert.equal(await bodyOf(h.tallyOffer({ ...common, key: keys.foil, contract: f("tally_counter").contract, counter: true })), by.tally_counter.body);
  assert.equal(await bodyOf(h.tallyAccept({ ...common, key: keys.foil, contract: offer.contract })), by.tally_accept.body);
  const { sig: _s, ...trade } = fieldsOf(by.tally_trade);
  assert.equal(await bodyOf(h.tallyTrade({ ...common, key: keys.foil, trade })), by.tally_trade.body);
  const { sig: _c, chitKind: _k, ...direct } = fieldsOf(by.chit);
  delete direct.invoiceId;
  assert.equal(await bodyOf(h.chit({ ...common, key: keys.foil, chit: direct })), by.chit.body);
  const { sig: _p, chitKind: _q, ...pay } = fieldsOf(by.invoice_pay);
  assert.equal(await bodyOf(h.chit({ ...common, key: keys.foil, chit: pay })), by.invoice_pay.body);
  // a tampered signature no longer matches
  const bad = { ...offer.contract, revision: 9 };
  assert.notEqual(h.toHex(await h.signContract(keys.stock, bad)), offer.sig);
});

test("codecs refuse what the C decoders refuse", () => {
  const by = Object.fromEntries(doc.vectors.map((v) => [v.name, v]));
  const flip = (name, off, val) => { const b = h.fromHex(by[name].body); b[off] = val; return b; };
  assert.throws(() => h.bodyDecode(30, flip("tally_offer", 0, 2)), /version 2/);
  assert.throws(() => h.bodyDecode(30, flip("tally_offer", 113, 0)), /revision/); // revision 1 -> 0 (low byte)
  assert.throws(() => h.bodyDecode(35, flip("tally_trade", 17, 3)), /side/);
  assert.throws(() => h.bodyDecode(12, flip("client_update", 8 + 4 + 281, 3)), /cert_kind/);
  assert.throws(() => h.bodyDecode(12, flip("client_update_frost", 8 + 4 + 281 + 1 + 145, 17)), /n_handoffs/);
  assert.throws(() => h.bodyDecode(12, flip("client_update_frost", 8 + 4 + 281 + 1, 9)), /checkpoint: version/);
  // the key proof after a commit update's parts: tag 1, the record, the path (bounded)
  const kp = h.fromHex(by.client_update_skipping.body).length;
  assert.equal(by.client_update_keyproof.body.slice(0, 2 * kp), by.client_update_skipping.body);
  assert.throws(() => h.bodyDecode(12, flip("client_update_keyproof", kp, 0)), /left after update/);
  assert.throws(() => h.bodyDecode(12, flip("client_update_keyproof", kp + 1 + 8 + 4, 2)), /record: version 2/);
  assert.throws(() => h.bodyDecode(12, flip("client_update_keyproof", kp + 1 + 8 + 4 + 33, 9)), /t 3 of n 9/);
  assert.throws(() => h.bodyDecode(12, flip("client_update_keyproof", kp + 1 + 8 + 4 + 93 + 96 + 16, 65)), /path_len 65/);
  assert.throws(() => h.bodyDecode(20, flip("packet_send", 12, 0)), /type/);
  assert.throws(() => h.bodyDecode(40, flip("lift", 17, 3)), /liftKind/);
  assert.throws(() => h.bodyDecode(34, new Uint8Array(16)), /all zero/);
  assert.throws(() => h.bodyDecode(23, h.fromHex("114a0000" + "00".repeat(8))), /amount/);
  assert.throws(() => h.bodyDecode(50, new Uint8Array(8)), /amount: 0/);
  const inv = fieldsOf(by.invoice_create);
  assert.throws(() => h.bodyDecode(37, h.MORE_KINDS.invoice_create[1].encode({ ...inv, amount: "901" })), /sum/);
  assert.throws(() => h.MORE_KINDS.chit[1].encode({ ...fieldsOf(by.chit), memo: "caf\u00e9" }), /ASCII/);
  // a count past its bound is refused before anything is read or allocated
  assert.throws(() => h.bodyDecode(52, h.concat(h.fromHex(by.receipt_claim.body).slice(0, 121), Uint8Array.of(200))), /n_shares 200/);
});
