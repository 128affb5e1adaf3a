// Helpers shared by the polkadot.js scripts (check, scenario, throughput benchmarks).

/** The value of `--name VALUE` on the command line, or `fallback`. */
export function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

export const log = (...a) => console.log(`[${new Date().toISOString().slice(11, 19)}]`, ...a);
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Polls `pred` every 500 ms until it returns a truthy value, and returns that value; throws
 * after `timeoutS` seconds.
 */
export async function waitUntil(what, pred, timeoutS = 300) {
  const deadline = Date.now() + timeoutS * 1000;
  for (;;) {
    const v = await pred();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(500);
  }
}

/** The `section.Name` of a dispatch error. */
export function errorName(api, err) {
  if (err.isModule) {
    const { section, name } = api.registry.findMetaError(err.asModule);
    return `${section}.${name}`;
  }
  return err.toString();
}

/**
 * Submits `tx` from `signer`; resolves with `{ events, error, blockHash }` once it is in a block
 * (`error` is the dispatch error's `section.Name`, or null); rejects if the pool drops it.
 */
export function send(api, tx, signer) {
  return new Promise((resolve, reject) => {
    let unsub = () => {};
    tx.signAndSend(signer, ({ status, events, dispatchError }) => {
      if (status.isInBlock) {
        unsub();
        resolve({ events, error: dispatchError ? errorName(api, dispatchError) : null, blockHash: status.asInBlock });
      } else if (status.isDropped || status.isInvalid || status.isUsurped) {
        unsub();
        reject(new Error(`extrinsic ${status.type}`));
      }
    }).then((u) => { unsub = u; }, reject);
  });
}

/** Signs `calls` from `pair` with consecutive nonces starting at the account's next nonce. */
export async function presign(api, pair, calls) {
  let nonce = (await api.rpc.system.accountNextIndex(pair.address)).toNumber();
  const out = [];
  for (const call of calls) out.push(await call.signAsync(pair, { nonce: nonce++, era: 0 }));
  return out;
}

/**
 * Submits pre-signed extrinsics as fast as possible and resolves when `countItems(events)`
 * summed over new blocks reaches `expected`; the clock runs from the first submission to the
 * import of that block. Failed extrinsics are counted by error and printed; if nothing new is
 * counted for `stallBlocks` blocks after every submission returned, it gives up (the result
 * then has `stalled: true` and `seen < expected`).
 */
export async function timedRun(api, signedTxs, countItems, expected, stallBlocks = 5) {
  let seen = 0;
  const perBlock = [];
  let allSent = false;
  let quiet = 0;
  const failures = new Map();
  let resolveDone;
  const done = new Promise((r) => { resolveDone = r; });
  const unsub = await api.rpc.chain.subscribeNewHeads(async (header) => {
    const events = await (await api.at(header.hash)).query.system.events();
    const n = countItems(events);
    seen += n;
    if (n > 0) perBlock.push(n);
    for (const { event } of events) {
      if (api.events.system.ExtrinsicFailed.is(event)) {
        const err = event.data.dispatchError;
        const name = err.isModule
          ? (({ section, name: e }) => `${section}.${e}`)(api.registry.findMetaError(err.asModule))
          : err.toString();
        failures.set(name, (failures.get(name) ?? 0) + 1);
      }
    }
    quiet = n > 0 || !allSent ? 0 : quiet + 1;
    if (seen >= expected || quiet >= stallBlocks) resolveDone();
  });
  const start = Date.now();
  const sends = signedTxs.map((tx) => api.rpc.author.submitExtrinsic(tx).catch((e) => {
    failures.set(`submit: ${e.message}`, (failures.get(`submit: ${e.message}`) ?? 0) + 1);
  }));
  await Promise.all(sends);
  allSent = true;
  const submitted = (Date.now() - start) / 1000;
  await done;
  const elapsed = (Date.now() - start) / 1000;
  unsub();
  for (const [name, count] of failures) console.error(`  ${count} × ${name}`);
  const stalled = seen < expected;
  if (stalled) console.error(`  stalled: ${seen} of ${expected} seen`);
  return { elapsed, submitted, seen, stalled, perBlock, fullest: Math.max(0, ...perBlock) };
}

const READING_TAG = new TextEncoder().encode('gridbrain/energy-data/reading1');

/**
 * The bytes a meter signs for a reading: SCALE(tag: [u8; 30], genesis, device: u64,
 * interval: u32, produced: u64, consumed: u64); the fixed-size tag encodes as its raw bytes.
 */
export function readingPayload(api, device, interval, producedWh, consumedWh) {
  const rest = api.createType('(H256, u64, u32, u64, u64)',
    [api.genesisHash, device, interval, producedWh, consumedWh]).toU8a();
  const msg = new Uint8Array(READING_TAG.length + rest.length);
  msg.set(READING_TAG);
  msg.set(rest, READING_TAG.length);
  return msg;
}
