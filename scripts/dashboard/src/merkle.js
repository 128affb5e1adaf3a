// gridbrain-merkle verification in the browser (pallets/energy-data/merkle):
// leaf H(0x00 ‖ leaf), node H(0x01 ‖ left ‖ right), an odd last node promoted unchanged,
// root H(0x02 ‖ leafCount (u32 LE) ‖ top), H = blake2-256.
import { blake2AsU8a } from '@polkadot/util-crypto';
import { u8aConcat, u8aEq, u8aToHex } from '@polkadot/util';

/**
 * Recomputes the root from `leafBytes` (the SCALE-encoded ReadingLeaf) and its proof
 * `{ leafIndex, leafCount, siblings: Uint8Array[] }`; returns `{ ok, computed, steps }`.
 */
export function verifyReading(leafBytes, proof, root) {
  const steps = [];
  let hash = blake2AsU8a(u8aConcat(new Uint8Array([0]), leafBytes), 256);
  steps.push(`leaf hash ${u8aToHex(hash).slice(0, 18)}…`);
  let pos = proof.leafIndex;
  let width = proof.leafCount;
  if (pos >= width) return { ok: false, computed: null, steps: ['leaf index beyond the leaf count'] };
  let k = 0;
  while (width > 1) {
    const isRight = pos % 2 === 1;
    const promoted = !isRight && pos + 1 === width;
    if (promoted) {
      steps.push('promoted (no sibling at this level)');
    } else {
      const sib = proof.siblings[k++];
      if (sib === undefined) return { ok: false, computed: null, steps: [...steps, 'proof too short'] };
      hash = blake2AsU8a(u8aConcat(new Uint8Array([1]), isRight ? sib : hash, isRight ? hash : sib), 256);
      steps.push(`with sibling ${u8aToHex(sib).slice(0, 12)}… on the ${isRight ? 'left' : 'right'}`);
    }
    pos = Math.floor(pos / 2);
    width = Math.ceil(width / 2);
  }
  const count = new Uint8Array(4);
  new DataView(count.buffer).setUint32(0, proof.leafCount, true);
  const computed = blake2AsU8a(u8aConcat(new Uint8Array([2]), count, hash), 256);
  return { ok: k === proof.siblings.length && u8aEq(computed, root), computed: u8aToHex(computed), steps };
}
