// hpsweep dashboard: the Pareto panel of a multi-objective sweep's page.
// Every completed trial as a point on two of the sweep's objectives (a
// selector picks them when there are three or more): the front as the
// coordinator computes it (GET /api/v1/sweeps/{id}/pareto, over all trials
// and all objectives), other feasible trials, and infeasible ones (an
// outcome constraint fails or its metric is missing) in their own colour.
// The canvas records what it drew (data-points, data-front, data-feasible,
// data-infeasible) for the tests, as charts.js does.
'use strict';

const Pareto = (() => {
  const PAD = { left: 56, right: 16, top: 14, bottom: 30 };
  const COLORS = { front: '#111', feasible: '#74a9d8', infeasible: '#e03131', line: '#111' };

  // True when every constraint ({metric, op: '<=' | '>=', bound}) holds on
  // `values`; a missing or non-finite constraint metric fails it, as on the
  // coordinator (coordinator/search/outcomes.h).
  function feasible(constraints, values) {
    for (const c of constraints || []) {
      const v = values ? values[c.metric] : undefined;
      if (!Number.isFinite(v)) return false;
      if (c.op === '<=' ? !(v <= c.bound) : !(v >= c.bound)) return false;
    }
    return true;
  }

  // The sweep's objectives ({name, goal}): `metrics` of a multi-objective
  // sweep, else the one `metric`.
  function objectives(spec) {
    return Array.isArray(spec.metrics) && spec.metrics.length ? spec.metrics : [spec.metric];
  }

  // points: [{id, x, y, kind: 'front' | 'feasible' | 'infeasible'}]. The front
  // is joined by a staircase only when it is the front of exactly these two
  // objectives (`staircase`: {xGoal, yGoal}), since a projection of a front
  // of three or more objectives is not a staircase.
  function scatter(canvas, points, labels, staircase) {
    const ratio = window.devicePixelRatio || 1;
    const w = canvas.clientWidth || 600, h = canvas.clientHeight || 260;
    if (canvas.width !== Math.round(w * ratio) || canvas.height !== Math.round(h * ratio)) {
      canvas.width = Math.round(w * ratio); canvas.height = Math.round(h * ratio);
    }
    const ctx = canvas.getContext('2d');
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, w, h);
    ctx.font = '11px system-ui, sans-serif';
    const range = (vals) => {
      let lo = Infinity, hi = -Infinity;
      for (const v of vals) { if (v < lo) lo = v; if (v > hi) hi = v; }
      if (!(lo <= hi)) return [0, 1];
      const pad = (hi - lo) * 0.05 || Math.abs(lo) * 0.05 || 1;
      return [lo - pad, hi + pad];
    };
    const [x0, x1] = range(points.map((p) => p.x));
    const [y0, y1] = range(points.map((p) => p.y));
    const sx = (v) => PAD.left + (v - x0) / (x1 - x0) * (w - PAD.left - PAD.right);
    const sy = (v) => h - PAD.bottom - (v - y0) / (y1 - y0) * (h - PAD.top - PAD.bottom);
    ctx.strokeStyle = '#e5e5e5'; ctx.fillStyle = '#666'; ctx.lineWidth = 1;
    ctx.textAlign = 'right'; ctx.textBaseline = 'middle';
    for (let i = 0; i <= 4; i++) {
      const v = y0 + (y1 - y0) * i / 4, py = Math.round(sy(v)) + 0.5;
      ctx.beginPath(); ctx.moveTo(PAD.left, py); ctx.lineTo(w - PAD.right, py); ctx.stroke();
      ctx.fillText(Charts.fmt(v), PAD.left - 4, py);
    }
    ctx.textAlign = 'center'; ctx.textBaseline = 'top';
    for (let i = 0; i <= 5; i++) { const v = x0 + (x1 - x0) * i / 5; ctx.fillText(Charts.fmt(v), sx(v), h - PAD.bottom + 4); }
    ctx.textAlign = 'right'; ctx.fillText(labels.x, w - PAD.right, h - 13);
    ctx.textAlign = 'left'; ctx.fillText(labels.y, PAD.left + 4, 2);
    const count = { front: 0, feasible: 0, infeasible: 0 };
    for (const kind of ['infeasible', 'feasible', 'front']) {
      for (const p of points) {
        if (p.kind !== kind) continue;
        const px = sx(p.x), py = sy(p.y);
        if (kind === 'infeasible') {
          ctx.strokeStyle = COLORS.infeasible; ctx.lineWidth = 1.5; ctx.beginPath();
          ctx.moveTo(px - 3, py - 3); ctx.lineTo(px + 3, py + 3); ctx.moveTo(px + 3, py - 3); ctx.lineTo(px - 3, py + 3);
          ctx.stroke();
        } else {
          ctx.fillStyle = COLORS[kind]; ctx.beginPath(); ctx.arc(px, py, kind === 'front' ? 4 : 2.5, 0, 7); ctx.fill();
        }
        count[kind]++;
      }
    }
    if (staircase && count.front > 1) {
      // Along x, each front point is joined to the next through the corner
      // both of them dominate (the front's attainment boundary): right
      // then up/down when x is minimized, up/down then right when maximized.
      const front = points.filter((p) => p.kind === 'front').sort((a, b) => a.x - b.x || a.y - b.y);
      ctx.strokeStyle = COLORS.line; ctx.lineWidth = 1; ctx.beginPath();
      front.forEach((p, i) => {
        if (i === 0) { ctx.moveTo(sx(p.x), sy(p.y)); return; }
        const prev = front[i - 1];
        if (staircase.xGoal === 'maximize') ctx.lineTo(sx(prev.x), sy(p.y));
        else ctx.lineTo(sx(p.x), sy(prev.y));
        ctx.lineTo(sx(p.x), sy(p.y));
      });
      ctx.stroke();
    }
    for (const [k, v] of Object.entries({ points: points.length, front: count.front, feasible: count.feasible, infeasible: count.infeasible })) {
      canvas.dataset[k] = String(v);
    }
    canvas.dataset.drawn = String((+canvas.dataset.drawn || 0) + 1);
    return { sx, sy };
  }

  // The panel: a <section> with its selectors and canvas. onHover(id or null,
  // clientX, clientY) as for the learning curves.
  class Panel {
    constructor(el, onHover) {
      this.canvas = el('canvas', { id: 'pareto', class: 'chart' });
      this.xSel = el('select', { id: 'pareto-x' });
      this.ySel = el('select', { id: 'pareto-y' });
      this.pickers = el('span', { class: 'pickers', hidden: true }, ' x: ', this.xSel, ' y: ', this.ySel);
      this.section = el('section', { id: 'pareto-section' }, el('h2', {}, 'Pareto front'),
        el('p', { class: 'legend' }, el('span', { style: `color:${COLORS.front}` }, '●'), ' front (non-dominated, feasible; from the coordinator over all objectives)  ',
          el('span', { style: `color:${COLORS.feasible}` }, '●'), ' other feasible  ', el('span', { style: `color:${COLORS.infeasible}` }, '✕'), ' infeasible', this.pickers),
        this.canvas);
      this.points = []; this.scales = null; this.objectives = [];
      const redraw = () => this.draw();
      this.xSel.addEventListener('change', redraw);
      this.ySel.addEventListener('change', redraw);
      this.canvas.addEventListener('mousemove', (e) => {
        const r = this.canvas.getBoundingClientRect();
        onHover(this.nearest(e.clientX - r.left, e.clientY - r.top), e.clientX, e.clientY);
      });
      this.canvas.addEventListener('mouseleave', () => onHover(null));
    }
    // spec: the sweep's spec; trials: every trial; front: a Set of the front's ids.
    set(spec, trials, front) {
      const objs = objectives(spec);
      if (objs.map((o) => o.name).join('\n') !== this.objectives.map((o) => o.name).join('\n')) {
        this.objectives = objs;
        const opts = (sel, chosen) => sel.replaceChildren(...objs.map((o, i) => {
          const opt = document.createElement('option');
          opt.value = String(i); opt.textContent = `${o.name} (${o.goal === 'maximize' ? 'max' : 'min'})`;
          opt.selected = i === chosen;
          return opt;
        }));
        opts(this.xSel, 0); opts(this.ySel, 1);
        this.pickers.hidden = objs.length < 3;
      }
      this.spec = spec; this.trials = trials.filter((t) => t.state === 'completed'); this.front = front;
      this.draw();
    }
    draw() {
      if (!this.spec) return;
      const xi = +this.xSel.value || 0, yi = +this.ySel.value || 0;
      const xo = this.objectives[xi], yo = this.objectives[yi];
      this.points = [];
      for (const t of this.trials) {
        const values = t.final_values || {};
        const x = values[xo.name], y = values[yo.name];
        if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
        const kind = !feasible(this.spec.constraints, values) ? 'infeasible' : this.front.has(t.id) ? 'front' : 'feasible';
        this.points.push({ id: t.id, x, y, kind });
      }
      const goal = (o) => (o.goal === 'maximize' ? 'max' : 'min');
      this.scales = scatter(this.canvas, this.points, { x: `${xo.name} (${goal(xo)})`, y: `${yo.name} (${goal(yo)})` },
        this.objectives.length === 2 && xi !== yi ? { xGoal: xo.goal, yGoal: yo.goal } : null);
    }
    nearest(px, py) {
      if (!this.scales) return null;
      let best = null, dist = 10 * 10;
      for (const p of this.points) {
        const dx = this.scales.sx(p.x) - px, dy = this.scales.sy(p.y) - py;
        if (dx * dx + dy * dy < dist) { dist = dx * dx + dy * dy; best = p.id; }
      }
      return best;
    }
  }

  return { Panel, feasible, objectives };
})();
