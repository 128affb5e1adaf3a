// The connection to the node and the state every view reads: heads, the current interval,
// runtime constants, and a feed of gridbrain's events from recent blocks.
import { ApiPromise, WsProvider } from '@polkadot/api';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady } from '@polkadot/util-crypto';

/** What the page needs from the runtime; a node without it gets a clear message. */
const REQUIRED = [
  ['tx', 'energyMarket', 'placeOrder'], ['tx', 'energyMarket', 'cancelOrder'],
  ['query', 'energyMarket', 'trades'], ['query', 'energyData', 'devices'],
  ['call', 'energyDataApi', 'dataBlock'], ['call', 'energyDataApi', 'readingProof'],
  ['call', 'energyMarketApi', 'orderBook'], ['call', 'energyMarketApi', 'intervalStats'],
  ['call', 'federatedLearningApi', 'currentRound'], ['call', 'federatedLearningApi', 'workers'],
];
const FEED_SECTIONS = new Set(['energyMarket', 'energyData', 'federatedLearning']);
const FEED_MAX = 5000;
export const DEV_NAMES = ['Alice', 'Bob', 'Charlie', 'Dave', 'Eve', 'Ferdie'];

export class Chain {
  constructor(url, { onStatus, onHead }) {
    this.url = url;
    this.onStatus = onStatus;
    this.onHead = onHead;
    this.feed = []; // { block, section, method, data, index }
    this.blockTimes = []; // [block number, ms timestamp]
    this.best = 0;
    this.finalized = 0;
    this.names = new Map();
  }

  async start() {
    await cryptoWaitReady();
    this.provider = new WsProvider(this.url, 2000);
    this.provider.on('disconnected', () => this.onStatus('down', `lost the node at ${this.url}; reconnecting…`));
    this.provider.on('connected', () => { if (this.ready) this.onStatus('ok', null); });
    this.provider.on('error', () => this.onStatus('down', `cannot reach the node at ${this.url}; retrying every 2 s…`));
    this.api = await ApiPromise.create({ provider: this.provider, noInitWarn: true, throwOnConnect: false });
    const api = this.api;
    const missing = REQUIRED.filter(([kind, section, item]) => !api[kind]?.[section]?.[item]).map((p) => p.slice(1).join('.'));
    const spec = api.runtimeVersion.specName.toString();
    if (spec !== 'gridbrain' || missing.length > 0) {
      this.onStatus('down', `The node at ${this.url} runs "${spec}" version ${api.runtimeVersion.specVersion}, whose metadata lacks what this page reads (${missing.join(', ') || 'spec name gridbrain'}). Point the page at a gridbrain node (?ws=ws://HOST:PORT), or rebuild the page for this runtime.`);
      return false;
    }
    const [chain, nodeName, nodeVersion, chainType, properties] = await Promise.all([
      api.rpc.system.chain(), api.rpc.system.name(), api.rpc.system.version(), api.rpc.system.chainType(), api.rpc.system.properties(),
    ]);
    this.chainName = chain.toString();
    this.node = `${nodeName} ${nodeVersion}`;
    this.dev = chainType.isDevelopment || chainType.isLocal;
    this.decimals = api.registry.chainDecimals[0];
    this.symbol = api.registry.chainTokens[0] ?? properties.tokenSymbol.toString();
    this.UNIT = 10n ** BigInt(this.decimals);
    this.consts = {
      intervalBlocks: api.consts.energyData.intervalBlocks.toNumber(),
      maxZones: api.consts.energyData.maxZones.toNumber(),
      gate: api.consts.energyMarket.gateClosureIntervals.toNumber(),
      lotWh: api.consts.energyMarket.tradeLotWh.toNumber(),
      minOrderWh: api.consts.energyMarket.minOrderWh.toNumber(),
      slotMs: api.consts.aura.slotDuration.toNumber(),
    };
    if (this.dev) {
      // Development accounts are named on the page (and can sign in the trader panel).
      const keyring = new Keyring({ type: 'sr25519', ss58Format: api.registry.chainSS58 });
      this.devPairs = [...DEV_NAMES, ...DEV_NAMES.map((n) => `${n}//stash`)].map((n) => {
        const pair = keyring.addFromUri(`//${n}`, { name: n });
        this.names.set(pair.address, n);
        return pair;
      });
    }
    this.ready = true;
    this.onStatus('ok', null);
    await api.rpc.chain.subscribeFinalizedHeads((h) => { this.finalized = h.number.toNumber(); this.onHead(this); });
    await api.rpc.chain.subscribeNewHeads((h) => this.newHead(h));
    return true;
  }

  async newHead(header) {
    const n = header.number.toNumber();
    this.best = n;
    try {
      const at = await this.api.at(header.hash);
      const [events, now] = await Promise.all([at.query.system.events(), at.query.timestamp.now()]);
      // Genesis has no timestamp: block times start at block 1.
      if (n > 0) this.blockTimes = this.blockTimes.filter(([b]) => b < n).concat([[n, now.toNumber()]]).slice(-50);
      // A re-organised height replaces what was seen at it.
      this.feed = this.feed.filter((e) => e.block < n);
      events.forEach(({ event }, index) => {
        if (FEED_SECTIONS.has(event.section)) {
          this.feed.push({ block: n, section: event.section, method: event.method, data: event.data, index });
        }
      });
      if (this.feed.length > FEED_MAX) this.feed = this.feed.slice(-FEED_MAX);
      this.interval = (await this.api.call.energyDataApi.currentInterval()).toNumber();
    } catch (e) {
      console.warn(`block #${n}: ${e.message}`);
    }
    this.onHead(this);
  }

  /** `address`'s trades in each of `intervals`, newest first, as [interval, trade index, trade]. */
  async accountTrades(address, intervals) {
    const lists = await Promise.all(intervals.map((i) => this.api.call.energyMarketApi.accountTrades(address, i)));
    return lists.flatMap((list, j) => list.map(([k, t]) => [intervals[j], k.toNumber(), t])).reverse();
  }

  /** The feed's events of `section.method`, newest first. */
  events(section, method) {
    return this.feed.filter((e) => e.section === section && e.method === method).reverse();
  }
}
