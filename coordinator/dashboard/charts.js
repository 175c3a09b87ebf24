// hpsweep dashboard charts: small canvas charts of our own (no library), drawn
// for thousands of trials at once. Each chart draws into a <canvas> and
// records what it drew on the element (data-points, data-lines, ...) so that
// tests and the benchmark can check it without reading pixels.
'use strict';

const Charts = (() => {
  const PAD = { left: 56, right: 16, top: 14, bottom: 30 };
  const COLORS = {
    completed: '#2b6cb0', running: '#2f9e44', pruned: '#e8590c', failed: '#c92a2a',
    best: '#111', grid: '#e5e5e5', axis: '#666', dim: 'rgba(160,160,160,0.18)',
  };

  // Sizes the canvas to its box at the device's pixel ratio; returns a
  // context whose units are CSS pixels.
  function setup(canvas) {
    const ratio = window.devicePixelRatio || 1;
    const w = canvas.clientWidth || 600, h = canvas.clientHeight || 260;
    if (canvas.width !== Math.round(w * ratio) || canvas.height !== Math.round(h * ratio)) {
      canvas.width = Math.round(w * ratio);
      canvas.height = Math.round(h * ratio);
    }
    const ctx = canvas.getContext('2d');
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, w, h);
    ctx.font = '11px system-ui, sans-serif';
    return { ctx, w, h };
  }

  // A linear or log scale from [lo, hi] to [a, b]. Log scales need lo > 0.
  function scale(lo, hi, a, b, log) {
    if (log) { lo = Math.log10(lo); hi = Math.log10(hi); }
    if (!(hi > lo)) { hi = lo + 1; lo -= 1; }
    const f = (v) => a + ((log ? Math.log10(v) : v) - lo) / (hi - lo) * (b - a);
    f.inverse = (p) => { const v = lo + (p - a) / (b - a) * (hi - lo); return log ? 10 ** v : v; };
    return f;
  }

  function extent(values) {
    let lo = Infinity, hi = -Infinity;
    for (const v of values) { if (Number.isFinite(v)) { if (v < lo) lo = v; if (v > hi) hi = v; } }
    return lo <= hi ? [lo, hi] : [0, 1];
  }

  function fmt(v) {
    if (typeof v !== 'number') return String(v);
    if (v === 0) return '0';
    const a = Math.abs(v);
    return a >= 1e4 || a < 1e-3 ? v.toExponential(2) : +v.toPrecision(4) + '';
  }

  function ticks(lo, hi, n, log, int) {
    const out = [];
    if (int) {  // whole numbers only (trial numbers, steps)
      const step = Math.max(1, Math.ceil((hi - lo) / n));
      for (let v = Math.ceil(lo); v <= hi; v += step) out.push(v);
      return out;
    }
    if (log) {
      for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
        const v = 10 ** e;
        if (v >= lo * 0.999 && v <= hi * 1.001) out.push(v);
      }
      if (out.length >= 2) return out;
    }
    for (let i = 0; i <= n; i++) out.push(lo + (hi - lo) * i / n);
    return out;
  }

  // Axes with a y grid; returns {x, y} scales.
  function frame(ctx, w, h, xr, yr, opts = {}) {
    const x = scale(xr[0], xr[1], PAD.left, w - PAD.right, opts.xlog);
    const y = scale(yr[0], yr[1], h - PAD.bottom, PAD.top, opts.ylog);
    ctx.strokeStyle = COLORS.grid; ctx.fillStyle = COLORS.axis; ctx.lineWidth = 1;
    ctx.textAlign = 'right'; ctx.textBaseline = 'middle';
    for (const v of ticks(yr[0], yr[1], 4, opts.ylog)) {
      const py = Math.round(y(v)) + 0.5;
      ctx.beginPath(); ctx.moveTo(PAD.left, py); ctx.lineTo(w - PAD.right, py); ctx.stroke();
      ctx.fillText(fmt(v), PAD.left - 4, py);
    }
    ctx.textAlign = 'center'; ctx.textBaseline = 'top';
    for (const v of ticks(xr[0], xr[1], 5, opts.xlog, opts.xint)) {
      ctx.fillText(fmt(v), x(v), h - PAD.bottom + 4);
    }
    if (opts.xlabel) { ctx.textAlign = 'right'; ctx.fillText(opts.xlabel, w - PAD.right, h - 13); }
    return { x, y };
  }

  function mark(canvas, attrs) {
    for (const [k, v] of Object.entries(attrs)) canvas.dataset[k] = String(v);
    canvas.dataset.drawn = String((+canvas.dataset.drawn || 0) + 1);
  }

  // Optimization history: each finished trial's objective by finish order,
  // the best so far as a step line, failed trials as red crosses on the
  // bottom edge and pruned ones as orange triangles at their last value.
  // `trials`: [{id, state, objective, last, finished}] in finish order.
  function history(canvas, trials, goal) {
    const { ctx, w, h } = setup(canvas);
    const values = trials.map((t) => t.state === 'completed' ? t.objective : t.last)
      .filter(Number.isFinite);
    const yr = extent(values);
    const pad = (yr[1] - yr[0]) * 0.05 || 1;
    const { x, y } = frame(ctx, w, h, [0, Math.max(1, trials.length - 1)],
      [yr[0] - pad, yr[1] + pad], { xlabel: 'trial (finish order)', xint: true });
    let best = null, points = 0, failed = 0, pruned = 0;
    const bestPath = [];
    trials.forEach((t, i) => {
      const px = x(i);
      if (t.state === 'completed' && Number.isFinite(t.objective)) {
        ctx.fillStyle = COLORS.completed;
        ctx.beginPath(); ctx.arc(px, y(t.objective), 2.5, 0, 7); ctx.fill();
        points++;
        if (best === null || (goal === 'maximize' ? t.objective > best : t.objective < best)) {
          best = t.objective;
        }
      } else if (t.state === 'failed') {
        const py = h - PAD.bottom - 4;
        ctx.strokeStyle = COLORS.failed; ctx.lineWidth = 1.5;
        ctx.beginPath(); ctx.moveTo(px - 3, py - 3); ctx.lineTo(px + 3, py + 3);
        ctx.moveTo(px + 3, py - 3); ctx.lineTo(px - 3, py + 3); ctx.stroke();
        failed++;
      } else if (t.state === 'pruned') {
        const py = Number.isFinite(t.last) ? y(t.last) : h - PAD.bottom - 4;
        ctx.fillStyle = COLORS.pruned;
        ctx.beginPath(); ctx.moveTo(px, py - 4); ctx.lineTo(px + 4, py + 3); ctx.lineTo(px - 4, py + 3);
        ctx.fill();
        pruned++;
      }
      if (best !== null) bestPath.push([px, y(best)]);
    });
    if (bestPath.length) {
      ctx.strokeStyle = COLORS.best; ctx.lineWidth = 1.5; ctx.beginPath();
      bestPath.forEach(([px, py], i) => {
        if (i === 0) ctx.moveTo(px, py); else { ctx.lineTo(px, bestPath[i - 1][1]); ctx.lineTo(px, py); }
      });
      ctx.stroke();
    }
    mark(canvas, { points, failed, pruned, best: best === null ? '' : best });
  }

  // One parallel-coordinates axis per dimension: {name, kind: 'linear' |
  // 'log' | 'categorical', values (categorical), min, max}. `rows`: [{id,
  // values: {name: value}, color}]. Dragging on an axis brushes a range;
  // onBrush(ids or null) is called with the rows inside every brush.
  class ParallelCoordinates {
    constructor(canvas, onBrush) {
      this.canvas = canvas; this.onBrush = onBrush; this.brushes = {}; this.dims = []; this.rows = [];
      let drag = null;
      const pos = (e) => { const r = canvas.getBoundingClientRect(); return [e.clientX - r.left, e.clientY - r.top]; };
      canvas.addEventListener('mousedown', (e) => {
        const [px, py] = pos(e);
        const d = this.axisAt(px);
        if (d) { drag = { dim: d.name, from: py }; }
      });
      window.addEventListener('mousemove', (e) => {
        if (!drag) return;
        const [, py] = pos(e);
        this.brushes[drag.dim] = [Math.min(drag.from, py), Math.max(drag.from, py)];
        this.draw();
      });
      window.addEventListener('mouseup', (e) => {
        if (!drag) return;
        const [, py] = pos(e);
        if (Math.abs(py - drag.from) < 3) delete this.brushes[drag.dim];  // a click clears
        drag = null;
        this.draw();
        this.onBrush(Object.keys(this.brushes).length ? this.selected() : null);
      });
    }
    axisAt(px) {
      let best = null, dist = 12;
      for (const d of this.dims) { if (Math.abs(d.px - px) < dist) { dist = Math.abs(d.px - px); best = d; } }
      return best;
    }
    set(dims, rows) { this.dims = dims; this.rows = rows; this.draw(); }
    clear() { this.brushes = {}; this.draw(); }
    position(d, v) {
      if (v === undefined || v === null) return d.bottom + 10;  // parameter absent (conditional)
      if (d.kind === 'categorical') {
        const i = d.values.findIndex((c) => JSON.stringify(c) === JSON.stringify(v));
        return d.values.length === 1 ? (d.top + d.bottom) / 2
          : d.bottom + (d.top - d.bottom) * Math.max(0, i) / (d.values.length - 1);
      }
      return d.scale(v);
    }
    inside(row) {
      for (const [name, [a, b]] of Object.entries(this.brushes)) {
        const d = this.dims.find((x) => x.name === name);
        if (!d) continue;
        const p = this.position(d, row.values[name]);
        if (p < a || p > b) return false;
      }
      return true;
    }
    selected() { return this.rows.filter((r) => this.inside(r)).map((r) => r.id); }
    draw() {
      const { ctx, w, h } = setup(this.canvas);
      const n = this.dims.length;
      const top = 34, bottom = h - 26;
      this.dims.forEach((d, i) => {
        d.px = n === 1 ? w / 2 : 40 + (w - 80) * i / (n - 1);
        d.top = top; d.bottom = bottom;
        if (d.kind !== 'categorical') d.scale = scale(d.min, d.max, bottom, top, d.kind === 'log');
      });
      let lines = 0, selected = 0;
      const draw = (row, style) => {
        ctx.strokeStyle = style; ctx.beginPath();
        this.dims.forEach((d, i) => {
          const py = this.position(d, row.values[d.name]);
          if (i === 0) ctx.moveTo(d.px, py); else ctx.lineTo(d.px, py);
        });
        ctx.stroke();
        lines++;
      };
      ctx.lineWidth = 1;
      const chosen = [];
      for (const row of this.rows) { if (this.inside(row)) chosen.push(row); else draw(row, COLORS.dim); }
      ctx.globalAlpha = this.rows.length > 2000 ? 0.25 : 0.7;
      for (const row of chosen) { draw(row, row.color); selected++; }
      ctx.globalAlpha = 1;
      ctx.fillStyle = COLORS.axis; ctx.strokeStyle = COLORS.axis; ctx.textAlign = 'center';
      for (const d of this.dims) {
        ctx.beginPath(); ctx.moveTo(d.px + 0.5, top); ctx.lineTo(d.px + 0.5, bottom); ctx.stroke();
        ctx.textBaseline = 'bottom'; ctx.fillText(d.name + (d.kind === 'log' ? ' (log)' : ''), d.px, top - 12);
        // Labels right of each axis, left of the last one (the canvas edge).
        const last = d === this.dims[n - 1] && n > 1;
        ctx.textBaseline = 'middle'; ctx.textAlign = last ? 'right' : 'left';
        const labels = d.kind === 'categorical' ? d.values.map((v) => [v, this.position(d, v)])
          : ticks(d.min, d.max, 3, d.kind === 'log', d.int).map((v) => [fmt(v), d.scale(v)]);
        for (const [text, py] of labels) ctx.fillText(String(text), d.px + (last ? -4 : 4), py);
        ctx.textAlign = 'center';
        const b = this.brushes[d.name];
        if (b) { ctx.fillStyle = 'rgba(43,108,176,0.2)'; ctx.fillRect(d.px - 6, b[0], 12, b[1] - b[0]); ctx.fillStyle = COLORS.axis; }
      }
      mark(this.canvas, { lines, selected, axes: n });
    }
  }

  // Learning curves: one line per trial, colored by state; hovering shows the
  // nearest trial through onHover(id or null, clientX, clientY). The lines are
  // drawn once per data change and kept as a bitmap, so that a hover only
  // copies it back and draws the highlighted line (thousands of trials).
  class Curves {
    constructor(canvas, onHover) {
      this.canvas = canvas; this.lines = []; this.highlight = null; this.base = null;
      canvas.addEventListener('mousemove', (e) => {
        const r = canvas.getBoundingClientRect();
        const id = this.nearest(e.clientX - r.left, e.clientY - r.top);
        if (id !== this.highlight) { this.highlight = id; this.overlay(); }
        onHover(id, e.clientX, e.clientY);
      });
      canvas.addEventListener('mouseleave', () => { this.highlight = null; this.overlay(); onHover(null); });
    }
    // Puts the kept bitmap back and draws the highlighted trial's line on it.
    overlay() {
      if (!this.base || this.base.width !== this.canvas.width || this.base.height !== this.canvas.height) { this.draw(); return; }
      const ctx = this.canvas.getContext('2d');
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
      ctx.drawImage(this.base, 0, 0);
      const ratio = window.devicePixelRatio || 1;
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      const hl = this.lines.find((l) => l.id === this.highlight);
      if (!hl || !hl.steps.length) return;
      const x = this.sx, y = this.sy;
      ctx.strokeStyle = COLORS.best; ctx.lineWidth = 2.5; ctx.beginPath();
      hl.steps.forEach((s, i) => { if (i === 0) ctx.moveTo(x(s), y(hl.values[i])); else ctx.lineTo(x(s), y(hl.values[i])); });
      ctx.stroke();
    }
    // lines: [{id, state, steps: [], values: []}]
    set(lines, ylabel) { this.lines = lines; this.ylabel = ylabel; this.draw(); }
    nearest(px, py) {
      if (!this.sx) return null;
      let best = null, dist = 12 * 12;
      for (const l of this.lines) {
        for (let i = 0; i < l.steps.length; i++) {
          const dx = this.sx(l.steps[i]) - px, dy = this.sy(l.values[i]) - py;
          if (dx * dx + dy * dy < dist) { dist = dx * dx + dy * dy; best = l.id; }
        }
      }
      return best;
    }
    draw() {
      const { ctx, w, h } = setup(this.canvas);
      const steps = [], values = [];
      for (const l of this.lines) { steps.push(...l.steps.slice(0, 1), ...l.steps.slice(-1)); values.push(...l.values); }
      const xr = extent(steps), yr = extent(values);
      const positive = yr[0] > 0;
      const ylog = positive && yr[1] / yr[0] > 50;
      const { x, y } = frame(ctx, w, h, xr, ylog ? yr : [yr[0], yr[1]], { ylog, xlabel: 'step', xint: true });
      this.sx = x; this.sy = y;
      ctx.globalAlpha = this.lines.length > 1000 ? 0.3 : 0.8; ctx.lineWidth = 1;
      let drawn = 0, points = 0;
      const order = ['completed', 'failed', 'cancelled', 'pruned', 'running', 'leased'];
      const sorted = [...this.lines].sort((a, b) => order.indexOf(a.state) - order.indexOf(b.state));
      for (const l of sorted) {
        if (!l.steps.length) continue;
        ctx.strokeStyle = COLORS[l.state] || COLORS.completed;
        ctx.beginPath();
        for (let i = 0; i < l.steps.length; i++) {
          if (i === 0) ctx.moveTo(x(l.steps[i]), y(l.values[i])); else ctx.lineTo(x(l.steps[i]), y(l.values[i]));
        }
        if (l.steps.length === 1) ctx.lineTo(x(l.steps[0]) + 1, y(l.values[0]));
        ctx.stroke();
        drawn++; points += l.steps.length;
      }
      ctx.globalAlpha = 1;
      if (this.ylabel) { ctx.fillStyle = COLORS.axis; ctx.textAlign = 'left'; ctx.textBaseline = 'top'; ctx.fillText(this.ylabel + (ylog ? ' (log)' : ''), PAD.left + 4, 2); }
      // Where each pruned trial's line ends ("id@step ..."), and where a
      // trial's point at a step is drawn (CSS pixels in the canvas): for tests.
      const ends = this.lines.filter((l) => l.state === 'pruned' && l.steps.length)
        .map((l) => `${l.id}@${l.steps[l.steps.length - 1]}`).join(' ');
      this.canvas.pointOf = (id, step) => {
        const l = this.lines.find((c) => c.id === id);
        const i = l ? l.steps.indexOf(step) : -1;
        return i < 0 ? null : [x(step), y(l.values[i])];
      };
      if (!this.base) this.base = document.createElement('canvas');
      this.base.width = this.canvas.width; this.base.height = this.canvas.height;
      this.base.getContext('2d').drawImage(this.canvas, 0, 0);
      this.overlay();
      mark(this.canvas, { lines: drawn, points, prunedEnds: ends });
    }
  }

  // Objective color: blue (best) to yellow (worst) through the finished range.
  function colorScale(values, goal) {
    const [lo, hi] = extent(values);
    return (v) => {
      if (!Number.isFinite(v)) return '#999';
      let t = hi > lo ? (v - lo) / (hi - lo) : 0.5;
      if (goal === 'maximize') t = 1 - t;
      const r = Math.round(40 + 200 * t), g = Math.round(80 + 120 * t), b = Math.round(200 - 170 * t);
      return `rgb(${r},${g},${b})`;
    };
  }

  // Parameter importance: for each parameter, omega squared (ω²) of the ranks
  // of the finished trials' objective grouped by the parameter (categorical:
  // one group per value; numeric: up to 8 quantile bins): the share of the
  // objective's rank variance the parameter explains, corrected for the number
  // of groups, floored at 0. Simple and documented, not fANOVA: interactions
  // are not separated.
  function importance(trials, names) {
    const done = trials.filter((t) => Number.isFinite(t.objective));
    if (done.length < 4) return [];
    const order = done.map((t, i) => [t.objective, i]).sort((a, b) => a[0] - b[0]);
    const rank = new Array(done.length);
    order.forEach(([, i], r) => { rank[i] = r; });
    const mean = (done.length - 1) / 2;
    const sst = rank.reduce((s, r) => s + (r - mean) ** 2, 0);
    return names.map((name) => {
      const vals = done.map((t) => t.params[name]);
      const numeric = vals.every((v) => typeof v === 'number') && new Set(vals).size > 8;
      let key;
      if (numeric) {
        const sorted = [...vals].sort((a, b) => a - b);
        const edges = [1, 2, 3, 4, 5, 6, 7].map((k) => sorted[Math.floor(k * sorted.length / 8)]);
        key = (v) => edges.filter((e) => v >= e).length;
      } else {
        key = (v) => JSON.stringify(v);
      }
      const groups = new Map();
      done.forEach((t, i) => {
        const k = key(vals[i]);
        if (!groups.has(k)) groups.set(k, []);
        groups.get(k).push(rank[i]);
      });
      let ssb = 0;
      for (const g of groups.values()) { const m = g.reduce((a, b) => a + b, 0) / g.length; ssb += g.length * (m - mean) ** 2; }
      const k = groups.size, n = done.length;
      const msw = n > k ? (sst - ssb) / (n - k) : 0;
      const omega = sst > 0 && k > 1 ? Math.max(0, (ssb - (k - 1) * msw) / (sst + msw)) : 0;
      return { name, value: omega };
    }).sort((a, b) => b.value - a.value);
  }

  return { history, ParallelCoordinates, Curves, colorScale, importance, fmt };
})();
