// Forkless runtime upgrade of a running testnet, and the checks that it went well.
//
//   node upgrade.mjs --wasm FILE [--ws ws://127.0.0.1:9944] [--nodes 9944,9945,9946,9947]
//                    [--sudo //Alice] [--timeout 900] [--state-out FILE]
//
// 1. Before: waits until the old runtime is live: a trade executed and a federated round
//    finalized (the demo load and the workers are running). It does not wait for that trade's
//    settlement: trades matched under the old storage must settle under the new runtime.
// 2. With --state-out, writes the chain's state (every top-level key and value at the best block,
//    JSON {"0xkey": "0xvalue"}) for the try-runtime test; then submits
//    sudo(system.setCode(FILE)) and waits for CodeUpdated.
// 3. After: every node reports the new spec_version; the market's storage version is 2 and its
//    ZoneBooks decode; the runtime APIs answer; a trade executed on the old runtime settles on
//    the new one; new trades execute and new federated rounds finalize on the new runtime.
// Prints the figures (time until every node runs the new version, finality lag during the
// upgrade against before it) and exits non-zero on the first failed check.
import { readFileSync, writeFileSync } from 'node:fs';
import { ApiPromise, WsProvider } from '@polkadot/api';
import { Keyring } from '@polkadot/keyring';
import { u8aToHex } from '@polkadot/util';
import { arg, log, send, sleep } from './bench-common.mjs';

const timeoutS = Number(arg('timeout', '900'));
const ports = arg('nodes', '9944,9945,9946,9947').split(',').map(Number);
const code = readFileSync(arg('wasm', ''));
const fail = (msg) => { log(`FAILED: ${msg}`); process.exit(1); };
const started = Date.now();
const deadline = () => { if ((Date.now() - started) / 1000 > timeoutS) fail(`timeout after ${timeoutS} s`); };

const api = await ApiPromise.create({ provider: new WsProvider(arg('ws', `ws://127.0.0.1:${ports[0]}`)), noInitWarn: true });
const nodes = await Promise.all(ports.map((p) => ApiPromise.create({ provider: new WsProvider(`ws://127.0.0.1:${p}`), noInitWarn: true })));
const sudo = new Keyring({ type: 'sr25519' }).addFromUri(arg('sudo', '//Alice'));

// What the chain does, block by block (best blocks of the first node).
const seen = { TradeExecuted: [], TradeSettled: [], RoundFinalized: [], CodeUpdated: [] };
// Trade `interval/index` -> block of its TradeExecuted and of its TradeSettled event.
const executedAt = new Map();
const settledAt = new Map();
let best = 0;
let finalized = 0;
const lag = []; // [block, best - finalized] sampled on every new head
await api.rpc.chain.subscribeFinalizedHeads((h) => { finalized = h.number.toNumber(); });
await api.rpc.chain.subscribeNewHeads(async (header) => {
  best = header.number.toNumber();
  lag.push([best, best - finalized]);
  try {
    const events = await (await api.at(header.hash)).query.system.events();
    for (const { event } of events) {
      if (event.method in seen) seen[event.method].push(best);
      if (event.section === 'energyMarket' && (event.method === 'TradeExecuted' || event.method === 'TradeSettled')) {
        const key = `${event.data.interval.toString()}/${event.data.trade.toString()}`;
        (event.method === 'TradeExecuted' ? executedAt : settledAt).set(key, best);
      }
    }
  } catch (e) {
    log(`cannot read the events of #${best}: ${e.message}`);
  }
});

async function specVersions() {
  return Promise.all(nodes.map(async (n) => (await n.rpc.state.getRuntimeVersion()).specVersion.toNumber()));
}

async function waitFor(what, pred) {
  log(`waiting for ${what}`);
  while (!(await pred())) { deadline(); await sleep(2000); }
  log(`  ${what}: yes (best #${best}, finalized #${finalized})`);
}

const before = await specVersions();
const oldSpec = before[0];
log(`nodes run spec_version ${before.join(', ')}; new code: ${code.length} bytes`);
if (new Set(before).size !== 1) fail('the nodes do not all run the same runtime');
const marketVersionBefore = (await api.query.energyMarket.palletVersion()).toNumber();
log(`EnergyMarket storage version before: ${marketVersionBefore}`);

await waitFor('a trade executed on the old runtime', () => seen.TradeExecuted.length > 0);
await waitFor('a federated round finalized on the old runtime', () => seen.RoundFinalized.length > 0);
const lagBefore = Math.max(...lag.map(([, l]) => l));

const stateOut = arg('state-out', '');
if (stateOut) {
  const provider = new WsProvider(`ws://127.0.0.1:${ports[0]}`);
  await provider.isReady;
  const at = (await api.rpc.chain.getBlockHash(best)).toHex();
  const keys = [];
  for (let start = null; ;) {
    const page = await provider.send('state_getKeysPaged', ['0x', 1000, start, at]);
    keys.push(...page);
    if (page.length < 1000) break;
    start = page[page.length - 1];
  }
  const state = {};
  for (let i = 0; i < keys.length; i += 200) {
    const chunk = keys.slice(i, i + 200);
    const values = await Promise.all(chunk.map((k) => provider.send('state_getStorage', [k, at])));
    chunk.forEach((k, j) => { if (values[j] !== null) state[k] = values[j]; });
  }
  writeFileSync(stateOut, JSON.stringify(state));
  log(`state at #${best}: ${Object.keys(state).length} keys written to ${stateOut}`);
  await provider.disconnect();
}

log('submitting sudo(system.setCode)');
const submitted = Date.now();
const { events, error, blockHash } = await send(api, api.tx.sudo.sudo(api.tx.system.setCode(u8aToHex(code))), sudo);
const sudid = events.find(({ event }) => api.events.sudo?.Sudid?.is(event));
const inner = sudid?.event.data.sudoResult;
if (error || (inner && inner.isErr)) fail(`setCode: ${error ?? inner.asErr.toString()}`);
const upgradeBlock = (await api.rpc.chain.getHeader(blockHash)).number.toNumber();
log(`setCode included in #${upgradeBlock} (${((Date.now() - submitted) / 1000).toFixed(1)} s after submission)`);

let allNew = null;
while (allNew === null) {
  deadline();
  const v = await specVersions();
  if (v.every((x) => x > oldSpec)) allNew = { at: Date.now(), versions: v };
  else await sleep(1000);
}
const newSpec = allNew.versions[0];
log(`every node runs spec_version ${allNew.versions.join(', ')} ${((allNew.at - submitted) / 1000).toFixed(1)} s after submission`);
if (new Set(allNew.versions).size !== 1) fail('the nodes run different new versions');

await waitFor(`the upgrade block #${upgradeBlock} finalized`, () => finalized >= upgradeBlock + 1);
const finalizedAfter = Date.now();

// Migrated storage and runtime APIs, read through the new metadata.
const marketVersionAfter = (await api.query.energyMarket.palletVersion()).toNumber();
log(`EnergyMarket storage version after: ${marketVersionAfter}`);
if (marketVersionAfter < marketVersionBefore) fail('the market storage version went down');
const books = await api.query.energyMarket.zoneBooks.entries();
const orders = books.reduce((n, [, b]) => n + b.length, 0);
log(`ZoneBooks decode: ${books.length} books, ${orders} resting orders`);
// Storage version 5 (runtime 116) gave every device slot the fills its device's sells took.
const slots = await api.query.energyMarket.deviceSlots.entries();
const takenBySells = slots.reduce((n, [, s]) => n + (s.isSome ? s.unwrap().takerTrades.toNumber() : 0), 0);
log(`DeviceSlots decode: ${slots.length} slots, ${takenBySells} fills taken by sells`);
// Runtime APIs through state_call (not api.call, whose decoration predates the upgrade).
const interval = Math.floor(best / 10);
const at = (await api.rpc.chain.getFinalizedHead()).toHex();
const apis = [
  ['EnergyMarketApi_interval_stats', api.createType('u32', interval).toHex()],
  ['EnergyDataApi_data_block', api.createType('u32', Math.max(interval - 3, 0)).toHex()],
  ['EnergyDataApi_current_interval', '0x'],
  ['FederatedLearningApi_current_round', '0x'],
  ['FederatedLearningApi_workers', '0x'],
];
for (const [method, args] of apis) {
  try {
    const out = await api.rpc.state.call(method, args, at);
    log(`runtime API ${method}: ${out.length} bytes`);
  } catch (e) {
    fail(`runtime API ${method}: ${e.message}`);
  }
}

const after = (list) => list.filter((b) => b > upgradeBlock).length;
await waitFor('a trade executed on the new runtime', () => after(seen.TradeExecuted) > 0);
// Matched before the upgrade block, settled after it: escrow and trade records crossed the migration.
const crossed = () => [...settledAt].filter(([k, b]) => b > upgradeBlock && executedAt.has(k) && executedAt.get(k) < upgradeBlock).length;
await waitFor('a trade executed on the old runtime settled on the new runtime', () => crossed() > 0);
await waitFor('a federated round finalized on the new runtime', () => after(seen.RoundFinalized) > 0);
const window = lag.filter(([b]) => b >= upgradeBlock - 2 && b <= upgradeBlock + 20);
const lagDuring = Math.max(...window.map(([, l]) => l));

console.log('');
console.log('upgrade rehearsal: PASSED');
console.log(`  spec_version ${oldSpec} -> ${newSpec}; EnergyMarket storage version ${marketVersionBefore} -> ${marketVersionAfter}`);
console.log(`  setCode in block #${upgradeBlock}; every node on ${newSpec} after ${((allNew.at - submitted) / 1000).toFixed(1)} s; upgrade block finalized after ${((finalizedAfter - submitted) / 1000).toFixed(1)} s`);
console.log(`  finality lag (best - finalized): at most ${lagDuring} blocks from #${upgradeBlock - 2} to #${upgradeBlock + 20}, at most ${lagBefore} before the upgrade`);
console.log(`  after the upgrade: ${after(seen.TradeExecuted)} blocks with trades, ${after(seen.TradeSettled)} with settlements (${crossed()} trades matched on the old runtime), ${after(seen.RoundFinalized)} finalized rounds`);
for (const n of [api, ...nodes]) await n.disconnect();
process.exit(0);
