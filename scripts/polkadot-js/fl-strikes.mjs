// Prints each registered worker's strikes, one line each: `strikes <ss58> <n>`; with
// `--reset <ss58>` first clears that worker's strikes with sudo (`resetStrikes`).
//
//   node fl-strikes.mjs --ws ws://127.0.0.1:9944 [--reset ADDRESS] [--sudo //Alice]
import { ApiPromise, Keyring, WsProvider } from '@polkadot/api';
import { arg, log, send } from './bench-common.mjs';

const api = await ApiPromise.create({ provider: new WsProvider(arg('ws', 'ws://127.0.0.1:9944')), noInitWarn: true });
const reset = arg('reset', '');
if (reset) {
  const sudo = new Keyring({ type: 'sr25519' }).addFromUri(arg('sudo', '//Alice'));
  const { events, error } = await send(api, api.tx.sudo.sudo(api.tx.federatedLearning.resetStrikes(reset)), sudo);
  if (error || !events.some(({ event }) => api.events.federatedLearning.StrikesReset.is(event))) {
    log(`resetStrikes failed: ${error ?? 'no StrikesReset event'}`);
    process.exit(1);
  }
}
for (const w of await api.call.federatedLearningApi.workers()) {
  console.log(`strikes ${w.validator.toString()} ${w.strikes.toNumber()}`);
}
await api.disconnect();
