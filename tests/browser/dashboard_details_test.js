// The dashboard's less travelled parts in a real browser (Debian's Chromium
// via playwright-core, a real coordinator fed through the HTTP API):
//   - a multi-objective sweep with a constraint: the Pareto scatter draws the
//     front the coordinator computes and the infeasible trials, with known
//     counts; with three objectives, a selector picks the axes;
//   - a sweep with median stopping: a pruned trial is marked in the history,
//     its learning curve ends at the step it was stopped at, the table's
//     state filter finds it; no Pareto panel on a single-objective sweep;
//   - a trial with a checkpoint gets a link in the trials table that
//     downloads the stored bytes;
//   - hovering a learning curve shows that trial's parameters;
//   - no console errors.
// Environment as in harness.js.
'use strict';

const fs = require('fs');
const path = require('path');
const { env, check, Coordinator, launch, data, waitData, finish } = require('./harness');

const WORK = env('WORK'), OUT = env('OUT');

const PARAMS = { lr: { distribution: 'log_uniform', min: 1e-4, max: 1e-1 }, width: { values: [32, 64, 128] } };

// Two objectives and a constraint; trial k gets POINTS[k]. Front by hand
// (acc up, latency down, mem <= 4): a, b, e; c is dominated by b, f by a;
// d and g break the constraint (d would dominate everything).
const MO_SPEC = {
  name: 'pareto', method: 'random', seed: 3, max_trials: 7, program: { external: true }, parameters: PARAMS,
  metrics: [{ name: 'acc', goal: 'maximize' }, { name: 'latency', goal: 'minimize' }],
  constraints: ['mem <= 4'],
};
const POINTS = [
  { acc: 0.9, latency: 10, mem: 2 }, { acc: 0.8, latency: 5, mem: 2 }, { acc: 0.7, latency: 8, mem: 2 },
  { acc: 0.95, latency: 3, mem: 8 }, { acc: 0.6, latency: 2, mem: 1 }, { acc: 0.85, latency: 12, mem: 3 },
  { acc: 0.99, latency: 20, mem: 6 },
];
const MO3_SPEC = {
  name: 'pareto-3', method: 'random', seed: 4, max_trials: 4, program: { external: true }, parameters: PARAMS,
  metrics: [{ name: 'acc', goal: 'maximize' }, { name: 'latency', goal: 'minimize' }, { name: 'mem', goal: 'minimize' }],
};
// Median stopping: trials 1 and 2 complete 5 steps; trial 3 reports 5.0 at
// steps 1..3 and is stopped at step 3 (past warmup, worse than the median of
// the completed trials there); trial 4 stores a checkpoint at step 1, then
// completes.
const PRUNE_SPEC = {
  name: 'pruning', method: 'random', seed: 5, max_trials: 5, program: { external: true }, parameters: PARAMS,
  metric: { name: 'loss', goal: 'minimize' },
  early_terminate: { type: 'median', warmup_steps: 2, min_trials: 2 },
};
const CHECKPOINT = 'checkpoint bytes of trial 4\n';

async function askOne(c, sweepId, client) {
  const asked = await c.call('POST', 'ask', { client_id: client, sweep_id: sweepId, lease_seconds: 3600 });
  return asked.trials[0].trial;
}

async function feed(c) {
  const mo = (await c.call('POST', 'sweeps', MO_SPEC)).id;
  for (const [k, values] of POINTS.entries()) {
    const t = await askOne(c, mo, `mo-${k}`);
    await c.call('POST', `trials/${t.id}/complete`, { client_id: `mo-${k}`, values });
  }
  const mo3 = (await c.call('POST', 'sweeps', MO3_SPEC)).id;
  for (const [k, values] of POINTS.slice(0, 4).entries()) {
    const t = await askOne(c, mo3, `mo3-${k}`);
    await c.call('POST', `trials/${t.id}/complete`, { client_id: `mo3-${k}`, values });
  }
  const pr = (await c.call('POST', 'sweeps', PRUNE_SPEC)).id;
  const ids = [];
  for (let k = 0; k < 4; k++) {
    const client = `pr-${k}`;
    const t = await askOne(c, pr, client);
    ids.push(t.id);
    const steps = k < 2 ? 5 : k === 2 ? 3 : 1;
    let decision = null;
    for (let s = 1; s <= steps; s++) {
      decision = await c.call('POST', `trials/${t.id}/report`, { client_id: client, step: s, values: { loss: k === 2 ? 5 : 1 / s + k * 0.1 } });
    }
    if (k === 2) { check('the API stops the bad trial at step 3', decision.decision === 'stop', JSON.stringify(decision)); continue; }
    if (k === 3) await c.call('PUT', `trials/${t.id}/checkpoints/1?client_id=${client}`, undefined, CHECKPOINT);
    await c.call('POST', `trials/${t.id}/complete`, { client_id: client, values: { loss: 1 / steps + k * 0.1 } });
  }
  return { mo, mo3, pr, prunedId: ids[2], checkpointId: ids[3], curveId: ids[0] };
}

async function main() {
  const browser = await launch();
  const c = new Coordinator(path.join(WORK, 'data'));
  await c.start();
  const consoleErrors = [];
  try {
    const ids = await feed(c);
    const front = (await c.call('GET', `sweeps/${ids.mo}/pareto`)).trials.length;
    check('the coordinator\'s front has the 3 trials worked out by hand', front === 3, String(front));
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 }, acceptDownloads: true });
    page.on('console', (m) => { if (m.type() === 'error') { consoleErrors.push(m.text()); console.log(`console error: ${m.text()}`); } });
    page.on('pageerror', (e) => { consoleErrors.push(String(e)); console.log(`page error: ${e}`); });

    // Pareto scatter, two objectives and a constraint.
    await page.goto(`${c.url}/#/sweeps/${ids.mo}`);
    check('multi-objective sweep page loads', await waitData(page, '#main', 'loaded', 1));
    check('Pareto scatter: 7 points', await waitData(page, '#pareto', 'points', 7));
    check('Pareto scatter: the 3 front points, 2 other feasible, 2 infeasible',
      await data(page, '#pareto', 'front') === '3' && await data(page, '#pareto', 'feasible') === '2' &&
      await data(page, '#pareto', 'infeasible') === '2',
      `${await data(page, '#pareto', 'front')} front ${await data(page, '#pareto', 'feasible')} feasible ${await data(page, '#pareto', 'infeasible')} infeasible`);
    check('two objectives: no axis selector', await page.$eval('#pareto-section .pickers', (e) => e.hidden));
    await page.$eval('#pareto-section', (e) => e.scrollIntoView());
    await page.screenshot({ path: path.join(OUT, 'pareto.png') });
    await page.locator('#pareto-section').screenshot({ path: path.join(OUT, 'pareto_panel.png') });

    // Three objectives: the selectors pick the axes.
    await page.goto(`${c.url}/#/sweeps/${ids.mo3}`);
    check('three objectives: 4 points, a selector of 3 objectives per axis',
      await waitData(page, '#pareto', 'points', 4) &&
      !await page.$eval('#pareto-section .pickers', (e) => e.hidden) &&
      (await page.$$('#pareto-x option')).length === 3);
    const drawn = +await data(page, '#pareto', 'drawn');
    await page.selectOption('#pareto-y', '2');
    check('choosing another objective redraws the scatter', await waitData(page, '#pareto', 'drawn', drawn + 1) &&
      (await page.$eval('#pareto-y', (e) => e.selectedOptions[0].textContent)).startsWith('mem'));

    // Pruned trials.
    await page.goto(`${c.url}/#/sweeps/${ids.pr}`);
    check('pruning sweep page loads', await waitData(page, '#main', 'loaded', 1));
    check('no Pareto panel on a single-objective sweep', await page.$('#pareto') === null);
    check('history: 3 completed points and 1 pruned mark',
      await data(page, '#history', 'points') === '3' && await data(page, '#history', 'pruned') === '1');
    check('learning curves: the pruned trial\'s line ends at step 3',
      await data(page, '#curves', 'prunedEnds') === `${ids.prunedId}@3` && await data(page, '#curves', 'lines') === '4',
      await data(page, '#curves', 'prunedEnds'));
    await page.selectOption('#state-filter', 'pruned');
    const pruned = await page.$$eval('#trials tbody tr', (rows) => rows.map((r) => [r.dataset.trial, r.dataset.state]));
    check('the state filter shows the pruned trial only', JSON.stringify(pruned) === JSON.stringify([[String(ids.prunedId), 'pruned']]),
      JSON.stringify(pruned));
    await page.selectOption('#state-filter', '');

    // Hovering a curve shows the trial's parameters.
    const trial = await c.call('GET', `trials/${ids.curveId}`);
    const at = await page.$eval('#curves', (e, id) => { const p = e.pointOf(id, 5); const r = e.getBoundingClientRect(); return p && [r.left + p[0], r.top + p[1]]; }, ids.curveId);
    await page.mouse.move(at[0], at[1]);
    const tip = await page.waitForSelector('#tip:not([hidden])', { timeout: 10000 }).then((e) => e.textContent(), () => '');
    check('hovering a curve shows its trial and parameters',
      tip.startsWith(`trial ${ids.curveId} (completed)`) && tip.includes(`width = ${trial.params.width}`) && tip.includes('lr = '), JSON.stringify(tip));
    await page.screenshot({ path: path.join(OUT, 'sweep_pruned.png') });
    await page.mouse.move(5, 5);

    // The checkpoint link downloads the stored bytes (with the token: the
    // checkpoint routes are worker protocol).
    const links = await page.$$eval('#trials tbody tr', (rows) => rows.map((r) => [r.dataset.trial, r.lastElementChild.textContent]));
    check('only the trial with a checkpoint has a link', JSON.stringify(links.filter(([, l]) => l)) === JSON.stringify([[String(ids.checkpointId), 'step 1']]),
      JSON.stringify(links));
    await page.click('#token-open');
    await page.fill('#token-input', c.token);
    await page.click('#token-form button[type="submit"]');
    await waitData(page, '#main', 'loaded', 1);
    const [download] = await Promise.all([
      page.waitForEvent('download', { timeout: 30000 }),
      page.click(`#trials tr[data-trial="${ids.checkpointId}"] td:last-child a`),
    ]);
    const saved = path.join(WORK, 'downloaded.ckpt');
    await download.saveAs(saved);
    check('the checkpoint link downloads the stored bytes',
      download.suggestedFilename() === `trial-${ids.checkpointId}-step-1.ckpt` && fs.readFileSync(saved, 'utf8') === CHECKPOINT,
      download.suggestedFilename());

    check('no console errors', consoleErrors.length === 0, JSON.stringify(consoleErrors));
  } finally {
    await browser.close();
    await c.stop();
  }
  finish();
}

main().catch((e) => { console.error(e); check('the test ran to its end', false); finish(); });
