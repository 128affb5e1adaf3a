// uPlot charts that keep their instance across updates and follow their container's width.
import uPlot from 'uplot';

const charts = new WeakMap();

/**
 * Draws (or updates) a chart in `el`. `opts` are uPlot options without width/height; `data`
 * uPlot's columnar data. `label` is the chart's accessible name; `summary` a text alternative
 * shown under it (the numbers, for readers who can't see the chart).
 */
export function chart(el, key, opts, data, { label, summary, height = 220 } = {}) {
  let entry = charts.get(el);
  const width = Math.max(280, el.clientWidth || 600);
  if (!entry || entry.key !== key) {
    entry?.plot.destroy();
    entry?.note?.remove();
    el.innerHTML = '';
    el.setAttribute('role', 'img');
    el.setAttribute('aria-label', label ?? '');
    const plot = new uPlot({ ...opts, width, height }, data, el);
    const note = document.createElement('p');
    note.className = 'muted chart-summary';
    el.after(note);
    entry = { key, plot, note };
    charts.set(el, entry);
    new ResizeObserver(() => {
      const w = Math.max(280, el.clientWidth || 600);
      if (w !== entry.plot.width) entry.plot.setSize({ width: w, height });
    }).observe(el);
  } else {
    entry.plot.setData(data);
  }
  el.dataset.points = String(data[0]?.length ?? 0);
  if (entry.note) entry.note.textContent = summary ?? '';
}

export const BID = '#1a7f37';
export const ASK = '#b3261e';
export const ACCENT = '#0b5cad';
export const { paths } = uPlot;

/** An x axis of interval (or block) numbers: whole numbers only. */
export const intervalAxis = (label = 'interval') => ({ label, incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000], values: (u, vals) => vals.map((v) => String(v)) });
