// Demo load for a local testnet: meters and traders driven by the shipped real profiles
// (ml-worker/data/profiles_2016_hourly.csv, SimBench 2016, ODbL), one profile hour per delivery
// interval, until stopped or --intervals N have been traded.
//
//   node demo.mjs [--ws ws://127.0.0.1:9944] [--hour 3994] [--intervals 0]
//
// Devices (registered on start; meter keys derived from fixed seeds). Their owners are endowed
// dev accounts that are not validators, so the demo's transactions never race a worker's nonce:
//   Eve             PV      60 kW  zone 1  (profile `pv`)         sells its forecast production
//   Ferdie          wind    40 kW  zone 0  (profile `wind_a`)     sells its forecast production
//   //Eve//stash    homes   30 kW  zone 0  (profile `load_urban`) bids for its forecast consumption
//   //Ferdie//stash shops   40 kW  zone 1  (profile `load_comm`)  bids for its forecast consumption
// Each interval: orders for the first interval whose gate is open (GateClosureIntervals ahead), and, once
// interval c − 1 has ended, every meter's signed reading (forecast × a deterministic 0.85–1.05
// "weather" factor, so some trades are under-delivered). //Dave//stash submits the readings (any
// account may); Alice (sudo) sets the zone pairs once. The script prints what the chain does: trades, sealed data blocks, settlements,
// federated-learning rounds, and the validators' agreed dispatch per interval (the median of their workers' plans) with
// its realised imbalance once the interval is sealed.
import { readFileSync } from 'node:fs';
import { ApiPromise, Keyring, WsProvider } from '@polkadot/api';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { arg, log, readingPayload, send } from './bench-common.mjs';
import { certifiedRegistration, devRegistrar } from './certificate.mjs';

const WS = arg('ws', 'ws://127.0.0.1:9944');
const START_HOUR = Number(arg('hour', '3994'));
const MAX_INTERVALS = Number(arg('intervals', '0'));

const csv = readFileSync(new URL('../../ml-worker/data/profiles_2016_hourly.csv', import.meta.url), 'utf8')
  .trim().split('\n');
const cols = csv[0].split(',');
const rows = csv.slice(1).map((l) => l.split(',').map(Number));
const profile = (name, hour) => rows[hour % rows.length][cols.indexOf(name)];

await cryptoWaitReady();
const api = await ApiPromise.create({ provider: new WsProvider(WS, 1000), noInitWarn: true });

// Runtime API calls (`api.call.*`) are decorated from the metadata fetched at connection; after a
// forkless runtime upgrade @polkadot/api refreshes the metadata without them. Runtime calls go
// through a connection made for the runtime version in force (a new one after an upgrade).
let callApi = api;
let callSpec = api.runtimeVersion.specVersion.toNumber();
async function runtimeCalls() {
  const spec = api.runtimeVersion.specVersion.toNumber();
  if (spec !== callSpec || !callApi.call.energyMarketApi) {
    if (callApi !== api) await callApi.disconnect();
    callApi = await ApiPromise.create({ provider: new WsProvider(WS), noInitWarn: true });
    callSpec = spec;
    log(`runtime version ${spec}: runtime API calls reconnected`);
  }
  return callApi.call;
}
const UNIT = 10n ** BigInt(api.registry.chainDecimals[0]);
const sr = new Keyring({ type: 'sr25519' });
const ed = new Keyring({ type: 'ed25519' });
const [alice, eve, ferdie, eveStash, ferdieStash, gateway] =
  ['Alice', 'Eve', 'Ferdie', 'Eve//stash', 'Ferdie//stash', 'Dave//stash'].map((n) => sr.addFromUri(`//${n}`));
const intervalBlocks = api.consts.energyData.intervalBlocks.toNumber();
const intervalHours = (intervalBlocks * api.consts.aura.slotDuration.toNumber()) / 3_600_000;

const DEVICES = [
  { who: eve, name: 'Eve PV', kind: 'Producer', watts: 60_000, zone: 1, profile: 'pv', price: UNIT },
  { who: ferdie, name: 'Ferdie wind', kind: 'Producer', watts: 40_000, zone: 0, profile: 'wind_a', price: UNIT },
  { who: eveStash, name: 'Homes', kind: 'Consumer', watts: 30_000, zone: 0, profile: 'load_urban', price: 2n * UNIT },
  { who: ferdieStash, name: 'Shops', kind: 'Consumer', watts: 40_000, zone: 1, profile: 'load_comm', price: 2n * UNIT },
];

/** Sends `tx` (retrying up to 5 times when the pool refuses it); throws on a dispatch error. */
async function must(tx, signer, what) {
  for (let attempt = 1; ; attempt++) {
    try {
      const r = await send(api, tx, signer);
      if (r.error) throw Object.assign(new Error(`${what}: ${r.error}`), { dispatch: true });
      return r;
    } catch (e) {
      if (e.dispatch || attempt >= 5) throw e;
      log(`${what}: ${e.message}; retrying`);
      await new Promise((r) => setTimeout(r, 3000));
    }
  }
}

// --- set up: devices (or reuse those of an earlier run) and the zone pairs
await Promise.all(DEVICES.map(async (d) => {
  d.meter = ed.addFromUri(`//gridbrain-demo-meter-${d.name.replace(' ', '-').toLowerCase()}`);
  const existing = await api.query.energyData.meterKeys(d.meter.publicKey);
  if (existing.isSome) {
    d.id = existing.unwrap().toNumber();
  } else {
    // The dev registrar (//Registrar, dev only) certifies each meter; the owner registers it.
    const tx = await certifiedRegistration(api, { registrar: devRegistrar(), owner: d.who.address, meter: d.meter, kind: d.kind, capacityW: d.watts, zone: d.zone });
    const r = await must(tx, d.who, `register ${d.name}`);
    d.id = r.events.find(({ event }) => event.method === 'DeviceRegistered').event.data.device.toNumber();
  }
}));
for (const d of DEVICES) log(`device ${d.id}: ${d.name}, ${d.kind}, ${d.watts / 1000} kW, zone ${d.zone}, profile ${d.profile}`);
await must(api.tx.sudo.sudo(api.tx.energyMarket.setZonePair(0, 1, UNIT / 10n, 20_000)), alice, 'zone pair 0 → 1');
await must(api.tx.sudo.sudo(api.tx.energyMarket.setZonePair(1, 0, UNIT / 10n, 20_000)), alice, 'zone pair 1 → 0');
log('zone pairs 0 ↔ 1 set (fee 0.1 GRID/kWh, 20 kWh per interval)');

/** Forecast Wh of a device in an interval (its profile hour). */
const hourOf = (interval) => START_HOUR + (interval - firstInterval);
// Orders are whole lots of 100 Wh (the runtime's `TradeLotWh`).
const LOT_WH = 100;
const forecastWh = (d, interval) => Math.floor(d.watts * profile(d.profile, hourOf(interval)) * intervalHours / LOT_WH) * LOT_WH;
/** Deterministic "weather": 0.85–1.05 of the forecast. */
const actualWh = (d, interval) => Math.floor(forecastWh(d, interval) * (0.85 + ((interval * 7 + d.id * 13) % 21) / 100));

const firstInterval = (await (await runtimeCalls()).energyDataApi.currentInterval()).toNumber();
const gate = api.consts.energyMarket.gateClosureIntervals.toNumber();
let ordered = firstInterval + gate + 1;
let read = firstInterval + 1;
let traded = 0;

// --- what the chain does
await api.rpc.chain.subscribeFinalizedHeads(async (header) => {
  // The block that applies a runtime upgrade holds events of the old runtime, which
  // @polkadot/api decodes with the new metadata: that block's events are skipped, not fatal.
  let events;
  try {
    events = await (await api.at(header.hash)).query.system.events();
  } catch (e) {
    log(`#${header.number.toNumber()}: events not decoded (${e.message.slice(0, 120)}); skipped`);
    return;
  }
  const trades = {};
  for (const { event: e } of events) {
    const d = e.data;
    if (e.section === 'energyMarket' && e.method === 'TradeExecuted') {
      const k = d.interval.toNumber();
      trades[k] = trades[k] ?? { n: 0, wh: 0 };
      trades[k].n += 1;
      trades[k].wh += d.quantityWh.toNumber();
    } else if (e.section === 'energyData' && e.method === 'EnergyDataBlockSealed') {
      log(`#${header.number} sealed interval ${d.interval}: ${d.readingCount} readings, ${d.totalProducedWh} Wh produced, ${d.totalConsumedWh} Wh consumed, root ${d.readingsRoot.toHex().slice(0, 14)}…`);
    } else if (e.section === 'energyMarket' && e.method === 'IntervalSettled') {
      const { stats, vwap } = await (await runtimeCalls()).energyMarketApi.intervalStats(d.interval);
      const price = vwap.isSome ? (Number(vwap.unwrap().toBigInt() * 1000n / UNIT) / 1000).toFixed(3) : '-';
      log(`#${header.number} settled interval ${d.interval}: ${stats.settledTrades} trades, ${stats.volumeWh} Wh traded (${stats.crossZoneWh} Wh across zones) at ${price} GRID/kWh, ${stats.deliveredWh} Wh delivered`);
    } else if (e.section === 'dispatch' && e.method === 'DispatchAgreed') {
      const v = (await (await runtimeCalls()).dispatchApi.dispatchFor(d.interval)).unwrap();
      const mw = (kw) => (Number(kw) / 1000).toFixed(1);
      const setpoints = v.setpointsKw.map(mw).join(' ');
      const total = mw(v.setpointsKw.reduce((a, x) => a + x.toBigInt(), 0n));
      log(`#${header.number} dispatch agreed for interval ${d.interval}: median of ${d.submitters}/${d.participants} plans (model v${d.modelVersions[0]}–v${d.modelVersions[1]}); zone net load forecast ${v.forecastKw.map(String).join(' / ')} kW; set-points ${setpoints} MW (Σ ${total} MW)`);
    } else if (e.section === 'dispatch' && e.method === 'DispatchMissed') {
      log(`#${header.number} dispatch missed for interval ${d.interval}: ${d.submitted} of ${d.needed} plans needed`);
    } else if (e.section === 'dispatch' && e.method === 'ImbalanceRecorded') {
      const v = (await (await runtimeCalls()).dispatchApi.dispatchFor(d.interval)).unwrap();
      const im = v.imbalance.unwrap();
      log(`#${header.number} imbalance of interval ${d.interval}: metered ${im.actualKw.map(String).join(' / ')} kW against the forecast ${v.forecastKw.map(String).join(' / ')} kW: net ${d.netKw} kW, Σ|per zone| ${d.absoluteKw} kW (${d.readingCount} readings)`);
    } else if (e.section === 'federatedLearning' && ['RoundFinalized', 'RoundFailed', 'RoundOpened'].includes(e.method)) {
      log(`#${header.number} federated learning: ${e.method} ${JSON.stringify(d.toJSON())}`);
    }
  }
  for (const [k, t] of Object.entries(trades)) log(`#${header.number} interval ${k}: ${t.n} trades, ${t.wh} Wh`);
});

// --- the load, interval after interval
for (;;) {
  const c = (await (await runtimeCalls()).energyDataApi.currentInterval()).toNumber();
  // Blocks left in interval c, counting the best block: orders sent now land in a later block.
  const blocksLeft = intervalBlocks - ((await api.rpc.chain.getHeader()).number.toNumber() % intervalBlocks);
  // Orders for the next open interval(s).
  while (ordered <= c + gate + 1) {
    const I = ordered++;
    if (I <= c + gate) continue; // its gate has closed
    if (I === c + gate + 1 && blocksLeft <= 2) {
      // Its gate closes when interval c ends, before these orders could be included.
      log(`interval ${I}: not ordered, its gate closes in ${blocksLeft} block(s)`);
      continue;
    }
    const placed = await Promise.all(DEVICES.map((d) => {
      const wh = forecastWh(d, I);
      if (wh === 0) return false;
      return must(api.tx.energyMarket.placeOrder(d.kind === 'Producer' ? 'Sell' : 'Buy', d.zone, I, wh, d.price), d.who,
        `${d.name} order for interval ${I}`).then(() => true, (e) => { log(`order not placed: ${e.message}`); return false; });
    }));
    const offered = DEVICES.filter((d) => d.kind === 'Producer').reduce((s, d) => s + forecastWh(d, I), 0);
    const wanted = DEVICES.filter((d) => d.kind === 'Consumer').reduce((s, d) => s + forecastWh(d, I), 0);
    log(`interval ${I} (profile hour ${hourOf(I)}): ${placed.filter(Boolean).length} orders placed, ${offered} Wh offered, ${wanted} Wh bid`);
  }
  // Readings of ended intervals, within the submission window.
  while (read < c) {
    const I = read++;
    const readings = DEVICES.map((d) => {
      const wh = actualWh(d, I);
      const [p, q] = d.kind === 'Producer' ? [wh, 0] : [0, wh];
      return { device: d.id, interval: I, producedWh: p, consumedWh: q, signature: d.meter.sign(readingPayload(api, d.id, I, p, q)) };
    });
    await must(api.tx.energyData.submitReadings(readings), gateway, `readings of interval ${I}`)
      .then(() => log(`interval ${I}: ${readings.length} signed readings submitted`))
      .catch((e) => log(`readings not submitted: ${e.message}`));
    traded += 1;
  }
  if (MAX_INTERVALS > 0 && traded >= MAX_INTERVALS) break;
  await new Promise((r) => setTimeout(r, 3000));
}
await api.disconnect();
