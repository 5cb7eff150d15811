// browse.mjs — opens every explorer page in Debian's headless Chromium
// (driven by playwright-core, which downloads no browser), checks what each
// shows against the node's RPC answers, saves screenshots, and fails on any
// page script error. Started by test_explorer.py with HANSA_NODE (a node's
// RPC base URL), HANSA_KEYS (the network's funded accounts) and SHOTS (the
// screenshot folder).
import { chromium } from "playwright-core";
import { readFileSync, mkdirSync } from "node:fs";
import * as h from "../../clients/js/src/index.js";

const NODE = process.env.HANSA_NODE, SHOTS = process.env.SHOTS;
const client = new h.HansaClient(NODE);
const errors = [];
let failed = 0;
const check = (cond, what) => {
  console.log(`${cond ? "ok  " : "FAIL"} ${what}`);
  if (!cond) failed++;
};

mkdirSync(SHOTS, { recursive: true });
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
try {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await ctx.newPage();
  page.on("pageerror", (e) => errors.push(`page error: ${e.message}`));
  page.on("console", (m) => { if (m.type() === "error") errors.push(`console error: ${m.text()}`); });
  const open = async (hash, ready) => {
    await page.goto("about:blank"); // a fresh load of the page each time
    await page.goto(`${NODE}/explorer/${hash}`);
    await page.waitForSelector(ready, { timeout: 90000 });
  };
  const text = (sel) => page.textContent(sel);
  const shot = (name) => page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: false });

  // Chain: the height is the node's, the newest block row is the node's block.
  // The page lists the last 20 blocks; wait until the chain has more than 20
  // so the count below is exact (a young chain lists all of its blocks).
  const deadline = Date.now() + 90000;
  while ((await client.status()).height <= 20 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  const before = (await client.status()).height;
  await open("#/", "#blocks tbody tr");
  const shown = Number(await text("#stat-height"));
  const after = (await client.status()).height;
  check(shown >= before && shown <= after, `chain page height ${shown} is the node's (${before}..${after})`);
  const rowsShown = await page.$$eval("#blocks tbody tr", (r) => r.map((x) => [x.dataset.height, x.querySelector("td.hash").textContent]));
  check(rowsShown.length === 20, `${rowsShown.length} recent blocks listed`);
  for (const [height, hash] of [rowsShown[0], rowsShown.at(-1)]) {
    const b = await client.block({ height: Number(height) });
    check(hash.startsWith(b.hash.slice(0, 16)), `row of block ${height} shows the node's block hash`);
  }
  // Live: a new block arrives over /events without reloading.
  await page.waitForFunction((s) => Number(document.getElementById("stat-height").textContent) > s, shown, { timeout: 90000 });
  check(await page.$eval("#live", (e) => e.classList.contains("on")), "live indicator is on after a block event");
  const live = await page.$$eval("#blocks tbody tr", (r) => r.map((x) => Number(x.dataset.height)));
  check(live.length === 20 && live.every((v, i) => i === 0 || v === live[i - 1] - 1), `after live updates the rows are 20 consecutive heights (${live[0]}..${live.at(-1)})`);
  await shot("chain");

  // A block with transactions, verified in the browser.
  const keys = await h.parseKeyfile(readFileSync(process.env.HANSA_KEYS, "utf8"));
  const a0 = keys.keys.get("acct0");
  const status = await client.status();
  const dest = await h.addressOfPubkey(keys.chainId, (await h.randomKey()).publicKey);
  const nonce = (await client.account({ address: a0.address })).nonce;
  const t = await h.transfer({ chainId: keys.chainId, key: a0, nonce, fee: status.min_fee, to: dest, amount: 4242 });
  const sent = await client.submit(t.bytes, { wait: true, timeoutMs: 120000 });
  await open(`#/block/${sent.height}`, "#block-verified");
  check(await page.getAttribute("#block-verified", "data-verified") === "true", `block ${sent.height}: verified in the browser`);
  const blk = await client.block({ height: sent.height });
  const txRows = await page.$$eval("#txs tbody tr[data-tx]", (r) => r.map((x) => x.dataset.tx));
  check(txRows.length === blk.tx_hashes.length && txRows.every((x, i) => x === blk.tx_hashes[i]), `block page lists the block's ${blk.tx_hashes.length} txs in order`);
  await shot("block");

  await open(`#/tx/${t.hash}`, "#tx-verified");
  check(await page.getAttribute("#tx-verified", "data-verified") === "true", "tx: Merkle proof and commit verified with WebCrypto");
  check((await text("#tx-amount")).replace(/,/g, "") === "4242", "tx page shows the amount sent");
  check((await text("#tx-kind")) === "transfer", "tx page shows the kind");
  await shot("tx");
  // The check can fail: a node that lies about the proof is caught.
  await page.route(`${NODE}/`, async (route) => {
    const req = route.request().postDataJSON();
    if (req.method !== "tx") return route.continue();
    const resp = await route.fetch();
    const body = await resp.json();
    body.result.proof.path[0] = body.result.proof.path[0] ? "00".repeat(32) : undefined;
    if (!body.result.proof.path[0]) body.result.tx.encoded = body.result.tx.encoded.replace(/.$/, (c) => (c === "0" ? "1" : "0"));
    await route.fulfill({ response: resp, json: body });
  });
  await open(`#/tx/${t.hash}`, "#tx-verified");
  check(await page.getAttribute("#tx-verified", "data-verified") === "false", "a forged proof is shown as NOT verified");
  await page.unroute(`${NODE}/`);

  // The library signs in the browser too: a transfer built and signed in the
  // page (WebCrypto Ed25519) is accepted and committed by the node.
  const a2 = keys.keys.get("acct2");
  const a2nonce = (await client.account({ address: a2.address })).nonce;
  const signedHex = await page.evaluate(async (o) => {
    const lib = await import("/explorer/lib/index.js");
    const key = await lib.keyFromSeed(lib.fromHex(o.seed));
    return (await lib.transfer({ chainId: o.chainId, key, nonce: o.nonce, fee: o.fee, to: o.to, amount: 7 })).hex;
  }, { seed: h.toHex(a2.seed), chainId: keys.chainId, nonce: a2nonce, fee: status.min_fee, to: dest });
  const inBrowser = await client.submit(signedHex, { wait: true, timeoutMs: 120000 });
  check(inBrowser.height > 0, `a transfer signed in the browser committed at height ${inBrowser.height}`);

  // A new candidate (acct1 stakes) appears on the bench until an election.
  // Its bond is small: acct1 runs no node, and at the election (height 100)
  // a bond above the delegates' would give it more than 1/3 of the power
  // and halt this chain.
  const a1 = keys.keys.get("acct1");
  const st1 = await h.stake({ chainId: keys.chainId, key: a1, nonce: (await client.account({ address: a1.address })).nonce, fee: status.min_fee, amount: 1 });
  await client.submit(st1.bytes, { wait: true, timeoutMs: 120000 });

  // Delegates: the node's candidates and active set.
  await open("#/delegates", "#candidates");
  const cands = await client.candidates(), dels = await client.delegates();
  check(Number(await text("#n-candidates")) === cands.candidates.length, `${cands.candidates.length} candidates shown`);
  check(await page.$$eval("#active tbody tr", (r) => r.length) === dels.active.length, `${dels.active.length} active delegates shown`);
  const role = cands.candidates.find((c) => c.pubkey === a1.pubkeyHex).role;
  check(await page.textContent(`#candidates tr[data-pubkey="${a1.pubkeyHex}"] .badge`) === role, `acct1 shown as a new candidate with role "${role}"`);
  await shot("delegates");

  // Accounts: the recipient is listed; its page updates live on a transfer.
  await open("#/accounts", "#accounts");
  check(await page.$(`#accounts tr[data-address="${dest}"]`) !== null, "accounts page lists the new recipient");
  await shot("accounts");
  await open(`#/account/${dest}`, "#acct-balance");
  check((await text("#acct-balance")).replace(/,/g, "") === "4249", "account page shows the balance (4242 + 7)");
  const t2 = await h.transfer({ chainId: keys.chainId, key: a0, nonce: BigInt(nonce) + 1n, fee: status.min_fee, to: dest, amount: 8 });
  await client.submit(t2.bytes, { wait: true, timeoutMs: 120000 });
  await page.waitForFunction(() => document.getElementById("acct-balance").textContent.replace(/,/g, "") === "4257", null, { timeout: 90000 });
  check((await client.account({ address: dest })).balance === "4257", "account page followed a transfer live (4257)");
  await shot("account");

  // Federation: this chain, and the interchain sources reported as missing.
  await open("#/federation", "#home-chain");
  const missing = await page.$$eval("[data-missing=true]", (e) => e.map((x) => x.dataset.source));
  check(missing.length === 1 && missing[0] === "routes",
        `federation: light clients, correspondents and packets drawn from client_list, correspondents and packets; only the routing table (routes.json, not served by RPC) reported missing (${missing})`);
  await shot("federation");

  // Credit, a lift and a receipt on the real chain, made with the client
  // library: x and y (funded by acct3) open a tally, x lifts 200 to y over
  // it, x underwrites a receipt for y's nonce 0 and y claims it broken.
  const real = await creditStory(keys, status.min_fee);
  await open(`#/account/${real.xAddr}`, "#acct-lifts");
  const liftRec = await client.call("lift", { id: real.liftId });
  const liftRow = await page.$(`#acct-lifts tr[data-lift="${real.liftId}"]`);
  check(liftRow !== null && (await liftRow.getAttribute("data-state")) === (liftRec.ruling === "commit" ? "committed" : "voided"),
        `account page shows x's lift ${real.liftId.slice(0, 8)} as the node's ruling (${liftRec.ruling})`);
  check((await liftRow.textContent()).replace(/,/g, "").includes(liftRec.amount), "the lift row shows the node's amount");
  const xferRows = await page.$$eval("#acct-xfers tbody tr[data-xfer]", (r) => r.length);
  check(xferRows === 0 && (await client.call("packets")).packets.length === 0, "no packets in flight, as the node says (transfers table empty)");
  const uRow = await page.$(`#acct-receipts tr[data-receipt="${real.receiptId}"]`);
  check(uRow !== null && (await uRow.textContent()).includes("underwriter"), "x's account page shows the receipt it underwrote");
  await shot("account-lifts");
  await open(`#/account/${real.yAddr}`, "#acct-receipts");
  const rv = await client.call("receipt_verify", { receipt: real.receiptHex });
  const rRow = await page.$(`#acct-receipts tr[data-receipt="${real.receiptId}"]`);
  check(rRow !== null && (await rRow.getAttribute("data-status")) === rv.status, `y's account page shows the receipt claimed against x with the node's status (${rv.status})`);
  await open(`#/tx/${real.liftTx}`, "#tx-body");
  check((await text("#tx-kind")) === "lift" && (await text("#tx-body")).includes(real.liftId), "the lift tx page shows its decoded body");
  await shot("tx-lift");

  // Credit graph from the node's own `tallies` and `lifts`: the tally above, its lift...
  await open("#/graph", "#graph-legend");
  const legend = await text("#graph-legend");
  const nLifts = (await client.call("lifts")).lifts.length;
  check(/\b1 tallies\b/.test(legend) && new RegExp(`\\b${nLifts} lifts\\b`).test(legend),
        `credit graph drawn from the node's tallies and ${nLifts} lift(s) (${legend.split("(")[0].trim()})`);
  await page.waitForFunction(() => window.hansaExplorer.graph && window.hansaExplorer.graph.stats().lifts.length > 0, null, { timeout: 30000 });
  const realStats = await page.evaluate(() => window.hansaExplorer.graph.stats());
  check(realStats.lifts.join() === "committed", `the graph draws the lift as committed (${realStats.lifts})`);
  // ...and with a GENERATED credit network (test data, not from the node)
  // answered to the page's own `tallies` (and `lifts`) calls, the same code
  // path (crawl from a delegate in JSON-RPC batches, layout, canvas) draws 3000
  // tallies between 1200 entities.
  // The crawl starts from the delegates and the accounts of the last 20
  // blocks: a delegate is always among them.
  const genSeed = (await client.candidates()).candidates[0].address;
  const gen = generatedTallies(genSeed, 1200, 3000, 6);
  await page.route(`${NODE}/`, async (route) => {
    const body = route.request().postDataJSON();
    const calls = Array.isArray(body) ? body : [body];
    if (!calls.every((c) => c.method === "tallies" || c.method === "lifts")) return route.continue();
    const answers = calls.map((c) => ({ jsonrpc: "2.0", id: c.id, result: c.method === "lifts" ? { lifts: gen.lifts }
      : { address: c.params.address, tallies: gen.byAddress.get(c.params.address) || [] } }));
    await route.fulfill({ json: Array.isArray(body) ? answers : answers[0] });
  });
  // The real (empty) graph drawn above is done already: forget it, so the
  // wait below sees the generated one (seen racing on a loaded machine).
  await page.evaluate(() => { window.hansaExplorer.graph = null; });
  await open("#/graph", "#graph");
  await page.waitForFunction(() => window.hansaExplorer.graph && window.hansaExplorer.graph.stats().done, null, { timeout: 90000 });
  const gs = await page.evaluate(() => window.hansaExplorer.graph.stats());
  check(gs.nodes === 1200 && gs.edges === 3000 && gs.drawnEdges === 3000, `generated graph: the crawl found ${gs.nodes} entities and ${gs.edges} tallies, ${gs.drawnEdges} drawn`);
  console.log(`figure: credit graph layout of 3000 tallies took ${gs.frames} frames, longest frame ${gs.maxFrameMs} ms`);
  await shot("graph-generated");
  await page.selectOption("#chain", "e2e5");
  await page.waitForFunction(() => window.hansaExplorer.graph.stats().drawnEdges < 3000, null, { timeout: 10000 });
  check(true, "the chain filter hides other chains' tallies");
  // The account page lists the seed's tallies from the same answers.
  await open(`#/account/${genSeed}`, "#acct-tallies");
  const tallyRows = await page.$$eval("#acct-tallies tbody tr[data-tally]", (r) => r.length);
  check(tallyRows === gen.byAddress.get(genSeed).length, `account page lists the delegate's ${tallyRows} tallies`);
  await page.unroute(`${NODE}/`);

  check(errors.length === 0, `no page script errors${errors.length ? ": " + errors.join("; ") : ""}`);
} finally {
  await browser.close();
}
console.log(failed ? `${failed} checks failed` : "all explorer checks passed");
process.exit(failed ? 1 : 0);

/** A made-up credit network for the graph test, in the shape of the node's
 * tally views (docs/rpc.md "Credit"): n entities (the first is `seed`, a
 * real account the page starts its crawl from; every third one on chain
 * e2e5), all connected, m tallies, and a few lifts along tally paths. */
function generatedTallies(seed, n, m, nlifts) {
  let s = 12345;
  const rnd = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const addr = (i) => (i === 0 ? seed : `${i % 3 ? "e2e4" : "e2e5"}x${i.toString(16).padStart(40, "0")}`);
  const local = (i) => i === 0 || i % 3 !== 0;
  const pairs = [];
  // A tree first, through local entities only, so the crawl reaches every one...
  for (let i = 1; i < n; i++) {
    let j = Math.floor(rnd() * i);
    while (!local(j)) j = Math.floor(rnd() * i);
    pairs.push([i, j]);
  }
  // ...then random tallies.
  while (pairs.length < m) {
    const a = Math.floor(rnd() * n), b = Math.floor(rnd() * n);
    if (a !== b && (local(a) || local(b))) pairs.push([a, b]);
  }
  const byAddress = new Map();
  const tallies = pairs.map(([a, b], k) => {
    const t = { tally_id: k.toString(16).padStart(32, "0"), state: "open", balance: String(Math.floor(rnd() * 200000) - 50000),
                stock: { address: addr(b), chain_id: addr(b).slice(0, 4) }, foil: { address: addr(a), chain_id: addr(a).slice(0, 4) },
                stock_half: { chits: 3 }, foil_half: { chits: 2 } };
    for (const x of [t.stock.address, t.foil.address]) (byAddress.get(x) || byAddress.set(x, []).get(x)).push(t);
    return t;
  });
  // lift records as the node's `lifts` gives them; no ruling = proposed
  const rulings = [undefined, "commit", "expired"];
  const lifts = Array.from({ length: nlifts }, (_, i) => ({ lift_id: `l${i}`, kind: "linear", amount: "100", ruling: rulings[i % 3],
    route: tallies.slice(i * 4, i * 4 + 4).map((t) => ({ tally_id: t.tally_id, payer: t.foil, receiver: t.stock })) }));
  return { byAddress, lifts };
}

/** Makes real credit, lift and receipt data with the client library; returns
 * what the checks look for. */
async function creditStory(keys, fee) {
  const chainId = keys.chainId, a3 = keys.keys.get("acct3");
  const nonces = new Map();
  const addrOf = async (k) => k.address ?? h.addressOfPubkey(chainId, k.publicKey);
  const send = async (builder, key, extra) => {
    const a = await addrOf(key);
    const n = nonces.has(a) ? nonces.get(a) : BigInt((await client.account({ address: a })).nonce);
    nonces.set(a, n + 1n);
    const t = await builder({ chainId, key, nonce: n, fee, ...extra });
    await client.submit(t.bytes, { wait: true, timeoutMs: 60000 });
    return client.tx({ hash: t.hash });
  };
  const x = await h.randomKey(), y = await h.randomKey();
  const xAddr = await addrOf(x), yAddr = await addrOf(y);
  await send(h.transfer, a3, { to: xAddr, amount: 1000000 });
  await send(h.transfer, a3, { to: yAddr, amount: 1000000 });
  const id = () => { const b = new Uint8Array(16); globalThis.crypto.getRandomValues(b); b[0] |= 1; return h.toHex(b); };
  const contract = { tallyId: id(), stock: { chain: chainId, key: h.toHex(x.publicKey) }, foil: { chain: chainId, key: h.toHex(y.publicKey) },
    stockGrants: { limit: 5000000, callDays: 30 }, foilGrants: { limit: 5000000, callDays: 30 }, revision: 1 };
  await send(h.tallyOffer, x, { contract });
  const yFirst = await send(h.tallyAccept, y, { contract }); // y's nonce 0
  await send(h.tallyTrade, y, { trade: { tallyId: contract.tallyId, side: 2, seq: 1, target: 0, bound: 4000000, rewardPpm: 0, clutchPpm: 0 } });
  const liftId = id();
  const liftRes = await send(h.lift, x, { fields: { liftId, liftKind: 2, amount: 200, expiryMs: Date.now() + 600000, refereeChain: chainId,
    refereeKey: h.toHex(x.publicKey), tallies: [contract.tallyId], parties: [contract.stock, contract.foil] } });
  await send(h.receiptBond, x, { amount: 50000 });
  const core = { chainId, txHash: "11".repeat(32), sender: h.toHex(y.publicKey), nonce: 0,
    beneficiary: h.toHex((await h.addressParse(yAddr, chainId)).bytes), amount: 100, issuedHeight: 1, deadline: 2 };
  const share = { signer: h.toHex(x.publicKey), amount: "100" };
  const receipt = { core, shares: [{ ...share, sig: h.toHex(await h.signReceiptShare(x, core, share)) }] };
  const p = yFirst.proof;
  await send(h.receiptClaim, y, { fields: { receipt, proof: { height: yFirst.height, index: p.index, count: p.tree_size, path: p.path, tx: yFirst.tx.encoded } } });
  const rbytes = h.receipt.encode(receipt);
  return { xAddr, yAddr, liftId, liftTx: liftRes.hash, receiptHex: h.toHex(rbytes), receiptId: h.toHex(await h.sha256(rbytes.slice(0, 121))) };
}
