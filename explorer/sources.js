// sources.js — where each view's data comes from. A view asks a source, a
// source asks the node over JSON-RPC (through the client library). Data the
// node cannot give yet (its layer has not landed) is reported as missing:
// a source whose method the node does not know answers {missing: reason},
// and the view says so instead of drawing anything made up.
//
// Adding a data source as the interchain and credit layers land is one entry
// in FEDERATION_SOURCES, or a new method name in CREDIT_SOURCE.
import { RpcError } from "./lib/index.js";

const METHOD_NOT_FOUND = -32601;

/** Calls method; {result} or {missing} when the node does not have it. */
export async function optional(client, method, params) {
  try {
    return { result: await client.call(method, params) };
  } catch (e) {
    if (e instanceof RpcError && e.code === METHOD_NOT_FOUND)
      return { missing: `this node has no \`${method}\` method yet` };
    throw e;
  }
}

/** The federation page's tables: what each lists and from which method.
 * rows(result) picks the list out of the answer; columns name its fields. */
export const FEDERATION_SOURCES = [
  { title: "Routing table", method: "routes", what: "chains this node can reach: chain id → seed nodes and trust root",
    rows: (r) => r.routes, columns: ["chain_id", "seeds", "trust_root"] },
  { title: "Light clients", method: "client_list", what: "foreign chains this chain verifies: latest trusted height, status",
    rows: (r) => r.clients, columns: ["chain_id", "status", "expired", "trusted_height", "trusted_time_ms", "expires_at_ms"] },
  { title: "Correspondent accounts", method: "correspondents", what: "per foreign chain: collateral, voucher limit, claims on it held here, own tokens in escrow for it, position",
    rows: (r) => r.correspondents, columns: ["chain_id", "collateral", "limit", "claims", "escrow", "position"] },
  { title: "Packets in flight", method: "packets", what: "cross-chain packets and their state",
    rows: (r) => r.packets, columns: ["id", "from_chain", "to_chain", "kind", "state"] },
];

/** The credit graph: entities as nodes, tallies as edges foil → stock.
 * A node answers `tallies {address}` (docs/rpc.md "Credit") with every tally
 * the address holds a half of, so the graph is crawled: from the seed
 * addresses (accounts seen in recent blocks and the delegates), each tally
 * found names two parties, whose tallies are read next, in JSON-RPC batches,
 * up to CRAWL_ENTITIES addresses and CRAWL_TALLIES tallies. Parties on other
 * chains are drawn but not asked (this node answers for its own chain).
 * Lifts come from the node's `lifts` method (docs/rpc.md "lift": each
 * record's route of legs, payer -> receiver, and its ruling). */
export const CRAWL_ENTITIES = 5000;
export const CRAWL_TALLIES = 10000;

export async function creditGraph(client, seeds, chainId) {
  if (!seeds.length) return { missing: "no accounts seen yet to start from" };
  const probe = await optional(client, "tallies", { address: seeds[0] });
  if (probe.missing) return { missing: `${probe.missing}: tallies arrive with the credit layer` };
  const tallies = new Map(), asked = new Set(), queue = [...new Set(seeds)];
  const local = (a) => a.slice(0, a.indexOf("x")) === chainId;
  while (queue.length && asked.size < CRAWL_ENTITIES && tallies.size < CRAWL_TALLIES) {
    const layer = queue.splice(0, Math.min(queue.length, CRAWL_ENTITIES - asked.size));
    layer.forEach((a) => asked.add(a));
    const answers = await client.batch(layer.map((address) => ({ method: "tallies", params: { address } })));
    for (const ans of answers) {
      for (const t of (ans.result && ans.result.tallies) || []) {
        if (tallies.has(t.tally_id) || tallies.size >= CRAWL_TALLIES) continue;
        tallies.set(t.tally_id, t);
        for (const p of [t.stock.address, t.foil.address])
          if (!asked.has(p) && local(p) && !queue.includes(p)) queue.push(p);
      }
    }
  }
  const lifts = await optional(client, "lifts");
  return toGraph([...tallies.values()], lifts.result ? lifts.result.lifts : [], { truncated: queue.length > 0 });
}

/** A lift as the pages show it, from the node's lift record: its parties in
 * route order and its state, committed or voided by the ruling (commit,
 * expired), proposed while there is none. */
export function liftView(l) {
  const route = l.route || [];
  const path = route.length ? [route[0].payer.address, ...route.map((r) => r.receiver.address)] : [];
  const state = l.ruling === "commit" ? "committed" : l.ruling === "expired" ? "voided" : "proposed";
  return { id: l.lift_id, state, path, kind: l.kind, amount: l.amount, height: l.height, tallies: route.map((r) => r.tally_id) };
}

/** Turns tally views ({tally_id, stock: {address}, foil: {address}, balance,
 * state}) and lifts into {nodes, edges, lifts, chains} for graph.js. */
export function toGraph(tallies, lifts = [], extra = {}) {
  const index = new Map(), nodes = [], edges = [];
  const node = (addr) => {
    if (!index.has(addr)) {
      index.set(addr, nodes.length);
      nodes.push({ id: addr, chain: addr.slice(0, addr.indexOf("x")), weight: 0 });
    }
    return index.get(addr);
  };
  for (const t of tallies) {
    const amount = Math.abs(Number(t.balance)); // negative: the stock owes the foil
    const e = { from: node(t.foil.address), to: node(t.stock.address), amount, state: t.state, id: t.tally_id };
    nodes[e.from].weight += amount;
    nodes[e.to].weight += amount;
    edges.push(e);
  }
  const paths = (lifts || []).map(liftView).map((l) => ({ id: l.id, state: l.state, path: l.path.filter((a) => index.has(a)).map((a) => index.get(a)) }));
  const chains = [...new Set(nodes.map((n) => n.chain))].sort();
  return { nodes, edges, lifts: paths, chains, ...extra };
}
