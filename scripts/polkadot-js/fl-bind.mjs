// A validator registers its worker and (with --account) lets the worker sign with an account of
// its own, so the validator's secret never goes to the worker's host:
//   1. registerWorker(peerId, workerKey), unless the validator has a worker already (first, so
//      that workers registered at once by several validators join the same round);
//   2. with --account: transfers FUND GRID to the worker's account (its transaction fees);
//   3. with --account: setWorkerAccount(account).
// The worker's peer id and key come from `gridbrain-ml-worker identity --base-path DIR`.
//
//   node fl-bind.mjs --ws ws://127.0.0.1:9944 --validator //Bob [--account ADDRESS] \
//     --peer-id 0x... --worker-key 0x... [--fund 100]
//
// Prints one JSON line: {"validator": ADDRESS, "account": ADDRESS or null}. Exits non-zero
// unless every step's event was emitted.
import { ApiPromise, Keyring, WsProvider } from '@polkadot/api';
import { arg, log, send } from './bench-common.mjs';

const api = await ApiPromise.create({ provider: new WsProvider(arg('ws', 'ws://127.0.0.1:9944')), noInitWarn: true });
const validator = new Keyring({ type: 'sr25519' }).addFromUri(arg('validator', '//Alice'));
const account = arg('account', '');
const peerId = arg('peer-id', '');
const workerKey = arg('worker-key', '');
const fund = BigInt(arg('fund', '100')) * 10n ** 12n;
if (!peerId || !workerKey) {
  log('--peer-id and --worker-key are required');
  process.exit(2);
}
const step = async (what, tx, event) => {
  const { events, error } = await send(api, tx, validator);
  if (error || !events.some(({ event: e }) => event.is(e))) {
    log(`${what} failed: ${error ?? 'no event'}`);
    process.exit(1);
  }
  log(`${what}: ok`);
};
const workers = await api.call.federatedLearningApi.workers();
if (!workers.some((w) => w.validator.toString() === validator.address)) {
  await step('registerWorker', api.tx.federatedLearning.registerWorker(peerId, workerKey), api.events.federatedLearning.WorkerRegistered);
}
if (account) {
  await step(`transfer ${fund / 10n ** 12n} GRID to ${account}`, api.tx.balances.transferKeepAlive(account, fund), api.events.balances.Transfer);
  await step(`setWorkerAccount(${account})`, api.tx.federatedLearning.setWorkerAccount(account), api.events.federatedLearning.WorkerAccountSet);
}
console.log(JSON.stringify({ validator: validator.address, account: account || null }));
await api.disconnect();
