// Meter certificates for gridbrain's EnergyData pallet: what a registrar (metering operator)
// signs off chain, and what a meter signs to prove it holds its key.
//
// As a library (the demo, scenario and benchmarks use it):
//   import { certifiedRegistration } from './certificate.mjs';
//   const tx = await certifiedRegistration(api, { registrar, owner, meter, kind, capacityW, zone });
//
// As a registrar's command-line tool (prints the certificate and its signature as JSON, which
// the owner submits with `energyData.registerDevice(certificate, registrarSignature, proof)`):
//   node certificate.mjs --owner ADDRESS --meter-key 0xED25519_PUBLIC --kind Producer \
//     --capacity 60000 --zone 1 --serial 42 --valid-until 100000 \
//     [--registrar-id 0] [--registrar-suri //Registrar] [--ws ws://127.0.0.1:9944]
//
// The dev and local chains' registrar 0 is //Registrar (sr25519 account, ed25519 certificate
// key). Its keys are public: dev only. A production registrar keeps its certificate key offline.

import { ApiPromise, Keyring, WsProvider } from '@polkadot/api';
import { blake2AsU8a, cryptoWaitReady } from '@polkadot/util-crypto';
import { u8aConcat, u8aToHex } from '@polkadot/util';
import { fileURLToPath } from 'node:url';

const CERTIFICATE_TAG = new TextEncoder().encode('gridbrain/energy-data/certificate1');
const POSSESSION_TAG = new TextEncoder().encode('gridbrain/energy-data/possession1');

/** The dev/local registrar: id 0, sr25519 account and ed25519 certificate key of //Registrar. */
export function devRegistrar() {
  return {
    id: 0,
    account: new Keyring({ type: 'sr25519' }).addFromUri('//Registrar'),
    key: new Keyring({ type: 'ed25519' }).addFromUri('//Registrar'),
  };
}

/** The SCALE type of `MeterCertificate`, from the node's metadata. */
function certificateType(api) {
  return api.tx.energyData.registerDevice.meta.args[0].type.toString();
}

/** A `MeterCertificate` as the chain encodes it. */
export function makeCertificate(api, c) {
  return api.createType(certificateType(api), {
    registrar: c.registrar,
    serial: c.serial,
    meterKey: c.meterKey,
    owner: c.owner,
    kind: c.kind,
    capacityW: c.capacityW,
    zone: c.zone,
    validUntil: c.validUntil,
  });
}

/** What the registrar signs: SCALE(tag: [u8; 34], genesis hash, certificate). */
export function certificatePayload(api, certificate) {
  return u8aConcat(CERTIFICATE_TAG, api.genesisHash.toU8a(), certificate.toU8a());
}

/** What the meter signs: SCALE(tag: [u8; 33], genesis hash, owner, blake2_256(certificate)). */
export function possessionPayload(api, owner, certificate) {
  return u8aConcat(
    POSSESSION_TAG,
    api.genesisHash.toU8a(),
    api.createType('AccountId32', owner).toU8a(),
    blake2AsU8a(certificate.toU8a(), 256),
  );
}

/** A serial derived from the meter key (unique per meter, stable across runs). */
export function serialOf(meterPublicKey) {
  return new DataView(meterPublicKey.buffer, meterPublicKey.byteOffset, 8).getBigUint64(0, true);
}

/**
 * The registrar (`{ id, key }`) certifies `meter` (an ed25519 pair) for `owner`; the meter
 * proves possession. Returns the `registerDevice` call to be signed by the owner. The serial
 * defaults to one derived from the meter key, validity to `validFor` (100,000) intervals from now.
 */
export async function certifiedRegistration(api, { registrar, owner, meter, kind, capacityW, zone, serial, validUntil, validFor = 100_000 }) {
  const now = validUntil === undefined ? (await api.call.energyDataApi.currentInterval()).toNumber() : 0;
  const certificate = makeCertificate(api, {
    registrar: registrar.id,
    serial: serial ?? serialOf(meter.publicKey),
    meterKey: meter.publicKey,
    owner,
    kind,
    capacityW,
    zone,
    validUntil: validUntil ?? now + validFor,
  });
  const registrarSignature = registrar.key.sign(certificatePayload(api, certificate));
  const proof = meter.sign(possessionPayload(api, owner, certificate));
  return api.tx.energyData.registerDevice(certificate, registrarSignature, proof);
}

// --- command line: a registrar issues a certificate
function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

async function cli() {
  const need = (n) => {
    const v = arg(n);
    if (v === undefined) throw new Error(`--${n} is required`);
    return v;
  };
  await cryptoWaitReady();
  const api = await ApiPromise.create({ provider: new WsProvider(arg('ws', 'ws://127.0.0.1:9944'), 1000), noInitWarn: true, throwOnConnect: true });
  const key = new Keyring({ type: 'ed25519' }).addFromUri(arg('registrar-suri', '//Registrar'));
  const certificate = makeCertificate(api, {
    registrar: Number(arg('registrar-id', '0')),
    serial: BigInt(need('serial')),
    meterKey: need('meter-key'),
    owner: need('owner'),
    kind: need('kind'),
    capacityW: Number(need('capacity')),
    zone: Number(need('zone')),
    validUntil: Number(need('valid-until')),
  });
  console.log(JSON.stringify({
    certificate: certificate.toJSON(),
    registrarSignature: u8aToHex(key.sign(certificatePayload(api, certificate))),
    possessionPayload: u8aToHex(possessionPayload(api, certificate.owner, certificate)),
  }, null, 2));
  await api.disconnect();
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  cli().catch((e) => { console.error(`error: ${e.message}`); process.exit(1); });
}
