// Dashboard page-load benchmark (run by dashboard_bench.sh): for each sweep
// size, a real coordinator is filled through the HTTP API (64 concurrent
// ask/tell clients; `steps` reports per trial; 90% completed, 5% failed, 5%
// left running), then Debian's headless Chromium opens the sweep page and
// reports the time to first render (header and first table page) and to all
// charts drawn with every trial's curve. Anchor, same run: reading the same
// data the page reads (every trials page and every downsampled curve page)
// from Node with no rendering.
'use strict';

const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');

const [coordinatorBin, chromiumBin, sizesArg, stepsArg] = process.argv.slice(2);
const sizes = sizesArg.split(',').map(Number);
const steps = +stepsArg;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function startCoordinator(dir) {
  const proc = spawn(coordinatorBin, ['--data-dir', dir, '--port', '0'], { stdio: ['ignore', 'ignore', 'inherit'] });
  for (let i = 0; i < 600 && !fs.existsSync(path.join(dir, 'endpoint')); i++) await sleep(100);
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

async function fill(c, trials) {
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

// What the page reads, without rendering (the page's maxPoints rule).
async function readLikeThePage(c, trials) {
  const t0 = performance.now();
  const maxPoints = trials <= 100 ? 200 : trials <= 1000 ? 60 : 20;
  await c.call('GET', 'sweeps/1');
  for (let token = ''; ;) {
    const page = await c.call('GET', `sweeps/1/trials?limit=1000&page_token=${token}`);
    token = page.next_page_token; if (!token) break;
  }
  for (let token = ''; ;) {
    const page = await c.call('GET', `sweeps/1/curves?max_points=${maxPoints}&limit=500&page_token=${token}`);
    token = page.next_page_token; if (!token) break;
  }
  return performance.now() - t0;
}

async function main() {
  const browser = await chromium.launch({ executablePath: chromiumBin, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
  const results = {};
  try {
    for (const trials of sizes) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hpsweep-dash-bench-'));
      const c = await startCoordinator(dir);
      try {
        const f0 = performance.now();
        await fill(c, trials);
        const fillS = (performance.now() - f0) / 1000;
        const apiMs = await readLikeThePage(c, trials);
        const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
        const errors = [];
        page.on('pageerror', (e) => errors.push(String(e)));
        await page.goto(c.url + '/#/sweeps/1');
        await page.waitForFunction(() => window.hpsweepTimings && window.hpsweepTimings.allCharts !== null, null, { timeout: 600000 });
        const t = await page.evaluate(() => window.hpsweepTimings);
        const lines = await page.$eval('#curves', (e) => +e.dataset.lines);
        await page.close();
        results[trials] = { fill_s: +fillS.toFixed(1), first_render_ms: Math.round(t.firstRender), all_charts_ms: Math.round(t.allCharts),
          anchor_api_read_ms: Math.round(apiMs), curves_drawn: lines, page_errors: errors.length };
        console.error(`${trials} trials x ${steps} steps: first render ${Math.round(t.firstRender)} ms, all charts ${Math.round(t.allCharts)} ms ` +
          `(${lines} curves); anchor: the same reads from Node ${Math.round(apiMs)} ms; fill ${fillS.toFixed(1)} s`);
      } finally {
        await c.stop();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }
  } finally {
    await browser.close();
  }
  console.log(JSON.stringify({ steps, results }));
}

main().catch((e) => { console.error(e); process.exit(1); });
