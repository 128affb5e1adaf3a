// Formatting and small DOM helpers shared by the views.

/** Escapes text for HTML. */
export const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

/** `n` as a number (from a codec, BigInt or number). */
export const num = (n) => (typeof n === 'number' ? n : Number(n?.toString?.() ?? n));

/** Wh as "1.23 kWh" / "850 Wh" / "4.5 MWh". */
export function energy(wh) {
  const v = num(wh);
  if (Math.abs(v) >= 1e6) return `${(v / 1e6).toFixed(2)} MWh`;
  if (Math.abs(v) >= 1e3) return `${(v / 1e3).toFixed(2)} kWh`;
  return `${v} Wh`;
}

/** Planck amount as tokens, e.g. "1.250 GRID". */
export function money(ctx, planck, digits = 3) {
  const v = BigInt(planck?.toString?.() ?? planck);
  const neg = v < 0n;
  const a = neg ? -v : v;
  const whole = a / ctx.UNIT;
  const frac = ((a % ctx.UNIT) * 10n ** BigInt(digits)) / ctx.UNIT;
  return `${neg ? '−' : ''}${whole}.${frac.toString().padStart(digits, '0')} ${ctx.symbol}`;
}

/** Planck per kWh as a number of tokens per kWh (for charts). */
export const perKwh = (ctx, planck) => Number(BigInt(planck?.toString?.() ?? planck) * 1000n / ctx.UNIT) / 1000;

/** A shortened SS58 address, with the dev account's name when it is one. */
export function who(ctx, address) {
  const a = address?.toString?.() ?? String(address);
  const name = ctx.names.get(a);
  return name ? `${name}` : `${a.slice(0, 6)}…${a.slice(-4)}`;
}

/** A 0x hash shortened. */
export const short = (h) => { const s = h?.toHex ? h.toHex() : String(h); return `${s.slice(0, 10)}…${s.slice(-6)}`; };

/** Renders rows into a table body, or an "empty" line. */
export function table(headers, rows, emptyText = 'nothing yet') {
  if (rows.length === 0) return `<p class="empty">${esc(emptyText)}</p>`;
  return `<table><thead><tr>${headers.map((h) => `<th scope="col">${h}</th>`).join('')}</tr></thead>`
    + `<tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
}

/** An order's side, marked with a symbol and a word as well as its colour. */
export const side = (s, [buy, sell] = ['buy', 'sell']) => (s.isBuy ? `<span class="bid">▲ ${buy}</span>` : `<span class="ask">▼ ${sell}</span>`);

/**
 * Sets a <select>'s options from `options` (HTML) when they changed, keeping the chosen value
 * when it is still offered, else choosing `fallback` (when given).
 */
export function setOptions(sel, options, fallback) {
  if (sel.__opts === options) return;
  const keep = sel.value;
  sel.innerHTML = options;
  sel.__opts = options;
  if ([...sel.options].some((o) => o.value === keep)) sel.value = keep;
  else if (fallback !== undefined) sel.value = String(fallback);
}

/** Replaces `el`'s content only when it changed (keeps focus and scroll otherwise). */
export function setHtml(el, content) {
  if (el && el.__html !== content) {
    el.innerHTML = content;
    el.__html = content;
  }
}
