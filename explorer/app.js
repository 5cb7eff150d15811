// app.js — the hansa explorer: a page per hash route, all data from the node
// that serves it (JSON-RPC at POST /, live updates from GET /events), every
// proof and signature checked here with the client library (./lib, the
// repository's clients/js/src served by the node).
//
//   #/                 chain: height, rate, recent blocks (live)
//   #/block/H          a block: header, commit verified, its transactions decoded
//   #/tx/HASH          a transaction with its Merkle proof and commit, verified
//   #/delegates        active set, bench, candidates, evidence, upgrades (live)
//   #/accounts         accounts seen in recent blocks; #/account/ADDR one account (live):
//                      tallies, lifts, transfers out, vouchers, receipts
//   #/federation       this chain and the chains it knows (sources.js)
//   #/graph            the credit graph (graph.js)
import * as hansa from "./lib/index.js";
import { CreditGraph } from "./graph.js";
import { FEDERATION_SOURCES, creditGraph, liftView, optional } from "./sources.js";

const client = new hansa.HansaClient(location.origin);
const view = document.getElementById("view");
const RECENT = 20;       // blocks on the chain page
const SCAN = 50;         // blocks the accounts pages scan for addresses...
const SCAN_TXS = 2000;   // ...reading at most this many transactions (blocks hold up to 10,000)
const BLOCK_TXS_SHOWN = 500; // transactions listed on a block page

// What the test (tests/explorer) and curious people can read.
const state = { status: null, validators: null, route: "", rendered: 0, graph: null, errors: [] };
window.hansaExplorer = state;

function showError(e) {
  const box = document.getElementById("error");
  box.textContent = `error: ${e && e.message ? e.message : e}`;
  box.classList.remove("hidden");
  state.errors.push(String(e && e.message ? e.message : e));
}
window.addEventListener("unhandledrejection", (ev) => showError(ev.reason));

// The route a page was asked for; a page that finishes after the reader went
// elsewhere must not draw over the new page.
let routeSeq = 0;
/** Draws a page's HTML unless another route started since the page began
 * (seq is routeSeq then); false then, and the page stops. */
function show(seq, html) {
  if (seq !== routeSeq) return false;
  view.innerHTML = html;
  return true;
}

const esc = (v) => String(v ?? "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const short = (h, n = 10) => (h && h.length > 2 * n ? `${h.slice(0, n)}…${h.slice(-4)}` : h);
const time = (ms) => new Date(ms).toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z");
const amount = (s) => esc(BigInt(s).toLocaleString("en-US"));
const link = (href, text, cls = "hash") => `<a class="${cls}" href="${esc(href)}">${esc(text)}</a>`;
const addrLink = (a) => link(`#/account/${a}`, short(a, 12));
const table = (heads, rows, id = "") =>
  `<table${id ? ` id="${id}"` : ""}><thead><tr>${heads.map((h) => `<th class="${h.startsWith("#") ? "num" : ""}">${esc(h.replace(/^#/, ""))}</th>`).join("")}</tr></thead>` +
  `<tbody>${rows.join("") || `<tr><td colspan="${heads.length}" class="muted">none</td></tr>`}</tbody></table>`;

async function validators() {
  if (!state.validators) state.validators = (await client.validators()).validators;
  return state.validators;
}

// ---------- chain ----------

function blockRow(b, fresh) {
  return `<tr data-height="${b.height}"${fresh ? ' class="new"' : ""}><td class="num">${link(`#/block/${b.height}`, b.height, "")}</td>` +
    `<td>${esc(time(b.time_ms))}</td><td class="num">${b.tx_count}</td><td>${addrLink(b.proposer_address)}</td>` +
    `<td class="hash">${esc(short(b.hash, 16))}</td></tr>`;
}

const consensusText = (st) => `height ${esc(st.consensus_height)}, round ${esc(st.consensus_round)}${st.syncing ? ' <span class="warn">syncing</span>' : ""}`;

/** The status figures that are not in block events, refreshed after a block. */
async function refreshStatus() {
  const st = await client.status();
  const set = (id, v) => { const e = document.getElementById(id); if (e) e.innerHTML = v; };
  set("stat-peers", esc(st.peers));
  set("stat-mempool", esc(st.mempool_txs));
  set("stat-consensus", consensusText(st));
}

function rates(blocks) {
  if (blocks.length < 2) return { perMin: "–", txs: "–" };
  const span = (blocks[0].time_ms - blocks.at(-1).time_ms) / 1000;
  const txs = blocks.slice(0, -1).reduce((a, b) => a + b.tx_count, 0);
  return { perMin: span > 0 ? ((blocks.length - 1) / span * 60).toFixed(1) : "–", txs: span > 0 ? (txs / span).toFixed(1) : "–" };
}

async function chainPage() {
  const seq = routeSeq;
  const st = await client.status();
  state.status = st;
  const heights = [];
  for (let h = st.height; h >= Math.max(1, st.height - RECENT + 1); h--) heights.push(h);
  const blocks = (await Promise.all(heights.map((h) => client.block({ height: h })))).map((b) =>
    ({ height: b.height, hash: b.hash, time_ms: b.header.time_ms, tx_count: b.header.tx_count, proposer_address: b.header.proposer_address }));
  const card = (k, v, id) => `<div class="card"><div class="k">${esc(k)}</div><div class="v" id="${id}">${v}</div></div>`;
  const r = rates(blocks);
  if (!show(seq, `<h1>Chain <span class="mono">${esc(st.chain_id)}</span></h1>
    <div class="cards">
      ${card("height", esc(st.height), "stat-height")}
      ${card("blocks / minute", esc(r.perMin), "stat-rate")}
      ${card("tx / s (recent blocks)", esc(r.txs), "stat-txs")}
      ${card("peers", esc(st.peers), "stat-peers")}
      ${card("mempool", esc(st.mempool_txs), "stat-mempool")}
      ${card("min fee", esc(st.min_fee), "stat-fee")}
      ${card("software", `${esc(st.version)} ${st.software_ratified ? '<span class="badge active">ratified</span>' : '<span class="badge">not ratified</span>'}`, "stat-version")}
    </div>
    <dl class="kv"><dt>tip block</dt><dd class="hash" id="stat-hash">${esc(st.block_hash)}</dd>
      <dt>app hash</dt><dd class="hash">${esc(st.app_hash)}</dd>
      <dt>consensus</dt><dd id="stat-consensus">${consensusText(st)}</dd></dl>
    <h2>Recent blocks</h2>
    ${table(["#height", "time", "#txs", "proposer", "hash"], blocks.map((b) => blockRow(b)), "blocks")}`)) return;
  state.chainBlocks = blocks;
  let statusBusy = false;
  return {
    async onBlock(ev) {
      const body = document.querySelector("#blocks tbody");
      if (!body || body.querySelector(`tr[data-height="${ev.height}"]`)) return;
      const add = (b) => { // newest first, never more than RECENT rows
        body.insertAdjacentHTML("afterbegin", blockRow(b, true));
        while (body.rows.length > RECENT) body.deleteRow(body.rows.length - 1);
        blocks.unshift(b);
        blocks.length = Math.min(blocks.length, RECENT);
      };
      // Blocks committed while the page loaded came before it listened: fetch them.
      for (let h = (blocks.length ? blocks[0].height : ev.height - 1) + 1; h < ev.height && h > ev.height - RECENT; h++) {
        if (body.querySelector(`tr[data-height="${h}"]`)) continue;
        const b = await client.block({ height: h });
        const row = { height: b.height, hash: b.hash, time_ms: b.header.time_ms, tx_count: b.header.tx_count, proposer_address: b.header.proposer_address };
        add(row);
      }
      if (body.querySelector(`tr[data-height="${ev.height}"]`)) return;
      add(ev);
      const r2 = rates(blocks);
      document.getElementById("stat-height").textContent = ev.height;
      document.getElementById("stat-rate").textContent = r2.perMin;
      document.getElementById("stat-txs").textContent = r2.txs;
      document.getElementById("stat-hash").textContent = ev.hash;
      if (!statusBusy) { statusBusy = true; refreshStatus().catch(showError).finally(() => { statusBusy = false; }); }
    },
  };
}

// ---------- block ----------

async function txRows(hexes) {
  const rows = [];
  for (const hex of hexes) {
    const d = await hansa.txDescribe(hansa.fromHex(hex));
    const f = d.fields || {};
    rows.push(`<tr data-tx="${d.hash}"><td>${link(`#/tx/${d.hash}`, short(d.hash, 12))}</td><td>${esc(d.kind)}</td>` +
      `<td>${addrLink(d.senderAddress)}</td><td>${f.to ? addrLink(f.to) : ""}</td>` +
      `<td class="num">${f.amount ? amount(f.amount) : ""}</td><td class="num">${esc(d.fee)}</td><td class="num">${esc(d.nonce)}</td></tr>`);
  }
  return rows;
}

async function blockPage(height) {
  const seq = routeSeq;
  const b = await client.block({ height: Number(height), txs: true });
  const vs = await validators();
  const v = await hansa.verifyBlockResult(b, vs);
  const hd = b.header, c = b.commit;
  const fields = ["hash", "chain_id", "height", "time_ms", "prev_block", "last_commit_hash", "tx_root", "evidence_root",
    "app_hash", "validators_hash", "next_validators_hash", "proposer_address", "tx_count"];
  if (!show(seq, `<h1>Block ${esc(b.height)}</h1>
    <div class="verify ${v.ok ? "ok" : "bad"}" id="block-verified" data-verified="${v.ok}">
      ${v.ok ? `<span class="ok">✔ verified in this browser</span>: the header hashes to the block id, the transactions hash to its tx_root, and the commit is signed by validators holding ${esc(c.signed_power ?? "?")} of ${esc(c.total_power ?? "?")} power (more than 2/3)`
             : `<span class="bad">✘ not verified</span>: ${esc(v.reason)}`}</div>
    <dl class="kv">${fields.map((f) => `<dt>${f}</dt><dd class="${/hash|root|block/.test(f) ? "hash" : ""}">${f === "time_ms" ? esc(`${hd[f]} (${time(hd[f])})`) : esc(hd[f])}</dd>`).join("")}
      <dt>commit</dt><dd>round ${esc(c.round)}, ${esc(c.signers.length)} signatures</dd></dl>
    <div class="row">${b.height > 1 ? link(`#/block/${b.height - 1}`, "← previous", "") : ""} ${link(`#/block/${b.height + 1}`, "next →", "")}</div>
    <h2>Transactions (${esc(hd.tx_count)}${hd.tx_count > BLOCK_TXS_SHOWN ? `, the first ${BLOCK_TXS_SHOWN} shown` : ""})</h2>
    ${table(["hash", "kind", "from", "to", "#amount", "#fee", "#nonce"], await txRows((b.txs || []).slice(0, BLOCK_TXS_SHOWN)), "txs")}`)) return;
}

// ---------- tx ----------

async function txPage(hash) {
  const seq = routeSeq;
  const t = await client.tx({ hash });
  const v = await hansa.verifyTxResult(t, await validators());
  const d = await hansa.txDescribe(hansa.fromHex(t.tx.encoded));
  const f = d.fields || {};
  if (!show(seq, `<h1>Transaction</h1>
    <div class="verify ${v.ok ? "ok" : "bad"}" id="tx-verified" data-verified="${v.ok}">
      ${v.ok ? '<span class="ok">✔ verified in this browser</span> (WebCrypto SHA-256 and Ed25519):' : `<span class="bad">✘ not verified</span>: ${esc(v.reason)}`}
      <ul>${v.steps.map((s) => `<li>${s.ok ? "✔" : "✘"} ${esc(s.what)}</li>`).join("")}</ul></div>
    <dl class="kv"><dt>hash</dt><dd class="hash" id="tx-hash">${esc(t.hash)}</dd>
      <dt>block</dt><dd>${link(`#/block/${t.height}`, t.height, "")}, index ${esc(t.index)}</dd>
      <dt>kind</dt><dd id="tx-kind">${esc(d.kind)}</dd>
      <dt>from</dt><dd>${addrLink(d.senderAddress)}</dd>
      ${f.to ? `<dt>to</dt><dd>${addrLink(f.to)}</dd>` : ""}
      ${f.amount ? `<dt>amount</dt><dd id="tx-amount">${amount(f.amount)}</dd>` : ""}
      ${f.pairs ? `<dt>candidates</dt><dd>${f.pairs.map((p) => `${esc(short(p.candidate))}: ${amount(p.amount)}`).join("<br>")}</dd>` : ""}
      ${f.hash ? `<dt>software hash</dt><dd class="hash">${esc(f.hash)}</dd>` : ""}
      ${d.kindCode >= 10 ? `<dt>body</dt><dd><pre id="tx-body">${esc(JSON.stringify(f, null, 1))}</pre></dd>` : ""}
      ${d.bodyError ? `<dt>body</dt><dd class="bad">${esc(d.bodyError)}</dd>` : ""}
      <dt>fee</dt><dd>${esc(d.fee)}</dd><dt>nonce</dt><dd>${esc(d.nonce)}</dd>
      <dt>Merkle proof</dt><dd>leaf ${esc(t.proof.index)} of ${esc(t.proof.tree_size)}, ${esc(t.proof.path.length)} hashes to root <span class="hash">${esc(short(t.proof.root, 16))}</span></dd>
      <dt>signature</dt><dd class="hash">${esc(t.tx.signature)}</dd></dl>`)) return;
}

// ---------- delegates ----------

const sameSet = (a, b) => a.length === b.length && a.every((v, i) => v.pubkey === b[i].pubkey && v.power === b[i].power);

function badges(c) {
  return `<span class="badge ${esc(c.role)}">${esc(c.role)}</span>` + (c.jailed && !c.tombstoned ? '<span class="badge jailed">jailed</span>' : "") +
    (c.tombstoned ? '<span class="badge tombstoned">slashed</span>' : "");
}

async function delegatesPage() {
  const seq = routeSeq;
  const [d, cands, ev, up] = await Promise.all([client.delegates(), client.candidates(), client.evidence(), client.upgrade()]);
  const active = d.active.map((v) => `<tr data-pubkey="${esc(v.pubkey)}"><td>${addrLink(v.address)}</td><td class="hash">${esc(short(v.pubkey, 12))}</td><td class="num">${esc(v.power)}</td></tr>`);
  const bench = d.bench.map((v) => `<tr><td>${addrLink(v.address)}</td><td class="num">${amount(v.weight)}</td></tr>`);
  const cand = cands.candidates.map((c) => `<tr data-pubkey="${esc(c.pubkey)}"><td>${addrLink(c.address)}</td><td>${badges(c)}</td>` +
    `<td class="num">${esc(c.power)}</td><td class="num">${amount(c.self_bond)}</td><td class="num">${amount(c.votes)}</td><td class="num">${amount(c.weight)}</td>` +
    `<td class="num">${esc(c.missed)}</td><td class="num">${c.jailed_at ? esc(c.jailed_at) : ""}</td></tr>`);
  const punished = ev.punished.map((e) => `<tr><td class="hash">${esc(e.hash)}</td><td class="num">${link(`#/block/${e.height}`, e.height, "")}</td></tr>`);
  const pending = ev.pending.map((e) => `<tr><td>${addrLink(e.offender_address)}</td><td class="num">${esc(e.height)}/${esc(e.round)}</td><td>${esc(e.type)}</td></tr>`);
  const props = up.proposals.map((p) => `<tr><td class="hash">${esc(short(p.hash, 16))}</td><td class="num">${esc(p.proposed_at)}</td><td class="num">${esc(p.open_until)}</td>` +
    `<td class="num">${esc(p.approvals)}</td><td class="num">${amount(p.approval_weight)} / ${amount(p.bonded_total)}</td><td>${p.ratified ? `<span class="ok">ratified at ${esc(p.ratified_at)}</span>` : "open"}</td></tr>`);
  if (!show(seq, `<h1>Delegates</h1>
    <div class="cards">
      <div class="card"><div class="k">active delegates</div><div class="v" id="n-active">${d.active.length}</div></div>
      <div class="card"><div class="k">bench</div><div class="v">${d.bench.length}</div></div>
      <div class="card"><div class="k">candidates</div><div class="v" id="n-candidates">${cands.candidates.length}</div></div>
      <div class="card"><div class="k">next election</div><div class="v">${esc(d.next_election)}</div></div>
      <div class="card"><div class="k">epoch</div><div class="v">${esc(d.epoch_blocks)} blocks</div></div>
    </div>
    <h2>Active set (deciding from height ${esc(d.active_from)})</h2>${table(["address", "public key", "#power"], active, "active")}
    ${sameSet(d.active, d.next) ? "" : `<h2>Next set, elected (deciding from height ${esc(d.next_from)})</h2>` +
      table(["address", "public key", "#power"], d.next.map((v) => `<tr><td>${addrLink(v.address)}</td><td class="hash">${esc(short(v.pubkey, 12))}</td><td class="num">${esc(v.power)}</td></tr>`), "next")}
    <h2>Bench</h2>${table(["address", "#weight"], bench, "bench")}
    <h2>Candidates</h2>${table(["address", "role", "#power", "#self bond", "#votes", "#weight", "#missed", "#jailed at"], cand, "candidates")}
    <h2>Evidence punished</h2>${table(["evidence hash", "#block"], punished, "punished")}
    <h2>Evidence pending in this node</h2>${table(["offender", "#height/round", "vote"], pending)}
    <h2>Software upgrades${up.latest_ratified ? ` (latest ratified <span class="hash">${esc(short(up.latest_ratified, 12))}</span>)` : ""}</h2>
    ${table(["software hash", "#proposed", "#open until", "#approvals", "#approval weight", "status"], props, "upgrades")}`)) return;
  // Re-read on each block, but never more than one refresh at a time, and
  // without holding up the block queue (blocks may come faster than a refresh).
  let busy = false;
  return {
    onBlock() {
      if (busy || location.hash !== "#/delegates") return;
      busy = true;
      delegatesPage().catch(showError).finally(() => { busy = false; });
    },
  };
}

// ---------- accounts ----------

/** Calls fn(description, height) for the transactions of the last SCAN
 * blocks, newest first, stopping after SCAN_TXS of them. Returns how many
 * blocks it read. */
async function scanRecent(height, fn) {
  let txs = 0, h = height;
  for (; h > Math.max(0, height - SCAN) && txs < SCAN_TXS; h--) {
    const b = await client.block({ height: h, txs: true });
    for (const hex of b.txs.slice(0, SCAN_TXS - txs)) fn(await hansa.txDescribe(hansa.fromHex(hex)), h);
    txs += b.txs.length;
  }
  return height - h;
}

async function accountsPage() {
  const seq = routeSeq;
  const st = await client.status();
  const seen = new Map();
  const scanned = await scanRecent(st.height, (d, h) => {
    for (const a of [d.senderAddress, d.fields && d.fields.to]) if (a && !seen.has(a)) seen.set(a, h);
  });
  const list = [...seen].slice(0, 200);
  const accts = await Promise.all(list.map(([a]) => client.account({ address: a })));
  const rows = list.map(([a, h], i) => `<tr data-address="${esc(a)}"><td>${addrLink(a)}</td><td class="num">${amount(accts[i].balance)}</td>` +
    `<td class="num">${esc(accts[i].nonce)}</td><td class="num">${link(`#/block/${h}`, h, "")}</td></tr>`);
  if (!show(seq, `<h1>Accounts</h1>
    <form class="row" id="find"><input type="text" id="addr" placeholder="address, e.g. ${esc(st.chain_id)}x…" autocomplete="off"><button>Open</button></form>
    <h2>Accounts in the last ${scanned} blocks${list.length < seen.size ? ` (the ${list.length} seen last)` : ""}</h2>
    ${table(["address", "#balance", "#nonce", "#last seen"], rows, "accounts")}`)) return;
  document.getElementById("find").addEventListener("submit", (e) => {
    e.preventDefault();
    location.hash = `#/account/${document.getElementById("addr").value.trim()}`;
  });
}

/** The account's tallies (docs/credit.md), or why there are none to show. */
function tallyTable(addr, r) {
  if (r.missing) return `<div class="empty" data-missing="true">${esc(r.missing)} (tallies arrive with the credit layer).</div>`;
  const rows = r.result.tallies.map((t) => {
    const side = t.stock.address === addr ? "stock" : "foil";
    const other = side === "stock" ? t.foil.address : t.stock.address;
    return `<tr data-tally="${esc(t.tally_id)}"><td class="hash">${esc(short(t.tally_id, 8))}</td><td>${side}</td><td>${addrLink(other)}</td>` +
      `<td class="num">${amount(t.balance)}</td><td>${esc(t.state)}</td><td class="num">${esc((t.stock_half?.chits ?? 0) + (t.foil_half?.chits ?? 0))}</td></tr>`;
  });
  return table(["tally", "this side", "counterparty", "#balance", "state", "#chits"], rows, "acct-tallies");
}

/** The lifts through the account's tallies (RPC `lifts`), or why there are none to show. */
function liftTable(addr, r) {
  if (r.missing) return `<div class="empty" data-missing="true">${esc(r.missing)}.</div>`;
  const rows = r.result.lifts.map(liftView).filter((l) => l.path.includes(addr)).map((l) => {
    const at = l.path.indexOf(addr), role = at === 0 ? "originator" : at === l.path.length - 1 ? (l.kind === "circular" ? "originator" : "terminus") : "along the route";
    const cls = l.state === "committed" ? "ok" : l.state === "voided" ? "bad" : "warn";
    return `<tr data-lift="${esc(l.id)}" data-state="${esc(l.state)}"><td class="hash">${esc(short(l.id, 8))}</td><td>${esc(l.kind)}</td><td>${role}</td>` +
      `<td class="num">${amount(l.amount)}</td><td class="${cls}">${esc(l.state)}</td><td>${l.path.map((a) => (a === addr ? "this" : addrLink(a))).join(" → ")}</td>` +
      `<td class="num">${l.height ? link(`#/block/${l.height}`, l.height, "") : ""}</td></tr>`;
  });
  return table(["lift", "kind", "this account", "#amount", "state", "route", "#block"], rows, "acct-lifts");
}

/** Tokens sent to other chains (packet_send txs found in the scan) with the
 * node's `xfer_status` of each, and the vouchers (other denominations) held. */
async function transferTables(addr, sends) {
  const rows = [];
  for (const d of sends) {
    const x = await client.call("xfer_status", { hash: d.hash }).catch((e) => ({ state: e.message }));
    const tr = d.fields.transfer || {};
    rows.push(`<tr data-xfer="${esc(d.hash)}" data-state="${esc(x.state)}"><td>${link(`#/tx/${d.hash}`, short(d.hash, 12))}</td><td class="mono">${esc(Number(d.fields.destChain).toString(16))}</td>` +
      `<td class="hash">${esc(x.to ?? short(tr.to ?? "", 10))}</td><td class="num">${tr.amount ? amount(tr.amount) : ""}</td><td>${esc(x.state)}</td></tr>`);
  }
  const v = await optional(client, "vouchers", { address: addr });
  const vrows = v.missing ? [] : v.result.vouchers.map((x) => `<tr data-denom="${esc(x.denom)}"><td class="mono">${esc(x.denom)}</td><td class="num">${amount(x.amount)}</td></tr>`);
  return table(["packet", "to chain", "recipient", "#amount", "state"], rows, "acct-xfers") +
    `<h2>Other denominations</h2>${v.missing ? `<div class="empty" data-missing="true">${esc(v.missing)}.</div>` : table(["denomination", "#amount"], vrows, "acct-vouchers")}`;
}

/** Receipts this account sent under, is paid by or underwrote, from the claims found in the
 * scan (kind 52), each with the node's `receipt_verify` status. */
async function receiptTable(addr, chainId, claims) {
  const rows = [];
  for (const { d, h } of claims) {
    const rc = d.fields.receipt;
    const ben = await hansa.addressFormat(chainId, hansa.fromHex(rc.core.beneficiary));
    const sender = await hansa.addressOfPubkey(chainId, hansa.fromHex(rc.core.sender));
    const signers = await Promise.all(rc.shares.map((x) => hansa.addressOfPubkey(chainId, hansa.fromHex(x.signer))));
    const role = ben === addr ? "beneficiary" : sender === addr ? "sender" : signers.includes(addr) ? "underwriter" : null;
    if (!role) continue;
    const bytes = hansa.receipt.encode(rc);
    const id = hansa.toHex(await hansa.sha256(bytes.slice(0, 121)));
    const v = await optional(client, "receipt_verify", { receipt: hansa.toHex(bytes) });
    const status = v.missing ? "?" : v.result.status;
    rows.push(`<tr data-receipt="${id}" data-status="${esc(status)}"><td class="hash">${esc(short(id, 8))}</td><td>${role}</td>` +
      `<td class="num">${amount(rc.core.amount)}</td><td class="num">${esc(rc.core.deadline)}</td><td>${rc.shares.length}</td><td>${esc(status)}</td>` +
      `<td>${link(`#/tx/${d.hash}`, `claim at ${h}`, "")}</td></tr>`);
  }
  return table(["receipt", "this account", "#amount", "#deadline", "signers", "status", "claim"], rows, "acct-receipts");
}

async function accountPage(addr) {
  const seq = routeSeq;
  const acc = await client.account({ address: addr });
  const ub = await client.unbonding({ address: addr });
  const st = await client.status();
  const rows = [], sends = [], claims = [];
  const scanned = await scanRecent(st.height, (d, h) => {
      if (d.kind === "packet_send" && d.senderAddress === acc.address) sends.push(d);
      if (d.kind === "receipt_claim" && d.fields) claims.push({ d, h });
      const to = d.fields && d.fields.to;
      if (d.senderAddress !== acc.address && to !== acc.address) return;
      rows.push(`<tr><td class="num">${link(`#/block/${h}`, h, "")}</td><td>${link(`#/tx/${d.hash}`, short(d.hash, 12))}</td><td>${esc(d.kind)}</td>` +
        `<td>${d.senderAddress === acc.address ? "out" : "in"}</td><td>${d.senderAddress === acc.address ? (to ? addrLink(to) : "") : addrLink(d.senderAddress)}</td>` +
        `<td class="num">${d.fields && d.fields.amount ? amount(d.fields.amount) : ""}</td></tr>`);
  });
  if (!show(seq, `<h1>Account</h1>
    <dl class="kv"><dt>address</dt><dd class="hash" id="acct-address">${esc(acc.address)}</dd>
      <dt>balance</dt><dd id="acct-balance">${amount(acc.balance)}</dd><dt>nonce</dt><dd id="acct-nonce">${esc(acc.nonce)}</dd>
      <dt>bonded</dt><dd>${amount(ub.bonded ?? "0")}</dd>
      <dt>unbonding</dt><dd>${(ub.entries || []).map((e) => `${amount(e.amount)} until ${esc(e.release_height)}`).join("<br>") || "none"}</dd>
      </dl>
    <h2>Tallies</h2>${tallyTable(acc.address, await optional(client, "tallies", { address: acc.address }))}
    <h2>Lifts</h2>${liftTable(acc.address, await optional(client, "lifts"))}
    <h2>Transfers to other chains (last ${scanned} blocks)</h2>${await transferTables(acc.address, sends)}
    <h2>Receipts claimed (last ${scanned} blocks)</h2>${await receiptTable(acc.address, hansa.chainIdParse(st.chain_id), claims)}
    <h2>Transactions in the last ${scanned} blocks</h2>${table(["#block", "hash", "kind", "dir", "counterparty", "#amount"], rows, "acct-txs")}`)) return;
  // Live: the node tells this page when the account changes.
  const sub = client.subscribe({
    topics: ["account"], accounts: [acc.address],
    onEvent: (e) => {
      if (e.event !== "account") return;
      document.getElementById("acct-balance").textContent = BigInt(e.data.balance).toLocaleString("en-US");
      document.getElementById("acct-nonce").textContent = e.data.nonce;
    },
  });
  return { leave: () => sub.close() };
}

// ---------- federation ----------

async function federationPage() {
  const seq = routeSeq;
  const st = await client.status();
  const vs = await client.validators();
  const parts = [];
  for (const s of FEDERATION_SOURCES) {
    const r = await optional(client, s.method);
    if (r.missing) {
      parts.push(`<h2>${esc(s.title)}</h2><div class="empty" data-source="${esc(s.method)}" data-missing="true">${esc(s.what)}: ${esc(r.missing)}.</div>`);
    } else {
      const rows = s.rows(r.result).map((x) => `<tr>${s.columns.map((c) => `<td>${esc(typeof x[c] === "object" ? JSON.stringify(x[c]) : x[c])}</td>`).join("")}</tr>`);
      parts.push(`<h2>${esc(s.title)}</h2>${table(s.columns, rows)}`);
    }
  }
  if (!show(seq, `<h1>Federation</h1>
    <h2>This chain</h2>
    <dl class="kv" id="home-chain"><dt>chain id</dt><dd class="mono">${esc(st.chain_id)}</dd><dt>height</dt><dd id="fed-height">${esc(st.height)}</dd>
      <dt>validators</dt><dd>${esc(vs.validators.length)} (total power ${esc(vs.total_power)}), set hash <span class="hash">${esc(short(vs.validators_hash, 16))}</span></dd>
      <dt>this node</dt><dd>${st.is_delegate ? "a delegate" : "a full node"}, ${esc(st.peers)} peers, hansad ${esc(st.version)}</dd></dl>
    ${parts.join("")}`)) return;
  return { onBlock(ev) { const e = document.getElementById("fed-height"); if (e) e.textContent = ev.height; } };
}

// ---------- credit graph ----------

/** Addresses to start the credit crawl from: the delegates, the parties of
 * the lifts the chain recorded and the accounts of the last blocks. */
async function seedAddresses() {
  const st = await client.status();
  const seen = new Set((await client.candidates()).candidates.map((c) => c.address));
  const lifts = await optional(client, "lifts");
  for (const l of lifts.missing ? [] : lifts.result.lifts) liftView(l).path.forEach((a) => seen.add(a));
  const heights = [];
  for (let h = st.height; h > Math.max(0, st.height - RECENT); h--) heights.push(h);
  for (const b of await Promise.all(heights.map((h) => client.block({ height: h, txs: true })))) {
    for (const hex of b.txs.slice(0, 200)) {
      const d = await hansa.txDescribe(hansa.fromHex(hex));
      seen.add(d.senderAddress);
      if (d.fields && d.fields.to) seen.add(d.fields.to);
    }
  }
  return { chainId: st.chain_id, seeds: [...seen] };
}

async function graphPage() {
  const seq = routeSeq;
  const { chainId, seeds } = await seedAddresses();
  const g = await creditGraph(client, seeds, chainId);
  if (g.missing) {
    if (!show(seq, `<h1>Credit graph</h1><div class="empty" id="graph-missing">${esc(g.missing)}. Entities will appear as dots and tallies as arrows from foil to stock.</div>`)) return;
    return;
  }
  if (!show(seq, `<h1>Credit graph</h1>
    <div class="row"><label>chain <select id="chain"><option value="">all</option>${g.chains.map((c) => `<option>${esc(c)}</option>`).join("")}</select></label>
    <span class="legend" id="graph-legend">${g.nodes.length} entities, ${g.edges.length} tallies (arrows foil → stock)${g.truncated ? " (crawl stopped at its limit)" : ""}, ${g.lifts.length} lifts
    (<span class="warn">proposed</span>, <span class="ok">committed</span>, <span class="bad">voided</span>)</span></div>
    <div class="graphbox"><canvas id="graph"></canvas></div>`)) return;
  const cg = new CreditGraph(document.getElementById("graph"));
  state.graph = cg;
  cg.setGraph(g);
  document.getElementById("chain").addEventListener("change", (e) => cg.setFilter(e.target.value));
  return { leave: () => cg.stop() };
}

// ---------- router and live updates ----------

const ROUTES = [
  [/^#?\/?$/, "chain", chainPage],
  [/^#\/block\/(\d+)$/, "chain", blockPage],
  [/^#\/tx\/([0-9a-fA-F]{64})$/, "chain", txPage],
  [/^#\/delegates$/, "delegates", delegatesPage],
  [/^#\/accounts$/, "accounts", accountsPage],
  [/^#\/account\/([0-9a-zA-Z]+)$/, "accounts", accountPage],
  [/^#\/federation$/, "federation", federationPage],
  [/^#\/graph$/, "graph", graphPage],
];
let current = null;
let blockQueue = Promise.resolve();

async function route() {
  const seq = ++routeSeq;
  if (current && current.leave) current.leave();
  current = null;
  const hash = location.hash || "#/";
  const r = ROUTES.find(([re]) => re.test(hash));
  state.route = hash;
  document.querySelectorAll("nav a").forEach((a) => a.classList.toggle("active", r && a.dataset.nav === r[1]));
  if (!r) { view.innerHTML = `<p>No page ${esc(hash)}.</p>`; return; }
  view.innerHTML = '<p class="muted">loading…</p>';
  try {
    const page = (await r[2](...hash.match(r[0]).slice(1))) || null;
    if (seq !== routeSeq) { if (page && page.leave) page.leave(); return; } // the reader moved on
    current = page;
    state.rendered++;
    view.dataset.route = hash;
  } catch (e) {
    if (seq !== routeSeq) return;
    view.innerHTML = `<p class="bad">${esc(e.message)}</p>`;
    if (!(e instanceof hansa.RpcError)) showError(e);
  }
}

function live() {
  const dot = document.getElementById("live"), tip = document.getElementById("tip");
  client.subscribe({
    topics: ["block"],
    onEvent: (e) => {
      dot.textContent = "live"; dot.className = "live on";
      if (e.event === "hello") { tip.textContent = `chain ${e.data.chain_id} · height ${e.data.height}`; return; }
      if (e.event !== "block") return;
      tip.textContent = tip.textContent.replace(/height \d+/, `height ${e.data.height}`);
      state.lastEvent = e.data;
      // One block at a time, in order: a page's handler may fetch before it draws.
      const page = current;
      blockQueue = blockQueue.then(() => page && page === current && page.onBlock && page.onBlock(e.data)).catch(showError);
    },
    onError: () => { dot.textContent = "reconnecting"; dot.className = "live off"; },
  });
}

window.addEventListener("hashchange", route);
route();
live();
