// Market: per interval and zone, the order book's depth, trades, VWAP and volume over recent
// intervals, and zone-pair capacity used.
import { ASK, BID, ACCENT, chart, paths, intervalAxis } from '../charts.js';
import { energy, esc, money, num, perKwh, setHtml, side, table, who } from '../format.js';

let picked = null; // { interval, zone } chosen by the user; null follows the open interval

export default {
  mount(el, c, refresh) {
    el.innerHTML = `
      <div class="controls">
        <label>delivery interval <input id="mk-interval" type="number" min="0" step="1"></label>
        <label>zone <select id="mk-zone"></select></label>
        <button class="act secondary" id="mk-follow" type="button">follow the open interval</button>
        <span class="muted" id="mk-note"></span>
      </div>
      <div class="grid">
        <div class="card"><h2>Order book depth</h2><div id="mk-depth"></div></div>
        <div class="card"><h2>Order book</h2><div id="mk-book" class="scroll"></div></div>
        <div class="card"><h2>VWAP and volume by interval</h2><div id="mk-history"></div></div>
        <div class="card"><h2>Trades</h2><div id="mk-trades" class="scroll"></div></div>
        <div class="card"><h2>Zone pairs</h2><div id="mk-pairs"></div></div>
      </div>`;
    const zone = el.querySelector('#mk-zone');
    zone.innerHTML = Array.from({ length: c.consts.maxZones }, (_, z) => `<option value="${z}">${z}</option>`).join('');
    const pick = () => {
      picked = { interval: Number(el.querySelector('#mk-interval').value), zone: Number(zone.value) };
      refresh();
    };
    el.querySelector('#mk-interval').addEventListener('change', pick);
    zone.addEventListener('change', pick);
    el.querySelector('#mk-follow').addEventListener('click', () => { picked = null; refresh(); });
  },

  async update(el, c) {
    const api = c.api;
    const open = (c.interval ?? 0) + c.consts.gate + 1;
    const interval = picked?.interval ?? open;
    const zone = picked?.zone ?? Number(el.querySelector('#mk-zone').value);
    const input = el.querySelector('#mk-interval');
    if (document.activeElement !== input) input.value = interval;
    setHtml(el.querySelector('#mk-note'), picked ? '' : `interval ${open} is the first still open for orders`);

    const first = Math.max(0, open - 15);
    const history = Array.from({ length: open - first + 1 }, (_, i) => first + i);
    const [book, trades, stats, pairs] = await Promise.all([
      api.call.energyMarketApi.orderBook(interval, zone),
      api.query.energyMarket.trades.entries(interval),
      Promise.all(history.map((i) => api.call.energyMarketApi.intervalStats(i))),
      api.query.energyMarket.zonePairs.entries(),
    ]);

    // Depth: cumulative Wh of bids at or above a price, asks at or below it.
    const bids = book.bids.map((o) => [perKwh(c, o.price), num(o.remainingWh)]);
    const asks = book.asks.map((o) => [perKwh(c, o.price), num(o.remainingWh)]);
    const prices = [...new Set([...bids, ...asks].map(([p]) => p))].sort((a, b) => a - b);
    const bidDepth = prices.map((p) => { const s = bids.filter(([q]) => q >= p).reduce((a, [, w]) => a + w, 0); return s > 0 ? s / 1000 : null; });
    const askDepth = prices.map((p) => { const s = asks.filter(([q]) => q <= p).reduce((a, [, w]) => a + w, 0); return s > 0 ? s / 1000 : null; });
    const depthEl = el.querySelector('#mk-depth');
    chart(depthEl, 'depth', {
      scales: { x: { time: false } },
      axes: [{ label: `price (${c.symbol}/kWh)` }, { label: 'kWh' }],
      series: [{ label: 'price' },
        { label: 'bids (cumulative ↓)', stroke: BID, fill: 'rgba(26,127,55,.15)', paths: paths.stepped({ align: -1 }) },
        { label: 'asks (cumulative ↑)', stroke: ASK, fill: 'rgba(179,38,30,.15)', paths: paths.stepped({ align: 1 }), dash: [6, 3] }],
    }, [prices, bidDepth, askDepth], {
      label: `order book depth of interval ${interval}, zone ${zone}`,
      summary: `${book.bids.length} bids (${(bids.reduce((a, [, w]) => a + w, 0) / 1000).toFixed(1)} kWh), ${book.asks.length} asks (${(asks.reduce((a, [, w]) => a + w, 0) / 1000).toFixed(1)} kWh) resting in zone ${zone} for interval ${interval}`,
    });
    depthEl.dataset.orders = String(book.bids.length + book.asks.length);

    // Book entries carry no side: the list they are in gives it.
    const row = (isBuy) => (o) => [side({ isBuy }, ['bid', 'ask']), `#${o.id}`, esc(who(c, o.owner)), money(c, o.price), energy(o.remainingWh)];
    setHtml(el.querySelector('#mk-book'), table(['side', 'order', 'owner', 'price/kWh', 'remaining'],
      [...book.asks.map(row(false)).reverse(), ...book.bids.map(row(true))],
      `no resting orders in zone ${zone} for interval ${interval}`));

    const vol = stats.map((s) => num(s.stats.volumeWh) / 1000);
    const vwap = stats.map((s) => (s.vwap.isSome ? perKwh(c, s.vwap.unwrap()) : null));
    chart(el.querySelector('#mk-history'), 'history', {
      scales: { x: { time: false }, kwh: {}, price: {} },
      axes: [intervalAxis(), { scale: 'kwh', label: 'kWh' }, { scale: 'price', side: 1, label: `${c.symbol}/kWh`, grid: { show: false } }],
      series: [{ label: 'interval' },
        { label: 'volume (kWh)', scale: 'kwh', stroke: ACCENT, fill: 'rgba(11,92,173,.2)', paths: paths.bars({ size: [0.6] }) },
        { label: 'VWAP', scale: 'price', stroke: '#6f42c1', width: 2, points: { show: true, size: 6 } }],
    }, [history, vol, vwap], {
      label: `traded volume and volume-weighted price of intervals ${first} to ${open}`,
      summary: history.map((i, k) => (vol[k] > 0 ? `${i}: ${vol[k].toFixed(1)} kWh at ${vwap[k]?.toFixed(3) ?? '–'}` : null)).filter(Boolean).slice(-6).join(' · ') || 'no trades in these intervals yet',
    });

    const list = trades.map(([k, t]) => [k.args[1].toNumber(), t.unwrap()]).sort((a, b) => b[0] - a[0]);
    setHtml(el.querySelector('#mk-trades'), `<p>${list.length} trades for interval ${interval} (all zones)</p>` + table(
      ['trade', 'buyer', 'seller', 'zones', 'energy', 'price/kWh', 'grid fee/kWh'],
      list.slice(0, 100).map(([i, t]) => [`#${i}`, esc(who(c, t.buyer)), esc(who(c, t.seller)), `${t.sellerZone} → ${t.buyerZone}`, energy(t.quantityWh), money(c, t.price), money(c, t.feePerKwh)]),
      'no trades yet'));

    const used = await Promise.all(pairs.map(([k]) => api.query.energyMarket.capacityUsed(interval, [k.args[0], k.args[1]])));
    setHtml(el.querySelector('#mk-pairs'), table(
      ['route', 'fee/kWh', 'capacity', `used in ${interval}`, 'share'],
      pairs.map(([k, p], i) => {
        const pair = p.unwrap();
        const cap = num(pair.capacityWh);
        const u = num(used[i]);
        return [`${k.args[0]} → ${k.args[1]}`, money(c, pair.feePerKwh), energy(cap), energy(u), cap > 0 ? `${((100 * u) / cap).toFixed(0)} %` : '–'];
      }), 'no zone pairs set (orders trade within their zone only)'));
  },
};
