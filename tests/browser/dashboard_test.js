// The dashboard in a real browser: Debian's Chromium driven by playwright-core
// (no browser download), against a real coordinator process with a sweep in
// progress, fed through the HTTP API as an ask/tell client would.
//
// Environment as in harness.js. Exits 0 when every check passed, 1
// otherwise; 0 with "SKIPPED" when Chromium cannot start at all.
'use strict';

const path = require('path');
const { env, check, Coordinator, launch, data, waitData, finish } = require('./harness');

const WORK = env('WORK'), OUT = env('OUT');

const SPEC = {
  name: 'browser-test', method: 'random', seed: 7, max_trials: 12,
  metric: { name: 'loss', goal: 'minimize' },
  parameters: {
    lr: { distribution: 'log_uniform', min: 1e-4, max: 1e-1 },
    layers: { distribution: 'int_uniform', min: 1, max: 6 },
    optimizer: { values: ['sgd', 'adam', 'rmsprop'] },
  },
  program: { external: true },
};

// 11 trials, each asked by its own client (a client asking again gets the
// trial it holds): 8 completed after 5 reports, 1 failed after 2, 2 left
// running after 3. Returns the running trials' ids; trial N's client is
// "client-N".
async function feed(c) {
  const running = [];
  for (let i = 0; i < 11; i++) {
    const client = `client-${i}`;
    const asked = await c.call('POST', 'ask', { client_id: client, sweep_id: 1, lease_seconds: 3600 });
    const trial = asked.trials[0].trial;
    const by = { client_id: client };
    const steps = i < 8 ? 5 : i === 8 ? 2 : 3;
    const base = 1 / (1 + i);
    for (let s = 1; s <= steps; s++) {
      await c.call('POST', `trials/${trial.id}/report`, { ...by, step: s, values: { loss: base + 1 / s } });
    }
    if (i < 8) await c.call('POST', `trials/${trial.id}/complete`, { ...by, values: { loss: base + 0.2 } });
    else if (i === 8) await c.call('POST', `trials/${trial.id}/fail`, { ...by, error: 'diverged: loss is NaN at step 3' });
    else running.push({ id: trial.id, client_id: client });
  }
  return running;
}

async function main() {
  const browser = await launch();  // first: a skip leaves nothing running
  const c = new Coordinator(path.join(WORK, 'data'));
  await c.start();
  const consoleErrors = [];
  let restarting = false;  // the page's connection errors while the coordinator is down are expected
  try {
    await c.call('POST', 'sweeps', SPEC);
    const running = await feed(c);

    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.on('console', (m) => { if (m.type() === 'error' && !restarting) consoleErrors.push(m.text()); });
    page.on('pageerror', (e) => consoleErrors.push(String(e)));
    page.on('dialog', (d) => d.accept());

    // Sweeps page.
    await page.goto(c.url + '/#/');
    await page.waitForSelector('#sweeps tr[data-sweep="1"]', { timeout: 60000 });
    const row = await page.textContent('#sweeps tr[data-sweep="1"]');
    check('sweeps page lists the sweep with its state and progress',
      row.includes('browser-test') && row.includes('running') && row.includes('8 done, 2 running, 1 failed, 0 pruned of 12'), row);
    check('the event stream is live', await waitData(page, '#main', 'rendered', 1) &&
      (await page.waitForFunction(() => document.querySelector('#conn').textContent === 'live', null, { timeout: 60000 }).then(() => true, () => false)));
    await c.call('POST', 'sweeps', { ...SPEC, name: 'second-sweep' });
    check('a new sweep appears on the sweeps page without reload', await page.waitForSelector(
      '#sweeps tr[data-sweep="2"]', { timeout: 60000 }).then(() => true, () => false));
    await page.screenshot({ path: path.join(OUT, 'sweeps.png') });

    // Sweep page: every chart with the right number of points and lines.
    await page.click('#sweeps tr[data-sweep="1"] a');
    check('sweep page loads', await waitData(page, '#main', 'loaded', 1));
    check('history: 8 completed points', await data(page, '#history', 'points') === '8');
    check('history: 1 failed mark, 0 pruned', await data(page, '#history', 'failed') === '1' &&
      await data(page, '#history', 'pruned') === '0');
    check('history: best so far is the best objective', Math.abs(+await data(page, '#history', 'best') - (1 / 8 + 0.2)) < 1e-9);
    check('parallel coordinates: 8 lines on 4 axes (3 parameters + loss)',
      await data(page, '#parallel', 'lines') === '8' && await data(page, '#parallel', 'axes') === '4');
    check('learning curves: 11 lines, 8x5 + 2 + 2x3 points',
      await data(page, '#curves', 'lines') === '11' && await data(page, '#curves', 'points') === String(8 * 5 + 2 + 2 * 3),
      `${await data(page, '#curves', 'lines')} lines ${await data(page, '#curves', 'points')} points`);
    check('parameter importance: 3 parameters', await data(page, '#importance', 'params') === '3');
    check('trials table: 11 rows', await data(page, '#trials', 'rows') === '11');
    const spec = JSON.parse(await page.textContent('#spec'));
    check('the sweep spec is shown', spec.name === 'browser-test' && spec.parameters.lr.distribution === 'log_uniform');

    // Live: a report and a completion appear without a reload.
    await c.call('POST', `trials/${running[0].id}/report`, { client_id: running[0].client_id, step: 4, values: { loss: 0.3 } });
    check('a new report appears without reload', await waitData(page, '#curves', 'points', 8 * 5 + 2 + 2 * 3 + 1));
    await c.call('POST', `trials/${running[0].id}/complete`, { client_id: running[0].client_id, values: { loss: 0.25 } });
    check('a completion appears in the history without reload', await waitData(page, '#history', 'points', 9));
    check('the header follows', await page.waitForFunction(() => document.querySelector('#sweep-header').textContent.includes('9 done, 1 running'),
      null, { timeout: 60000 }).then(() => true, () => false));
    await page.screenshot({ path: path.join(OUT, 'sweep.png') });
    await page.screenshot({ path: path.join(OUT, 'sweep_full.png'), fullPage: true });

    // Trials table: sort and filter.
    const objectives = () => page.$$eval('#trials tbody tr', (rows) => rows.map((r) => r.children[2].textContent).filter((t) => t !== '').map(Number));
    await page.click('#trials th[data-key="objective"]');
    let v = await objectives();
    check('sorting by objective ascending', v.length === 9 && v.every((x, i) => i === 0 || v[i - 1] <= x), JSON.stringify(v));
    await page.click('#trials th[data-key="objective"]');
    v = await objectives();
    check('sorting by objective descending', v.length === 9 && v.every((x, i) => i === 0 || v[i - 1] >= x), JSON.stringify(v));
    await page.selectOption('#state-filter', 'failed');
    const failedRows = await page.$$eval('#trials tbody tr', (rows) => rows.map((r) => r.dataset.state));
    check('filtering by state', failedRows.length === 1 && failedRows[0] === 'failed', JSON.stringify(failedRows));
    check('the failure reason is shown', (await page.textContent('#trials tbody')).includes('diverged: loss is NaN'));
    await page.selectOption('#state-filter', '');

    // Brushing the objective axis of the parallel coordinates filters the table.
    const box = await page.$eval('#parallel', (e) => { const r = e.getBoundingClientRect(); return { x: r.right, y: r.top, h: r.height }; });
    await page.mouse.move(box.x - 40, box.y + box.h - 30);
    await page.mouse.down();
    await page.mouse.move(box.x - 40, box.y + box.h * 0.55, { steps: 4 });
    await page.mouse.up();
    const selected = +await data(page, '#parallel', 'selected');
    check('brushing selects some trials and filters the table',
      selected > 0 && selected < 9 && await data(page, '#trials', 'rows') === String(selected), `selected ${selected}`);

    // The coordinator restarts: the page reconnects and catches up.
    restarting = true;
    const port = c.port();
    await c.stop();
    check('the page notices the coordinator is gone', await page.waitForFunction(
      () => document.querySelector('#conn').textContent !== 'live', null, { timeout: 60000 }).then(() => true, () => false));
    await c.start(port);
    await page.waitForFunction(() => document.querySelector('#conn').textContent === 'live', null, { timeout: 60000 }).catch(() => {});
    restarting = false;
    await c.call('POST', `trials/${running[1].id}/complete`, { client_id: running[1].client_id, values: { loss: 0.21 } });
    check('after a restart the page reconnects and shows a new result', await waitData(page, '#history', 'points', 10));

    // Cancel with the token, entered once.
    await page.click('#token-open');
    await page.fill('#token-input', c.token);
    await page.click('#token-form button[type="submit"]');
    await waitData(page, '#main', 'loaded', 1);
    await page.waitForSelector('#cancel:not([disabled])', { timeout: 60000 });
    await page.click('#cancel');
    check('cancel with the token changes the state', await page.waitForFunction(
      () => document.querySelector('#sweep-state').textContent === 'cancelled', null, { timeout: 60000 }).then(() => true, () => false));
    check('the token is kept in session storage', await page.evaluate(() => sessionStorage.getItem('hpsweep_token')) === c.token);
    const stored = await c.call('GET', 'sweeps/1');
    check('the coordinator has the sweep cancelled', stored.state === 'cancelled', stored.state);
    await page.screenshot({ path: path.join(OUT, 'sweep_cancelled.png') });

    check('no console errors', consoleErrors.length === 0, JSON.stringify(consoleErrors));
  } finally {
    await browser.close();
    await c.stop();
  }
  finish();
}

main().catch((e) => { console.error(e); check('the test ran to its end', false); finish(); });
