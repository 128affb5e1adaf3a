// Reads the FederatedLearning events of every block from #1 to the finalized head and prints
// one JSON line per round: participants, reveals, attestations, availability, outcome and the
// strikes recorded for it (by worker and reason).
//
//   node fl-report.mjs --ws ws://127.0.0.1:9944 [--from ROUND] [--to ROUND]
//
// Used by scripts/fl-integration.sh to report, per attack round, whether it finalized and who
// was struck.
import { ApiPromise, WsProvider } from '@polkadot/api';
import { arg } from './bench-common.mjs';

const api = await ApiPromise.create({ provider: new WsProvider(arg('ws', 'ws://127.0.0.1:9944')), noInitWarn: true });
const from = Number(arg('from', '0'));
const to = Number(arg('to', String(Number.MAX_SAFE_INTEGER)));
const head = (await api.rpc.chain.getHeader(await api.rpc.chain.getFinalizedHead())).number.toNumber();
const rounds = new Map();
const round = (r) => {
  if (!rounds.has(r)) {
    rounds.set(r, {
      round: r, participants: 0, opened: null, committed: 0, revealed: 0, attested: 0, available: null,
      unavailable: null, outcome: 'open', closed: null, votes: 0, strikes: [],
    });
  }
  return rounds.get(r);
};
for (let n = 1; n <= head; n++) {
  const hash = await api.rpc.chain.getBlockHash(n);
  const events = await (await api.at(hash)).query.system.events();
  for (const { event } of events) {
    if (event.section !== 'federatedLearning') continue;
    const d = event.data;
    const r = d.round?.toNumber?.();
    if (r === undefined || r < from || r > to) continue;
    const info = round(r);
    switch (event.method) {
      case 'RoundOpened': info.participants = d.participants.toNumber(); info.opened = n; break;
      case 'UpdateCommitted': info.committed += 1; break;
      case 'UpdateRevealed': info.revealed += 1; break;
      case 'AvailabilityAttested': info.attested += 1; break;
      case 'AvailabilityDecided': info.available = d.available.toNumber(); info.unavailable = d.unavailable.toNumber(); break;
      case 'RoundFinalized': info.outcome = 'finalized'; info.closed = n; info.votes = d.votes.toNumber(); break;
      case 'RoundFailed': info.outcome = `failed:${d.reason.toString()}`; info.closed = n; break;
      case 'StrikeRecorded': info.strikes.push({ worker: d.worker.toString(), reason: d.reason.toString(), strikes: d.strikes.toNumber() }); break;
      default: break;
    }
  }
}
for (const r of [...rounds.keys()].sort((a, b) => a - b)) console.log(JSON.stringify(rounds.get(r)));
await api.disconnect();
