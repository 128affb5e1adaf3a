// Block stuffing against federated learning: from the moment round ROUND opens until its reveal
// phase ends, keeps the transaction pool full of `system.remark`s of BYTES bytes from the
// given accounts, enough to fill the normal-class length of every block (3.75 MiB of 5 MiB).
// FederatedLearning's round calls are operational: their reveals must land anyway.
//
//   node fl-stuff.mjs --ws ws://127.0.0.1:9944 --round R [--from //Eve,//Ferdie] [--bytes 1200000]
//
// Prints, per block of the round's commit and reveal phases, how much of the normal-class
// length the remarks took, then one JSON line: blocks stuffed, mean and least fill, remarks,
// and the fees the attacker paid (GRID).
import { ApiPromise, Keyring, WsProvider } from '@polkadot/api';
import { arg, log, sleep } from './bench-common.mjs';

const api = await ApiPromise.create({ provider: new WsProvider(arg('ws', 'ws://127.0.0.1:9944')), noInitWarn: true });
const target = Number(arg('round', '1'));
const bytes = Number(arg('bytes', '1200000'));
const keyring = new Keyring({ type: 'sr25519' });
const pairs = arg('from', '//Eve,//Ferdie').split(',').map((s) => keyring.addFromUri(s));
const addresses = new Set(pairs.map((p) => p.address));
const normalMax = api.consts.system.blockLength.max.normal.toNumber();
const AHEAD = 4; // remarks in the pool per account, beyond what blocks took

const current = async () => (await api.call.federatedLearningApi.currentRound()).unwrapOr(null);
log(`stuffing: waiting for round ${target} to open`);
for (;;) {
  const r = await current();
  if (r && r.index.toNumber() >= target) break;
  await sleep(1000);
}
const info = await current();
if (info.index.toNumber() !== target) throw new Error(`round ${target} is over already (now ${info.index})`);
const first = (await api.rpc.chain.getHeader()).number.toNumber();
const revealEnd = info.revealEnd.toNumber();
log(`stuffing round ${target} from block #${first} to the end of its reveal phase (#${revealEnd}) with ${bytes}-byte remarks from ${pairs.length} accounts`);

const next = new Map();
for (const p of pairs) next.set(p.address, (await api.rpc.system.accountNextIndex(p.address)).toNumber());
const payload = `0x${'ab'.repeat(bytes)}`;
let sent = 0;
async function topUp() {
  for (const p of pairs) {
    const included = (await api.query.system.account(p.address)).nonce.toNumber();
    while (next.get(p.address) < included + AHEAD) {
      const nonce = next.get(p.address);
      next.set(p.address, nonce + 1);
      api.tx.system.remark(payload).signAndSend(p, { nonce, era: 0 }).catch((e) => log(`remark ${nonce} refused: ${e.message}`));
      sent += 1;
    }
  }
}
for (;;) {
  await topUp();
  const n = (await api.rpc.chain.getHeader()).number.toNumber();
  if (n >= revealEnd) break;
  await sleep(1000);
}
// Let the last reveal-phase blocks be finalized, then measure.
for (;;) {
  const fin = (await api.rpc.chain.getHeader(await api.rpc.chain.getFinalizedHead())).number.toNumber();
  if (fin >= revealEnd) break;
  await sleep(1000);
}
const fills = [];
let remarks = 0;
let fees = 0n;
for (let n = first + 1; n <= revealEnd; n++) {
  const hash = await api.rpc.chain.getBlockHash(n);
  const { block } = await api.rpc.chain.getBlock(hash);
  let len = 0;
  let count = 0;
  block.extrinsics.forEach((xt) => {
    if (xt.isSigned && addresses.has(xt.signer.toString()) && xt.method.section === 'system') {
      len += xt.encodedLength;
      count += 1;
    }
  });
  for (const { event } of await (await api.at(hash)).query.system.events()) {
    if (api.events.transactionPayment.TransactionFeePaid.is(event) && addresses.has(event.data.who.toString())) {
      fees += event.data.actualFee.toBigInt();
    }
  }
  remarks += count;
  fills.push(len / normalMax);
  log(`block #${n}: ${count} remarks, ${len} bytes = ${(100 * len / normalMax).toFixed(1)} % of the normal-class length`);
}
const mean = fills.reduce((a, b) => a + b, 0) / Math.max(fills.length, 1);
const grid = Number(fees) / 1e12;
console.log(JSON.stringify({ round: target, blocks: fills.length, meanFill: mean, minFill: Math.min(...fills), remarks, sent, feesGrid: grid }));
log(`stuffed ${fills.length} blocks: mean ${(100 * mean).toFixed(1)} % of the normal-class length, least ${(100 * Math.min(...fills)).toFixed(1)} %, ${remarks} remarks, fees ${grid.toFixed(6)} GRID`);
await api.disconnect();
process.exit(0);
