// Network: validators, heights, block time, peers, recent blocks.
import { esc, setHtml, table, who } from '../format.js';

export default {
  mount(el) {
    el.innerHTML = `<div class="grid">
      <div class="card"><h2>Chain</h2><dl class="kv" id="net-chain"></dl></div>
      <div class="card"><h2>Validators</h2><div id="net-validators"></div></div>
      <div class="card"><h2>Recent blocks</h2><div id="net-blocks" class="scroll"></div></div>
    </div>`;
  },

  async update(el, c) {
    const api = c.api;
    // The API keeps `runtimeVersion` current across runtime upgrades.
    const version = api.runtimeVersion;
    const [health, aura, grandpa] = await Promise.all([
      api.rpc.system.health(), api.query.aura.authorities(), api.call.grandpaApi.grandpaAuthorities(),
    ]);
    const times = c.blockTimes;
    const gaps = times.slice(1).flatMap(([b, t], i) => (b === times[i][0] + 1 ? [t - times[i][1]] : []));
    const avg = gaps.length ? gaps.reduce((a, b) => a + b, 0) / gaps.length / 1000 : null;
    setHtml(el.querySelector('#net-chain'), `
      <dt>chain</dt><dd>${esc(c.chainName)}${c.dev ? ' <span class="muted">(development)</span>' : ''}</dd>
      <dt>node</dt><dd>${esc(c.node)}</dd>
      <dt>runtime</dt><dd>${esc(version.specName)} v${version.specVersion}</dd>
      <dt>best block</dt><dd id="net-best">#${c.best}</dd>
      <dt>finalized</dt><dd id="net-finalized">#${c.finalized} <span class="muted">(${c.best - c.finalized} behind)</span></dd>
      <dt>block time</dt><dd id="net-blocktime">${avg === null ? '–' : `${avg.toFixed(2)} s (last ${gaps.length} blocks; target ${c.consts.slotMs / 1000} s)`}</dd>
      <dt>peers</dt><dd id="net-peers">${health.peers.toNumber()}${health.isSyncing.isTrue ? ' · syncing' : ''}</dd>
      <dt>interval</dt><dd>${c.interval ?? '–'} <span class="muted">(${c.consts.intervalBlocks} blocks each)</span></dd>`);
    setHtml(el.querySelector('#net-validators'), `<p>${aura.length} authoring blocks (Aura), ${grandpa.length} voting on finality (GRANDPA)</p>` + table(
      ['validator', 'Aura key'],
      aura.map((k) => {
        const addr = api.createType('AccountId', k.toU8a()).toString();
        return [esc(who(c, addr)), `<span class="mono">${esc(addr.slice(0, 12))}…</span>`];
      }), 'no authorities'));
    const counts = new Map();
    for (const e of c.feed) counts.set(e.block, (counts.get(e.block) ?? 0) + 1);
    setHtml(el.querySelector('#net-blocks'), table(
      ['block', 'time (UTC)', 'gridbrain events'],
      times.slice(-12).reverse().map(([n, t]) => [`#${n}`, new Date(t).toISOString().slice(11, 19), counts.get(n) ?? 0]),
      'waiting for blocks'));
  },
};
