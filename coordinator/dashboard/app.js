// hpsweep dashboard: the sweeps page (#/) and a sweep's page (#/sweeps/ID),
// kept live by the coordinator's event stream (GET /api/v1/events).
'use strict';

const $ = (sel, root = document) => root.querySelector(sel);
const el = (tag, attrs = {}, ...children) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) e.append(c instanceof Node ? c : String(c));
  return e;
};
const fmt = Charts.fmt;
const TERMINAL = new Set(['completed', 'failed', 'pruned', 'cancelled']);

// --- API -------------------------------------------------------------------

const Token = {
  get: () => sessionStorage.getItem('hpsweep_token') || '',
  set: (t) => { if (t) sessionStorage.setItem('hpsweep_token', t); else sessionStorage.removeItem('hpsweep_token'); },
};

class ApiError extends Error {
  constructor(status, body) {
    super((body && body.error && body.error.message) || `HTTP ${status}`);
    this.status = status;
  }
}

function headers() {
  const t = Token.get();
  return t ? { Authorization: 'Bearer ' + t } : {};
}

async function api(path, options = {}) {
  const res = await fetch('/api/v1/' + path, { ...options, headers: { ...headers(), ...(options.headers || {}) } });
  const body = await res.json().catch(() => null);
  if (!res.ok) {
    if (res.status === 401) showTokenBox('This needs the API token.');
    throw new ApiError(res.status, body);
  }
  return body;
}

// Every page of a paged list: `fetchPage(token)` -> {items, next}.
async function allPages(fetchPage, onPage) {
  let token = '';
  do {
    const page = await fetchPage(token);
    onPage(page.items);
    token = page.next;
  } while (token);
}

// --- Shared bits --------------------------------------------------------------------

function setConnection(state, text) {
  const c = $('#conn');
  c.className = 'conn ' + state;
  c.textContent = text;
}

function showTokenBox(message) {
  const box = $('#token');
  box.hidden = false;
  $('#token-message').textContent = message || '';
}

function initTokenBox() {
  const form = $('#token-form');
  const status = () => { $('#token-state').textContent = Token.get() ? 'token set (this tab)' : 'no token'; };
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    Token.set($('#token-input').value.trim());
    $('#token-input').value = '';
    $('#token').hidden = true;
    status();
    route();
  });
  $('#token-clear').addEventListener('click', () => { Token.set(''); status(); });
  $('#token-open').addEventListener('click', () => showTokenBox(''));
  status();
}

function age(us) {
  const s = Math.max(0, (Date.now() * 1000 - us) / 1e6);
  if (s < 60) return Math.round(s) + 's';
  if (s < 3600) return Math.round(s / 60) + 'm';
  if (s < 86400) return (s / 3600).toFixed(1) + 'h';
  return (s / 86400).toFixed(1) + 'd';
}

// Coalesces bursts of updates into one call per animation frame at most
// every `ms`.
function throttle(fn, ms) {
  let timer = null, last = 0;
  return () => {
    if (timer) return;
    const wait = Math.max(0, last + ms - performance.now());
    timer = setTimeout(() => requestAnimationFrame(() => { timer = null; last = performance.now(); fn(); }), wait);
  };
}

// Runs at most `n` of the async functions given to it at once.
function pool(n) {
  let active = 0;
  const waiting = [];
  const next = () => {
    if (active >= n || !waiting.length) return;
    const [fn, resolve, reject] = waiting.shift();
    active++;
    fn().then(resolve, reject).finally(() => { active--; next(); });
  };
  return (fn) => new Promise((resolve, reject) => { waiting.push([fn, resolve, reject]); next(); });
}

let current = null;  // the page on screen: {stop()}

// --- Sweeps page ----------------------------------------------------------------------

// A sweep's first objective (`metric`, or `metrics[0]` with several).
const first = (sweep) => Pareto.objectives(sweep.spec)[0];

function sweepsPage(main) {
  const tbody = el('tbody');
  main.append(el('h1', {}, 'Sweeps'),
    el('table', { id: 'sweeps', class: 'grid' },
      el('thead', {}, el('tr', {}, ['ID', 'Name', 'State', 'Method', 'Progress', 'Best', 'Age'].map((h) => el('th', {}, h)))),
      tbody));
  const render = async () => {
    const list = await api('sweeps');
    tbody.replaceChildren(...list.sweeps.map((s) => {
      const c = s.counters;
      const progress = `${c.completed} done, ${c.running} running, ${c.failed} failed, ${c.pruned} pruned of ${s.spec.max_trials}`;
      return el('tr', { 'data-sweep': s.id },
        el('td', {}, el('a', { href: `#/sweeps/${s.id}` }, s.id)),
        el('td', {}, el('a', { href: `#/sweeps/${s.id}` }, s.spec.name)),
        el('td', {}, el('span', { class: 'state ' + s.state }, s.state)),
        el('td', {}, s.spec.method),
        el('td', { class: 'progress' }, el('progress', { max: s.spec.max_trials, value: c.completed + c.failed + c.pruned }), ' ', progress),
        el('td', { class: 'num' }, s.best_value === undefined ? '—' : `${fmt(s.best_value)} (${first(s).goal === 'maximize' ? 'max' : 'min'} ${first(s).name})`),
        el('td', {}, age(s.created_us)));
    }));
    main.dataset.rendered = String((+main.dataset.rendered || 0) + 1);
  };
  const refresh = throttle(() => render().catch(showError), 500);
  const stream = new EventStream(0, {
    open: (again) => { setConnection('live', 'live'); if (again) refresh(); },
    down: () => setConnection('down', 'reconnecting…'),
    event: refresh, reset: refresh, report: () => {},
  });
  render().catch(showError);
  return { stop: () => stream.stop() };
}

function showError(e) {
  const box = $('#error');
  box.hidden = false;
  box.textContent = e.message;
  setTimeout(() => { box.hidden = true; }, 8000);
}

// --- Sweep page -----------------------------------------------------------------------

function axisFor(name, p, trials) {
  if (p.distribution === 'categorical') return { name, kind: 'categorical', values: p.values };
  if (p.distribution === 'constant') return { name, kind: 'categorical', values: [p.value] };
  return { name, kind: p.distribution.includes('log') ? 'log' : 'linear', min: p.min, max: p.max,
    int: p.distribution.startsWith('int') };
}

function sweepPage(main, sweepId) {
  const state = {
    sweep: null, trials: new Map(), curves: new Map(), brushed: null, front: new Set(), pareto: null,
    sort: { key: 'id', dir: 1 }, filter: '', page: 0, loading: true,
  };
  // Milliseconds since navigation started (read by tools/bench/dashboard_bench.sh).
  const timings = (window.hpsweepTimings = { firstRender: null, allCharts: null });
  const headerBox = el('div', { id: 'sweep-header' });
  const history = el('canvas', { id: 'history', class: 'chart' });
  const parallel = el('canvas', { id: 'parallel', class: 'chart' });
  const curves = el('canvas', { id: 'curves', class: 'chart' });
  const tip = el('div', { id: 'tip', class: 'tip', hidden: true });
  const importanceBox = el('div', { id: 'importance' });
  const table = el('table', { id: 'trials', class: 'grid' });
  const pager = el('div', { class: 'pager' });
  const stateFilter = el('select', { id: 'state-filter' },
    ['', 'pending', 'leased', 'running', 'completed', 'failed', 'pruned', 'cancelled'].map((s) => el('option', { value: s }, s || 'all states')));
  const specBox = el('pre', { id: 'spec' });
  main.append(el('p', {}, el('a', { href: '#/' }, '← all sweeps')), headerBox,
    el('div', { class: 'charts' },
      el('section', {}, el('h2', {}, 'Optimization history'), el('p', { class: 'legend' }, '● completed  — best so far  ✕ failed  ▲ pruned'), history),
      el('section', {}, el('h2', {}, 'Parallel coordinates'), el('p', { class: 'legend' }, 'drag along an axis to filter; click it to clear'), parallel),
      el('section', {}, el('h2', {}, 'Learning curves'), el('p', { class: 'legend', id: 'curves-legend' }, 'hover a line for its parameters'), curves),
      el('section', {}, el('h2', {}, 'Parameter importance'),
        el('p', { class: 'legend' }, 'ω² of the objective\'s ranks grouped by each parameter (values, or 8 quantile bins): the share of rank variance it explains, corrected for the number of groups; no interactions.'),
        importanceBox)),
    el('section', {}, el('h2', {}, 'Trials'), el('div', { class: 'toolbar' }, 'State: ', stateFilter, el('span', { id: 'brush-note' })), table, pager),
    el('section', {}, el('h2', {}, 'Sweep spec (as submitted)'), specBox), tip);

  const pc = new Charts.ParallelCoordinates(parallel, (ids) => {
    state.brushed = ids ? new Set(ids) : null; state.page = 0; renderTable();
  });
  // A trial's parameters next to the pointer (learning curves, Pareto front).
  const showTip = (id, x, y) => {
    if (id === null) { tip.hidden = true; return; }
    const t = state.trials.get(id);
    if (!t) return;
    tip.hidden = false;
    tip.style.left = (x + 14) + 'px'; tip.style.top = (y + 14 + window.scrollY) + 'px';
    tip.textContent = `trial ${id} (${t.state})` + (Number.isFinite(t.objective) ? ` ${fmt(t.objective)}` : '') + '\n' +
      Object.entries(t.params).map(([k, v]) => `${k} = ${fmt(v)}`).join('\n');
  };
  const cv = new Charts.Curves(curves, showTip);
  // Multi-objective sweeps only: added once the spec is known.
  const multiObjective = () => Pareto.objectives(state.sweep.spec).length > 1;
  const loadFront = async () => {
    if (!multiObjective()) return;
    const page = await api(`sweeps/${sweepId}/pareto`);
    state.front = new Set(page.trials.map((t) => t.id));
  };
  stateFilter.addEventListener('change', () => { state.filter = stateFilter.value; state.page = 0; renderTable(); });

  // The (first) objective: what history, curves and the table judge by.
  const metric = () => Pareto.objectives(state.sweep.spec)[0];
  const sign = () => (metric().goal === 'maximize' ? -1 : 1);

  function renderHeader() {
    const s = state.sweep, c = s.counters;
    const cancel = el('button', { id: 'cancel', disabled: TERMINAL.has(s.state) || s.state === 'completed', onclick: cancelSweep }, 'Cancel sweep');
    headerBox.replaceChildren(
      el('h1', {}, `Sweep ${s.id}: ${s.spec.name} `, el('span', { class: 'state ' + s.state, id: 'sweep-state' }, s.state)),
      el('p', {}, `${s.spec.method} · ${metric().goal} ${metric().name} · ${c.completed} done, ${c.running} running, ${c.failed} failed, ${c.pruned} pruned of ${s.spec.max_trials} · ` +
        (s.best_value === undefined ? 'no result yet' : `best ${fmt(s.best_value)} (trial ${s.best_trial_id})`) + ` · started ${age(s.created_us)} ago `, cancel));
    specBox.textContent = JSON.stringify(s.spec, null, 2);
  }

  async function cancelSweep() {
    if (!Token.get()) { showTokenBox('Cancelling needs the API token.'); return; }
    if (!confirm(`Cancel sweep ${sweepId}? Running trials stop.`)) return;
    try {
      state.sweep = await api(`sweeps/${sweepId}/cancel`, { method: 'POST', body: '{}' });
      renderHeader();
    } catch (e) { showError(e); }
  }

  function lastValue(id) {
    const c = state.curves.get(id);
    return c && c.values.length ? c.values[c.values.length - 1] : undefined;
  }

  function drawCurves() {
    const lines = [];
    for (const [id, c] of state.curves) {
      const t = state.trials.get(id);
      if (t && c.steps.length) lines.push({ id, state: t.state, steps: c.steps, values: c.values });
    }
    cv.set(lines, state.curveMetric);
  }

  function drawCharts() {
    if (!state.sweep) return;
    const trials = [...state.trials.values()];
    if (multiObjective()) {
      if (!state.pareto) { state.pareto = new Pareto.Panel(el, showTip); $('.charts', main).prepend(state.pareto.section); }
      state.pareto.set(state.sweep.spec, trials, state.front);
    }
    const finished = trials.filter((t) => TERMINAL.has(t.state) && t.state !== 'cancelled')
      .sort((a, b) => a.updated_us - b.updated_us || a.id - b.id)
      .map((t) => ({ id: t.id, state: t.state, objective: t.objective, last: lastValue(t.id) }));
    Charts.history(history, finished, metric().goal);
    const params = state.sweep.spec.parameters;
    const names = Object.keys(params).filter((n) => params[n].distribution !== 'constant');
    const done = trials.filter((t) => Number.isFinite(t.objective));
    const color = Charts.colorScale(done.map((t) => t.objective), metric().goal);
    const [lo, hi] = done.length ? [Math.min(...done.map((t) => t.objective)), Math.max(...done.map((t) => t.objective))] : [0, 1];
    const dims = names.map((n) => axisFor(n, params[n], trials))
      .concat([{ name: metric().name, kind: 'linear', min: lo, max: hi > lo ? hi : lo + 1 }]);
    pc.set(dims, done.map((t) => ({ id: t.id, values: { ...t.params, [metric().name]: t.objective }, color: color(t.objective) })));
    drawCurves();
    const imp = Charts.importance(trials, names);
    importanceBox.replaceChildren(...(imp.length ? imp.map((r) => el('div', { class: 'bar-row', 'data-param': r.name },
      el('span', { class: 'bar-label' }, r.name),
      el('span', { class: 'bar', style: `width:${Math.round(r.value * 100)}%` }),
      el('span', { class: 'bar-value' }, r.value.toFixed(2)))) : [el('p', {}, 'needs at least 4 finished trials')]));
    importanceBox.dataset.params = String(imp.length);
    if (!state.loading && timings.allCharts === null) timings.allCharts = performance.now();
  }

  const columns = () => {
    const names = Object.keys(state.sweep.spec.parameters);
    return [
      { key: 'id', label: 'ID', get: (t) => t.id },
      { key: 'state', label: 'State', get: (t) => t.state },
      { key: 'objective', label: metric().name, get: (t) => t.objective, num: true },
      ...names.map((n) => ({ key: 'p:' + n, label: n, get: (t) => t.params[n], num: true })),
      { key: 'attempt', label: 'Attempt', get: (t) => t.attempt },
      { key: 'origin', label: 'Chosen by', get: (t) => (t.origin ? t.origin.source + (t.origin.model ? ` (${t.origin.model})` : '') : '') },
      { key: 'last_step', label: 'Step', get: (t) => t.last_step },
      { key: 'error', label: 'Failure reason', get: (t) => t.error || '' },
    ];
  };

  function downloadCheckpoint(t) {
    fetch(`/api/v1/trials/${t.id}/checkpoints/${t.checkpoint_step}`, { headers: headers() }).then(async (res) => {
      if (!res.ok) { if (res.status === 401) showTokenBox('Checkpoint downloads need the API token.'); throw new ApiError(res.status, await res.json().catch(() => null)); }
      const url = URL.createObjectURL(await res.blob());
      const a = el('a', { href: url, download: `trial-${t.id}-step-${t.checkpoint_step}.ckpt` });
      document.body.append(a); a.click(); a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
    }).catch(showError);
  }

  function renderTable() {
    if (!state.sweep) return;
    const cols = columns();
    const col = cols.find((c) => c.key === state.sort.key) || cols[0];
    let rows = [...state.trials.values()];
    if (state.filter) rows = rows.filter((t) => t.state === state.filter);
    if (state.brushed) rows = rows.filter((t) => state.brushed.has(t.id));
    $('#brush-note').textContent = state.brushed ? ` · ${state.brushed.size} trials inside the parallel-coordinates brush` : '';
    const cmp = (a, b) => {
      const x = col.get(a), y = col.get(b);
      if (x === undefined || x === null) return 1;
      if (y === undefined || y === null) return -1;
      return (x < y ? -1 : x > y ? 1 : a.id - b.id) * state.sort.dir;
    };
    rows.sort(cmp);
    const per = 50, pages = Math.max(1, Math.ceil(rows.length / per));
    state.page = Math.min(state.page, pages - 1);
    const shown = rows.slice(state.page * per, state.page * per + per);
    table.replaceChildren(
      el('thead', {}, el('tr', {}, cols.map((c) => el('th', {
        'data-key': c.key, class: 'sortable' + (c.key === state.sort.key ? (state.sort.dir > 0 ? ' asc' : ' desc') : ''),
        onclick: () => { state.sort = { key: c.key, dir: state.sort.key === c.key ? -state.sort.dir : 1 }; renderTable(); },
      }, c.label)), el('th', {}, 'Curve'), el('th', {}, 'Checkpoint'))),
      el('tbody', {}, shown.map((t) => el('tr', { 'data-trial': t.id, 'data-state': t.state },
        cols.map((c) => { const v = c.get(t); return el('td', { class: typeof v === 'number' ? 'num' : '' }, v === undefined ? '' : typeof v === 'number' ? fmt(v) : String(v)); }),
        el('td', {}, el('a', { href: '#', onclick: (e) => { e.preventDefault(); cv.highlight = t.id; cv.overlay(); curves.scrollIntoView({ block: 'center' }); } }, 'curve')),
        el('td', {}, t.checkpoint_step >= 0 ? el('a', { href: '#', onclick: (e) => { e.preventDefault(); downloadCheckpoint(t); } }, `step ${t.checkpoint_step}`) : '')))));
    table.dataset.rows = String(rows.length);
    pager.replaceChildren(`${rows.length} trials · page ${state.page + 1} of ${pages} `,
      el('button', { disabled: state.page === 0, onclick: () => { state.page--; renderTable(); } }, '‹ prev'),
      el('button', { disabled: state.page >= pages - 1, onclick: () => { state.page++; renderTable(); } }, 'next ›'));
  }

  const redraw = throttle(() => { drawCharts(); renderTable(); }, 400);

  // Fewer points per curve as the sweep grows, so that the page stays light.
  const maxPoints = (n) => (n <= 100 ? 200 : n <= 1000 ? 60 : 20);

  async function loadCurves(ids) {
    const n = state.trials.size;
    await Promise.all(ids.map(async (id) => {
      const page = await api(`sweeps/${sweepId}/curves?max_points=${maxPoints(n)}&limit=1&page_token=${id - 1}`);
      for (const c of page.curves) if (c.trial_id === id) state.curves.set(id, c);
    }));
  }

  // The curves of the trials after `after` up to trial `last` (in the
  // sweep's id order), following next_page_token where the server ends a
  // page early.
  async function loadCurveRange(after, last, points) {
    for (let token = after; ;) {
      const page = await api(`sweeps/${sweepId}/curves?max_points=${points}&limit=500&page_token=${token}`);
      state.curveMetric = page.metric;
      for (const c of page.curves) if (c.trial_id <= last) state.curves.set(c.trial_id, c);
      const end = page.curves.length ? page.curves[page.curves.length - 1].trial_id : last;
      if (end >= last || !page.next_page_token) return;
      token = page.next_page_token;
    }
  }

  // Curves load while the trials do: each page of trials asks for its
  // trials' curves at once, three requests at a time, and while they come
  // only the curves chart redraws (at most once a second).
  async function loadAll() {
    state.loading = true;
    state.sweep = await api(`sweeps/${sweepId}`);
    renderHeader();
    const points = maxPoints(state.sweep.counters.created);
    const queue = pool(3);
    const pending = [];
    const redrawCurves = throttle(drawCurves, 1000);
    const fresh = new Map();
    await allPages(async (token) => {
      const page = await api(`sweeps/${sweepId}/trials?limit=1000&page_token=${token}`);
      return { items: page.trials, next: page.next_page_token };
    }, (trials) => {
      for (const t of trials) fresh.set(t.id, t);
      if (timings.firstRender === null) { state.trials = fresh; renderTable(); timings.firstRender = performance.now(); }
      for (let i = 0; i < trials.length; i += 500) {
        const chunk = trials.slice(i, i + 500);
        pending.push(queue(() => loadCurveRange(chunk[0].id - 1, chunk[chunk.length - 1].id, points)).then(redrawCurves));
      }
    });
    state.trials = fresh;
    renderTable();
    await Promise.all([loadFront(), ...pending]);
    state.loading = false;
    drawCharts();
    main.dataset.loaded = String((+main.dataset.loaded || 0) + 1);
  }

  const refreshSweep = throttle(() => api(`sweeps/${sweepId}`).then((s) => { state.sweep = s; renderHeader(); }).catch(showError), 300);
  const stale = new Set();
  const refreshTrials = throttle(async () => {
    const ids = [...stale]; stale.clear();
    try {
      await Promise.all(ids.map(async (id) => { state.trials.set(id, await api(`trials/${id}`)); }));
      const ended = ids.filter((id) => TERMINAL.has(state.trials.get(id).state));
      if (ended.length) await Promise.all([loadCurves(ended), loadFront()]);  // the stored, downsampled curve replaces the live one
      redraw();
    } catch (e) { showError(e); }
  }, 300);

  // The stream opens before the first load, and what it brings meanwhile is
  // applied after it, so that nothing between the two is missed.
  let loaded = false;
  const early = [];
  const later = (fn) => (msg) => (loaded ? fn(msg) : early.push(() => fn(msg)));
  const stream = new EventStream(sweepId, {
    open: (again) => { setConnection('live', 'live'); if (again) loadAll().catch(showError); },
    down: () => setConnection('down', 'reconnecting…'),
    reset: later(() => loadAll().catch(showError)),
    event: later((e) => {
      if (e.trial_id) { stale.add(e.trial_id); refreshTrials(); }
      refreshSweep();
    }),
    report: later((r) => {
      const v = r.values[state.curveMetric || metric().name];
      if (!state.trials.has(r.trial_id)) { stale.add(r.trial_id); refreshTrials(); }
      if (v === undefined) return;
      let c = state.curves.get(r.trial_id);
      if (!c) { c = { trial_id: r.trial_id, steps: [], values: [] }; state.curves.set(r.trial_id, c); }
      const i = c.steps.indexOf(r.step);
      // An older step missing here was left out of the stored curve by downsampling.
      if (i >= 0) c.values[i] = v;
      else if (!c.steps.length || r.step > c.steps[c.steps.length - 1]) { c.steps.push(r.step); c.values.push(v); }
      const t = state.trials.get(r.trial_id);
      if (t) t.last_step = Math.max(t.last_step, r.step);
      redraw();
    }),
  });
  loadAll().catch(showError).finally(() => {
    loaded = true;
    for (const apply of early.splice(0)) apply();
  });
  window.addEventListener('resize', redraw);
  return { stop: () => { stream.stop(); window.removeEventListener('resize', redraw); } };
}

// --- Routing -------------------------------------------------------------------------

function route() {
  if (current) current.stop();
  const main = $('#main');
  main.replaceChildren();
  delete main.dataset.rendered; delete main.dataset.loaded;
  const m = location.hash.match(/^#\/sweeps\/(\d+)/);
  current = m ? sweepPage(main, +m[1]) : sweepsPage(main);
}

window.addEventListener('hashchange', route);
window.addEventListener('DOMContentLoaded', () => { initTokenBox(); route(); });
