// Sets the FederatedLearning phase lengths (blocks) with sudo, for rounds that open from now on.
//
//   node fl-phases.mjs --ws ws://127.0.0.1:9944 [--commit 4] [--reveal 3] [--attest 3] [--aggregate 3] [--sudo //Alice]
//
// Exits non-zero unless the PhaseLengthsSet event is emitted.
import { ApiPromise, WsProvider } from '@polkadot/api';
import { Keyring } from '@polkadot/keyring';
import { arg, log, send } from './bench-common.mjs';

const api = await ApiPromise.create({ provider: new WsProvider(arg('ws', 'ws://127.0.0.1:9944')), noInitWarn: true });
const sudo = new Keyring({ type: 'sr25519' }).addFromUri(arg('sudo', '//Alice'));
const [commit, reveal, attest, aggregate] = ['commit', 'reveal', 'attest', 'aggregate'].map((p) => Number(arg(p, '3')));
const { events, error } = await send(
  api,
  api.tx.sudo.sudo(api.tx.federatedLearning.setPhaseLengths(commit, reveal, attest, aggregate)),
  sudo,
);
const set = events.find(({ event }) => api.events.federatedLearning.PhaseLengthsSet.is(event));
const sudid = events.find(({ event }) => api.events.sudo.Sudid.is(event));
const inner = sudid?.event.data.sudoResult;
if (error || !set || (inner && inner.isErr)) {
  log(`setPhaseLengths failed: ${error ?? (inner?.isErr ? inner.asErr.toString() : 'no PhaseLengthsSet event')}`);
  process.exit(1);
}
log(`phase lengths set: commit ${commit}, reveal ${reveal}, attest ${attest}, aggregate ${aggregate} blocks (next rounds)`);
await api.disconnect();
