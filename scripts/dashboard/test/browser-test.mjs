// Browser test of the dashboard: headless Chromium (Debian's, driven by playwright-core; no
// browser download) against a dev node running the demo load.
//
//   node test/browser-test.mjs --node PATH/gridbrain-node [--screenshots DIR] [--port 8090]
//                              [--rpc-port 9960] [--timeout 900] [--chromium /usr/bin/chromium]
//
// Starts the dev node (own base path, so it can be restarted), the demo load
// (scripts/polkadot-js/demo.mjs) and the dashboard server, registers a federated-learning
// worker for Alice (so rounds open), then checks in the browser, view by view:
//   network   heights and block time update live; arrow keys move between tabs;
//   trade     Ferdie's sell placed from the page rests, then fills against the demo's bid
//             (TradeExecuted shown as a trade on the page); Charlie's buy is placed and
//             cancelled from the page;
//   market    the order book depth, trades and VWAP/volume history of a traded interval;
//   energy    a sealed data block, and a reading's Merkle proof verified in the page (and a
//             reading changed by 1 Wh rejected);
//   settlement a settled interval, and Ferdie's account (trades, holds);
//   fl        the current round with Alice as participant, rounds and workers;
//   reconnect the node stopped: the page shows its banner; restarted: the banner goes away;
//   layout    a phone-sized viewport has no horizontal scrolling.
// Screenshots of every view go to DIR. Exits non-zero on the first failed check.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { ApiPromise, Keyring, WsProvider } from '@polkadot/api';
import { cryptoWaitReady } from '@polkadot/util-crypto';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
};
const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '../../..');
const NODE = arg('node', join(repo, 'target/release/gridbrain-node'));
const SHOTS = arg('screenshots', mkdtempSync(join(tmpdir(), 'dashboard-shots-')));
const PORT = Number(arg('port', '8090'));
const RPC = Number(arg('rpc-port', '9960'));
const TIMEOUT_S = Number(arg('timeout', '900'));
const CHROMIUM = arg('chromium', '/usr/bin/chromium');
const WS = `ws://127.0.0.1:${RPC}`;
const started = Date.now();
const log = (...a) => console.log(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s]`, ...a);
mkdirSync(SHOTS, { recursive: true });
const work = mkdtempSync(join(tmpdir(), 'dashboard-test-'));
const children = [];
let passes = 0;

function check(cond, what) {
  if (!cond) throw new Error(`check failed: ${what}`);
  passes += 1;
  log(`ok: ${what}`);
}

function start(name, cmd, args, opts = {}) {
  const out = openSync(join(work, `${name}.log`), 'a');
  const child = spawn(cmd, args, { stdio: ['ignore', out, out], ...opts });
  children.push(child);
  return child;
}

function startNode() {
  return start('node', NODE, ['--dev', '--base-path', join(work, 'chain'), '--rpc-port', String(RPC), '--port', '0',
    '--no-prometheus', '--no-telemetry', '--rpc-cors', 'all']);
}

async function stop(child) {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGINT');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 15000))]);
  if (child.exitCode === null) child.kill('SIGKILL');
}

async function cleanup() {
  for (const c of children.reverse()) await stop(c);
}

/** Waits until `fn()` is truthy (polling every second); returns its value. */
async function until(what, fn, timeoutS) {
  const deadline = Date.now() + timeoutS * 1000;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch { /* not yet */ }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutS} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

async function shot(page, name) {
  const path = join(SHOTS, `dashboard-${name}.png`);
  await page.screenshot({ path, fullPage: true });
  log(`screenshot ${path}`);
}

async function view(page, name) {
  await page.click(`#tab-${name}`);
  await page.waitForSelector(`#view-${name}[data-ready="true"]`, { timeout: 30000 });
}

const text = (page, sel) => page.locator(sel).innerText();

/** Places an order from the trade view's form and waits for its result line. */
async function placeFromPage(page, account, side, zone, interval, wh, price) {
  const before = await page.locator('#tr-log [data-result]:not([data-result="pending"])').count();
  await page.selectOption('#tr-account', { label: `${account} (development account)` });
  await page.selectOption('#tr-side', side);
  await page.fill('#tr-zone', String(zone));
  await page.fill('#tr-interval', String(interval));
  await page.fill('#tr-wh', String(wh));
  await page.fill('#tr-price', price);
  await page.click('#tr-place');
  await until(`${account}'s ${side.toLowerCase()} order`, async () =>
    (await page.locator('#tr-log [data-result]:not([data-result="pending"])').count()) > before, 60);
  const line = (await text(page, '#tr-log')).split('\n')[0];
  check(line.includes('✔'), `${account}'s ${side.toLowerCase()} from the page: ${line}`);
  return line;
}

async function main() {
  // --- the chain, the load and the page's server
  let node = startNode();
  await cryptoWaitReady();
  await until('the dev node', async () => (await fetch(`http://127.0.0.1:${RPC}`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'system_health', params: [] }),
  })).ok, 120);
  const api = await ApiPromise.create({ provider: new WsProvider(WS, 1000), noInitWarn: true });
  log(`dev node up at ${WS}`);
  const alice = new Keyring({ type: 'sr25519' }).addFromUri('//Alice');
  await new Promise((resolve, reject) => {
    api.tx.federatedLearning.registerWorker('0x0024080112' + '11'.repeat(32), '0x' + '42'.repeat(32))
      .signAndSend(alice, ({ status, dispatchError }) => {
        if (status.isInBlock) (dispatchError ? reject(new Error(`registerWorker: ${dispatchError}`)) : resolve());
      }).catch(reject);
  });
  log("Alice's federated-learning worker registered");
  await api.disconnect();
  start('demo', process.execPath, [join(repo, 'scripts/polkadot-js/demo.mjs'), '--ws', WS], { cwd: join(repo, 'scripts/polkadot-js') });
  start('serve', process.execPath, [join(here, '../serve.mjs'), '--ws', WS, '--port', String(PORT)]);

  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await until('the dashboard server', async () => (await fetch(`http://127.0.0.1:${PORT}/`)).ok, 30);
  await page.goto(`http://127.0.0.1:${PORT}/#network`);

  // --- network: live heights and block time
  await page.waitForSelector('body[data-connection="ok"]', { timeout: 60000 });
  const h1 = await text(page, '#best');
  await until('a new best block on the page', async () => (await text(page, '#best')) !== h1, 30);
  await until('the block time', async () => /\d+\.\d+ s/.test(await text(page, '#net-blocktime')), 30);
  check(/#\d+/.test(await text(page, '#net-finalized')), `network view: best ${await text(page, '#best')}, finalized ${await text(page, '#net-finalized')}, block time ${await text(page, '#net-blocktime')}`);
  check((await text(page, '#net-validators')).includes('Alice'), 'network view lists Alice as a validator');
  await page.focus('#tab-network');
  await page.keyboard.press('ArrowRight');
  check(await page.getAttribute('#tab-market', 'aria-selected') === 'true', 'ArrowRight moves from the Network tab to the Market tab');
  await page.click('#tab-network');
  await shot(page, 'network');

  // --- trade: a sell that the demo's next bid fills, and a buy placed then cancelled
  await view(page, 'trade');
  await until('the development accounts', async () => (await page.locator('#tr-account option').count()) >= 6, 30);
  await until("the demo's first orders", async () => readFileSync(join(work, 'demo.log'), 'utf8').includes('orders placed'), 180);
  // The demo orders interval c + 2 during interval c: c + 3 is the next one it orders (c + 4
  // when interval c is about to end, so the page's order lands before the demo's).
  const best = Number((await text(page, '#best')).slice(1));
  const target = Number(await text(page, '#interval')) + (best % 10 >= 7 ? 4 : 3);
  const sold = await placeFromPage(page, 'Ferdie', 'Sell', 0, target, 100, '0.5');
  check(sold.includes('100 Wh resting'), `Ferdie's sell for interval ${target} rests`);
  await placeFromPage(page, 'Charlie', 'Buy', 0, target, 500, '0.2');
  await until("Charlie's open order and its Cancel button", async () => (await page.locator('#tr-open button[data-cancel]').count()) >= 1, 30);
  await shot(page, 'trade-open-order');
  await page.click('#tr-open button[data-cancel]');
  await until('the cancellation', async () => (await text(page, '#tr-log')).includes('cancelled'), 60);
  check((await text(page, '#tr-log')).includes('cancelled'), "Charlie's buy cancelled from the page");
  await until("Charlie's open orders emptied", async () => (await text(page, '#tr-open')).includes('no open orders'), 30);
  await page.selectOption('#tr-account', { label: 'Ferdie (development account)' });
  await until(`Ferdie's sell filled by the demo's bid in interval ${target}`, async () => {
    const t = await text(page, '#tr-trades');
    return t.split('\n').some((row) => row.startsWith(String(target)) && row.includes('sold'));
  }, 240);
  check(true, `TradeExecuted: Ferdie's sell from the page filled in interval ${target}, shown in the page's trades`);
  await shot(page, 'trade');
  // Resting orders on both sides of a later interval, for the market view's depth chart.
  const depthInterval = target + 2;
  await placeFromPage(page, 'Bob', 'Buy', 0, depthInterval, 300, '0.3');
  await placeFromPage(page, 'Charlie', 'Buy', 0, depthInterval, 500, '0.4');
  await placeFromPage(page, 'Dave', 'Buy', 0, depthInterval, 200, '0.25');
  await placeFromPage(page, 'Ferdie', 'Sell', 0, depthInterval, 200, '2.5');

  // --- market: the traded interval's book, trades and history
  await view(page, 'market');
  await page.fill('#mk-interval', String(target));
  await page.press('#mk-interval', 'Enter');
  await page.locator('#mk-interval').dispatchEvent('change');
  await until(`trades of interval ${target} in the market view`, async () => /\d+ trades for interval/.test(await text(page, '#mk-trades')) && !(await text(page, '#mk-trades')).startsWith('0 trades'), 60);
  check(Number(await page.getAttribute('#mk-history', 'data-points')) > 1, `market view: VWAP/volume history over ${await page.getAttribute('#mk-history', 'data-points')} intervals`);
  check((await text(page, '#mk-pairs')).includes('0 → 1'), 'market view: zone pair 0 → 1 with its capacity');
  await page.fill('#mk-interval', String(depthInterval));
  await page.locator('#mk-interval').dispatchEvent('change');
  await until(`the resting orders of interval ${depthInterval} in the depth chart`, async () => Number(await page.getAttribute('#mk-depth', 'data-orders')) >= 4, 60);
  check(Number(await page.getAttribute('#mk-depth', 'data-points')) >= 4, `market view: depth chart of interval ${depthInterval} over ${await page.getAttribute('#mk-depth', 'data-points')} price levels`);
  await shot(page, 'market');

  // --- energy: a sealed block and a reading's proof, verified in the page
  await view(page, 'energy');
  // A sealed interval with the demo's readings (its first intervals have none).
  const sealedWithReadings = await until('a sealed energy data block with readings', async () => {
    for (const o of await page.locator('#en-interval option').all()) {
      const label = await o.innerText();
      if (/\(([1-9]\d*) readings\)/.test(label)) return o.getAttribute('value');
    }
    return null;
  }, 420);
  await page.selectOption('#en-interval', sealedWithReadings);
  // The demo's wind device (Ferdie's) reports every interval.
  const windOption = await page.locator('#en-device option', { hasText: 'Ferdie' }).first().getAttribute('value');
  await page.selectOption('#en-device', windOption);
  await page.click('#en-verify');
  await page.waitForSelector('#en-result[data-result]', { timeout: 30000 });
  check(await page.getAttribute('#en-result', 'data-result') === 'verified', `energy view: ${(await text(page, '#en-result')).split('\n')[0]}`);
  await shot(page, 'energy');
  await page.check('#en-tamper');
  await page.click('#en-verify');
  await until('the tampered reading rejected', async () => (await page.getAttribute('#en-result', 'data-result')) === 'rejected', 30);
  check(true, 'energy view: a reading changed by 1 Wh does not verify');
  await page.uncheck('#en-tamper');

  // --- settlement
  await view(page, 'settlement');
  await until('a settled interval', async () => (await text(page, '#st-intervals')).includes('✔'), 300);
  await page.fill('#st-account', 'Ferdie');
  await page.click('#st-show');
  await until("Ferdie's account", async () => (await text(page, '#st-account-out')).includes('free'), 30);
  check((await text(page, '#st-intervals')).includes('✔'), 'settlement view: an interval fully settled');
  await shot(page, 'settlement');

  // --- federated learning
  await view(page, 'fl');
  await until('a round on the page', async () => /round \d+/.test(await text(page, '#fl-round')), 60);
  check((await text(page, '#fl-round')).includes('Alice'), `federated learning view: ${(await text(page, '#fl-round')).split('\n')[0]}`);
  check((await text(page, '#fl-workers')).includes('Alice'), 'federated learning view: Alice\'s worker');
  await shot(page, 'fl');

  // --- reconnect banner
  await view(page, 'network');
  await shot(page, 'network');
  await stop(node);
  await page.waitForSelector('#banner:not([hidden])', { timeout: 30000 });
  check((await text(page, '#banner')).includes('reconnecting') || (await text(page, '#banner')).includes('retrying'), `node stopped: the banner says "${await text(page, '#banner')}"`);
  await shot(page, 'disconnected');
  node = startNode();
  await page.waitForSelector('#banner[hidden]', { state: 'attached', timeout: 120000 });
  const before = await text(page, '#best');
  await until('new blocks after the restart', async () => (await text(page, '#best')) !== before, 60);
  check(true, `node restarted: banner gone, best block ${await text(page, '#best')}`);

  // --- layout on a phone-sized screen
  await page.setViewportSize({ width: 390, height: 844 });
  for (const name of ['network', 'market', 'trade']) {
    await view(page, name);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    check(overflow <= 0, `${name} view at 390 px wide: no horizontal scrolling (${overflow} px)`);
  }
  await shot(page, 'phone-trade');
  check(errors.length === 0, `no uncaught errors in the page${errors.length ? `: ${errors.join('; ')}` : ''}`);
  await browser.close();
}

const timer = setTimeout(async () => {
  console.error(`dashboard browser test timed out after ${TIMEOUT_S} s (logs in ${work})`);
  await cleanup();
  process.exit(1);
}, TIMEOUT_S * 1000);

main().then(async () => {
  clearTimeout(timer);
  await cleanup();
  rmSync(work, { recursive: true, force: true });
  log(`${passes} checks passed in ${((Date.now() - started) / 1000).toFixed(0)} s; screenshots in ${SHOTS}`);
  process.exit(0);
}, async (e) => {
  clearTimeout(timer);
  console.error(`dashboard browser test failed: ${e.stack ?? e}`);
  await cleanup();
  console.error(`logs kept in ${work}`);
  process.exit(1);
});
