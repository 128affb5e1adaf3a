// Throughput benchmark: meter readings ingested per second through EnergyData.submitReadings,
// against balance transfers per second, on the same node in the same run.
//
//   node bench-readings.mjs [--ws ws://127.0.0.1:9944] [--devices 9984] [--transfers 20000]
//                           [--batches 100,500]
//
// Start the node with a large pool, e.g. `gridbrain-node --dev --tmp --pool-limit 100000
// --pool-kbytes 200000` (scripts/bench-readings.sh does this).
//
// Method (the same for both workloads): every extrinsic is built and signed before the clock
// starts; then all are submitted as fast as possible and the clock stops when the block that
// includes the last one is imported. rate = items / elapsed seconds. Also reported: the fullest
// block's items / block time, the capacity a sustained load gets (the end-to-end rate of a
// two-block burst is quantized by the block time).
//
// Setup: 156 accounts (//bench//i) are funded and register 64 prosumer devices each (the
// per-account limit), each with its own ed25519 meter key (seed blake2("gridbrain-bench-meter-d")). Readings are for the
// two ended intervals still inside the submission window, so each device contributes 2.

import { ApiPromise, WsProvider } from '@polkadot/api';
import { Keyring } from '@polkadot/keyring';
import { blake2AsU8a, cryptoWaitReady } from '@polkadot/util-crypto';
import { u8aToHex } from '@polkadot/util';
import { certifiedRegistration, devRegistrar } from './certificate.mjs';
import { arg, log, presign, readingPayload, timedRun, waitUntil } from './bench-common.mjs';

const WS = arg('ws', 'ws://127.0.0.1:9944');
const DEVICES = Number(arg('devices', '9984'));
const TRANSFERS = Number(arg('transfers', '20000'));
const BATCHES = arg('batches', '100,500').split(',').map(Number);
const PER_ACCOUNT = 64;

async function main() {
  await cryptoWaitReady();
  const api = await ApiPromise.create({ provider: new WsProvider(WS), noInitWarn: true });
  const sr = new Keyring({ type: 'sr25519' });
  const ed = new Keyring({ type: 'ed25519' });
  const alice = sr.addFromUri('//Alice');
  const unit = 10n ** BigInt(api.registry.chainDecimals[0]);
  const nAccounts = Math.ceil(DEVICES / PER_ACCOUNT);
  const accounts = [...Array(nAccounts).keys()].map((i) => sr.addFromUri(`//bench//${i}`));
  // Meter keys from hashed seeds: deriving ~10,000 keys from URIs (PBKDF2 each) would block
  // the event loop for a minute and time out the API's requests.
  const registrar = devRegistrar();
  const validUntil = (await api.call.energyDataApi.currentInterval()).toNumber() + 100_000;
  const meters = [...Array(DEVICES).keys()]
    .map((d) => ed.addFromSeed(blake2AsU8a(`gridbrain-bench-meter-${d}`)));

  // --- setup: fund accounts, register devices
  const firstDevice = (await api.query.energyData.nextDeviceId()).toNumber();
  log(`funding ${nAccounts} accounts and registering ${DEVICES} devices`);
  const funding = await presign(api, alice,
    accounts.map((a) => api.tx.balances.transferKeepAlive(a.address, 1000n * unit)));
  await Promise.all(funding.map((tx) => api.rpc.author.submitExtrinsic(tx)));
  await waitUntil('funding', async () =>
    (await api.query.system.account(accounts[nAccounts - 1].address)).data.free.toBigInt() > 0n);
  const registrations = [];
  for (let i = 0; i < nAccounts; i++) {
    const calls = [];
    for (let j = 0; j < PER_ACCOUNT && i * PER_ACCOUNT + j < DEVICES; j++) {
      const d = i * PER_ACCOUNT + j;
      calls.push(await certifiedRegistration(api, { registrar, owner: accounts[i].address, meter: meters[d], kind: 'Prosumer', capacityW: 10_000_000, zone: d % 16, validUntil }));
    }
    registrations.push(...await presign(api, accounts[i], calls));
  }
  await Promise.all(registrations.map((tx) => api.rpc.author.submitExtrinsic(tx)));
  await waitUntil('registrations', async () =>
    (await api.query.energyData.nextDeviceId()).toNumber() >= firstDevice + DEVICES);
  // Device ids follow inclusion order, not submission order: look each meter's device up.
  const deviceOf = [];
  for (let i = 0; i < DEVICES; i += 1000) {
    const ids = await api.query.energyData.meterKeys.multi(
      meters.slice(i, i + 1000).map((m) => m.publicKey));
    deviceOf.push(...ids.map((id) => id.unwrap().toNumber()));
  }
  log(`devices ${firstDevice}..${firstDevice + DEVICES - 1} registered`);

  // --- baseline: balance transfers
  const perSender = Math.ceil(TRANSFERS / nAccounts);
  const transferTxs = [];
  for (let i = 0; i < nAccounts && transferTxs.length < TRANSFERS; i++) {
    const n = Math.min(perSender, TRANSFERS - transferTxs.length);
    // (a transfer to oneself emits no event: with one account, pay Alice)
    const dest = nAccounts > 1 ? accounts[(i + 1) % nAccounts].address : alice.address;
    transferTxs.push(...await presign(api, accounts[i],
      Array(n).fill(0).map(() => api.tx.balances.transferKeepAlive(dest, unit / 1000n))));
  }
  log(`submitting ${transferTxs.length} pre-signed transfers`);
  const t = await timedRun(api, transferTxs, (evs) =>
    evs.filter(({ event }) => api.events.balances.Transfer.is(event)).length, transferTxs.length);
  const transfersPerS = t.seen / t.elapsed;
  const blockS = api.consts.aura.slotDuration.toNumber() / 1000;
  log(`transfers: ${t.seen} in ${t.elapsed.toFixed(1)} s = ${transfersPerS.toFixed(0)}/s; per block: ${t.perBlock.join(', ')}`);

  // --- readings, for each batch size
  const results = [];
  let lastUsed = 0;
  for (const batch of BATCHES) {
    // Wait for the start of an interval whose two predecessors no earlier run used.
    const startInterval = Math.max(1, (await api.call.energyDataApi.currentInterval()).toNumber(),
      lastUsed + 2);
    await waitUntil('next interval', async () =>
      (await api.call.energyDataApi.currentInterval()).toNumber() > startInterval, 200);
    const current = (await api.call.energyDataApi.currentInterval()).toNumber();
    lastUsed = current - 1;
    const readings = [];
    for (const interval of [current - 1, current - 2]) {
      for (let d = 0; d < DEVICES; d++) {
        const device = deviceOf[d];
        const msg = readingPayload(api, device, interval, 1000, 500);
        readings.push({ device, interval, producedWh: 1000, consumedWh: 500,
          signature: u8aToHex(meters[d].sign(msg)) });
      }
    }
    const calls = [];
    for (let i = 0; i < readings.length; i += batch) {
      calls.push(api.tx.energyData.submitReadings(readings.slice(i, i + batch)));
    }
    const relayer = sr.addFromUri(`//bench//relayer//${batch}`);
    const [fund] = await presign(api, alice,
      [api.tx.balances.transferKeepAlive(relayer.address, 10000n * unit)]);
    await api.rpc.author.submitExtrinsic(fund);
    await waitUntil('relayer funding', async () =>
      (await api.query.system.account(relayer.address)).data.free.toBigInt() > 0n);
    const signed = await presign(api, relayer, calls);
    log(`batch ${batch}: submitting ${readings.length} readings in ${calls.length} extrinsics`);
    const r = await timedRun(api, signed, (evs) => evs
      .filter(({ event }) => api.events.energyData.ReadingsSubmitted.is(event))
      .reduce((n, { event }) => n + event.data.accepted.toNumber(), 0), readings.length);
    const perS = r.seen / r.elapsed;
    results.push({ batch, readings: r.seen, seconds: r.elapsed, perS, fullest: r.fullest });
    log(`readings (batch ${batch}): ${r.seen} in ${r.elapsed.toFixed(1)} s = ${perS.toFixed(0)}/s; per block: ${r.perBlock.join(', ')}`);
  }

  // Two measures: end to end (items / seconds from the first submission to the block with the
  // last one: a burst of two blocks is quantized by the 6 s block time), and block capacity (the
  // fullest block's items / block time: what a sustained load gets).
  const cap = (n) => n / blockS;
  console.log('\nresult (same node, same run):');
  console.log(`  balance transfers: ${transfersPerS.toFixed(0)}/s end to end; ` +
    `fullest block ${t.fullest} = ${cap(t.fullest).toFixed(0)}/s`);
  for (const r of results) {
    console.log(`  readings, batch ${r.batch}: ${r.perS.toFixed(0)}/s end to end ` +
      `(ratio to transfers ${(r.perS / transfersPerS).toFixed(2)}); fullest block ${r.fullest} = ` +
      `${cap(r.fullest).toFixed(0)}/s (ratio ${(r.fullest / Math.max(1, t.fullest)).toFixed(2)})`);
  }
  await api.disconnect();
}

main().then(() => process.exit(0)).catch((e) => {
  console.error(`benchmark failed: ${e.stack ?? e}`);
  process.exit(1);
});
