// Federated learning: the current round's phases, participants and strikes, the global model's
// versions, and recent rounds.
import { esc, money, num, setHtml, short, table, who } from '../format.js';

export default {
  mount(el) {
    el.innerHTML = `<div class="grid">
      <div class="card"><h2>Current round</h2><div id="fl-round"></div></div>
      <div class="card"><h2>Global model</h2><div id="fl-model"></div></div>
      <div class="card"><h2>Workers</h2><div id="fl-workers" class="scroll"></div></div>
      <div class="card"><h2>Recent rounds</h2><div id="fl-rounds" class="scroll"></div></div>
      <div class="card"><h2>Events (since this page opened)</h2><div id="fl-events" class="scroll"></div></div>
      <div class="card"><h2>Agreed dispatch</h2><p class="empty">The chain does not record an agreed dispatch per interval yet: this panel will show it once the runtime does.</p></div>
    </div>`;
  },

  async update(el, c) {
    const api = c.api;
    const [round, model, workers, next] = await Promise.all([
      api.call.federatedLearningApi.currentRound(), api.call.federatedLearningApi.globalModel(),
      api.call.federatedLearningApi.workers(), api.query.federatedLearning.nextRoundIndex(),
    ]);
    if (round.isNone) {
      setHtml(el.querySelector('#fl-round'), `<p class="empty">no round open (${workers.length} workers registered; a round opens when enough workers are registered)</p>`);
    } else {
      const r = round.unwrap();
      const opened = num(r.openedAt);
      const ends = [num(r.commitEnd), num(r.revealEnd), num(r.attestEnd), num(r.aggregateEnd)];
      const total = Math.max(1, ends[3] - opened);
      const pct = (b) => `${(100 * b) / total}%`;
      const at = Math.min(total, Math.max(0, c.best - opened));
      const subs = await api.call.federatedLearningApi.roundSubmissions(r.index);
      const committed = new Set(subs.commits.map(([a]) => a.toString()));
      const revealed = new Set(subs.reveals.map(([a]) => a.toString()));
      const attested = new Set(subs.attestations.map(([a]) => a.toString()));
      const available = new Set(r.available.map((a) => a.toString()));
      const voted = new Set(subs.aggregates.flatMap(([, voters]) => voters.map((v) => v.toString())));
      setHtml(el.querySelector('#fl-round'), `<p>round <b>${num(r.index)}</b> · phase <b id="fl-phase">${esc(r.phase.type)}</b> · rule ${esc(r.rule.type)} · quorum ${num(r.quorum)} of ${r.participants.length}</p>
        <div class="timeline" role="img" aria-label="round ${num(r.index)}: commit until block ${ends[0]}, reveal until ${ends[1]}, attest until ${ends[2]}, aggregate until ${ends[3]}; now block ${c.best}">
          <div class="commit" style="width:${pct(ends[0] - opened)}">commit → #${ends[0]}</div>
          <div class="reveal" style="width:${pct(ends[1] - ends[0])}">reveal → #${ends[1]}</div>
          <div class="attest" style="width:${pct(ends[2] - ends[1])}">attest → #${ends[2]}</div>
          <div class="aggregate" style="width:${pct(ends[3] - ends[2])}">aggregate → #${ends[3]}</div>
          <span class="now" style="left:${pct(at)}" title="now: #${c.best}"></span>
        </div>`
        + table(['participant', 'committed', 'revealed', 'attested', 'update available', 'voted'], r.participants.map((p) => {
          const a = p.toString();
          const mark = (s) => (s.has(a) ? '✔ yes' : '– no');
          const avail = r.available.length === 0 ? '–' : available.has(a) ? '✔ yes' : revealed.has(a) ? '<span class="bad">✖ no</span>' : '–';
          return [esc(who(c, a)), mark(committed), mark(revealed), mark(attested), avail, mark(voted)];
        })));
    }
    if (model.isNone) {
      setHtml(el.querySelector('#fl-model'), '<p class="empty">no global model finalized yet</p>');
    } else {
      const m = model.unwrap();
      setHtml(el.querySelector('#fl-model'), `<dl class="kv">
        <dt>version</dt><dd id="fl-version">${num(m.version)}</dd><dt>from round</dt><dd>${num(m.round)}</dd>
        <dt>parameters</dt><dd class="mono">${esc(short(m.paramsHash))}</dd>
        <dt>participants / votes</dt><dd>${num(m.participants)} / ${num(m.votes)}</dd>
        <dt>training samples</dt><dd>${num(m.totalSamples)}</dd>
        <dt>mean training loss</dt><dd>${(num(m.meanTrainLoss) / 1e6).toFixed(4)}</dd>
        <dt>finalized at</dt><dd>#${num(m.finalizedAt)}</dd></dl>`);
    }
    setHtml(el.querySelector('#fl-workers'), table(['validator', 'peer', 'deposit', 'registered', 'strikes'],
      workers.map((w) => [esc(who(c, w.validator)), `<span class="mono">${esc(short(w.peerId))}</span>`, money(c, w.deposit), `#${num(w.registeredAt)}`,
        num(w.strikes) > 0 ? `<span class="bad">⚠ ${num(w.strikes)}</span>` : '0']), 'no workers registered'));
    const last = num(next) - 1;
    const indices = Array.from({ length: Math.min(10, Math.max(0, last + 1)) }, (_, i) => last - i);
    const rounds = await Promise.all(indices.map((i) => api.call.federatedLearningApi.round(i)));
    setHtml(el.querySelector('#fl-rounds'), table(['round', 'opened', 'participants', 'outcome'],
      rounds.map((r, k) => {
        if (r.isNone) return [indices[k], '–', '–', 'pruned'];
        const v = r.unwrap();
        const p = v.phase;
        const outcome = p.isFinalized ? '<span class="good">✔ finalized</span>' : p.isFailed ? `<span class="bad">✖ failed (${esc(p.asFailed.type)})</span>` : esc(p.type);
        return [num(v.index), `#${num(v.openedAt)}`, v.participants.length, outcome];
      }), 'no rounds yet'));
    setHtml(el.querySelector('#fl-events'), table(['block', 'event', 'details'],
      c.feed.filter((e) => e.section === 'federatedLearning').slice(-40).reverse()
        .map((e) => [`#${e.block}`, esc(e.method), `<span class="mono">${esc(JSON.stringify(e.data.toHuman())).slice(0, 160)}</span>`]),
      'no federated-learning events since the page opened'));
  },
};
