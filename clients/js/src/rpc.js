// rpc.js — a JSON-RPC 2.0 client of a hansa node (docs/rpc.md) and its
// subscription stream (GET /events, server-sent events), over fetch, which
// browsers and Node 20 both have.
//
// Every method of docs/rpc.md has a function here; METHODS lists them with
// their params, so a new node method is one more line (routing tables,
// light clients, tallies as they land).

/** An error answer of the node: code, message and data as sent. */
export class RpcError extends Error {
  constructor(error) {
    super(`${error.message} (${error.code})`);
    this.code = error.code;
    this.data = error.data;
  }
}

/** Calls in one batch, the node's default limit (docs/rpc.md "Limits"). */
export const BATCH_MAX = 100;

/** method name -> param names; params are sent by name. The credit
 * methods (docs/credit.md) are answered by nodes that have the credit layer. */
export const METHODS = Object.freeze({
  status: [],
  account: ["address"],
  submit_tx: ["tx", "wait", "timeout_ms"],
  tx: ["hash"],
  block: ["height", "hash", "txs"],
  validators: ["height"],
  mempool: ["limit"],
  wait_block: ["after_height", "timeout_ms"],
  wait_tx: ["hash", "timeout_ms"],
  candidates: [],
  delegates: [],
  evidence: [],
  upgrade: ["hash"],
  unbonding: ["address"],
  tally: ["id"],
  tallies: ["address"],
  chits: ["tally", "from", "limit"],
  invoice: ["id"],
  invoices: ["tally"],
});

const WAITING = new Set(["wait_block", "wait_tx", "submit_tx"]);

function camel(name) { return name.replace(/_([a-z])/g, (_, c) => c.toUpperCase()); }

export class HansaClient {
  /** url: the node's RPC base, e.g. "http://127.0.0.1:26657" ("" in a page it serves). */
  constructor(url = "", { timeoutMs = 10000 } = {}) {
    this.url = url.replace(/\/$/, "");
    this.timeoutMs = timeoutMs;
    this.nextId = 1;
    for (const [name, params] of Object.entries(METHODS)) {
      this[camel(name)] = (args = {}) => {
        for (const k of Object.keys(args))
          if (!params.includes(k)) throw new TypeError(`${name}: unknown param ${k}`);
        return this.call(name, Object.keys(args).length ? args : undefined);
      };
    }
  }

  /** One call; resolves to the result, rejects with RpcError or a transport Error. */
  async call(method, params) {
    const id = this.nextId++;
    const body = { jsonrpc: "2.0", id, method };
    if (params !== undefined) body.params = params;
    // Waiting calls hold the connection up to their timeout_ms: wait a little longer.
    const wait = WAITING.has(method) ? (params?.timeout_ms ?? (method === "submit_tx" && !params?.wait ? 0 : 30000)) : 0;
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), this.timeoutMs + wait);
    let resp;
    try {
      resp = await fetch(`${this.url}/`, {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body), signal: ctl.signal,
      });
    } finally {
      clearTimeout(timer);
    }
    const reply = await resp.json();
    if (reply.id !== id) throw new Error(`answer id ${reply.id}, asked ${id}`);
    if (reply.error) throw new RpcError(reply.error);
    return reply.result;
  }

  /** Many calls in JSON-RPC batches of at most BATCH_MAX: calls is
   * [{method, params}], the answer [{result} | {error: RpcError}] in the same
   * order. For reads of many objects (every tally of many addresses). */
  async batch(calls) {
    const out = [];
    for (let i = 0; i < calls.length; i += BATCH_MAX) {
      const chunk = calls.slice(i, i + BATCH_MAX);
      const first = this.nextId;
      this.nextId += chunk.length;
      const body = chunk.map((c, k) => ({ jsonrpc: "2.0", id: first + k, method: c.method, ...(c.params ? { params: c.params } : {}) }));
      const ctl = new AbortController();
      const timer = setTimeout(() => ctl.abort(), this.timeoutMs);
      let replies;
      try {
        const resp = await fetch(`${this.url}/`, {
          method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body), signal: ctl.signal,
        });
        replies = await resp.json();
      } finally {
        clearTimeout(timer);
      }
      if (!Array.isArray(replies)) throw new RpcError(replies.error || { code: -32603, message: "batch answered with no array" });
      const byId = new Map(replies.map((r) => [r.id, r]));
      chunk.forEach((c, k) => {
        const r = byId.get(first + k);
        if (!r) out.push({ error: new RpcError({ code: -32603, message: `no answer for ${c.method}` }) });
        else out.push(r.error ? { error: new RpcError(r.error) } : { result: r.result });
      });
    }
    return out;
  }

  /** Submits a signed tx (bytes or hex); with wait, resolves when committed. */
  async submit(tx, { wait = true, timeoutMs = 30000 } = {}) {
    const hex = typeof tx === "string" ? tx : Array.from(tx, (b) => b.toString(16).padStart(2, "0")).join("");
    return this.submitTx(wait ? { tx: hex, wait: true, timeout_ms: timeoutMs } : { tx: hex });
  }

  /** Subscribes to GET /events. topics: subset of ["block", "tx", "account"];
   * accounts: addresses to watch. onEvent({event, id, data}) is called per
   * event (data parsed). Returns {close()}. The stream reconnects after
   * retryMs when it ends (the node drops subscribers that fall behind);
   * onEvent then gets a fresh "hello" event to resync from. */
  subscribe({ topics = ["block"], accounts = [], onEvent, onError, retryMs = 2000 } = {}) {
    const q = new URLSearchParams({ topics: topics.join(",") });
    if (accounts.length) q.set("account", accounts.join(","));
    const url = `${this.url}/events?${q}`;
    let closed = false, ctl = null;
    const run = async () => {
      while (!closed) {
        ctl = new AbortController();
        try {
          const resp = await fetch(url, { signal: ctl.signal, headers: { Accept: "text/event-stream" } });
          if (!resp.ok) throw new Error(`GET /events: HTTP ${resp.status}: ${(await resp.text()).trim()}`);
          await readEvents(resp.body, onEvent);
        } catch (e) {
          if (closed) return;
          if (onError) onError(e);
        }
        if (!closed) await new Promise((r) => setTimeout(r, retryMs));
      }
    };
    run();
    return { close() { closed = true; if (ctl) ctl.abort(); } };
  }
}

/** Parses a text/event-stream body (WHATWG HTML "server-sent events"). */
export async function readEvents(body, onEvent) {
  const reader = body.getReader();
  const dec = new TextDecoder();
  let buf = "", ev = { event: "message", id: null, data: [] };
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buf += dec.decode(value, { stream: true });
    let nl;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, nl).replace(/\r$/, "");
      buf = buf.slice(nl + 1);
      if (line === "") {
        if (ev.data.length) {
          const text = ev.data.join("\n");
          let data = text;
          try { data = JSON.parse(text); } catch (e) { /* not JSON: keep the text */ }
          onEvent({ event: ev.event, id: ev.id, data });
        }
        ev = { event: "message", id: null, data: [] };
      } else if (!line.startsWith(":")) {
        const c = line.indexOf(":");
        const field = c < 0 ? line : line.slice(0, c);
        const val = c < 0 ? "" : line.slice(c + 1).replace(/^ /, "");
        if (field === "event") ev.event = val;
        else if (field === "data") ev.data.push(val);
        else if (field === "id") ev.id = val;
      }
    }
  }
}
