// graph.js — the credit graph on a canvas: entities as dots sized by the
// credit through them, tallies as arrows foil → stock, lifts as a dot moving
// along their path (yellow proposed, green committed, red voided).
//
// A few thousand tallies must not freeze the page, so the layout is a force
// simulation that runs in slices of at most SLICE_MS per animation frame,
// with repulsion computed only between dots in neighbouring grid cells
// (O(n) per step instead of O(n²)), and stops after MAX_STEPS steps.
const SLICE_MS = 8;
const MAX_STEPS = 300;
const LIFT_COLOR = { proposed: "#e3b341", committed: "#3fb950", voided: "#f85149" };

export class CreditGraph {
  constructor(canvas) {
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d");
    this.g = { nodes: [], edges: [], lifts: [] };
    this.steps = 0;
    this.frames = 0;
    this.maxFrameMs = 0;
    this.filter = "";
    this.running = false;
  }

  /** Shows graph g ({nodes, edges, lifts} from sources.toGraph). */
  setGraph(g) {
    this.g = g;
    const n = g.nodes.length;
    const maxWeight = Math.max(1, ...g.nodes.map((d) => d.weight));
    // Start on a spiral so the first frame already reads as a graph.
    g.nodes.forEach((d, i) => {
      const a = i * 2.399963, r = 12 * Math.sqrt(i + 1);
      d.x = Math.cos(a) * r; d.y = Math.sin(a) * r; d.vx = 0; d.vy = 0;
      d.r = 1.5 + 4.5 * Math.sqrt(d.weight / maxWeight);
    });
    this.scale = n ? 280 / (12 * Math.sqrt(n + 1)) : 1;
    this.steps = 0;
    this.start();
  }

  setFilter(chain) { this.filter = chain; this.draw(performance.now()); }

  visible(d) { return !this.filter || d.chain === this.filter; }

  start() {
    if (this.running) return;
    this.running = true;
    let last = performance.now();
    const frame = (now) => {
      if (!this.running) return;
      const t0 = performance.now();
      while (this.steps < MAX_STEPS && performance.now() - t0 < SLICE_MS) this.step();
      this.draw(now);
      this.frames++;
      this.maxFrameMs = Math.max(this.maxFrameMs, now - last);
      last = now;
      requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
  }

  stop() { this.running = false; }

  /** One step of the force layout. */
  step() {
    const { nodes, edges } = this.g;
    if (!nodes.length) { this.steps = MAX_STEPS; return; }
    const cell = 30, grid = new Map();
    for (let i = 0; i < nodes.length; i++) {
      const d = nodes[i], k = Math.floor(d.x / cell) * 65536 + Math.floor(d.y / cell);
      (grid.get(k) || grid.set(k, []).get(k)).push(i);
    }
    for (const d of nodes) {
      const cx = Math.floor(d.x / cell), cy = Math.floor(d.y / cell);
      for (let gx = cx - 1; gx <= cx + 1; gx++) for (let gy = cy - 1; gy <= cy + 1; gy++) {
        for (const j of grid.get(gx * 65536 + gy) || []) {
          const o = nodes[j];
          if (o === d) continue;
          let dx = d.x - o.x, dy = d.y - o.y, q = dx * dx + dy * dy;
          if (q < 0.01) { dx = Math.random() - 0.5; dy = Math.random() - 0.5; q = 0.5; }
          if (q > cell * cell) continue;
          const f = 40 / q;
          d.vx += dx * f; d.vy += dy * f;
        }
      }
      d.vx -= d.x * 0.002; d.vy -= d.y * 0.002; // gravity to the centre
    }
    for (const e of edges) {
      const a = nodes[e.from], b = nodes[e.to];
      const dx = b.x - a.x, dy = b.y - a.y, dist = Math.sqrt(dx * dx + dy * dy) || 1;
      const f = (dist - 25) * 0.01 / dist;
      a.vx += dx * f; a.vy += dy * f; b.vx -= dx * f; b.vy -= dy * f;
    }
    const cool = 1 - this.steps / MAX_STEPS;
    for (const d of nodes) {
      const v = Math.hypot(d.vx, d.vy), lim = 8 * cool + 0.2;
      if (v > lim) { d.vx *= lim / v; d.vy *= lim / v; }
      d.x += d.vx; d.y += d.vy; d.vx *= 0.5; d.vy *= 0.5;
    }
    this.steps++;
  }

  draw(now) {
    const c = this.canvas, ctx = this.ctx, dpr = window.devicePixelRatio || 1;
    const w = c.clientWidth, h = c.clientHeight;
    if (c.width !== w * dpr || c.height !== h * dpr) { c.width = w * dpr; c.height = h * dpr; }
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = "#0d1b2a"; ctx.fillRect(0, 0, w, h);
    const { nodes, edges, lifts } = this.g;
    if (!nodes.length) return;
    // Fit the layout's extent into the canvas.
    let minX = Infinity, maxX = -Infinity, minY = Infinity, maxY = -Infinity;
    for (const d of nodes) { minX = Math.min(minX, d.x); maxX = Math.max(maxX, d.x); minY = Math.min(minY, d.y); maxY = Math.max(maxY, d.y); }
    const s = Math.min((w - 40) / (maxX - minX || 1), (h - 40) / (maxY - minY || 1));
    const ox = (w - (maxX - minX) * s) / 2, oy = (h - (maxY - minY) * s) / 2; // centred
    const X = (x) => ox + (x - minX) * s, Y = (y) => oy + (y - minY) * s;
    const arrows = edges.length <= 4000;
    ctx.lineWidth = 0.7;
    ctx.strokeStyle = "rgba(120,160,210,0.45)";
    ctx.fillStyle = "rgba(120,160,210,0.7)";
    ctx.beginPath();
    let drawn = 0;
    for (const e of edges) {
      const a = nodes[e.from], b = nodes[e.to];
      if (!this.visible(a) && !this.visible(b)) continue;
      const x1 = X(a.x), y1 = Y(a.y), x2 = X(b.x), y2 = Y(b.y);
      ctx.moveTo(x1, y1); ctx.lineTo(x2, y2);
      if (arrows) {
        const ang = Math.atan2(y2 - y1, x2 - x1), tx = x2 - Math.cos(ang) * (b.r + 1), ty = y2 - Math.sin(ang) * (b.r + 1);
        ctx.moveTo(tx, ty); ctx.lineTo(tx - Math.cos(ang - 0.4) * 5, ty - Math.sin(ang - 0.4) * 5);
        ctx.moveTo(tx, ty); ctx.lineTo(tx - Math.cos(ang + 0.4) * 5, ty - Math.sin(ang + 0.4) * 5);
      }
      drawn++;
    }
    ctx.stroke();
    for (const d of nodes) {
      if (!this.visible(d)) continue;
      ctx.beginPath();
      ctx.fillStyle = "#58a6ff";
      ctx.arc(X(d.x), Y(d.y), d.r, 0, Math.PI * 2);
      ctx.fill();
    }
    for (const l of lifts) {
      if (l.path.length < 2) continue;
      const t = ((now / 1500) % 1) * (l.path.length - 1), i = Math.floor(t), f = t - i;
      const a = nodes[l.path[i]], b = nodes[l.path[i + 1]];
      ctx.beginPath();
      ctx.fillStyle = LIFT_COLOR[l.state] || "#fff";
      ctx.arc(X(a.x + (b.x - a.x) * f), Y(a.y + (b.y - a.y) * f), 4, 0, Math.PI * 2);
      ctx.fill();
    }
    this.drawnEdges = drawn;
  }

  stats() {
    return { nodes: this.g.nodes.length, edges: this.g.edges.length, drawnEdges: this.drawnEdges || 0, lifts: this.g.lifts.map((l) => l.state),
             steps: this.steps, done: this.steps >= MAX_STEPS, frames: this.frames, maxFrameMs: Math.round(this.maxFrameMs) };
  }
}
