// Prints each registered worker's strikes, one line each: `strikes <ss58> <n>`; with
// `--reset <ss58>` first clears that worker's strikes with sudo (`resetStrikes`).
//
//   node fl-strikes.mjs --ws ws://127.0.0.1:9944 [--reset ADDRESS] [--sudo //Alice]
import { ApiPromise, Keyring, WsProvider } from '@polkadot/api';
import { arg, log, send, sleep } from './bench-common.mjs';

const api = await ApiPromise.create({ provider: new WsProvider(arg('ws', 'ws://127.0.0.1:9944')), noInitWarn: true });
const reset = arg('reset', '');
if (reset) {
  const sudo = new Keyring({ type: 'sr25519' }).addFromUri(arg('sudo', '//Alice'));
  // The sudo account may also be a worker's signing account (Alice on the local testnet): a
  // worker transaction can take the nonce between our nonce query and our submission ("Priority
  // is too low" to replace it). Such a refusal is retried with the next nonce.
  let result;
  for (let attempt = 1; ; attempt++) {
    try {
      result = await send(api, api.tx.sudo.sudo(api.tx.federatedLearning.resetStrikes(reset)), sudo);
      break;
    } catch (e) {
      if (attempt >= 5 || !/Priority is too low|outdated|stale|extrinsic (Usurped|Dropped|Invalid)/i.test(e.message)) throw e;
      log(`resetStrikes refused (${e.message}); retrying`);
      await sleep(3000);
    }
  }
  const { events, error } = result;
  if (error || !events.some(({ event }) => api.events.federatedLearning.StrikesReset.is(event))) {
    log(`resetStrikes failed: ${error ?? 'no StrikesReset event'}`);
    process.exit(1);
  }
}
for (const w of await api.call.federatedLearningApi.workers()) {
  console.log(`strikes ${w.validator.toString()} ${w.strikes.toNumber()}`);
}
await api.disconnect();
