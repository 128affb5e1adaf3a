// Market benchmark on one dev node, in one run:
//   1. balance transfers per second (baseline);
//   2. orders placed per second *with matching*: resting bids are placed first, then
//      `--orders` pre-signed sell orders, each filling against a bid (one trade per order);
//   3. settlement of those trades: meters report for the delivery interval, the interval is
//      sealed, and the script counts the blocks from the sealing block to `IntervalSettled`
//      (the block hook settles `MaxSettledPerBlock` per block; with `--settle-calls N` it also
//      submits N permissionless `settle(interval, 500)` calls when the seal is seen).
//
//   node bench-market.mjs [--ws ws://127.0.0.1:9944] [--orders 10000] [--sellers 100]
//                         [--transfers 10000] [--settle-calls 19]
//
// Method as in bench-readings.mjs: everything is signed before the clock starts; the clock
// stops when the block holding the last expected event is imported.

import { ApiPromise, WsProvider } from '@polkadot/api';
import { Keyring } from '@polkadot/keyring';
import { blake2AsU8a, cryptoWaitReady } from '@polkadot/util-crypto';
import { u8aToHex } from '@polkadot/util';
import { certifiedRegistration, devRegistrar } from './certificate.mjs';
import { arg, log, presign, readingPayload, sleep, timedRun, waitUntil } from './bench-common.mjs';

const WS = arg('ws', 'ws://127.0.0.1:9944');
const ORDERS = Number(arg('orders', '10000'));
const SELLERS = Number(arg('sellers', '100'));
const TRANSFERS = Number(arg('transfers', '10000'));
const SETTLE_CALLS = Number(arg('settle-calls', '19'));
const BIDS_PER_BUYER = 60; // below MaxOpenOrdersPerAccount (64)
const WH = 1000; // per sell order

async function main() {
  await cryptoWaitReady();
  const api = await ApiPromise.create({ provider: new WsProvider(WS), noInitWarn: true });
  const sr = new Keyring({ type: 'sr25519' });
  const ed = new Keyring({ type: 'ed25519' });
  const alice = sr.addFromUri('//Alice');
  const unit = 10n ** BigInt(api.registry.chainDecimals[0]);
  const price = unit / 10n; // 0.1 GRID per kWh
  const buyers = [...Array(Math.ceil(ORDERS * WH / (BIDS_PER_BUYER * 80 * WH))).keys()]
    .map((i) => sr.addFromUri(`//mkt//buyer//${i}`));
  const sellers = [...Array(SELLERS).keys()].map((i) => sr.addFromUri(`//mkt//seller//${i}`));
  const registrar = devRegistrar();
  const validUntil = (await api.call.energyDataApi.currentInterval()).toNumber() + 100_000;
  const meters = sellers.map((_, i) => ed.addFromSeed(blake2AsU8a(`gridbrain-bench-market-meter-${i}`)));
  const senders = [...Array(100).keys()].map((i) => sr.addFromUri(`//mkt//transfer//${i}`));
  const keeper = sr.addFromUri('//mkt//keeper');

  log(`funding ${buyers.length} buyers, ${SELLERS} sellers, ${senders.length} transfer senders`);
  const everyone = [...buyers, ...sellers, ...senders, keeper];
  // Alice has 1M GRID: buyers get 2,000 (their bids hold ~480 and 6 GRID of deposits), everyone else 500.
  const funding = await presign(api, alice, everyone.map((a) => api.tx.balances
    .transferKeepAlive(a.address, (buyers.includes(a) ? 2_000n : 500n) * unit)));
  await Promise.all(funding.map((tx) => api.rpc.author.submitExtrinsic(tx)));
  await waitUntil('funding', async () =>
    (await api.query.system.account(keeper.address)).data.free.toBigInt() > 0n);

  // One producing device per seller in zone 0 (10 MW: far above what is offered).
  const firstDevice = (await api.query.energyData.nextDeviceId()).toNumber();
  const regs = [];
  for (let i = 0; i < SELLERS; i++) {
    regs.push(...await presign(api, sellers[i],
      [await certifiedRegistration(api, { registrar, owner: sellers[i].address, meter: meters[i], kind: 'Producer', capacityW: 10_000_000, zone: 0, validUntil })]));
  }
  await Promise.all(regs.map((tx) => api.rpc.author.submitExtrinsic(tx)));
  await waitUntil('registrations', async () =>
    (await api.query.energyData.nextDeviceId()).toNumber() >= firstDevice + SELLERS);
  const deviceOf = new Map();
  for (let i = 0; i < SELLERS; i++) {
    const ids = await api.query.energyData.devicesByOwner(sellers[i].address);
    deviceOf.set(i, ids[0].toNumber());
  }
  log(`devices registered`);

  // --- 1. baseline: transfers
  const perSender = Math.ceil(TRANSFERS / senders.length);
  const transferTxs = [];
  for (let i = 0; i < senders.length && transferTxs.length < TRANSFERS; i++) {
    const n = Math.min(perSender, TRANSFERS - transferTxs.length);
    const dest = senders[(i + 1) % senders.length].address;
    transferTxs.push(...await presign(api, senders[i],
      Array(n).fill(0).map(() => api.tx.balances.transferKeepAlive(dest, unit / 1000n))));
  }
  log(`submitting ${transferTxs.length} transfers`);
  const t = await timedRun(api, transferTxs, (evs) =>
    evs.filter(({ event }) => api.events.balances.Transfer.is(event)).length, transferTxs.length);
  const transfersPerS = t.seen / t.elapsed;
  log(`transfers: ${t.seen} in ${t.elapsed.toFixed(1)} s = ${transfersPerS.toFixed(0)}/s`);

  // --- 2. orders with matching
  const current = (await api.call.energyDataApi.currentInterval()).toNumber();
  const interval = current + 5; // gate closes when current + 4 begins: ≥ 3 minutes
  const bidWh = 80 * WH;
  const nBids = Math.ceil(ORDERS / 80);
  const bidTxs = [];
  for (let b = 0; b < buyers.length; b++) {
    const n = Math.min(BIDS_PER_BUYER, nBids - b * BIDS_PER_BUYER);
    if (n <= 0) break;
    bidTxs.push(...await presign(api, buyers[b], Array(n).fill(0)
      .map(() => api.tx.energyMarket.placeOrder('Buy', 0, interval, bidWh, price))));
  }
  log(`placing ${bidTxs.length} resting bids of ${bidWh} Wh for interval ${interval}`);
  await timedRun(api, bidTxs, (evs) =>
    evs.filter(({ event }) => api.events.energyMarket.OrderPlaced.is(event)).length, bidTxs.length);

  const perSeller = Math.ceil(ORDERS / SELLERS);
  const sellTxs = [];
  for (let i = 0; i < SELLERS && sellTxs.length < ORDERS; i++) {
    const n = Math.min(perSeller, ORDERS - sellTxs.length);
    sellTxs.push(...await presign(api, sellers[i], Array(n).fill(0)
      .map(() => api.tx.energyMarket.placeOrder('Sell', 0, interval, WH, price))));
  }
  log(`submitting ${sellTxs.length} sell orders (each fills against a bid)`);
  let trades = 0;
  const o = await timedRun(api, sellTxs, (evs) => {
    trades += evs.filter(({ event }) => api.events.energyMarket.TradeExecuted.is(event)).length;
    return evs.filter(({ event }) => api.events.energyMarket.OrderPlaced.is(event)).length;
  }, sellTxs.length);
  const ordersPerS = o.seen / o.elapsed;
  log(`orders: ${o.seen} in ${o.elapsed.toFixed(1)} s = ${ordersPerS.toFixed(0)}/s, ${trades} trades`);
  const nowInterval = (await api.call.energyDataApi.currentInterval()).toNumber();
  if (nowInterval + 1 >= interval) log('warning: gate closure was reached during the run');

  // --- 3. settlement
  await waitUntil('delivery interval end', async () =>
    (await api.call.energyDataApi.currentInterval()).toNumber() > interval, 900);
  const readings = [];
  for (let i = 0; i < SELLERS; i++) {
    // 90 % of the sold energy is delivered: settlement pays, refunds and charges imbalance.
    const produced = Math.floor(perSeller * WH * 0.9);
    const device = deviceOf.get(i);
    const msg = readingPayload(api, device, interval, produced, 0);
    readings.push({ device, interval, producedWh: produced, consumedWh: 0,
      signature: u8aToHex(meters[i].sign(msg)) });
  }
  const [submit] = await presign(api, keeper, [api.tx.energyData.submitReadings(readings)]);
  await api.rpc.author.submitExtrinsic(submit);
  const settleTxs = await presign(api, keeper, Array(SETTLE_CALLS).fill(0)
    .map(() => api.tx.energyMarket.settle(interval, 500)));
  log(`readings submitted; waiting for interval ${interval} to be sealed`);

  let sealedAt = null;
  let settledAt = null;
  let settledTrades = 0;
  let resolveDone;
  const done = new Promise((r) => { resolveDone = r; });
  const unsub = await api.rpc.chain.subscribeNewHeads(async (header) => {
    const n = header.number.toNumber();
    const events = await (await api.at(header.hash)).query.system.events();
    for (const { event } of events) {
      if (api.events.energyData.EnergyDataBlockSealed.is(event)
        && event.data.interval.toNumber() === interval && sealedAt === null) {
        sealedAt = n;
        if (SETTLE_CALLS > 0) {
          settleTxs.forEach((tx) => api.rpc.author.submitExtrinsic(tx).catch(() => {}));
        }
      }
      if (api.events.energyMarket.TradeSettled.is(event)
        && event.data.interval.toNumber() === interval) settledTrades += 1;
      if (api.events.energyMarket.IntervalSettled.is(event)
        && event.data.interval.toNumber() === interval) { settledAt = n; resolveDone(); }
    }
  });
  await Promise.race([done, sleep(900_000)]);
  unsub();
  if (settledAt === null) throw new Error('interval not settled within 15 minutes');
  const blocks = settledAt - sealedAt + 1;
  log(`settled ${settledTrades} trades: sealed in #${sealedAt}, done in #${settledAt} (${blocks} blocks)`);

  console.log('\nresult (same node, same run):');
  console.log(`  balance transfers: ${transfersPerS.toFixed(0)}/s`);
  console.log(`  orders placed with matching: ${ordersPerS.toFixed(0)}/s ` +
    `(ratio to transfers ${(ordersPerS / transfersPerS).toFixed(2)}; ${trades} trades)`);
  console.log(`  settlement of ${settledTrades} trades: ${blocks} blocks ` +
    `(hook + ${SETTLE_CALLS} settle calls of 500)`);
  await api.disconnect();
}

main().then(() => process.exit(0)).catch((e) => {
  console.error(`benchmark failed: ${e.stack ?? e}`);
  process.exit(1);
});
