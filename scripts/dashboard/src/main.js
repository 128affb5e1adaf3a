// gridbrain dashboard: tabs, the connection banner, and live updates of the visible view.
import { Chain } from './chain.js';
import network from './views/network.js';
import market from './views/market.js';
import energy from './views/energy.js';
import settlement from './views/settlement.js';
import fl from './views/fl.js';
import trade from './views/trade.js';

const VIEWS = { network, market, energy, settlement, fl, trade };
const $ = (id) => document.getElementById(id);
const mounted = new Set();
let current = null;
let chain = null;
let busy = false;
let again = false;

function status(kind, message) {
  const conn = $('conn');
  conn.className = `conn ${kind}`;
  conn.textContent = kind === 'ok' ? `connected to ${chain?.chainName ?? 'node'}` : 'disconnected';
  const banner = $('banner');
  banner.hidden = !message;
  banner.textContent = message ?? '';
  document.body.dataset.connection = kind;
}

/** Re-renders the visible view; a head arriving meanwhile triggers one more pass. */
async function refresh() {
  // Nothing to show before the node's runtime passed the compatibility check.
  if (!chain?.ready || !current) return;
  if (busy) { again = true; return; }
  busy = true;
  try {
    const view = VIEWS[current];
    const el = $(`view-${current}`);
    if (!mounted.has(current)) {
      view.mount(el, chain, refresh);
      mounted.add(current);
    }
    await view.update(el, chain);
    el.dataset.ready = 'true';
    const banner = $('banner');
    if (banner.textContent.startsWith('could not update')) banner.hidden = true;
  } catch (e) {
    console.error(e);
    if (chain.api.isConnected) {
      const banner = $('banner');
      banner.hidden = false;
      banner.textContent = `could not update this view: ${e.message}`;
    }
  } finally {
    busy = false;
    if (again) { again = false; refresh(); }
  }
}

function show(name, focus = false) {
  if (!VIEWS[name]) name = 'network';
  current = name;
  for (const tab of document.querySelectorAll('[role="tab"]')) {
    const selected = tab.dataset.view === name;
    tab.setAttribute('aria-selected', String(selected));
    tab.tabIndex = selected ? 0 : -1;
    if (selected && focus) tab.focus();
  }
  for (const panel of document.querySelectorAll('[role="tabpanel"]')) panel.hidden = panel.id !== `view-${name}`;
  if (location.hash !== `#${name}`) history.replaceState(null, '', `#${name}`);
  refresh();
}

function setupTabs() {
  const tabs = [...document.querySelectorAll('[role="tab"]')];
  tabs.forEach((tab, i) => {
    tab.addEventListener('click', () => show(tab.dataset.view));
    // Arrow keys move between tabs (WAI-ARIA tabs pattern); Home/End jump.
    tab.addEventListener('keydown', (e) => {
      const to = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: tabs.length - 1 }[e.key];
      if (to === undefined) return;
      e.preventDefault();
      show(tabs[(to + tabs.length) % tabs.length].dataset.view, true);
    });
  });
  window.addEventListener('hashchange', () => show(location.hash.slice(1)));
}

async function main() {
  setupTabs();
  show(location.hash.slice(1) || 'network');
  let ws = new URLSearchParams(location.search).get('ws');
  if (!ws) {
    try { ws = (await (await fetch('config.json')).json()).ws; } catch { ws = 'ws://127.0.0.1:9944'; }
  }
  chain = new Chain(ws, {
    onStatus: status,
    onHead: (c) => {
      $('best').textContent = `#${c.best}`;
      $('finalized').textContent = `#${c.finalized}`;
      $('interval').textContent = c.interval ?? '–';
      refresh();
    },
  });
  status('connecting', null);
  try {
    await chain.start();
  } catch (e) {
    status('down', `cannot talk to the node at ${ws}: ${e.message}`);
  }
}

main();
