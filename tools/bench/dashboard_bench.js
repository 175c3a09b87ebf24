// Dashboard page-load benchmark (run by dashboard_bench.sh): for each sweep
// size, a data directory is filled with one sweep of that many trials of
// `steps` reports (90% completed, 5% failed halfway, 5% left running
// halfway), the real coordinator is started on it, and Debian's headless
// Chromium opens the sweep page and reports the time to first render (header
// and first table page) and to all charts drawn with every trial's curve,
// the bytes the page read from the API, and two interactions on the loaded
// page: a curve hover (find the nearest trial and redraw) and a table sort.
// Anchor, same run: reading the same data the page reads (every trials page
// and every downsampled curve page, in the page's order and concurrency)
// from Node with no rendering.
//
// Fill modes: "store" (default) runs dashboard_fill, which drives the
// coordinator's own SweepService in-process and commits its WriteSets to the
// RocksDB store in batches (see dashboard_fill.cc for why that is the same
// data); "http" fills through the HTTP API with 64 concurrent ask/tell
// clients, one request per report (slow: use it for small sizes, e.g. to
// cross-check the store fill).
//
//   node dashboard_bench.js COORDINATOR CHROMIUM SIZES STEPS FILL_BIN [store|http]
'use strict';

const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');

const [coordinatorBin, chromiumBin, sizesArg, stepsArg, fillBin, fillMode = 'store'] = process.argv.slice(2);
const sizes = sizesArg.split(',').map(Number);
const steps = +stepsArg;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function startCoordinator(dir) {
  const proc = spawn(coordinatorBin, ['--data-dir', dir, '--port', '0'], { stdio: ['ignore', 'ignore', 'inherit'] });
  for (let i = 0; i < 6000 && !fs.existsSync(path.join(dir, 'endpoint')); i++) await sleep(100);
  const url = fs.readFileSync(path.join(dir, 'endpoint'), 'utf8').trim();
  const token = fs.readFileSync(path.join(dir, 'token'), 'utf8').trim();
  const call = async (method, p, body) => {
    const res = await fetch(url + '/api/v1/' + p, {
      method, body: body && JSON.stringify(body),
      headers: { Authorization: 'Bearer ' + token, 'Content-Type': 'application/json' },
    });
    const json = await res.json();
    if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  const stop = () => new Promise((r) => { proc.once('exit', r); proc.kill('SIGTERM'); });
  return { url, call, stop };
}

// Runs dashboard_fill on `dir` (no coordinator may hold it open).
function fillStore(dir, trials) {
  const { execFileSync } = require('child_process');
  const out = execFileSync(fillBin, ['--data-dir', dir, '--trials', String(trials), '--steps', String(steps)],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  return JSON.parse(out.toString().trim().split('\n').pop());
}

async function fillHttp(c, trials) {
  await c.call('POST', 'sweeps', {
    name: `bench-${trials}`, method: 'random', max_trials: trials, metric: { name: 'loss', goal: 'minimize' },
    parameters: { lr: { distribution: 'log_uniform', min: 1e-5, max: 1 }, layers: { distribution: 'int_uniform', min: 1, max: 8 },
      optimizer: { values: ['sgd', 'adam', 'rmsprop'] }, dropout: { min: 0, max: 0.7 } },
    program: { external: true },
  });
  let next = 0;
  const client = async (k) => {
    while (next < trials) {
      const i = next++;
      const asked = await c.call('POST', 'ask', { client_id: `c${k}`, sweep_id: 1, lease_seconds: 3600 });
      if (!asked.trials.length) return;
      const t = asked.trials[0].trial;
      const kind = i % 20 === 0 ? 'fail' : i % 20 === 1 ? 'run' : 'complete';
      const last = kind === 'complete' ? steps : Math.ceil(steps / 2);
      const scale = Math.log10(t.params.lr) + 6;
      for (let s = 1; s <= last; s++) {
        await c.call('POST', `trials/${t.id}/report`, { client_id: `c${k}`, step: s, values: { loss: scale / Math.sqrt(s) + (i % 7) * 0.01 } });
      }
      if (kind === 'complete') await c.call('POST', `trials/${t.id}/complete`, { client_id: `c${k}`, values: { loss: scale / Math.sqrt(steps) } });
      if (kind === 'fail') await c.call('POST', `trials/${t.id}/fail`, { client_id: `c${k}`, error: 'benchmark failure' });
    }
  };
  await Promise.all(Array.from({ length: 64 }, (_, k) => client(k)));
}

// What the page reads, without rendering, in the page's pattern: trials
// pages in turn, each page's curves in chunks of 500 three requests at a
// time while the next trials page loads (the page's maxPoints rule).
async function readLikeThePage(c, trials) {
  const t0 = performance.now();
  const maxPoints = trials <= 100 ? 200 : trials <= 1000 ? 60 : 20;
  await c.call('GET', 'sweeps/1');
  let active = 0;
  const waiting = [];
  const run = () => {
    while (active < 3 && waiting.length) {
      const [fn, done] = waiting.shift();
      active++;
      fn().then(done).finally(() => { active--; run(); });
    }
  };
  const queue = (fn) => new Promise((done) => { waiting.push([fn, done]); run(); });
  const curves = async (after, last) => {
    for (let token = after; ;) {
      const page = await c.call('GET', `sweeps/1/curves?max_points=${maxPoints}&limit=500&page_token=${token}`);
      const end = page.curves.length ? page.curves[page.curves.length - 1].trial_id : last;
      if (end >= last || !page.next_page_token) return;
      token = page.next_page_token;
    }
  };
  const pending = [];
  for (let token = ''; ;) {
    const page = await c.call('GET', `sweeps/1/trials?limit=1000&page_token=${token}`);
    for (let i = 0; i < page.trials.length; i += 500) {
      const chunk = page.trials.slice(i, i + 500);
      pending.push(queue(() => curves(chunk[0].id - 1, chunk[chunk.length - 1].id)));
    }
    token = page.next_page_token; if (!token) break;
  }
  await Promise.all(pending);
  return performance.now() - t0;
}

async function main() {
  const browser = await chromium.launch({ executablePath: chromiumBin, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
  const results = {};
  try {
    for (const trials of sizes) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hpsweep-dash-bench-'));
      let c = null;
      try {
        const f0 = performance.now();
        if (fillMode === 'store') fillStore(dir, trials);
        const s0 = performance.now();
        c = await startCoordinator(dir);
        const startS = (performance.now() - s0) / 1000;
        if (fillMode === 'http') await fillHttp(c, trials);
        const fillS = (performance.now() - f0) / 1000 - (fillMode === 'store' ? startS : 0);
        const apiMs = await readLikeThePage(c, trials);
        const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
        await page.addInitScript(() => performance.setResourceTimingBufferSize(100000));
        const errors = [];
        page.on('pageerror', (e) => errors.push(String(e)));
        page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
        await page.goto(c.url + '/#/sweeps/1');
        await page.waitForFunction(() => window.hpsweepTimings && window.hpsweepTimings.allCharts !== null, null, { timeout: 600000 });
        const t = await page.evaluate(() => window.hpsweepTimings);
        const lines = await page.$eval('#curves', (e) => +e.dataset.lines);
        // What the page read from the API (the event stream left out).
        const apiBytes = await page.evaluate(() => performance.getEntriesByType('resource')
          .filter((e) => e.name.includes('/api/v1/') && !e.name.includes('/api/v1/events'))
          .reduce((sum, e) => sum + e.encodedBodySize, 0));
        // Interactions, timed in the page (the handlers run synchronously):
        // a hover over the first trial's last point, and sorting the table.
        const hoverMs = await page.$eval('#curves', (e) => {
          const r = e.getBoundingClientRect();
          const ends = [];
          for (let id = 1; id <= 3 && !ends.length; id++) for (const s of [100, 50, 20, 1]) { const p = e.pointOf(id, s); if (p) { ends.push(p); break; } }
          const [px, py] = ends[0] || [r.width / 2, r.height / 2];
          const t0 = performance.now();
          e.dispatchEvent(new MouseEvent('mousemove', { clientX: r.left + px, clientY: r.top + py, bubbles: true }));
          return performance.now() - t0;
        });
        const sortMs = await page.$eval('#trials th[data-key="objective"]', (e) => {
          const t0 = performance.now(); e.click(); return performance.now() - t0;
        });
        await page.close();
        results[trials] = { fill_mode: fillMode, fill_s: +fillS.toFixed(1), coordinator_start_s: +startS.toFixed(2),
          first_render_ms: Math.round(t.firstRender), all_charts_ms: Math.round(t.allCharts),
          api_bytes: apiBytes, hover_ms: +hoverMs.toFixed(1), sort_ms: +sortMs.toFixed(1),
          anchor_api_read_ms: Math.round(apiMs), curves_drawn: lines, page_errors: errors.length };
        console.error(`${trials} trials x ${steps} steps: first render ${Math.round(t.firstRender)} ms, all charts ${Math.round(t.allCharts)} ms ` +
          `(${lines} curves, ${(apiBytes / 1e6).toFixed(2)} MB read); hover ${hoverMs.toFixed(1)} ms, sort ${sortMs.toFixed(1)} ms; ` +
          `anchor: the same reads from Node ${Math.round(apiMs)} ms; fill (${fillMode}) ${fillS.toFixed(1)} s, coordinator start ${startS.toFixed(2)} s` +
          (errors.length ? `; PAGE ERRORS: ${errors.slice(0, 3).join(' | ')}` : ''));
      } finally {
        if (c) await c.stop();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }
  } finally {
    await browser.close();
  }
  console.log(JSON.stringify({ steps, results }));
}

main().catch((e) => { console.error(e); process.exit(1); });
