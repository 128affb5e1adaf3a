// End-to-end scenario through @polkadot/api against a running dev node (Alice is sudo and the
// only validator): meter certificates issued by the dev registrar (a self-signed and a
// front-run registration rejected), meter readings (valid, replayed, forged, over capacity, and
// a partly skipped batch), crossing orders in two zones, sealing, Merkle proof verified here in
// JavaScript, settlement with balances, holds and events checked, a certificate revocation that
// cancels the device's open sell order, and the federated-learning round query.
//
//   node scenario.mjs [--ws ws://127.0.0.1:9944] [--timeout 900]
//
// A fresh dev node needs about 6.5 minutes: the delivery interval must end, its readings window
// (two intervals of 10 blocks) must close, and then it is sealed and settled.

import { ApiPromise, Keyring, WsProvider } from '@polkadot/api';
import { blake2AsU8a, cryptoWaitReady } from '@polkadot/util-crypto';
import { u8aConcat, u8aEq, u8aToHex } from '@polkadot/util';
import { arg, log, readingPayload, send, waitUntil } from './bench-common.mjs';
import { certificatePayload, certifiedRegistration, devRegistrar, makeCertificate, possessionPayload } from './certificate.mjs';

const WS = arg('ws', 'ws://127.0.0.1:9944');
const TIMEOUT_S = Number(arg('timeout', '900'));

let passes = 0;
let failures = 0;
function check(cond, what) {
  if (cond) { passes += 1; console.log(`ok   ${what}`); } else { failures += 1; console.log(`FAIL ${what}`); }
}

async function ok(api, tx, signer, what) {
  const r = await send(api, tx, signer);
  check(r.error === null, `${what}${r.error ? ` (failed: ${r.error})` : ''}`);
  return r;
}

async function fails(api, tx, signer, expected, what) {
  const r = await send(api, tx, signer);
  check(r.error === expected, `${what} is rejected with ${expected}${r.error === expected ? '' : ` (got ${r.error})`}`);
}

const find = (api, events, section, method) =>
  events.filter(({ event }) => event.section === section && event.method === method).map(({ event }) => event);

async function currentInterval(api) {
  return (await api.call.energyDataApi.currentInterval()).toNumber();
}

/** Holds of `who` for a pallet's reason, as BigInt. */
async function held(api, who, pallet) {
  const holds = await api.query.balances.holds(who);
  return holds.filter((h) => h.id.type === pallet).reduce((s, h) => s + h.amount.toBigInt(), 0n);
}

/** Recomputes a sealed block's root from a reading proof (gridbrain-merkle, in JS). */
function verifyProof(leafBytes, proof, root) {
  let hash = blake2AsU8a(u8aConcat(new Uint8Array([0]), leafBytes), 256);
  let pos = proof.leafIndex.toNumber();
  let width = proof.leafCount.toNumber();
  if (pos >= width) return false;
  const siblings = proof.siblings.map((s) => s.toU8a());
  let k = 0;
  while (width > 1) {
    const isRight = pos % 2 === 1;
    const promoted = !isRight && pos + 1 === width;
    if (!promoted) {
      const sib = siblings[k++];
      if (sib === undefined) return false;
      hash = blake2AsU8a(u8aConcat(new Uint8Array([1]), isRight ? sib : hash, isRight ? hash : sib), 256);
    }
    pos = Math.floor(pos / 2);
    width = Math.ceil(width / 2);
  }
  const count = new Uint8Array(4);
  new DataView(count.buffer).setUint32(0, proof.leafCount.toNumber(), true);
  const top = blake2AsU8a(u8aConcat(new Uint8Array([2]), count, hash), 256);
  return k === siblings.length && u8aEq(top, root);
}

async function main() {
  await cryptoWaitReady();
  const api = await ApiPromise.create({ provider: new WsProvider(WS, 1000), noInitWarn: true, throwOnConnect: true });
  const UNIT = 10n ** BigInt(api.registry.chainDecimals[0]);
  const sr = new Keyring({ type: 'sr25519' });
  const ed = new Keyring({ type: 'ed25519' });
  const [alice, bob, charlie, dave, eve, ferdie] =
    ['Alice', 'Bob', 'Charlie', 'Dave', 'Eve', 'Ferdie'].map((n) => sr.addFromUri(`//${n}`));
  const meterC = ed.addFromUri('//gridbrain-scenario-meter-charlie');
  const meterF = ed.addFromUri('//gridbrain-scenario-meter-ferdie');
  log(`connected to ${WS}; interval ${await currentInterval(api)}`);

  // --- certified devices and the zone pair
  const deposit = api.consts.energyData.deviceDeposit.toBigInt();
  const registrar = devRegistrar();
  // A seller certifying its own meter (signing as if it were the registrar) is rejected.
  const meterX = ed.addFromUri('//gridbrain-scenario-meter-self');
  const selfCert = makeCertificate(api, {
    registrar: 0, serial: 1, meterKey: meterX.publicKey, owner: dave.address, kind: 'Producer',
    capacityW: 10_000_000, zone: 0, validUntil: 1_000_000,
  });
  await fails(api, api.tx.energyData.registerDevice(selfCert, meterX.sign(certificatePayload(api, selfCert)),
    meterX.sign(possessionPayload(api, dave.address, selfCert))), dave, 'energyData.BadCertificateSignature',
  'a self-certified 10 MW meter');
  const regCTx = await certifiedRegistration(api, { registrar, owner: charlie.address, meter: meterC, kind: 'Producer', capacityW: 60_000, zone: 1 });
  // Dave copies Charlie's registration (certificate and signatures) and submits it as his own.
  await fails(api, api.tx.energyData.registerDevice(...regCTx.args), dave, 'energyData.CertificateOwnerMismatch',
    'Charlie\'s certificate submitted by Dave (front-running)');
  const [regC, regF] = await Promise.all([
    ok(api, regCTx, charlie,
      'Charlie registers a 60 kW producer in zone 1 with a certificate of registrar 0'),
    ok(api, await certifiedRegistration(api, { registrar, owner: ferdie.address, meter: meterF, kind: 'Producer', capacityW: 6_000, zone: 0 }), ferdie,
      'Ferdie registers a 6 kW producer in zone 0 with a certificate of registrar 0'),
    ok(api, api.tx.sudo.sudo(api.tx.energyMarket.setZonePair(1, 0, UNIT / 10n, 10_000)), alice,
      'sudo sets zone pair 1 → 0 (fee 0.1 GRID/kWh, 10 kWh per interval)'),
  ]);
  const devC = find(api, regC.events, 'energyData', 'DeviceRegistered')[0]?.data.device.toNumber();
  const devF = find(api, regF.events, 'energyData', 'DeviceRegistered')[0]?.data.device.toNumber();
  check(devC !== undefined && devF !== undefined, `DeviceRegistered events (devices ${devC}, ${devF})`);
  check(await held(api, charlie.address, 'EnergyData') === deposit, `Charlie's device deposit is held (${deposit})`);

  // --- orders
  const c = await currentInterval(api);
  const I = c + 3;
  await fails(api, api.tx.energyMarket.placeOrder('Buy', 0, I, 0, UNIT), bob, 'energyMarket.ZeroQuantity',
    'an order of 0 Wh');
  await fails(api, api.tx.energyMarket.placeOrder('Buy', 0, I, 150, UNIT), bob, 'energyMarket.NotWholeLots',
    'an order of 150 Wh (quantities are whole lots of 100 Wh)');
  await fails(api, api.tx.energyMarket.placeOrder('Buy', 0, I, 100, 1n), bob, 'energyMarket.BelowMinimumValue',
    'an order worth less than 0.001 GRID (dust)');
  await fails(api, api.tx.energyMarket.placeOrder('Buy', 0, c, 100, UNIT), bob, 'energyMarket.GateClosed',
    'an order for the current interval');
  await Promise.all([
    ok(api, api.tx.energyMarket.placeOrder('Buy', 0, I, 400, 2n * UNIT), bob, `Bob bids 400 Wh at 2 GRID/kWh in zone 0 for interval ${I}`),
    ok(api, api.tx.energyMarket.placeOrder('Buy', 1, I, 300, 3n * UNIT / 2n), eve, 'Eve bids 300 Wh at 1.5 GRID/kWh in zone 1'),
  ]);
  const book = await api.call.energyMarketApi.orderBook(I, 0);
  check(book.bids.length === 1 && book.bids[0].owner.toString() === bob.address, 'orderBook(I, zone 0) shows Bob\'s bid');
  const sell = await ok(api, api.tx.energyMarket.placeOrder('Sell', 1, I, 700, UNIT), charlie,
    'Charlie offers 700 Wh at 1 GRID/kWh in zone 1');
  const trades = find(api, sell.events, 'energyMarket', 'TradeExecuted');
  const qty = trades.reduce((s, t) => s + t.data.quantityWh.toNumber(), 0);
  const cross = trades.find((t) => t.data.buyer.toString() === bob.address);
  check(trades.length === 2 && qty === 700, `two trades executed for 700 Wh (${trades.length}, ${qty} Wh)`);
  check(cross !== undefined && cross.data.feePerKwh.toBigInt() === UNIT / 10n,
    'the cross-zone trade with Bob pays the zone pair fee');
  check(await held(api, bob.address, 'EnergyMarket') > 0n, 'Bob\'s escrow is held');

  // --- readings once interval I has ended
  await waitUntil(`interval ${I + 1}`, async () => (await currentInterval(api)) > I, 600);
  log(`interval ${I} ended; submitting readings`);
  const reading = (device, interval, produced, meter) => ({
    device, interval, producedWh: produced, consumedWh: 0,
    signature: meter.sign(readingPayload(api, device, interval, produced, 0)),
  });
  const valid = reading(devC, I, 630, meterC);
  const forged = reading(devF, I, 90, meterC);
  const batch = await ok(api, api.tx.energyData.submitReadings([valid, forged]), dave,
    'a batch with a signed reading of 630 Wh (90 %) for Charlie\'s device and a forged one for Ferdie\'s');
  const submitted = find(api, batch.events, 'energyData', 'ReadingsSubmitted')[0]?.data;
  check(submitted?.accepted.toNumber() === 1 && submitted.skipped.length === 1 &&
    submitted.skipped[0].index.toNumber() === 1 && submitted.skipped[0].reason.type === 'BadSignature' &&
    submitted.skippedByReason[0]?.count.toNumber() === 1,
  'ReadingsSubmitted: 1 accepted, reading 1 skipped as BadSignature (the batch did not fail)');
  await Promise.all([
    fails(api, api.tx.energyData.submitReadings([valid]), dave, 'energyData.DuplicateReading', 'the same reading replayed alone'),
    fails(api, api.tx.energyData.submitReadings([{ ...reading(devF, I, 50, meterC) }]), eve,
      'energyData.BadSignature', 'a reading for Ferdie\'s device signed with another meter\'s key'),
    fails(api, api.tx.energyData.submitReadings([reading(devF, I, 500, meterF)]), ferdie,
      'energyData.ExceedsPhysicalBound', '500 Wh from a 6 kW device in a 1-minute interval'),
    fails(api, api.tx.energyData.submitReadings([{ ...valid, interval: I - 1 }]), bob,
      'energyData.BadSignature', 'a signature moved to another interval'),
  ]);

  // --- sealing, proof, settlement
  log(`waiting for interval ${I} to be sealed and settled`);
  const settledEvents = [];
  let sealedSeen = false;
  let settled = false;
  const unsub = await api.rpc.chain.subscribeNewHeads(async (header) => {
    const events = await (await api.at(header.hash)).query.system.events();
    for (const { event } of events) {
      if (event.section === 'energyData' && event.method === 'EnergyDataBlockSealed' && event.data.interval.toNumber() === I) sealedSeen = true;
      if (event.section === 'energyMarket' && event.method === 'TradeSettled' && event.data.interval.toNumber() === I) settledEvents.push(event);
      if (event.section === 'energyMarket' && event.method === 'IntervalSettled' && event.data.interval.toNumber() === I) settled = true;
    }
  });
  await waitUntil('sealing and settlement', async () => sealedSeen && settled, 600);
  unsub();
  check(sealedSeen, `EnergyDataBlockSealed for interval ${I}`);
  const block = (await api.call.energyDataApi.dataBlock(I)).unwrap();
  check(block.readingCount.toNumber() === 1 && block.totalProducedWh.toNumber() === 630,
    `dataBlock(${I}): 1 reading, 630 Wh produced`);
  const proof = (await api.call.energyDataApi.readingProof(I, devC)).unwrap();
  check(verifyProof(proof.leaf.toU8a(), proof.proof, block.readingsRoot.toU8a()),
    `readingProof(${I}, ${devC}) verifies against readingsRoot ${u8aToHex(block.readingsRoot.toU8a()).slice(0, 18)}… in JavaScript`);
  const tampered = proof.leaf.toU8a().slice();
  tampered[tampered.length - 9] ^= 1;
  check(!verifyProof(tampered, proof.proof, block.readingsRoot.toU8a()), 'a tampered leaf does not verify');
  const delivered = settledEvents.reduce((s, e) => s + e.data.deliveredWh.toNumber(), 0);
  const undelivered = settledEvents.reduce((s, e) => s + e.data.undeliveredWh.toNumber(), 0);
  const imbalance = settledEvents.reduce((s, e) => s + e.data.imbalanceCharge.toBigInt(), 0n);
  check(settledEvents.length === 2 && delivered === 630 && undelivered === 70,
    `both trades settled: 630 Wh delivered, 70 Wh undelivered (${settledEvents.length} events)`);
  const imbalancePrice = api.consts.energyMarket.imbalancePrice.toBigInt();
  check(imbalance === 70n * imbalancePrice / 1000n, `imbalance charge is 70 Wh × ImbalancePrice (${imbalance})`);
  for (const [who, name] of [[bob, 'Bob'], [eve, 'Eve']]) {
    check(await held(api, who.address, 'EnergyMarket') === 0n, `${name}'s escrow is fully released or paid`);
  }
  check(await held(api, charlie.address, 'EnergyMarket') === 0n && await held(api, charlie.address, 'EnergyData') === deposit,
    'Charlie holds only the device deposit after settlement');
  const stats = await api.call.energyMarketApi.intervalStats(I);
  check(stats.stats.volumeWh.toNumber() === 700, `intervalStats(${I}): volume 700 Wh`);

  // --- revocation: the registrar revokes Ferdie's certificate; his open sell order is cancelled
  const J = (await currentInterval(api)) + 3;
  await ok(api, api.tx.energyMarket.placeOrder('Sell', 0, J, 100, 5n * UNIT), ferdie, `Ferdie offers 100 Wh at 5 GRID/kWh for interval ${J}`);
  check(await held(api, ferdie.address, 'EnergyMarket') > 0n, 'Ferdie\'s collateral is held');
  const serialF = (await api.query.energyData.devices(devF)).unwrap().certificate.unwrap().serial;
  const rev = await ok(api, api.tx.energyData.revokeCertificate(0, serialF), registrar.account,
    'the registrar revokes the certificate of Ferdie\'s meter');
  check(find(api, rev.events, 'energyData', 'CertificateRevoked')[0]?.data.device.unwrap().toNumber() === devF,
    'CertificateRevoked names Ferdie\'s device');
  check(find(api, rev.events, 'energyMarket', 'OrderCancelled').length === 1 &&
    await held(api, ferdie.address, 'EnergyMarket') === 0n, 'his open sell order is cancelled and its hold released');
  await fails(api, api.tx.energyMarket.placeOrder('Sell', 0, J, 100, UNIT), ferdie, 'energyMarket.NoCertifiedDevice',
    'a sale backed by the revoked meter');

  // --- federated learning
  if ((await api.query.federatedLearning.workers(alice.address)).isNone) {
    await ok(api, api.tx.federatedLearning.registerWorker('0x0024080112' + 'ab'.repeat(32), '0x' + '77'.repeat(32)), alice,
      'Alice (the validator) registers her worker');
  }
  const round = await waitUntil('a federated-learning round', async () => {
    const r = await api.call.federatedLearningApi.currentRound();
    return r.isSome ? r.unwrap() : null;
  }, 60);
  check(round.participants.some((a) => a.toString() === alice.address),
    `currentRound(): round ${round.index.toNumber()} in ${round.phase.type} with Alice, quorum ${round.quorum.toNumber()}`);
  await fails(api, api.tx.federatedLearning.revealUpdate(round.index, '0x' + '11'.repeat(32), '0x' + '22'.repeat(32), 1, 1),
    alice, round.phase.isCommit ? 'federatedLearning.RevealTooEarly'
      : round.phase.isReveal ? 'federatedLearning.NotCommitted' : 'federatedLearning.RevealTooLate',
    'a reveal without a commitment');
  // Availability attestations: Alice never revealed, so her round never reaches its attest
  // phase (it fails without commits or reveals); an attestation is too early, or too late if
  // the round closed before the transaction was included.
  const now = (await api.call.federatedLearningApi.currentRound()).unwrap();
  const attest = await send(api, api.tx.federatedLearning.attestAvailability(now.index, []), alice);
  check(['federatedLearning.AttestTooEarly', 'federatedLearning.AttestTooLate'].includes(attest.error),
    `an attestation in round ${now.index.toNumber()} (${now.phase.type}) is rejected as too early or too late (got ${attest.error})`);
  // A worker account of its own: Alice binds it; its round calls then count as hers.
  const aliceWorker = sr.addFromUri('//Alice//worker');
  await fails(api, api.tx.federatedLearning.setWorkerAccount(alice.address), alice, 'federatedLearning.AccountIsValidator',
    'binding the validator\'s own account');
  await ok(api, api.tx.balances.transferKeepAlive(aliceWorker.address, UNIT), alice, 'Alice funds her worker account (fees)');
  const bind = await ok(api, api.tx.federatedLearning.setWorkerAccount(aliceWorker.address), alice,
    'setWorkerAccount(//Alice//worker)');
  check(find(api, bind.events, 'federatedLearning', 'WorkerAccountSet').length === 1 &&
    (await api.query.federatedLearning.actsFor(aliceWorker.address)).unwrapOr(null)?.toString() === alice.address,
  'WorkerAccountSet, and actsFor(worker account) is Alice');
  // In a commit phase with room for three transactions: the worker account commits, and the
  // commitment is Alice's; unbound, the same account is nobody.
  const commitRound = await waitUntil('a commit phase with 6 blocks left', async () => {
    const r = await api.call.federatedLearningApi.currentRound();
    const n = (await api.rpc.chain.getHeader()).number.toNumber();
    return r.isSome && r.unwrap().phase.isCommit && r.unwrap().commitEnd.toNumber() - n >= 6 ? r.unwrap() : null;
  }, 180);
  const byWorker = await ok(api, api.tx.federatedLearning.commitUpdate(commitRound.index, '0x' + '33'.repeat(32)), aliceWorker,
    `the worker account commits in round ${commitRound.index.toNumber()}`);
  check(find(api, byWorker.events, 'federatedLearning', 'UpdateCommitted').some((e) => e.data.worker.toString() === alice.address),
    'UpdateCommitted names Alice, not the worker account');
  await ok(api, api.tx.federatedLearning.setWorkerAccount(null), alice, 'setWorkerAccount(null) unbinds it');
  await fails(api, api.tx.federatedLearning.commitUpdate(commitRound.index, '0x' + '33'.repeat(32)), aliceWorker,
    'federatedLearning.NotParticipant', 'unbound, the worker account\'s commitment');
  await api.disconnect();
}

const timer = setTimeout(() => {
  console.error(`scenario timed out after ${TIMEOUT_S}s`);
  console.log(`${passes} passed, ${failures + 1} failed`);
  process.exit(1);
}, TIMEOUT_S * 1000);

main()
  .then(() => {
    clearTimeout(timer);
    console.log(`${passes} passed, ${failures} failed`);
    process.exit(failures === 0 ? 0 : 1);
  })
  .catch((e) => {
    clearTimeout(timer);
    console.error(`scenario error: ${e.stack ?? e}`);
    console.log(`${passes} passed, ${failures + 1} failed`);
    process.exit(1);
  });
