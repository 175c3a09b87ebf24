// Shared pieces of the dashboard's browser tests: a real coordinator process,
// Debian's Chromium through playwright-core, checks that count, and waits on
// what the charts record on their canvases (data-points, data-lines, ...).
//
// Environment: COORDINATOR (binary), CHROMIUM (executable), WORK (a scratch
// folder), OUT (where screenshots go).
'use strict';

const { spawn } = require('child_process');
const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');

const env = (name) => {
  if (!process.env[name]) throw new Error(`${name} is not set`);
  return process.env[name];
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const results = { passed: 0, failed: 0 };
function check(what, ok, detail = '') {
  if (ok) { results.passed++; console.log(`ok    ${what}`); } else { results.failed++; console.log(`FAIL  ${what} ${detail}`); }
}

// A real hpsweep-coordinator on a data directory; call() talks to its API
// with its token.
class Coordinator {
  constructor(dataDir) { this.dataDir = dataDir; this.proc = null; this.url = null; }
  async start(port = 0) {
    const endpoint = path.join(this.dataDir, 'endpoint');
    fs.rmSync(endpoint, { force: true });
    this.proc = spawn(env('COORDINATOR'), ['--data-dir', this.dataDir, '--port', String(port)],
      { stdio: ['ignore', 'inherit', 'inherit'] });
    const exited = new Promise((r) => this.proc.once('exit', (code) => r(code)));
    for (let i = 0; i < 600; i++) {
      if (fs.existsSync(endpoint)) {
        this.url = fs.readFileSync(endpoint, 'utf8').trim();
        this.token = fs.readFileSync(path.join(this.dataDir, 'token'), 'utf8').trim();
        return;
      }
      if (await Promise.race([exited, sleep(100).then(() => 'wait')]) !== 'wait') break;
    }
    throw new Error('the coordinator did not start (no endpoint file)');
  }
  async stop() {
    if (!this.proc) return;
    const done = new Promise((r) => this.proc.once('exit', r));
    this.proc.kill('SIGTERM');
    await done;
    this.proc = null;
  }
  port() { return +new URL(this.url).port; }
  async call(method, p, body, raw) {
    const res = await fetch(this.url + '/api/v1/' + p, {
      method, body: raw !== undefined ? raw : body === undefined ? undefined : JSON.stringify(body),
      headers: { Authorization: 'Bearer ' + this.token,
        'Content-Type': raw !== undefined ? 'application/octet-stream' : 'application/json' },
    });
    const json = await res.json();
    if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  }
}

// Chromium, or exit 0 with "SKIPPED" when it cannot start at all.
async function launch() {
  try {
    return await chromium.launch({
      executablePath: env('CHROMIUM'),
      args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
      timeout: 90000,
    });
  } catch (e) {
    console.log(`SKIPPED: Chromium (${env('CHROMIUM')}) cannot start here: ${e.message.split('\n')[0]}`);
    process.exit(0);
  }
}

const data = (page, sel, key) => page.$eval(sel, (e, k) => e.dataset[k], key);
const waitData = (page, sel, key, want) => page.waitForFunction(
  ([s, k, w]) => { const e = document.querySelector(s); return e && e.dataset[k] === String(w); },
  [sel, key, want], { timeout: 60000 }).then(() => true, () => false);

// Prints the totals and exits 1 when any check failed.
function finish() {
  console.log(`${results.passed} passed, ${results.failed} failed`);
  process.exit(results.failed ? 1 : 0);
}

module.exports = { env, sleep, check, results, Coordinator, launch, data, waitData, finish };
