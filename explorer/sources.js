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
  { title: "Light clients", method: "light_clients", what: "foreign chains this chain verifies: latest trusted height, status",
    rows: (r) => r.clients, columns: ["chain_id", "height", "status", "trusted_until_ms"] },
  { title: "Correspondent accounts", method: "correspondents", what: "per foreign chain: collateral, voucher limit, outstanding",
    rows: (r) => r.correspondents, columns: ["chain_id", "collateral", "limit", "outstanding"] },
  { title: "Packets in flight", method: "packets", what: "cross-chain packets and their state",
    rows: (r) => r.packets, columns: ["id", "from_chain", "to_chain", "kind", "state"] },
];

/** The credit graph: tallies as edges foil → stock, and lifts along paths.
 * Expected answer of `tallies` (the credit layer defines it):
 *   {tallies: [{id, chain_id, foil, stock, balance}], lifts: [{id, path: [address…], state}]}
 * balance is a decimal string (the foil owes the stock this much). */
export const CREDIT_SOURCE = { method: "tallies", params: { limit: 10000 } };

export async function creditGraph(client) {
  const r = await optional(client, CREDIT_SOURCE.method, CREDIT_SOURCE.params);
  if (r.missing) return { missing: `${r.missing}: tallies arrive with the credit layer` };
  return toGraph(r.result);
}

/** Turns a `tallies` answer into {nodes, edges, lifts, chains} for graph.js. */
export function toGraph(res) {
  const index = new Map(), nodes = [], edges = [];
  const node = (addr) => {
    if (!index.has(addr)) {
      index.set(addr, nodes.length);
      nodes.push({ id: addr, chain: addr.slice(0, addr.indexOf("x")), weight: 0 });
    }
    return index.get(addr);
  };
  for (const t of res.tallies || []) {
    const amount = Number(t.balance);
    const e = { from: node(t.foil), to: node(t.stock), amount, chain: t.chain_id, id: t.id };
    nodes[e.from].weight += amount;
    nodes[e.to].weight += amount;
    edges.push(e);
  }
  const lifts = (res.lifts || []).map((l) => ({ id: l.id, state: l.state, path: l.path.filter((a) => index.has(a)).map((a) => index.get(a)) }));
  const chains = [...new Set(nodes.map((n) => n.chain))].sort();
  return { nodes, edges, lifts, chains };
}
