// Trader panel: place and cancel orders with a development account (development chains only)
// or an account of the polkadot{.js} browser extension, and watch them fill.
import { energy, esc, money, num, setHtml, side, table, who } from '../format.js';

let accounts = []; // { address, label, pair?, signer? }
let selected = null;
let log = []; // what this panel submitted, newest first

/** Decimal text ("1.25") as planck, or null when it isn't a non-negative decimal. */
function toPlanck(c, text) {
  const m = /^(\d+)(?:\.(\d*))?$/.exec(text.trim());
  if (!m) return null;
  const frac = (m[2] ?? '').padEnd(c.decimals, '0');
  if (frac.length > c.decimals) return null;
  return BigInt(m[1]) * c.UNIT + BigInt(frac || '0');
}

/** A dispatch error as `section.Name: docs`. */
function describe(c, err) {
  if (err.isModule) {
    const { section, name, docs } = c.api.registry.findMetaError(err.asModule);
    return `${section}.${name}${docs.length ? `: ${docs.join(' ')}` : ''}`;
  }
  return err.toString();
}

async function loadExtension() {
  const out = [];
  for (const [name, ext] of Object.entries(window.injectedWeb3 ?? {})) {
    try {
      const e = await ext.enable('gridbrain dashboard');
      for (const a of await e.accounts.get()) out.push({ address: a.address, label: `${a.name ?? a.address.slice(0, 8)} (${name})`, signer: e.signer });
    } catch (err) {
      console.warn(`extension ${name}: ${err.message}`);
    }
  }
  return out;
}

function submit(c, tx, account, what, refresh) {
  const entry = { what, status: 'signing…', at: Date.now() };
  log.unshift(entry);
  log = log.slice(0, 20);
  refresh();
  const signer = account.pair ?? account.address;
  const opts = account.signer ? { signer: account.signer } : {};
  return new Promise((resolve) => {
    let unsub = () => {};
    tx.signAndSend(signer, opts, ({ status, events, dispatchError }) => {
      if (status.isReady || status.isBroadcast) entry.status = 'in the pool…';
      if (status.isInBlock) {
        unsub();
        const block = status.asInBlock.toHex();
        if (dispatchError) {
          entry.status = `<span class="bad">✖ failed</span>: ${esc(describe(c, dispatchError))}`;
          entry.result = 'failed';
        } else {
          const parts = events.map(({ event: e }) => {
            const d = e.data;
            if (e.method === 'OrderPlaced') return `order #${num(d.order)} placed: ${energy(d.filledWh)} filled, ${energy(d.restingWh)} resting, ${money(c, d.held)} held`;
            if (e.method === 'TradeExecuted') return `trade #${num(d.trade)}: ${energy(d.quantityWh)} at ${money(c, d.pricePerKwh)}/kWh`;
            if (e.method === 'OrderCancelled') return `order #${num(d.order)} cancelled, ${money(c, d.released)} released`;
            if (e.method === 'OrderEvicted') return `evicted order #${num(d.order)}`;
            return null;
          }).filter(Boolean);
          entry.status = `<span class="good">✔ in block</span> ${esc(block.slice(0, 10))}…: ${esc(parts.join('; ') || 'done')}`;
          entry.result = 'ok';
        }
        refresh();
        resolve();
      } else if (status.isDropped || status.isInvalid || status.isUsurped) {
        unsub();
        entry.status = `<span class="bad">✖ ${esc(status.type)}</span>`;
        entry.result = 'failed';
        refresh();
        resolve();
      } else {
        refresh();
      }
    }).then((u) => { unsub = u; }, (e) => {
      entry.status = `<span class="bad">✖ not submitted</span>: ${esc(e.message)}`;
      entry.result = 'failed';
      refresh();
      resolve();
    });
  });
}

export default {
  mount(el, c, refresh) {
    el.innerHTML = `<div class="grid">
      <div class="card"><h2>Place an order</h2>
        <p class="muted" id="tr-source"></p>
        <form id="tr-form" class="controls">
          <label>account <select id="tr-account" required></select></label>
          <label>side <select id="tr-side"><option value="Buy">▲ buy</option><option value="Sell">▼ sell</option></select></label>
          <label>zone <input id="tr-zone" type="number" min="0" max="${c.consts.maxZones - 1}" value="0" required></label>
          <label>delivery interval <input id="tr-interval" type="number" min="0" required></label>
          <label>energy (Wh, lots of ${c.consts.lotWh}) <input id="tr-wh" type="number" min="${c.consts.minOrderWh}" step="${c.consts.lotWh}" value="${Math.max(c.consts.minOrderWh, c.consts.lotWh)}" required></label>
          <label>price (${esc(c.symbol)}/kWh) <input id="tr-price" inputmode="decimal" value="1.5" required></label>
          <button class="act" id="tr-place" type="submit">Place order</button>
        </form>
        <div id="tr-log" class="status" role="status" aria-live="polite"></div>
      </div>
      <div class="card"><h2>Open orders</h2><div id="tr-open"></div></div>
      <div class="card"><h2>Trades</h2><div id="tr-trades" class="scroll"></div></div>
    </div>`;
    const sel = el.querySelector('#tr-account');
    (async () => {
      const ext = await loadExtension();
      const dev = (c.devPairs ?? []).map((pair) => ({ address: pair.address, label: `${pair.meta.name} (development account)`, pair }));
      accounts = [...ext, ...dev];
      el.querySelector('#tr-source').textContent = accounts.length === 0
        ? 'No account to sign with: install the polkadot{.js} extension and allow this page, or use a development chain.'
        : `${ext.length} extension account(s)${c.dev ? `, ${dev.length} development accounts (this is a development chain)` : ''}.`;
      sel.innerHTML = accounts.map((a, i) => `<option value="${i}">${esc(a.label)}</option>`).join('');
      selected = accounts[0] ?? null;
      refresh();
    })();
    sel.addEventListener('change', () => { selected = accounts[Number(sel.value)]; refresh(); });
    el.querySelector('#tr-form').addEventListener('submit', (e) => {
      e.preventDefault();
      if (!selected) return;
      const side = el.querySelector('#tr-side').value;
      const zone = Number(el.querySelector('#tr-zone').value);
      const interval = Number(el.querySelector('#tr-interval').value);
      const wh = Number(el.querySelector('#tr-wh').value);
      const price = toPlanck(c, el.querySelector('#tr-price').value);
      if (price === null) {
        log.unshift({ what: 'order', status: '<span class="bad">✖ the price must be a decimal number</span>', result: 'failed' });
        refresh();
        return;
      }
      submit(c, c.api.tx.energyMarket.placeOrder(side, zone, interval, wh, price), selected,
        `${side.toLowerCase()} ${energy(wh)} in zone ${zone} for interval ${interval} at ${money(c, price)}/kWh`, refresh);
    });
    el.addEventListener('click', (e) => {
      const id = e.target?.dataset?.cancel;
      if (id !== undefined && selected) submit(c, c.api.tx.energyMarket.cancelOrder(Number(id)), selected, `cancel order #${id}`, refresh);
    });
  },

  async update(el, c) {
    const intervalInput = el.querySelector('#tr-interval');
    if (!intervalInput.value) intervalInput.value = (c.interval ?? 0) + c.consts.gate + 1;
    setHtml(el.querySelector('#tr-log'), log.map((l) => `<div data-result="${l.result ?? 'pending'}">${esc(l.what)}: ${l.status}</div>`).join(''));
    if (!selected) return;
    const api = c.api;
    const address = selected.address;
    const intervals = Array.from({ length: c.consts.gate + 6 }, (_, i) => Math.max(0, (c.interval ?? 0) - 2) + i);
    const [open, rows] = await Promise.all([api.call.energyMarketApi.openOrders(address), c.accountTrades(address, intervals)]);
    const gateOpen = (i) => i > (c.interval ?? 0) + c.consts.gate;
    setHtml(el.querySelector('#tr-open'), table(['order', 'side', 'zone', 'interval', 'price/kWh', 'remaining', ''],
      open.map(([id, o]) => [`#${id}`, side(o.side), num(o.zone), num(o.interval), money(c, o.price), energy(o.remainingWh),
        gateOpen(num(o.interval)) ? `<button class="act secondary" type="button" data-cancel="${id}" aria-label="cancel order ${id}">Cancel</button>` : '<span class="muted">gate closed</span>']),
      `no open orders of ${who(c, address)}`));
    setHtml(el.querySelector('#tr-trades'), table(['interval', 'trade', 'role', 'counterparty', 'energy', 'price/kWh', 'zones'],
      rows.map(([i, k, t]) => {
        const buyer = t.buyer.toString() === address;
        return [i, `#${k}`, side({ isBuy: buyer }, ['bought', 'sold']), esc(who(c, buyer ? t.seller : t.buyer)), energy(t.quantityWh), money(c, t.price), `${t.sellerZone} → ${t.buyerZone}`];
      }), `no trades of ${who(c, address)} in intervals ${intervals[0]}–${intervals[intervals.length - 1]}`));
  },
};
