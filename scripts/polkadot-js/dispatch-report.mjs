// Reads the Dispatch pallet's record of a running chain and prints, per interval from the first
// agreed dispatch to the last sealed interval, whether a dispatch was agreed (and by how many of
// how many participants), its total set-points and its realised imbalance; then one JSON line
// with the totals: intervals covered / elapsed since the first agreement, the share of quorums
// of at least 2/3, and the mean per-interval absolute imbalance.
//
//   node dispatch-report.mjs [--ws ws://127.0.0.1:9944] [--count 1440]
//
// Used for the README's figures of a local testnet with workers and the demo load
// (scripts/local-testnet.sh 4 --with-workers --demo).
import { ApiPromise, WsProvider } from '@polkadot/api';
import { arg } from './bench-common.mjs';

const api = await ApiPromise.create({ provider: new WsProvider(arg('ws', 'ws://127.0.0.1:9944')), noInitWarn: true });
const count = Number(arg('count', '1440'));
const current = (await api.call.energyDataApi.currentInterval()).toNumber();
const recent = await api.call.dispatchApi.recent(count);
const agreed = new Map(recent.map((v) => [v.interval.toNumber(), v]));
const intervals = [...agreed.keys()].sort((a, b) => a - b);
if (intervals.length === 0) {
  console.log(JSON.stringify({ current, agreed: 0, note: 'no agreed dispatch yet' }));
  await api.disconnect();
  process.exit(0);
}
const first = intervals[0];
// Intervals that have started since the first agreement (the current one included).
const elapsed = current - first + 1;
let covered = 0;
let quorate = 0;
let imbalances = [];
console.log('| interval | agreed (plans / participants) | model | Σ set-points MW | forecast kW | metered kW | Σ|imbalance| kW |');
console.log('|---|---|---|---|---|---|---|');
for (let i = first; i <= current; i++) {
  const v = agreed.get(i);
  if (!v) {
    console.log(`| ${i} | no | | | | | |`);
    continue;
  }
  covered += 1;
  const [s, n] = [v.submitters.toNumber(), v.participants.toNumber()];
  if (3 * s >= 2 * n) quorate += 1;
  const mw = (Number(v.setpointsKw.reduce((a, x) => a + x.toBigInt(), 0n)) / 1000).toFixed(1);
  const im = v.imbalance.isSome ? v.imbalance.unwrap() : null;
  if (im) imbalances.push(Number(im.absoluteKw.toBigInt()));
  console.log(`| ${i} | ${s} / ${n} | v${v.modelVersions[0]}–v${v.modelVersions[1]} | ${mw} | ${v.forecastKw.map(String).join(' / ')} | ${im ? im.actualKw.map(String).join(' / ') : '-'} | ${im ? im.absoluteKw.toString() : '-'} |`);
}
const mean = imbalances.length ? Math.round(imbalances.reduce((a, b) => a + b, 0) / imbalances.length) : null;
console.log(JSON.stringify({ current, first, elapsed, covered, quorate, sealed_with_imbalance: imbalances.length, mean_absolute_imbalance_kw: mean }));
await api.disconnect();
