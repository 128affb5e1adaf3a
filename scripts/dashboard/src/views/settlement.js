// Settlement: delivered and undelivered energy per interval, imbalance charges, and an
// account's trades, open orders and holds.
import { ASK, BID, chart, paths, intervalAxis } from '../charts.js';
import { energy, esc, money, num, setHtml, side, table, who } from '../format.js';

let account = '';

export default {
  mount(el, c, refresh) {
    el.innerHTML = `<div class="grid">
      <div class="card"><h2>Delivered and undelivered energy</h2><div id="st-chart"></div></div>
      <div class="card"><h2>Intervals</h2><div id="st-intervals" class="scroll"></div></div>
      <div class="card"><h2>Settled trades (since this page opened)</h2><div id="st-events" class="scroll"></div></div>
      <div class="card"><h2>Account</h2>
        <div class="controls">
          <label>account (SS58 address${c.dev ? ' or dev account' : ''}) <input id="st-account" list="st-names" size="40" autocomplete="off"></label>
          <datalist id="st-names">${(c.devPairs ?? []).map((p) => `<option value="${esc(p.meta.name)}">`).join('')}</datalist>
          <button class="act" id="st-show" type="button">Show</button>
        </div>
        <div id="st-account-out"></div>
      </div>
    </div>`;
    const go = () => { account = el.querySelector('#st-account').value.trim(); refresh(); };
    el.querySelector('#st-show').addEventListener('click', go);
    el.querySelector('#st-account').addEventListener('keydown', (e) => { if (e.key === 'Enter') go(); });
  },

  async update(el, c) {
    const api = c.api;
    const now = c.interval ?? 0;
    const first = Math.max(0, now - 15);
    const range = Array.from({ length: now - first + 1 }, (_, i) => first + i);
    const stats = await Promise.all(range.map((i) => api.call.energyMarketApi.intervalStats(i)));
    const settledEvents = c.events('energyMarket', 'TradeSettled');
    const charges = new Map();
    for (const e of settledEvents) {
      const i = num(e.data.interval);
      charges.set(i, (charges.get(i) ?? 0n) + e.data.imbalanceCharge.toBigInt());
    }
    const delivered = stats.map((s) => num(s.stats.deliveredWh) / 1000);
    const undelivered = stats.map((s) => (num(s.stats.settledTrades) > 0 ? Math.max(0, num(s.stats.volumeWh) - num(s.stats.deliveredWh)) / 1000 : 0));
    chart(el.querySelector('#st-chart'), 'settlement', {
      scales: { x: { time: false } },
      axes: [intervalAxis(), { label: 'kWh' }],
      series: [{ label: 'interval' },
        { label: 'delivered (kWh)', stroke: BID, fill: 'rgba(26,127,55,.3)', paths: paths.bars({ size: [0.4], align: -1 }) },
        { label: 'undelivered (kWh)', stroke: ASK, fill: 'rgba(179,38,30,.3)', paths: paths.bars({ size: [0.4], align: 1 }) }],
    }, [range, delivered, undelivered], {
      label: 'delivered and undelivered energy of settled trades per interval',
      summary: range.map((i, k) => (delivered[k] + undelivered[k] > 0 ? `${i}: ${delivered[k].toFixed(1)} kWh delivered, ${undelivered[k].toFixed(1)} undelivered` : null)).filter(Boolean).slice(-5).join(' · ') || 'no interval settled yet',
    });
    setHtml(el.querySelector('#st-intervals'), table(
      ['interval', 'trades', 'settled', 'traded', 'delivered', 'imbalance charges'],
      range.map((i, k) => {
        const s = stats[k].stats;
        const done = num(s.trades) > 0 && num(s.settledTrades) === num(s.trades);
        return [i, num(s.trades), `${num(s.settledTrades)}${done ? ' ✔' : ''}`, energy(s.volumeWh), energy(s.deliveredWh), charges.has(i) ? money(c, charges.get(i)) : '–'];
      }).reverse()));
    setHtml(el.querySelector('#st-events'), table(
      ['interval', 'trade', 'buyer', 'seller', 'delivered', 'undelivered', 'paid to seller', 'grid fee', 'refund', 'imbalance'],
      settledEvents.slice(0, 100).map(({ data: d }) => [num(d.interval), `#${num(d.trade)}`, esc(who(c, d.buyer)), esc(who(c, d.seller)),
        energy(d.deliveredWh), energy(d.undeliveredWh), money(c, d.paidToSeller), money(c, d.gridFee), money(c, d.buyerRefund), money(c, d.imbalanceCharge)]),
      'no trade settled since the page opened'));
    await showAccount(el, c, range);
  },
};

async function showAccount(el, c, range) {
  const out = el.querySelector('#st-account-out');
  if (!account) { setHtml(out, '<p class="empty">choose an account</p>'); return; }
  const pair = c.devPairs?.find((p) => p.meta.name === account);
  let address = pair?.address ?? account;
  try {
    address = c.api.createType('AccountId', address).toString();
  } catch {
    setHtml(out, `<p class="bad">✖ "${esc(account)}" is not an SS58 address</p>`);
    return;
  }
  const api = c.api;
  const ahead = Array.from({ length: c.consts.gate + 3 }, (_, i) => (c.interval ?? 0) + 1 + i);
  const intervals = [...range, ...ahead];
  const [acct, holds, open, all] = await Promise.all([
    api.query.system.account(address), api.query.balances.holds(address), api.call.energyMarketApi.openOrders(address),
    c.accountTrades(address, intervals),
  ]);
  setHtml(out, `<dl class="kv"><dt>account</dt><dd class="mono">${esc(address)}</dd>
      <dt>free</dt><dd>${money(c, acct.data.free)}</dd>
      <dt>held</dt><dd>${holds.map((h) => `${money(c, h.amount)} <span class="muted">(${esc(h.id.type)}: ${esc(h.id.value.type ?? h.id.value.toString())})</span>`).join('<br>') || '–'}</dd></dl>`
    + `<h3>Open orders</h3>` + table(['order', 'side', 'zone', 'interval', 'price/kWh', 'remaining', 'held'],
      open.map(([id, o]) => [`#${id}`, side(o.side), num(o.zone), num(o.interval), money(c, o.price), energy(o.remainingWh), money(c, o.held)]), 'none')
    + `<h3>Trades</h3>` + table(['interval', 'trade', 'role', 'energy', 'price/kWh', 'escrow', 'collateral'],
      all.map(([i, k, t]) => [i, `#${k}`, t.buyer.toString() === address ? 'buyer' : 'seller', energy(t.quantityWh), money(c, t.price), money(c, t.escrow), money(c, t.collateral)]), 'none in the recent intervals'));
}
