// polkadot.js check against a running gridbrain node (dev chain).
//
//   node check.mjs [--ws ws://127.0.0.1:9944] [--timeout 180]
//
// 1. connects with @polkadot/api and reads the runtime version and metadata;
// 2. checks the pallets and their indices that polkadot.js users rely on;
// 3. transfers 10 GRID from Alice to a fresh account and waits until the block is finalized;
// 4. checks the Transfer event, the fee event and both balances at the finalized block.
// Exits 0 on success, 1 with a message on the first failed check.

import { ApiPromise, WsProvider } from '@polkadot/api';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady, mnemonicGenerate } from '@polkadot/util-crypto';

import { arg, send, waitUntil } from './bench-common.mjs';

const WS = arg('ws', 'ws://127.0.0.1:9944');
const TIMEOUT_S = Number(arg('timeout', '180'));
const EXPECTED_PALLETS = {
  System: 0, Timestamp: 1, Aura: 2, Grandpa: 3, Balances: 4, TransactionPayment: 5, Sudo: 6,
  EnergyData: 10, EnergyMarket: 11, FederatedLearning: 12, Dispatch: 13,
};

let failures = 0;
let passes = 0;
function check(cond, what) {
  if (cond) {
    passes += 1;
    console.log(`ok   ${what}`);
  } else {
    failures += 1;
    console.log(`FAIL ${what}`);
  }
  return cond;
}

async function main() {
  await cryptoWaitReady();
  const provider = new WsProvider(WS, 1000);
  const api = await ApiPromise.create({ provider, noInitWarn: true, throwOnConnect: true });

  const version = api.runtimeVersion;
  console.log(`connected to ${WS}: ${version.specName.toString()} v${version.specVersion.toNumber()}, ` +
    `chain "${(await api.rpc.system.chain()).toString()}"`);
  check(version.specName.toString() === 'gridbrain', `specName is gridbrain (${version.specName})`);

  const pallets = api.runtimeMetadata.asLatest.pallets;
  for (const [name, index] of Object.entries(EXPECTED_PALLETS)) {
    const p = pallets.find((x) => x.name.toString() === name);
    check(p !== undefined && p.index.toNumber() === index, `pallet ${name} at index ${index}`);
  }
  const props = await api.rpc.system.properties();
  check(props.tokenSymbol.unwrapOrDefault().toString().includes('GRID'), 'token symbol GRID');

  const keyring = new Keyring({ type: 'sr25519' });
  const alice = keyring.addFromUri('//Alice');
  const fresh = keyring.addFromUri(mnemonicGenerate());
  const decimals = api.registry.chainDecimals[0];
  const amount = 10n * 10n ** BigInt(decimals);

  const aliceBefore = (await api.query.system.account(alice.address)).data.free.toBigInt();

  const result = await new Promise((resolve, reject) => {
    let unsub = () => {};
    api.tx.balances
      .transferKeepAlive(fresh.address, amount)
      .signAndSend(alice, ({ status, events, dispatchError }) => {
        if (dispatchError) {
          unsub();
          reject(new Error(`transfer failed: ${dispatchError.toString()}`));
        } else if (status.isInBlock) {
          console.log(`     transfer included in block ${status.asInBlock.toHex()}`);
        } else if (status.isFinalized) {
          unsub();
          resolve({ blockHash: status.asFinalized, events });
        } else if (status.isDropped || status.isInvalid || status.isUsurped) {
          unsub();
          reject(new Error(`transfer not included: ${status.type}`));
        }
      })
      .then((u) => { unsub = u; }, reject);
  });
  console.log(`     transfer finalized in block ${result.blockHash.toHex()}`);

  const transfer = result.events.find(({ event }) => api.events.balances.Transfer.is(event));
  check(transfer !== undefined, 'Balances.Transfer event emitted');
  if (transfer) {
    const { from, to, amount: moved } = transfer.event.data;
    check(from.toString() === alice.address && to.toString() === fresh.address &&
      moved.toBigInt() === amount, 'Transfer event has from = Alice, to = fresh account, amount = 10 GRID');
  }
  check(result.events.some(({ event }) => api.events.system.ExtrinsicSuccess.is(event)),
    'System.ExtrinsicSuccess event emitted');
  const feeEvent = result.events.find(({ event }) =>
    api.events.transactionPayment.TransactionFeePaid.is(event));
  check(feeEvent !== undefined, 'TransactionPayment.TransactionFeePaid event emitted');

  const at = await api.at(result.blockHash);
  const freshAfter = (await at.query.system.account(fresh.address)).data.free.toBigInt();
  check(freshAfter === amount, `fresh account holds exactly 10 GRID at the finalized block (${freshAfter})`);
  if (feeEvent) {
    const fee = feeEvent.event.data.actualFee.toBigInt() + feeEvent.event.data.tip.toBigInt();
    const aliceAfter = (await at.query.system.account(alice.address)).data.free.toBigInt();
    check(aliceBefore - aliceAfter === amount + fee,
      `Alice paid amount + fee (${aliceBefore - aliceAfter} = ${amount} + ${fee})`);
  }
  await checkFederatedLearning(api, alice);
  await checkDispatch(api, alice);

  const finalized = await api.rpc.chain.getHeader(await api.rpc.chain.getFinalizedHead());
  check(finalized.number.toNumber() >= 1, `finalized head is #${finalized.number.toNumber()}`);

  await api.disconnect();
}

/** Alice (the dev validator) registers a worker; the next block opens a round with her. */
async function checkFederatedLearning(api, alice) {
  const existing = await api.query.federatedLearning.workers(alice.address);
  if (existing.isNone) {
    const peerId = '0x0024080112' + '11'.repeat(32);
    const workerKey = '0x' + '42'.repeat(32);
    const { blockHash, events, error } = await send(api,
      api.tx.federatedLearning.registerWorker(peerId, workerKey), alice);
    if (error) throw new Error(`registerWorker failed: ${error}`);
    const reg = events.find(({ event }) => api.events.federatedLearning.WorkerRegistered.is(event));
    check(reg !== undefined && reg.event.data.validator.toString() === alice.address,
      'FederatedLearning.WorkerRegistered event for Alice');
    const n = (await api.rpc.chain.getHeader(blockHash)).number.toNumber();
    await waitUntil(`block #${n + 1}`, async () => (await api.rpc.chain.getHeader()).number.toNumber() > n, 60);
  } else {
    check(true, 'FederatedLearning: Alice already has a worker');
  }
  const round = await api.call.federatedLearningApi.currentRound();
  check(round.isSome && round.unwrap().participants.some((a) => a.toString() === alice.address),
    `runtime API currentRound() lists Alice as a participant (${round.isSome ? round.unwrap().phase.type : 'none'})`);
}

/**
 * The genesis grid map is served by the runtime API; Alice (now a participant) submits a plan
 * for the next interval: on a fresh dev chain no global model is finalized yet, so the chain
 * refuses it with `NoModel`; on a chain with a model, Alice alone is the quorum and the plan is
 * agreed at once.
 */
async function checkDispatch(api, alice) {
  const map = await api.call.dispatchApi.gridMap();
  check(map.isSome && Buffer.from(map.unwrap().case.toU8a(true)).toString() === 'pglib118' &&
    map.unwrap().generators.toNumber() === 74 && map.unwrap().zones.length === 2,
    'runtime API gridMap(): pglib118, 74 set-points, 2 zones');
  const interval = Math.floor((await api.rpc.chain.getHeader()).number.toNumber() / 10) + 2;
  const model = await api.query.federatedLearning.globalModel();
  const version = model.isSome ? model.unwrap().version.toNumber() : 0;
  const { events, error } = await send(api,
    api.tx.dispatch.submitPlan(interval, version, [1000, -2000], Array(74).fill(500)), alice);
  if (model.isNone) {
    check(error === 'dispatch.NoModel', `dispatch.submitPlan before any finalized model fails with NoModel (${error})`);
  } else {
    const agreed = events.find(({ event }) => api.events.dispatch.DispatchAgreed.is(event));
    check(error === null && agreed !== undefined, `dispatch.submitPlan by the only participant agrees interval ${interval} (${error})`);
    const view = await api.call.dispatchApi.dispatchFor(interval);
    check(view.isSome && view.unwrap().setpointsKw.length === 74, 'runtime API dispatchFor() returns the plan');
  }
}

const timer = setTimeout(() => {
  console.error(`polkadot.js check timed out after ${TIMEOUT_S}s`);
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
    console.error(`polkadot.js check error: ${e.message ?? e}`);
    console.log(`${passes} passed, ${failures + 1} failed`);
    process.exit(1);
  });
