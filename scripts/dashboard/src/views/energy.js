// Energy: sealed energy data blocks, produced/consumed per zone over time, reading counts, and
// "verify this reading": a reading's Merkle proof checked in the browser against the root.
import { ACCENT, chart, intervalAxis } from '../charts.js';
import { energy, esc, num, setHtml, setOptions, short, table, who } from '../format.js';
import { verifyReading } from '../merkle.js';

const ZONE_COLOURS = ['#0b5cad', '#b3261e', '#1a7f37', '#6f42c1', '#8a5a00', '#0a7f8c'];
let sealed = []; // [interval, block] of the intervals shown, newest first

export default {
  mount(el, c) {
    el.innerHTML = `<div class="grid">
      <div class="card"><h2>Energy per zone (sealed intervals)</h2><div id="en-chart"></div></div>
      <div class="card"><h2>Sealed energy data blocks</h2><div id="en-blocks" class="scroll"></div></div>
      <div class="card"><h2>Verify a reading</h2>
        <p class="muted">Fetches the reading's Merkle proof from the node and recomputes the sealed block's root here, in your browser (blake2-256, gridbrain-merkle's rules).</p>
        <div class="controls">
          <label>interval <select id="en-interval"></select></label>
          <label>device <select id="en-device"></select></label>
          <label><span><input type="checkbox" id="en-tamper"> change the reading by 1 Wh first</span></label>
          <button class="act" id="en-verify" type="button">Verify</button>
        </div>
        <div id="en-result" class="status" role="status" aria-live="polite"></div>
      </div>
      <div class="card"><h2>Devices</h2><div id="en-devices" class="scroll"></div></div>
    </div>`;
    el.querySelector('#en-verify').addEventListener('click', () => verify(el, c));
  },

  async update(el, c) {
    const api = c.api;
    const now = c.interval ?? 0;
    const first = Math.max(0, now - 20);
    const range = Array.from({ length: now - first + 1 }, (_, i) => now - i);
    const [blocks, counts, devices] = await Promise.all([
      Promise.all(range.map((i) => api.call.energyDataApi.dataBlock(i))),
      Promise.all(range.map((i) => api.query.energyData.readingCount(i))),
      api.query.energyData.devices.entries(),
    ]);
    sealed = range.map((i, k) => [i, blocks[k]]).filter(([, b]) => b.isSome).map(([i, b]) => [i, b.unwrap()]);

    setHtml(el.querySelector('#en-blocks'), table(
      ['interval', 'readings', 'produced', 'consumed', 'zones', 'readings root'],
      range.map((i, k) => {
        const b = blocks[k];
        if (b.isNone) return [i, `${num(counts[k])} <span class="muted">(not sealed yet)</span>`, '–', '–', '–', '–'];
        const d = b.unwrap();
        return [i, num(d.readingCount), energy(d.totalProducedWh), energy(d.totalConsumedWh), d.perZone.length, `<span class="mono">${esc(short(d.readingsRoot))}</span>`];
      }), 'no intervals yet'));

    // Produced and consumed per zone, oldest first.
    const chrono = [...sealed].reverse();
    const zones = [...new Set(chrono.flatMap(([, b]) => b.perZone.map((z) => num(z.zone))))].sort((a, b) => a - b);
    const xs = chrono.map(([i]) => i);
    const series = [{ label: 'interval' }];
    const data = [xs];
    for (const z of zones) {
      const colour = ZONE_COLOURS[z % ZONE_COLOURS.length];
      const of = (field) => chrono.map(([, b]) => { const t = b.perZone.find((p) => num(p.zone) === z); return t ? num(t[field]) / 1000 : 0; });
      series.push({ label: `zone ${z} produced (kWh)`, stroke: colour, width: 2 });
      data.push(of('producedWh'));
      series.push({ label: `zone ${z} consumed (kWh)`, stroke: colour, width: 2, dash: [6, 4] });
      data.push(of('consumedWh'));
    }
    chart(el.querySelector('#en-chart'), `energy-${zones.join(',')}`, {
      scales: { x: { time: false } },
      axes: [intervalAxis(), { label: 'kWh' }],
      series: zones.length ? series : [{ label: 'interval' }, { label: 'no data', stroke: ACCENT }],
    }, zones.length ? data : [[], []], {
      label: 'energy produced and consumed per zone in sealed intervals',
      summary: chrono.length ? chrono.slice(-4).map(([i, b]) => `${i}: ${energy(b.totalProducedWh)} produced, ${energy(b.totalConsumedWh)} consumed`).join(' · ') : 'no interval sealed yet',
    });

    // The verify form's choices: sealed intervals and registered devices.
    // The verify form's choices: sealed intervals (the newest with readings by default) and
    // registered devices.
    setOptions(el.querySelector('#en-interval'),
      sealed.map(([i, b]) => `<option value="${i}">${i} (${num(b.readingCount)} readings)</option>`).join('') || '<option value="">none sealed yet</option>',
      sealed.find(([, b]) => num(b.readingCount) > 0)?.[0]);
    const list = devices.map(([k, d]) => [k.args[0].toNumber(), d.unwrap()]).sort((a, b) => a[0] - b[0]);
    setOptions(el.querySelector('#en-device'),
      list.map(([id, d]) => `<option value="${id}">${id}: ${esc(who(c, d.owner))}, ${esc(d.kind.type)}, zone ${d.zone}</option>`).join(''));
    setHtml(el.querySelector('#en-devices'), table(['device', 'owner', 'kind', 'zone', 'capacity'],
      list.map(([id, d]) => [id, esc(who(c, d.owner)), esc(d.kind.type), num(d.zone), `${(num(d.capacityW) / 1000).toFixed(1)} kW`]), 'no devices registered'));
  },
};

async function verify(el, c) {
  const out = el.querySelector('#en-result');
  const interval = Number(el.querySelector('#en-interval').value);
  const device = Number(el.querySelector('#en-device').value);
  const block = sealed.find(([i]) => i === interval)?.[1];
  if (!block) { out.innerHTML = '<span class="bad">✖ choose a sealed interval</span>'; return; }
  out.textContent = 'fetching the proof…';
  const proof = await c.api.call.energyDataApi.readingProof(interval, device);
  if (proof.isNone) {
    out.innerHTML = `<span class="bad">✖ no reading of device ${device} in interval ${interval}</span>`;
    out.dataset.result = 'missing';
    return;
  }
  const { leaf, proof: p } = proof.unwrap();
  let bytes = leaf.toU8a();
  let shown = leaf;
  if (el.querySelector('#en-tamper').checked) {
    shown = c.api.createType(leaf.toRawType(), { ...leaf.toJSON(), producedWh: num(leaf.producedWh) + 1, consumedWh: num(leaf.consumedWh) });
    bytes = shown.toU8a();
  }
  const result = verifyReading(bytes, {
    leafIndex: num(p.leafIndex), leafCount: num(p.leafCount), siblings: p.siblings.map((s) => s.toU8a()),
  }, block.readingsRoot.toU8a());
  out.dataset.result = result.ok ? 'verified' : 'rejected';
  out.innerHTML = `${result.ok
    ? `<span class="good">✔ verified</span>: device ${device}'s reading in interval ${interval} (zone ${shown.zone}, ${energy(shown.producedWh)} produced, ${energy(shown.consumedWh)} consumed) is leaf ${num(p.leafIndex) + 1} of ${num(p.leafCount)} under the sealed root`
    : `<span class="bad">✖ does not verify</span>: the root computed from this reading (${esc(result.computed?.slice(0, 18) ?? '–')}…) is not the sealed one`}
    <span class="mono">${esc(short(block.readingsRoot))}</span>.<br><span class="muted">${result.steps.map(esc).join(' → ')}</span>`;
}
